"""The Poisson midpoint method for DDPM sampling (Kandasamy & Nagaraj 2024, App. A.1).

One coarse step maps ``x_t`` to ``x_{t-K}`` and emulates ``K`` fine DDPM steps
``x_{u-1} = a_u x_u + b_u score(x_u, u) + sigma_u z_u`` (Eq. (A.1), any variant).  Unrolled
over ``k`` fine steps from ``t`` (notes 3.2, reconstructed ``InterpolationConstants``):

    x_{t-k} = A_k x_t + sum_{i=1}^k B_{k,i} score(x_{t-i+1}, t-i+1) + sum_{i=1}^k C_{k,i} Z_i
    A_k     = prod_{j=1}^{k} a_j,     B_{k,i} = (prod_{j=i+1}^{k} a_j) b_i,
    C_{k,i} = (prod_{j=i+1}^{k} a_j) sigma_i                                          (A.2)

with sub-step ``j`` meaning the fine step from ``t-j+1`` to ``t-j`` (``a_j := a_{t-j+1}``).
PMM replaces ``score(x_{t-i+1})`` by ``s_0 + p H_i (score(xhat_{t-i+1}, t-i+1) - s_0)`` with
``s_0 = score(x_t, t)`` and the cheap midpoint (same ``Z``'s as the full step)

    xhat_{t-tau} = A_tau x_t + (sum_{i<=tau} B_{tau,i}) s_0 + sum_{i<=tau} C_{tau,i} Z_i.  (A.3)

Slot ``i = 1`` is the start point itself (zero correction), so the ``K-1`` candidate slots are
``i = 2..K`` (drift times ``t-1 .. t-K+1``, all on the trained grid).
OPTION 1: ``H_i ~ Ber(1/K)`` iid, ``p = K``; expected calls per step ``2 - 1/K``.
OPTION 2: one slot ``u ~ Unif{2..K}``, ``p = K-1``; exactly 2 calls per step.
"""
from __future__ import annotations

import numpy as np
import torch

from ..models import CountingModel
from ..schedules import VPSchedule
from ._common import (SampleResult, as_generator, check_finite, init_noise, progress_iter,
                      step_coefficients)

__all__ = ["pmm_sample", "interpolation_constants", "fine_coefficients", "expected_nfe"]


def fine_coefficients(schedule: VPSchedule, variant: str, t: int, K: int) -> np.ndarray:
    """``(K, 3)`` array of ``(a_j, b_j, sigma_j)``, fine sub-steps ``j = 1..K`` from ``t``."""
    ab = schedule.abar
    return np.array([step_coefficients(variant, ab(t - j + 1), ab(t - j))
                     for j in range(1, K + 1)])


def interpolation_constants(schedule: VPSchedule, variant: str, t: int, K: int):
    """The paper's ``InterpolationConstants(t, k)`` for ``k = 0..K`` (Eq. (A.2)).

    Returns
    -------
    A : ndarray (K+1,)
        ``A[k] = A_k`` (``A_0 = 1``).
    B, C : ndarray (K+1, K+1)
        ``B[k, i] = B_{k,i}``, ``C[k, i] = C_{k,i}`` for ``1 <= i <= k`` (zero elsewhere).
    """
    co = fine_coefficients(schedule, variant, t, K)
    A = np.ones(K + 1)
    B = np.zeros((K + 1, K + 1))
    C = np.zeros((K + 1, K + 1))
    for k in range(1, K + 1):
        a, b, s = co[k - 1]
        A[k] = A[k - 1] * a
        B[k, :k] = B[k - 1, :k] * a
        C[k, :k] = C[k - 1, :k] * a
        B[k, k], C[k, k] = b, s
    return A, B, C


def expected_nfe(n_train: int, K: int, option: int) -> float:
    """Expected network calls per sample: ``(N/K)(2 - 1/K)`` (OPTION 1) or ``2N/K`` (OPTION 2)."""
    _validate(n_train, K, option)
    return n_train / K * (2 - 1 / K) if option == 1 else 2 * n_train / K


def _validate(n_train, K, option):
    if int(K) != K or K < 1:
        raise ValueError(f"K must be an integer >= 1, got {K}")
    if option not in (1, 2):
        raise ValueError(f"option must be 1 or 2, got {option}")
    if option == 2 and K < 2:
        raise ValueError("OPTION 2 needs K >= 2 (with K = 1 there is no non-trivial midpoint; "
                         "use option=1, which then equals DDPM)")
    if n_train % K:
        raise ValueError(f"K = {K} must divide the number of training steps {n_train}")


