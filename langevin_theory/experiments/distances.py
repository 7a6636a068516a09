"""W2, KL and TV between 1-D laws tabulated on grids (noise-free; se = floor = 0 apart from the
grid-resolution floor measured by :func:`grid_floor`)."""
from __future__ import annotations

import numpy as np

__all__ = ["grid_distances", "grid_floor", "law"]


def law(x, density, label=""):
    from ..reference import GridLaw
    return GridLaw(x, density, label=label)


def _common(p, q):
    if p.same_grid(q):
        return p.x, p.density, q.density, p.dx
    lo, hi = min(p.x[0], q.x[0]), max(p.x[-1], q.x[-1])
    dx = min(p.dx, q.dx)
    x = lo + dx * np.arange(int(np.ceil((hi - lo) / dx)) + 1)
    a, b = p.pdf(x), q.pdf(x)
    return x, a / (a.sum() * dx), b / (b.sum() * dx), dx


def grid_distances(p, q) -> dict:
    """{'W2', 'KL' (KL(p||q)), 'TV'} between GridLaws p and q."""
    from ..metrics import w2_grid
    x, a, b, dx = _common(p, q)
    tv = 0.5 * float(np.sum(np.abs(a - b)) * dx)
    m = a > 1e-300
    kl = float(np.sum(a[m] * np.log(a[m] / np.maximum(b[m], 1e-300))) * dx)
    return {"W2": float(w2_grid(p, q).value), "KL": max(kl, 0.0), "TV": tv}


def grid_floor(target, x) -> dict:
    """Resolution floor: the same distances between the target law on the grid ``x`` and on
    the grid of half its spacing (how far apart two tabulations of one law are)."""
    from ..reference import target_law, uniform_grid
    p = target_law(target, x)
    dx = x[1] - x[0]
    q = target_law(target, uniform_grid(x[0], x[-1], dx / 2))
    return grid_distances(p, q)
