"""Log-log slopes with confidence intervals, and the verdict rules.

``fit_slope`` is the experiment layer's rate fit: ordinary (or, with standard errors,
weighted) least squares of log y on log x, with a Student-t confidence interval on the slope.
Points at or below three times their estimator floor are excluded (they carry no information
about the distance, see :class:`langevin_theory.metrics.Estimate`); when fewer than
``min_points`` remain the fit is not made and the status says ``"floor"``.

Verdicts (:func:`verdict`), with ``tol`` = 15% of |predicted| (pre-asymptotic curvature):

* ``kind="rate"`` (a sharp prediction): *holds* if the CI widened by ``tol`` contains the
  prediction; *holds with caveat* if |slope - predicted| <= 30% of |predicted|; else *not
  observed here*.
* ``kind="bound"`` (an upper bound on the error: decay at least this fast): *holds* if the CI
  widened by ``tol`` reaches the prediction or beyond; *holds with caveat* if the slope is
  within 30% below it; else *not observed here*. A slope well above the bound is still *holds*
  (the note says the bound is not tight here).
* ``kind="growth"`` (an upper bound on growth, e.g. linear in K): *holds* if the CI widened
  by ``tol`` reaches down to the prediction; mirror image of ``bound``.
* a CI wider than 2 max(1, |predicted|) decides nothing: *not observed here (CI too wide)*,
  whether or not the prediction lies inside it (a CI that admits every plausible slope is no
  evidence for the claim); the note gives the CI and says whether it contains the prediction.
* a fit on the floor gives *not observed here (estimator floor)*.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

__all__ = ["fit_slope", "verdict", "HOLDS", "CAVEAT", "NOT_OBSERVED", "FLOOR", "TOO_WIDE"]

HOLDS = "holds"
CAVEAT = "holds with caveat"
NOT_OBSERVED = "not observed here"
FLOOR = "not observed here (estimator floor)"
TOO_WIDE = "not observed here (CI too wide)"


def fit_slope(x, y, se=None, floor=None, *, level: float = 0.95, min_points: int = 3,
              floor_factor: float = 3.0) -> dict:
    """Fit log y = a + b log x. Returns dict(slope, ci_low, ci_high, intercept, n_used,
    n_excluded, status) with status "ok", "floor" (too few points above the floor) or
    "degenerate"."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    se = None if se is None else np.asarray(se, float)
    fl = np.zeros_like(y) if floor is None else np.nan_to_num(np.asarray(floor, float))
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0) & (y > 0) & (y > floor_factor * fl)
    out = {"slope": math.nan, "ci_low": math.nan, "ci_high": math.nan, "intercept": math.nan,
           "n_used": int(keep.sum()), "n_excluded": int((~keep).sum()), "status": "ok"}
    if keep.sum() < min_points:
        out["status"] = "floor"
        return out
    lx, ly = np.log(x[keep]), np.log(y[keep])
    if np.ptp(lx) == 0:
        out["status"] = "degenerate"
        return out
    if se is not None and np.all(np.isfinite(se[keep])) and np.all(se[keep] > 0):
        w = 1.0 / (se[keep] / y[keep]) ** 2          # var(log y) ~ (se/y)^2
    else:
        w = np.ones_like(lx)
    W = np.sum(w)
    mx, my = np.sum(w * lx) / W, np.sum(w * ly) / W
    sxx = np.sum(w * (lx - mx) ** 2)
    b = np.sum(w * (lx - mx) * (ly - my)) / sxx
    a = my - b * mx
    n = lx.size
    resid = ly - (a + b * lx)
    if n > 2:
        s2 = np.sum(w * resid ** 2) / (n - 2)
        if se is not None and np.all(w != 1.0):
            s2 = max(s2, 1.0)                         # never narrower than the error bars
        seb = math.sqrt(s2 / sxx)
        tq = stats.t.ppf(0.5 + level / 2, n - 2)
    else:
        seb, tq = math.inf, math.inf
    out.update(slope=float(b), intercept=float(a), ci_low=float(b - tq * seb),
               ci_high=float(b + tq * seb))
    return out


def verdict(predicted, slope, ci_low, ci_high, *, kind: str = "rate", status: str = "ok",
            tol: float = 0.15) -> tuple[str, str]:
    """(verdict, note) for a measured slope against a predicted one (see module doc)."""
    if status == "floor":
        return FLOOR, "too few points above 3x the estimator floor; not fitted"
    if status != "ok" or not np.isfinite(slope):
        return NOT_OBSERVED, f"fit {status}"
    p = float(predicted)
    t = tol * max(abs(p), 0.5)
    width = ci_high - ci_low
    if not np.isfinite(width) or width > 2.0 * max(1.0, abs(p)):
        consistent = (ci_low - t <= p <= ci_high + t) if kind == "rate" else (
            ci_high + t >= p if kind == "bound" else ci_low - t <= p)
        return (TOO_WIDE,
                f"CI [{ci_low:.2f}, {ci_high:.2f}] too wide to decide (few points or "
                f"curvature); slope {slope:.2f}, prediction {p:g} "
                f"{'inside' if consistent else 'outside'} it")
    if kind == "rate":
        if ci_low - t <= p <= ci_high + t:
            return HOLDS, ""
        if abs(slope - p) <= 2 * t:
            return CAVEAT, f"slope {slope:.2f} vs predicted {p:g}: close, outside the CI"
        return NOT_OBSERVED, f"slope {slope:.2f} vs predicted {p:g}"
    if kind == "bound":
        if ci_high + t >= p:
            note = "decays faster than the bound (bound not tight here)" \
                if slope > p + max(0.5, 2 * t) else ""
            return HOLDS, note
        if slope >= p - 2 * t:
            return CAVEAT, f"slope {slope:.2f} slightly below the bound's {p:g}"
        return NOT_OBSERVED, f"slope {slope:.2f} below the bound's {p:g}"
    if kind == "growth":           # an upper bound on growth: slope at most p
        if ci_low - t <= p:
            return HOLDS, ("grows slower than the bound allows" if slope < p - max(0.5, 2 * t)
                           else "")
        if slope <= p + 2 * t:
            return CAVEAT, f"slope {slope:.2f} slightly above the bound's {p:g}"
        return NOT_OBSERVED, f"slope {slope:.2f} above the bound's {p:g}"
    raise ValueError(f"unknown kind {kind!r}")
