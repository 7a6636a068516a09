"""Base class and registry of the sampling schemes."""
from __future__ import annotations

__all__ = ["Scheme", "register", "get_scheme", "available_schemes"]

_REGISTRY: dict = {}


def register(cls):
    """Class decorator: make a scheme constructible by name (CLI, sweep specs)."""
    _REGISTRY[cls.key] = cls
    return cls


def get_scheme(name: str, **kwargs):
    """Construct a scheme from its registry name (``"lmc"``, ``"rlmc"``, ``"plmc"``)."""
    try:
        cls = _REGISTRY[name.lower()]
    except KeyError:
        raise ValueError(f"unknown scheme {name!r}; available: {sorted(_REGISTRY)}") from None
    return cls(**kwargs)


def available_schemes():
    return dict(_REGISTRY)


class Scheme:
    """A one-step discretisation of Langevin dynamics.

    Class attributes (metadata read by tests, reports and the CLI)
    ---------------------------------------------------------------
    key : str
        Registry name.
    grad_evals_per_step : float
        Expected gradient evaluations per step (per chain).
    randomness : str
        What randomness one step consumes.
    reference : str
        The paper and equation the scheme implements.
    kernel_id : int
        Which step kernel the driver calls.
    """

    key = "scheme"
    grad_evals_per_step = 1.0
    randomness = ""
    reference = ""
    kernel_id = -1

    #: fine steps of the Brownian path a step of size ``step`` needs: step / unit
    def substep(self, step_size: float) -> float:
        """The smallest time unit of one step (the grid its noise lives on)."""
        return step_size

    def label(self) -> str:
        return type(self).__name__

    def __repr__(self):
        return f"{type(self).__name__}()"

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __hash__(self):
        return hash((type(self).__name__, tuple(sorted(self.__dict__.items()))))
