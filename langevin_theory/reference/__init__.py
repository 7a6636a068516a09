"""Ground truth that does not come from the thing under test.

* Exact target laws (:mod:`.exact`): closed-form 1-D laws (Gaussian, mixtures, LogCosh), the
  normalised density of any 1-D target on a grid (:func:`target_law`), quadrature for d <= 2,
  moments and exact samplers.
* 1-D laws on a grid (:class:`GridLaw`, :mod:`.grid`).
* Closed-form stationary laws of the chains on Gaussian targets (:mod:`.gaussian`).
* Monte-Carlo-free laws of LMC, RLMC and PLMC OPTION 2 in 1-D by propagating the transition
  kernel on a grid (:mod:`.propagate`).
* Monte Carlo laws with a declared sample size for everything else: OPTION 1, underdamped,
  d > 1 (:func:`monte_carlo_law`, via ``langevin_theory.simulate``).
"""
from .exact import (
                    Normal1D,
                    NormalMixture1D,
                    default_box,
                    exact_law,
                    exact_sampler,
                    moments,
                    quadrature_grid,
                    target_law,
)
from .gaussian import (
                    gaussian_lmc_stationary_cov,
                    gaussian_lmc_stationary_var,
                    gaussian_midpoint_stationary_var,
                    gaussian_ulmc_stationary_cov,
                    ulmc_coefficients,
)
from .grid import GridLaw, uniform_grid
from .montecarlo import MonteCarloLaw, monte_carlo_law
from .propagate import (
                    default_grid,
                    propagate,
                    scheme_u_law,
                    stationary_law,
                    transition_matrix,
)

__all__ = [
                    "GridLaw",
                    "MonteCarloLaw",
                    "Normal1D",
                    "NormalMixture1D",
                    "default_box",
                    "default_grid",
                    "exact_law",
                    "exact_sampler",
                    "gaussian_lmc_stationary_cov",
                    "gaussian_lmc_stationary_var",
                    "gaussian_midpoint_stationary_var",
                    "gaussian_ulmc_stationary_cov",
                    "moments",
                    "monte_carlo_law",
                    "propagate",
                    "quadrature_grid",
                    "scheme_u_law",
                    "stationary_law",
                    "target_law",
                    "transition_matrix",
                    "ulmc_coefficients",
                    "uniform_grid",
]
