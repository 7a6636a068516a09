"""Pointwise numba kernels for the built-in targets.

Every built-in target is described by a flat float64 parameter vector ``params`` whose first
entry is an integer *kind* code. :func:`grad_builtin` and :func:`potential_builtin` switch on
that code, so a single compiled (and disk-cached) simulation kernel serves every built-in
target; the switch is a perfectly predicted branch in the hot loop.

Layouts (``d`` = dimension):

* ``KIND_GAUSSIAN``: ``[kind, d, mean (d), precision (d*d)]``
* ``KIND_MIXTURE``:  ``[kind, d, k, diag_flag, then per component j:
  log_weight_j - 0.5*logdet(Sigma_j) (1), mean_j (d), precision_j (d*d, or d if diag)]``
* ``KIND_DOUBLE_WELL``: ``[kind, d, scale, tilt]``, F(x) = sum_j scale (x_j^4/4 - x_j^2/2) + tilt x_j
* ``KIND_LOGCOSH``: ``[kind, d]``, F(x) = sum_j x_j^2/2 - log cosh(2 x_j)
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import hot, int64_bits_to_float64, jit, stack_array

KIND_GAUSSIAN = 0
KIND_MIXTURE = 1
KIND_DOUBLE_WELL = 2
KIND_LOGCOSH = 3


@jit(inline="always")
def _log1p_exp_neg(a):
    # log(1 + exp(-a)) for a >= 0, stable
    return math.log1p(math.exp(-a))


@jit(inline="always")
def _logcosh(y):
    a = abs(y)
    return a + _log1p_exp_neg(2.0 * a) - math.log(2.0)


@jit(inline="always")
def _mixture_quad(x, p, mu, prec, d, diag):
    """(x - mu_j)^T P_j (x - mu_j) for the component whose mean and precision start at p[mu],
    p[prec]."""
    q = 0.0
    if diag:
        for a in range(d):
            r = x[a] - p[mu + a]
            q += p[prec + a] * r * r
    else:
        for a in range(d):
            s = 0.0
            for b in range(d):
                s += p[prec + a * d + b] * (x[b] - p[mu + b])
            q += (x[a] - p[mu + a]) * s
    return q


# exp for the mixture weights: Cody-Waite reduction a = n ln 2 + r, |r| <= ln(2)/2, with ln 2
# split so that n * _LN2_HI is exact (fdlibm's constants); e^r by the polynomial of degree 11
# that interpolates it at the 12 Chebyshev nodes of [-ln(2)/2, ln(2)/2], solved in 200-bit
# mpmath and rounded to float64 (_C0.._C11, recomputed by
# tests/test_core_identities.py::test_exp_weight_coefficients_are_the_chebyshev_interpolant;
# relative error 1.7e-17 on the interval, against 6e-18 for the Taylor polynomial of degree
# 13 it replaced, which took two more multiply-adds: LMC on the 2-D mixture 18.9 -> 18.5 ns);
# 2^n as two bit-built factors
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_ROUND = 6755399441055744.0  # 1.5 * 2^52: (t + _ROUND) - _ROUND is t rounded to an integer
_C0 = 1.0
_C1 = 1.0
_C2 = 0.5000000000000019
_C3 = 0.1666666666666668
_C4 = 0.0416666666664881
_C5 = 0.008333333333319601
_C6 = 0.0013888888952314775
_C7 = 0.00019841269890047113
_C8 = 2.4801485482328494e-05
_C9 = 2.755724091857897e-06
_C10 = 2.763263963904103e-07
_C11 = 2.5110037605963777e-08


@jit(inline="always")
def exp_weight(a):
    """exp(a) for a <= 0 (a mixture weight exp(l_j - max_i l_i)), within 1 ulp of the correctly
    rounded value, in plain float64 arithmetic that LLVM vectorises: the many-rows mixture
    gradient's exp.

    Why not ``math.exp`` there: libm's exp is a call, one argument at a time, and it took ~12
    of the ~22 ns per row of the many-rows gradient on the 2-D four-mode mixture (Zen 4); this
    one runs 8 arguments per AVX-512 instruction (LMC on that mixture: 30 -> 18.5 ns a step).
    Its latency is longer than libm's, so the one-row kernels keep libm (:func:`_exp_shifted`).
    Measured against 120-bit mpmath on ~30,000 arguments: at most 1 ulp off, 8 % not correctly
    rounded (libm: 0.2 %). Exact at a = 0 (1.0); 0 below a = -746; NaN stays NaN; also right
    for 0 < a < 709 (not used).

    Method: a = n ln 2 + r with n = round(a / ln 2), |r| <= ln(2) / 2 (Cody & Waite: ln 2 in
    two parts, n ln2_hi exact); e^r by Horner's rule on a degree-11 polynomial (above);
    2^n as 2^(n >> 1) * 2^(n - (n >> 1)), each built from its bit pattern, so that results in
    the subnormal range are rounded once, by the last product.
    """
    a = -746.0 if a < -746.0 else a  # (NaN < -746 is False: NaN passes through)
    nf = (a * _LOG2E + _ROUND) - _ROUND
    r = (a - nf * _LN2_HI) - nf * _LN2_LO
    p = _C11 * r + _C10
    p = p * r + _C9
    p = p * r + _C8
    p = p * r + _C7
    p = p * r + _C6
    p = p * r + _C5
    p = p * r + _C4
    p = p * r + _C3
    p = p * r + _C2
    p = p * r + _C1
    p = p * r + _C0
    n = np.int64(nf)  # (a NaN gives some n; p is NaN, and so is the result)
    n1 = n >> 1
    n2 = n - n1
    return (p * int64_bits_to_float64((n1 + 1023) << 52)) * int64_bits_to_float64(
        (n2 + 1023) << 52)


@jit(inline="always")
def _exp_shifted(a):
    """libm's exp(a) for a = l_j - max_i l_i, in the one-row mixture gradients: exactly 1.0
    without a call at a = 0 (the largest component; C's Annex F, which glibc follows, makes
    exp(+-0) exactly 1, so this changes no bit). A NaN a (every l_j infinite) still goes to exp.

    The one-row kernels keep libm's exp rather than :func:`exp_weight`: a PLMC step waits on
    its gradient's latency, and libm's exp is the shorter (measured in a dependent chain on a
    Zen 4 core: ~10 ns against ~29 ns for ``exp_weight``'s Horner form, ~14 ns for an Estrin
    form; with ``exp_weight`` in every kernel PLMC's fast step went from 94 to 150 ns).
    """
    if a == 0.0:
        return 1.0
    return math.exp(a)


@hot
def _mixture_terms(x, p, out, want_grad):
    """F(x) = -log sum_j w_j N(x; mu_j, Sigma_j), or its gradient into ``out``.

    The gradient is sum_j r_j(x) P_j (x - mu_j) with responsibilities
    r_j = exp(l_j - m) / sum_i exp(l_i - m), l_j = log w_j - log det(Sigma_j)/2 - q_j/2 and
    m = max_j l_j: a two-pass log-sum-exp (the quadratic forms q_j are recomputed rather than
    stored, so nothing is allocated), exactly one exp per component, accurate far in the tails
    where every weight underflows. With ``want_grad`` the log of the sum is skipped and 0.0 is
    returned; without it ``out`` is untouched and F(x) is returned.
    """
    d = int(p[1])
    k = int(p[2])
    diag = p[3] != 0.0
    stride = 1 + d + (d if diag else d * d)
    mx = -np.inf
    for j in range(k):
        base = 4 + j * stride
        lj = p[base] - 0.5 * _mixture_quad(x, p, base + 1, base + 1 + d, d, diag)
        if lj > mx:
            mx = lj
    if want_grad:
        for a in range(d):
            out[a] = 0.0
    tot = 0.0
    for j in range(k):
        base = 4 + j * stride
        mu = base + 1
        prec = base + 1 + d
        w = _exp_shifted(p[base] - 0.5 * _mixture_quad(x, p, mu, prec, d, diag) - mx)
        tot += w
        if want_grad:
            if diag:
                for a in range(d):
                    out[a] += w * p[prec + a] * (x[a] - p[mu + a])
            else:
                for a in range(d):
                    s = 0.0
                    for b in range(d):
                        s += p[prec + a * d + b] * (x[b] - p[mu + b])
                    out[a] += w * s
    if want_grad:
        inv = 1.0 / tot
        for a in range(d):
            out[a] *= inv
        return 0.0
    return -(mx + math.log(tot))


# components whose per-component terms the d <= 2 diagonal kernel keeps in stack scratch
STORED_COMPONENTS = 32


@jit(inline="always")
def _diag_small_term(x0, x1, p, b, d):
    """Component terms of the d <= 2 diagonal kernels for the component at ``p[b]``:
    (l_j, (P_j (x - mu_j))_0, (P_j (x - mu_j))_1), with l_j = p[b] - q_j / 2."""
    r0 = x0 - p[b + 1]
    g0 = p[b + 1 + d] * r0
    q = g0 * r0
    g1 = 0.0
    if d == 2:
        r1 = x1 - p[b + 2]
        g1 = p[b + 4] * r1
        q += g1 * r1
    return p[b] - 0.5 * q, g0, g1


@jit(inline="always")
def _mixture_grad_diag_small(x, p, out):
    """Gradient of a diagonal-covariance mixture in d = 1 or 2 (same math as
    :func:`_mixture_terms`).

    IR-inlined into its callers (the drivers, through :func:`grad_builtin`), so a gradient
    costs no call with its three flattened array arguments: measured on a Zen 4 core, PLMC's
    fast step on the four-mode mixture 94.5-95.6 -> 91.4-92.2 ns and LMC through the per-chain
    driver 49.2-50.1 -> 47.7-48.0 ns (six A/B rounds alternating processes), while the
    lockstep LMC loop, which overlaps the call with other chains' work, stayed at 43-45 ns.
    Its stack scratch then lives in the caller's entry block (see :func:`._jit.stack_array`).

    The generic kernel's per-coordinate loops cost ~40 % of a 2-D gradient (measured: ~100 ns
    against ~60 ns for this form on the four-mode benchmark mixture); here the coordinates are
    scalars and only the loops over components remain. The first loop keeps each component's
    l_j and P_j (x - mu_j) in stack scratch (:func:`._jit.stack_array`), so the second loop
    is only the exps and the sums instead of recomputing them (measured on a Zen 5 core: an
    LMC step on the four-mode mixture 67 -> 40 ns, bit-identical). Mixtures with more than
    ``STORED_COMPONENTS`` components recompute (:func:`_mixture_grad_diag_small_recompute`,
    same numbers).
    """
    k = int(p[2])
    if k > STORED_COMPONENTS:
        _mixture_grad_diag_small_recompute(x, p, out)
        return
    d = x.shape[0]
    stride = 1 + 2 * d
    x0 = x[0]
    x1 = x[1] if d == 2 else 0.0
    lj = stack_array(STORED_COMPONENTS)
    gj0 = stack_array(STORED_COMPONENTS)
    gj1 = stack_array(STORED_COMPONENTS)
    mx = -np.inf
    for j in range(k):
        l, g0, g1 = _diag_small_term(x0, x1, p, 4 + j * stride, d)
        lj[j] = l
        gj0[j] = g0
        gj1[j] = g1
        mx = max(mx, l)
    tot = 0.0
    o0 = 0.0
    o1 = 0.0
    for j in range(k):
        w = _exp_shifted(lj[j] - mx)
        tot += w
        o0 += w * gj0[j]
        o1 += w * gj1[j]
    out[0] = o0 / tot
    if d == 2:
        out[1] = o1 / tot


@hot
def _mixture_grad_diag_small_recompute(x, p, out):
    """:func:`_mixture_grad_diag_small` for any number of components: the second loop
    recomputes each component's terms instead of reading them from scratch (same numbers)."""
    d = x.shape[0]
    k = int(p[2])
    stride = 1 + 2 * d
    x0 = x[0]
    x1 = x[1] if d == 2 else 0.0
    mx = -np.inf
    for j in range(k):
        l, _, _ = _diag_small_term(x0, x1, p, 4 + j * stride, d)
        mx = max(mx, l)
    tot = 0.0
    o0 = 0.0
    o1 = 0.0
    for j in range(k):
        l, g0, g1 = _diag_small_term(x0, x1, p, 4 + j * stride, d)
        w = _exp_shifted(l - mx)
        tot += w
        o0 += w * g0
        o1 += w * g1
    out[0] = o0 / tot
    if d == 2:
        out[1] = o1 / tot


