"""The chain loop: runs any scheme's step kernel over many chains (numba, ``prange``).

Chains are processed in chunks of ``CHUNK``; each chunk allocates its scratch once. Every random
number a chain uses is a function of its *global* index, so the result does not depend on the
chunking or on the number of threads.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from . import _rng
from ._jit import specialise
from ._kernels import initial_velocity
from .brownian import tree_meta_size, tree_reset
from .schemes.lmc import lmc_step  # noqa: F401 (step kernels bound into the driver)
from .schemes.poisson_midpoint import flow_table, plmc_step
from .schemes.randomized_midpoint import rlmc_step

CHUNK = 64


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
    c_lo,
    c_hi,
):
    """Chains ``c_lo .. c_hi - 1`` of the run (rows of x0 and of the outputs, which hold all
    the run's chains): ``simulate`` runs a large run in batches of chains."""
    dim = x0.shape[1]
    # the number of state blocks (1 overdamped, 2 underdamped) is a compile-time constant, so
    # the overdamped kernel carries no underdamped branches (measured: ~8 % of a PLMC step)
    s = S_BLOCKS  # noqa: F821 (bound by specialise)
    # path[0] (coupled or fast mode) is ignored in favour of the compile-time constant COUPLED
    # (get_driver), so the fast-mode kernel carries no Brownian-tree code in its step
    k0, k1, tab, nl, h_sub, gamma, rk0, rk1 = path[1:]
    cfg = (COUPLED, k0, k1, nl, h_sub, gamma, rk0, rk1)  # noqa: F821 (bound by specialise)
    n_rec = rec_steps.shape[0]
    n_chunks = (c_hi - c_lo + CHUNK - 1) // CHUNK
    # PLMC's flows over 0..K grid units, once per run (underdamped; see flow_table): shared,
    # read-only; the other schemes ignore it
    FT = flow_table(K, h, gamma, s)
    for ck in numba.prange(n_chunks):
        meta = np.zeros(tree_meta_size(nl), np.int64)
        ylo = np.zeros((nl + 1, dim, s))
        yhi = np.zeros((nl + 1, dim, s))
        xs = np.zeros(8, np.uint64)
        pending = np.zeros(1, np.int64)
        t1 = np.zeros((dim, s))
        g0 = np.zeros(dim)
        gm = np.zeros(dim)
        xm = np.zeros(dim)
        M = np.zeros((dim, s))
        W = np.zeros((dim, s))
        corr = np.zeros((dim, s))
        x = np.zeros(dim)
        v = np.zeros(dim)
        for c in range(c_lo + ck * CHUNK, min(c_lo + (ck + 1) * CHUNK, c_hi)):
            tree_reset(meta)
            # the chain's own streams: fast-mode noise and midpoint selection
            _rng.stream_seed(xs, 0, rk0, rk1, c, _rng.TAG_NOISE)
            _rng.stream_seed(xs, 4, rk0, rk1, c, _rng.TAG_SELECT)
            pending[0] = -1  # PLMC OPTION 1: no midpoint drawn yet
            for j in range(dim):
                x[j] = x0[c, j]
            if s == 2:
                initial_velocity(v, c, draw_v0, v0, vkey0, vkey1)
            r = 0
            while r < n_rec and rec_steps[r] == 0:
                for j in range(dim):
                    out_pos[r, c, j] = x[j]
                    if s == 2:
                        out_vel[r, c, j] = v[j]
                r += 1
            ne = 0
            p0 = np.int64(0)
            for t in range(n_steps):
                ne += step(  # noqa: F821 (bound by specialise)
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
                    meta,
                    ylo,
                    yhi,
                    xs,
                    pending,
                    t1,
                    c,
                    params,
                    g0,
                    gm,
                    xm,
                    M,
                    W,
                    corr,
                    FT,
                )
                p0 += m_step
                ok = True
                for j in range(dim):
                    if not math.isfinite(x[j]):
                        ok = False
                    if s == 2 and not math.isfinite(v[j]):
                        ok = False
                if not ok:
                    # the chain stops; it and its remaining records are NaN (simulate raises
                    # or drops it, as asked)
                    diverged[c] = t + 1
                    for j in range(dim):
                        x[j] = np.nan
                        v[j] = np.nan
                    while r < n_rec:
                        for j in range(dim):
                            out_pos[r, c, j] = np.nan
                            if s == 2:
                                out_vel[r, c, j] = np.nan
                        r += 1
                    break
                while r < n_rec and rec_steps[r] == t + 1:
                    for j in range(dim):
                        out_pos[r, c, j] = x[j]
                        if s == 2:
                            out_vel[r, c, j] = v[j]
                    r += 1
            evals[c] = ne


_STEPS = {0: lmc_step, 1: rlmc_step, 2: plmc_step}


def get_driver(target, kernel_id: int, blocks: int, coupled: bool):
    """The compiled chain loop for one scheme's step, ``target``'s gradient, ``blocks``
    state blocks (1: overdamped, 2: underdamped) and noise mode (``coupled``: read off the
    Brownian tree; otherwise drawn from the chain's own stream).

    One driver per (scheme, gradient, dynamics kind, mode) keeps compile times short and the
    fast-mode loop free of tree code: a ``Custom`` target compiles only what it runs.
    Built-in targets share disk-cached drivers.
    """
    if blocks not in (1, 2):
        raise ValueError(f"blocks must be 1 or 2; got {blocks!r}")
    grad = target._grad_point
    cache = bool(target._builtin)
    tag = f"t{id(grad)}"
    step = specialise(
        _STEPS[kernel_id], {"grad_point": grad}, cache=cache, tag=tag, inline="always"
    )
    return specialise(_run_chains, {"step": step, "S_BLOCKS": int(blocks),
                                    "COUPLED": bool(coupled)}, cache=cache, tag=tag,
                      parallel=True)
