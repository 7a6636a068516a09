"""Sampling schemes: LMC, the randomized midpoint method and the Poisson midpoint method.

Each scheme is one file: a class with its metadata (registered by name for the CLI) and a
step kernel that the driver in :mod:`langevin_theory._driver` calls.
"""
from .base import Scheme, available_schemes, get_scheme, register
from .lmc import LMC
from .poisson_midpoint import PoissonMidpoint
from .randomized_midpoint import RandomizedMidpoint

__all__ = ["Scheme", "LMC", "RandomizedMidpoint", "PoissonMidpoint", "get_scheme",
           "available_schemes", "register"]
