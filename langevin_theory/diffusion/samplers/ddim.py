"""DDIM (eta = 0) with uniform (trailing) striding: Song, Meng & Ermon (2021), Eq. (12)."""
from __future__ import annotations

import torch

from ..schedules import VPSchedule
from ._common import SampleResult
from .ddpm import strided_sample

__all__ = ["ddim_sample"]


def ddim_sample(model, shape_or_xT, schedule: VPSchedule, *, steps: int = 50, generator=None,
                callback=None, progress=False, dtype=torch.float64) -> SampleResult:
    r"""Deterministic DDIM sampler.

    .. math:: x_s = \sqrt{\bar\alpha_s}\,\hat x_0 + \sqrt{1-\bar\alpha_s}\,\epsilon_\theta(x_t,t),
              \qquad \hat x_0 = (x_t - \sqrt{1-\bar\alpha_t}\,\epsilon_\theta)/\sqrt{\bar\alpha_t}

    on the trailing grid ``N-1, ..., -1`` with ``steps`` network calls. ``generator`` only
    draws ``x_T`` when a shape is given. Same signature and return type as
    :func:`~.ddpm.ddpm_sample`.
    """
    return strided_sample(model, shape_or_xT, schedule, steps=steps, variant="ddim",
                          generator=generator, callback=callback, progress=progress,
                          dtype=dtype, always_draw_noise=False, name="ddim")