def pmm_sample(model, shape_or_xT, schedule: VPSchedule, *, K: int, option: int = 1,
               variant: str = "1a", generator=None, midpoint_generator=None, callback=None,
               progress=False, dtype=torch.float64, coupled: bool = True) -> SampleResult:
    """Poisson midpoint sampler, ``N/K`` coarse steps (paper App. A.1, notes 3.2).

    Parameters
    ----------
    model : callable
        ``eps_model(x, t)``.  Never requires diffusers.
    shape_or_xT : tuple or torch.Tensor
    schedule : VPSchedule
    K : int
        Fine steps per coarse step; must divide ``N``.  ``K = 1`` (OPTION 1) is DDPM.
    option : {1, 2}
    variant : str
        Fine-step coefficients: ``"1a".."1d", "2", "3"`` (PMM variants of App. A.6).
    generator : torch.Generator or int, optional
        Draws ``x_T`` and the Gaussian increments ``Z`` (in fine-step order, so ``K = 1`` and
        DDPM consume the same stream), and the ``H`` unless ``midpoint_generator`` is given.
    midpoint_generator : torch.Generator or int, optional
        Separate stream for the midpoint selection ``H`` (lets PMM share ``Z`` with DDPM).
    callback : callable, optional
        ``callback(step_index, t, x)`` after each coarse step.
    progress : bool
    coupled : bool
        ``True`` (default): draw every fine increment ``Z_1..Z_K`` in fine-step order, so the
        run is pathwise coupled with fine DDPM on the same ``generator``.  ``False``: the fast
        mode -- the Brownian path is sampled only where needed (at each sample's selected
        midpoints and at ``K``) through its exact Markov transitions
        ``M_tau / A_tau = sum_{i<=tau} (sigma_i/A_i) Z_i`` (independent increments with
        variances ``Q_tau - Q_tau'``, ``Q_tau = sum_{i<=tau} (sigma_i/A_i)^2``).  The midpoint
        and the full step still share one path, so the law is identical (tested), but the work
        per coarse step is ``O(1 + #midpoints)`` instead of ``O(K)``.

    Returns
    -------
    SampleResult
        ``nfe`` is the exact per-sample average; ``info["expected_nfe"]`` the formula.

    Notes
    -----
    The drift is frozen at the *score* ``s_0 = -eps(x_t, t)/sqrt(1-abar_t)`` (the paper's
    ``b(X_t, t)`` is the score estimate), so the correction at slot ``i`` is
    ``p H_i B_{K,i} (score(xhat, t-i+1) - s_0)``.  Midpoint noise is the partial sum of the
    same increments, computed by the recursion ``M_tau = a_tau M_{tau-1} + sigma_tau Z_tau``
    which equals ``sum_i C_{tau,i} Z_i``.
    """
    N = schedule.n_steps
    _validate(N, K, option)
    gen = as_generator(generator)
    hgen = as_generator(midpoint_generator) if midpoint_generator is not None else gen
    x = init_noise(shape_or_xT, generator=gen, dtype=dtype)
    Bsz = x.shape[0]
    cm = CountingModel(model)
    cm.reset(Bsz)
    p = float(K) if option == 1 else float(K - 1)
    n_coarse = N // K
    for step in progress_iter(range(n_coarse), progress, f"pmm K={K}", n_coarse):
        t = N - 1 - step * K
        _, Bc, _ = interpolation_constants(schedule, variant, t, K)
        co = fine_coefficients(schedule, variant, t, K)
        # midpoint selection H (slots tau = i-1 = 1..K-1)
        H = None
        if K > 1:
            if option == 1:
                H = torch.rand((Bsz, K - 1), generator=hgen, dtype=torch.float64) < 1.0 / K
            else:
                u = torch.randint(1, K, (Bsz,), generator=hgen)
                H = torch.nn.functional.one_hot(u - 1, K - 1).bool()
        s0 = -cm(x, t) / (1.0 - schedule.abar(t)) ** 0.5
        if coupled:
            x = _coarse_step_coupled(cm, x, s0, t, K, co, Bc, H, p, gen, schedule)
        else:
            x = _coarse_step_fast(cm, x, s0, t, K, co, Bc, H, p, gen, schedule)
        check_finite(x, f"pmm coarse step {step} (t={t}, K={K})")
        if callback is not None:
            callback(step, t, x)
    nfe = float(cm.per_sample.double().mean())
    return SampleResult(x, nfe, cm.per_sample, cm.n_forward,
                        {"K": K, "option": option, "variant": variant, "steps": n_coarse,
                         "expected_nfe": expected_nfe(N, K, option), "sampler": "pmm",
                         "coupled": coupled})


