"""langevin-theory: the Poisson Midpoint Method for Langevin dynamics, verified.

A reference implementation of the Poisson midpoint method (PLMC) of Kandasamy & Nagaraj
(NeurIPS 2024, arXiv 2405.17068) next to Langevin Monte Carlo (LMC) and the randomized
midpoint method (RLMC), with exact ground truths, distance estimators with error bars, rate
fits, symbolic checks of the theory and a torch path for diffusion models.

Quick start
-----------
>>> import langevin_theory as lt
>>> res = lt.simulate(lt.targets.LogCosh(), lt.schemes.PoissonMidpoint(substeps=8),
...                   step_size=0.125, n_steps=16, n_chains=1000, rng=0)
>>> res.positions.shape
(1000, 1)

``import langevin_theory`` never imports torch or matplotlib; the heavier submodules
(``reference``, ``metrics``, ``analysis``, ``theory``, ``experiments``, ``plotting``,
``diffusion``) load on first attribute access.
"""
from __future__ import annotations

import importlib

from . import dynamics, schemes, targets
from .brownian import BrownianPath
from .simulate import SimulationResult, simulate

__version__ = "0.1.0"

_LAZY = ("reference", "metrics", "analysis", "theory", "experiments", "plotting", "diffusion",
         "cli")

__all__ = ["targets", "dynamics", "schemes", "simulate", "SimulationResult", "BrownianPath",
           "__version__", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'langevin_theory' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
