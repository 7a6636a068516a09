"""Rate fits: log-log slopes with confidence intervals (:func:`fit_rate`) and local slopes."""
from .rates import RateFit, fit_rate, local_slopes

__all__ = ["RateFit", "fit_rate", "local_slopes"]
