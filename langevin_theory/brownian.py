"""A Brownian path as a deterministic function: the virtual Brownian tree.

Why a path and not a stream
---------------------------
The paper compares PLMC(alpha, K) with LMC(alpha/K) *on the same Brownian motion*: the midpoint
of a PLMC step must be built from the very increments that drive the fine chain (notes 2.1). We
therefore never draw "the next Gaussian": the noise that a step of any scheme sees over a time
interval is a deterministic function of (seed, chain, interval, component). Runs at different
step sizes that share a :class:`BrownianPath` are driven by one Brownian motion; nothing is stored,
and results do not depend on threads or chunking.

What is sampled
---------------
For overdamped dynamics the noise over [s, t] is sqrt(2) (B_t - B_s). For underdamped dynamics it
is the two-dimensional (position, velocity) Ornstein-Uhlenbeck noise of the exact flow,
N(s, t) = int_s^t exp((t - r) M) sigma dB_r, whose law is N(0, Gamma^2_{t-s}). In both cases the
process Y(t) = N(0, t) is Gauss-Markov: Y(t) = A_{t-s} Y(s) + N(s, t), which is all the tree uses.

The tree
--------
Time is cut into blocks of ``2**block_levels`` fine steps; each fine step is further divided into
``2**sub_levels`` sub-units (only randomized midpoints at non-grid times go below the fine grid).
In block b, Y is 0 at the block start; its value at the block end is drawn from N(0, Gamma^2_B)
with a counter naming (b, node 0). Every other dyadic point q of the block is the midpoint of a
unique dyadic interval [l, r]; given Y(l) and Y(r), Y(q) is drawn from its exact Gauss-Markov
bridge law

    Y(q) = A_L Y(l) + J_L (Y(r) - A_{2L} Y(l)) + C_L z(b, q),    L = (r - l)/2,
    J_L = S_L A_L^T S_{2L}^{-1},  C_L C_L^T = S_L - J_L A_L S_L,  S_L = Gamma^2_L,

with z(b, q) standard normals from Philox keyed by the path's seed and counter (b, q, chain,
component); a Philox call gives a pair of normals, which serve components j and j + 1 (j even)
of an overdamped path and the two blocks of one component of an underdamped one. (Overdamped:
J = 1/2, C = sqrt(L h) -- the Levy construction of Brownian motion.)
Evaluating Y at a point costs one bridge per level below the deepest cached interval that
contains it: each chain keeps the root-to-leaf path of its last query, so a sequence of
increasing queries with spacing 2^j fine steps costs about j + 1 Gaussian pairs per query, and a
PLMC midpoint costs O(log K).

The bridge tables are computed in 60-digit arithmetic (mpmath) for underdamped dynamics, where
Gamma^2 of a short interval is nearly singular (its position variance is O(h^3)).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from numba.cpython.unsafe.numbers import leading_zeros, trailing_zeros

from . import _rng
from ._jit import hot, jit
from .dynamics import Dynamics, Overdamped, Underdamped, _mp_blocks

__all__ = ["BrownianPath"]

BLOCK_LEVELS = 20
SUB_LEVELS = 24


class BrownianPath:
    """A Brownian motion on the grid ``fine_step * Z`` (and finer), shared by several runs.

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        Names the path: the same seed gives the same Brownian motion.
    fine_step : float
        The finest grid the path is built for. ``simulate`` calls that use it must take step
        sizes (and, for PLMC, sub-steps alpha/K) that are integer multiples of ``fine_step``.

    Notes
    -----
    Two runs couple when they use the same path, the same chain indices and the same dynamics
    (an underdamped run reads the OU noise of the same tree nodes, so it couples with underdamped
    runs of the same friction).

    Examples
    --------
    >>> import langevin_theory as lt
    >>> path = lt.BrownianPath(seed=1, fine_step=1 / 64)
    >>> t = lt.targets.LogCosh()
    >>> fine = lt.simulate(t, lt.schemes.LMC(), step_size=1 / 64, n_steps=64, n_chains=10,
    ...                    rng=0, brownian=path)
    >>> pm = lt.simulate(t, lt.schemes.PoissonMidpoint(substeps=8), step_size=1 / 8, n_steps=8,
    ...                  n_chains=10, rng=0, brownian=path)
    """

    def __init__(self, seed=0, fine_step: float = 1e-3, *, block_levels: int = BLOCK_LEVELS,
                 sub_levels: int = SUB_LEVELS):
        if not (isinstance(fine_step, (int, float, np.floating)) and math.isfinite(fine_step)
                and fine_step > 0):
            raise ValueError(f"fine_step must be a positive finite number; got {fine_step!r}")
        if not (1 <= block_levels <= 30 and 0 <= sub_levels <= 30):
            raise ValueError("block_levels must be in [1, 30] and sub_levels in [0, 30]")
        self.seed_seq = seed if isinstance(seed, np.random.SeedSequence) else \
            np.random.SeedSequence(seed)
        self.fine_step = float(fine_step)
        self.block_levels = int(block_levels)
        self.sub_levels = int(sub_levels)
        self.key = _rng.seed_to_key(self.seed_seq, 0x5041)  # "PA"th

    @property
    def levels(self):
        """Total tree depth per block, in sub-units."""
        return self.block_levels + self.sub_levels

    def steps_per(self, step: float, what: str = "step size") -> int:
        """The integer m with step = m * fine_step, or a ValueError."""
        m = step / self.fine_step
        mi = int(round(m))
        if mi < 1 or abs(m - mi) > 1e-9 * max(1.0, m):
            raise ValueError(f"{what} {step!r} is not an integer multiple of the Brownian path's "
                             f"fine_step {self.fine_step!r}")
        return mi

    def tables(self, dynamics: Dynamics):
        """Bridge tables for ``dynamics``: ``tab[k] = (A_L, A_2L, J_L, C_L)`` for level k >= 1,
        and in ``tab[0, 0]`` the root factor (a Cholesky factor of Gamma^2 over a block).

        Shape (levels + 1, 4, s, s); cached and shared between runs: do not modify.
        """
        if isinstance(dynamics, Underdamped):
            return _tables_underdamped(dynamics.friction, self.fine_step, self.block_levels,
                                       self.sub_levels)
        return _tables_overdamped(self.fine_step, self.block_levels, self.sub_levels)

    def noise(self, starts, ends, *, chain=0, dim=1, dynamics=None):
        """The path's noise N(s, t) over the fine-grid intervals [starts[i], ends[i]].

        ``starts``/``ends`` are in units of ``fine_step`` (integers, or dyadic fractions down to
        2**-sub_levels). Returns an array (n, dim, s) with s = 1 (overdamped: sqrt(2) times the
        Brownian increment) or 2 (underdamped: position and velocity OU noise). For tests and
        teaching; simulations read the same values inside their kernels.
        """
        from ._kernels import path_noise
        dynamics = Overdamped() if dynamics is None else dynamics
        scale = 2.0 ** self.sub_levels
        p1 = np.round(np.asarray(starts, float) * scale).astype(np.int64).ravel()
        p2 = np.round(np.asarray(ends, float) * scale).astype(np.int64).ravel()
        if p1.shape != p2.shape or np.any(p1 < 0):
            raise ValueError("starts and ends must have one shape and be >= 0")
        tab = self.tables(dynamics)
        s = dynamics.blocks
        gamma = getattr(dynamics, "friction", 0.0)
        path = (True, np.uint64(self.key[0]), np.uint64(self.key[1]), tab,
                np.int64(self.levels), self.fine_step / scale, float(gamma), np.uint64(0),
                np.uint64(0))
        return path_noise(p1, p2, int(chain), int(dim), s, path, self.levels)

    def __repr__(self):
        return f"BrownianPath(seed={self.seed_seq.entropy}, fine_step={self.fine_step})"


@lru_cache(maxsize=32)
def _tables_overdamped(h, nb, ns):
    nl = nb + ns
    s = 1
    tab = np.zeros((nl + 1, 4, s, s))
    for k in range(1, nl + 1):
        half = 2.0 ** (k - 1 - ns) * h  # time length of half the level-k interval
        # A_L = A_2L = 1 and J_L = 1/2 (the Levy construction); the tree kernel relies on the
        # two ones being exact (tree_value drops the products by them)
        tab[k, 0, 0, 0] = 1.0
        tab[k, 1, 0, 0] = 1.0
        tab[k, 2, 0, 0] = 0.5
        tab[k, 3, 0, 0] = math.sqrt(half)
    # the root factor in the otherwise unused level-0 row: one array argument fewer on every
    # tree call (~2 % of a coupled PLMC step)
    tab[0, 0, 0, 0] = math.sqrt(2.0 * (2.0 ** nb) * h)
    return tab


@lru_cache(maxsize=32)
def _tables_underdamped(friction, h, nb, ns):
    import mpmath as mp
    nl = nb + ns
    tab = np.zeros((nl + 1, 4, 2, 2))
    for k in range(1, nl + 1):
        half = mp.mpf(repr(h)) * mp.mpf(2) ** (k - 1 - ns)
        AL, SL = _mp_blocks(friction, mp.nstr(half, 50))
        A2, S2 = _mp_blocks(friction, mp.nstr(2 * half, 50))
        J = SL * AL.T * mp.inverse(S2)
        cond = SL - J * AL * SL
        cond = (cond + cond.T) / 2
        C = mp.cholesky(cond)
        for i in range(2):
            for j in range(2):
                tab[k, 0, i, j] = float(AL[i, j])
                tab[k, 1, i, j] = float(A2[i, j])
                tab[k, 2, i, j] = float(J[i, j])
                tab[k, 3, i, j] = float(C[i, j])
    _, Sroot = _mp_blocks(friction, mp.nstr(mp.mpf(repr(h)) * mp.mpf(2) ** nb, 50))
    Cr = mp.cholesky(Sroot)
    for i in range(2):
        for j in range(2):
            tab[0, 0, i, j] = float(Cr[i, j])   # the root factor, as in _tables_overdamped
    return tab


# ============================================================================ kernels
# Tree-reader state of one chain (all components share the interval positions):
#   meta[0] = cached block (-1: none), meta[1] = lowest valid level kc,
#   meta[2] = left end (sub-units, block-local) of the cached level-kc interval; the cached
#             level-k interval (k >= kc, an ancestor) starts at meta[2] with k low bits cleared
#   meta[3:] = scratch for a descent's Philox words, 4 rows of _words_row(nl) (see
#             tree_meta_size)
#   ylo[k, j, :], yhi[k, j, :] = Y at the two ends of the cached level-k interval, component j

# A descent computes its levels' Philox words in a loop that LLVM vectorises; it runs that
# loop over whole vectors of PHILOX_LANES levels (the extra levels' words are computed and
# never read), because the levels left over after the last whole vector would run one at a
# time in a scalar remainder loop (~10 ns a Philox block instead of ~3.4, as measured in
# isolation on an earlier VM; stop 18, Zen 4: coupled PLMC step at K = 1024 ~4-5 % faster
# in two A/B runs).
PHILOX_LANES = 8


@jit(inline="always")
def _words_row(nl):
    """Length of each Philox-word scratch row: nl + 1 levels, rounded up to whole vectors."""
    return (nl + PHILOX_LANES) // PHILOX_LANES * PHILOX_LANES


@jit(inline="always")
def tree_meta_size(nl):
    """Length of a chain's integer tree state ``meta`` for a tree of ``nl`` levels."""
    return 3 + 4 * _words_row(nl)


