"""Diffusion-model side of the Poisson midpoint method (torch; optional extra ``[torch]``).

Modules (one job each):

* :mod:`.schedules` -- VP/DDPM schedules (linear, scaled-linear, cosine; N = 1000).
* :mod:`.models` -- adapters turning eps/x0/v/score models into ``eps_model(x, t)``; NFE counting.
* :mod:`.samplers` -- DDPM (variants 1a-1d, 2, 3), DDIM, the Poisson midpoint method
  (OPTION 1/2), DPM-Solver (multistep, orders 1-3), PNDM/PLMS.
* :mod:`.oracle` -- Gaussian-mixture data with the exact VP score.
* :mod:`.metrics` -- W2 (1-D quantile, EMD, Bures), histogram KL, mode-weight TV, Fréchet.
* :mod:`.digits` -- residual-MLP eps-model and CNN feature net on scikit-learn's 8x8 digits.
* :mod:`.study` -- quality-vs-NFE sweeps, verdicts, figures.

``import langevin_theory`` never imports this subpackage (and hence never imports torch).
"""
from . import metrics, models, oracle, samplers, schedules
from .models import CountingModel, EpsAdapter, as_eps_model
from .oracle import GaussianMixture, GaussianMixtureOracle, preset_mixture
from .samplers import (SampleResult, ddim_sample, ddpm_sample, dpm_solver_sample,
                       expected_nfe, interpolation_constants, pmm_sample, pndm_sample,
                       step_coefficients)
from .schedules import VPSchedule, trailing_timesteps

__all__ = ["schedules", "models", "samplers", "oracle", "metrics", "VPSchedule",
           "trailing_timesteps", "EpsAdapter", "CountingModel", "as_eps_model",
           "GaussianMixture", "GaussianMixtureOracle", "preset_mixture", "SampleResult",
           "ddpm_sample", "ddim_sample", "pmm_sample", "dpm_solver_sample", "pndm_sample",
           "interpolation_constants", "expected_nfe", "step_coefficients"]
