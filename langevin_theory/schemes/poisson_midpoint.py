"""The Poisson midpoint method PS(A, G, Gamma, b, alpha, K) (Kandasamy & Nagaraj 2024).

One step of size alpha emulates K steps of the fine chain S(A, G, Gamma, b, alpha/K) (notes 2.2,
with the corrections of notes section 9). With h = alpha/K, X = X^P_t and b_0 = b(X):

1. draw the midpoint set I = {i_1 < ... < i_N} in {0, ..., K-1}:
   OPTION 1: each i independently with probability 1/K (N ~ Bin(K, 1/K)). A chain draws one
   Bernoulli(1/K) process over all the slots of its run, as geometric gaps G = floor(E /
   lambda) between selected slots, E ~ Exp(1) (an exponential ziggurat), lambda = -log(1 -
   1/K); the gap that overshoots a step's last slot carries into the next step (the slots are
   independent, so each step's set is still Bernoulli(1/K) slot by slot and independent of the
   other steps'). One draw per midpoint, E[N] = 1 per step, and a cost that does not grow with
   K; OPTION 2: exactly one i = u ~ Unif{0..K-1};
2. the noise to each midpoint, M_k = A_{(i_k - i_{k-1})h} M_{k-1} + N(i_{k-1} h, i_k h), M_0 = 0,
   and to the end, M_{N+1} with i_{N+1} = K (**not** K-1 as the extracted text says);
3. midpoints X^_{i} = A_{ih} X + G_{ih} b_0 + M_k;
4. Corr = K sum_k A_{(K-1-i_k)h} G_h (b(X^_{i_k}) - b_0)  (**not** G_{(K-1-i_k)h}, notes 9.1);
5. X^P_{t+1} = A_alpha X + G_alpha b_0 + M_{N+1} + Corr.

The noises N(., .) are pieces of one Brownian path, so the midpoints use exactly the increments
that drive the fine chain (Proposition 1: same law as K fine steps of recursion (8)). Expected
cost: 1 + E[N] = 2 gradient evaluations per step under either option. A midpoint with i = 0
coincides with X, so its correction is identically zero; with ``skip_trivial_midpoint=True`` that
evaluation is skipped (expected cost 2 - 1/K), by default it is made, matching the paper's count.

Overdamped (notes 2.3) this reads X - alpha grad F(X) - alpha sum_{i in I} (grad F(X^_i) -
grad F(X)) + sqrt(2) (B_alpha - B_0), and OPTION 2 is RLMC with u restricted to {0, 1/K, ...}.
"""

from __future__ import annotations

import numbers

import numpy as np

from .._jit import jit
from .._kernels import flow, piece
from .._rng import stream_exponential, stream_uniform
from .base import Scheme, register

__all__ = ["PoissonMidpoint"]


@register
class PoissonMidpoint(Scheme):
    """Poisson midpoint method (PLMC), notes 2.1-2.4.

    Parameters
    ----------
    substeps : int
        K >= 1, the number of fine steps of size alpha/K that one step emulates.
    option : {1, 2}
        1: Bernoulli(1/K) midpoints (Theorem 1); 2: exactly one uniform midpoint.
    skip_trivial_midpoint : bool
        Skip the gradient at a midpoint i = 0 (whose correction is exactly zero).
    """

    key = "plmc"
    randomness = (
        "midpoint set (own stream, independent of the Gaussians) and the Brownian "
        "path at the midpoints and at the step end"
    )
    reference = "Kandasamy & Nagaraj (2024), section 2.2, Eq. (8), Proposition 1"
    kernel_id = 2

    def __init__(self, substeps: int = 10, option: int = 1, skip_trivial_midpoint: bool = False):
        if isinstance(substeps, bool) or not isinstance(substeps, numbers.Integral) or substeps < 1:
            raise ValueError(f"substeps (K) must be an integer >= 1; got {substeps!r}")
        if option not in (1, 2) or isinstance(option, bool):
            raise ValueError(f"option must be 1 or 2; got {option!r}")
        self.substeps = int(substeps)
        self.option = int(option)
        self.skip_trivial_midpoint = bool(skip_trivial_midpoint)

    @property
    def grad_evals_per_step(self):
        """Expected gradients per step: 2, or 2 - 1/K when the i = 0 midpoint is skipped."""
        return 2.0 - (1.0 / self.substeps if self.skip_trivial_midpoint else 0.0)

    def substep(self, step_size):
        return step_size / self.substeps

    def label(self):
        return f"PLMC-opt{self.option}-K={self.substeps}"

    def __repr__(self):
        return f"PoissonMidpoint(substeps={self.substeps}, option={self.option})"


#: underdamped, a PLMC step's flows over k grid units (k in 0..K) are computed once per run
#: into a table when K is at most this (each is an expm1, an exp and a 30-term Taylor
#: polynomial, several a midpoint); above it (a table would grow with K), as needed
TABLE_MAX_K = 1 << 16


@jit
def flow_table(K, h, gamma, s):
    """``flow(k h / K)`` for k = 0..K and ``flow(h)`` in row K + 1, an array (K + 2, 4), the
    very calls :func:`plmc_step` makes (``k * hs`` is its float product); no rows when the
    dynamics are overdamped (trivial flows) or K > ``TABLE_MAX_K``."""
    n = K + 2 if (s == 2 and K <= TABLE_MAX_K) else 0
    FT = np.zeros((n, 4))
    if n:
        hs = h / K
        for k in range(K + 1):
            a01, a11, g0, g1 = flow(k * hs, gamma, s)
            FT[k, 0] = a01
            FT[k, 1] = a11
            FT[k, 2] = g0
            FT[k, 3] = g1
        a01, a11, g0, g1 = flow(h, gamma, s)
        FT[K + 1, 0] = a01
        FT[K + 1, 1] = a11
        FT[K + 1, 2] = g0
        FT[K + 1, 3] = g1
    return FT


