"""Could the Brownian tree serve a lockstep group of chains at once? A bit-identical prototype.

Usage::

    python benchmarks/tree_lanes.py [--chains 64] [--steps 500] [--passes 2] [--repeat 7]

Why this exists. The core issue asks a coupled PLMC step at K = 1024 to cost <= 3x the fast
mode's. The fast mode of the benchmark mixture runs in the lockstep loop
(``_driver_plmc``, ~53 ns a chain-step for OPTION 1); coupled runs go through the per-chain
driver, where the Brownian tree alone (``tree_descent.py``) costs ~150-175 ns a step. Even a
coupled lockstep loop would leave the tree <= ~2 x 53 = 106 ns a chain-step (the README's
performance section: with C = P + c, C <= 3P needs c <= 2P). The per-chain
tree cannot vectorise across chains: one chain's descent is a chain of dependent levels. This
script tries the other cut: the descents of a *group* of chains, in the package's own
arithmetic, phase by phase:

a. bookkeeping, chain by chain (each chain's r-th query of the step: the lookup of a cached
   interval's end, or a descent's levels and nodes); a descent whose first level's midpoint
   is already cached (an end of the cached level-(k-1) interval, the other half) starts one
   level lower, which changes no bit (measured below: "lanes, every level drawn");
b. the Philox words of all of the round's nodes, in one flat loop (independent tasks);
c. the ziggurat's fast path on them, in another, then the rare slow paths;
d. the bridges, descent by descent, the values kept in registers from level to level (a first
   form ran them level-synchronously across descents with masks: slower, see below).

Each chain has its own tree cache (levels, left end, values at both ends of each cached
interval), so every value is the per-chain tree's, bit for bit: :func:`check` compares all
of them (both components) with the path's (``BrownianPath.noise``), and so the first
components of ``tree_descent.py``'s replay of the package's ``tree_value``; every run
checks first. The query pattern is ``tree_descent.py``'s (a coupled
OPTION 1 step at K = 1024: its selected slots but slot 0, then its end), one seed per chain.

The timings, single thread, best of ``--repeat`` rounds taken round-robin, in ns a chain-step:
the package's per-chain tree (``tree_descent.py``'s replay, chain after chain), this lockstep
form, the same without the known-level skip, and the lockstep form with its phases cut one by
one (wrong numbers: what each phase costs).

What it showed (stop 24, AMD EPYC Zen 4, defaults, four runs): per-chain 160.8-173.6 ns (199.7
in the fourth), lanes 151.4-153.4, every level drawn 158.8-161.1; with phases cut: no words
120.3-122.4, no normals either 98.8-102.7, bookkeeping only 56.6-61.7. So, per chain-step:
Philox words ~31 ns (~3.4 ns a block for 9.2 blocks, against ~1.6 for the same loop over 600
independent blocks in a scratch timing; probably the rounds after the first, with few tasks
each), normals ~22, bridges ~42, bookkeeping ~57 (~28 a query). Tried in scratch copies and
not kept: the bridges level-synchronous across descents (masks, stores of inactive descents to
a junk row): 186-195 ns (~6 ns a descent-level, 35 % of them masked); the words and the fast
path fused in one loop: ~10 ns slower (one run); lookups as descents of no level (no branch
between the two): bookkeeping 68.7 instead of 56.6 (one run). A per-chain ``tree_value`` with
the known-level skip (10.26 -> 9.21 levels a step, same bits): no change measured (round-robin
in one process, two orders: 155.1 vs 157.7 and 173.4 vs 169.2 ns), though here it saves ~7 ns.
So the lockstep tree is ~5-13 % faster than the per-chain one as it stands, not the ~30-40 %
the goal needs: 151 against ~106, with the bookkeeping alone over half of that budget.
"""
from __future__ import annotations

import argparse
import time

import numba
import numpy as np

from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros

from langevin_theory import _rng, brownian

import tree_descent

K = tree_descent.K
DIM = tree_descent.DIM  # 2: one Philox pair serves both components of a node (overdamped)
TAG = _rng.TAG_PATH
counter_words = _rng.counter_words
normal_pair = _rng.normal_pair
normals_fast_path = _rng.normals_fast_path
normals_from_words = _rng.normals_from_words
philox4x32 = _rng.philox4x32

