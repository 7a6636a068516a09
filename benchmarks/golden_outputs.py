"""Bit-for-bit check for performance work on the kernels.

Usage::

    python benchmarks/golden_outputs.py save /tmp/golden.npz     # before the change
    python benchmarks/golden_outputs.py compare /tmp/golden.npz  # after it: exit 1 on any diff

Runs ``simulate`` over 4 targets (2-D four-mode mixture, double well, 3-D LogCosh, a 3-D
full-covariance mixture) x 7 scheme configurations (LMC, RLMC, PLMC OPTION 1 at K = 1, 7, 64,
OPTION 2 at K = 7, OPTION 1 skipping the trivial midpoint) x 2 dynamics x fast / coupled mode,
300 chains, 30 steps, recording three steps, and keeps positions, velocities and per-chain
gradient counts: 280 arrays. A change meant to be a pure speed-up must leave every one of them
identical (``np.array_equal``); the committed experiment results then stay valid. Changes that
alter sample paths on purpose (a new way of drawing the same law) fail here by design and need
the results regenerated (``python paper_repro/run_all.py --full``).
"""
from __future__ import annotations

import sys

import numpy as np

import langevin_theory as lt


def outputs():
    T = lt.targets
    targets = {
        "mix": T.GaussianMixture(np.ones(4), [[2, 2], [2, -2], [-2, 2], [-2, -2]], 0.49),
        "dw": T.DoubleWell(), "lc3": T.LogCosh(dim=3),
        "mixfull": T.GaussianMixture([0.3, 0.7], [[0, 0, 1], [1, 1, 0]],
                                     [np.eye(3), 0.5 * np.eye(3) + 0.1])}
    P = lt.schemes.PoissonMidpoint
    schemes = {"lmc": lt.schemes.LMC(), "rlmc": lt.schemes.RandomizedMidpoint(),
               "p1k1": P(1, 1), "p1k7": P(7, 1), "p2k7": P(7, 2), "p1k64": P(64, 1),
               "p1k7s": P(7, 1, skip_trivial_midpoint=True)}
    dynamics = {"o": lt.dynamics.Overdamped(), "u": lt.dynamics.Underdamped(1.5)}
    h = 0.125
    out = {}
    for tn, tg in targets.items():
        for sn, sc in schemes.items():
            for dn, dyn in dynamics.items():
                for mode in ("fast", "coup"):
                    K = getattr(sc, "substeps", 1)
                    br = None
                    if mode == "coup":
                        # K = 7: a fine step that is not a power-of-two fraction of the step
                        fine = h / 7 / 4 if K == 7 else h / 64 / K
                        br = lt.BrownianPath(seed=7, fine_step=fine)
                    r = lt.simulate(tg, sc, dyn, step_size=h, n_steps=30, n_chains=300, rng=3,
                                    brownian=br, record_steps=[5, 17], on_divergence="drop")
                    key = f"{tn}_{sn}_{dn}_{mode}"
                    out[key + "_x"] = r.recorded_positions
                    out[key + "_e"] = r.grad_evals_per_chain
                    if r.velocities is not None:
                        out[key + "_v"] = r.recorded_velocities
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in ("save", "compare"):
        print(__doc__)
        return 2
    out = outputs()
    if argv[0] == "save":
        np.savez(argv[1], **out)
        print(f"saved {len(out)} arrays to {argv[1]}")
        return 0
    ref = np.load(argv[1])
    bad = [k for k, v in out.items() if k not in ref or not np.array_equal(ref[k], v,
                                                                            equal_nan=True)]
    for k in bad:
        if k not in ref or ref[k].shape != out[k].shape:
            print("differs:", k, "(missing or of another shape)")
            continue
        a, b = np.asarray(ref[k], float), np.asarray(out[k], float)
        same_nan = np.array_equal(np.isnan(a), np.isnan(b))
        fin = np.isfinite(a) & np.isfinite(b)
        dev = np.abs(a - b)[fin].max() / max(1.0, np.abs(a[fin]).max()) if fin.any() else 0.0
        # a change of rounding (e.g. another exp) shows as a deviation of a few ulps
        print(f"differs: {k} (max relative deviation {dev:.2e}; "
              f"NaNs {'in the same places' if same_nan else 'DIFFER'})")
    print(f"compared {len(out)} arrays: {len(bad)} differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
