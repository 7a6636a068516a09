"""Could the Brownian tree serve a lockstep group of chains at once? A bit-identical prototype.

Usage::

    python benchmarks/tree_lanes.py [--chains 64] [--steps 500] [--passes 2] [--repeat 7]

Why this exists. The core issue asks a coupled PLMC step at K = 1024 to cost <= 3x the fast
mode's. The fast mode of the benchmark mixture runs in the lockstep loop (``_driver_plmc``,
~53 ns a chain-step for OPTION 1); coupled runs go through the per-chain driver, where the
Brownian tree alone (``tree_descent.py``) costs ~150-175 ns a step. Even a coupled lockstep
loop would leave the tree <= ~2 x 53 = 106 ns a chain-step (the README's performance section:
with C = P + c, C <= 3P needs c <= 2P). The per-chain tree cannot vectorise across chains: one
chain's descent is a chain of dependent levels. This script tries the other cut, the descents
of a *group* of chains, in the package's own arithmetic, round by round (round r serves each
chain's r-th query of the step) and phase by phase:

a. bookkeeping, chain by chain: the lookup of a cached interval's end, or a descent's levels
   and nodes; a descent whose first level's midpoint is already cached (an end of the cached
   level-(k-1) interval, the other half) starts one level lower, which changes no bit;
b. the Philox words of all of the round's nodes, in one flat loop (independent tasks, which
   LLVM vectorises: 8 lanes of ``vpmuludq`` on zmm registers);
c. the ziggurat's fast path on them, in another (vectorised too), then the rare slow paths;
d. the bridges, two descents side by side (four dependency chains instead of two), the values
   in registers from level to level.

Each chain keeps its own tree cache, flat (levels x components, at both ends of each cached
interval), indexed with unsigned integers (numba adds a negative-index fix-up to every signed
index). So every value is the per-chain tree's, bit for bit: :func:`check` compares all of
them, both components, with the path's (``BrownianPath.noise``), and the first components of
``tree_descent.py``'s replay of the package's ``tree_value`` with them; every run checks
first. The query pattern is ``tree_descent.py``'s (a coupled OPTION 1 step at K = 1024: its
selected slots but slot 0, then its end), one seed per chain.

The timings, single thread, best of ``--repeat`` rounds taken round-robin, in ns a chain-step:
the package's per-chain tree (``tree_descent.py``'s replay, chain after chain), this lockstep
form, the same without the known-level skip or with one descent's bridges at a time, and the
lockstep form with its phases cut cumulatively (wrong numbers: what each phase costs).

What it showed (stop 24, AMD EPYC Zen 4, defaults, three runs): per-chain 162.4-182.1 ns,
lanes 134.3-135.0, every level drawn 139.6-140.5, one descent at a time 139.1-139.9; cut
cumulatively: no slow paths 115.0-115.6, no words 97.6-99.0, no fast path 81.8-83.0, no
bridges (bookkeeping alone) 43.3-43.7. Per chain-step, then: the ziggurat's slow paths ~20 ns
(3.0 % of 9.2 pairs, ~65 ns each: measured alone, 3.46 ns a pair with them against 1.52
without; each a scalar Philox block and an exp), the Philox words ~17 (~1.8 ns a block; the
same loop over 600 independent blocks alone: 1.56), the fast path ~16 (1.52 alone), the
bridges ~39 (~4.2 ns a level) and the bookkeeping ~43 (~22 a query). So the lockstep tree is
~17-26 % below the per-chain one, not the ~35 % the goal needs: ~135 against ~106. The random
numbers alone (~53 ns, at their isolated speed but for the slow paths) are half the budget;
the bridges and the bookkeeping would have to fall to ~25 together.

Tried in scratch copies and not kept, one run each unless said: a first form of this script
(3-D cache arrays with signed indices, one descent's bridges at a time: 151.4-153.4 ns in four
runs, bookkeeping 56.6-61.7); the bridges level-synchronous across the round's descents with
masks and stores of inactive descents to a junk row (186-195 ns: ~6 ns a descent-level, 35 %
of them masked); the words and the fast path fused in one loop (~10 ns slower); lookups as
descents of no level, to drop a branch (bookkeeping 68.7 instead of 56.6); all of a step's
bookkeeping first (integers only), then its words, normals and bridges over all of its nodes
at once, to run the vector loops over ~590 nodes instead of a round's (137-146 ns). A per-
chain ``tree_value`` with the known-level skip (10.26 -> 9.21 levels a step, same bits): no
change measured (round-robin in one process, two orders: 155.1 vs 157.7 and 173.4 vs 169.2
ns), though here it saves ~5 ns.
"""
from __future__ import annotations

import argparse
import time

import numba
import numpy as np