#: the lockstep form's phase cuts (``mode`` bits): no Philox words, no normals, no bridges
NO_WORDS, NO_NORMALS, NO_BRIDGES = 1, 2, 4


@numba.njit(inline="always")
def _descent_node(q, kk):
    """As ``brownian._descent_node``: the midpoint node of the level-kk interval holding q."""
    return (q & -(np.int64(1) << kk)) + (np.int64(1) << (kk - 1))


@numba.njit(inline="always")
def _cached_level(q, kc, base):
    """As ``brownian._cached_level``, from a chain's (lowest level, left end)."""
    k_open = 64 - np.int64(leading_zeros(np.uint64(q ^ base)))
    k_shut = 64 - np.int64(leading_zeros(np.uint64((q - 1) ^ base)))
    k = max(kc, min(k_open, k_shut))
    return k, base & -(np.int64(1) << k)


@numba.njit
def lanes_replay(Qs, offs, k0, k1, tab, nl, passes, values, skip, mode):
    """Chains c = 0..G-1 (chain index c in the Philox counters) query the overdamped 2-D path
    at ``Qs[c, offs[c, t]:offs[c, t + 1]]`` in step t (sub-units, increasing), in rounds: round
    r serves each chain's r-th query of the step. ``passes`` times from fresh caches; the last
    pass's values go to ``values`` (G, queries, 2). Returns the sum of their first
    components."""
    G = Qs.shape[0]
    n_steps = offs.shape[1] - 1
    ylo = np.zeros((G, nl + 1, DIM))   # a chain's cache: Y at both ends of each cached level
    yhi = np.zeros((G, nl + 1, DIM))
    kc = np.zeros(G, np.int64)         # lowest cached level
    base = np.zeros(G, np.int64)       # its interval's left end
    blk = np.zeros(G, np.int64)        # cached block (-1: none)
    act = np.zeros(G, np.int64)        # chains with a query this round
    n_tasks = G * (nl + 1)             # a task: one node of one descent
    TN = np.zeros(n_tasks, np.int64)   # its node (with its block)
    TC = np.zeros(n_tasks, np.int64)   # its chain
    W = np.zeros((4, n_tasks), np.uint64)
    Z0 = np.zeros(n_tasks)
    Z1 = np.zeros(n_tasks)
    OK = np.zeros(n_tasks, np.bool_)
    Dc = np.zeros(G, np.int64)         # a descent: its chain, top level, levels, query,
    Dk = np.zeros(G, np.int64)         # first task
    Dn = np.zeros(G, np.int64)
    Dq = np.zeros(G, np.int64)
    Ds = np.zeros(G, np.int64)
    acc = 0.0
    for _ in range(passes):
        for c in range(G):
            blk[c] = -1
            kc[c] = 0
            base[c] = 0
        for t in range(n_steps):
            na = G
            for c in range(G):
                act[c] = c
            r = 0
            while na > 0:
                # a. bookkeeping: lookups, and each descent's levels and nodes
                nd = 0
                nt = 0
                m = 0
                for a in range(na):
                    c = act[a]
                    o = offs[c, t] + r
                    act[m] = c
                    m += 1 if o + 1 < offs[c, t + 1] else 0
                    Q = Qs[c, o]
                    b = Q >> nl
                    q = Q - (b << nl)
                    if blk[c] != b:  # Y(0) = 0, Y(block end) = root factor x node 0's normals
                        blk[c] = b
                        kc[c] = nl
                        base[c] = 0
                        cw = counter_words(b << nl, c, 0, TAG)
                        z = normal_pair(cw[0], cw[1], cw[2], cw[3], k0, k1)
                        for j in range(DIM):
                            ylo[c, nl, j] = 0.0
                            yhi[c, nl, j] = tab[0, 0, 0, 0] * z[j]
                    if q == 0:
                        for j in range(DIM):
                            values[c, o, j] = 0.0
                        continue
                    k, lk = _cached_level(q, kc[c], base[c])
                    if q == lk or q == lk + (np.int64(1) << k):
                        kc[c] = k
                        base[c] = lk
                        for j in range(DIM):
                            values[c, o, j] = ylo[c, k, j] if q == lk else yhi[c, k, j]
                        continue
                    if skip and k > kc[c]:
                        # the level-k midpoint is an end of the cached level-(k-1) interval
                        if ((q >> (k - 1)) & 1) == 1:
                            for j in range(DIM):
                                ylo[c, k - 1, j] = yhi[c, k - 1, j]
                                yhi[c, k - 1, j] = yhi[c, k, j]
                        else:
                            for j in range(DIM):
                                yhi[c, k - 1, j] = ylo[c, k - 1, j]
                                ylo[c, k - 1, j] = ylo[c, k, j]
                        k -= 1
                    kb = np.int64(trailing_zeros(q))
                    Dc[nd] = c
                    Dk[nd] = k
                    Dn[nd] = k - kb
                    Dq[nd] = q
                    Ds[nd] = nt
                    for i in range(k - kb):
                        TN[nt] = (b << nl) + _descent_node(q, k - i)
                        TC[nt] = c
                        nt += 1
                    kc[c] = kb
                    base[c] = q
                    nd += 1
                na = m
                # b. the Philox words of all of the round's nodes
                for i in range(nt if (mode & NO_WORDS) == 0 else 0):
                    cw = counter_words(TN[i], TC[i], 0, TAG)
                    w = philox4x32(cw[0], cw[1], cw[2], cw[3], k0, k1)
                    W[0, i] = w[0]
                    W[1, i] = w[1]
                    W[2, i] = w[2]
                    W[3, i] = w[3]
                # c. their normals: the ziggurat's fast path, then the rare slow paths
                for i in range(nt if (mode & NO_NORMALS) == 0 else 0):
                    z0, z1, ok = normals_fast_path(W[0, i], W[1, i], W[2, i], W[3, i])
                    Z0[i] = z0
                    Z1[i] = z1
                    OK[i] = ok
                for i in range(nt if (mode & NO_NORMALS) == 0 else 0):
                    if not OK[i]:
                        cw = counter_words(TN[i], TC[i], 0, TAG)
                        z = normals_from_words(W[0, i], W[1, i], W[2, i], W[3, i],
                                               cw[0], cw[1], cw[2], cw[3], k0, k1)
                        Z0[i] = z[0]
                        Z1[i] = z[1]
                # d. the bridges (brownian.tree_value's overdamped loop), descent by descent
                for d in range(nd):
                    c = Dc[d]
                    k = Dk[d]
                    q = Dq[d]
                    t0 = Ds[d]
                    yl = ylo[c, k, 0]
                    yh = yhi[c, k, 0]
                    wl = ylo[c, k, 1]
                    wh = yhi[c, k, 1]
                    for i in range(Dn[d] if (mode & NO_BRIDGES) == 0 else 0):
                        kk = k - i
                        g = float((q >> (kk - 1)) & 1)
                        t2 = tab[kk, 2, 0, 0]
                        t3 = tab[kk, 3, 0, 0]
                        ym = yl + t2 * (yh - yl) + t3 * Z0[t0 + i]
                        wm = wl + t2 * (wh - wl) + t3 * Z1[t0 + i]
                        yl, yh = g * ym + (1.0 - g) * yl, g * yh + (1.0 - g) * ym
                        wl, wh = g * wm + (1.0 - g) * wl, g * wh + (1.0 - g) * wm
                        ylo[c, kk - 1, 1] = wl
                        yhi[c, kk - 1, 1] = wh
                        ylo[c, kk - 1, 0] = yl
                        yhi[c, kk - 1, 0] = yh
                    # Y(q): the left end at q's level
                    values[c, offs[c, t] + r, 0] = yl
                    values[c, offs[c, t] + r, 1] = wl
                    acc += yl
                r += 1
    return acc


