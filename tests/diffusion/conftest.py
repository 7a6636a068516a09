try:  # small tensors: one intra-op thread avoids spin-wait overhead on the 2-core CI box
    import torch
    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    pass
