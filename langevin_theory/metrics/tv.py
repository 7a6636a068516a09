r"""Total-variation distances. All return :class:`Estimate`.

* :func:`tv_grid` -- TV = 1/2 int |p - q| between tabulated 1-D laws (no Monte Carlo).
* :func:`tv_hist` -- binned TV between a sample and another sample or a 1-D law, d = 1, 2.

Histogram estimator
-------------------
Cells as in :mod:`.kl` (``bins`` equal-width cells per coordinate over the pooled sample's
[q_t, q_{1-t}] box, t = 1/(2 bins^d), plus the outside: two half-line cells in 1-D, one
complement cell in 2-D). With frequencies f_c (x, size
n) and g_c (y, size m; or the law's masses with m = inf),

    TV_hat = 1/2 sum_c |f_c - g_c|.

* floor: on identical laws f_c - g_c ~ N(0, pi_c (1 - pi_c)(1/n + 1/m)) and E|N(0, s^2)| =
  s sqrt(2/pi), so floor = 1/2 sum_c sqrt(2/pi) sqrt(pi_c (1 - pi_c) (1/n + 1/m)) with pi_c
  the pooled frequencies (the law's masses for sample-vs-law). The sum concentrates, so this
  is both the mean and, to a few percent, the RMS of TV_hat on identical laws.
* se (delta method): TV_hat - TV ~ 1/2 sum_c s_c [(f_c - p_c) - (g_c - q_c)], s_c =
  sign(f_c - g_c), so se^2 = Var(s(X))/(4 n) + Var(s(Y))/(4 m).

It estimates the TV between the binned laws, which is <= the TV.
"""
from __future__ import annotations

import math

import numpy as np

from ._common import as_sample_nd, is_law, symmetrise
from ._hist import counts, inner_edges, law_cell_masses
from .estimate import Estimate

__all__ = ["tv_grid", "tv_hist"]


def tv_grid(p, q) -> Estimate:
    """TV(p, q) = (dx/2) sum_i |p_i - q_i| on p's grid (q a GridLaw on it, or with a pdf)."""
    from .kl import _grid_pair
    a, b = _grid_pair(p, q)
    return Estimate(float(0.5 * p.dx * np.abs(a - b).sum()), 0.0, 0.0, "tv_grid")


def tv_hist(x, y, *, bins: int | None = None, symmetrize: bool = False,
            center: float = 0.0) -> Estimate:
    r"""Binned TV between a sample ``x`` and a sample ``y`` (d = 1, 2) or a 1-D law ``y``.

    Parameters
    ----------
    x : array_like, shape (n, d) or (n,)
    y : array_like of shape (m, d), or a 1-D law with ``cdf`` (GridLaw, Normal1D, ...)
    bins : int, optional
        Cells per coordinate; default 1-D min(200, N^{1/3}), 2-D min(60, N^{1/4}) with N the
        smaller sample size.
    symmetrize : bool
        1-D: use x u (2 center - x) (and the same for a sample y).

    Returns
    -------
    Estimate
        Formulas for value, se and floor in the module docstring.
    """
    x = as_sample_nd(x, "x")
    d = x.shape[1]
    if d > 2:
        raise ValueError("tv_hist supports d <= 2")
    law = is_law(y)
    if law and d != 1:
        raise ValueError("a law y is only supported in 1-D")
    if symmetrize:
        if d != 1:
            raise ValueError("symmetrize is for 1-D samples")
        x = symmetrise(x, center)
    if not law:
        y = as_sample_nd(y, "y")
        if y.shape[1] != d:
            raise ValueError("x and y must have the same dimension")
        if symmetrize:
            y = symmetrise(y, center)
    n = x.shape[0]
    m = math.inf if law else y.shape[0]
    nmin = min(n, m)
    if bins is None:
        bins = int(min(200, max(10, round(nmin ** (1 / 3))))) if d == 1 else \
            int(min(60, max(6, round(nmin ** 0.25))))
    if int(bins) < 2:
        raise ValueError("bins must be >= 2")
    edges = inner_edges([x] if law else [x, y], int(bins), d)
    cx, ix = counts(x, edges)
    f = cx / n
    inv = 1.0 / n
    if law:
        g = law_cell_masses(edges, cdf=y.cdf)
        pooled = g
    else:
        cy, iy = counts(y, edges)
        g = cy / m
        pooled = (cx + cy) / (n + m)
        inv += 1.0 / m
    diff = f - g
    value = 0.5 * float(np.abs(diff).sum())
    floor = 0.5 * math.sqrt(2.0 / math.pi) * float(np.sqrt(pooled * (1 - pooled) * inv).sum())
    s = np.sign(diff)
    var = float(np.var(s[ix])) / (4 * n)
    if not law:
        var += float(np.var(s[iy])) / (4 * m)
    return Estimate(value, math.sqrt(var), floor,
                    f"tv_hist ({bins}^{d} cells + complement)")
