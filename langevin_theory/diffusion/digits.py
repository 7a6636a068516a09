"""A real (tiny) image diffusion model that works offline: scikit-learn's 8x8 digits.

* :class:`EpsMLP` -- residual-MLP eps-model on the 64 pixels (width 256, 3 residual blocks,
  sinusoidal time embedding, 0.56 M parameters), trained with the DDPM loss
  ``E ||eps - eps_theta(sqrt(abar) x0 + sqrt(1-abar) eps, t)||^2`` (Ho et al. 2020, Eq. 14)
  on the linear schedule (1e-4 .. 0.02, N = 1000), EMA 0.999.
* :class:`DigitsCNN` -- a small CNN classifier whose 128-D penultimate features define a
  Fréchet distance ("FID-style": Heusel et al.'s formula on *these* features; Inception FID
  is impossible offline, so the numbers are not comparable to published FIDs).
* Checkpoints ship in ``checkpoints/`` with their sha256 in ``checkpoints/manifest.json``;
  :func:`load_pretrained` refuses a file whose hash does not match.

Pixels are scaled to [-1, 1] (``x / 8 - 1``); generated samples are clipped to [-1, 1] before
any metric.
"""
from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .metrics import frechet_distance
from .schedules import VPSchedule

__all__ = ["load_digits_data", "EpsMLP", "DigitsCNN", "train_eps_model", "train_classifier",
           "load_pretrained", "save_checkpoint", "sha256_file", "FeatureFrechet",
           "CHECKPOINT_DIR"]

CHECKPOINT_DIR = Path(__file__).parent / "checkpoints"
MANIFEST = CHECKPOINT_DIR / "manifest.json"


def load_digits_data():
    """``(x, y)``: float32 ``(1797, 64)`` pixels in [-1, 1] and int64 labels (offline)."""
    from sklearn.datasets import load_digits
    d = load_digits()
    x = torch.as_tensor(d.data / 8.0 - 1.0, dtype=torch.float32)
    return x, torch.as_tensor(d.target, dtype=torch.int64)


def _split(n, seed=0, frac=0.8):
    perm = np.random.default_rng(seed).permutation(n)
    k = int(frac * n)
    return perm[:k], perm[k:]


# ------------------------------------------------------------------------ eps-model
def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Transformer sinusoidal embedding of (float) timesteps, as in Ho et al.'s UNet."""
    half = dim // 2
    freqs = torch.exp(-math.log(10_000.0) * torch.arange(half, dtype=torch.float32) / half)
    ang = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(ang), torch.cos(ang)], 1)


class _Block(nn.Module):
    def __init__(self, width, temb):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, width)
        self.fc2 = nn.Linear(width, width)
        self.temb = nn.Linear(temb, width)
        self.act = nn.SiLU()

    def forward(self, h, e):
        r = self.fc1(self.act(self.norm(h))) + self.temb(e)
        return h + self.fc2(self.act(r))


class EpsMLP(nn.Module):
    """Residual-MLP eps-model ``eps_theta(x, t)`` for ``x`` of shape ``(B, 64)``."""

    def __init__(self, dim=64, width=256, n_blocks=3, temb=128):
        super().__init__()
        self.config = {"dim": dim, "width": width, "n_blocks": n_blocks, "temb": temb}
        self.temb_dim = temb
        self.tmlp = nn.Sequential(nn.Linear(temb, temb), nn.SiLU(), nn.Linear(temb, temb))
        self.inp = nn.Linear(dim, width)
        self.blocks = nn.ModuleList([_Block(width, temb) for _ in range(n_blocks)])
        self.out = nn.Sequential(nn.LayerNorm(width), nn.SiLU(), nn.Linear(width, dim))

    def forward(self, x, t):
        if not torch.is_tensor(t) or t.dim() == 0:
            t = torch.full((x.shape[0],), int(t))
        dtype = x.dtype
        e = self.tmlp(timestep_embedding(t, self.temb_dim))
        h = self.inp(x.float())
        for b in self.blocks:
            h = b(h, e)
        return self.out(h).to(dtype)


