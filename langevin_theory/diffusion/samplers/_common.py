"""Shared pieces of the samplers: coefficient variants, the result type, input handling.

Every reverse step in this package has the linear-Gaussian form of the paper's App. A,

    x_s = a * x_t + b * score(x_t, t) + sigma * z,      z ~ N(0, I),          (A.1)

from a training timestep ``t`` to an earlier one ``s < t`` (``s = -1`` is clean data), where
``score = -eps / sqrt(1 - abar_t)``.  :func:`step_coefficients` returns ``(a, b, sigma)`` for
each coefficient variant of App. A.5/A.6 (notes section 3.4), for a fine step (``s = t-1``) or
a strided one.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ..schedules import VPSchedule

__all__ = ["VARIANTS", "step_coefficients", "SampleResult", "init_noise", "progress_iter"]

#: DDPM / PMM coefficient variants.  "1a".."1d": the exponential-integrator Variant 1 with
#: sigma^2 = beta/(1 + i beta), i = -1, 0, 1, 2; "2": DDIM eta=1 (= Ho et al. posterior
#: variance); "3": DDIM with the lower variance (1 - abar_s) beta; "ddim": eta = 0.
VARIANTS = ("1a", "1b", "1c", "1d", "2", "3", "ddim")
_SUB = {"1a": -1, "1b": 0, "1c": 1, "1d": 2}


def step_coefficients(variant: str, abar_t: float, abar_s: float):
    r"""Coefficients ``(a, b, sigma)`` of Eq. (A.1) for one step ``t -> s``.

    Let ``alpha = abar_t / abar_s`` and ``beta = 1 - alpha`` (for a fine step these are
    ``alpha_t`` and ``beta_t``).

    **Variant 1** (paper App. A.5, "DDPM Variant 1"): the exponential integrator of the
    reverse VP SDE ``dY = (Y/2 + score) du + dB_u`` (``u`` = integrated beta) over
    ``u in [0, -log alpha]`` with the score frozen at the start:

    .. math:: a = 1/\sqrt{\alpha},\quad b = 2(1-\sqrt{\alpha})/\sqrt{\alpha},
              \quad \sigma^2 = \beta / (1 + i\beta)

    ``i = -1`` (1a) gives the exact OU variance ``e^{u} - 1 = beta / (1 - beta)``; 1b, 1c,
    1d (``i = 0, 1, 2``) lower it.  Written with the eps-network the drift term is
    ``-2 (1 - sqrt(alpha)) / (sqrt(alpha) sqrt(1 - abar_t)) eps``: the OCR'd text of the paper
    shows ``(1 - abar_t)`` without the square root and the index ``t+1``; the derivation above
    fixes both (square root; the step maps ``x_t`` to ``x_{t-1}`` and uses ``alpha_t``).
    The final step into data (``s = -1``) adds no noise (``sigma = 0``), as in Ho et al.

    **Variants 2, 3, ddim** (the LDM DDIM update, notes 3.4):
    ``x_s = sqrt(abar_s) x0_hat + sqrt(1 - abar_s - sigma^2) eps + sigma z`` with
    ``x0_hat = (x_t - sqrt(1-abar_t) eps)/sqrt(abar_t)``, hence
    ``a = sqrt(abar_s/abar_t)`` and eps-coefficient
    ``c = sqrt(1 - abar_s - sigma^2) - sqrt(abar_s (1-abar_t)/abar_t)``, ``b = -c sqrt(1-abar_t)``.
    Variant 2: ``sigma^2 = (1-abar_s)/(1-abar_t) * beta`` (DDIM eta = 1, Ho et al.'s posterior
    variance).  Variant 3: ``sigma^2 = (1-abar_s) * beta`` (lower); *interpretive choice*: the
    eps-coefficient ``c`` is recomputed with this sigma (the DDIM formula), the paper does not
    say.  ``ddim``: ``sigma = 0``.
    """
    if variant == "1":
        variant = "1a"
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {VARIANTS}")
    if not (0 < abar_t < abar_s <= 1):
        raise ValueError(f"need 0 < abar_t < abar_s <= 1, got {abar_t}, {abar_s}")
    alpha = abar_t / abar_s
    beta = 1.0 - alpha
    final = abar_s >= 1.0
    if variant in _SUB:
        sa = math.sqrt(alpha)
        a = 1.0 / sa
        b = 2.0 * (1.0 - sa) / sa
        sig2 = 0.0 if final else beta / (1.0 + _SUB[variant] * beta)
        return a, b, math.sqrt(sig2)
    if variant == "2":
        sig2 = (1.0 - abar_s) / (1.0 - abar_t) * beta
    elif variant == "3":
        sig2 = (1.0 - abar_s) * beta
    else:
        sig2 = 0.0
    a = math.sqrt(abar_s / abar_t)
    c = math.sqrt(max(1.0 - abar_s - sig2, 0.0)) - math.sqrt(abar_s * (1.0 - abar_t) / abar_t)
    b = -c * math.sqrt(1.0 - abar_t)
    return a, b, math.sqrt(sig2)


@dataclass
class SampleResult:
    """Samples and the exact network-call accounting of one sampler run.

    Attributes
    ----------
    samples : torch.Tensor
        ``(B, *shape)`` final states (clean-data estimates).
    nfe : float
        Network evaluations per sample, averaged over the batch (the paper's NFE).
    nfe_per_sample : torch.Tensor
        int64 ``(B,)``: evaluations of each sample (differs between samples only for PMM
        OPTION 1).
    n_forward : int
        Batched forward invocations actually made.
    info : dict
        Sampler-specific extras (e.g. ``K``, ``option``, ``steps``).
    """

    samples: torch.Tensor
    nfe: float
    nfe_per_sample: torch.Tensor
    n_forward: int
    info: dict = field(default_factory=dict)


def init_noise(shape_or_xT, *, generator=None, dtype=torch.float64, device="cpu"):
    """``x_T ~ N(0, I)`` of ``shape`` (batch first), or a copy of a given tensor."""
    if torch.is_tensor(shape_or_xT):
        x = shape_or_xT.detach().clone()
        if not torch.isfinite(x).all():
            raise ValueError("x_T contains non-finite values")
        return x
    shape = tuple(int(s) for s in shape_or_xT)
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"shape must be (batch, *dims) with positive entries, got {shape}")
    return torch.randn(shape, generator=generator, dtype=dtype, device=device)


def progress_iter(it, progress: bool, desc: str, total=None):
    if not progress:
        return it
    from tqdm.auto import tqdm
    return tqdm(it, desc=desc, total=total, leave=False)


def check_finite(x: torch.Tensor, where: str):
    if not torch.isfinite(x).all():
        raise FloatingPointError(f"non-finite state produced at {where}")


def as_generator(generator):
    """Accept ``None``, an int seed or a ``torch.Generator``."""
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, (int, np.integer)):
        return torch.Generator().manual_seed(int(generator))
    raise TypeError("generator must be None, an int or a torch.Generator")