# chains whose gradients the lockstep LMC loop computes together (its group size where the
# target has a many-rows gradient)
ROW_LANES = 16
_ROW_SCRATCH = 512  # STORED_COMPONENTS * ROW_LANES doubles per scratch array (a literal)
# stack_array needs a literal, so the product is written out; keep the two in step
assert _ROW_SCRATCH == STORED_COMPONENTS * ROW_LANES


@jit(inline="always")
def _mixture_grad_diag_small_rows(X, p, G):
    """:func:`_mixture_grad_diag_small` for the ``ROW_LANES`` rows of X at once, into the rows
    of G.

    Each loop runs over the rows (lanes) innermost, so that LLVM vectorises the quadratic
    forms, the running maxima, the exps and the sums across chains. The arithmetic is the
    one-row kernel's, in the same order, except the exp: :func:`exp_weight` (<= 1 ulp)
    instead of libm's, so a row agrees with :func:`grad_builtin` to a few ulps, not bit for
    bit. Rows of dead (NaN) chains are computed too and ignored by the caller: lanes do not mix.
    """
    k = int(p[2])
    d = X.shape[1]
    stride = 1 + 2 * d
    lj = stack_array(_ROW_SCRATCH)   # [j * ROW_LANES + lane]
    gj0 = stack_array(_ROW_SCRATCH)
    gj1 = stack_array(_ROW_SCRATCH)
    mx = stack_array(ROW_LANES)
    x0 = stack_array(ROW_LANES)
    x1 = stack_array(ROW_LANES)
    for c in range(ROW_LANES):
        x0[c] = X[c, 0]
        x1[c] = X[c, 1] if d == 2 else 0.0
        mx[c] = -np.inf
    for j in range(k):
        b = 4 + j * stride
        for c in range(ROW_LANES):
            l, g0, g1 = _diag_small_term(x0[c], x1[c], p, b, d)
            lj[j * ROW_LANES + c] = l
            gj0[j * ROW_LANES + c] = g0
            gj1[j * ROW_LANES + c] = g1
            mx[c] = max(mx[c], l)
    for j in range(k):
        for c in range(ROW_LANES):
            lj[j * ROW_LANES + c] = exp_weight(lj[j * ROW_LANES + c] - mx[c])
    for c in range(ROW_LANES):
        tot = 0.0
        o0 = 0.0
        o1 = 0.0
        for j in range(k):
            w = lj[j * ROW_LANES + c]
            tot += w
            o0 += w * gj0[j * ROW_LANES + c]
            o1 += w * gj1[j * ROW_LANES + c]
        G[c, 0] = o0 / tot
        if d == 2:
            G[c, 1] = o1 / tot


