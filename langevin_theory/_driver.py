"""The chain loop: runs any scheme's step kernel over many chains (numba, ``prange``).

Chains are processed in chunks of ``CHUNK`` (the unit of ``prange``); each chunk allocates its
scratch once and steps its chains in groups of :func:`group_size`, in lockstep. Every random
number a chain uses is a function of its *global* index, so the result does not depend on the
chunking, the grouping or the number of threads.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import _rng
from ._jit import specialise
from .brownian import tree_meta_size, tree_reset
from .schemes.lmc import lmc_step  # noqa: F401 (step kernels bound into the driver)
from .schemes.poisson_midpoint import plmc_step
from .schemes.randomized_midpoint import rlmc_step

CHUNK = 64
# chains a group steps in lockstep: at most GROUP_MAX, and their scratch within GROUP_BYTES
GROUP_MAX = 8
GROUP_BYTES = 128 * 1024


def group_size(dim: int, nl: int, blocks: int) -> int:
    """How many chains :func:`_run_group` steps in lockstep.

    A chain's step is a chain of dependent operations (gradient -> update -> next gradient),
    so one chain at a time leaves most of a core idle when the gradient is cheap. Stepping a
    few chains side by side gives the core independent work to overlap (measured on a Zen 5
    core: LMC on the 1-D double well 7.3e7 -> 1.4e8 chain-steps/s with 8 chains; the mixture,
    whose exps already keep the core busy, does not change). The group's per-chain scratch
    (the tree cache above all) must stay in cache, so large states get smaller groups, down to
    one chain. Results do not depend on the group size: each chain's arithmetic is unchanged.
    """
    per_chain = 8 * (2 * (nl + 1) * dim * blocks + 6 * dim * blocks + 5 * dim + 8
                     + tree_meta_size(nl))
    return int(max(1, min(GROUP_MAX, GROUP_BYTES // per_chain)))


def _run_group(
    c_first,
    ng,
    n_steps,
    m_step,
    h,
    K,
    option,
    skip0,
    gap_scale,
    cfg,
    tab,
    params,
    rec_steps,
    out_pos,
    out_vel,
    evals,
    diverged,
    X,
    V,
    META,
    YLO,
    YHI,
    XS,
    PEND,
    T1,
    G0,
    GM,
    XM,
    MM,
    WW,
    CORR,
    alive,
):
    """Run chains ``c_first .. c_first + ng - 1`` (initialised rows of the group arrays) over
    all steps, in lockstep: step t of every chain of the group, then step t + 1.

    Compiled without reference counting (``_jit.hot``) where the gradient allocates nothing:
    the rows ``X[b]`` etc. are then free views, while with reference counting each view costs
    two atomic operations (measured: a double-well LMC step 14 -> 60 ns).
    """
    s = S_BLOCKS  # noqa: F821 (bound by specialise)
    dim = X.shape[1]
    n_rec = rec_steps.shape[0]
    r = 0
    while r < n_rec and rec_steps[r] == 0:
        for b in range(ng):
            for j in range(dim):
                out_pos[r, c_first + b, j] = X[b, j]
                if s == 2:
                    out_vel[r, c_first + b, j] = V[b, j]
        r += 1
    for b in range(ng):
        alive[b] = True
        evals[c_first + b] = 0
    p0 = np.int64(0)
    for t in range(n_steps):
        for b in range(ng):
            if not alive[b]:
                continue
            c = c_first + b
            x = X[b]
            v = V[b]
            evals[c] += step(  # noqa: F821 (bound by specialise)
                x,
                v,
                s,
                p0,
                m_step,
                h,
                K,
                option,
                skip0,
                gap_scale,
                cfg,
                tab,
                META[b],
                YLO[b],
                YHI[b],
                XS[b],
                PEND[b],
                T1[b],
                c,
                params,
                G0[b],
                GM[b],
                XM[b],
                MM[b],
                WW[b],
                CORR[b],
            )
            ok = True
            for j in range(dim):
                if not math.isfinite(x[j]):
                    ok = False
                if s == 2 and not math.isfinite(v[j]):
                    ok = False
            if not ok:
                # the chain stops; it and its remaining records are NaN (simulate raises or
                # drops it, as asked)
                alive[b] = False
                diverged[c] = t + 1
                for j in range(dim):
                    x[j] = np.nan
                    v[j] = np.nan
                for rr in range(r, n_rec):
                    for j in range(dim):
                        out_pos[rr, c, j] = np.nan
                        if s == 2:
                            out_vel[rr, c, j] = np.nan
        p0 += m_step
        while r < n_rec and rec_steps[r] == t + 1:
            for b in range(ng):
                if alive[b]:
                    for j in range(dim):
                        out_pos[r, c_first + b, j] = X[b, j]
                        if s == 2:
                            out_vel[r, c_first + b, j] = V[b, j]
            r += 1


def _run_chains(
    x0,
    v0,
    draw_v0,
    n_steps,
    m_step,
    h,
    K,
    option,
    skip0,
    gap_scale,
    path,
    params,
    rec_steps,
    out_pos,
    out_vel,
    evals,
    diverged,
    vkey0,
    vkey1,
    group,
):
    n_chains, dim = x0.shape
    # the number of state blocks (1 overdamped, 2 underdamped) is a compile-time constant, so
    # the overdamped kernel carries no underdamped branches (measured: ~8 % of a PLMC step)
    s = S_BLOCKS  # noqa: F821 (bound by specialise)
    coupled, k0, k1, tab, nl, h_sub, gamma, rk0, rk1 = path
    cfg = (coupled, k0, k1, nl, h_sub, gamma, rk0, rk1)
    n_chunks = (n_chains + CHUNK - 1) // CHUNK
    G = group
    for ck in numba.prange(n_chunks):
        # one row per chain of a group: tree cache, streams, state and step scratch
        META = np.zeros((G, tree_meta_size(nl)), np.int64)
        YLO = np.zeros((G, nl + 1, dim, s))
        YHI = np.zeros((G, nl + 1, dim, s))
        XS = np.zeros((G, 8), np.uint64)
        PEND = np.zeros((G, 1), np.int64)
        T1 = np.zeros((G, dim, s))
        G0 = np.zeros((G, dim))
        GM = np.zeros((G, dim))
        XM = np.zeros((G, dim))
        MM = np.zeros((G, dim, s))
        WW = np.zeros((G, dim, s))
        CORR = np.zeros((G, dim, s))
        X = np.zeros((G, dim))
        V = np.zeros((G, dim))
        alive = np.zeros(G, np.bool_)
        c_end = min((ck + 1) * CHUNK, n_chains)
        for c_first in range(ck * CHUNK, c_end, G):
            ng = min(G, c_end - c_first)
            for b in range(ng):
                c = c_first + b
                tree_reset(META[b])
                # the chain's own streams: fast-mode noise and midpoint selection
                _rng.stream_seed(XS[b], 0, rk0, rk1, c, _rng.TAG_NOISE)
                _rng.stream_seed(XS[b], 4, rk0, rk1, c, _rng.TAG_SELECT)
                PEND[b, 0] = -1  # PLMC OPTION 1: no midpoint drawn yet
                for j in range(dim):
                    X[b, j] = x0[c, j]
                if s == 2:
                    if draw_v0:
                        for j in range(0, dim, 2):
                            cw = _rng.counter_words(j // 2, c, 0, _rng.TAG_INIT)
                            z = _rng.normal_pair(cw[0], cw[1], cw[2], cw[3], vkey0, vkey1)
                            V[b, j] = z[0]
                            if j + 1 < dim:
                                V[b, j + 1] = z[1]
                    else:
                        for j in range(dim):
                            V[b, j] = v0[c, j]
            run_group(  # noqa: F821 (bound by specialise)
                c_first, ng, n_steps, m_step, h, K, option, skip0, gap_scale, cfg, tab, params,
                rec_steps, out_pos, out_vel, evals, diverged, X, V, META, YLO, YHI, XS, PEND,
                T1, G0, GM, XM, MM, WW, CORR, alive)


_STEPS = {0: lmc_step, 1: rlmc_step, 2: plmc_step}


def get_driver(target, kernel_id: int, blocks: int):
    """The compiled chain loop for one scheme's step, ``target``'s gradient and ``blocks``
    state blocks (1: overdamped, 2: underdamped).

    One driver per (scheme, gradient, dynamics kind) keeps compile times short: a ``Custom``
    target compiles only what it runs. Built-in targets share disk-cached drivers. The driver
    takes one more argument than ``simulate`` passes it by name: the group size
    (:func:`group_size`).
    """
    if blocks not in (1, 2):
        raise ValueError(f"blocks must be 1 or 2; got {blocks!r}")
    grad = target._grad_point
    cache = bool(target._builtin)
    tag = f"t{id(grad)}"
    step = specialise(
        _STEPS[kernel_id], {"grad_point": grad}, cache=cache, tag=tag, inline="always"
    )
    # a gradient that allocates (a Custom target's returning form) needs reference counting
    group = specialise(_run_group, {"step": step, "S_BLOCKS": int(blocks)}, cache=cache,
                       tag=tag, nrt=bool(getattr(target, "_grad_allocates", False)))
    return specialise(_run_chains, {"run_group": group, "S_BLOCKS": int(blocks)}, cache=cache,
                      tag=tag, parallel=True)
