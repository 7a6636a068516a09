"""LMC in fast (uncoupled) mode with chains stepped in lockstep groups (numba, ``prange``).

Same numbers as :func:`._driver._run_chains` with :func:`.schemes.lmc.lmc_step` (checked by
``tests/test_core_identities.py`` and ``benchmarks/golden_outputs.py``): the step below is
``lmc_step`` with its fast-mode noise written out. What differs is the loop order. One LMC
step is a chain of dependent operations (gradient -> update -> next gradient), so a loop that
runs one chain at a time leaves a core mostly idle when the gradient is cheap. Here step t of
``GROUP`` chains runs before step t + 1 of any, which gives the core independent work to
overlap (measured on a Zen 5 core, 1-D double well: see the README's performance table).

Targets with a many-rows gradient (``target._grad_rows_lanes``: the built-in diagonal
mixtures in d <= 2) get their group's gradients in one call, vectorised across the chains
(``_target_kernels.grad_rows_builtin``), and a group of that many chains. Its exp is the
package's own (``exp_weight``, within 1 ulp), not libm's, so on those targets the numbers
agree with the general driver to rounding rather than bit for bit; on every other target
they are the same bits.

The group loop is compiled without reference counting (``_jit.hot``): the rows ``X[b]`` it
hands to the gradient are then free views, while with reference counting every view costs two
atomic operations (measured in a scratch test of this loop on the double well: 1.6-1.7e7
chain-steps/s with reference counting, 1.3-1.4e8 without). A gradient that allocates (a
``Custom`` target's returning form) cannot be compiled that way, and runs in the general
driver instead.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from . import _rng
from ._jit import jit, specialise
from ._kernels import flow, initial_velocity, noise_chol

CHUNK = 64
# chains per lockstep group: GROUP, fewer when the state is large (the group's rows of its
# four (group, dim) arrays stay within ~128 KB, well inside a core's L2)
GROUP = 8
GROUP_DOUBLES = 4096


@jit(inline="always")
def _record(r, step, rec_steps, out_pos, out_vel, X, V, c_first, ng, alive, s):
    """Write the live chains' states into every record slot for ``step``, from slot ``r``
    on; return the next slot."""
    while r < rec_steps.shape[0] and rec_steps[r] == step:
        for b in range(ng):
            if alive[b]:
                for j in range(X.shape[1]):
                    out_pos[r, c_first + b, j] = X[b, j]
                    if s == 2:
                        out_vel[r, c_first + b, j] = V[b, j]
        r += 1
    return r


@jit(inline="always")
def _stop_chain(b, c_first, t, n_evals, r, n_rec, X, V, alive, diverged, evals, out_pos,
                out_vel, s):
    """Row b's chain became non-finite at step t + 1 (after ``n_evals`` gradients): it stops,
    and it and its record slots r .. n_rec - 1 are NaN (simulate raises or drops it, as
    asked). Shared by the lockstep LMC and PLMC loops."""
    c = c_first + b
    alive[b] = False
    diverged[c] = t + 1
    evals[c] = n_evals
    for j in range(X.shape[1]):
        X[b, j] = np.nan
        V[b, j] = np.nan
    for rr in range(r, n_rec):
        for j in range(X.shape[1]):
            out_pos[rr, c, j] = np.nan
            if s == 2:
                out_vel[rr, c, j] = np.nan


def _lmc_group(c_first, ng, n_steps, tau, h, gamma, params, rec_steps, out_pos, out_vel,
               evals, diverged, X, V, G, XS, alive):
    """Chains ``c_first .. c_first + ng - 1`` (rows of X, V, XS, initialised) over all steps."""
    s = S_BLOCKS  # noqa: F821 (bound by specialise)
    dim = X.shape[1]
    n_rec = rec_steps.shape[0]
    # lmc_step's piece over one step (tau = m_step sub-units in time) and flow over h
    c00, c10, c11 = noise_chol(tau, gamma, s)
    a01, a11, g0c, g1c = flow(h, gamma, s)
    for b in range(ng):
        alive[b] = True
    r = _record(0, 0, rec_steps, out_pos, out_vel, X, V, c_first, ng, alive, s)
    # the target's gradient of all the group's rows at once, where it has one (_lmc_chains
    # then made the group that many rows; the rows of dead chains and of a partial group's
    # unused slots are computed and ignored)
    rows = grad_rows_lanes(params, dim) > 0  # noqa: F821 (bound by specialise)
    for t in range(n_steps):
        if rows:
            grad_rows(X, params, G)  # noqa: F821 (bound by specialise)
        for b in range(ng):
            if not alive[b]:
                continue
            x = X[b]
            v = V[b]
            g = G[b]
            xs = XS[b]
            if not rows:
                grad_point(x, params, g)  # noqa: F821 (bound by specialise)
            ok = True
            for j in range(dim):
                # lmc_step: piece's fast-mode noise, then advance with a zero correction
                # (the "+ 0.0" keeps its arithmetic exactly, signed zeros included)
                z0 = _rng.stream_normal(xs, 0)
                if s == 1:
                    x[j] = x[j] - g0c * g[j] + c00 * z0 + 0.0
                else:
                    z1 = _rng.stream_normal(xs, 0)
                    xj = x[j] + a01 * v[j] - g0c * g[j] + c00 * z0 + 0.0
                    v[j] = a11 * v[j] - g1c * g[j] + (c10 * z0 + c11 * z1) + 0.0
                    x[j] = xj
                    if not math.isfinite(v[j]):
                        ok = False
                if not math.isfinite(x[j]):
                    ok = False
            if not ok:
                _stop_chain(b, c_first, t, t + 1, r, n_rec, X, V, alive, diverged, evals,
                            out_pos, out_vel, s)
        r = _record(r, t + 1, rec_steps, out_pos, out_vel, X, V, c_first, ng, alive, s)
    for b in range(ng):
        if alive[b]:
            evals[c_first + b] = n_steps


def _lmc_chains(x0, v0, draw_v0, n_steps, tau, h, gamma, params, rec_steps, out_pos, out_vel,
                evals, diverged, rk0, rk1, vkey0, vkey1, c_lo, c_hi):
    """Chains ``c_lo .. c_hi - 1`` of the run (rows of x0 and of the outputs, which hold all
    the run's chains): ``simulate`` runs a large run in batches of chains."""
    dim = x0.shape[1]
    s = S_BLOCKS  # noqa: F821 (bound by specialise)
    n_chunks = (c_hi - c_lo + CHUNK - 1) // CHUNK
    # a target's many-rows gradient sets the group (it vectorises across the rows)
    lanes = grad_rows_lanes(params, dim)  # noqa: F821 (bound by specialise)
    group = lanes if lanes > 0 else max(1, min(GROUP, GROUP_DOUBLES // dim))
    for ck in numba.prange(n_chunks):
        X = np.zeros((group, dim))
        V = np.zeros((group, dim))
        G = np.zeros((group, dim))
        XS = np.zeros((group, 8), np.uint64)
        alive = np.zeros(group, np.bool_)
        c_start = c_lo + ck * CHUNK
        c_end = min(c_start + CHUNK, c_hi)
        for c_first in range(c_start, c_end, group):
            ng = min(group, c_end - c_first)
            for b in range(ng):
                c = c_first + b
                # as _driver._run_chains: the chain's noise stream, its state, drawn velocities
                _rng.stream_seed(XS[b], 0, rk0, rk1, c, _rng.TAG_NOISE)
                for j in range(dim):
                    X[b, j] = x0[c, j]
                if s == 2:
                    initial_velocity(V[b], c, draw_v0, v0, vkey0, vkey1)
            lmc_group(c_first, ng, n_steps, tau, h, gamma, params, rec_steps,  # noqa: F821
                      out_pos, out_vel, evals, diverged, X, V, G, XS, alive)


def get_lmc_driver(target, blocks: int):
    """The compiled lockstep LMC fast-mode loop for ``target``'s gradient, or ``None`` when the
    gradient allocates (then ``_driver.get_driver`` serves LMC)."""
    if getattr(target, "_grad_allocates", False):
        return None
    if blocks not in (1, 2):
        raise ValueError(f"blocks must be 1 or 2; got {blocks!r}")
    cache = bool(target._builtin)
    tag = f"t{id(target._grad_point)}"
    group = specialise(_lmc_group, {"grad_point": target._grad_point,
                                    "grad_rows_lanes": target._grad_rows_lanes,
                                    "grad_rows": target._grad_rows, "S_BLOCKS": int(blocks)},
                       cache=cache, tag=tag, nrt=False)
    return specialise(_lmc_chains, {"lmc_group": group,
                                    "grad_rows_lanes": target._grad_rows_lanes,
                                    "S_BLOCKS": int(blocks)}, cache=cache, tag=tag,
                      parallel=True)
