"""Binning shared by the histogram KL and TV estimators (1-D and 2-D)."""
from __future__ import annotations

import numpy as np


def inner_edges(samples, bins, dim, tail=None):
    """Equal-width edges per coordinate over the pooled sample's [q_t, q_{1-t}] range.

    ``tail`` defaults to 1/(2 bins^d): on each side about as many points fall outside as are
    expected in one inner cell, so no inner cell is nearly empty because of outliers while
    the outside cells (two half-lines in 1-D, one complement in 2-D) hold little mass.
    """
    z = np.concatenate([np.asarray(s, float).reshape(-1, dim) for s in samples])
    t = 0.5 / bins ** dim if tail is None else float(tail)
    edges = []
    for j in range(dim):
        lo, hi = np.quantile(z[:, j], [t, 1.0 - t])
        if not hi > lo:
            raise ValueError("sample has (nearly) no spread; cannot bin")
        edges.append(np.linspace(lo, hi, bins + 1))
    return edges


def cell_index(x, edges):
    """Flat cell index per point; inner cells 0..C-1, the complement (outside the box) C."""
    x = np.asarray(x, float)
    dim = len(edges)
    x = x.reshape(-1, dim)
    idx = np.zeros(x.shape[0], dtype=np.int64)
    inside = np.ones(x.shape[0], dtype=bool)
    stride = 1
    for j in reversed(range(dim)):
        e = edges[j]
        b = e.size - 1
        k = np.searchsorted(e, x[:, j], side="right") - 1
        k = np.where(x[:, j] == e[-1], b - 1, k)
        inside &= (k >= 0) & (k < b)
        idx += np.clip(k, 0, b - 1) * stride
        stride *= b
    return np.where(inside, idx, stride), stride


def counts(x, edges):
    """Counts per cell and the cell of each point. In 1-D the outside is split into a left
    cell (index C) and a right cell (C + 1); in 2-D it is one complement cell (C)."""
    idx, C = cell_index(x, edges)
    if len(edges) == 1:
        x1 = np.asarray(x, float).reshape(-1)
        idx = np.where(x1 > edges[0][-1], C + 1, idx)
        return np.bincount(idx, minlength=C + 2).astype(np.float64), idx
    return np.bincount(idx, minlength=C + 1).astype(np.float64), idx


def law_cell_masses(edges, log_density=None, cdf=None, order=6):
    """Target mass of each inner cell (Gauss-Legendre per cell) and of the complement.

    1-D with ``cdf``: exact differences of the CDF. Otherwise tensor Gauss-Legendre with
    ``order`` nodes per cell and coordinate on exp(log_density) (normalised density assumed);
    the complement gets 1 - sum(inner).
    """
    dim = len(edges)
    if dim == 1 and cdf is not None:
        F = np.asarray(cdf(edges[0]), float)
        return np.concatenate([np.diff(F), [F[0], 1.0 - F[-1]]])
    if log_density is None:
        raise ValueError("need log_density (or cdf in 1-D) for the law's cell masses")
    t, w = np.polynomial.legendre.leggauss(order)
    axes, wts = [], []
    for e in edges:
        h = np.diff(e)
        nodes = (0.5 * (e[:-1] + e[1:]))[:, None] + 0.5 * h[:, None] * t[None, :]
        axes.append(nodes)
        wts.append(0.5 * h[:, None] * w[None, :])
    if dim == 1:
        pts = axes[0].reshape(-1, 1)
        vals = np.exp(np.asarray(log_density(pts), float)).reshape(axes[0].shape)
        inner = (vals * wts[0]).sum(1)
        e = edges[0]
        span = 40.0 * (e[-1] - e[0])
        tails = []
        for a, b in ((e[0] - span, e[0]), (e[-1], e[-1] + span)):
            panels = np.linspace(a, b, 2001)
            h = np.diff(panels)
            nodes = (0.5 * (panels[:-1] + panels[1:]))[:, None] + 0.5 * h[:, None] * t
            v = np.exp(np.asarray(log_density(nodes.reshape(-1, 1)), float)).reshape(nodes.shape)
            tails.append(float((v * 0.5 * h[:, None] * w).sum()))
        total = inner.sum() + sum(tails)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"log_density integrates to {total:.8g}, not 1: it must be "
                             "normalised")
        return np.concatenate([inner, tails])
    elif dim == 2:
        b0, b1 = axes[0].shape[0], axes[1].shape[0]
        X = np.broadcast_to(axes[0][:, None, :, None], (b0, b1, order, order))
        Y = np.broadcast_to(axes[1][None, :, None, :], (b0, b1, order, order))
        pts = np.stack([X.ravel(), Y.ravel()], axis=1)
        vals = np.exp(np.asarray(log_density(pts), float)).reshape(b0, b1, order, order)
        W = wts[0][:, None, :, None] * wts[1][None, :, None, :]
        inner = (vals * W).sum((2, 3)).ravel()
    else:
        raise ValueError("histogram estimators support d = 1 and d = 2")
    total = inner.sum()
    if total > 1.0 + 1e-6:
        raise ValueError(f"log_density integrates to {total:.6g} > 1 over the box: it must be "
                         "normalised")
    return np.append(inner, max(1.0 - total, 0.0))
