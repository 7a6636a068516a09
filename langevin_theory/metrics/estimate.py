"""The value type returned by every metric: an estimate with its error bar and bias floor."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Estimate"]


@dataclass(frozen=True)
class Estimate:
    """A distance estimate with its uncertainty.

    Attributes
    ----------
    value : float
        The estimate (a W2 distance, a KL divergence or a TV distance).
    se : float
        Monte Carlo standard error of ``value`` (0 for closed forms and grid computations).
        It describes the fluctuation of ``value`` around its expectation; it is a
        delta-method (influence-function) standard error, reliable when ``value`` is well
        above ``floor``.
    floor : float
        Resolution floor at this sample size: the root-mean-square value of the estimator
        when the two laws are *identical*. For the positively biased estimators (sample W2,
        plug-in TV) this is, to within a few percent, their expected value on identical laws
        (their bias floor); for the bias-corrected ones (histogram / kNN KL) the expected value
        on identical laws is ~0 and ``floor`` is their null spread. Values below ~3 ``floor``
        carry no information about the distance (:func:`langevin_theory.analysis.fit_rate`
        excludes them). 0 for closed forms and grid computations.
    method : str
        Which estimator produced the number (with its key parameters).
    """

    value: float
    se: float = 0.0
    floor: float = 0.0
    method: str = ""

    def __post_init__(self):
        for name in ("value", "se", "floor"):
            v = getattr(self, name)
            object.__setattr__(self, name, float(v))
        if self.se < 0 or self.floor < 0 or np.isnan(self.se) or np.isnan(self.floor):
            raise ValueError(f"se and floor must be non-negative; got se={self.se}, "
                             f"floor={self.floor}")

    def __float__(self) -> float:
        return self.value

    @property
    def resolved(self) -> bool:
        """True when ``value`` exceeds three times ``floor`` (the rule used by ``fit_rate``)."""
        return self.value > 3.0 * self.floor

    def __repr__(self) -> str:
        return (f"Estimate(value={self.value:.6g}, se={self.se:.3g}, floor={self.floor:.3g}, "
                f"method={self.method!r})")
