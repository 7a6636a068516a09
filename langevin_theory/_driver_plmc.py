"""PLMC in fast (uncoupled) mode, chains in lockstep, gradients many rows at a time.

For targets with a many-rows gradient (``target._grad_rows_lanes``: today the built-in
diagonal mixtures in d <= 2) PLMC's fast mode runs here instead of in the per-chain
:func:`._driver._run_chains`. The step is :func:`.schemes.poisson_midpoint.plmc_step` with its
fast-mode noise written out: the same draws from the same streams in the same order (a chain
has two streams, noise and selection, so only the order within each matters) and the same
arithmetic in the same order. What differs is when each part is done. A step of a group of
``GROUP`` chains runs in phases:

1. the gradients at the states X of all of the group's chains, ``lanes`` rows a call;
2. the draws, and nothing else: OPTION 2, chain by chain, the slot i = int(u K) of the one
   midpoint and the normals of the noise to it and to the step's end; OPTION 1 in rounds:
   round r goes through the r-th selected slot (geometric gaps) of every chain that has
   one, each a row of a midpoint table (chain, slot, length of the noise interval, that
   noise's normals), and then each chain draws the normals of its noise to the step's end;
3. from the draws, the noise to each midpoint, the midpoint X^_i and its correction factors
   (plmc_step's arithmetic), the midpoints' gradients ``lanes`` rows a call, each correction
   added to its chain's in the chain's midpoint order, then the noise to the step's end.
   OPTION 1's table has ``GROUP`` rows; when the next round might overflow it (a group's
   step has ~``GROUP`` midpoints, so about every other step) its rows go through this phase
   and it is emptied, each chain keeping its noise so far in M;
4. the updates and the divergence checks, for all rows (a dead chain's NaN stays NaN, and
   the loop has no branch), then the records and the stops of chains that just diverged.

Phase 2 is bound by latency (a draw waits on its stream's previous one), phase 3 by
throughput; apart, neither waits on the other, and phase 3's loops carry no draw. The loop is
compiled for the target's dimension (``DIM``, 1 or 2), so that its loops over components
unroll: with a runtime dimension each of them, one or two iterations long, costs its own
branches and counters at every chain and step. Measured on the 2-D mixture at K = 10, one
thread (``benchmarks/plmc_driver_variants.py``; LMC's lockstep loop ~19 ns a chain-step in
the same process): OPTION 2 ~53 -> ~41 ns a step, ~49 from the phases alone or from the
constant dimension alone; OPTION 1 ~60 -> ~57-59, from the constant dimension (its phases as
such gained nothing). OPTION 1's number of midpoints per chain varies (Bin(K, 1/K)): drawn
chain by chain, a loop over one chain's midpoints ended at an unpredictable count (with
exactly one midpoint a step, an ablation with wrong numbers, that loop took ~47 ns); a draw
loop with no branch on the count (selects; the selection stream's state moved by selects)
took ~63, the next chain's draws then waiting on the last one instead of being predicted;
the slots of all chains drawn before any normal ~62. In rounds (stop 22) a round's loop runs
over a list of chains whose length is known when it starts, and consecutive iterations are
different chains: ~58-59 -> ~55, and with the branch-free updates ~53.6 (OPTION 2 ~41.8 ->
~40.9); with the chain lists' numbers unsigned, so that no index loaded from them carries
numba's negative-index guard (stop 25; ``benchmarks/ab_compare.py``, 6 rounds),
54.57-58.64 -> 51.06-51.94. OPTION 2's four normals a chain-step are drawn with the noise
stream's state held in registers (``_rng.stream_normal_held``; stop 24):
``benchmarks/ab_compare.py``, 8 rounds, 40.33-41.60 -> 39.30-40.29 ns. The same for OPTION 1's
draws (two normals at a time, between other draws) and for LMC's gained nothing.
``docs/core.md`` and ``docs/performance.md`` have these and the earlier forms.

The many-rows gradient's exp is the package's own (``_target_kernels.exp_weight``, within
1 ulp), not libm's, so results agree with the general driver to rounding, not bit for bit
(``tests/test_core_identities.py``), as for lockstep LMC (``_driver_lmc``).
"""
from __future__ import annotations

