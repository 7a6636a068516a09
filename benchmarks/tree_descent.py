"""The Brownian tree alone, on the queries of a coupled PLMC run at K = 1024: ns per step.

Usage::

    python benchmarks/tree_descent.py [--steps 4000] [--passes 20] [--repeat 15]

Why this exists. In a coupled PLMC step at K = 1024 most of the time beyond the fast mode's
goes into ``brownian.tree_value``: OPTION 1 selects each of the step's K slots with
probability 1/K, so a step has one midpoint on average, whose value needs a descent of ~10
levels, and then the step's end, often an end of a cached interval. Timing the whole step
(``ab_compare.py``) takes minutes per variant of the descent, because the whole driver
recompiles; this script compiles the tree query alone (seconds) and replays that query
pattern for one chain: per step, the value at each selected slot but slot 0 (the step's
start, whose noise piece is empty), in increasing order, then at the step's end. Every query
goes through ``tree_lookup`` first, as the coupled noise piece does inline. It is a harness
for trying variants of the descent in a copy of the package (``PYTHONPATH=<copy> python
benchmarks/tree_descent.py``): read its differences as a guide and confirm them with
``ab_compare.py`` on the whole step.

Before timing, it checks that it reads the path: the first queries' values equal
``BrownianPath.noise`` from 0 to the query point (within a block, N(0, q) = Y(q) - 0),
bit for bit. That is the *same* package's path, so a copy whose descent is wrong on purpose
(an ablation) still passes: the check guards the harness, the package's tests the tree.

What it showed (stop 19, AMD EPYC Zen 4, defaults, three pairs of runs alternating the two
versions): 176.1-187.8 ns a step at dc713b2, with the ziggurat in a loop of its own before
the bridges, and 147.9-161.7 with its fast path inside the bridge loop (the package since
stop 19). In the whole coupled PLMC step (``ab_compare.py``, 2 rounds) a copy whose descent
was cut out (a query only computed its cached level and returned a stale value) took 81-106
ns against 269-277 for the package and 95 for the fast mode: the descent is most of what
coupled costs beyond fast.
"""
from __future__ import annotations

import argparse
import time

import numba
import numpy as np

import langevin_theory as lt
from langevin_theory import brownian

K = 1024
DIM = 2


def make_replay(br):
    """The replay loop of the tree functions of module ``br`` (the package's ``brownian``, or
    an edited copy of it: ``benchmarks/ablations.py``)."""
    tree_lookup, tree_meta_size, tree_reset, tree_value = (
        br.tree_lookup, br.tree_meta_size, br.tree_reset, br.tree_value)

    @numba.njit
    def replay(qs, chain, k0, k1, tab, nl, passes, values):
        """Query the tree at ``qs`` (sub-units, increasing) ``passes`` times from a fresh
        cache; the last pass's first components go to ``values``. Returns their sum (keeps
        the work)."""
        meta = np.zeros(tree_meta_size(nl), np.int64)
        ylo = np.zeros((nl + 1, DIM, 1))
        yhi = np.zeros((nl + 1, DIM, 1))
        out = np.zeros((DIM, 1))
        acc = 0.0
        for _ in range(passes):
            tree_reset(meta)
            for t in range(qs.shape[0]):
                b = qs[t] >> nl
                q = qs[t] - (b << nl)
                if not tree_lookup(q, b, meta, ylo, yhi, out):
                    tree_value(q, b, chain, k0, k1, tab, nl, meta, ylo, yhi, out)
                values[t] = out[0, 0]
                acc += out[0, 0]
        return acc
    return replay


replay = make_replay(brownian)


def query_points(path, n_steps, seed=0):
    """The sub-unit query points of ``n_steps`` coupled PLMC steps at K substeps."""
    rng = np.random.default_rng(seed)
    unit = np.int64(1) << path.sub_levels  # one fine step, in sub-units
    qs = []
    for n in range(n_steps):
        slots = np.flatnonzero(rng.random(K) < 1.0 / K)  # OPTION 1's Bernoulli(1/K) slots
        qs.extend(int(n * K + i) * unit for i in slots if i > 0)
        qs.append((n + 1) * K * unit)
    return np.array(qs, np.int64)


def setup(n_steps):
    path = lt.BrownianPath(seed=1, fine_step=0.05 / K)
    tab = path.tables(lt.dynamics.Overdamped())
    return path, tab, query_points(path, n_steps)


def check(n=200):
    """The replayed values are the path's, bit for bit (first ``n`` queries, block 0)."""
    path, tab, qs = setup(n)
    qs = qs[qs <= np.int64(1) << path.levels][:n]
    values = np.zeros(qs.size)
    replay(qs, 3, np.uint64(path.key[0]), np.uint64(path.key[1]), tab, path.levels, 1, values)
    ref = path.noise(np.zeros(qs.size), qs / 2.0 ** path.sub_levels, chain=3, dim=DIM)
    if not np.array_equal(values, ref[:, 0, 0]):
        raise AssertionError("replayed tree values differ from BrownianPath.noise")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=4000)
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)
    check()
    path, tab, qs = setup(args.steps)
    k0, k1 = np.uint64(path.key[0]), np.uint64(path.key[1])
    values = np.zeros(qs.size)
    replay(qs[:10], 3, k0, k1, tab, path.levels, 1, values)  # compile untimed
    best = np.inf
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        replay(qs, 3, k0, k1, tab, path.levels, args.passes, values)
        best = min(best, time.perf_counter() - t0)
    per_step = best / (args.passes * args.steps) * 1e9
    print(f"{per_step:.1f} ns per step ({qs.size / args.steps:.3f} queries a step; "
          f"best of {args.repeat})")
    return per_step


if __name__ == "__main__":
    main()
