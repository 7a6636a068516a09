"""The quality-vs-NFE study on a *pretrained* diffusers UNet loaded from a local folder.

For a machine with a GPU (never needed for CI, and nothing is downloaded): point it at a
diffusers-format checkpoint on disk, e.g. a DDPM pipeline folder saved with
``save_pretrained`` (``unet/`` + ``scheduler/``) or a bare ``UNet2DModel`` folder::

    python paper_repro/diffusion/run_pretrained.py --model-dir /path/to/ddpm-cifar10-32 \\
        --device cuda --n-samples 2000 --batch 500 --seeds 0,1

What is measured. Without Inception weights or the training set, the yardstick is the paper's
own comparison process: the model's **full N-step DDPM** (variant 2, Ho et al.'s posterior
variance). Every sampler's samples are compared with DDPM-N samples of an *independent* seed by
the Fréchet distance on 8x8 average-pooled pixels (``C * 64`` features; FID-style, not
Inception FID). The row ``ddpm|sN`` itself (DDPM-N against DDPM-N, two seeds) is the estimator
floor: a sampler that matches DDPM-N sits on it. NFE are counted by wrapping the network, not
taken from formulas (each sampler counts them per sample).

The samplers run on the CPU in float64 (their arithmetic is tiny next to a UNet call); the
network runs on ``--device`` in its own dtype: :class:`DeviceModel` moves each batch there and
back. Cells (seed, method) are appended to ``--out`` atomically and skipped on rerun.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
from langevin_theory.diffusion import metrics as M  # noqa: E402
from langevin_theory.diffusion.models import DiffusersUNetAdapter  # noqa: E402
from langevin_theory.diffusion.schedules import VPSchedule  # noqa: E402
from langevin_theory.diffusion.study import Method, _atomic_csv  # noqa: E402

#: diffusers' names -> ours
_SCHEDULES = {"linear": "linear", "scaled_linear": "scaled_linear",
              "squaredcos_cap_v2": "cosine"}
_PARAM = {"epsilon": "eps", "sample": "x0", "v_prediction": "v"}


class DeviceModel(torch.nn.Module):
    """``eps_model(x, t)`` whose network runs on ``device`` in ``dtype``; returns on x's."""

    def __init__(self, eps_model, device, dtype):
        super().__init__()
        self.eps_model, self.device, self.dtype = eps_model, torch.device(device), dtype

    def forward(self, x, t):
        t = t.to(self.device) if torch.is_tensor(t) else t
        with torch.no_grad():
            out = self.eps_model(x.to(self.device, self.dtype), t)
        return out.to(x.device, x.dtype)


def load_local(model_dir: Path, device: str):
    """(eps_model, schedule, info) from a diffusers folder on disk (no network access)."""
    from diffusers import UNet2DModel  # optional: only this script needs diffusers
    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise FileNotFoundError(f"--model-dir {model_dir} is not a folder")
    sub = "unet" if (model_dir / "unet").is_dir() else None
    unet = UNet2DModel.from_pretrained(model_dir, subfolder=sub, local_files_only=True)
    unet = unet.to(device).eval()
    cfg_path = next((p for p in (model_dir / "scheduler" / "scheduler_config.json",
                                 model_dir / "scheduler_config.json") if p.exists()), None)
    cfg = json.loads(cfg_path.read_text()) if cfg_path else {}
    kind = cfg.get("beta_schedule", "linear")
    if kind not in _SCHEDULES:
        raise ValueError(f"beta_schedule {kind!r} is not supported; use one of {sorted(_SCHEDULES)}")
    n = int(cfg.get("num_train_timesteps", 1000))
    kw = {} if kind == "squaredcos_cap_v2" else {
        "beta_start": float(cfg.get("beta_start", 1e-4)),
        "beta_end": float(cfg.get("beta_end", 0.02))}
    schedule = VPSchedule.from_name(_SCHEDULES[kind], n, **kw)
    param = _PARAM[cfg.get("prediction_type", "epsilon")]
    dtype = next(unet.parameters()).dtype
    eps = DiffusersUNetAdapter(unet, param, schedule)
    shape = (int(unet.config.in_channels), int(unet.config.sample_size),
             int(unet.config.sample_size))
    info = {"schedule": f"{kind} N={n}", "parameterization": param, "shape": shape,
            "scheduler_config": str(cfg_path) if cfg_path else "none (linear defaults)"}
    return DeviceModel(eps, device, dtype), schedule, info


