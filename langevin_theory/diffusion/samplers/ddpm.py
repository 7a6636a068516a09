"""DDPM ancestral sampling (full 1000 steps or strided), with the paper's coefficient variants.

Each step is Eq. (A.1) of :mod:`._common`: ``x_s = a x_t + b score(x_t, t) + sigma z`` on the
timestep grid of :func:`~langevin_theory.diffusion.schedules.trailing_timesteps`.
"""
from __future__ import annotations

import torch

from ..models import CountingModel
from ..schedules import VPSchedule, trailing_timesteps
from ._common import (SampleResult, as_generator, check_finite, init_noise, progress_iter,
                      step_coefficients)

__all__ = ["ddpm_sample", "strided_sample"]


def strided_sample(model, shape_or_xT, schedule: VPSchedule, *, steps: int, variant: str,
                   generator=None, callback=None, progress=False, dtype=torch.float64,
                   always_draw_noise=True, name="ddpm"):
    """Run Eq. (A.1) on the trailing grid with ``steps`` network calls (one per step).

    ``always_draw_noise``: draw ``z`` at every step even when ``sigma = 0`` so that random
    streams line up with :func:`~.pmm.pmm_sample` (pathwise tests).
    """
    gen = as_generator(generator)
    ts = trailing_timesteps(schedule.n_steps, steps)
    x = init_noise(shape_or_xT, generator=gen, dtype=dtype)
    cm = CountingModel(model)
    cm.reset(x.shape[0])
    abar = schedule.abar
    for j in progress_iter(range(steps), progress, name, steps):
        t, s = int(ts[j]), int(ts[j + 1])
        a, b, sig = step_coefficients(variant, abar(t), abar(s))
        eps = cm(x, t)
        score = -eps / (1.0 - abar(t)) ** 0.5
        x = a * x + b * score
        if always_draw_noise or sig > 0:
            z = torch.randn(x.shape, generator=gen, dtype=x.dtype)
            x = x + sig * z
        check_finite(x, f"{name} step {j} (t={t})")
        if callback is not None:
            callback(j, t, x)
    return SampleResult(x, float(cm.per_sample.double().mean()), cm.per_sample, cm.n_forward,
                        {"steps": steps, "variant": variant, "sampler": name})


def ddpm_sample(model, shape_or_xT, schedule: VPSchedule, *, steps: int = 1000,
                variant: str = "2", generator=None, callback=None, progress=False,
                dtype=torch.float64) -> SampleResult:
    """DDPM ancestral sampler (paper App. A.5 "DDPM" variants 1a-1d, 2, 3).

    Parameters
    ----------
    model : callable
        ``eps_model(x, t)``.
    shape_or_xT : tuple or torch.Tensor
        ``(batch, *dims)`` to draw ``x_{N-1} ~ N(0, I)``, or the starting tensor.
    schedule : VPSchedule
    steps : int
        Number of steps = network calls; ``1000`` is the full chain, fewer strides the grid
        (``N-1, N-1-c, ...`` with ``c = N/steps`` when it divides, diffusers' "trailing").
    variant : str
        One of ``"1a", "1b", "1c", "1d", "2", "3"`` (see
        :func:`~._common.step_coefficients`; ``"1"`` means ``"1a"``).
    generator : torch.Generator or int, optional
    callback : callable, optional
        ``callback(step_index, t, x)`` after every step.
    progress : bool
        Show a tqdm bar.

    Returns
    -------
    SampleResult
        ``nfe == steps`` exactly.
    """
    if variant == "ddim":
        raise ValueError("use ddim_sample for eta = 0")
    return strided_sample(model, shape_or_xT, schedule, steps=steps, variant=variant,
                          generator=generator, callback=callback, progress=progress,
                          dtype=dtype, name="ddpm")