@jit(inline="always")
def grad_rows_lanes_builtin(p, d):
    """How many rows :func:`grad_rows_builtin` takes at once for the target ``p`` in ``d``
    dimensions: ``ROW_LANES`` for a diagonal mixture in d <= 2 with at most
    ``STORED_COMPONENTS`` components, else 0 (no many-rows gradient)."""
    if int(p[0]) == KIND_MIXTURE and p[3] != 0.0 and d <= 2 and int(p[2]) <= STORED_COMPONENTS:
        return ROW_LANES
    return 0


@jit(inline="always")
def grad_rows_builtin(X, p, G):
    """grad F of every row of X (``ROW_LANES`` rows) into the rows of G, for a target where
    :func:`grad_rows_lanes_builtin` is not 0 (:func:`grad_builtin` row by row, but for the
    exp: see :func:`_mixture_grad_diag_small_rows`)."""
    _mixture_grad_diag_small_rows(X, p, G)


@jit(inline="always")
def grad_rows_lanes_never(p, d):
    """For targets without a many-rows gradient (``Custom``): callers go row by row."""
    return 0


@jit(inline="always")
def grad_rows_never(X, p, G):
    """Never called (see :func:`grad_rows_lanes_never`)."""
    return


@hot
def _gaussian_grad(x, p, out):
    """P (x - mean) for the Gaussian layout of ``p``."""
    d = x.shape[0]
    for a in range(d):
        s = 0.0
        for b in range(d):
            s += p[2 + d + a * d + b] * (x[b] - p[2 + b])
        out[a] = s