@jit(inline="always")
def _flow_k(FT, k, hs, gamma, s):
    """``flow(k hs)``, from the run's table when it has one (see :func:`flow_table`)."""
    # s is a compile-time constant: overdamped kernels keep no trace of the table
    if s == 2 and FT.shape[0] > 0:
        return FT[k, 0], FT[k, 1], FT[k, 2], FT[k, 3]
    return flow(k * hs, gamma, s)


@jit(inline="always")
def _geometric_gap(xs, gap_scale):
    """The number G of unselected slots before the next selected one, G ~ Geometric(1/K)
    (P(G >= g) = (1 - 1/K)^g), drawn as G = floor(E / lambda), E ~ Exp(1) from the chain's
    selection stream, lambda = -log(1 - 1/K) and ``gap_scale`` = 1 / lambda (K = 1: 0, so every
    slot is selected).

    E * gap_scale >= 0, so ``int`` (truncation) is the floor; the clamp only guards int64
    against an astronomically unlikely draw (it would mean a gap of 4e18 slots).
    """
    return int(min(stream_exponential(xs, 4) * gap_scale, 4.0e18))


def plmc_step(
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
    """One Poisson-midpoint step of size h (K substeps); returns gradient evaluations made."""
    coupled, k0, k1, nl, h_sub, gamma, rk0, rk1 = cfg
    dim = x.shape[0]
    m_unit = m_step // K
    hs = h / K
    grad_point(x, params, g0)  # noqa: F821 -- bound by _jit.specialise
    evals = 1
    for j in range(dim):
        for a in range(s):
            M[j, a] = 0.0
            corr[j, a] = 0.0
    prev = 0
    i = -1
    c0s, c1s = 0.0, 0.0
    if option == 1:
        # the next selected slot of the chain's Bernoulli(1/K) process over all slots of the
        # run, counted from this step's slot 0 (the last step's overshoot, carried over)
        i = pending[0]
        if i < 0:  # the chain's first step
            i = _geometric_gap(xs, gap_scale)
    while True:
        if option == 1:
            if i >= K:
                pending[0] = i - K
                break
        else:
            if i >= 0:
                break
            u = stream_uniform(xs, 4)
            i = int(u * K)
            if i >= K:  # u * K can round up to K, and u can be 1.0 (_rng._u53_64)
                i = K - 1
        # noise to this midpoint: M <- A_{(i - prev) hs} M + N(prev, i)
        piece(
            p0 + prev * m_unit,
            p0 + i * m_unit,
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
        a01, a11, _, _ = _flow_k(FT, i - prev, hs, gamma, s)
        for j in range(dim):
            if s == 1:
                M[j, 0] += W[j, 0]
            else:
                M[j, 0] = M[j, 0] + a01 * M[j, 1] + W[j, 0]
                M[j, 1] = a11 * M[j, 1] + W[j, 1]
        prev = i
        if option == 1:
            # the next selected slot is drawn now, before this midpoint's gradient: the loop's
            # exit test then resolves early and a mispredicted exit costs less (measured: 2.22x
            # -> 2.14x LMC's step cost, against drawing it after the gradient)
            i = i + 1 + _geometric_gap(xs, gap_scale)
        if prev == 0 and skip0:
            continue
        a01i, _, g0i, _ = _flow_k(FT, prev, hs, gamma, s)
        for j in range(dim):
            if s == 1:
                xm[j] = x[j] - g0i * g0[j] + M[j, 0]
            else:
                xm[j] = x[j] + a01i * v[j] - g0i * g0[j] + M[j, 0]
        grad_point(xm, params, gm)  # noqa: F821
        evals += 1
        # K A_{(K-1-i) hs} G_hs applied to -(grad F(X^) - grad F(X))
        if s == 1:
            for j in range(dim):
                corr[j, 0] -= h * (gm[j] - g0[j])
        else:
            a01c, a11c, _, _ = _flow_k(FT, K - 1 - prev, hs, gamma, s)
            _, _, gh0, gh1 = _flow_k(FT, 1, hs, gamma, s)
            c0s = K * (gh0 + a01c * gh1)
            c1s = K * (a11c * gh1)
            for j in range(dim):
                dg = gm[j] - g0[j]
                corr[j, 0] -= c0s * dg
                corr[j, 1] -= c1s * dg
    piece(
        p0 + prev * m_unit,
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
    a01, a11, _, _ = _flow_k(FT, K - prev, hs, gamma, s)
    for j in range(dim):
        if s == 1:
            M[j, 0] += W[j, 0]
        else:
            M[j, 0] = M[j, 0] + a01 * M[j, 1] + W[j, 0]
            M[j, 1] = a11 * M[j, 1] + W[j, 1]
    if s == 2 and FT.shape[0] > 0:
        a01, a11, g0c, g1c = FT[K + 1, 0], FT[K + 1, 1], FT[K + 1, 2], FT[K + 1, 3]
    else:
        a01, a11, g0c, g1c = flow(h, gamma, s)
    for j in range(dim):
        if s == 1:
            x[j] = x[j] - g0c * g0[j] + M[j, 0] + corr[j, 0]
        else:
            xj = x[j] + a01 * v[j] - g0c * g0[j] + M[j, 0] + corr[j, 0]
            v[j] = a11 * v[j] - g1c * g0[j] + M[j, 1] + corr[j, 1]
            x[j] = xj
    return evals
