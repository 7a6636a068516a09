"""The README's first two commands are the ones CI and users run: keep them true."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    block = text.split("```bash", 1)[1].split("```", 1)[0]
    return [line.strip() for line in block.strip().splitlines()]


def test_readme_starts_with_install_and_test_commands():
    install_run, install_test = _readme_commands()[:2]
    assert "pip install" in install_run and "langevin-theory reproduce" in install_run
    assert "pip install" in install_test and "pytest" in install_test


def test_ci_runs_the_readme_test_command_verbatim():
    test_command = _readme_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in [line.strip() for line in ci]
