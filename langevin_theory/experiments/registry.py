"""Names -> objects for sweep specs and the CLI: targets, schemes (with K rules), dynamics."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["TARGETS", "make_target", "make_scheme", "make_dynamics", "resolve_substeps",
           "scheme_label", "target_label"]


def _mixture2():
    from ..targets import GaussianMixture
    return GaussianMixture([0.5, 0.5], [[-2.0], [2.0]], 0.25)


def _mixture4_2d():
    from ..targets import GaussianMixture
    means = [[-2.0, -2.0], [-2.0, 2.0], [2.0, -2.0], [2.0, 2.0]]
    return GaussianMixture([0.25] * 4, means, 0.5)


def _iso_mixture(dim=1):
    """1/2 N(-2 e_1, I_d) + 1/2 N(2 e_1, I_d): the LogCosh law in coordinate 1, N(0, 1) else."""
    from ..targets import GaussianMixture
    m = np.zeros((2, int(dim)))
    m[0, 0], m[1, 0] = -2.0, 2.0
    return GaussianMixture([0.5, 0.5], m, 1.0)


def _double_well(dim=1, tilt=0.0, scale=1.0):
    from ..targets import DoubleWell
    return DoubleWell(dim=int(dim), tilt=float(tilt), scale=float(scale))


def _logcosh(dim=1):
    from ..targets import LogCosh
    return LogCosh(dim=int(dim))


#: name -> (constructor, one-line description)
TARGETS = {
    "logcosh": (_logcosh, "F(x) = x^2/2 - log cosh(2x) (= 1/2 N(-2,1) + 1/2 N(2,1)), L = 3"),
    "double_well": (_double_well, "product double well sum x^4/4 - x^2/2 (dim, tilt, scale)"),
    "mixture2": (_mixture2, "1-D two-mode mixture 1/2 N(-2, 0.5^2) + 1/2 N(2, 0.5^2)"),
    "mixture4_2d": (_mixture4_2d, "2-D four-mode mixture, means (+-2, +-2), cov 0.5 I"),
    "iso_mixture": (_iso_mixture, "d-dim 1/2 N(-2 e1, I) + 1/2 N(2 e1, I)"),
}


def make_target(name: str, **kw):
    try:
        ctor = TARGETS[name][0]
    except KeyError:
        raise ValueError(f"unknown target {name!r}; available: {sorted(TARGETS)}") from None
    return ctor(**kw)


def target_label(name: str, dim: int = 1) -> str:
    return name if int(dim) == 1 or name in ("mixture2", "mixture4_2d") else f"{name}-d{dim}"


def resolve_substeps(rule, step_size: float) -> int:
    """K from a rule: an int, ``"c/alpha"`` (K = ceil(c/alpha)) or ``"1/alpha"``."""
    if isinstance(rule, (int, np.integer)) and not isinstance(rule, bool):
        if rule < 1:
            raise ValueError("substeps must be >= 1")
        return int(rule)
    s = str(rule).replace(" ", "")
    if s.endswith("/alpha"):
        c = float(s[:-len("/alpha")] or 1.0)
        return max(1, int(math.ceil(c / float(step_size) - 1e-9)))
    try:
        return resolve_substeps(int(s), step_size)
    except ValueError:
        raise ValueError(f"bad substeps rule {rule!r}: use an int or 'c/alpha'") from None


def make_scheme(name: str, step_size: float = 1.0, substeps=None, option: int = 2):
    from .. import schemes
    name = name.lower()
    if name == "lmc":
        return schemes.LMC()
    if name == "rlmc":
        return schemes.RandomizedMidpoint()
    if name == "plmc":
        K = resolve_substeps(substeps if substeps is not None else "1/alpha", step_size)
        return schemes.PoissonMidpoint(substeps=K, option=int(option))
    return schemes.get_scheme(name)


def scheme_label(name: str, substeps=None, option: int = 2) -> str:
    """``LMC``, ``RLMC``, ``PLMC-opt2-K=1/alpha`` (the rule, not its value)."""
    name = name.lower()
    if name == "lmc":
        return "LMC"
    if name == "rlmc":
        return "RLMC"
    if name == "plmc":
        rule = "1/alpha" if substeps is None else str(substeps)
        return f"PLMC-opt{int(option)}-K={rule}"
    return name.upper()


def make_dynamics(friction=None):
    from ..dynamics import Overdamped, Underdamped
    if friction is None or (isinstance(friction, float) and math.isnan(friction)) \
            or friction == 0:
        return Overdamped()
    return Underdamped(float(friction))
