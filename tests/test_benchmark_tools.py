"""The benchmark helpers: their command lines refuse bad input before any work, and the
baselines compute what they claim (no timing here: timings are never tests; see
benchmarks/)."""
import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "benchmarks",
                                                                     name + ".py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("argv, message", [
    (["--configs", "plmc1,nope"], "unknown configuration"),
    (["--rounds", "0"], "must be >= 1"),
    (["--a-rev", "no-such-revision-xyz"], "cannot export revision"),
    (["--a-dir", ROOT + "/tests"], "no langevin_theory package"),
])
def test_ab_compare_rejects_bad_input(capsys, argv, message):
    ab = _load("ab_compare")
    with pytest.raises(SystemExit) as exc:
        ab.main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_ab_compare_configs_match_the_child_table():
    """The configurations the command line offers are exactly those a child process times."""
    ab = _load("ab_compare")
    bench = _load("bench_core")
    kw, runs = bench.plmc_block_runs(10, 2)
    assert set(runs) == set(ab.CONFIGS)
    assert kw["n_chains"] == 10 and kw["n_steps"] == 2 and kw["n_threads"] == 1


def test_benchmark_baselines_compute_lmc_on_the_mixture():
    """The NumPy baseline the package is timed against must do the same work: LMC on the
    benchmark mixture, step for step (its normals drawn coordinate-major), to 1e-12; and the
    gradient-only bound must follow the package's gradient (its many-rows form, whose exp is
    within an ulp of libm's: to 1e-12)."""
    import math

    import numpy as np

    bench = _load("bench_core")
    mix = bench.benchmark_mixture()
    n, d, steps, h = 37, 2, 5, 0.05
    x0 = np.random.default_rng(3).normal(0, 2, (n, d))
    got = bench.numpy_lmc_tuned(x0.copy(), h, steps, np.random.default_rng(4), mix.means,
                                1 / 0.49, np.log(mix.weights))
    rng = np.random.default_rng(4)
    x = x0.copy()
    for _ in range(steps):
        z = rng.standard_normal((d, n)).T
        x = x - h * mix.grad_potential(x) + math.sqrt(2 * h) * z
    np.testing.assert_allclose(got, x, rtol=1e-12, atol=1e-12)

    lanes = bench.ROW_LANES
    x0 = x0[:2 * lanes]
    total = bench._grad_only(x0, steps, h, mix.params)
    expect = 0.0
    for c0 in (0, lanes):
        y = x0[c0:c0 + lanes].copy()
        for _ in range(steps):
            y = y - h * mix.grad_potential(y) + 1e-3
        expect += y[0, 0]
    assert total == pytest.approx(expect, rel=1e-12, abs=1e-12)
