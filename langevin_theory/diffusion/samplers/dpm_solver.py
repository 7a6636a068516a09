"""Multistep DPM-Solver (Lu et al. 2022, "DPM-Solver" Alg. for the noise-prediction model,
orders 1-3), the ODE baseline the paper tunes (App. A.4: ``algorithm_type='dpmsolver'``,
``method='multistep'``).  Implemented from the paper / official code, no diffusers needed.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from ..models import CountingModel
from ..schedules import VPSchedule, trailing_timesteps
from ._common import SampleResult, as_generator, check_finite, init_noise, progress_iter

__all__ = ["dpm_solver_sample", "dpm_solver_timesteps"]

SKIP_TYPES = ("time_uniform", "logSNR")


def dpm_solver_timesteps(schedule: VPSchedule, steps: int, skip_type: str = "time_uniform"):
    """Decreasing integer timesteps ``t_0 = N-1 > ... > t_{S-1}`` followed by ``-1``.

    ``time_uniform`` is the trailing grid; ``logSNR`` is uniform in
    ``lambda_t = log(sqrt(abar)/sqrt(1-abar))`` between ``t = N-1`` and ``t = 0``, rounded to
    the nearest trained timestep (the models are trained on integer timesteps only), then made
    strictly decreasing (collisions near ``t = 0`` move to the next free timestep).
    """
    N = schedule.n_steps
    if skip_type == "time_uniform":
        return trailing_timesteps(N, steps)
    if skip_type != "logSNR":
        raise ValueError(f"skip_type must be one of {SKIP_TYPES}, got {skip_type!r}")
    if int(steps) != steps or not 1 <= steps <= N:
        raise ValueError(f"steps must be an integer in [1, {N}]")
    lam = schedule.log_snr(np.arange(N))
    if steps == 1:
        ts = np.array([N - 1])
    else:
        targets = np.linspace(lam[N - 1], lam[0], steps)
        ts = np.array([int(np.argmin(np.abs(lam - v))) for v in targets])
        # near t = 0 one trained step can span more than the lambda spacing: make the grid
        # strictly decreasing by moving colliding points to the next free timestep
        for j in range(1, steps):
            ts[j] = min(ts[j], ts[j - 1] - 1)
        for j in range(steps - 1, -1, -1):
            ts[j] = max(ts[j], steps - 1 - j, ts[j + 1] + 1 if j < steps - 1 else 0)
    if len(np.unique(ts)) != steps or np.any(np.diff(ts) >= 0) or ts.min() < 0:
        raise ValueError(f"logSNR grid with {steps} steps has repeated timesteps")
    return np.concatenate([ts, [-1]])


def dpm_solver_sample(model, shape_or_xT, schedule: VPSchedule, *, steps: int = 20,
                      order: int = 2, skip_type: str = "time_uniform", generator=None,
                      callback=None, progress=False, dtype=torch.float64) -> SampleResult:
    r"""Multistep DPM-Solver-``order`` with ``steps`` network calls.

    With ``alpha_t = sqrt(abar_t)``, ``sigma_t = sqrt(1-abar_t)``,
    ``lambda = log(alpha/sigma)``, ``h = lambda_t - lambda_{s_0}``, ``phi_1 = e^h - 1``,
    ``phi_2 = phi_1/h - 1``, ``phi_3 = phi_2/h - 1/2`` and the previous eps-evaluations
    ``e_0, e_1, e_2`` at ``s_0 > s_1 > s_2`` (``r_k = h_k / h``):

    .. math::
        x_t = \frac{\alpha_t}{\alpha_{s_0}} x - \sigma_t\phi_1 e_0 - \sigma_t \phi_2 D_1
              - \sigma_t \phi_3 D_2

    (order 3; order 2 uses ``-1/2 sigma_t phi_1 D1_0``; order 1 is DDIM).  Lower orders are
    used at the first steps; the last step (into clean data, ``lambda = inf``) is first
    order, written as ``x_0 = (x - sigma_s e_0)/alpha_s``, and with fewer than 15 steps the
    second-to-last is at most second order (the official code's / diffusers'
    ``lower_order_final``).
    """
    if order not in (1, 2, 3):
        raise ValueError(f"order must be 1, 2 or 3, got {order}")
    gen = as_generator(generator)
    ts = dpm_solver_timesteps(schedule, steps, skip_type)
    x = init_noise(shape_or_xT, generator=gen, dtype=dtype)
    cm = CountingModel(model)
    cm.reset(x.shape[0])
    ab = schedule.abar
    al = lambda t: math.sqrt(ab(t))  # noqa: E731
    sg = lambda t: math.sqrt(1.0 - ab(t))  # noqa: E731
    lam = lambda t: math.log(al(t)) - math.log(sg(t))  # noqa: E731
    hist = []  # (t, eps), most recent last
    for j in progress_iter(range(steps), progress, f"dpm-solver-{order}", steps):
        s0, t = int(ts[j]), int(ts[j + 1])
        e0 = cm(x, s0)
        hist.append((s0, e0))
        hist = hist[-3:]
        k = min(order, j + 1)
        if j == steps - 2 and steps < 15:  # diffusers' lower_order_final rule
            k = min(k, 2)
        if t == -1:  # final step into data: first order, x0-prediction
            x = (x - sg(s0) * e0) / al(s0)
        else:
            h = lam(t) - lam(s0)
            phi1 = math.expm1(h)
            x_new = (al(t) / al(s0)) * x - sg(t) * phi1 * e0
            if k >= 2:
                s1, e1 = hist[-2]
                r0 = (lam(s0) - lam(s1)) / h
                D1_0 = (e0 - e1) / r0
                if k == 2:
                    x_new = x_new - 0.5 * sg(t) * phi1 * D1_0
                else:
                    s2, e2 = hist[-3]
                    r1 = (lam(s1) - lam(s2)) / h
                    D1_1 = (e1 - e2) / r1
                    D1 = D1_0 + r0 / (r0 + r1) * (D1_0 - D1_1)
                    D2 = (D1_0 - D1_1) / (r0 + r1)
                    phi2 = phi1 / h - 1.0
                    phi3 = phi2 / h - 0.5
                    x_new = x_new - sg(t) * phi2 * D1 - sg(t) * phi3 * D2
            x = x_new
        check_finite(x, f"dpm-solver step {j} (t={s0})")
        if callback is not None:
            callback(j, s0, x)
    return SampleResult(x, float(cm.per_sample.double().mean()), cm.per_sample, cm.n_forward,
                        {"steps": steps, "order": order, "skip_type": skip_type,
                         "sampler": f"dpm_solver{order}"})
