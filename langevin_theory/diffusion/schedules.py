"""VP (DDPM) noise schedules on the 1000-step training grid.

Indexing follows Ho et al. (2020) in the 0-based form used by diffusers: training timesteps
``t = 0, ..., N-1``, ``alpha_t = 1 - beta_t`` and ``abar_t = prod_{s<=t} alpha_s``, so that the
forward marginal is ``x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps``.  The reverse samplers map
``x_t -> x_{t-1}``; the index ``t = -1`` denotes clean data and carries ``abar_{-1} := 1``
(see :meth:`VPSchedule.abar`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["VPSchedule", "trailing_timesteps"]


@dataclass(frozen=True, eq=False)
class VPSchedule:
    """A discrete variance-preserving schedule.

    Parameters
    ----------
    betas : numpy.ndarray
        ``beta_t`` for ``t = 0..N-1`` (float64, each in (0, 1)).
    name : str
        Label used in reports.

    Notes
    -----
    The paper (Kandasamy & Nagaraj 2024, App. A) uses the LDM "linear" schedule (which is
    diffusers' ``scaled_linear``: ``beta = linspace(sqrt(b0), sqrt(b1), N)**2``) with
    ``N = 1000``; its Eq. (3)-(4) reverse process and all samplers here only need ``abar_t``.
    """

    betas: np.ndarray
    name: str = "custom"

    def __post_init__(self):
        b = np.asarray(self.betas, dtype=np.float64)
        if b.ndim != 1 or b.size < 1:
            raise ValueError("betas must be a non-empty 1-D array")
        if not np.all((b > 0) & (b < 1)):
            raise ValueError("every beta_t must lie in (0, 1)")
        object.__setattr__(self, "betas", b)
        object.__setattr__(self, "alphas", 1.0 - b)
        object.__setattr__(self, "alphas_cumprod", np.cumprod(1.0 - b))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def linear(cls, n_steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02):
        """Ho et al. (2020) linear schedule ``beta_t = linspace(beta_start, beta_end, N)``."""
        _check_n(n_steps)
        return cls(np.linspace(beta_start, beta_end, n_steps), name="linear")

    @classmethod
    def scaled_linear(cls, n_steps: int = 1000, beta_start: float = 0.00085,
                      beta_end: float = 0.012):
        """LDM / Stable-Diffusion schedule ``beta_t = linspace(sqrt(b0), sqrt(b1), N)**2``.

        The paper's LDM FFHQ config uses ``beta_start=0.0015, beta_end=0.0195``.
        """
        _check_n(n_steps)
        return cls(np.linspace(math.sqrt(beta_start), math.sqrt(beta_end), n_steps) ** 2,
                   name="scaled_linear")

    @classmethod
    def cosine(cls, n_steps: int = 1000, s: float = 0.008, max_beta: float = 0.999):
        """Nichol & Dhariwal (2021) cosine schedule, ``abar(u) = cos^2((u+s)/(1+s) pi/2)``."""
        _check_n(n_steps)
        f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
        b = [min(1 - f((i + 1) / n_steps) / f(i / n_steps), max_beta) for i in range(n_steps)]
        return cls(np.asarray(b), name="cosine")

    @classmethod
    def from_name(cls, name: str, n_steps: int = 1000, **kw):
        table = {"linear": cls.linear, "scaled_linear": cls.scaled_linear, "cosine": cls.cosine}
        if name not in table:
            raise ValueError(f"unknown schedule {name!r}; choose from {sorted(table)}")
        return table[name](n_steps, **kw)

    # ------------------------------------------------------------------ accessors
    @property
    def n_steps(self) -> int:
        return int(self.betas.size)

    def abar(self, t) -> np.ndarray | float:
        """``abar_t`` with the convention ``abar_{-1} = 1`` (clean data). Accepts ints or arrays."""
        if isinstance(t, (int, np.integer)):
            if not -1 <= t < self.n_steps:
                raise ValueError(f"timestep out of range [-1, {self.n_steps - 1}]")
            return 1.0 if t == -1 else float(self.alphas_cumprod[t])
        t_arr = np.asarray(t)
        if np.any(t_arr < -1) or np.any(t_arr >= self.n_steps):
            raise ValueError(f"timestep out of range [-1, {self.n_steps - 1}]")
        out = np.where(t_arr >= 0, self.alphas_cumprod[np.clip(t_arr, 0, None)], 1.0)
        return float(out) if out.ndim == 0 else out

    def log_snr(self, t):
        """``lambda_t = log(sqrt(abar_t) / sqrt(1 - abar_t))`` (DPM-Solver's half log-SNR)."""
        a = np.asarray(self.abar(t), dtype=np.float64)
        return 0.5 * (np.log(a) - np.log1p(-a))

    def torch_abar(self, dtype=torch.float64) -> torch.Tensor:
        return torch.as_tensor(self.alphas_cumprod, dtype=dtype)


def _check_n(n):
    if int(n) != n or n < 1:
        raise ValueError("n_steps must be a positive integer")


def trailing_timesteps(n_train: int, n_steps: int) -> np.ndarray:
    """Decreasing timesteps ``t_0 > ... > t_{S-1}`` for an ``S``-step sampler, then ``-1``.

    ``t_j = round(N - j N / S) - 1``: the first step starts at ``N-1`` (pure noise) and, when
    ``S`` divides ``N``, the grid is ``N-1, N-1-c, ..., c-1`` with stride ``c = N/S`` -- the same
    coarse grid as the Poisson midpoint method with ``K = c`` (diffusers' ``"trailing"``).
    The returned array has ``S + 1`` entries, the last being ``-1`` (clean data).
    """
    if int(n_steps) != n_steps or not 1 <= n_steps <= n_train:
        raise ValueError(f"number of steps must be an integer in [1, {n_train}], got {n_steps}")
    ts = np.round(np.arange(n_train, 0, -n_train / n_steps)).astype(np.int64) - 1
    ts = ts[:n_steps]
    if len(np.unique(ts)) != n_steps:  # pragma: no cover - cannot happen for S <= N
        raise ValueError("timestep grid has repeated entries")
    return np.concatenate([ts, [-1]])