import math

import numba
import numpy as np

from . import _rng
from ._driver_lmc import _record, _stop_chain
from ._jit import jit, specialise
from ._kernels import flow, initial_velocity, noise_chol
# a step's flows over k = 0..K grid units come from the per-chain driver's table (underdamped,
# K <= TABLE_MAX_K; computed as needed otherwise), its noise factors from a table of the same
# extent made here
from .schemes.poisson_midpoint import TABLE_MAX_K, _flow_k, _geometric_gap, flow_table

#: chains per lockstep group (and per ``prange`` chunk), and rows of OPTION 1's midpoint
#: table. Measured on the 2-D mixture, OPTION 1 at K = 10, in an earlier form of this loop
#: (with a 16-row midpoint buffer): 70.4, 67.5, 66.5 and 66.1 ns a chain-step for groups of
#: 32, 64, 128 and 256; 64 is one ``prange`` chunk.
GROUP = 64


@jit
def noise_table(K, m_unit, h_sub, gamma, s):
    """``noise_chol`` over k grid units for k = 0..K, an array (K + 1, 3) of Cholesky factors
    (c00, c10, c11), computed as ``_kernels.piece`` computes them (``(k * m_unit) * h_sub`` is
    its float product); no rows when K > ``TABLE_MAX_K``."""
    NT = np.zeros((K + 1 if K <= TABLE_MAX_K else 0, 3))
    for k in range(NT.shape[0]):
        c00, c10, c11 = noise_chol((k * m_unit) * h_sub, gamma, s)
        NT[k, 0] = c00
        NT[k, 1] = c10
        NT[k, 2] = c11
    return NT


@jit(inline="always")
def _noise_k(NT, k, m_unit, h_sub, gamma, s):
    """The noise factor over k grid units (see :func:`noise_table`), from the table if any."""
    if NT.shape[0] > 0:
        return NT[k, 0], NT[k, 1], NT[k, 2]
    return noise_chol((k * m_unit) * h_sub, gamma, s)


@jit(inline="always")
def _correction_factors(FT, i, K, h, hs, gamma, s):
    """K A_{(K-1-i) hs} G_hs for a midpoint at slot i: the factors (f0, f1) by which
    plmc_step multiplies -(grad F(X^_i) - grad F(X)) in position and velocity (overdamped:
    h and 0)."""
    if s == 1:
        return h, 0.0
    a01c, a11c, _, _ = _flow_k(FT, K - 1 - i, hs, gamma, s)
    _, _, gh0, gh1 = _flow_k(FT, 1, hs, gamma, s)
    return K * (gh0 + a01c * gh1), K * (a11c * gh1)


@jit(inline="always")
def _apply_corrections(n, s, GM, G0, own, cf0, cf1, corr):
    """With GM the gradients at the first ``n`` midpoints (rows), subtract their corrections
    from their chains', in row order (a chain's rows are in its midpoint order)."""
    dim = GM.shape[1]
    for r in range(n):
        o = own[r]
        for j in range(dim):
            dg = GM[r, j] - G0[o, j]
            corr[o, j * s] -= cf0[r] * dg
            if s == 2:
                corr[o, j * s + 1] -= cf1[r] * dg


# ------------------------------------------------------------------------------- OPTION 1

