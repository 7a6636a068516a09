"""PLMC in fast (uncoupled) mode, chains in lockstep, gradients many rows at a time.

For targets with a many-rows gradient (``target._grad_rows_lanes``: today the built-in
diagonal mixtures in d <= 2) PLMC's fast mode runs here instead of in the per-chain
:func:`._driver._run_chains`. The step is :func:`.schemes.poisson_midpoint.plmc_step` with its
fast-mode noise written out, the same draws from the same streams in the same order and the
same arithmetic in the same order. What differs is when the gradients are computed. A step of
a group of ``GROUP`` chains runs in phases:

1. the gradients at the states X of all of the group's chains, ``lanes`` rows per call;
2. chain by chain, the midpoint set and the noise pieces (plmc_step's loop), each midpoint's
   position X^_i written to a buffer of ``lanes`` rows together with its chain and its
   correction coefficients; whenever the buffer is full, the gradients of its rows are
   computed in one call and each row's correction is added to its chain's (a chain's
   midpoints enter the buffer in their order, so its corrections are summed in plmc_step's
   order); then the noise to the step's end;
3. the gradients of what is left in the buffer (the call computes all ``lanes`` rows; the
   stale ones are ignored);
4. the updates, the divergence checks, the records.

So a step costs about 2 gradient evaluations a chain done ``lanes`` at a time, vectorised
across chains, plus a partly filled last buffer: OPTION 1 puts Bin(K, 1/K) midpoints into a
chain's step, ~``GROUP`` midpoints into the group's, so a larger group wastes a smaller
fraction of a buffer (measured on the 2-D mixture, OPTION 1 at K = 10, in an earlier form of
this loop: 70.4, 67.5, 66.5 and 66.1 ns a chain-step for groups of 32, 64, 128 and 256; 64 is
one ``prange`` chunk). See ``docs/core.md`` for the timings against the per-chain driver and
where the time goes.

Two earlier lockstep PLMC loops (stop 13 row by row; stop 17 with many-rows gradients and a
buffer flushed as here) were no faster than the per-chain driver, and were withdrawn; this
one is ~1.5x faster. Why is not fully understood (``docs/core.md``); this one writes the
fast-mode step out with nothing but the chain's two streams in its per-chain phase, and
calls the gradient rather than inlining it.

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
# the step's coefficients (flows and noise factors) depend on a grid index k in 0..K only, so
# up to this K they are computed once per run into a table; above it (a table would grow with
# K) as the step needs them: the per-chain driver's limit for its flow table
from .schemes.poisson_midpoint import TABLE_MAX_K, _geometric_gap

#: chains per lockstep group (and per ``prange`` chunk); see the module docstring
GROUP = 64


@jit(inline="always")
def _coefficients(k, m_unit, h_sub, hs, gamma, s):
    """(a01, a11, g0, g1, c00, c10, c11): ``flow(k hs)`` and ``noise_chol(k m_unit h_sub)``,
    the flow and the noise factor over k grid units, computed exactly as plmc_step and
    ``_kernels.piece`` compute them (k an integer, so ``k * hs`` is their float product)."""
    a01, a11, g0, g1 = flow(k * hs, gamma, s)
    c00, c10, c11 = noise_chol((k * m_unit) * h_sub, gamma, s)
    return a01, a11, g0, g1, c00, c10, c11


@jit(inline="always")
def _coef(FT, k, m_unit, h_sub, hs, gamma, s):
    """:func:`_coefficients` of k, from the run's table FT when it has one."""
    if FT.shape[0] > 0:
        return FT[k, 0], FT[k, 1], FT[k, 2], FT[k, 3], FT[k, 4], FT[k, 5], FT[k, 6]
    return _coefficients(k, m_unit, h_sub, hs, gamma, s)


@jit(inline="always")
def _add_noise(M, b, k, a01, a11, c00, c10, c11, s, xs, W):
    """Chain b's noise over the next k >= 0 grid units: M[b] <- A M[b] + N, N ~ N(0, Gamma^2)
    with A and Gamma^2 the flow and noise over those units (``a01, a11``; Cholesky factor
    ``c00, c10, c11``), drawn from the chain's noise stream ``xs[0:4]``.

    ``_kernels.piece``'s fast-mode branch followed by plmc_step's update of M, the same draws
    and arithmetic: an empty interval draws nothing and adds zero. Overdamped (A = I) the
    noise goes straight into M (c00 z0 is what piece would have written into W).
    """
    dim = W.shape[0]
    if s == 1:
        if k > 0:
            for j in range(dim):
                M[b, j * s] += c00 * _rng.stream_normal(xs, 0)
        return
    if k > 0:
        for j in range(dim):
            z0 = _rng.stream_normal(xs, 0)
            z1 = _rng.stream_normal(xs, 0)
            W[j, 0] = c00 * z0
            W[j, 1] = c10 * z0 + c11 * z1
    else:
        for j in range(dim):
            W[j, 0] = 0.0
            W[j, 1] = 0.0
    for j in range(dim):
        M[b, j * s] = M[b, j * s] + a01 * M[b, j * s + 1] + W[j, 0]
        M[b, j * s + 1] = a11 * M[b, j * s + 1] + W[j, 1]


