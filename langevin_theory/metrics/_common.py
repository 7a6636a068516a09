"""Input validation and small helpers shared by the metrics."""
from __future__ import annotations

import numpy as np


def as_sample_1d(x, name="x") -> np.ndarray:
    """A finite float64 1-D sample from shape (n,) or (n, 1)."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-D sample of shape (n,) or (n, 1); got {a.shape}")
    if a.size < 2:
        raise ValueError(f"{name} needs at least 2 points")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def as_sample_nd(x, name="x") -> np.ndarray:
    """A finite float64 sample of shape (n, d) (a 1-D array is read as (n, 1))."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise ValueError(f"{name} must have shape (n, d); got {a.shape}")
    if a.shape[0] < 2:
        raise ValueError(f"{name} needs at least 2 points")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or inf")
    return a


def is_law(y) -> bool:
    """True for law objects (GridLaw, Normal1D, ...): they have ``quantile`` and ``cdf``."""
    return hasattr(y, "quantile") and hasattr(y, "cdf") and not isinstance(y, np.ndarray)


def symmetrise(x: np.ndarray, center: float = 0.0) -> np.ndarray:
    """x union (2 c - x): the sample reflected about ``center`` and appended.

    Valid only when the law that produced ``x`` is symmetric about ``center`` (e.g. a chain
    started from a symmetric law on a symmetric target, such as LogCosh about 0). The result
    is a sample of twice the size whose points come in dependent pairs; the metrics account
    for that dependence in their documented floors.
    """
    return np.concatenate([x, 2.0 * center - x], axis=0)


def rng_of(rng):
    return np.random.default_rng(rng)