@jit(inline="always")
def _option1_rows(n, K, dim, s, h, m_unit, h_sub, hs, gamma, X, V, G0, M, FT, NT, own, SL,
                  KK, ZR, XM, cf0, cf1):
    """OPTION 1, phase 3, for the first n rows of the midpoint table, in order: the noise to
    the row's midpoint, M <- A M + W over its KK grid units (W from the row's normals ZR;
    zero over an empty interval), the midpoint X^_i (i = SL, its slot) into XM, and its
    correction factors. The noise a chain has so far lives in M, so a chain whose rows are
    split between two passes (the table filled while it was drawn) carries on."""
    for r in range(n):
        b = own[r]
        k = KK[r]
        a01, a11, _, _ = _flow_k(FT, k, hs, gamma, s)
        c00, c10, c11 = _noise_k(NT, k, m_unit, h_sub, gamma, s)
        a01i, _, g0i, _ = _flow_k(FT, SL[r], hs, gamma, s)
        for j in range(dim):
            if s == 1:
                if k > 0:  # (_kernels.piece draws nothing over an empty interval)
                    M[b, j] += c00 * ZR[r, j]
                XM[r, j] = X[b, j] - g0i * G0[b, j] + M[b, j]
            else:
                w0 = c00 * ZR[r, 2 * j] if k > 0 else 0.0
                w1 = c10 * ZR[r, 2 * j] + c11 * ZR[r, 2 * j + 1] if k > 0 else 0.0
                M[b, 2 * j] = M[b, 2 * j] + a01 * M[b, 2 * j + 1] + w0
                M[b, 2 * j + 1] = a11 * M[b, 2 * j + 1] + w1
                XM[r, j] = X[b, j] + a01i * V[b, j] - g0i * G0[b, j] + M[b, 2 * j]
        cf0[r], cf1[r] = _correction_factors(FT, SL[r], K, h, hs, gamma, s)


@jit(inline="always")
def _option1_ends(ng, K, dim, s, m_unit, h_sub, hs, gamma, M, FT, NT, LAST, ZE):
    """OPTION 1, end of phase 3: each chain's noise from its last midpoint (slot LAST[b], 0
    if none) to the step's end, from its normals ZE[b] (never an empty interval). Rows of
    dead chains are computed from stale values and never read."""
    for b in range(ng):
        k = K - LAST[b]
        a01, a11, _, _ = _flow_k(FT, k, hs, gamma, s)
        c00, c10, c11 = _noise_k(NT, k, m_unit, h_sub, gamma, s)
        for j in range(dim):
            if s == 1:
                M[b, j] += c00 * ZE[b, j]
            else:
                M[b, 2 * j] = M[b, 2 * j] + a01 * M[b, 2 * j + 1] + c00 * ZE[b, 2 * j]
                M[b, 2 * j + 1] = a11 * M[b, 2 * j + 1] + (c10 * ZE[b, 2 * j]
                                                           + c11 * ZE[b, 2 * j + 1])


# ------------------------------------------------------------------------------- OPTION 2

@jit(inline="always")
def _option2_draws(ng, K, dim, s, XS, alive, SL, ZR, ZE):
    """OPTION 2, phase 2: each live chain's draws in plmc_step's order: its midpoint's slot
    i = int(u K) (selection stream), then the normals of the noise to the midpoint (none when
    i = 0: an empty interval) into ZR[b] and to the step's end into ZE[b] (noise stream)."""
    for b in range(ng):
        if not alive[b]:
            continue
        xs = XS[b]
        i = int(_rng.stream_uniform(xs, 4) * K)
        if i >= K:  # see plmc_step
            i = K - 1
        SL[b] = i
        # the noise stream's state in registers over the chain's normals (stream_normal_held)
        s0, s1, s2, s3 = xs[0], xs[1], xs[2], xs[3]
        if i > 0:
            for q in range(dim * s):
                ZR[b, q], s0, s1, s2, s3 = _rng.stream_normal_held(xs, 0, s0, s1, s2, s3)
        for q in range(dim * s):
            ZE[b, q], s0, s1, s2, s3 = _rng.stream_normal_held(xs, 0, s0, s1, s2, s3)
        xs[0], xs[1], xs[2], xs[3] = s0, s1, s2, s3


