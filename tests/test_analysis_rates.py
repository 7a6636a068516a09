"""fit_rate and local_slopes on synthetic data with known slopes."""
import numpy as np
import pytest

from langevin_theory.analysis import fit_rate, local_slopes
from langevin_theory.metrics import Estimate


def _data(seed, slope=1.5, rel=0.05, n=7):
    g = np.random.default_rng(seed)
    x = 2.0 ** -np.arange(2, 2 + n)
    y = 0.3 * x ** slope
    se = rel * y
    return x, y + se * g.standard_normal(n), se


def test_exact_power_law():
    x = 2.0 ** -np.arange(1, 8)
    f = fit_rate(x, 2.0 * x ** 2)
    assert f.slope == pytest.approx(2.0, abs=1e-12)
    assert f.intercept == pytest.approx(np.log(2.0), abs=1e-12)
    assert np.allclose(local_slopes(x, 2.0 * x ** 2), 2.0, atol=1e-12)
    assert np.allclose(f.predict(x), 2.0 * x ** 2, rtol=1e-12)


def test_ci_coverage_with_error_bars():
    # 300 synthetic data sets with 5% Gaussian noise: the 95% WLS interval covers the true
    # slope in 95% +- 4 binomial sd (sd = sqrt(.95 .05 / 300) = 1.3%) of them
    cover = np.mean([fit_rate(*_data(s)).contains(1.5) for s in range(300)])
    assert 0.89 < cover <= 1.0


def test_ci_coverage_without_error_bars_and_bootstrap():
    cover = np.mean([fit_rate(*_data(s)[:2]).contains(1.5) for s in range(300)])
    assert 0.89 < cover <= 1.0
    boot = [fit_rate(*_data(s), bootstrap=True, rng=s, n_boot=400).contains(1.5)
            for s in range(100)]
    assert 0.85 < np.mean(boot) <= 1.0   # 100 sets: binomial sd 2.2%


def test_points_at_the_floor_are_excluded_and_flagged():
    x, y, se = _data(0)
    floor = np.full(x.size, y[4] / 3.5)    # points 5 and 6 (smallest errors) are within 3x
    f = fit_rate(x, y, se, floor)
    assert list(np.nonzero(f.excluded)[0]) == [5, 6]
    assert f.n_used == 5
    assert f.contains(1.5)
    # a fit that ignored the floor would be biased: replace excluded points by floor-level
    # values and check the flag removes their influence exactly
    y2 = y.copy()
    y2[5:] = floor[5:] * 1.1
    f2 = fit_rate(x, y2, se, floor)
    assert f2.slope == pytest.approx(f.slope, abs=1e-12)


def test_accepts_estimates():
    x, y, se = _data(1)
    est = [Estimate(v, s, 0.0, "synthetic") for v, s in zip(y, se)]
    assert fit_rate(x, est).slope == pytest.approx(fit_rate(x, y, se).slope, abs=1e-14)


def test_exact_estimates_fall_back_to_ols():
    # grid-law Estimates carry se = 0: the fit must use OLS rather than drop every point
    x = 2.0 ** -np.arange(2, 8)
    est = [Estimate(0.3 * v * (1 + 0.01 * (-1) ** i), 0.0, 0.0, "grid")
           for i, v in enumerate(x)]
    f = fit_rate(x, est)
    assert f.method == "ols" and f.n_used == 6 and f.contains(1.0)


def test_local_slopes_show_the_asymptotic_regime():
    # err = x^2 + x^3: slope 2.42 between x = 1/2 and 1, -> 2 as x -> 0
    x = 2.0 ** -np.arange(0, 14)
    s = local_slopes(x, x ** 2 + x ** 3)
    assert s.shape == (13,)
    # sorted by increasing x: s[0] is the slope between the two smallest x
    assert abs(s[0] - 2.0) < 1e-3 and s[-1] > 2.3
    assert np.all(np.diff(s) > 0)


def test_errors():
    with pytest.raises(ValueError):
        fit_rate([1, 2], [1, 2])
    with pytest.raises(ValueError):
        fit_rate([1, -2, 3], [1, 2, 3])
    with pytest.raises(ValueError):
        fit_rate([1, 2, 3], [1, 2, 3], confidence=1.5)
    with pytest.raises(ValueError):
        fit_rate([1, 2, 3, 4], [1, 2, 3, 4], floor=[1, 1, 1, 1])
    with pytest.raises(ValueError):
        local_slopes([1, 1], [1, 2])
