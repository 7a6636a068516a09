"""Langevin Monte Carlo: Euler-Maruyama (overdamped) / exact OU with frozen gradient (underdamped).

One step of size h is the paper's S(A, G, Gamma, b, h) (notes 1.1, Eq. (1)):

    X_{t+1} = A_h X_t + G_h b(X_t) + Gamma_h Z_t,    b = -grad F.

Overdamped this is X - h grad F(X) + sqrt(2h) Z (the unadjusted Langevin algorithm); underdamped
it is the exact Ornstein-Uhlenbeck flow of (U, V) with grad F(U) frozen over the step, which the
paper calls the Euler-Maruyama discretisation of kinetic Langevin dynamics. One gradient per step.
"""

from __future__ import annotations

from .._kernels import advance, flow, piece
from .base import Scheme, register

__all__ = ["LMC"]


@register
class LMC(Scheme):
    """Langevin Monte Carlo (notes 1.1): one gradient evaluation per step.

    Examples
    --------
    >>> import langevin_theory as lt
    >>> res = lt.simulate(lt.targets.Gaussian(0.0, 1.0), lt.schemes.LMC(), step_size=0.1,
    ...                   n_steps=50, n_chains=1000, rng=0)
    >>> res.n_grad_evals
    50000
    """

    key = "lmc"
    grad_evals_per_step = 1.0
    randomness = "the Brownian increment over the step"
    reference = "Kandasamy & Nagaraj (2024), Eq. (1), section 2 (OLMC / ULMC)"
    kernel_id = 0

    def label(self):
        return "LMC"


def lmc_step(
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
    """One LMC step of size h; returns the number of gradient evaluations (1)."""
    coupled, k0, k1, nl, h_sub, gamma, rk0, rk1 = cfg
    grad_point(x, params, g0)  # noqa: F821 -- bound by _jit.specialise
    piece(
        p0,
        p0 + m_step,
        cfg,
        tab,
        meta,
        ylo,
        yhi,
        xs,
        t1,
        chain,
        W,
    )
    a01, a11, g0c, g1c = flow(h, gamma, s)
    for j in range(corr.shape[0]):
        for a in range(s):
            corr[j, a] = 0.0
    advance(x, v, s, a01, a11, g0c, g1c, g0, W, corr)
    return 1