@jit(inline="always")
def _option2_midpoints(ng, K, dim, s, h, m_unit, h_sub, hs, gamma, X, V, G0, M, FT, NT, SL,
                       ZR, ZE, XM, cf0, cf1):
    """OPTION 2, phase 3 up to the gradients: from phase 2's draws, the noise to each chain's
    midpoint, its midpoint X^_i into XM[b], its correction factors, then its noise to the
    step's end into M[b], with plmc_step's arithmetic (M starts at zero; over an empty
    interval W = 0). No draw, and the empty interval is a select: a loop across chains. Rows
    of dead chains are computed from stale values and never read."""
    for b in range(ng):
        i = SL[b]
        a01, a11, g0, _ = _flow_k(FT, i, hs, gamma, s)
        c00, c10, c11 = _noise_k(NT, i, m_unit, h_sub, gamma, s)
        e01, e11, _, _ = _flow_k(FT, K - i, hs, gamma, s)
        d00, d10, d11 = _noise_k(NT, K - i, m_unit, h_sub, gamma, s)
        for j in range(dim):
            if s == 1:
                m = 0.0 + c00 * ZR[b, j] if i > 0 else 0.0
                XM[b, j] = X[b, j] - g0 * G0[b, j] + m
                M[b, j] = m + d00 * ZE[b, j]
            else:
                w0 = c00 * ZR[b, 2 * j] if i > 0 else 0.0
                w1 = c10 * ZR[b, 2 * j] + c11 * ZR[b, 2 * j + 1] if i > 0 else 0.0
                m0 = 0.0 + a01 * 0.0 + w0
                m1 = a11 * 0.0 + w1
                XM[b, j] = X[b, j] + a01 * V[b, j] - g0 * G0[b, j] + m0
                M[b, 2 * j] = m0 + e01 * m1 + d00 * ZE[b, 2 * j]
                M[b, 2 * j + 1] = e11 * m1 + (d10 * ZE[b, 2 * j] + d11 * ZE[b, 2 * j + 1])
        cf0[b], cf1[b] = _correction_factors(FT, i, K, h, hs, gamma, s)


@jit(inline="always")
def _option2_corrections(ng, dim, s, skip0, G0, GM, cf0, cf1, corr, ne, alive, SL):
    """OPTION 2, end of phase 3: with GM the gradients at the midpoints, each chain's
    correction (plmc_step's, from zero; none for a skipped midpoint at slot 0) and its
    gradient count."""
    for b in range(ng):
        made = (SL[b] != 0) | (not skip0)
        ne[b] += (1 + np.int64(made)) * np.int64(alive[b])
        for j in range(dim):
            dg = GM[b, j] - G0[b, j]
            corr[b, j * s] = 0.0 - cf0[b] * dg if made else 0.0
            if s == 2:
                corr[b, j * s + 1] = 0.0 - cf1[b] * dg if made else 0.0


# ----------------------------------------------------------------------------- the loop

