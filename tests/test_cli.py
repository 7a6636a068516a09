"""The langevin-theory command line."""
import json
import os
import subprocess
import sys

import pytest

from langevin_theory.cli import main


def test_import_does_not_pull_matplotlib_or_torch():
    code = ("import sys, langevin_theory, langevin_theory.experiments, langevin_theory.cli, "
            "langevin_theory.metrics; print([m in sys.modules for m in ('matplotlib', 'torch')])")
    # without the conftest's POT switch: POT (imported lazily by metrics) would pull torch
    env = {k: v for k, v in os.environ.items() if k != "POT_BACKEND_DISABLE_PYTORCH"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.strip() == "[False, False]"


def test_list(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("logcosh", "double_well", "mixture2", "mixture4_2d", "lmc", "rlmc", "plmc",
                 "quick", "full"):
        assert name in out


def test_simulate_prints_counts(capsys):
    # double well, >= 256 chains: the same compiled driver as the reproduce smoke test
    assert main(["simulate", "--target", "double_well", "--scheme", "plmc", "--substeps", "4",
                 "--option", "2", "--step-size", "0.125", "--n-steps", "8", "--n-chains",
                 "400", "--seed", "3"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["n_grad_evals"] == 2 * 8 * 400          # PLMC: 2 gradients per step
    assert s["n_diverged"] == 0 and "w2_target" in s


def test_simulate_saves_positions(tmp_path, capsys):
    """--out saves the final positions (np.save's name rule: .npy added), nothing else left
    behind; --no-progress keeps stderr free of the bar, which is on by default."""
    import numpy as np
    import langevin_theory as lt

    argv = ["simulate", "--target", "double_well", "--scheme", "lmc", "--step-size", "0.1",
            "--n-steps", "5", "--n-chains", "300", "--seed", "2"]
    assert main(argv + ["--out", str(tmp_path / "pos")]) == 0
    assert "simulate LMC()" in capsys.readouterr().err
    assert main(argv + ["--out", str(tmp_path / "b.npy"), "--no-progress"]) == 0
    assert capsys.readouterr().err == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.npy", "pos.npy"]
    ref = lt.simulate(lt.targets.DoubleWell(), lt.schemes.LMC(), step_size=0.1, n_steps=5,
                      n_chains=300, rng=2)
    for name in ("pos.npy", "b.npy"):
        assert np.array_equal(np.load(tmp_path / name), ref.positions)


def test_sweep_writes_table(tmp_path, capsys):
    spec = tmp_path / "s.toml"
    spec.write_text('name = "t"\nseed = 1\n[[sweep]]\nkind = "demo"\n[sweep.grid]\n'
                    'mu = [0.0, 5.0]\n')
    assert main(["sweep", str(spec), "--out", str(tmp_path / "o"), "--workers", "1",
                 "--no-progress"]) == 0
    import pandas as pd
    df = pd.read_csv(tmp_path / "o" / "cells.csv")
    assert len(df) == 2 and df["mean"].iloc[1] > 4


def test_theory_subcommand(capsys):
    rc = main(["theory", "--complexity"])
    assert rc == 0
    assert capsys.readouterr().out.strip()


def test_unknown_subcommand_errors():
    with pytest.raises(SystemExit):
        main(["nope"])


@pytest.mark.parametrize("argv, says", [
    (["simulate", "--target", "nope"], "unknown target 'nope'"),
    (["simulate", "--step-size", "-1"], "step_size must be a positive finite number"),
    (["sweep", "/no/such/spec.toml"], "no spec file"),
])
def test_bad_input_is_one_line_and_exit_2(argv, says, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_diverging_chains_are_counted_not_hidden(capsys):
    # the explicit step from x0 = 3 at step 0.5 blows up deterministically (test_core_validation):
    # the command drops such chains and says how many
    argv = ["simulate", "--target", "double_well", "--scheme", "lmc", "--step-size", "0.5",
            "--n-steps", "20", "--n-chains", "4", "--x0", "3"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out)["n_diverged"] == 4
