"""``python -m langevin_theory.theory`` / ``langevin_theory.theory.main``."""
import subprocess
import sys

from langevin_theory import theory


def test_main_prints_rates_and_table(capsys):
    assert theory.main([]) == 0
    out = capsys.readouterr().out
    assert "kappa^(17/12) d^(5/12) eps^(-1/2)" in out
    assert "kappa^(3/2) d^(3/4) eps^(-1)" in out
    assert out.count(" match") == 4 and "MISMATCH" not in out
    assert "RLMC    fixed_K         3" in out
    assert "epsilon**4/4" in out


def test_main_prove_reports_all_ok(capsys):
    assert theory.main(["--prove"]) == 0
    out = capsys.readouterr().out
    assert "[ok]" in out and "FAILED" not in out


def test_module_entry_point_runs():
    res = subprocess.run([sys.executable, "-m", "langevin_theory.theory", "--kl"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert "epsilon**4/4" in res.stdout


def test_import_is_cheap():
    """Importing the subpackage does no symbolic work (submodules load lazily)."""
    code = ("import time, langevin_theory; t = time.perf_counter(); "
            "import langevin_theory.theory as th; "
            "print(time.perf_counter() - t, 'identities' in vars(th))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300)
    dt, loaded = res.stdout.split()
    assert float(dt) < 0.5 and loaded == "False"
