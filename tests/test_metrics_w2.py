"""W2 estimators against closed forms, exact identities, POT, and their documented floors."""
import math

import numpy as np
import pytest

from langevin_theory import metrics as M
from langevin_theory import reference as R


def test_bures_closed_form():
    assert M.w2_gaussian(0.0, 1.0, 0.5, 2.25).value == pytest.approx(math.sqrt(0.25 + 0.25),
                                                                     rel=1e-14)
    # commuting covariances: W2^2 = |dm|^2 + sum (sqrt(a_i) - sqrt(b_i))^2
    a, b = np.array([1.0, 4.0, 0.25]), np.array([2.0, 1.0, 0.25])
    v = M.w2_gaussian(np.zeros(3), np.diag(a), np.ones(3), np.diag(b)).value
    assert v ** 2 == pytest.approx(3 + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2), rel=1e-12)
    # rotation invariance for non-commuting covariances
    S1 = np.array([[2.0, 0.3], [0.3, 0.5]])
    S2 = np.array([[1.0, -0.4], [-0.4, 1.5]])
    th = 0.7
    Q = np.array([[math.cos(th), -math.sin(th)], [math.sin(th), math.cos(th)]])
    v1 = M.w2_gaussian([0, 0], S1, [1, 0], S2).value
    v2 = M.w2_gaussian([0, 0], Q @ S1 @ Q.T, Q @ [1, 0], Q @ S2 @ Q.T).value
    assert v1 == pytest.approx(v2, rel=1e-12)
    with pytest.raises(ValueError):
        M.w2_gaussian([0, 0], S1, [0], S2)


def test_w2_grid_matches_bures_on_gaussian_grids():
    x = R.uniform_grid(-20, 20, 0.02)
    p = R.GridLaw(x, R.Normal1D(0.2, 1.1).pdf(x))
    q = R.GridLaw(x, R.Normal1D(-0.3, 1.4).pdf(x))
    ref = M.w2_gaussian(0.2, 1.21, -0.3, 1.96).value
    assert M.w2_grid(p, q).value == pytest.approx(ref, abs=1e-10)
    assert M.w2_grid(p, R.Normal1D(-0.3, 1.4)).value == pytest.approx(ref, abs=1e-10)
    assert M.w2_grid(p, p).value < 1e-8   # W2^2 ~ 1e-17: rounding of F near 1 in the tails


def test_translation_and_scaling_laws_on_samples():
    g = np.random.default_rng(0)
    x = g.standard_normal(5000)
    assert M.w2_1d(x, x + 0.37).value == pytest.approx(0.37, abs=1e-12)
    # W2(x, a x) = |a - 1| sqrt(mean x^2) for a > 0 (the sorted coupling is the identity)
    assert M.w2_1d(x, 1.8 * x).value == pytest.approx(0.8 * math.sqrt(np.mean(x * x)),
                                                      rel=1e-12)
    # sample vs law: shifting both by c leaves W2 unchanged
    law, law_c = R.Normal1D(0.1, 1.3), R.Normal1D(2.1, 1.3)
    assert M.w2_1d(x + 2.0, law_c).value == pytest.approx(M.w2_1d(x, law).value, abs=1e-10)
    # ... and scaling both by a multiplies W2 by a
    assert M.w2_1d(3 * x, R.Normal1D(0.3, 3.9)).value == pytest.approx(
        3 * M.w2_1d(x, law).value, rel=1e-9)


def test_two_sample_w2_equals_pot_emd():
    g = np.random.default_rng(1)
    x, y = g.standard_normal(300), 0.5 + 2 * g.random(200)
    assert M.w2_1d(x, y).value == pytest.approx(M.w2_emd(x, y, n_permutations=0).value,
                                                 abs=1e-10)
    # sliced W2 of 1-D samples is the 1-D W2 (directions are +-1)
    xx, yy = g.standard_normal(400), g.standard_normal(400) * 1.5
    assert M.sliced_w2(xx, yy, 7, 0, n_permutations=0).value == pytest.approx(
        M.w2_1d(xx, yy).value, abs=1e-12)


def test_emd_2d_gaussian_shift_within_error_bar():
    # W2(N(0,I), N(m, I)) = |m|; two 2-D samples of 1500: the estimate lies within 4 se of
    # sqrt(|m|^2 + floor^2) (the floor adds in quadrature, up to O(1/n) cross terms)
    g = np.random.default_rng(2)
    m = np.array([1.0, 0.5])
    e = M.w2_emd(g.standard_normal((1500, 2)), g.standard_normal((1500, 2)) + m, rng=3)
    ref = math.sqrt(m @ m + e.floor ** 2)
    assert abs(e.value - ref) < 4 * e.se + e.floor ** 2


def test_sliced_w2_gaussian_shift():
    # SW2^2(N(0, I_3), N(m, I_3)) = |m|^2 / 3
    g = np.random.default_rng(4)
    m = np.array([0.3, 0.0, 0.0])
    e = M.sliced_w2(g.standard_normal((20000, 3)) + m, g.standard_normal((20000, 3)), 100, g)
    ref = math.sqrt(0.09 / 3 + e.floor ** 2)
    assert abs(e.value - ref) < 4 * e.se