def _plmc_group(c_first, ng, n_steps, m_step, h, K, option, skip0, gap_scale, h_sub, gamma,
                params, rec_steps, out_pos, out_vel, evals, diverged, X, V, G0, XM, GM, own,
                cf0, cf1, SL, KK, ZR, ZE, LAST, M, corr, XS, pend, ne, alive, ACT, BAD, FT, NT):
    """Chains ``c_first .. c_first + ng - 1`` (rows of X, V, XS, pend; initialised) over all
    steps; the other arrays are scratch (see :func:`_plmc_chains` for their shapes)."""
    s = S_BLOCKS  # noqa: F821 (bound by specialise)
    # the dimension, a compile-time constant (see get_plmc_driver)
    dim = DIM  # noqa: F821 (bound by specialise)
    n_rec = rec_steps.shape[0]
    n_table = own.shape[0]
    m_unit = m_step // K
    hs = h / K
    a01h, a11h, g0h, g1h = flow(h, gamma, s)
    for b in range(ng):
        alive[b] = True
        ne[b] = 0
    r = _record(0, 0, rec_steps, out_pos, out_vel, X, V, c_first, ng, alive, s)
    for t in range(n_steps):
        # 1. the gradients at X (rows of dead chains and unused rows: computed, ignored)
        grad_first(X, ng, params, G0)  # noqa: F821 (bound by specialise)
        if option == 2:
            # 2. the draws; 3. the midpoints, their gradients, the corrections
            _option2_draws(ng, K, dim, s, XS, alive, SL, ZR, ZE)
            _option2_midpoints(ng, K, dim, s, h, m_unit, h_sub, hs, gamma, X, V, G0, M, FT,
                               NT, SL, ZR, ZE, XM, cf0, cf1)
            grad_first(XM, ng, params, GM)  # noqa: F821
            _option2_corrections(ng, dim, s, skip0, G0, GM, cf0, cf1, corr, ne, alive, SL)
        else:
            # 2. the draws, round by round. Round 0 sets up each live chain and finds its
            # next selected slot (carried over from the last step, see plmc_step); round r
            # then goes through the r-th midpoint of every chain that has one (the active
            # list ACT, compacted without a branch), so no loop's length depends on one
            # chain's midpoint count. A chain's draws keep their order on each stream.
            na = 0
            for b in range(ng):
                if not alive[b]:
                    continue
                ne[b] += 1
                for q in range(dim * s):
                    M[b, q] = 0.0
                    corr[b, q] = 0.0
                i = pend[b]
                if i < 0:  # the chain's first step
                    i = _geometric_gap(XS[b], gap_scale)
                pend[b] = i
                LAST[b] = 0
                ACT[na] = b
                na += 1 if i < K else 0
            n = 0
            while True:
                if na == 0 or n + na > n_table:
                    # 3. for the table's rows so far (all of them once the rounds are over,
                    # before the next might overflow the table otherwise); then it is emptied
                    _option1_rows(n, K, dim, s, h, m_unit, h_sub, hs, gamma, X, V, G0,
                                  M, FT, NT, own, SL, KK, ZR, XM, cf0, cf1)
                    grad_first(XM, n, params, GM)  # noqa: F821
                    _apply_corrections(n, s, GM, G0, own, cf0, cf1, corr)
                    n = 0
                    if na == 0:
                        break
                m = 0
                for k in range(na):
                    b = ACT[k]
                    xs = XS[b]
                    i = pend[b]
                    prev = LAST[b]
                    # a midpoint at slot 0 is X itself and its noise piece empty (M stays
                    # zero), so it is a row only when its gradient is made
                    made = (i > 0) | (not skip0)
                    own[n] = b
                    SL[n] = i
                    KK[n] = i - prev
                    if i > prev:  # (then made)
                        for q in range(dim * s):
                            ZR[n, q] = _rng.stream_normal(xs, 0)
                    n += np.int64(made)
                    ne[b] += np.int64(made)
                    LAST[b] = i
                    i = i + 1 + _geometric_gap(xs, gap_scale)
                    pend[b] = i
                    ACT[m] = b
                    m += 1 if i < K else 0
                na = m
            for b in range(ng):
                if not alive[b]:
                    continue
                pend[b] -= K
                xs = XS[b]
                for q in range(dim * s):
                    ZE[b, q] = _rng.stream_normal(xs, 0)
            # 3. the noise to the step's end
            _option1_ends(ng, K, dim, s, m_unit, h_sub, hs, gamma, M, FT, NT, LAST, ZE)
        # 4. the updates (plmc_step's last lines), divergence, records: dead chains' rows
        # are updated too (NaN stays NaN), so the loop has no branch; the chains that just
        # diverged stop after it (~0.6 ns a step faster than a branch and a stop per chain)
        nbad = 0
        for b in range(ng):
            ok = True
            for j in range(dim):
                if s == 1:
                    X[b, j] = X[b, j] - g0h * G0[b, j] + M[b, j * s] + corr[b, j * s]
                else:
                    xj = (X[b, j] + a01h * V[b, j] - g0h * G0[b, j] + M[b, j * s]
                          + corr[b, j * s])
                    V[b, j] = (a11h * V[b, j] - g1h * G0[b, j] + M[b, j * s + 1]
                               + corr[b, j * s + 1])
                    X[b, j] = xj
                    ok = ok & math.isfinite(V[b, j])
                ok = ok & math.isfinite(X[b, j])
            bad = alive[b] & (not ok)
            BAD[b] = bad
            nbad += np.int64(bad)
        if nbad > 0:
            for b in range(ng):
                if BAD[b]:
                    _stop_chain(b, c_first, t, ne[b], r, n_rec, X, V, alive, diverged, evals,
                                out_pos, out_vel, s)
        r = _record(r, t + 1, rec_steps, out_pos, out_vel, X, V, c_first, ng, alive, s)
    for b in range(ng):
        if alive[b]:
            evals[c_first + b] = ne[b]