@jit(inline="always")
def _apply_corrections(nb, s, GM, G0, own, cf0, cf1, corr):
    """With GM the gradients of the buffer's rows, subtract the first ``nb`` rows'
    corrections from their chains', in row order (the rest of the rows are stale)."""
    dim = GM.shape[1]
    for r in range(nb):
        o = own[r]
        for j in range(dim):
            dg = GM[r, j] - G0[o, j]
            corr[o, j * s] -= cf0[r] * dg
            if s == 2:
                corr[o, j * s + 1] -= cf1[r] * dg


def _plmc_group(c_first, ng, n_steps, m_step, h, K, option, skip0, gap_scale, h_sub, gamma,
                params, rec_steps, out_pos, out_vel, evals, diverged, X, V, G0, XM, GM, own,
                cf0, cf1, M, W, corr, XS, pend, ne, alive, FT):
    """Chains ``c_first .. c_first + ng - 1`` (rows of X, V, XS, pend; initialised) over all
    steps; the other arrays are scratch (see :func:`_plmc_chains` for their shapes)."""
    s = S_BLOCKS  # noqa: F821 (bound by specialise)
    dim = X.shape[1]
    n_rec = rec_steps.shape[0]
    lanes = XM.shape[0]
    n_blocks = (ng + lanes - 1) // lanes
    m_unit = m_step // K
    hs = h / K
    a01h, a11h, g0h, g1h = flow(h, gamma, s)
    for b in range(ng):
        alive[b] = True
        ne[b] = 0
    r = _record(0, 0, rec_steps, out_pos, out_vel, X, V, c_first, ng, alive, s)
    for t in range(n_steps):
        # 1. the gradients at X (rows of dead chains and unused rows: computed, ignored)
        for k in range(n_blocks):
            grad_rows(X[k * lanes:(k + 1) * lanes], params,  # noqa: F821
                      G0[k * lanes:(k + 1) * lanes])
        # 2. chain by chain, plmc_step's midpoint loop, its gradients into the buffer
        nb = 0
        for b in range(ng):
            if not alive[b]:
                continue
            xs = XS[b]
            ne[b] += 1
            for j in range(dim):
                for a in range(s):
                    M[b, j * s + a] = 0.0
                    corr[b, j * s + a] = 0.0
            prev = 0
            i = -1
            if option == 1:
                i = pend[b]
                if i < 0:  # the chain's first step
                    i = _geometric_gap(xs, gap_scale)
            while True:
                if option == 1:
                    if i >= K:
                        pend[b] = i - K
                        break
                else:
                    if i >= 0:
                        break
                    u = _rng.stream_uniform(xs, 4)
                    i = int(u * K)
                    if i >= K:  # see plmc_step
                        i = K - 1
                # the noise to this midpoint: M <- A_{(i - prev) hs} M + N(prev, i)
                a01, a11, _, _, c00, c10, c11 = _coef(FT, i - prev, m_unit, h_sub, hs, gamma, s)
                _add_noise(M, b, i - prev, a01, a11, c00, c10, c11, s, xs, W)
                prev = i
                if option == 1:
                    i = i + 1 + _geometric_gap(xs, gap_scale)
                if prev == 0 and skip0:
                    continue
                a01i, _, g0i, _, _, _, _ = _coef(FT, prev, m_unit, h_sub, hs, gamma, s)
                for j in range(dim):
                    if s == 1:
                        XM[nb, j] = X[b, j] - g0i * G0[b, j] + M[b, j * s]
                    else:
                        XM[nb, j] = X[b, j] + a01i * V[b, j] - g0i * G0[b, j] + M[b, j * s]
                own[nb] = b
                # K A_{(K-1-i) hs} G_hs, as plmc_step applies it to -(grad F(X^) - grad F(X))
                if s == 1:
                    cf0[nb] = h
                else:
                    a01c, a11c, _, _, _, _, _ = _coef(FT, K - 1 - prev, m_unit, h_sub, hs,
                                                      gamma, s)
                    _, _, gh0, gh1, _, _, _ = _coef(FT, 1, m_unit, h_sub, hs, gamma, s)
                    cf0[nb] = K * (gh0 + a01c * gh1)
                    cf1[nb] = K * (a11c * gh1)
                ne[b] += 1
                nb += 1
                if nb == lanes:
                    grad_rows(XM, params, GM)  # noqa: F821
                    _apply_corrections(nb, s, GM, G0, own, cf0, cf1, corr)
                    nb = 0
            # the noise to the step's end (prev < K: never an empty interval; m_step is
            # K m_unit, checked by _plmc_chains)
            a01, a11, _, _, c00, c10, c11 = _coef(FT, K - prev, m_unit, h_sub, hs, gamma, s)
            _add_noise(M, b, K - prev, a01, a11, c00, c10, c11, s, xs, W)
        # 3. the buffer's remaining rows
        if nb > 0:
            grad_rows(XM, params, GM)  # noqa: F821 (all rows computed, nb used)
            _apply_corrections(nb, s, GM, G0, own, cf0, cf1, corr)
        # 4. the updates (plmc_step's last lines), divergence, records
        for b in range(ng):
            if not alive[b]:
                continue
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
                    if not math.isfinite(V[b, j]):
                        ok = False
                if not math.isfinite(X[b, j]):
                    ok = False
            if not ok:
                _stop_chain(b, c_first, t, ne[b], r, n_rec, X, V, alive, diverged, evals,
                            out_pos, out_vel, s)
        r = _record(r, t + 1, rec_steps, out_pos, out_vel, X, V, c_first, ng, alive, s)
    for b in range(ng):
        if alive[b]:
            evals[c_first + b] = ne[b]


