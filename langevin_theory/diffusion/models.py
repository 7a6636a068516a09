"""Model adapters: every parameterisation becomes ``eps_model(x, t) -> eps``.

A sampler only ever sees a callable ``eps_model(x, t)`` where ``x`` has shape ``(B, *shape)``
and ``t`` is an int64 tensor of shape ``(B,)`` holding training timesteps in ``0..N-1``.  Any
``torch.nn.Module`` with that call signature works.  Conversions (VP marginal
``x_t = sqrt(abar_t) x0 + sqrt(1-abar_t) eps``, ``v = sqrt(abar_t) eps - sqrt(1-abar_t) x0``):

* x0-prediction: ``eps = (x - sqrt(abar) x0) / sqrt(1-abar)``
* v-prediction:  ``eps = sqrt(abar) v + sqrt(1-abar) x``
* score:         ``eps = -sqrt(1-abar) * score``

:class:`CountingModel` wraps a model and counts network evaluations per sample, which is how
every sampler reports its exact NFE.
"""
from __future__ import annotations

import torch
from torch import nn

from .schedules import VPSchedule

__all__ = ["EpsAdapter", "CountingModel", "DiffusersUNetAdapter", "as_eps_model",
           "score_from_eps"]


def _abar(schedule: VPSchedule, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    ab = schedule.torch_abar(x.dtype).to(x.device)[t.long()]
    return ab.reshape(-1, *([1] * (x.dim() - 1)))


class EpsAdapter(nn.Module):
    """Convert an x0-, v- or score-parameterised model into an eps-model.

    Parameters
    ----------
    model : callable
        ``model(x, t)`` returning the quantity named by ``parameterization``.
    schedule : VPSchedule
    parameterization : {"eps", "x0", "v", "score"}
    """

    KINDS = ("eps", "x0", "v", "score")

    def __init__(self, model, schedule: VPSchedule, parameterization: str = "eps"):
        super().__init__()
        if parameterization not in self.KINDS:
            raise ValueError(f"parameterization must be one of {self.KINDS}, "
                             f"got {parameterization!r}")
        self.model = model
        self.schedule = schedule
        self.parameterization = parameterization

    def forward(self, x, t):
        out = self.model(x, t)
        if self.parameterization == "eps":
            return out
        ab = _abar(self.schedule, t, x)
        if self.parameterization == "x0":
            return (x - ab.sqrt() * out) / (1 - ab).sqrt()
        if self.parameterization == "v":
            return ab.sqrt() * out + (1 - ab).sqrt() * x
        return -(1 - ab).sqrt() * out  # score


def as_eps_model(model, schedule: VPSchedule | None = None, parameterization: str = "eps"):
    """Return ``model`` itself for eps-models, an :class:`EpsAdapter` otherwise."""
    if parameterization == "eps":
        return model
    if schedule is None:
        raise ValueError("a schedule is needed to convert a non-eps parameterisation")
    return EpsAdapter(model, schedule, parameterization)


def score_from_eps(eps: torch.Tensor, abar_t: float) -> torch.Tensor:
    """``grad log p_t(x) = -eps / sqrt(1 - abar_t)``."""
    return -eps / (1.0 - abar_t) ** 0.5


class CountingModel:
    """Wrap ``eps_model`` and count evaluations.

    ``n_forward`` counts batched invocations; ``per_sample`` (int64 tensor over the batch,
    created by :meth:`reset`) counts how many times each sample was evaluated, which is the
    paper's NFE ("number of neural network calls", App. A.2).  Call as
    ``cm(x, t, idx)`` where ``idx`` (optional) indexes the samples of the full batch that
    ``x`` holds.
    """

    def __init__(self, eps_model):
        self.eps_model = eps_model
        self.n_forward = 0
        self.per_sample = None

    def reset(self, batch: int):
        self.n_forward = 0
        self.per_sample = torch.zeros(batch, dtype=torch.int64)

    def __call__(self, x, t, idx=None):
        if isinstance(t, int) or (torch.is_tensor(t) and t.dim() == 0):
            t = torch.full((x.shape[0],), int(t), dtype=torch.int64, device=x.device)
        self.n_forward += 1
        if idx is None:
            self.per_sample += 1
        else:  # index_add_: a sample may appear several times in one batched call
            self.per_sample.index_add_(0, idx, torch.ones_like(idx, dtype=torch.int64))
        with torch.no_grad():
            return self.eps_model(x, t)


class DiffusersUNetAdapter(nn.Module):
    """Optional adapter for diffusers' ``UNet2DModel`` (returns ``.sample``).

    diffusers is never imported here; the adapter only calls the module it is given.
    """

    def __init__(self, unet, parameterization: str = "eps", schedule: VPSchedule | None = None):
        super().__init__()
        self.unet = unet
        self.inner = as_eps_model(lambda x, t: self.unet(x, t).sample, schedule,
                                  parameterization)

    def forward(self, x, t):
        return self.inner(x, t)