from numba.cpython.unsafe.numbers import trailing_zeros

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
_descent_node = brownian._descent_node
_cached_level = brownian._cached_level_at  # from a chain's (lowest level, left end)

#: the lockstep form's phase cuts (``mode`` bits, applied cumulatively by ``main``): no slow
#: paths of the ziggurat (the ~3 % of pairs its fast path rejects), no Philox words (the words
#: stay zero, which the fast path accepts), no fast path, no bridges
NO_SLOW, NO_WORDS, NO_NORMALS, NO_BRIDGES = 1, 2, 4, 8

U = np.uint64  # unsigned indices: numba adds no negative-index wraparound to them


@numba.njit(inline="always")
def _bridge(yl, yh, wl, wh, q, kk, T2, T3, za, zb):
    """One level of ``brownian.tree_value``'s overdamped bridge, both components, the same
    arithmetic in the same order: the level-kk midpoint from the interval's ends (yl, yh) and
    (wl, wh), then the half holding q (a blend by an exact 0 or 1)."""
    g = float((q >> (kk - 1)) & 1)
    t2 = T2[U(kk)]
    t3 = T3[U(kk)]
    ym = yl + t2 * (yh - yl) + t3 * za
    wm = wl + t2 * (wh - wl) + t3 * zb
    return (g * ym + (1.0 - g) * yl, g * yh + (1.0 - g) * ym,
            g * wm + (1.0 - g) * wl, g * wh + (1.0 - g) * wm)


@numba.njit(inline="always")
def _store(fl, fh, o, yl, yh, wl, wh):
    """A level's interval ends into a chain's flat cache at offset o (component 0, then 1)."""
    fl[o + U(1)] = wl
    fh[o + U(1)] = wh
    fl[o] = yl
    fh[o] = yh


@numba.njit(inline="always")
def _open(d, Dc, Dk, Dq, Ds, row, fl, fh):
    """Descent d: its chain's cache offset, top level, query, first task, and the values at
    the ends of its top interval (both components)."""
    cb = U(Dc[U(d)]) * row
    k = Dk[U(d)]
    i = cb + U(2 * k)
    return cb, k, Dq[U(d)], Ds[U(d)], fl[i], fh[i], fl[i + U(1)], fh[i + U(1)]


@numba.njit(inline="always")
def _levels(fl, fh, T2, T3, Z0, Z1, cb, k, q, t0, i0, i1, yl, yh, wl, wh):
    """Levels i0 .. i1 - 1 of a descent from level k (cache offset cb, first task t0)."""
    for i in range(i0, i1):
        kk = k - i
        yl, yh, wl, wh = _bridge(yl, yh, wl, wh, q, kk, T2, T3, Z0[U(t0 + i)], Z1[U(t0 + i)])
        _store(fl, fh, cb + U(2 * (kk - 1)), yl, yh, wl, wh)
    return yl, yh, wl, wh


