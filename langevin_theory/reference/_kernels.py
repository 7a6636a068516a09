"""Numba kernels for the grid transition matrices (arithmetic only; callers validate)."""
from __future__ import annotations

import math

from numba import prange

from .._jit import jit

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@jit(parallel=True)
def _midpoint_rows(a, shift, xi0, dxi, cxi, s_w, s_v, y0, dy, ny, cut, out):
    """Accumulate the midpoint transition density into ``out`` (rows = sources).

    For source i the density at y_j = y0 + j dy is

        out[i, j] += sum_k dxi N(xi_k; a[i], s_w^2) N(y_j; cxi[k] + shift[i], s_v^2) * dy,

    xi_k = xi0 + k dxi: the rectangle rule for the Gaussian integral over the midpoint value
    xi, truncated at ``cut`` standard deviations on both factors.
    """
    n = a.shape[0]
    nxi = cxi.shape[0]
    cw = dxi * _INV_SQRT_2PI / s_w
    cv = dy * _INV_SQRT_2PI / s_v
    for i in prange(n):
        klo = max(0, int(math.ceil((a[i] - cut * s_w - xi0) / dxi)))
        khi = min(nxi - 1, int(math.floor((a[i] + cut * s_w - xi0) / dxi)))
        for k in range(klo, khi + 1):
            z = (xi0 + k * dxi - a[i]) / s_w
            w = cw * math.exp(-0.5 * z * z)
            c = cxi[k] + shift[i]
            jlo = max(0, int(math.ceil((c - cut * s_v - y0) / dy)))
            jhi = min(ny - 1, int(math.floor((c + cut * s_v - y0) / dy)))
            for j in range(jlo, jhi + 1):
                z2 = (y0 + j * dy - c) / s_v
                out[i, j] += w * cv * math.exp(-0.5 * z2 * z2)
    return out