@hot
def tree_reset(meta):
    meta[0] = -1
    meta[1] = 0
    meta[2] = 0


# Which Philox draw serves which coordinate, for every node (the block root included): a node
# takes one normal pair per "pair slot" jp, with counter component field comp = the first
# component it serves. Overdamped: the pair serves components comp = 2 jp and comp + 1 (a 1-D
# path, or the last of an odd number, reads the first normal only); underdamped: the pair
# serves the position and velocity blocks of component comp = jp.

@jit(inline="always")
def _pair_slots(dim, s):
    return (dim + 1) // 2 if s == 1 else dim


@jit(inline="always")
def _pair_component(jp, s):
    return 2 * jp if s == 1 else jp


@jit(inline="always")
def _store_pair(z0, z1, dst, lvl, comp, dim, s):
    if s == 1:
        dst[lvl, comp, 0] = z0
        if comp + 1 < dim:
            dst[lvl, comp + 1, 0] = z1
    else:
        dst[lvl, comp, 0] = z0
        dst[lvl, comp, 1] = z1


@jit(inline="always")
def _park_normals(node, block, chain, k0, k1, nl, dst, lvl, dim, s):
    """The normals of tree node ``node`` of ``block``, parked in dst[lvl] (dim, s)."""
    c = _rng.counter_words((block << nl) + node, chain, 0, _rng.TAG_PATH)
    for jp in range(_pair_slots(dim, s)):
        comp = _pair_component(jp, s)
        z = _rng.normal_pair(c[0], c[1], c[2], c[3] | np.uint64(comp), k0, k1)
        _store_pair(z[0], z[1], dst, lvl, comp, dim, s)