@numba.njit
def lanes_replay(Qs, offs, k0, k1, tab, nl, passes, values, skip, pair, mode):
    """Chains c = 0..G-1 (chain index c in the Philox counters) query the overdamped 2-D path
    at ``Qs[c, offs[c, t]:offs[c, t + 1]]`` in step t (sub-units, increasing), in rounds: round
    r serves each chain's r-th query of the step. ``passes`` times from fresh caches; the last
    pass's values go to ``values`` (G, queries, 2). Returns the sum of their first
    components. ``skip``: start a descent one level lower when its first midpoint is cached;
    ``pair``: run the bridges of two descents side by side; ``mode``: phase cuts (wrong
    numbers, for timing)."""
    G = Qs.shape[0]
    n_steps = offs.shape[1] - 1
    # a chain's cache, flat: Y at the low (fl) and high (fh) end of each cached level's
    # interval, level-major, 2 components; row = one chain's span
    row = U(2 * (nl + 1))
    fl = np.zeros(G * (nl + 1) * 2)
    fh = np.zeros(G * (nl + 1) * 2)
    T2 = np.ascontiguousarray(tab[:, 2, 0, 0])  # J_L and C_L by level
    T3 = np.ascontiguousarray(tab[:, 3, 0, 0])
    kc = np.zeros(G, np.int64)         # lowest cached level
    base = np.zeros(G, np.int64)       # its interval's left end
    blk = np.zeros(G, np.int64)        # cached block (-1: none)
    act = np.zeros(G, np.int64)        # chains with a query this round
    n_tasks = G * (nl + 1)             # a task: one node of one descent
    TN = np.zeros(n_tasks, np.int64)   # its node (with its block)
    TC = np.zeros(n_tasks, np.int64)   # its chain
    W0 = np.zeros(n_tasks, np.uint64)
    W1 = np.zeros(n_tasks, np.uint64)
    W2 = np.zeros(n_tasks, np.uint64)
    W3 = np.zeros(n_tasks, np.uint64)
    Z0 = np.zeros(n_tasks)
    Z1 = np.zeros(n_tasks)
    OK = np.zeros(n_tasks, np.bool_)
    # a descent: its chain, top level, number of levels, query, first task, query's index
    # (one spare entry: a partner with no levels for an odd last descent)
    Dc = np.zeros(G + 1, np.int64)
    Dk = np.zeros(G + 1, np.int64)
    Dn = np.zeros(G + 1, np.int64)
    Dq = np.zeros(G + 1, np.int64)
    Ds = np.zeros(G + 1, np.int64)
    Do = np.zeros(G + 1, np.int64)
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
                    c = act[U(a)]
                    o = offs[U(c), U(t)] + r
                    act[U(m)] = c
                    m += 1 if o + 1 < offs[U(c), U(t + 1)] else 0
                    Q = Qs[U(c), U(o)]
                    b = Q >> nl
                    q = Q - (b << nl)
                    cb = U(c) * row
                    if blk[U(c)] != b:  # Y(0) = 0, Y(block end) = root factor x node 0's
                        blk[U(c)] = b
                        kc[U(c)] = nl
                        base[U(c)] = 0
                        cw = counter_words(b << nl, c, 0, TAG)
                        z = normal_pair(cw[0], cw[1], cw[2], cw[3], k0, k1)
                        for j in range(DIM):
                            fl[cb + U(2 * nl + j)] = 0.0
                            fh[cb + U(2 * nl + j)] = tab[0, 0, 0, 0] * z[j]
                    if q == 0:
                        for j in range(DIM):
                            values[U(c), U(o), U(j)] = 0.0
                        continue
                    k, lk = _cached_level(q, kc[U(c)], base[U(c)])
                    if q == lk or q == lk + (np.int64(1) << k):
                        kc[U(c)] = k
                        base[U(c)] = lk
                        src = fl if q == lk else fh
                        for j in range(DIM):
                            values[U(c), U(o), U(j)] = src[cb + U(2 * k + j)]
                        continue
                    if skip and k > kc[U(c)]:
                        # the level-k midpoint is an end of the cached level-(k-1) interval
                        # (the other half): q's half becomes the level-(k-1) interval
                        hi = cb + U(2 * k)
                        lo = cb + U(2 * (k - 1))
                        if ((q >> (k - 1)) & 1) == 1:
                            for j in range(DIM):
                                fl[lo + U(j)] = fh[lo + U(j)]
                                fh[lo + U(j)] = fh[hi + U(j)]
                        else:
                            for j in range(DIM):
                                fh[lo + U(j)] = fl[lo + U(j)]
                                fl[lo + U(j)] = fl[hi + U(j)]
                        k -= 1
                    kb = np.int64(trailing_zeros(q))
                    Dc[U(nd)] = c
                    Dk[U(nd)] = k
                    Dn[U(nd)] = k - kb
                    Dq[U(nd)] = q
                    Ds[U(nd)] = nt
                    Do[U(nd)] = o
                    bn = b << nl
                    for i in range(k - kb):
                        TN[U(nt + i)] = bn + _descent_node(q, k - i)
                        TC[U(nt + i)] = c
                    nt += k - kb
                    kc[U(c)] = kb
                    base[U(c)] = q
                    nd += 1
                na = m
                # b. the Philox words of all of the round's nodes
                for i in range(nt if (mode & NO_WORDS) == 0 else 0):
                    cw = counter_words(TN[i], TC[i], 0, TAG)
                    w = philox4x32(cw[0], cw[1], cw[2], cw[3], k0, k1)
                    W0[i] = w[0]
                    W1[i] = w[1]
                    W2[i] = w[2]
                    W3[i] = w[3]
                # c. their normals: the ziggurat's fast path, then the rare slow paths
                for i in range(nt if (mode & NO_NORMALS) == 0 else 0):
                    z0, z1, ok = normals_fast_path(W0[i], W1[i], W2[i], W3[i])
                    Z0[i] = z0
                    Z1[i] = z1
                    OK[i] = ok
                for i in range(nt if (mode & (NO_NORMALS | NO_SLOW)) == 0 else 0):
                    if not OK[i]:
                        cw = counter_words(TN[i], TC[i], 0, TAG)
                        z = normals_from_words(W0[i], W1[i], W2[i], W3[i],
                                               cw[0], cw[1], cw[2], cw[3], k0, k1)
                        Z0[i] = z[0]
                        Z1[i] = z[1]
                # d. the bridges, descent by descent, or two at a time (different chains:
                # a chain has at most one descent a round), values in registers
                if (mode & NO_BRIDGES) != 0:
                    r += 1
                    continue
                Dn[U(nd)] = 0
                Dc[U(nd)] = Dc[0]
                Dk[U(nd)] = Dk[0]
                Ds[U(nd)] = 0
                for d in range(0, nd, 2 if pair else 1):
                    ba, ka, qa, ta, yla, yha, wla, wha = _open(d, Dc, Dk, Dq, Ds, row, fl, fh)
                    mm = 0
                    if pair:
                        e = d + 1
                        bb, kb2, qb, tb, ylb, yhb, wlb, whb = _open(e, Dc, Dk, Dq, Ds, row, fl,
                                                                    fh)
                        mm = min(Dn[U(d)], Dn[U(e)])
                        for i in range(mm):
                            kk = ka - i
                            yla, yha, wla, wha = _bridge(yla, yha, wla, wha, qa, kk, T2, T3,
                                                         Z0[U(ta + i)], Z1[U(ta + i)])
                            _store(fl, fh, ba + U(2 * (kk - 1)), yla, yha, wla, wha)
                            kk = kb2 - i
                            ylb, yhb, wlb, whb = _bridge(ylb, yhb, wlb, whb, qb, kk, T2, T3,
                                                         Z0[U(tb + i)], Z1[U(tb + i)])
                            _store(fl, fh, bb + U(2 * (kk - 1)), ylb, yhb, wlb, whb)
                        ylb, yhb, wlb, whb = _levels(fl, fh, T2, T3, Z0, Z1, bb, kb2, qb, tb,
                                                     mm, Dn[U(e)], ylb, yhb, wlb, whb)
                        if e < nd:  # Y(q): the left end at q's level
                            values[U(Dc[U(e)]), U(Do[U(e)]), 0] = ylb
                            values[U(Dc[U(e)]), U(Do[U(e)]), 1] = wlb
                            acc += ylb
                    yla, yha, wla, wha = _levels(fl, fh, T2, T3, Z0, Z1, ba, ka, qa, ta, mm,
                                                 Dn[U(d)], yla, yha, wla, wha)
                    values[U(Dc[U(d)]), U(Do[U(d)]), 0] = yla
                    values[U(Dc[U(d)]), U(Do[U(d)]), 1] = wla
                    acc += yla
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
    """The lockstep form's values, both components, with and without the known-level skip and
    the pairing of descents, equal the path's (``BrownianPath.noise`` from 0 to each query
    point: within block 0, N(0, q) = Y(q)) bit for bit, for every query of every chain; and
    so do the first components of the package's per-chain tree as this script replays it.
    Across a block's end (a new root), the first components equal the per-chain tree's."""
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
    for skip, pair in ((True, True), (False, True), (True, False)):
        vals = np.zeros(Qs.shape + (DIM,))
        lanes_replay(Qs, offs, k0, k1, tab, path.levels, 1, vals, skip, pair, 0)
        if not np.array_equal(vals, ref):
            raise AssertionError(f"lockstep tree values (skip={skip}, pair={pair}) differ "
                                 "from the path's")
    # across a block's end (2^BLOCK_LEVELS fine steps; a new block's root): the first
    # components against the package's per-chain tree
    n_long = 2 ** brownian.BLOCK_LEVELS // K + 8
    path, tab, k0, k1, (Qs, offs) = setup(n_long, 3)
    first = np.zeros(Qs.shape)
    per_chain(Qs, offs, k0, k1, tab, path.levels, 1, first)
    vals = np.zeros(Qs.shape + (DIM,))
    lanes_replay(Qs, offs, k0, k1, tab, path.levels, 1, vals, True, True, 0)
    if not np.array_equal(vals[:, :, 0], first):
        raise AssertionError("lockstep tree values differ from the per-chain tree's across "
                             "a block's end")


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

    def lanes(skip, pair, mode):
        return lambda: lanes_replay(Qs, offs, k0, k1, tab, nl, args.passes, values, skip,
                                    pair, mode)

    fns = {"per-chain tree (package)":
           lambda: per_chain(Qs, offs, k0, k1, tab, nl, args.passes, first),
           "lanes": lanes(True, True, 0),
           "lanes, every level drawn (no skip)": lanes(False, True, 0),
           "lanes, one descent at a time": lanes(True, False, 0),
           "lanes, no slow paths": lanes(True, True, NO_SLOW),
           "  + no words": lanes(True, True, NO_SLOW | NO_WORDS),
           "  + no fast path": lanes(True, True, NO_SLOW | NO_WORDS | NO_NORMALS),
           "  + no bridges (bookkeeping)": lanes(True, True, NO_SLOW | NO_WORDS | NO_NORMALS
                                                 | NO_BRIDGES)}
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
