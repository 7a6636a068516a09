"""A/B timing of two versions of the package: alternating fresh processes, one line per round.

Usage::

    python benchmarks/ab_compare.py --a-rev HEAD --configs lmc,plmc1,plmc2,coupled
    python benchmarks/ab_compare.py --a-dir /tmp/old --b-dir . --configs plmc1 --rounds 8

Side A is a git revision (exported with ``git archive`` into
``<temp dir>/langevin-theory-ab/<commit>``, kept, so that its numba cache serves later runs)
or a folder holding a ``langevin_theory`` package; side B is the working tree by default.
Each round runs one fresh process per side, A then B, with ``PYTHONPATH`` pointing at the
side's folder and a
numba cache of its own (``<folder>/.numba-cache-ab``), and each process reports the best of
``--repeat`` timings of every configuration, in ns per chain-step, one thread. The first
round of a side compiles whatever its cache lacks (untimed: each configuration runs one step
first).

Why this exists: the VM is shared and its speed drifts by several percent over minutes, so
two versions are compared only within alternating rounds, and a difference counts only when
the two sides' ranges over the rounds separate. Placement alone moves timings: identical code
in two copies of the package differed by ~1 % (stop 16, Zen 4), so read differences of that
size as noise. Bit-identity of a speed-up is a separate check (``golden_outputs.py``).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

# the configurations are bench_core's PLMC block (one definition for both scripts); in a
# child process this imports the side's langevin_theory, which PYTHONPATH puts first
from bench_core import PLMC_BLOCK as CONFIGS  # noqa: E402

def child(names, repeat, n_chains, n_steps):
    """Time ``names`` in this process (the package on ``sys.path``); print a JSON dict."""
    from bench_core import best_times, plmc_block_runs

    kw, runs = plmc_block_runs(n_chains, n_steps)

    for name in names:
        runs[name](**{**kw, "n_steps": 1})  # compile (or load from the cache) untimed
    tt = best_times({name: (lambda name=name: runs[name](**kw)) for name in names}, repeat)
    print(json.dumps({name: tt[name] / (n_chains * n_steps) * 1e9 for name in names}))


def export_revision(rev):
    """The package as committed at ``rev``, exported once into a kept folder; its path."""
    sha = subprocess.run(["git", "-C", ROOT, "rev-parse", "--verify", rev + "^{commit}"],
                         check=True, capture_output=True, text=True).stdout.strip()
    dest = os.path.join(tempfile.gettempdir(), "langevin-theory-ab", sha)
    if not os.path.isdir(os.path.join(dest, "langevin_theory")):
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=sha[:12] + ".", dir=os.path.dirname(dest))
        archive = subprocess.run(["git", "-C", ROOT, "archive", sha], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        os.replace(tmp, dest)  # the folder appears whole or not at all
    return dest


def run_side(folder, names, args):
    env = dict(os.environ, PYTHONPATH=folder,
               NUMBA_CACHE_DIR=os.path.join(folder, ".numba-cache-ab"))
    cmd = [sys.executable, os.path.abspath(__file__), "--child", ",".join(names),
           "--repeat", str(args.repeat), "--chains", str(args.chains), "--steps",
           str(args.steps)]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    side_a = ap.add_mutually_exclusive_group()
    side_a.add_argument("--a-rev", help="side A: this git revision (default HEAD)")
    side_a.add_argument("--a-dir", help="side A: a folder holding a langevin_theory package")
    ap.add_argument("--b-dir", default=ROOT, help="side B (default: this working tree)")
    ap.add_argument("--configs", default="lmc,plmc1,plmc2,coupled",
                    help="comma-separated, from: " + ", ".join(CONFIGS))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5, help="timings per process (best kept)")
    ap.add_argument("--chains", type=int, default=4000)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    names = [c for c in (args.child or args.configs).split(",") if c]
    unknown = [c for c in names if c not in CONFIGS]
    if unknown:
        ap.error(f"unknown configuration(s) {unknown}; choose from {sorted(CONFIGS)}")
    if not (args.rounds >= 1 and args.repeat >= 1 and args.chains >= 1 and args.steps >= 1):
        ap.error("--rounds, --repeat, --chains and --steps must be >= 1")
    if args.child:
        return child(names, args.repeat, args.chains, args.steps)

    if args.a_dir:
        a_dir = os.path.abspath(args.a_dir)
    else:
        try:
            a_dir = export_revision(args.a_rev or "HEAD")
        except subprocess.CalledProcessError as err:
            ap.error(f"cannot export revision {args.a_rev or 'HEAD'!r}: {err.stderr!r}")
    b_dir = os.path.abspath(args.b_dir)
    for label, folder in (("A", a_dir), ("B", b_dir)):
        if not os.path.isdir(os.path.join(folder, "langevin_theory")):
            ap.error(f"side {label}: no langevin_theory package in {folder}")
    print(f"A = {args.a_dir or args.a_rev or 'HEAD'} ({a_dir})\nB = {b_dir}\n"
          f"ns per chain-step, best of {args.repeat}, {args.chains} chains x "
          f"{args.steps} steps, one thread", flush=True)
    seen = {"A": {n: [] for n in names}, "B": {n: [] for n in names}}
    t0 = time.perf_counter()
    for r in range(args.rounds):
        for label, folder in (("A", a_dir), ("B", b_dir)):
            res = run_side(folder, names, args)
            for n in names:
                seen[label][n].append(res[n])
            print(f"round {r + 1} {label}: "
                  + " ".join(f"{n}={res[n]:.2f}" for n in names), flush=True)
    print(f"summary over {args.rounds} rounds ({time.perf_counter() - t0:.0f} s), min-max:")
    for n in names:
        a, b = seen["A"][n], seen["B"][n]
        # one round has no spread to compare against: never call its points separate
        apart = args.rounds >= 2 and (max(b) < min(a) or max(a) < min(b))
        print(f"  {n:12s} A {min(a):8.2f}-{max(a):8.2f}   B {min(b):8.2f}-{max(b):8.2f}"
              f"   B/A of the minima {min(b) / min(a):.3f}"
              f"{'   (ranges separate)' if apart else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
