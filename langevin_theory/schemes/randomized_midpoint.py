"""The randomized midpoint method (RLMC) of Shen & Lee (NeurIPS 2019).

Overdamped (notes 6.1): with u ~ U[0, 1],

    X_{t+u} = X_t - u h grad F(X_t) + sqrt(2) (B_{uh} - B_0)
    X_{t+1} = X_t - h grad F(X_{t+u}) + sqrt(2) (B_h - B_0)

where the midpoint noise and the full-step noise are the *same* Brownian path (the full step
reuses the increment to the midpoint). Underdamped (notes 6.2, Shen & Lee's ULD algorithm in the
paper's (A, G, Gamma) form): the exact flow's drift integral int_0^h A_{h-r} B b(X_r) dr is
estimated by h A_{(1-u)h} B b(X_{uh}) with the midpoint X_{uh} = A_{uh} X + G_{uh} b(X) + N(0, uh):

    X_{t+1} = A_h X_t + h A_{(1-u)h} B b(X_{t+u}) + A_{(1-u)h} N(0, uh) + N(uh, h),

B = e_V (the drift enters the velocity). Two gradient evaluations per step.

The fraction u is drawn on a dyadic grid of 2**sub_levels points per fine step of the Brownian path
(2**-24 of a step by default), so that the midpoint is a node of the virtual Brownian tree; the
coefficients use that same quantised u, so the scheme is exactly RLMC with that u.
"""

from __future__ import annotations

from .._kernels import flow, piece
from .._rng import stream_uniform
from .base import Scheme, register

__all__ = ["RandomizedMidpoint"]


@register
class RandomizedMidpoint(Scheme):
    """Randomized midpoint method (Shen & Lee 2019; notes 6.1-6.2): 2 gradients per step.

    Parameters
    ----------
    grid : int, optional
        Restrict u to {0, 1/grid, ..., (grid-1)/grid} (u = floor(U grid)/grid). With
        ``grid=K`` the overdamped scheme is pathwise PLMC OPTION 2 with K substeps (notes 2.3).
    """

    key = "rlmc"
    grad_evals_per_step = 2.0
    randomness = "u ~ U[0, 1] per step (own stream) and the Brownian path at uh and h"
    reference = "Shen & Lee (2019); Kandasamy & Nagaraj (2024) Eq. (7)"
    kernel_id = 1

    def __init__(self, grid: int | None = None):
        if grid is not None and (isinstance(grid, bool) or not isinstance(grid, int) or grid < 1):
            raise ValueError(f"grid must be None or an integer >= 1; got {grid!r}")
        self.grid = grid

    @property
    def substeps(self):
        """The grid of u as PLMC-style substeps (1 when u is continuous)."""
        return self.grid or 1

    def substep(self, step_size):
        return step_size / (self.grid or 1)

    def label(self):
        return "RLMC" if self.grid is None else f"RLMC-grid={self.grid}"

    def __repr__(self):
        return (
            "RandomizedMidpoint()" if self.grid is None else f"RandomizedMidpoint(grid={self.grid})"
        )


def rlmc_step(
    x,
    v,
    s,
    p0,
    m_step,
    h,
    K,
    option,
    skip0,
    gap_scale,
    cfg,
    tab,
    meta,
    ylo,
    yhi,
    xs,
    pending,
    t1,
    chain,
    params,
    g0,
    gm,
    xm,
    M,
    W,
    corr,
    FT,
):
    """One randomized-midpoint step; returns the number of gradient evaluations (2)."""
    coupled, k0, k1, nl, h_sub, gamma, rk0, rk1 = cfg
    W1 = M
    W2 = W
    grad_point(x, params, g0)  # noqa: F821 -- bound by _jit.specialise
    u = stream_uniform(xs, 4)
    if option == 2:
        # u on the grid {0, 1/K, ..., (K-1)/K} (simulate passes option=2 when grid is set)
        i = int(u * K)
        if i >= K:  # u * K can round up to K, and u can be 1.0 (_rng._u53_64)
            i = K - 1
        r = i * (m_step // K)
    else:
        r = int(u * m_step)
        if r >= m_step:
            r = m_step - 1
    ue = r / m_step
    piece(
        p0,
        p0 + r,
        cfg,
        tab,
        meta,
        ylo,
        yhi,
        xs,
        t1,
        chain,
        W1,
    )
    piece(
        p0 + r,
        p0 + m_step,
        cfg,
        tab,
        meta,
        ylo,
        yhi,
        xs,
        t1,
        chain,
        W2,
    )
    a01u, a11u, g0u, g1u = flow(ue * h, gamma, s)
    dim = x.shape[0]
    for j in range(dim):
        if s == 1:
            xm[j] = x[j] - g0u * g0[j] + W1[j, 0]
        else:
            xm[j] = x[j] + a01u * v[j] - g0u * g0[j] + W1[j, 0]
    grad_point(xm, params, gm)  # noqa: F821
    if s == 1:
        for j in range(dim):
            x[j] = x[j] - h * gm[j] + W1[j, 0] + W2[j, 0]
    else:
        a01r, a11r, _, _ = flow((1.0 - ue) * h, gamma, s)
        a01h, a11h, _, _ = flow(h, gamma, s)
        for j in range(dim):
            xj = x[j] + a01h * v[j] - h * a01r * gm[j] + W1[j, 0] + a01r * W1[j, 1] + W2[j, 0]
            v[j] = a11h * v[j] - h * a11r * gm[j] + a11r * W1[j, 1] + W2[j, 1]
            x[j] = xj
    return 2
