"""Rate fits and verdict rules on synthetic results (no simulation)."""
import math

import numpy as np
import pytest

from langevin_theory.experiments.fits import (CAVEAT, FLOOR, HOLDS, NOT_OBSERVED, TOO_WIDE,
                                              fit_slope, verdict)


ALPHA = 2.0 ** -np.arange(2, 8)


def test_exact_power_law_recovered():
    f = fit_slope(ALPHA, 0.27 * ALPHA ** 2)
    assert f["status"] == "ok" and abs(f["slope"] - 2) < 1e-10
    assert verdict(2, f["slope"], f["ci_low"], f["ci_high"])[0] == HOLDS


def test_noisy_fit_ci_covers_truth_and_weights_use_se():
    g = np.random.default_rng(0)
    y = 0.3 * ALPHA * (1 + 0.05 * g.standard_normal(ALPHA.size))
    f = fit_slope(ALPHA, y, se=0.05 * y)
    assert f["ci_low"] < 1 < f["ci_high"]
    assert f["ci_high"] - f["ci_low"] < 0.4


def test_floor_points_are_excluded_and_too_few_means_floor():
    y = np.maximum(0.3 * ALPHA ** 2, 1e-3)         # flattens on a floor of 1e-3
    fl = np.full_like(y, 1e-3)
    f = fit_slope(ALPHA, y, floor=fl)
    assert f["n_used"] == int((y > 3e-3).sum())
    y2 = np.full_like(ALPHA, 2e-3)
    f2 = fit_slope(ALPHA, y2, floor=fl)
    assert f2["status"] == "floor"
    assert verdict(2, f2["slope"], f2["ci_low"], f2["ci_high"], status=f2["status"])[0] == FLOOR


@pytest.mark.parametrize("slope,ci,kind,expected", [
    (2.02, (1.95, 2.1), "rate", HOLDS),
    (1.6, (1.55, 1.65), "rate", CAVEAT),          # within 30% but outside the CI+tol
    (1.0, (0.95, 1.05), "rate", NOT_OBSERVED),
    (3.9, (3.8, 4.0), "bound", HOLDS),            # faster than an O(a^2) bound
    (1.55, (1.5, 1.6), "bound", CAVEAT),
    (1.0, (0.9, 1.1), "bound", NOT_OBSERVED),
    (0.6, (0.5, 0.7), "growth", HOLDS),           # grows slower than linear in K
    (1.5, (1.45, 1.55), "growth", NOT_OBSERVED),
    (-2.05, (-2.1, -2.0), "rate", HOLDS),         # negative slopes (versus cost)
    (-1.0, (-1.05, -0.95), "rate", NOT_OBSERVED),
])
def test_verdict_rules(slope, ci, kind, expected):
    p = -2.0 if slope < 0 else (1.0 if kind == "growth" else 2.0)
    assert verdict(p, slope, *ci, kind=kind)[0] == expected


def test_bound_note_when_much_faster():
    v, note = verdict(1.0, 4.0, 3.9, 4.1, kind="bound")
    assert v == HOLDS and "not tight" in note


def test_nan_fit_is_not_a_holds():
    assert verdict(2, math.nan, math.nan, math.nan)[0] == NOT_OBSERVED


def test_verdict_table_from_synthetic_distances(tmp_path):
    """The analysis turns synthetic grid laws into E1/E2 rows with the right verdicts."""
    from langevin_theory.experiments.central import predicted
    assert predicted("E2:stationary", "LMC", "W2")[0] == -1
    assert predicted("E2:stationary", "PLMC-opt2-K=1/alpha", "W2")[0] == -2
    assert predicted("E1:T=2", "PLMC-opt2-K=1/alpha", "KL")[0] == 2
    assert predicted("E1:T=2", "PLMC-opt2-K=4", "TV")[0] == 1.5


def test_wide_ci_decides_nothing():
    # a CI of width ~25 admits every plausible slope: no verdict either way
    v, note = verdict(2.0, 3.6, -8.9, 16.2, kind="bound")
    assert v == TOO_WIDE and "too wide" in note and "inside" in note
    v, note = verdict(-1.0, 5.0, 1.0, 9.0, kind="rate")
    assert v == TOO_WIDE and "outside" in note
    # width 2 max(1, |p|) is the edge: a CI just inside it is decided as usual
    assert verdict(2.0, 2.1, 0.15, 3.95, kind="rate")[0] == HOLDS