def _plmc_chains(x0, v0, draw_v0, n_steps, m_step, h, K, option, skip0, gap_scale, h_sub,
                 gamma, params, rec_steps, out_pos, out_vel, evals, diverged, rk0, rk1, vkey0,
                 vkey1):
    n_chains, dim = x0.shape
    s = S_BLOCKS  # noqa: F821 (bound by specialise)
    lanes = grad_rows_lanes(params, dim)  # noqa: F821 (bound by specialise)
    rows = ((GROUP + lanes - 1) // lanes) * lanes
    n_chunks = (n_chains + GROUP - 1) // GROUP
    m_unit = m_step // K
    if m_step != K * m_unit:
        # simulate's fast mode counts a step as K grid units of 2**SUB_LEVELS sub-units
        raise ValueError("m_step must be a multiple of K")
    # the step's coefficients for k = 0..K grid units (see TABLE_MAX_K), shared by all chunks
    hs = h / K
    FT = np.zeros((K + 1 if K <= TABLE_MAX_K else 0, 7))
    for k in range(FT.shape[0]):
        a01, a11, g0, g1, c00, c10, c11 = _coefficients(k, m_unit, h_sub, hs, gamma, s)
        FT[k, 0] = a01
        FT[k, 1] = a11
        FT[k, 2] = g0
        FT[k, 3] = g1
        FT[k, 4] = c00
        FT[k, 5] = c10
        FT[k, 6] = c11
    for ck in numba.prange(n_chunks):
        X = np.zeros((rows, dim))
        V = np.zeros((rows, dim))
        G0 = np.zeros((rows, dim))
        XM = np.zeros((lanes, dim))
        GM = np.zeros((lanes, dim))
        own = np.zeros(lanes, np.int64)
        cf0 = np.zeros(lanes)
        cf1 = np.zeros(lanes)
        # M (the noise to the current point) and corr (the summed corrections) per chain,
        # component j's block a at [b, j * s + a]: two-dimensional arrays index cheaper than
        # (rows, dim, s) ones (~1.7 ns a step)
        M = np.zeros((rows, dim * s))
        W = np.zeros((dim, s))
        corr = np.zeros((rows, dim * s))
        XS = np.zeros((rows, 8), np.uint64)
        pend = np.zeros(rows, np.int64)
        ne = np.zeros(rows, np.int64)
        alive = np.zeros(rows, np.bool_)
        c_first = ck * GROUP
        ng = min(GROUP, n_chains - c_first)
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
                   diverged, X, V, G0, XM, GM, own, cf0, cf1, M, W, corr, XS, pend, ne, alive,
                   FT)


def _grad_block(X, params, G):
    """The target's many-rows gradient as a function of its own, so that the group loop calls
    it instead of inlining it at each of its three call sites.

    Inlined three times (each copy unrolled and vectorised), it made the loop's function large
    and its per-chain phase short of registers; as a call (one per 16 rows) the step took
    ~4-5 ns less (61.2 against 66.5 ns, OPTION 1 at K = 10, ``plmc_driver_variants.py``).
    """
    grad_rows(X, params, G)  # noqa: F821 (bound by specialise)


def get_plmc_driver(target, blocks: int):
    """The compiled lockstep PLMC fast-mode loop for ``target``, or ``None`` when the target
    has no many-rows gradient (then ``_driver.get_driver`` serves PLMC one chain at a time)."""
    if blocks not in (1, 2):
        raise ValueError(f"blocks must be 1 or 2; got {blocks!r}")
    if getattr(target, "_grad_allocates", False) or \
            target._grad_rows_lanes(target.params, target.dim) <= 0:
        return None
    cache = bool(target._builtin)
    tag = f"t{id(target._grad_point)}"
    block = specialise(_grad_block, {"grad_rows": target._grad_rows}, cache=cache, tag=tag,
                       nrt=False)
    group = specialise(_plmc_group, {"grad_rows": block, "S_BLOCKS": int(blocks)},
                       cache=cache, tag=tag, nrt=False)
    return specialise(_plmc_chains, {"plmc_group": group,
                                     "grad_rows_lanes": target._grad_rows_lanes,
                                     "S_BLOCKS": int(blocks)}, cache=cache, tag=tag,
                      parallel=True)
