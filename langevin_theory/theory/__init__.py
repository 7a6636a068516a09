"""Symbolic theory of the Poisson Midpoint Method (sympy), for tests, reports and teaching.

Kandasamy & Nagaraj, "The Poisson Midpoint Method for Langevin Dynamics" (NeurIPS 2024,
arXiv 2405.17068); section numbers "notes x.y" refer to ``shared/reference/plmc_paper_notes.md``.

Submodules (loaded on first access, so ``import langevin_theory.theory`` stays cheap; nothing
is simplified at import time and every derivation is cached with ``functools.lru_cache``):

``coefficients``
    A_h, G_h, Γ_h² of OLMC and ULMC (paper Section 2, notes 1.1).
``identities``
    Scaling relations, one-step form = recursion (8), E_H[K H] = 1, the conditional mean of one
    step, the ULMC correction vector, Gaussian perturbation KLs -- as residuals proved zero.
``gaussian_bias``
    Stationary variances of LMC, ULMC, RLMC and PLMC (both options) on N(0, σ²), their series
    in the step and leading bias orders; :func:`stationary_variance` for numeric comparisons.
``bounds``
    Theorems 1-3 as expressions, Eq. (40) re-derived from Theorem 1 and the App. E lemmas,
    App. G parameter choices, a time-dimension check.
``complexity``
    The complexity table of notes 4.6 (paper Table 1) derived from the bounds.

Command line: ``python -m langevin_theory.theory`` (or :func:`main`) prints the derived rates
and the complexity table.
"""
from __future__ import annotations

import importlib

__all__ = ["coefficients", "identities", "gaussian_bias", "bounds", "complexity",
           "stationary_variance", "main"]

_SUBMODULES = ("coefficients", "identities", "gaussian_bias", "bounds", "complexity")


def stationary_variance(scheme_name, step, sigma2, K=None, option=None, friction=None):
    """Stationary (position) variance of a scheme on N(0, sigma2); see
    :func:`langevin_theory.theory.gaussian_bias.stationary_variance`."""
    from .gaussian_bias import stationary_variance as _sv

    return _sv(scheme_name, step, sigma2, K=K, option=option, friction=friction)


def main(argv=None):
    """Print the derived rates and the complexity table (``langevin-theory theory``).

    See :func:`langevin_theory.theory.__main__.main`.
    """
    from .__main__ import main as _main

    return _main(argv)


def __getattr__(name):
    if name in _SUBMODULES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'langevin_theory.theory' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_SUBMODULES))
