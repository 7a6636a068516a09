"""The documentation's examples run and say what they claim: every ``>>>`` example in the
package's docstrings (doctest), the README's "A first run", and the diffusion guide's example
(with the torch extra)."""
import contextlib
import doctest
import importlib
import importlib.util
import io
import math
import pathlib
import pkgutil

import numpy as np
import pytest

import langevin_theory

ROOT = pathlib.Path(__file__).resolve().parents[1]
HAS_TORCH = importlib.util.find_spec("torch") is not None


def _python_block(path, after):
    """The first ```python block of ``path`` after the line starting with ``after``."""
    text = path.read_text()
    i = text.index(after)
    return text[i:].split("```python", 1)[1].split("```", 1)[0]


def _package_modules():
    names = ["langevin_theory"]
    for info in pkgutil.walk_packages(langevin_theory.__path__, "langevin_theory."):
        if ".diffusion" in info.name and not HAS_TORCH:
            continue  # the torch extra's subpackage imports torch
        if info.name.endswith("__main__"):
            continue  # importing it runs the command line
        names.append(info.name)
    return names


def test_docstring_examples_run():
    """doctest over every module of the package: all examples pass, and there are examples
    (the public entry points carry them: simulate, BrownianPath, the targets, LMC)."""
    attempted = 0
    for name in _package_modules():
        module = importlib.import_module(name)
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
        assert result.failed == 0, f"{name}: {result.failed} doctest example(s) failed"
        attempted += result.attempted
    print(f"{attempted} doctest examples")
    assert attempted >= 17


def test_readme_first_run_example():
    """The README's first example runs as printed, and its comment holds: fine LMC makes
    exactly 16 K = 128 gradients a chain, PLMC ~2 a step, 32 a chain. PLMC OPTION 1 makes
    1 + Bin(K, 1/K) a step (slots are selected independently across steps), so a chain's 16
    steps have variance 16 K (1/K)(1 - 1/K) = 14 and the mean over 1e5 chains a standard
    error sqrt(14 / 1e5) ~ 0.0118: within 4 SE of 32."""
    code = _python_block(ROOT / "README.md", "## A first run")
    ns = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md (A first run)", "exec"), ns)
    fine, plmc = (float(v) for v in out.getvalue().split())
    print(f"gradients a chain: fine LMC {fine}, PLMC {plmc}")
    assert fine == 128.0
    assert abs(plmc - 32.0) < 4 * math.sqrt(16 * 8 * (1 / 8) * (7 / 8) / 100_000)
    assert ns["plmc"].positions.shape == (100_000, 1)
    assert np.all(np.isfinite(ns["plmc"].positions))


@pytest.mark.torch
@pytest.mark.skipif(not HAS_TORCH, reason="needs the torch extra")
def test_diffusion_guide_example():
    """docs/diffusion.md's example: PMM with K = 25, OPTION 2, 80 network calls a sample."""
    code = _python_block(ROOT / "docs" / "diffusion.md", "# `langevin_theory.diffusion`")
    ns = {}
    exec(compile(code, "docs/diffusion.md", "exec"), ns)
    res = ns["res"]
    assert tuple(res.samples.shape) == (10_000, 2)
    assert res.nfe == 80.0
