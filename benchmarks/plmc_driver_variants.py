"""Time edited copies of ``langevin_theory/_driver_plmc.py`` (the lockstep PLMC fast-mode loop)
against the package's lockstep LMC, in one process.

Usage::

    cp langevin_theory/_driver_plmc.py /tmp/v0.py      # and edit copies: /tmp/v1.py, ...
    # (copies of the current file: since stop 23 the driver takes the chain range c_lo, c_hi)
    python benchmarks/plmc_driver_variants.py /tmp/v0.py /tmp/v1.py [--repeat 5]

Each file is loaded as a module of the package (so its relative imports resolve) and compiled
uncached; the 2-D four-mode mixture of ``bench_core`` runs 4000 chains x 500 steps, one
thread, OPTION 1 and OPTION 2 at K = 10, round-robin with LMC, best of ``--repeat``. It prints
ns per chain-step, the ratio to LMC, and whether each variant's final states equal the first
file's for the same configuration ("DIFFERS" is expected of an ablation that cuts work out,
and is a bug in a variant meant to be the same numbers). Stop 20's ablations (``docs/core.md``:
the loop without its gradients, without its normals, without any draw) were timed with it.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import pathlib
import sys

import numba
import numpy as np

import langevin_theory as lt
import langevin_theory._jit as _jit

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from bench_core import benchmark_mixture, best_times  # noqa: E402


def load_variant(path, k, prefix="_plmc_variant"):
    """``path`` as the module ``langevin_theory.<prefix>_<k>`` (so that its relative imports
    resolve), its kernels uncached (a variant must never share, or overwrite, the package's
    cache entries; and numba cannot reload a cached function of a module loaded from a file
    path). Also ``ablations.py``'s loader."""
    spec = importlib.util.spec_from_file_location(f"langevin_theory.{prefix}_{k}", path)
    mod = importlib.util.module_from_spec(spec)
    saved, saved_jit = _jit.specialise, _jit.jit
    _jit.specialise = lambda *a, **kw: saved(*a, **{**kw, "cache": False})
    _jit.jit = lambda *a, **kw: saved_jit(*a, **{**kw, "cache": False})
    try:
        spec.loader.exec_module(mod)  # binds the uncached specialise and jit at import
    finally:
        _jit.specialise, _jit.jit = saved, saved_jit
    return mod


def runner(mod, target, n, steps, K, option):
    """A function running the variant's driver as ``simulate`` would (fast mode, overdamped)."""
    drv = mod.get_plmc_driver(target, 1)
    if drv is None:
        raise SystemExit(f"{mod.__file__}: get_plmc_driver returned None for the mixture")
    gap = -1.0 / math.log1p(-1.0 / K)
    rec = np.array([steps])
    out_pos, out_vel = np.empty((1, n, 2)), np.empty((0, 0, 0))
    evals, diverged = np.zeros(n, np.int64), np.zeros(n, np.int64)
    sub = 20  # sub-units per grid unit: any value gives the same law

    def run():
        drv(np.zeros((n, 2)), np.zeros((n, 2)), False, steps, np.int64(K << sub), 0.05, K,
            option, False, gap, 0.05 / K / 2 ** sub, 0.0, target.params, rec, out_pos,
            out_vel, evals, diverged, np.uint64(1), np.uint64(2), np.uint64(1), np.uint64(2),
            np.int64(0), np.int64(n))
        return out_pos[0].copy()
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", help="copies of langevin_theory/_driver_plmc.py")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--chains", type=int, default=4000)
    ap.add_argument("--steps", type=int, default=500)
    args = ap.parse_args(argv)
    if args.repeat < 1 or args.chains < 1 or args.steps < 1:
        ap.error("--repeat, --chains and --steps must be >= 1")
    numba.set_num_threads(1)
    mix = benchmark_mixture()
    n, steps = args.chains, args.steps
    kw = dict(step_size=0.05, n_steps=steps, n_chains=n, rng=0, x0=np.zeros((n, 2)),
              n_threads=1)
    fns = {"LMC (package)": lambda: lt.simulate(mix, lt.schemes.LMC(), **kw).positions}
    for k, f in enumerate(args.files):
        mod = load_variant(f, k)
        for K, opt in ((10, 1), (10, 2)):
            fns[f"{pathlib.Path(f).name} OPTION {opt} K={K}"] = runner(mod, mix, n, steps, K,
                                                                       opt)
    outs = {name: f() for name, f in fns.items()}  # compile, untimed
    best = best_times(fns, args.repeat)
    first = {}
    t_lmc = best["LMC (package)"]
    for name, t in best.items():
        note = ""
        if name != "LMC (package)":
            conf = name.split(" ", 1)[1]
            ref = first.setdefault(conf, outs[name])
            note = "same as the first file" if np.array_equal(outs[name], ref) else "DIFFERS"
        print(f"{name:40s} {t / (n * steps) * 1e9:7.2f} ns  / LMC {t / t_lmc:5.2f}  {note}")


if __name__ == "__main__":
    main()