def train_eps_model(steps=12_000, batch=256, lr=1e-3, ema=0.999, seed=0,
                    schedule: VPSchedule | None = None, progress=False, log_every=1000):
    """Train :class:`EpsMLP` on all 1797 digits; returns ``(ema_model, log)``."""
    schedule = schedule or VPSchedule.linear()
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    x, _ = load_digits_data()
    model = EpsMLP()
    ema_model = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps,
                                                pct_start=0.05)
    abar = schedule.torch_abar(torch.float32)
    log, t0 = [], time.time()
    it = range(steps)
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(it, desc="train eps-MLP")
    run = 0.0
    for i in it:
        idx = torch.randint(0, x.shape[0], (batch,), generator=g)
        x0 = x[idx]
        t = torch.randint(0, schedule.n_steps, (batch,), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        ab = abar[t][:, None]
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * eps
        loss = ((model(xt, t) - eps) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        with torch.no_grad():
            for pe, pm in zip(ema_model.parameters(), model.parameters()):
                pe.mul_(ema).add_(pm.detach(), alpha=1 - ema)
        run = 0.98 * run + 0.02 * loss.item() if i else loss.item()
        if (i + 1) % log_every == 0:
            log.append({"step": i + 1, "loss_ema": run, "seconds": time.time() - t0})
    ema_model.eval()
    return ema_model, {"log": log, "train_seconds": time.time() - t0, "steps": steps,
                       "batch": batch, "lr": lr, "ema": ema, "seed": seed}


# ------------------------------------------------------------------------ classifier
class DigitsCNN(nn.Module):
    """Small CNN on 8x8 digits; :meth:`features` gives the 128-D penultimate activations."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                                  nn.MaxPool2d(2))
        self.fc = nn.Sequential(nn.Flatten(), nn.Linear(64 * 16, 128), nn.ReLU())
        self.head = nn.Linear(128, 10)

    def features(self, x):
        return self.fc(self.conv(x.float().reshape(-1, 1, 8, 8)))

    def forward(self, x):
        return self.head(self.features(x))


def train_classifier(epochs=30, seed=0, progress=False):
    """Train :class:`DigitsCNN` on an 80 % split (light shift augmentation); returns
    ``(model, info)`` with the held-out accuracy."""
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    x, y = load_digits_data()
    tr, te = _split(len(x), seed)
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    t0 = time.time()
    xtr, ytr = x[tr], y[tr]
    for _ in range(epochs):
        perm = torch.randperm(len(tr), generator=g)
        for k in range(0, len(tr), 128):
            b = perm[k:k + 128]
            xb = xtr[b].reshape(-1, 1, 8, 8)
            sh = torch.randint(-1, 2, (2,), generator=g)
            xb = torch.roll(xb, shifts=(int(sh[0]), int(sh[1])), dims=(2, 3))
            loss = nn.functional.cross_entropy(model(xb), ytr[b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(x[te]).argmax(1) == y[te]).float().mean().item()
    return model, {"heldout_accuracy": acc, "train_seconds": time.time() - t0,
                   "epochs": epochs, "seed": seed, "n_train": len(tr), "n_test": len(te)}


# ------------------------------------------------------------------------ checkpoints
def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_checkpoint(model: nn.Module, name: str, info: dict, directory=CHECKPOINT_DIR):
    """Save ``state_dict`` to ``<directory>/<name>.pt`` atomically and record its sha256,
    size and ``info`` in ``manifest.json``."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.pt"
    tmp = path.with_suffix(".pt.tmp")
    state = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}
    torch.save(state, tmp)
    os.replace(tmp, path)
    man_path = directory / "manifest.json"
    man = json.loads(man_path.read_text()) if man_path.exists() else {}
    man[name] = {"file": path.name, "sha256": sha256_file(path),
                 "bytes": path.stat().st_size, "info": info}
    tmpm = man_path.with_suffix(".json.tmp")
    tmpm.write_text(json.dumps(man, indent=2, sort_keys=True))
    os.replace(tmpm, man_path)
    return man[name]


def load_pretrained(name: str = "digits_eps_mlp", directory=CHECKPOINT_DIR):
    """Load a shipped checkpoint after checking its sha256 against the manifest."""
    directory = Path(directory)
    man = json.loads((directory / "manifest.json").read_text())
    if name not in man:
        raise FileNotFoundError(f"no checkpoint {name!r} in {directory / 'manifest.json'}")
    entry = man[name]
    path = directory / entry["file"]
    digest = sha256_file(path)
    if digest != entry["sha256"]:
        raise RuntimeError(f"sha256 mismatch for {path}: {digest} != {entry['sha256']}")
    model = {"digits_eps_mlp": EpsMLP, "digits_cnn": DigitsCNN}[name]()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.eval()
    return model


# ------------------------------------------------------------------------ metric
class FeatureFrechet:
    """Fréchet distances of generated digits to the 1797 real ones.

    ``cnn`` distance: on 128-D :class:`DigitsCNN` features (FID-style, *not* Inception FID);
    ``pixel`` distance: on the raw 64 pixels.  Samples are clipped to [-1, 1] first.
    """

    def __init__(self, classifier: nn.Module | None = None):
        self.clf = classifier if classifier is not None else load_pretrained("digits_cnn")
        x, _ = load_digits_data()
        self.ref_pix = self._moments(x.double().numpy())
        self.ref_feat = self._moments(self._feat(x))

    @staticmethod
    def _moments(a):
        return a.mean(0), np.cov(a, rowvar=False)

    def _feat(self, x):
        with torch.no_grad():
            return self.clf.features(x.float()).double().numpy()

    def __call__(self, samples: torch.Tensor) -> dict:
        x = samples.detach().reshape(-1, 64).clamp(-1, 1)
        mf, Sf = self._moments(self._feat(x))
        mp, Sp = self._moments(x.double().numpy())
        return {"fd_cnn": frechet_distance(mf, Sf, *self.ref_feat),
                "fd_pixel": frechet_distance(mp, Sp, *self.ref_pix)}
