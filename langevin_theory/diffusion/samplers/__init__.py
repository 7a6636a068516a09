"""Samplers for VP diffusion models; each returns a :class:`SampleResult` with exact NFE."""
from ._common import VARIANTS, SampleResult, step_coefficients
from .ddim import ddim_sample
from .ddpm import ddpm_sample
from .dpm_solver import dpm_solver_sample, dpm_solver_timesteps
from .pmm import expected_nfe, interpolation_constants, pmm_sample
from .pndm import pndm_sample

__all__ = ["VARIANTS", "SampleResult", "step_coefficients", "ddpm_sample", "ddim_sample",
           "pmm_sample", "interpolation_constants", "expected_nfe", "dpm_solver_sample",
           "dpm_solver_timesteps", "pndm_sample"]
