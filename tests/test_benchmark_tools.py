"""The benchmark helpers' command lines refuse bad input before any work (no timing here:
timings are never tests; see benchmarks/)."""
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
