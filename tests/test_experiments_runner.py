"""The sweep runner: determinism (worker count), resume after SIGKILL, atomic cache, specs."""
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from langevin_theory.experiments import load_spec, run_sweep, spec_from_dict
from langevin_theory.experiments.spec import cell_key

SPEC = """
name = "demo"
seed = 7
[[sweep]]
kind = "demo"
[sweep.params]
n = 500
sleep = {sleep}
[sweep.grid]
mu = [0.0, 1.0, 2.0, 3.0]
rep = [0, 1, 2]
"""


def _spec(tmp_path, sleep=0.0):
    p = tmp_path / "demo.toml"
    p.write_text(SPEC.format(sleep=sleep))
    return p


def _table(df):
    return df.drop(columns=["seconds"]).sort_values("cell").reset_index(drop=True)


def test_spec_expansion_and_seeds(tmp_path):
    spec = load_spec(_spec(tmp_path))
    cells = spec.cells()
    assert len(cells) == 12
    assert [c.params["mu"] for c in cells[:3]] == [0.0, 0.0, 0.0]      # last key fastest
    assert len({c.key for c in cells}) == 12
    # a cell's seed is a child of SeedSequence(seed), named by its content hash
    c = cells[4]
    want = np.random.SeedSequence(7, spawn_key=(int(c.key[:15], 16),))
    assert c.seed.generate_state(2).tolist() == want.generate_state(2).tolist()
    assert len({tuple(x.seed.generate_state(2)) for x in cells}) == 12
    assert cells[0].key == cell_key("demo", cells[0].params, 7)
    # adding a block in front does not change the key or seed of existing cells
    from langevin_theory.experiments.spec import spec_from_dict
    import tomllib
    d = tomllib.loads(SPEC.format(sleep=0.0))
    d["sweep"].insert(0, {"kind": "demo", "grid": {"mu": [9.0]}})
    grown = spec_from_dict(d).cells()
    assert grown[5].key == c.key and grown[5].index == c.index + 1
    # another spec seed gives other keys (a cache is never reused across seeds)
    d2 = tomllib.loads(SPEC.format(sleep=0.0))
    d2["seed"] = 8
    assert spec_from_dict(d2).cells()[4].key != c.key


def test_spec_errors():
    with pytest.raises(ValueError, match="sweep"):
        spec_from_dict({"name": "x"})
    with pytest.raises(ValueError, match="unknown kind"):
        spec_from_dict({"sweep": [{"kind": "nope"}]})
    with pytest.raises(ValueError, match="unknown keys"):
        spec_from_dict({"sweep": [{"kind": "demo", "grdi": {}}]})


def test_lmc_duplicates_collapse():
    spec = spec_from_dict({"sweep": [{"kind": "demo", "grid": {
        "scheme": ["lmc", "plmc"], "option": [1, 2]}}]})
    labels = [(c.params["scheme"], c.params.get("option")) for c in spec.cells()]
    assert labels == [("lmc", None), ("plmc", 1), ("plmc", 2)]


def test_same_table_whatever_the_worker_count(tmp_path):
    spec = _spec(tmp_path)
    a = run_sweep(spec, tmp_path / "c1", n_workers=1, progress=False)
    b = run_sweep(spec, tmp_path / "c2", n_workers=2, progress=False)
    pd.testing.assert_frame_equal(_table(a), _table(b))
    # different cells really differ (the seeds are not all the same)
    assert a["mean"].nunique() == 12
    # the means follow mu (a test that can fail if params are not passed through)
    assert np.allclose(a["mean"], a["mu"], atol=5 * 1 / np.sqrt(500))


def test_resume_skips_finished_cells(tmp_path):
    spec = _spec(tmp_path)
    cache = tmp_path / "c"
    first = run_sweep(spec, cache, n_workers=1, progress=False,
                      only=lambda c: c.index < 5)
    assert len(first) == 5
    # tamper with a cached cell: a resumed run must read it, not recompute it
    f = next(cache.glob("*.pkl"))
    rec = pickle.loads(f.read_bytes())
    rec["result"]["mean"] = 1234.5
    f.write_bytes(pickle.dumps(rec))
    full = run_sweep(spec, cache, n_workers=1, progress=False)
    assert len(full) == 12 and (full["mean"] == 1234.5).sum() == 1
    assert not list(cache.glob(".*.tmp"))


def test_sigkill_midway_then_resume_equals_uninterrupted(tmp_path):
    spec = _spec(tmp_path, sleep=0.3)
    cache = tmp_path / "killed"
    code = textwrap.dedent(f"""
        from langevin_theory.experiments import run_sweep
        run_sweep({str(spec)!r}, {str(cache)!r}, n_workers=1, progress=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.time() + 60
    while time.time() < deadline:
        n = len(list(cache.glob("*.pkl"))) if cache.exists() else 0
        if n >= 3:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done = len(list(cache.glob("*.pkl")))
    assert 3 <= done < 12, done               # really interrupted midway
    resumed = run_sweep(spec, cache, n_workers=2, progress=False)
    clean = run_sweep(_spec(tmp_path, sleep=0.3), tmp_path / "clean", n_workers=2,
                      progress=False)
    pd.testing.assert_frame_equal(_table(resumed), _table(clean))


def test_records_come_back_in_spec_order_whatever_the_cache(tmp_path):
    """Tables built from the records (mc.csv, distances.csv, ...) must not depend on which
    cells were cached or which worker finished first: records are returned in spec order."""
    spec = load_spec(_spec(tmp_path))
    cache = tmp_path / "cache"
    # cache every other cell, from the end, so cached and fresh cells interleave
    run_sweep(spec, cache, n_workers=1, only=lambda c: c.index % 2 == 1)
    _, records = run_sweep(spec, cache, n_workers=2, return_records=True)
    assert list(records) == [c.index for c in spec.cells()]


def test_cells_cached_by_other_code_are_recomputed_with_the_same_seed(tmp_path, monkeypatch):
    """A kernel change must not be hidden by the cache: records carry the code fingerprint,
    and a record with another one is recomputed (same key, same seed, so the same numbers when
    the code change does not affect them)."""
    from langevin_theory.experiments import runner
    spec = load_spec(_spec(tmp_path))
    cache = tmp_path / "cache"
    first = run_sweep(spec, cache, n_workers=1)
    cell = spec.cells()[0]
    assert runner.load_cell(cache, cell)["code"] == runner.code_fingerprint()
    monkeypatch.setattr(runner, "code_fingerprint", lambda: "other-code")
    assert runner.load_cell(cache, cell) is None                      # stale: not reused
    assert runner.load_cell(cache, cell, current_code_only=False) is not None   # plot can
    again = run_sweep(spec, cache, n_workers=1)
    assert runner.load_cell(cache, cell)["code"] == "other-code"      # recomputed and stored
    pd.testing.assert_frame_equal(_table(first), _table(again))      # same seeds, same numbers