@jit(inline="always")
def _descent_node(q, kk):
    """The midpoint node of the level-kk interval holding q (it starts at q with its kk low
    bits cleared)."""
    return (q & -(np.int64(1) << kk)) + (np.int64(1) << (kk - 1))


@jit(inline="always")
def _descent_words(q, k, nlev, block, chain, comp, k0, k1, nl, meta):
    """The Philox words of the midpoint nodes of levels k, k - 1, ..., k - nlev + 1 on the way
    down to q (pair slot ``comp``), into the four scratch rows of ``meta``: row r, level
    k - i at index i. Returns the rows.

    The nodes' words do not depend on each other, so LLVM vectorises this loop (AVX2 runs four
    Philox evaluations at once, ~3.4 ns each instead of ~10, measured in isolation); it runs
    over whole vectors of ``PHILOX_LANES`` levels, the surplus levels' words unused.
    """
    stride = _words_row(nl)
    n_vec = (nlev + PHILOX_LANES - 1) // PHILOX_LANES * PHILOX_LANES  # <= stride: nlev <= nl
    w0 = meta[3:3 + stride]
    w1 = meta[3 + stride:3 + 2 * stride]
    w2 = meta[3 + 2 * stride:3 + 3 * stride]
    w3 = meta[3 + 3 * stride:3 + 4 * stride]
    for i in range(n_vec):
        # (surplus levels i >= nlev name some valid node: max keeps the shift defined)
        c = _rng.counter_words((block << nl) + _descent_node(q, max(k - i, 1)), chain, 0,
                               _rng.TAG_PATH)
        w = _rng.philox4x32(c[0], c[1], c[2], c[3] | comp, k0, k1)
        w0[i] = np.int64(w[0])
        w1[i] = np.int64(w[1])
        w2[i] = np.int64(w[2])
        w3[i] = np.int64(w[3])
    return w0, w1, w2, w3