def _plmc_chains(x0, v0, draw_v0, n_steps, m_step, h, K, option, skip0, gap_scale, h_sub,
                 gamma, params, rec_steps, out_pos, out_vel, evals, diverged, rk0, rk1, vkey0,
                 vkey1, c_lo, c_hi):
    """Chains ``c_lo .. c_hi - 1`` of the run (rows of x0 and of the outputs, which hold all
    the run's chains): ``simulate`` runs a large run in batches of chains."""
    dim = x0.shape[1]
    s = S_BLOCKS  # noqa: F821 (bound by specialise)
    lanes = grad_rows_lanes(params, dim)  # noqa: F821 (bound by specialise)
    rows = ((GROUP + lanes - 1) // lanes) * lanes
    n_chunks = (c_hi - c_lo + GROUP - 1) // GROUP
    m_unit = m_step // K
    if m_step != K * m_unit:
        # simulate's fast mode counts a step as K grid units of 2**SUB_LEVELS sub-units
        raise ValueError("m_step must be a multiple of K")
    # the step's flows and noise factors over k = 0..K grid units (see TABLE_MAX_K), made
    # once per run and shared by all chunks
    FT = flow_table(K, h, gamma, s)
    NT = noise_table(K, m_unit, h_sub, gamma, s)
    for ck in numba.prange(n_chunks):
        X = np.zeros((rows, dim))
        V = np.zeros((rows, dim))
        G0 = np.zeros((rows, dim))
        # midpoint rows (OPTION 1: the table, rows in the order drawn; OPTION 2: row b is
        # chain b's midpoint): the midpoint and its gradient, its chain, its correction
        # factors, its slot, the length of its noise interval and that noise's normals
        XM = np.zeros((rows, dim))
        GM = np.zeros((rows, dim))
        # the chain numbers in own and ACT are unsigned: numba guards every signed index
        # against negative values (a compare and a select, "wraparound"), which LLVM removes
        # for a loop counter but not for an index loaded from memory, as these are. Bit for
        # bit the same; OPTION 1 ~5 % faster (see docs/performance.md, stop 25)
        own = np.zeros(rows, np.uint64)
        cf0 = np.zeros(rows)
        cf1 = np.zeros(rows)
        SL = np.zeros(rows, np.int64)
        KK = np.zeros(rows, np.int64)
        ZR = np.zeros((rows, dim * s))
        # per chain: the normals of the noise to the step's end, the last midpoint's slot
        ZE = np.zeros((rows, dim * s))
        LAST = np.zeros(rows, np.int64)
        # M (the noise to the current point) and corr (the summed corrections) per chain,
        # component j's block a at [b, j * s + a]: two-dimensional arrays index cheaper than
        # (rows, dim, s) ones (~1.7 ns a step)
        M = np.zeros((rows, dim * s))
        corr = np.zeros((rows, dim * s))
        XS = np.zeros((rows, 8), np.uint64)
        pend = np.zeros(rows, np.int64)
        ne = np.zeros(rows, np.int64)
        alive = np.zeros(rows, np.bool_)
        ACT = np.zeros(rows, np.uint64)
        BAD = np.zeros(rows, np.bool_)
        c_first = c_lo + ck * GROUP
        ng = min(GROUP, c_hi - c_first)
        for b in range(ng):
            c = c_first + b
            # as _driver._run_chains: the chain's two streams, its state, drawn velocities
            _rng.stream_seed(XS[b], 0, rk0, rk1, c, _rng.TAG_NOISE)
            _rng.stream_seed(XS[b], 4, rk0, rk1, c, _rng.TAG_SELECT)
            pend[b] = -1  # OPTION 1: no midpoint drawn yet
            for j in range(dim):
                X[b, j] = x0[c, j]
            if s == 2:
                initial_velocity(V[b], c, draw_v0, v0, vkey0, vkey1)
        plmc_group(c_first, ng, n_steps, m_step, h, K, option, skip0,  # noqa: F821
                   gap_scale, h_sub, gamma, params, rec_steps, out_pos, out_vel, evals,
                   diverged, X, V, G0, XM, GM, own, cf0, cf1, SL, KK, ZR, ZE, LAST, M, corr,
                   XS, pend, ne, alive, ACT, BAD, FT, NT)


def _grad_first(X, n, params, G):
    """The gradients at the first ``n`` rows of X into G, ``lanes`` rows a call of the
    target's many-rows gradient (the last call computes a whole ``lanes`` block: X and G
    have a multiple of ``lanes`` rows, and rows from n on are stale and ignored).

    A function of its own, called by the group loop: inlined at the loop's call sites (each
    copy unrolled and vectorised), the gradient made the loop's function large and its
    per-chain phase short of registers; as a call the step took ~4-5 ns less (61.2 against
    66.5 ns, OPTION 1 at K = 10, in stop 20's form of the loop).
    """
    lanes = grad_rows_lanes(params, X.shape[1])  # noqa: F821 (bound by specialise)
    for k in range((n + lanes - 1) // lanes):
        grad_rows(X[k * lanes:(k + 1) * lanes], params,  # noqa: F821 (bound by specialise)
                  G[k * lanes:(k + 1) * lanes])


def get_plmc_driver(target, blocks: int):
    """The compiled lockstep PLMC fast-mode loop for ``target``, or ``None`` when the target
    has no many-rows gradient (then ``_driver.get_driver`` serves PLMC one chain at a time).

    The group loop is compiled for the target's dimension (a many-rows gradient means d <= 2,
    so at most two such loops per gradient and dynamics kind), which unrolls its loops over
    components. The lockstep LMC loop is not: the same change there made LMC on the mixture
    ~2 % slower (``ab_compare.py``, 3 rounds, ranges apart)."""
    if blocks not in (1, 2):
        raise ValueError(f"blocks must be 1 or 2; got {blocks!r}")
    if getattr(target, "_grad_allocates", False) or \
            target._grad_rows_lanes(target.params, target.dim) <= 0:
        return None
    cache = bool(target._builtin)
    tag = f"t{id(target._grad_point)}"
    grads = specialise(_grad_first, {"grad_rows": target._grad_rows,
                                     "grad_rows_lanes": target._grad_rows_lanes},
                       cache=cache, tag=tag, nrt=False)
    group = specialise(_plmc_group, {"grad_first": grads, "S_BLOCKS": int(blocks),
                                     "DIM": int(target.dim)},
                       cache=cache, tag=tag, nrt=False)
    return specialise(_plmc_chains, {"plmc_group": group,
                                     "grad_rows_lanes": target._grad_rows_lanes,
                                     "S_BLOCKS": int(blocks)}, cache=cache, tag=tag,
                      parallel=True)