def test_sample_vs_exact_law_within_four_standard_errors():
    g = np.random.default_rng(5)
    x = g.standard_normal(100_000)
    law = R.Normal1D(0.5, 1.3)
    e = M.w2_1d(x, law)
    assert abs(e.value - M.w2_gaussian(0, 1, 0.5, 1.69).value) < 4 * e.se
    # LogCosh sample against N(0, 5) (same mean and variance): exact value from the grid
    mix = R.NormalMixture1D([0.5, 0.5], [-2, 2], [1, 1])
    xg = R.uniform_grid(-15, 15, 0.01)
    exact = M.w2_grid(R.GridLaw(xg, mix.pdf(xg)), R.Normal1D(0, math.sqrt(5))).value
    e = M.w2_1d(mix.sample(100_000, g), R.Normal1D(0, math.sqrt(5)))
    assert abs(e.value - exact) < 4 * e.se


def test_standard_error_matches_replicate_spread():
    # 40 replicates at n = 1e4: the sd of the estimates and the mean reported se agree within
    # 35% (the sd of a 40-sample sd is ~11%, so this is ~3 sigma)
    g = np.random.default_rng(6)
    law = R.Normal1D(0.5, 1.3)
    est = [M.w2_1d(g.standard_normal(10_000), law) for _ in range(40)]
    sd = np.std([e.value for e in est], ddof=1)
    se = np.mean([e.se for e in est])
    assert 0.65 < sd / se < 1.35


def _rms(vals):
    return math.sqrt(np.mean(np.square(vals)))


@pytest.mark.parametrize("n", [100_000, pytest.param(1_000_000, marks=pytest.mark.slow)])
def test_floor_two_samples_identical_laws(n):
    # documented floor (module docstring of metrics.w2) vs the RMS over independent
    # replicates on identical laws: within a factor 2 (measured ratios 0.75..1.1)
    g = np.random.default_rng(7)
    mix = R.NormalMixture1D([0.5, 0.5], [-2, 2], [1, 1])
    for sampler in (lambda k: g.standard_normal(k), lambda k: mix.sample(k, g)):
        est = [M.w2_1d(sampler(n), sampler(n)) for _ in range(5)]
        ratio = _rms([e.value for e in est]) / np.mean([e.floor for e in est])
        assert 0.5 < ratio < 2.0


@pytest.mark.parametrize("n", [100_000, pytest.param(1_000_000, marks=pytest.mark.slow)])
def test_floor_sample_vs_law_and_symmetrisation(n):
    g = np.random.default_rng(8)
    law = R.Normal1D(0.0, 1.0)
    est = [M.w2_1d(g.standard_normal(n), law) for _ in range(5)]
    assert 0.5 < _rms([e.value for e in est]) / np.mean([e.floor for e in est]) < 2.0
    sym = [M.w2_1d(g.standard_normal(n), law, symmetrize=True) for _ in range(5)]
    assert 0.5 < _rms([e.value for e in sym]) / np.mean([e.floor for e in sym]) < 2.0
    # symmetrising lowers the floor by at least sqrt(2) (module docstring)
    assert np.mean([e.floor for e in sym]) < np.mean([e.floor for e in est]) / math.sqrt(2)


@pytest.mark.slow
def test_symmetrisation_halves_the_floor_on_logcosh():
    # measured: n = 1e5, floor 0.0115 -> 0.0052 (RMS 0.0122 -> 0.0053)
    g = np.random.default_rng(9)
    mix = R.NormalMixture1D([0.5, 0.5], [-2, 2], [1, 1])
    plain = M.w2_1d(mix.sample(100_000, g), mix)
    sym = M.w2_1d(mix.sample(100_000, g), mix, symmetrize=True)
    assert sym.floor < 0.55 * plain.floor


def test_errors():
    with pytest.raises(ValueError):
        M.w2_1d(np.array([1.0, np.nan]), np.array([0.0, 1.0]))
    with pytest.raises(ValueError):
        M.w2_1d(np.ones((4, 2)), np.ones(4))
    with pytest.raises(ValueError):
        M.w2_emd(np.ones((3, 2)), np.ones((3, 3)))
    with pytest.raises(ValueError):
        M.w2_grid(np.ones(3), R.Normal1D())


@pytest.mark.parametrize("n", [20_000, pytest.param(100_000, marks=pytest.mark.slow)])
def test_floor_sliced_w2_identical_laws(n):
    # permutation floor vs RMS over replicates (measured at n = 1e5: 0.0084 vs 0.0088)
    g = np.random.default_rng(10)
    est = [M.sliced_w2(g.standard_normal((n, 3)), g.standard_normal((n, 3)), 30, g)
           for _ in range(3)]
    assert 0.5 < _rms([e.value for e in est]) / np.mean([e.floor for e in est]) < 2.0


def test_floor_emd_identical_laws():
    # EMD is limited to a few thousand points; measured at n = 1000 in 2-D: 0.202 vs 0.203
    g = np.random.default_rng(11)
    est = [M.w2_emd(g.standard_normal((500, 2)), g.standard_normal((500, 2)), rng=g)
           for _ in range(3)]
    assert 0.5 < _rms([e.value for e in est]) / np.mean([e.floor for e in est]) < 2.0