def _coarse_step_coupled(cm, x, s0, t, K, co, Bc, H, p, gen, schedule):
    D = x
    M = torch.zeros_like(x)
    corr = torch.zeros_like(x)
    for tau in range(1, K + 1):
        a, b, sig = co[tau - 1]
        D = a * D + b * s0
        z = torch.randn(x.shape, generator=gen, dtype=x.dtype)
        M = a * M + sig * z
        if tau < K:
            sel = torch.nonzero(H[:, tau - 1]).flatten()
            if sel.numel():
                ti = t - tau
                xh = (D + M)[sel]
                si = -cm(xh, ti, sel) / (1.0 - schedule.abar(ti)) ** 0.5
                # slot i = tau + 1, coefficient B_{K, i}
                corr.index_add_(0, sel, p * Bc[K, tau + 1] * (si - s0[sel]))
    return D + M + corr


def _coarse_step_fast(cm, x, s0, t, K, co, Bc, H, p, gen, schedule):
    """All midpoints of the coarse step in ONE batched network call (rows carry their own
    timesteps ``t - tau``): a midpoint depends only on ``x_t``, ``s_0`` and the Brownian path
    at ``tau``, never on other midpoints.  The path is sampled at each sample's selected
    ``tau``'s (sorted) and at ``K`` through independent Gaussian increments."""
    a, b, sig = co[:, 0], co[:, 1], co[:, 2]
    A = np.concatenate([[1.0], np.cumprod(a)])  # A_tau
    S = np.zeros(K + 1)  # S_tau = sum_i B_{tau,i}
    for tau in range(1, K + 1):
        S[tau] = a[tau - 1] * S[tau - 1] + b[tau - 1]
    Q = np.concatenate([[0.0], np.cumsum((sig / A[1:]) ** 2)])
    Bsz, feat = x.shape[0], tuple(x.shape[1:])
    view = (-1,) + (1,) * len(feat)
    Yend = torch.zeros((Bsz,) + feat, dtype=torch.float64)
    qlast = torch.zeros(Bsz, dtype=torch.float64)
    corr = torch.zeros_like(x)
    if H is not None and bool(H.any()):
        pairs = torch.nonzero(H)  # row-major: sorted by sample, then slot
        bi, tau = pairs[:, 0], pairs[:, 1] + 1
        Qt = torch.as_tensor(Q)[tau]
        first = torch.ones_like(bi, dtype=torch.bool)
        first[1:] = bi[1:] != bi[:-1]
        Qprev = torch.where(first, torch.zeros_like(Qt), torch.roll(Qt, 1))
        inc = ((Qt - Qprev).clamp_min(0).sqrt().reshape(view)
               * torch.randn((len(bi),) + feat, generator=gen, dtype=torch.float64))
        cs = torch.cumsum(inc, 0)
        pos = torch.arange(len(bi))
        start = torch.cummax(torch.where(first, pos, torch.zeros_like(pos)), 0).values
        base = torch.where((start > 0).reshape(view), cs[(start - 1).clamp_min(0)],
                           torch.zeros_like(cs))
        Y = cs - base  # path / A at each (sample, tau)
        At = torch.as_tensor(A)[tau].reshape(view)
        St = torch.as_tensor(S)[tau].reshape(view)
        xh = (At * x[bi].double() + St * s0[bi].double() + At * Y).to(x.dtype)
        tt = t - tau
        ab = schedule.torch_abar()[tt]
        si = -cm(xh, tt, bi).double() / (1.0 - ab).sqrt().reshape(view)
        G = (p * torch.as_tensor(Bc[K])[tau + 1]).reshape(view)
        corr.index_add_(0, bi, (G * (si - s0[bi].double())).to(x.dtype))
        last = torch.ones_like(first)
        last[:-1] = bi[1:] != bi[:-1]
        Yend[bi[last]] = Y[last]
        qlast[bi[last]] = Qt[last]
    sd = (Q[K] - qlast).clamp_min(0).sqrt().reshape(view)
    Yend = Yend + sd * torch.randn((Bsz,) + feat, generator=gen, dtype=torch.float64)
    return (A[K] * x.double() + S[K] * s0.double() + A[K] * Yend).to(x.dtype) + corr