@jit(inline="always")
def _descent_pair(w0, w1, w2, w3, i, q, kk, block, chain, comp, k0, k1, nl):
    """The normal pair of the level-kk midpoint node on the way down to q, from its Philox
    words at index i of the rows of :func:`_descent_words`: the numbers of
    :func:`_park_normals`."""
    a0 = np.uint64(w0[i])
    a1 = np.uint64(w1[i])
    a2 = np.uint64(w2[i])
    a3 = np.uint64(w3[i])
    z0, z1, ok = _rng.normals_fast_path(a0, a1, a2, a3)
    if ok:  # both accepted at once: 97 % of nodes, one well-predicted branch
        return z0, z1
    # the full ziggurat on the same words: same numbers, and its slow path
    c = _rng.counter_words((block << nl) + _descent_node(q, kk), chain, 0, _rng.TAG_PATH)
    return _rng.normals_from_words(a0, a1, a2, a3, c[0], c[1], c[2], c[3] | comp, k0, k1)


@jit(inline="always")
def _cached_level(q, meta):
    """(k, lk): the lowest cached level k whose interval [lk, lk + 2^k] holds q (q >= 1, in the
    cached block).

    Computed rather than searched level by level (a loop with a data-dependent exit: ~20 ns a
    query, measured). The level-k ancestor of the cached interval starts at lk = meta[2] with
    its k low bits cleared, so it holds q in [lk, lk + 2^k) iff q and meta[2] agree above bit k
    (bit_length(q ^ meta[2]) <= k), and q in (lk, lk + 2^k] iff q - 1 and meta[2] do.
    """
    return _cached_level_at(q, meta[1], meta[2])