@jit(inline="always")
def grad_builtin(x, p, out):
    """Write grad F(x) of the built-in target described by ``p`` into ``out``.

    IR-inlined into its callers so that the cheap gradients (double well, LogCosh) cost no
    call at all (a call was ~7 ns of a ~21 ns double-well step), nor does the small diagonal
    mixture's (d <= 2); the Gaussian gradient and the general mixture gradient stay calls to
    allocation-free ``hot`` helpers.
    """
    kind = int(p[0])
    d = x.shape[0]
    if kind == KIND_LOGCOSH:
        for a in range(d):
            out[a] = x[a] - 2.0 * math.tanh(2.0 * x[a])
    elif kind == KIND_DOUBLE_WELL:
        scale = p[2]
        tilt = p[3]
        for a in range(d):
            xa = x[a]
            out[a] = scale * (xa * xa * xa - xa) + tilt
    elif kind == KIND_GAUSSIAN:
        _gaussian_grad(x, p, out)
    elif p[3] != 0.0 and d <= 2:
        _mixture_grad_diag_small(x, p, out)
    else:
        _mixture_terms(x, p, out, True)


@jit
def potential_builtin(x, p):
    """Return F(x) (up to the additive constant documented per target)."""
    kind = int(p[0])
    d = x.shape[0]
    if kind == KIND_LOGCOSH:
        s = 0.0
        for a in range(d):
            s += 0.5 * x[a] * x[a] - _logcosh(2.0 * x[a])
        return s
    elif kind == KIND_DOUBLE_WELL:
        s = 0.0
        for a in range(d):
            xa = x[a]
            s += p[2] * (0.25 * xa ** 4 - 0.5 * xa * xa) + p[3] * xa
        return s
    elif kind == KIND_GAUSSIAN:
        q = 0.0
        for a in range(d):
            s = 0.0
            for b in range(d):
                s += p[2 + d + a * d + b] * (x[b] - p[2 + b])
            q += (x[a] - p[2 + a]) * s
        return 0.5 * q
    else:
        dummy = np.empty(0)
        return _mixture_terms(x, p, dummy, False)


@jit
def _GRAD_BATCH_BUILTIN(x, p):
    n, d = x.shape
    out = np.empty((n, d))
    for i in range(n):
        grad_builtin(x[i], p, out[i])
    return out


@jit
def _POT_BATCH_BUILTIN(x, p):
    n = x.shape[0]
    out = np.empty(n)
    for i in range(n):
        out[i] = potential_builtin(x[i], p)
    return out