def chain_queries(path, n_steps, n_chains):
    """Each chain's query points (``tree_descent.query_points``, seed = chain index), as an
    array (chains, most queries) padded with zeros, and each chain's step offsets."""
    per = [tree_descent.query_points(path, n_steps, seed=c) for c in range(n_chains)]
    Qs = np.zeros((n_chains, max(q.size for q in per)), np.int64)
    offs = np.zeros((n_chains, n_steps + 1), np.int64)
    step = np.int64(K) << path.sub_levels
    for c, qs in enumerate(per):
        Qs[c, :qs.size] = qs
        # a step's queries end with its end (n + 1) * step; they all lie in (n * step, ...]
        offs[c, 1:] = np.searchsorted(qs, np.arange(1, n_steps + 1) * step, side="right")
    return Qs, offs


def setup(n_steps, n_chains):
    path, tab, _ = tree_descent.setup(1)
    k0, k1 = np.uint64(path.key[0]), np.uint64(path.key[1])
    return path, tab, k0, k1, chain_queries(path, n_steps, n_chains)


def per_chain(Qs, offs, k0, k1, tab, nl, passes, values):
    """The package's tree (``tree_descent.replay``), chain after chain, on the same queries
    (the first components into ``values``, (G, queries))."""
    for c in range(Qs.shape[0]):
        n = offs[c, -1]
        tree_descent.replay(Qs[c, :n], c, k0, k1, tab, nl, passes, values[c, :n])