@jit(inline="always")
def _cached_level_at(q, kc, base):
    """:func:`_cached_level` from a cache's lowest valid level ``kc`` and the left end
    ``base`` of its level-kc interval (``meta[1]``, ``meta[2]``) held as values (also
    ``benchmarks/tree_lanes.py``'s, whose chains keep them in arrays of their own)."""
    k_open = 64 - np.int64(leading_zeros(np.uint64(q ^ base)))
    k_shut = 64 - np.int64(leading_zeros(np.uint64((q - 1) ^ base)))
    k = max(kc, min(k_open, k_shut))
    return k, base & -(np.int64(1) << k)


@jit(inline="always")
def tree_lookup(q, block, meta, ylo, yhi, out):
    """If Y_block(q) is known without a descent (q = 0, or an end of a cached interval), copy it
    into ``out``, update the cache state as :func:`tree_value` does, and return True; otherwise
    touch nothing and return False (the query needs a descent, or ``block`` is not cached).

    :func:`tree_value` starts with it; inlined into the chain loop, it serves the start of a
    coupled noise piece (the last query) and the end of a PLMC step with a midpoint (an end of
    the cached ancestor that spans the step) without a call into the tree.
    """
    if meta[0] != block:
        return False
    if q == 0:
        for j in range(out.shape[0]):
            for a in range(out.shape[1]):
                out[j, a] = 0.0
        return True
    k, lk = _cached_level(q, meta)
    if q == lk:
        src_hi = False
    elif q == lk + (np.int64(1) << k):
        src_hi = True
    else:
        return False
    meta[1] = k
    meta[2] = lk
    for j in range(out.shape[0]):
        for a in range(out.shape[1]):
            out[j, a] = yhi[k, j, a] if src_hi else ylo[k, j, a]
    return True


