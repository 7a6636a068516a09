"""Arithmetic shared by the scheme kernels (numba, no validation: see ``simulate``).

Conventions inside kernels
--------------------------
* A chain's state is ``x`` (dim,) and, for underdamped dynamics, ``v`` (dim,). ``s`` is the
  number of blocks (1 or 2); the paper's matrices are ``block ⊗ I_d`` (see ``dynamics``).
* Time along the Brownian path is measured in integer *sub-units* (see ``brownian``); a step
  covers ``[p, p + m_step)`` sub-units. ``h_sub`` converts sub-units to time.
* ``path`` is the tuple (coupled, k0, k1, tab, nl, h_sub, gamma, rk0, rk1): whether noise
  comes from the shared Brownian tree (coupled) or is drawn directly (fast mode), the tree key
  and tables, and the run key ``rk`` for the chain's own streams (fast noise, midpoint selection).
* per chain: the tree cache (meta, ylo, yhi), ``xs`` the two xoshiro256** stream states
  (``xs[0:4]`` fast-mode noise, ``xs[4:8]`` midpoint selection; see ``_rng``), ``pending``
  (1,) int64, PLMC OPTION 1's next selected slot counted from the current step's first slot
  (-1 before the chain's first step), and one (dim, s) scratch array ``t1``.
"""
from __future__ import annotations

import math

import numpy as np

from . import _rng
from ._jit import hot, jit
from .brownian import tree_lookup, tree_meta_size, tree_reset, tree_value

# Taylor coefficients of g(x) = x + expm1(-x) and f(x) = x + 2 expm1(-x) - expm1(-2x)/2
# (see dynamics._G_COEF/_F_COEF), used below x = 0.5 where the closed forms cancel.
_G_COEF = np.array([0.0, 0.0] + [(-1) ** k / math.factorial(k) for k in range(2, 30)])
_F_COEF = np.array([0.0, 0.0, 0.0] + [(-1) ** (k + 1) * (2 ** (k - 1) - 2) / math.factorial(k)
                                      for k in range(3, 40)])


@jit(inline="always")
def _horner(x, coef):
    s = 0.0
    for i in range(coef.shape[0] - 1, -1, -1):
        s = s * x + coef[i]
    return s


@jit(inline="always")
def flow(tau, gamma, s):
    """Blocks of the frozen-drift flow over time tau: (a01, a11, g0, g1).

    A_tau = [[1, a01], [0, a11]] and G_tau = [g0, g1] (multiplying -grad F). Overdamped
    (s = 1): a01 = 0, a11 = 1, g0 = tau, g1 = 0.
    """
    if s == 1:
        return 0.0, 1.0, tau, 0.0
    x = gamma * tau
    e1 = math.expm1(-x)
    gx = _horner(x, _G_COEF) if x < 0.5 else x + e1
    return -e1 / gamma, math.exp(-x), gx / (gamma * gamma), -e1 / gamma


@jit(inline="always")
def noise_chol(tau, gamma, s):
    """Cholesky factor (c00, c10, c11) of Gamma^2_tau (s = 1: c00 = sqrt(2 tau))."""
    if s == 1:
        return math.sqrt(2.0 * tau), 0.0, 0.0
    x = gamma * tau
    e1 = math.expm1(-x)
    fx = _horner(x, _F_COEF) if x < 0.5 else x + 2.0 * e1 - 0.5 * math.expm1(-2.0 * x)
    p = 2.0 * fx / (gamma * gamma)
    c = e1 * e1 / gamma
    q = -math.expm1(-2.0 * x)
    c00 = math.sqrt(p)
    c10 = c / c00 if c00 > 0.0 else 0.0
    r = q - c10 * c10
    return c00, c10, math.sqrt(r if r > 0.0 else 0.0)


