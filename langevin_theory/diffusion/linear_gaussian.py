"""Exact first and second moments of DDPM / PMM outputs for 1-D Gaussian data.

For data ``N(m_0, v_0)`` the VP score is affine, ``s(x, t) = kappa_t x + c_t`` with
``kappa_t = -1/(abar_t v_0 + 1 - abar_t)`` and ``c_t = -kappa_t sqrt(abar_t) m_0``.  One PMM
coarse step (Eq. (A.2)-(A.3) of :mod:`.samplers.pmm`) is then

    X' = U X + V + W . Z,

with ``Z = (Z_1..Z_K)`` iid N(0,1), and ``U, V, W`` affine in the midpoint indicators
``H_tau`` (independent of ``X`` and ``Z``).  Hence, with ``pi = E H`` and ``Q = E H H^T``
(OPTION 1: ``pi = 1/K``, ``Q = 1/K^2`` off the diagonal and ``1/K`` on it; OPTION 2:
``pi = 1/(K-1)``, ``Q = diag(1/(K-1))``), the moments propagate exactly:

    E X' = E[U] m + E[V],   E X'^2 = E[U^2] E[X^2] + 2 E[UV] m + E[V^2] + E|W|^2.

Per-coordinate, this also covers isotropic Gaussian data in any dimension.  The law of PMM's
output is a mixture over ``H`` (not Gaussian), so these two moments -- not the law -- are what
can be compared exactly with fine DDPM (whose output *is* Gaussian).
"""
from __future__ import annotations

import numpy as np

from .samplers.pmm import _validate, fine_coefficients, interpolation_constants
from .samplers._common import step_coefficients
from .schedules import VPSchedule, trailing_timesteps

__all__ = ["pmm_moments", "strided_moments"]


def _kc(schedule, t, m0, v0):
    ab = schedule.abar(t)
    k = -1.0 / (ab * v0 + 1.0 - ab)
    return k, -k * np.sqrt(ab) * m0


def strided_moments(schedule: VPSchedule, variant: str, steps: int, m0: float, v0: float,
                    mean_T: float = 0.0, var_T: float = 1.0):
    """Exact ``(mean, variance)`` of the strided DDPM/DDIM output (Eq. (A.1)) on Gaussian data."""
    ts = trailing_timesteps(schedule.n_steps, steps)
    m, s2 = mean_T, var_T + mean_T ** 2
    for j in range(steps):
        t, s = int(ts[j]), int(ts[j + 1])
        a, b, sig = step_coefficients(variant, schedule.abar(t), schedule.abar(s))
        k, c = _kc(schedule, t, m0, v0)
        u, v = a + b * k, b * c
        s2 = u * u * s2 + 2 * u * v * m + v * v + sig * sig
        m = u * m + v
    return m, s2 - m * m


def pmm_moments(schedule: VPSchedule, variant: str, K: int, option: int, m0: float, v0: float,
                mean_T: float = 0.0, var_T: float = 1.0):
    """Exact ``(mean, variance)`` of the PMM output on 1-D Gaussian data ``N(m0, v0)``."""
    N = schedule.n_steps
    _validate(N, K, option)
    p = float(K) if option == 1 else float(K - 1)
    nslot = K - 1
    if nslot:
        if option == 1:
            pi = np.full(nslot, 1.0 / K)
            Q = np.full((nslot, nslot), 1.0 / K ** 2)
            np.fill_diagonal(Q, 1.0 / K)
        else:
            pi = np.full(nslot, 1.0 / nslot)
            Q = np.diag(pi)
    m, s2 = mean_T, var_T + mean_T ** 2
    for step in range(N // K):
        t = N - 1 - step * K
        A, B, C = interpolation_constants(schedule, variant, t, K)
        kt, ct = _kc(schedule, t, m0, v0)
        S = B.sum(1)  # S_tau = sum_i B_{tau,i}
        u0 = A[K] + S[K] * kt
        v0_ = S[K] * ct
        w0 = C[K, 1:]  # noise coefficients of Z_1..Z_K
        us, vs, ws = np.zeros(nslot), np.zeros(nslot), np.zeros((nslot, K))
        for tau in range(1, K):
            kk, cc = _kc(schedule, t - tau, m0, v0)
            G = p * B[K, tau + 1]
            us[tau - 1] = G * (kk * (A[tau] + S[tau] * kt) - kt)
            vs[tau - 1] = G * (kk * S[tau] * ct + cc - ct)
            ws[tau - 1, :] = G * kk * C[tau, 1:]
        if nslot:
            EU = u0 + pi @ us
            EV = v0_ + pi @ vs
            EU2 = u0 * u0 + 2 * u0 * (pi @ us) + us @ Q @ us
            EV2 = v0_ * v0_ + 2 * v0_ * (pi @ vs) + vs @ Q @ vs
            EUV = u0 * v0_ + u0 * (pi @ vs) + v0_ * (pi @ us) + us @ Q @ vs
            EW2 = w0 @ w0 + 2 * (pi @ (ws @ w0)) + np.sum(Q * (ws @ ws.T))
        else:
            EU, EV, EU2, EV2, EUV, EW2 = u0, v0_, u0 * u0, v0_ * v0_, u0 * v0_, w0 @ w0
        s2 = EU2 * s2 + 2 * EUV * m + EV2 + EW2
        m = EU * m + EV
    return m, s2 - m * m