@hot
def tree_value(q, block, chain, k0, k1, tab, nl, meta, ylo, yhi, out):
    """Write Y_block(q) (block-local, q in [0, 2**nl] sub-units) into ``out`` (dim, s)."""
    dim = out.shape[0]
    s = out.shape[1]
    if meta[0] != block:
        meta[0] = block
        meta[1] = nl
        meta[2] = 0
        # Y(0) = 0; Y(block end) = root factor times the normals of node 0
        _park_normals(0, block, chain, k0, k1, nl, yhi, nl, dim, s)
        for j in range(dim):
            z0 = yhi[nl, j, 0]
            ylo[nl, j, 0] = 0.0
            yhi[nl, j, 0] = tab[0, 0, 0, 0] * z0
            if s == 2:
                ylo[nl, j, 1] = 0.0
                yhi[nl, j, 1] = tab[0, 0, 1, 0] * z0 + tab[0, 0, 1, 1] * yhi[nl, j, 1]
    if tree_lookup(q, block, meta, ylo, yhi, out):
        return
    # q lies strictly inside the lowest cached interval holding it, at level k (recomputed
    # here: a few bit operations against the descent's ~10 levels)
    k, _ = _cached_level(q, meta)
    # Then three steps over the levels between k and kb, the level at which q is an interval
    # end: (1) the intervals on the way down, from q's bits alone; (2) the Philox words of
    # their midpoint nodes, all levels first, in a loop of their own; (3) level by level, the
    # normals from those words and the bridge arithmetic. Computing (2) first takes the Philox
    # evaluations, which do not depend on each other, off the arithmetic's dependency chain
    # (measured: ~15 % of a descent).
    # (1): intervals start at multiples of their length, so below a level-k interval that
    # holds q strictly inside, the level-kk interval holding q starts at q with its kk low bits
    # cleared (the descent goes right iff bit kk - 1 of q is set), and q first becomes an end
    # (a left end) at level tz(q), its number of trailing zero bits: nothing to store but the
    # new lowest interval's left end, q itself.
    kb = np.int64(trailing_zeros(q))
    meta[2] = q
    nlev = k - kb
    # (2) and (3), per pair slot (the components one Philox pair serves). In (3) the values
    # of the interval being split stay in registers from level to level; the child interval
    # is chosen without branching on which side q lies (a coin flip per level). Overdamped
    # components go in pairs, two independent dependency chains side by side in one loop (one
    # component after the other, every level waited on the previous level's latency:
    # measured ~10 % of a descent). The ziggurat runs inside the bridge's loop, its rare slow
    # path behind one branch per node (stop 19; before, a loop of its own parked the normals
    # in ylo[kk - 1] with a branch per normal, for the bridge loop to reload): bit-identical,
    # and a coupled PLMC step at K = 1024 ~12 % faster (ab_compare, 5 rounds).
    for jp in range(_pair_slots(dim, s)):
        comp = _pair_component(jp, s)
        ucomp = np.uint64(comp)
        w0, w1, w2, w3 = _descent_words(q, k, nlev, block, chain, ucomp, k0, k1, nl, meta)
        if s == 1:
            j = comp
            pair = j + 1 < dim
            jj = j + 1 if pair else j
            yl = ylo[k, j, 0]
            yh = yhi[k, j, 0]
            wl = ylo[k, jj, 0]
            wh = yhi[k, jj, 0]
            for i in range(nlev):
                kk = k - i
                za, zb = _descent_pair(w0, w1, w2, w3, i, q, kk, block, chain, ucomp, k0, k1,
                                       nl)
                if not pair:
                    zb = za  # a 1-D path, or the last of an odd number: the first normal only
                # g = 1 (q in the right half: bit kk - 1 of q) or 0; the blends
                # g*a + (1-g)*b are exact for finite values (a product with 0 or 1 is exact,
                # adding an exact zero changes nothing) and branch-free: LLVM turns selects
                # on this loop's critical path back into (coin-flip) branches
                g = float((q >> (kk - 1)) & 1)
                # the general bridge A_L yl + J_L (yh - A_2L yl) + C_L z with the overdamped
                # A_L = A_2L = 1 exactly (see _tables_overdamped): the products by 1 are
                # exact, so dropping them changes no bit and shortens the dependency chain
                t2 = tab[kk, 2, 0, 0]
                t3 = tab[kk, 3, 0, 0]
                ym = yl + t2 * (yh - yl) + t3 * za
                wm = wl + t2 * (wh - wl) + t3 * zb
                yl, yh = g * ym + (1.0 - g) * yl, g * yh + (1.0 - g) * ym
                wl, wh = g * wm + (1.0 - g) * wl, g * wh + (1.0 - g) * wm
                # component jj first: for an unpaired last component (jj = j) the j values,
                # computed identically, are the ones left in place
                ylo[kk - 1, jj, 0] = wl
                yhi[kk - 1, jj, 0] = wh
                ylo[kk - 1, j, 0] = yl
                yhi[kk - 1, j, 0] = yh
        else:
            j = comp
            u0 = ylo[k, j, 0]
            u1 = ylo[k, j, 1]
            h0 = yhi[k, j, 0]
            h1 = yhi[k, j, 1]
            for i in range(nlev):
                kk = k - i
                z0, z1 = _descent_pair(w0, w1, w2, w3, i, q, kk, block, chain, ucomp, k0, k1,
                                       nl)
                go_right = ((q >> (kk - 1)) & 1) == 1     # as g in the overdamped loop
                # A_L y_l and the residual r = y_r - A_2L y_l
                a0 = tab[kk, 0, 0, 0] * u0 + tab[kk, 0, 0, 1] * u1
                a1 = tab[kk, 0, 1, 0] * u0 + tab[kk, 0, 1, 1] * u1
                r0 = h0 - (tab[kk, 1, 0, 0] * u0 + tab[kk, 1, 0, 1] * u1)
                r1 = h1 - (tab[kk, 1, 1, 0] * u0 + tab[kk, 1, 1, 1] * u1)
                m0 = a0 + tab[kk, 2, 0, 0] * r0 + tab[kk, 2, 0, 1] * r1 + tab[kk, 3, 0, 0] * z0
                m1 = a1 + tab[kk, 2, 1, 0] * r0 + tab[kk, 2, 1, 1] * r1 \
                    + tab[kk, 3, 1, 0] * z0 + tab[kk, 3, 1, 1] * z1
                u0n = m0 if go_right else u0
                u1n = m1 if go_right else u1
                h0 = h0 if go_right else m0
                h1 = h1 if go_right else m1
                u0 = u0n
                u1 = u1n
                ylo[kk - 1, j, 0] = u0
                ylo[kk - 1, j, 1] = u1
                yhi[kk - 1, j, 0] = h0
                yhi[kk - 1, j, 1] = h1
    meta[1] = kb
    for j in range(dim):
        for a in range(s):
            out[j, a] = ylo[kb, j, a]
