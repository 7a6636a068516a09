"""Monte Carlo floors of the sample estimators, measured on identical laws.

For n in {1e5, 1e6} and laws N(0, 1) and LogCosh (1/2 N(-2,1) + 1/2 N(2,1)): R independent
replicates of each estimator on two independent samples of the same law (or a sample against
the exact law), the RMS of the estimates, and the documented floor reported by the estimator
(mean over replicates). Their ratio should lie within [1/2, 2].

Usage: python validation/instruments_floors.py [--reps 5]
Writes runs/instruments/floors.csv.
"""
from __future__ import annotations

import argparse
import math
import os
import time

import numpy as np
import pandas as pd

from langevin_theory import metrics as M
from langevin_theory import reference as R

LAWS = {
    "normal": R.Normal1D(0.0, 1.0),
    "logcosh": R.NormalMixture1D([0.5, 0.5], [-2.0, 2.0], [1.0, 1.0]),
}


def estimators(law):
    return {
        "w2_two_sample": lambda x, y: M.w2_1d(x, y),
        "w2_vs_law": lambda x, y: M.w2_1d(x, law),
        "w2_vs_law_symmetrised": lambda x, y: M.w2_1d(x, law, symmetrize=True),
        "w2_two_sample_symmetrised": lambda x, y: M.w2_1d(x, y, symmetrize=True),
        "kl_hist_vs_density": lambda x, y: M.kl_samples(x, lambda p: law.logpdf(p[:, 0])),
        "tv_two_sample": lambda x, y: M.tv_hist(x, y),
        "tv_vs_law": lambda x, y: M.tv_hist(x, law),
    }


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--out", default="runs/instruments/floors.csv")
    args = ap.parse_args(argv)
    g = np.random.default_rng(2024)
    rows = []
    for lname, law in LAWS.items():
        for n in (int(s) for s in args.sizes.split(",")):
            for ename, est in estimators(law).items():
                t0 = time.perf_counter()
                out = [est(law.sample(n, g), law.sample(n, g)) for _ in range(args.reps)]
                vals = np.array([e.value for e in out])
                rms = math.sqrt(float(np.mean(vals ** 2)))
                floor = float(np.mean([e.floor for e in out]))
                rows.append(dict(law=lname, n=n, estimator=ename, reps=args.reps, rms=rms,
                                 mean=float(vals.mean()), floor=floor, ratio=rms / floor,
                                 seconds=(time.perf_counter() - t0) / args.reps))
                print(f"{lname:8s} n={n:<8d} {ename:28s} RMS={rms:.3e} floor={floor:.3e} "
                      f"ratio={rms / floor:.2f} ({rows[-1]['seconds']:.1f}s each)", flush=True)
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    pd.DataFrame(rows).to_csv(args.out, index=False)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