@jit(inline="always")
def apply_A_sub(out, a01, a11, y, s):
    """out -= A y, per component (A = [[1, a01], [0, a11]])."""
    for j in range(out.shape[0]):
        if s == 1:
            out[j, 0] -= y[j, 0]
        else:
            out[j, 0] -= y[j, 0] + a01 * y[j, 1]
            out[j, 1] -= a11 * y[j, 1]


@jit(inline="always")
def piece(p1, p2, cfg, tab, meta, ylo, yhi, xs, t1, chain, out):
    """The noise N(p1, p2) of the flow over [p1, p2) sub-units into ``out`` (dim, s).

    Its law is N(0, Gamma^2_{(p2 - p1) h_sub}). Coupled mode reads it off the Brownian tree,
    N(p1, p2) = Y(p2) - A_{p2 - p1} Y(p1) (block by block); fast mode draws it directly.
    Arguments are the unpacked ``path`` and ``st`` tuples (see the module docstring): plain
    arrays and a tuple of scalars keep the call free of reference counting.
    """
    coupled, k0, k1, nl, h_sub, gamma, rk0, rk1 = cfg
    dim = out.shape[0]
    s = out.shape[1]
    if p2 <= p1:
        for j in range(dim):
            for a in range(s):
                out[j, a] = 0.0
    elif coupled:
        b1 = p1 >> nl
        b2 = p2 >> nl
        if b1 == b2 and tree_lookup(p1 - (b1 << nl), b1, meta, ylo, yhi, t1):
            # the common case, inline: Y(p1) is the tree's last query, and Y(p2) is either an
            # end of a cached interval too (the end of a PLMC step that had a midpoint: no
            # call at all) or one call to the tree. Same numbers as piece_coupled; the call
            # into piece_coupled this saves (its many array arguments, passed on the stack)
            # was measured at ~14 % of a coupled PLMC step at K = 1024.
            q2 = p2 - (b2 << nl)
            if not tree_lookup(q2, b2, meta, ylo, yhi, out):
                tree_value(q2, b2, chain, k0, k1, tab, nl, meta, ylo, yhi, out)
            a01, a11, _, _ = flow((p2 - p1) * h_sub, gamma, s)
            apply_A_sub(out, a01, a11, t1, s)
        else:
            piece_coupled(p1, p2, cfg, tab, meta, ylo, yhi, t1, chain, out)
    else:
        c00, c10, c11 = noise_chol((p2 - p1) * h_sub, gamma, s)
        for j in range(dim):
            z0 = _rng.stream_normal(xs, 0)
            if s == 1:
                out[j, 0] = c00 * z0
            else:
                z1 = _rng.stream_normal(xs, 0)
                out[j, 0] = c00 * z0
                out[j, 1] = c10 * z0 + c11 * z1


@hot
def piece_coupled(p1, p2, cfg, tab, meta, ylo, yhi, t1, chain, out):
    """Coupled-mode :func:`piece`: N(p1, p2) = Y(p2) - A_{p2 - p1} Y(p1), block by block.

    The general case; :func:`piece` serves the common one (Y(p1) cached, same block) inline.
    """
    coupled, k0, k1, nl, h_sub, gamma, rk0, rk1 = cfg
    dim = out.shape[0]
    s = out.shape[1]
    b1 = p1 >> nl
    b2 = p2 >> nl
    q1 = p1 - (b1 << nl)
    q2 = p2 - (b2 << nl)
    if b1 == b2:
        tree_value(q1, b1, chain, k0, k1, tab, nl, meta, ylo, yhi, t1)
        tree_value(q2, b2, chain, k0, k1, tab, nl, meta, ylo, yhi, out)
        a01, a11, _, _ = flow((q2 - q1) * h_sub, gamma, s)
        apply_A_sub(out, a01, a11, t1, s)
        return
    # the interval crosses block ends: N = A_{p2-e} N(p1, e) + N(e, p2), block by block
    full = np.int64(1) << nl
    tree_value(q1, b1, chain, k0, k1, tab, nl, meta, ylo, yhi, t1)
    tree_value(full, b1, chain, k0, k1, tab, nl, meta, ylo, yhi, out)
    a01, a11, _, _ = flow((full - q1) * h_sub, gamma, s)
    apply_A_sub(out, a01, a11, t1, s)
    for b in range(b1 + 1, b2 + 1):
        qe = full if b < b2 else q2
        if qe == 0:
            break
        tree_value(qe, b, chain, k0, k1, tab, nl, meta, ylo, yhi, t1)
        a01, a11, _, _ = flow(qe * h_sub, gamma, s)
        for j in range(dim):
            if s == 1:
                out[j, 0] = out[j, 0] + t1[j, 0]
            else:
                out[j, 0] = out[j, 0] + a01 * out[j, 1] + t1[j, 0]
                out[j, 1] = a11 * out[j, 1] + t1[j, 1]