def pooled_features(x: torch.Tensor) -> np.ndarray:
    """8x8 average-pooled pixels (clipped to [-1, 1]), flattened: (n, C * 64)."""
    x = x.clamp(-1, 1)
    return F.adaptive_avg_pool2d(x.double(), 8).reshape(len(x), -1).numpy()


def methods(n_train, nfe, pmm_K, pmm_variants):
    out = [Method("ddpm", s, "2") for s in nfe] + [Method("ddim", s) for s in nfe]
    out += [Method("pmm", n_train // K, v, K, o) for v in pmm_variants for K in pmm_K
            for o in (1, 2) if n_train % K == 0 and not (o == 2 and K < 2)]
    out += [Method("dpm_solver", s, order=2, skip_type="time_uniform") for s in nfe]
    return out


def sample_batched(method, model, shape, n, batch, schedule, seed):
    """Samples of ``method`` in batches; the generator is seeded per (seed, batch)."""
    xs, nfe = [], 0.0
    for b, start in enumerate(range(0, n, batch)):
        m = min(batch, n - start)
        g = torch.Generator().manual_seed(1_000_003 * seed + b)
        r = method.run(model, (m, *shape), schedule, g, torch.float64)
        xs.append(r.samples)
        nfe += r.nfe * m    # r.nfe: the sampler's own per-sample count of network calls
    return torch.cat(xs), nfe / n


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", required=True, type=Path)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--n-samples", type=int, default=2000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--seeds", default="0,1")
    ap.add_argument("--nfe", default="10,20,25,40,50,80,100")
    ap.add_argument("--pmm-K", default="100,50,40,25,20")
    ap.add_argument("--pmm-variants", default="1a,2")
    ap.add_argument("--out", type=Path, default=HERE / "results" / "pretrained.csv")
    a = ap.parse_args(argv)
    if a.n_samples < 2 or a.batch < 1:
        ap.error("--n-samples must be >= 2 and --batch >= 1")
    model, schedule, info = load_local(a.model_dir, a.device)
    n_train = schedule.n_steps
    seeds = [int(s) for s in a.seeds.split(",")]
    nfe = [int(s) for s in a.nfe.split(",") if int(s) < n_train]
    grid = methods(n_train, nfe, [int(k) for k in a.pmm_K.split(",")], a.pmm_variants.split(","))
    ref_method = Method("ddpm", n_train, "2")
    print(f"model {a.model_dir} on {a.device}: {info}", flush=True)

    a.out.parent.mkdir(parents=True, exist_ok=True)
    df = pd.read_csv(a.out) if a.out.exists() else pd.DataFrame()
    rows = df.to_dict("records") if len(df) else []
    done = {(r["key"], int(r["seed"])) for r in rows}
    # the reference law: DDPM-N under seed 10_000 + seed, never used by a compared cell
    refs = {}
    for seed in seeds:
        x, _ = sample_batched(ref_method, model, info["shape"], a.n_samples, a.batch, schedule,
                              10_000 + seed)
        refs[seed] = M.moments(pooled_features(x))
    for seed in seeds:
        for m in [ref_method] + grid:
            if (m.key, seed) in done:
                continue
            t0 = time.time()
            x, nfe_meas = sample_batched(m, model, info["shape"], a.n_samples, a.batch,
                                         schedule, seed)
            fd = M.frechet_distance(*M.moments(pooled_features(x)), *refs[seed])
            rows.append({"key": m.key, "seed": seed, "sampler": m.sampler, "steps": m.steps,
                         "variant": m.variant, "K": m.K, "option": m.option, "nfe": nfe_meas,
                         "nfe_expected": m.nominal_nfe(n_train), "n_samples": a.n_samples,
                         "fd_pool8_vs_ddpm_full": fd, "seconds": time.time() - t0,
                         "device": a.device, "model_dir": str(a.model_dir)})
            _atomic_csv(pd.DataFrame(rows), a.out)
            print(f"seed {seed} {m.key:40s} NFE {nfe_meas:7.1f}  FD {fd:.4g}", flush=True)
    return pd.DataFrame(rows)


if __name__ == "__main__":
    main()
