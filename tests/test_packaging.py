"""The package's data files ship with a regular install.

``pip install -e .`` (the README's commands, CI) reads files from the source tree, so a data
file missing from ``setup.cfg``'s ``package_data`` goes unnoticed there, while ``pip install .``
leaves it out of the wheel: until stop 18 the built-in sweep specs were missing that way, and
``langevin-theory reproduce`` found no spec in a regular install.
"""
import configparser
import fnmatch
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "langevin_theory")


def _package_data_patterns():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"))
    value = cfg["options.package_data"]["langevin_theory"]
    return [p.strip() for p in value.replace("\n", ",").split(",") if p.strip()]


def _data_files():
    """Every file under langevin_theory/ that is not Python source or a byte-code / numba
    cache file."""
    out = []
    for d, dirs, files in os.walk(PACKAGE):
        dirs[:] = [x for x in dirs if x != "__pycache__"]
        for f in files:
            if not f.endswith((".py", ".pyc")):
                out.append(os.path.relpath(os.path.join(d, f), PACKAGE).replace(os.sep, "/"))
    return sorted(out)


def test_every_data_file_is_package_data():
    patterns = _package_data_patterns()
    files = _data_files()
    # the files the package is known to read: the built-in specs and the digits checkpoints
    assert "experiments/specs/quick.toml" in files
    assert "diffusion/checkpoints/manifest.json" in files
    missing = [f for f in files if not any(fnmatch.fnmatchcase(f, p) for p in patterns)]
    assert not missing, f"not in setup.cfg's package_data (a wheel would lack them): {missing}"
    # and every pattern matches something (no stale entries)
    stale = [p for p in patterns if not any(fnmatch.fnmatchcase(f, p) for f in files)]
    assert not stale, f"package_data patterns that match no file: {stale}"