@jit(inline="always")
def initial_velocity(v, c, draw_v0, v0, vkey0, vkey1):
    """Chain ``c``'s initial velocity into ``v``: copied from ``v0[c]``, or drawn as N(0, I)
    from the counter-based generator (tag INIT, one normal pair per two components)."""
    dim = v.shape[0]
    if draw_v0:
        for j in range(0, dim, 2):
            cw = _rng.counter_words(j // 2, c, 0, _rng.TAG_INIT)
            z = _rng.normal_pair(cw[0], cw[1], cw[2], cw[3], vkey0, vkey1)
            v[j] = z[0]
            if j + 1 < dim:
                v[j + 1] = z[1]
    else:
        for j in range(dim):
            v[j] = v0[c, j]


@jit(inline="always")
def advance(x, v, s, a01, a11, g0c, g1c, grad, noise, extra):
    """x <- x + a01 v - g0c grad + noise[:, 0] + extra[:, 0]; v <- a11 v - g1c grad + ..."""
    for j in range(x.shape[0]):
        if s == 1:
            x[j] = x[j] - g0c * grad[j] + noise[j, 0] + extra[j, 0]
        else:
            xj = x[j] + a01 * v[j] - g0c * grad[j] + noise[j, 0] + extra[j, 0]
            v[j] = a11 * v[j] - g1c * grad[j] + noise[j, 1] + extra[j, 1]
            x[j] = xj


@jit
def path_noise(p1s, p2s, chain, dim, s, path, nl):
    """N(p1s[i], p2s[i]) for a sequence of intervals (in sub-units), as an (n, dim, s) array.

    Python-level view of the Brownian path for tests and teaching; intervals should be visited
    in increasing order for the tree cache to help (any order is correct).
    """
    n = p1s.shape[0]
    out = np.zeros((n, dim, s))
    st = (np.zeros(tree_meta_size(nl), np.int64), np.zeros((nl + 1, dim, s)),
          np.zeros((nl + 1, dim, s)), np.zeros(8, np.uint64), np.zeros((dim, s)))
    tree_reset(st[0])
    tmp = np.zeros((dim, s))
    coupled, k0, k1, tab, nl_, h_sub, gamma, rk0, rk1 = path
    cfg = (coupled, k0, k1, nl_, h_sub, gamma, rk0, rk1)
    meta, ylo, yhi, xs, t1 = st
    for i in range(n):
        piece(p1s[i], p2s[i], cfg, tab, meta, ylo, yhi, xs, t1, chain, tmp)
        for j in range(dim):
            for a in range(s):
                out[i, j, a] = tmp[j, a]
    return out


def selection_draws(n, chain, k0, k1, exponential):
    """The first n draws of a chain's midpoint-selection stream (tests, teaching): Exp(1)
    draws (PLMC OPTION 1's gaps) if ``exponential``, else uniforms (OPTION 2, RLMC)."""
    return _rng.stream_draws(int(n), int(chain), np.uint64(k0), np.uint64(k1), _rng.TAG_SELECT,
                             _rng.DRAW_EXPONENTIAL if exponential else _rng.DRAW_UNIFORM)
