"""Validation: the quick spec's Monte Carlo cells give the same table with 1 and 2 workers,
and a resumed run (half the cells cached first) equals a fresh one.

    python validation/experiments_determinism.py [--out DIR]

Prints the comparison and writes DIR/determinism.json atomically.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pandas as pd

from langevin_theory.experiments import load_spec, run_sweep
from langevin_theory.experiments.runner import atomic_write_text


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="out/validation")
    a = ap.parse_args(argv)
    spec = load_spec("quick")
    pick = lambda c: c.kind == "mc" and c.params["step_size"] >= 0.125  # noqa: E731
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        one = run_sweep(spec, d / "w1", n_workers=1, progress=False, only=pick)
        two = run_sweep(spec, d / "w2", n_workers=2, progress=False, only=pick)
        half = lambda c: pick(c) and c.index % 2 == 0  # noqa: E731
        run_sweep(spec, d / "res", n_workers=2, progress=False, only=half)
        res = run_sweep(spec, d / "res", n_workers=2, progress=False, only=pick)
    cols = [c for c in one.columns if c not in ("seconds", "mc_seconds")]
    same_workers = one[cols].equals(two[cols])
    same_resume = one[cols].equals(res[cols])
    out = {"cells": len(one), "identical_1_vs_2_workers": bool(same_workers),
           "identical_resumed_vs_fresh": bool(same_resume)}
    print(json.dumps(out, indent=2))
    atomic_write_text(Path(a.out) / "determinism.json", json.dumps(out, indent=2))
    return 0 if same_workers and same_resume else 1


if __name__ == "__main__":
    raise SystemExit(main())