def check(n_steps=100, n_chains=16):
    """The lockstep form's values, both components, with and without the known-level skip,
    equal the path's (``BrownianPath.noise`` from 0 to each query point: within block 0,
    N(0, q) = Y(q)) bit for bit, for every query of every chain; and so do the first
    components of the package's per-chain tree as this script replays it."""
    if n_steps * K >= 2 ** brownian.BLOCK_LEVELS:
        raise ValueError("check: the queries must stay in the tree's first block")
    path, tab, k0, k1, (Qs, offs) = setup(n_steps, n_chains)
    ref = np.zeros(Qs.shape + (DIM,))
    for c in range(n_chains):
        n = offs[c, -1]
        ref[c, :n] = path.noise(np.zeros(n), Qs[c, :n] / 2.0 ** path.sub_levels, chain=c,
                                dim=DIM)[:, :, 0]
    first = np.zeros(Qs.shape)
    per_chain(Qs, offs, k0, k1, tab, path.levels, 1, first)
    if not np.array_equal(first, ref[:, :, 0]):
        raise AssertionError("the per-chain replay's values differ from BrownianPath.noise")
    for skip in (True, False):
        vals = np.zeros(Qs.shape + (DIM,))
        lanes_replay(Qs, offs, k0, k1, tab, path.levels, 1, vals, skip, 0)
        if not np.array_equal(vals, ref):
            raise AssertionError(f"lockstep tree values (skip={skip}) differ from the path's")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chains", type=int, default=64)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--passes", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    for name in ("chains", "steps", "passes", "repeat"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be >= 1")
    numba.set_num_threads(1)
    check()
    path, tab, k0, k1, (Qs, offs) = setup(args.steps, args.chains)
    nl = path.levels
    values = np.zeros(Qs.shape + (DIM,))
    first = np.zeros(Qs.shape)

    def lanes(skip, mode):
        return lambda: lanes_replay(Qs, offs, k0, k1, tab, nl, args.passes, values, skip, mode)

    fns = {"per-chain tree (package)":
           lambda: per_chain(Qs, offs, k0, k1, tab, nl, args.passes, first),
           "lanes": lanes(True, 0),
           "lanes, every level drawn (no skip)": lanes(False, 0),
           "lanes, no words": lanes(True, NO_WORDS),
           "lanes, no words, no normals": lanes(True, NO_WORDS | NO_NORMALS),
           "lanes, bookkeeping only": lanes(True, NO_WORDS | NO_NORMALS | NO_BRIDGES)}
    best = dict.fromkeys(fns, np.inf)
    for _ in range(args.repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    unit = args.passes * args.steps * args.chains
    queries = offs[:, -1].sum() / (args.steps * args.chains)
    print(f"{args.chains} chains x {args.steps} steps ({queries:.3f} queries a chain-step), "
          f"K = {K}, best of {args.repeat}, ns per chain-step:")
    for name, t in best.items():
        print(f"  {name:40s} {t / unit * 1e9:7.1f}")
    return {name: t / unit * 1e9 for name, t in best.items()}


if __name__ == "__main__":
    main()
