import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

import numpy as np  # noqa: E402

from langevin_theory.diffusion import metrics as M  # noqa: E402
from langevin_theory.diffusion import preset_mixture  # noqa: E402


def test_frechet_closed_forms():
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2 ; diagonal: sum over coordinates
    assert M.frechet_distance([0.3], [[4.0]], [-0.2], [[1.0]]) == pytest.approx(0.25 + 1.0)
    d1, d2 = np.array([1.0, 4.0, 0.0]), np.array([4.0, 1.0, 0.0])  # singular (a zero pixel)
    val = M.frechet_distance(np.zeros(3), np.diag(d1), np.ones(3), np.diag(d2))
    assert val == pytest.approx(3 + np.sum((np.sqrt(d1) - np.sqrt(d2)) ** 2), abs=1e-10)
    assert M.frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2)) < 1e-12


def test_w2_1d_and_kl_on_quantile_points():
    mix = preset_mixture("1d_sharp")
    n = 2000
    q = mix.quantile_1d((np.arange(n) + 0.5) / n)
    assert M.w2_1d(q, mix) < 1e-8
    assert M.w2_1d(q + 0.1, mix) == pytest.approx(0.1, abs=1e-8)
    assert M.kl_hist_1d(q, mix, n_bins=200) < 1e-12  # exactly n/200 points per cell
    assert mix.cdf_1d(mix.quantile_1d(np.array([0.1, 0.5, 0.93]))) == pytest.approx(
        [0.1, 0.5, 0.93], abs=1e-10)


def test_w2_emd_translation_and_mode_tv():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 2))
    assert M.w2_emd(x, x + np.array([0.3, -0.4])) == pytest.approx(0.5, abs=1e-9)
    mix = preset_mixture("2d_ring")
    ref = M.mode_frequencies(mix.sample(200_000, rng=1), mix)
    n = 20_000
    tv = M.mode_tv(mix.sample(n, rng=2), mix, ref)
    # E TV <= 0.5 sum_k sqrt(p_k(1-p_k)(1/n + 1/200000)); allow 4x that bound
    bound = 0.5 * np.sum(np.sqrt(ref * (1 - ref) * (1 / n + 1 / 200_000)))
    assert tv < 4 * bound
    m, se = M.mean_se([1.0, 2.0, 3.0])
    assert m == 2.0 and se == pytest.approx(np.sqrt(1 / 3))
