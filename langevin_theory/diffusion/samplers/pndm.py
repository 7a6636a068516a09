"""PNDM / PLMS (Liu et al. 2022, "Pseudo numerical methods for diffusion models"), in the
pseudo-linear-multistep form of the LDM codebase (``ldm/models/diffusion/plms.py``).
"""
from __future__ import annotations

import torch

from ..models import CountingModel
from ..schedules import VPSchedule, trailing_timesteps
from ._common import (SampleResult, as_generator, check_finite, init_noise, progress_iter,
                      step_coefficients)

__all__ = ["pndm_sample"]


def pndm_sample(model, shape_or_xT, schedule: VPSchedule, *, steps: int = 20, generator=None,
                callback=None, progress=False, dtype=torch.float64) -> SampleResult:
    r"""PLMS sampler: DDIM transfer with a 4th-order Adams-Bashforth eps.

    .. math:: e' = (55 e_t - 59 e_{t-1} + 37 e_{t-2} - 9 e_{t-3}) / 24

    (orders 2 and 3, ``(3e_t - e_{t-1})/2`` and ``(23 e_t - 16 e_{t-1} + 5 e_{t-2})/12``,
    at the start); the first step averages ``e_t`` with a second evaluation at the DDIM
    proposal (Heun-like), so NFE = ``steps + 1`` exactly.  ``steps >= 2``.
    """
    if int(steps) != steps or steps < 2:
        raise ValueError("PNDM needs steps >= 2")
    gen = as_generator(generator)
    ts = trailing_timesteps(schedule.n_steps, steps)
    x = init_noise(shape_or_xT, generator=gen, dtype=dtype)
    cm = CountingModel(model)
    cm.reset(x.shape[0])
    ab = schedule.abar

    def transfer(x, eps, t, s):
        a, b, _ = step_coefficients("ddim", ab(t), ab(s))
        return a * x - b * eps / (1.0 - ab(t)) ** 0.5

    old = []
    for j in progress_iter(range(steps), progress, "pndm", steps):
        t, s = int(ts[j]), int(ts[j + 1])
        e = cm(x, t)
        if not old:
            xp = transfer(x, e, t, s)
            e_next = cm(xp, s)
            ep = (e + e_next) / 2
        elif len(old) == 1:
            ep = (3 * e - old[-1]) / 2
        elif len(old) == 2:
            ep = (23 * e - 16 * old[-1] + 5 * old[-2]) / 12
        else:
            ep = (55 * e - 59 * old[-1] + 37 * old[-2] - 9 * old[-3]) / 24
        old = (old + [e])[-3:]
        x = transfer(x, ep, t, s)
        check_finite(x, f"pndm step {j} (t={t})")
        if callback is not None:
            callback(j, t, x)
    return SampleResult(x, float(cm.per_sample.double().mean()), cm.per_sample, cm.n_forward,
                        {"steps": steps, "sampler": "pndm"})
