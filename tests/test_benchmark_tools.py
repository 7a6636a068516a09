"""The benchmark helpers: their command lines refuse bad input before any work, and the
baselines compute what they claim (no timing here: timings are never tests; see
benchmarks/)."""
import importlib
import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _load(name):
    """Import ``benchmarks/<name>.py`` as the top-level module ``name``, as running the script
    does (its folder first on ``sys.path``). Not from a file spec outside ``sys.modules``: numba
    would then cache the scripts' kernels under a module named '<dynamic>', and every later
    process that loads them from the cache (the script itself, run by hand) would fail with
    ``ModuleNotFoundError: No module named '<dynamic>'``."""
    bench_dir = os.path.join(ROOT, "benchmarks")
    if bench_dir not in sys.path:
        sys.path.insert(0, bench_dir)
    return importlib.import_module(name)


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


def test_normal_lanes_variants_draw_what_they_claim():
    """``benchmarks/normal_lanes.py`` times ways of drawing normals for 16 chains at once; its
    conclusions hold only if the variants draw what it says. ``check()``: the vectorised
    ziggurat with fix-ups is bit for bit the package's per-chain stream, and the Box-Muller
    normals have N(0, 1)'s mean, variance and P(|z| > 3) within 4 standard errors. The
    written-out fdlibm kernels are within 1 ulp of 120-bit mpmath where Box-Muller uses them
    (log on (0, 1); sin and cos on [0, pi/4])."""
    import math

    import mpmath
    import numpy as np

    nl = _load("normal_lanes")
    nl.check(n=4000)
    rng = np.random.default_rng(5)
    u = np.concatenate([rng.random(1500), 2.0 ** -rng.uniform(1, 53, 500)])
    phi = rng.random(2000) * (math.pi / 4)
    with mpmath.workprec(120):
        cases = [(nl.log_positive, mpmath.log, u), (nl.sin_octant, mpmath.sin, phi),
                 (nl.cos_octant, mpmath.cos, phi)]
        for fn, exact, xs in cases:
            worst = 0.0
            for x in xs:
                ref = exact(mpmath.mpf(float(x)))
                ulp = np.spacing(abs(float(ref)))
                worst = max(worst, abs(float((mpmath.mpf(fn(float(x))) - ref) / ulp)))
            print(f"{fn.__name__}: at most {worst:.3f} ulp on {xs.size} arguments")
            assert worst <= 1.0, (fn.__name__, worst)


def test_tree_descent_replays_the_path():
    """``benchmarks/tree_descent.py`` times the Brownian tree on a coupled PLMC query pattern;
    its timings mean something only if it reads the path: its replayed values equal
    ``BrownianPath.noise`` bit for bit (``check``), and the pattern has the steps' ends plus
    OPTION 1's midpoints, slots 1..K-1 each selected with probability 1/K: (K - 1)/K a step
    on average, variance (K - 1)(1/K)(1 - 1/K) (within 4 SE)."""
    import numpy as np

    td = _load("tree_descent")
    td.check(n=60)
    n = 4000
    path, _, qs = td.setup(n)
    step = np.int64(td.K) << path.sub_levels
    ends = qs[qs % step == 0]
    assert np.array_equal(ends, np.arange(1, n + 1) * step)
    K = td.K
    mean = (K - 1) / K
    var = (K - 1) * (1 / K) * (1 - 1 / K)
    per_step = (qs.size - n) / n
    print(f"midpoints per step: {per_step:.4f} (expected {mean:.4f})")
    assert abs(per_step - mean) < 4 * np.sqrt(var / n)


def test_tree_lanes_prototype_reads_the_package_tree():
    """``benchmarks/tree_lanes.py`` times a lockstep form of the Brownian tree (a group of
    chains' descents phase by phase, a descent starting one level lower when its first
    midpoint is cached, two descents' bridges side by side); its timings compare with the
    package's tree only if it computes the same values: ``check`` asserts that every query of
    every chain, both components, equals ``BrownianPath.noise`` bit for bit, with and without
    the skip and the pairing, and that so does the package's per-chain ``tree_value`` as the
    script replays it. Each chain's step offsets must split its queries so that a step's
    last query is its end; the command line refuses bad input."""
    import numpy as np

    tl = _load("tree_lanes")
    tl.check(n_steps=40, n_chains=6)
    path, _, _, _, (Qs, offs) = tl.setup(40, 6)
    step = np.int64(tl.K) << path.sub_levels
    for c in range(6):
        ends = Qs[c, offs[c, 1:] - 1]
        assert np.array_equal(ends, np.arange(1, 41) * step)
    with pytest.raises(SystemExit) as exc:
        tl.main(["--chains", "0"])
    assert exc.value.code == 2


def test_ablations_edits_apply_to_the_current_source(capsys):
    """``benchmarks/ablations.py`` builds its variants by text edits of the package's source;
    an edit that no longer matches must fail, not time the unedited loop. Every variant's
    edits apply (each text found exactly once), the edited source still parses, and the
    command line rejects bad input before compiling anything."""
    import ast

    ab = _load("ablations")
    for loop, variants in ab.VARIANTS.items():
        for name, (edits, _) in variants.items():
            src = ab.edited_source(loop, edits)
            ast.parse(src)
            assert src != ab.edited_source(loop, []), (loop, name)
    with pytest.raises(ValueError, match="occurs 0 times"):
        ab.EDITS["lmc"]["_test"] = [("no such text\n", "")]
        try:
            ab.edited_source("lmc", ["_test"])
        finally:
            del ab.EDITS["lmc"]["_test"]
    ab.main(["tree", "--list"])
    assert "+no-stores: no-philox + no-ziggurat" in capsys.readouterr().out
    for argv in (["lmc", "--repeat", "0"], ["tree", "--steps", "0"], ["nope"]):
        with pytest.raises(SystemExit) as exc:
            ab.main(argv)
        assert exc.value.code == 2
