r"""Log-log rate fits with confidence intervals.

Model: log err_i = c + s log x_i + e_i. :func:`fit_rate` estimates the slope s.

* Points with err_i <= 3 floor_i (an estimator's resolution floor, see
  :class:`~langevin_theory.metrics.Estimate`) carry no information about the rate: they are
  excluded and reported in ``RateFit.excluded``.
* With error bars ``err_se``, the fit is weighted least squares on the log scale with
  sigma_i = err_se_i / err_i (delta method); the slope's standard error is the WLS one,
  inflated by sqrt(chi^2 / (n - 2)) when that exceeds 1 (scatter beyond the error bars, e.g.
  curvature of a not-yet-asymptotic regime), and the interval uses Student's t with n - 2
  degrees of freedom. Without error bars it is ordinary least squares with the residual
  standard error.
* ``bootstrap=True``: the interval is the percentile interval of the slope over B
  parametric (err_i ~ N(err_i, err_se_i^2), truncated at a tiny positive value) or, without
  error bars, residual bootstrap replicates.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

__all__ = ["RateFit", "fit_rate", "local_slopes"]


@dataclass(frozen=True)
class RateFit:
    """Result of :func:`fit_rate`.

    Attributes
    ----------
    slope, ci_low, ci_high : float
        Estimated log-log slope and its confidence interval.
    intercept : float
        c in log err = c + slope log x (natural logs).
    n_used : int
        Number of points used in the fit.
    excluded : ndarray of bool
        Points excluded because err <= 3 floor (same order as the input).
    slope_se : float
        Standard error of the slope.
    confidence : float
    method : str
        "wls", "ols", "wls+bootstrap" or "ols+bootstrap".
    chi2_red : float
        Reduced chi-square of the weighted fit (nan without error bars).
    dropped_nonpositive : ndarray of bool
        Points dropped because err <= 0 or non-finite (cannot be log-transformed).
    """

    slope: float
    ci_low: float
    ci_high: float
    intercept: float
    n_used: int
    excluded: np.ndarray
    slope_se: float = float("nan")
    confidence: float = 0.95
    method: str = ""
    chi2_red: float = float("nan")
    dropped_nonpositive: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def predict(self, x):
        """exp(intercept) x^slope."""
        return np.exp(self.intercept) * np.asarray(x, float) ** self.slope

    def contains(self, s: float) -> bool:
        """True when s lies in [ci_low, ci_high]."""
        return self.ci_low <= s <= self.ci_high

    def __repr__(self):
        return (f"RateFit(slope={self.slope:.4f} [{self.ci_low:.4f}, {self.ci_high:.4f}] "
                f"@{self.confidence:g}, n_used={self.n_used}, "
                f"excluded={int(np.sum(self.excluded))}, method={self.method!r})")


def _wls(lx, ly, w):
    W = w.sum()
    mx, my = (w * lx).sum() / W, (w * ly).sum() / W
    sxx = (w * (lx - mx) ** 2).sum()
    if sxx <= 0:
        raise ValueError("fit_rate needs at least two distinct x values")
    s = (w * (lx - mx) * (ly - my)).sum() / sxx
    return s, my - s * mx, sxx


def _as1d(a, name, n=None):
    a = np.asarray(a, dtype=np.float64).ravel()
    if n is not None and a.size not in (1, n):
        raise ValueError(f"{name} must have the same length as x (or be a scalar)")
    return np.broadcast_to(a, (n,)).copy() if n is not None else a


def fit_rate(x, err, err_se=None, floor=None, *, bootstrap: bool = False,
             confidence: float = 0.95, rng=None, n_boot: int = 2000) -> RateFit:
    r"""Fit err ~ C x^s on a log-log scale, with a confidence interval for s.

    Parameters
    ----------
    x : array_like
        Positive abscissae (step sizes, costs, ...).
    err : array_like
        Positive errors (distances) at x. ``Estimate`` objects are accepted and unpacked
        (value, se, floor) when ``err_se`` and ``floor`` are not given.
    err_se : array_like, optional
        Standard errors of ``err`` (weights 1 / (err_se / err)^2 on the log scale). If any
        is 0 (exact values, e.g. from grid laws) the fit is unweighted (OLS).
    floor : array_like or float, optional
        Resolution floor of the estimator at each point; points with err <= 3 floor are
        excluded and flagged.
    bootstrap : bool
        Percentile-bootstrap interval instead of the t interval.
    confidence : float
        Coverage of the interval (0 < confidence < 1).
    rng : None, int or Generator
        For the bootstrap.

    Returns
    -------
    RateFit

    Raises
    ------
    ValueError
        Fewer than 3 usable points (a line through 2 points has no error estimate), bad
        shapes, non-positive x.
    """
    from ..metrics.estimate import Estimate

    if not 0 < confidence < 1:
        raise ValueError("confidence must lie in (0, 1)")
    x = _as1d(x, "x")
    n = x.size
    err_list = list(err) if not isinstance(err, np.ndarray) else None
    if err_list is not None and err_list and all(isinstance(e, Estimate) for e in err_list):
        if err_se is None:
            err_se = [e.se for e in err_list]
        if floor is None:
            floor = [e.floor for e in err_list]
        err = [e.value for e in err_list]
    y = _as1d(err, "err", n)
    if np.any(~np.isfinite(x)) or np.any(x <= 0):
        raise ValueError("x must be positive and finite")
    se = None if err_se is None else _as1d(err_se, "err_se", n)
    if se is not None and np.any(se[np.isfinite(y) & (y > 0)] == 0):
        # exact values (grid laws, closed forms) have se = 0: no weights are defined, so
        # fall back to ordinary least squares with the residual standard error
        se = None
    fl = np.zeros(n) if floor is None else _as1d(floor, "floor", n)
    bad = ~np.isfinite(y) | (y <= 0)
    excluded = (y <= 3.0 * fl) & ~bad
    use = ~bad & ~excluded
    if se is not None:
        use &= np.isfinite(se) & (se > 0)
    k = int(use.sum())
    if k < 3:
        raise ValueError(f"fit_rate needs >= 3 usable points; have {k} "
                         f"({int(excluded.sum())} at the floor, {int(bad.sum())} non-positive)")
    lx, ly = np.log(x[use]), np.log(y[use])
    if se is not None:
        sig = se[use] / y[use]
        w = 1.0 / sig ** 2
        method = "wls"
    else:
        w = np.ones(k)
        method = "ols"
    s, c, sxx = _wls(lx, ly, w)
    resid = ly - c - s * lx
    dof = k - 2
    if se is not None:
        chi2_red = float((w * resid ** 2).sum() / dof)
        slope_se = math.sqrt(1.0 / sxx) * math.sqrt(max(1.0, chi2_red))
    else:
        chi2_red = float("nan")
        slope_se = math.sqrt((resid ** 2).sum() / dof / sxx)
    tq = stats.t.ppf(0.5 + confidence / 2, dof)
    lo, hi = s - tq * slope_se, s + tq * slope_se
    if bootstrap:
        g = np.random.default_rng(rng)
        slopes = np.empty(int(n_boot))
        yu = y[use]
        for b in range(int(n_boot)):
            if se is not None:
                yb = yu + se[use] * g.standard_normal(k)
                yb = np.maximum(yb, 1e-300)
                lyb = np.log(yb)
                if chi2_red > 1:   # scatter beyond the error bars: add resampled residuals
                    lyb = lyb + (resid[g.integers(0, k, k)] * math.sqrt(1 - 1 / chi2_red))
            else:
                lyb = c + s * lx + resid[g.integers(0, k, k)] * math.sqrt(k / dof)
            slopes[b] = _wls(lx, lyb, w)[0]
        lo, hi = np.quantile(slopes, [0.5 - confidence / 2, 0.5 + confidence / 2])
        method += "+bootstrap"
    return RateFit(float(s), float(lo), float(hi), float(c), k, excluded, float(slope_se),
                   float(confidence), method, chi2_red, bad)


def local_slopes(x, err) -> np.ndarray:
    r"""Successive log-log slopes, after sorting by x.

    s_i = log(err_{i+1} / err_i) / log(x_{i+1} / x_i), i = 0..n-2 (x sorted increasingly).
    A run of roughly constant s_i shows where the asymptotic regime starts.
    """
    x = _as1d(x, "x")
    y = _as1d(err, "err", x.size)
    if x.size < 2:
        raise ValueError("need at least 2 points")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("x and err must be positive")
    o = np.argsort(x)
    lx, ly = np.log(x[o]), np.log(y[o])
    dx = np.diff(lx)
    if np.any(dx == 0):
        raise ValueError("x values must be distinct")
    return np.diff(ly) / dx
