"""Validation: Ctrl-C stops a long ``simulate`` run promptly.

    python validation/simulate_interrupt.py [--chains 2000000] [--steps 400] [--out DIR]

Compiled code does not see SIGINT: the interpreter raises KeyboardInterrupt only when the call
returns. ``simulate`` therefore runs a large run in batches of chains
(``simulate._chain_batches``), and this script measures what that buys. It starts a child
process that runs LMC on LogCosh (2e6 chains x 400 steps by default: ~10 s on the benchmark
VM's two threads, in 49 batches of 40960 chains), sends it SIGINT one second into the run and
times how long the
child takes to report the KeyboardInterrupt; then the same with the whole run in one batch
(``BATCH_CHAIN_STEPS`` made huge in the child), as the package ran before stop 23. Prints
both and writes DIR/interrupt.json atomically; exits 1 if the batched run took longer than
its largest batch should (3 s) to stop.
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

CHILD = """
import importlib, sys, time
import langevin_theory as lt
sim = importlib.import_module("langevin_theory.simulate")
if sys.argv[1] == "one":
    sim.BATCH_CHAIN_STEPS = 1 << 60
n, steps = int(sys.argv[2]), int(sys.argv[3])
target = lt.targets.LogCosh()
lt.simulate(target, lt.schemes.LMC(), step_size=0.1, n_steps=2, n_chains=5000)  # compile
print(len(sim._chain_batches(n, steps)), flush=True)
t0 = time.perf_counter()
try:
    lt.simulate(target, lt.schemes.LMC(), step_size=0.1, n_steps=steps, n_chains=n, rng=0)
    print("finished", time.perf_counter() - t0, flush=True)
except KeyboardInterrupt:
    print("interrupted", time.perf_counter() - t0, flush=True)
"""


def interrupt_latency(mode, n, steps, delay=1.0):
    """(batches, what the child reports, its run time, seconds from SIGINT to its exit)."""
    p = subprocess.Popen([sys.executable, "-c", CHILD, mode, str(n), str(steps)],
                         stdout=subprocess.PIPE, text=True)
    batches = int(p.stdout.readline())
    time.sleep(delay)
    t0 = time.perf_counter()
    p.send_signal(signal.SIGINT)
    what, ran = p.stdout.read().split()
    p.wait()
    return batches, what, float(ran), time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chains", type=int, default=2_000_000)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--out", default="out/validation")
    a = ap.parse_args(argv)
    if a.chains < 1 or a.steps < 1:
        ap.error("--chains and --steps must be >= 1")
    from langevin_theory.experiments.runner import atomic_write_text
    out = {}
    for mode in ("batched", "one"):
        batches, what, ran, latency = interrupt_latency(mode, a.chains, a.steps)
        out[mode] = {"batches": batches, "outcome": what, "run_seconds": round(ran, 3),
                     "seconds_from_sigint_to_exit": round(latency, 3)}
        print(f"{mode:8s} {batches} batch(es): {what} after {ran:.2f} s, "
              f"{latency:.2f} s after SIGINT")
    atomic_write_text(Path(a.out) / "interrupt.json", json.dumps(out, indent=2))
    ok = out["batched"]["outcome"] == "interrupted" and \
        out["batched"]["seconds_from_sigint_to_exit"] <= 3.0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
