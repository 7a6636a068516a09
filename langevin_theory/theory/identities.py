"""Exact identities of the Poisson Midpoint Method, as sympy residuals that simplify to zero.

Every ``*_residual(s)`` function returns sympy expressions (or matrices) that are identically
zero if and only if the identity holds; :func:`is_zero` decides that by simplification, never by
sampling. References are to Kandasamy & Nagaraj (NeurIPS 2024, arXiv 2405.17068) and to the
sections of ``shared/reference/plmc_paper_notes.md`` (with its section 9 corrections).

Contents
--------
* :func:`scaling_relation_residuals` -- paper Section 2.1 / notes 1.2, for symbolic h, n, gamma,
  by direct geometric summation;
* :func:`semigroup_residuals` -- the one-step induction form of the same relations
  (A_{s+t} = A_s A_t, G_{s+t} = G_s + A_s G_t, Gamma^2_{s+t} = Gamma^2_s + A_s Gamma^2_t A_s^T)
  for symbolic s, t, which proves the n-step relations for every n by telescoping;
* :func:`one_step_residual` -- Steps 1-5 of the one-step algorithm (notes 2.2, with the
  corrections 9.1-9.2) equal recursion (8) pathwise, for every midpoint set H in {0,1}^K;
* :func:`unbiasedness_residuals`, :func:`conditional_mean_residual` -- E_H[K H_i] = 1 and the
  resulting conditional mean of one PLMC step (notes 2.5, 8.6);
* :func:`underdamped_correction_residual` -- the ULMC correction vector of notes 2.4;
* :func:`gaussian_kl`, :func:`kl_perturbation_series` -- the Gaussian perturbation KLs of
  paper Section 2.1 (notes 4.1 "Intuition", 8.7).
"""
from __future__ import annotations

import functools
import itertools

import sympy as sp

from .coefficients import coefficients, gamma, h, n, q, s, t, underdamped_coefficients

__all__ = [
    "is_zero",
    "value_at",
    "scaling_relation_residuals",
    "semigroup_residuals",
    "plmc_one_step",
    "recursion8",
    "one_step_residual",
    "unbiasedness_residuals",
    "conditional_mean_residual",
    "underdamped_correction_residual",
    "gaussian_kl",
    "kl_perturbation_series",
]

_i = sp.Symbol("i", integer=True, nonnegative=True)


def is_zero(expr) -> bool:
    """Return True iff ``expr`` (an expression or a matrix) simplifies to exactly zero.

    Uses ``cancel`` first (exact for rational functions), then ``simplify`` of the
    exponential-rewritten form; no numerical sampling is involved.
    """
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    for e in entries:
        e = sp.expand(sp.sympify(e))
        if e == 0:
            continue
        if sp.cancel(e) == 0:
            continue
        if sp.simplify(sp.powsimp(e, force=True)) != 0:
            return False
    return True


def value_at(expr, point):
    """Evaluate a residual numerically at ``point`` (a dict of symbol values), with
    ``q = exp(-gamma*h)`` filled in when gamma and h are given and q is not.

    A nonzero value at one admissible point is a *counterexample*, i.e. an exact disproof of an
    identity (used to show that the OCR'd correction of notes 9.1 is wrong).
    """
    point = dict(point)
    if q not in point and gamma in point and h in point:
        point[q] = sp.exp(-point[gamma] * point[h])
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    return [complex(sp.N(sp.sympify(e).subs(point), 30)) for e in entries]


def _generic_branch(expr):
    """Replace ``Piecewise((n, Eq(r, 1)), (geometric, True))`` from ``summation`` by its generic
    branch. Valid here because the ratio r = e^{-γh} or e^{-2γh} is < 1 for γ, h > 0."""
    return expr.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[-1][0])


def _sum_matrix(M, lo, hi):
    return M.applyfunc(lambda e: _generic_branch(sp.summation(sp.expand(e), (_i, lo, hi))))


@functools.lru_cache(maxsize=None)
def scaling_relation_residuals(dynamics: str):
    """Residuals of the three scaling relations, for symbolic h, n and friction gamma.

    Paper Section 2.1 (notes 1.2): for every h > 0 and n in N,

    .. math::

        (A_h)^n = A_{nh}, \\qquad \\Big(\\sum_{i=0}^{n-1} A_h^i\\Big) G_h = G_{nh}, \\qquad
        \\sum_{i=0}^{n-1} A_h^i \\Gamma_h^2 (A_h^T)^i = \\Gamma^2_{nh}.

    ``(A_h)^n`` is computed by sympy's symbolic matrix power (Jordan form) and the sums by
    symbolic geometric summation in i, so the proof covers every n at once.

    Parameters
    ----------
    dynamics : {"overdamped", "underdamped"}

    Returns
    -------
    dict
        ``{"power": ..., "drift_sum": ..., "noise_sum": ...}``, sympy matrices that are zero
        iff the relations hold.
    """
    A, G, Q = coefficients(dynamics, h)
    An, Gn, Qn = coefficients(dynamics, n * h)
    Ai = coefficients(dynamics, _i * h)[0]
    power = sp.simplify(A**n) - An
    drift_sum = _sum_matrix(Ai * G, 0, n - 1) - Gn
    noise_sum = _sum_matrix(Ai * Q * Ai.T, 0, n - 1) - Qn
    return {"power": power, "drift_sum": drift_sum, "noise_sum": noise_sum}


@functools.lru_cache(maxsize=None)
def semigroup_residuals(dynamics: str):
    """Residuals of the semigroup (one-step induction) form of the scaling relations.

    For symbolic s, t > 0:

    .. math::

        A_{s+t} = A_s A_t,\\quad G_{s+t} = G_s + A_s G_t,\\quad
        \\Gamma^2_{s+t} = \\Gamma^2_s + A_s \\Gamma^2_t A_s^T,

    together with :math:`A_0 = I`, :math:`G_0 = 0`, :math:`\\Gamma_0^2 = 0`. With s = nh and
    t = h these are the induction steps of the n-step relations of paper Section 2.1, so the
    relations hold for every n by telescoping; they also show that the law of the fine chain
    over any grid depends only on elapsed time (the property behind Proposition 1).

    Returns
    -------
    dict
        ``{"power", "drift_sum", "noise_sum", "at_zero"}`` residual matrices.
    """
    As, Gs, Qs = coefficients(dynamics, s)
    At, Gt, Qt = coefficients(dynamics, t)
    Ast, Gst, Qst = coefficients(dynamics, s + t)
    A0, G0, Q0 = coefficients(dynamics, sp.Integer(0))
    eye = sp.eye(A0.shape[0])
    return {
        "power": Ast - As * At,
        "drift_sum": Gst - (Gs + As * Gt),
        "noise_sum": Qst - (Qs + As * Qt * As.T),
        "at_zero": (A0 - eye).row_join(G0).row_join(Q0),
    }


# ----------------------------------------------------------------------------------------
# One PLMC step: Steps 1-5 of notes 2.2 against recursion (8) of the paper.
# ----------------------------------------------------------------------------------------

def _fine_coefficients(dynamics, K):
    """Coefficients of i fine steps, i = 0..K, rational in q = e^{-γh} (underdamped)."""
    if dynamics == "overdamped":
        return [coefficients("overdamped", i * h) for i in range(K + 1)]
    return [underdamped_coefficients(i * h, gamma, q**i) for i in range(K + 1)]


def _state_symbols(dynamics, K):
    d = 1 if dynamics == "overdamped" else 2
    X = sp.Matrix(sp.symbols(f"x0:{d}", real=True))
    Z = [sp.Matrix(sp.symbols(f"z{j}_0:{d}", real=True)) for j in range(K)]
    Gam = sp.Matrix(d, d, sp.symbols(f"Gamma0:{d * d}", real=True))
    return X, Z, Gam


def _drift(dynamics, kind):
    """A drift b: R^d -> R^d: ``linear`` (b(x) = Bx + beta, symbolic B, beta) or ``general``
    (undefined sympy functions of the state, i.e. an arbitrary nonlinear drift)."""
    d = 1 if dynamics == "overdamped" else 2
    if kind == "linear":
        B = sp.Matrix(d, d, sp.symbols(f"B0:{d * d}", real=True))
        beta = sp.Matrix(sp.symbols(f"beta0:{d}", real=True))
        return lambda x: B * x + beta
    if kind == "general":
        fs = [sp.Function(f"b{k}") for k in range(d)]
        return lambda x: sp.Matrix([f(*x) for f in fs])
    raise ValueError(f"unknown drift kind {kind!r}; expected 'linear' or 'general'")


def _midpoints(dynamics, K, X, Z, Gam, b, C):
    """X̂_{i} = A_{ih} X + G_{ih} b(X) + Σ_{j<i} A_{(i-j-1)h} Γ_h Z_j, i = 0..K-1 (notes 2.1)."""
    b0 = b(X)
    out = []
    for i in range(K):
        noise = sp.zeros(X.shape[0], 1)
        for j in range(i):
            noise += C[i - j - 1][0] * Gam * Z[j]
        out.append(C[i][0] * X + C[i][1] * b0 + noise)
    return out


def recursion8(dynamics, K, H, drift="linear"):
    """K refined iterates of recursion (8), returned as X̃_{(t+1)K} with symbolic inputs.

    Paper Eq. (8) (notes 2.1):

    .. math::

        \\tilde X_{i+1} = A_{h}\\tilde X_i + G_h\\big[b(\\tilde X_0) + K H_i (b(\\hat X_i)
        - b(\\tilde X_0))\\big] + \\Gamma_h Z_i, \\qquad h = \\alpha/K.

    Parameters
    ----------
    dynamics : {"overdamped", "underdamped"}
    K : int
        Number of fine steps (substeps).
    H : sequence of {0, 1} or sympy symbols, length K
        The midpoint indicators H_{t,i}.
    drift : {"linear", "general"}
        See :func:`_drift`.

    Returns
    -------
    (sympy.Matrix, dict)
        The end point and the symbols used (``X``, ``Z``, ``Gamma``, ``b``, ``C``, ``midpoints``).
    """
    C = _fine_coefficients(dynamics, K)
    X, Z, Gam = _state_symbols(dynamics, K)
    b = _drift(dynamics, drift)
    b0 = b(X)
    mids = _midpoints(dynamics, K, X, Z, Gam, b, C)
    x = X
    for i in range(K):
        x = C[1][0] * x + C[1][1] * (b0 + K * H[i] * (b(mids[i]) - b0)) + Gam * Z[i]
    return x, {"X": X, "Z": Z, "Gamma": Gam, "b": b, "C": C, "midpoints": mids}


def plmc_one_step(dynamics, K, H, drift="linear", ocr_variant=False, final_index=None):
    """One PLMC step by the one-step algorithm, Steps 1-5 of notes 2.2 (paper Section 2.2).

    With I = {i : H_i = 1} = {i_1 < ... < i_N}, i_0 = 0 and (correction 9.2) i_{N+1} = K:

    .. math::

        M_k = A_{(i_k - i_{k-1})h} M_{k-1} + \\sum_{j=i_{k-1}}^{i_k - 1} A_{(i_k-1-j)h}
        \\Gamma_h Z_j,\\quad
        \\hat X_{i_k} = A_{i_k h} X + G_{i_k h} b(X) + M_k,

    .. math::

        \\mathrm{Corr} = K \\sum_{k=1}^{N} A_{(K-1-i_k)h} G_h \\big(b(\\hat X_{i_k}) - b(X)\\big),
        \\qquad X' = A_\\alpha X + G_\\alpha b(X) + M_{N+1} + \\mathrm{Corr}.

    The noise increment of M_k is written through the fine Z's, which realises
    Γ_{(i_k - i_{k-1})h} W_k pathwise (its law is that of Γ W_k by the scaling relations).

    Parameters
    ----------
    dynamics, K, H, drift
        As in :func:`recursion8`; here H must be a 0/1 sequence.
    ocr_variant : bool
        If True use the OCR'd correction G_{(K-1-i_k)h} instead of A_{(K-1-i_k)h} G_h
        (notes 9.1), to show that it is *not* equal to recursion (8).
    final_index : int, optional
        i_{N+1}; default K (notes 9.2). Passing the OCR'd K - 1 shows that it drops the noise
        of the last fine step.
    """
    C = _fine_coefficients(dynamics, K)
    X, Z, Gam = _state_symbols(dynamics, K)
    b = _drift(dynamics, drift)
    b0 = b(X)
    idx = [i for i in range(K) if H[i]]
    grid = [0, *idx, K if final_index is None else final_index]
    M = sp.zeros(X.shape[0], 1)
    corr = sp.zeros(X.shape[0], 1)
    for k in range(1, len(grid)):
        lo, hi = grid[k - 1], grid[k]
        inc = sp.zeros(X.shape[0], 1)
        for j in range(lo, hi):
            inc += C[hi - 1 - j][0] * Gam * Z[j]
        M = C[hi - lo][0] * M + inc
        if k < len(grid) - 1:
            ik = hi
            xhat = C[ik][0] * X + C[ik][1] * b0 + M
            weight = C[K - 1 - ik][1] if ocr_variant else C[K - 1 - ik][0] * C[1][1]
            corr += K * weight * (b(xhat) - b0)
    return C[K][0] * X + C[K][1] * b0 + M + corr


@functools.lru_cache(maxsize=None)
def one_step_residual(dynamics, K, H, drift="linear", ocr_variant=False, final_index=None):
    """Residual (Steps 1-5) - (recursion (8)) for one midpoint set H (notes 8.4; Prop. 1).

    Zero for every H in {0,1}^K when ``ocr_variant`` is False; nonzero for the OCR'd
    correction (notes 9.1).
    """
    H = tuple(int(x) for x in H)
    lhs = plmc_one_step(dynamics, K, H, drift, ocr_variant, final_index)
    rhs, _ = recursion8(dynamics, K, H, drift)
    return (lhs - rhs).applyfunc(sp.expand)


def all_midpoint_sets(K):
    """All H in {0,1}^K (OPTION 1 support; OPTION 2 is the K one-hot vectors)."""
    return list(itertools.product((0, 1), repeat=K))


# ----------------------------------------------------------------------------------------
# Unbiasedness and the conditional mean.
# ----------------------------------------------------------------------------------------

Ksym = sp.Symbol("K", positive=True, integer=True)


@functools.lru_cache(maxsize=None)
def unbiasedness_residuals():
    """Residuals of E_H[K H_i] = 1 and E[N_t] = 1 for both options, with symbolic K.

    Paper Section 2.2 / notes 2.1, 8.5-8.6. OPTION 1: H_i iid Ber(1/K). OPTION 2: H_i = 1(u = i),
    u ~ Unif{0..K-1}, so P(H_i = 1) = Σ_u (1/K) 1(u = i) = 1/K. Also E[N_t] = Σ_i E[H_i] = 1
    (expected drift evaluations per step 1 + E N_t = 2) and P(N_t = 0) = (1 - 1/K)^K -> e^{-1}.

    Returns
    -------
    dict of sympy expressions that are zero iff the statements hold.
    """
    from sympy.stats import Bernoulli, E

    Hb = Bernoulli("H", sp.Rational(1, 1) / Ksym)
    i, u = sp.symbols("i u", integer=True, nonnegative=True)
    # OPTION 2: P(H_i = 1) as an explicit sum over the uniform index, for a fixed 0 <= i < K
    p2 = sp.piecewise_fold(sp.summation(sp.KroneckerDelta(u, i) / Ksym, (u, 0, Ksym - 1)))
    # sympy returns Piecewise((1/K, 0 <= i <= K-1), (0, True)); keep the branch of the
    # in-range index, after checking that its condition is exactly that range
    (p2_generic, cond), _ = p2.args
    assert cond.subs(i, 0) == True and cond.subs({i: Ksym}) == False  # noqa: E712
    return {
        "option1_KH": sp.simplify(E(Ksym * Hb) - 1),
        "option2_KH": sp.simplify(Ksym * p2_generic - 1),
        "option1_expected_midpoints": sp.simplify(sp.summation(1 / Ksym, (i, 0, Ksym - 1)) - 1),
        "option2_expected_midpoints": sp.simplify(
            sp.summation(Ksym * p2_generic / Ksym, (i, 0, Ksym - 1)) - 1),
        "no_midpoint_limit": sp.limit((1 - 1 / Ksym) ** Ksym, Ksym, sp.oo) - sp.exp(-1),
    }


@functools.lru_cache(maxsize=None)
def conditional_mean_residual(dynamics, K, drift="general"):
    """Residual of E_H[X'] minus the fine chain's interpolated mean, for fixed K.

    Recursion (8) is affine in (H_0, ..., H_{K-1}) (the midpoints X̂_i do not depend on H), so
    E_H is exact by substituting E[H_i] = 1/K, which holds for both options. The claim
    (notes 2.5, 8.6) is

    .. math::

        E_H[X' \\mid X, Z] = A_\\alpha X + \\sum_{i=0}^{K-1} A_{(K-1-i)h} G_h\\, b(\\hat X_i)
        + \\sum_{i=0}^{K-1} A_{(K-1-i)h} \\Gamma_h Z_i ,

    i.e. K fine steps whose drift is evaluated at the interpolated points X̂_i. With
    ``drift="general"`` b is an arbitrary (undefined) function, so this is the nonlinear
    statement. K is fixed because recursion (8) has K terms; the tests check K = 1..4 (see
    the test module for the reason).
    """
    Hs = sp.symbols(f"H0:{K}")
    x_end, ctx = recursion8(dynamics, K, Hs, drift)
    assert all(sp.degree(sp.expand(e), H_) <= 1 for e in x_end for H_ in Hs), "not affine in H"
    mean = x_end.subs({H_: sp.Rational(1, K) for H_ in Hs})
    C, X, Z, Gam, b, mids = (ctx[k] for k in ("C", "X", "Z", "Gamma", "b", "midpoints"))
    interp = C[K][0] * X
    for i in range(K):
        interp += C[K - 1 - i][0] * (C[1][1] * b(mids[i]) + Gam * Z[i])
    return (mean - interp).applyfunc(sp.expand)


@functools.lru_cache(maxsize=None)
def underdamped_correction_residual():
    """Residual of the ULMC correction vector of notes 2.4.

    For s = (K-1-i)h and Δg = ∇F(Û_i) - ∇F(U):

    .. math::

        K A_s G_h (-\\Delta g, 0)^T = -K\\big((g_1 + \\tfrac{1-e^{-\\gamma s}}{\\gamma} g_2)\\Delta g,
        \\; e^{-\\gamma s} g_2 \\Delta g\\big)^T,\\quad
        g_1 = \\tfrac{1}{\\gamma}\\big(h - \\tfrac{1-e^{-\\gamma h}}{\\gamma}\\big),\\;
        g_2 = \\tfrac{1-e^{-\\gamma h}}{\\gamma}.
    """
    K, dg = sp.symbols("K Delta_g", real=True)
    As = underdamped_coefficients(s)[0]
    Gh = underdamped_coefficients(h)[1]
    g1 = (h - (1 - sp.exp(-gamma * h)) / gamma) / gamma
    g2 = (1 - sp.exp(-gamma * h)) / gamma
    lhs = K * As * Gh * sp.Matrix([-dg, 0])
    rhs = -K * sp.Matrix([(g1 + (1 - sp.exp(-gamma * s)) / gamma * g2) * dg,
                          sp.exp(-gamma * s) * g2 * dg])
    return (lhs - rhs).applyfunc(sp.simplify)


# ----------------------------------------------------------------------------------------
# Gaussian perturbation KLs (paper Section 2.1, the intuition behind the method).
# ----------------------------------------------------------------------------------------

_x = sp.Symbol("x", real=True)


def gaussian_kl(mu1, var1, mu0, var0):
    """KL(N(mu1, var1) || N(mu0, var0)) by symbolic integration of p log(p/q) over R.

    The log-ratio is a quadratic polynomial, so the integral is a finite combination of
    Gaussian moments; sympy evaluates it exactly. Closed form (checked in the tests):
    ½[var1/var0 + (mu1-mu0)²/var0 - 1 - log(var1/var0)].
    """
    mu1, var1, mu0, var0 = map(sp.sympify, (mu1, var1, mu0, var0))
    # substitute x = mu1 + sqrt(var1) y: p(x) dx = φ(y) dy with φ the standard normal density
    x = mu1 + sp.sqrt(var1) * _x
    log_ratio = (sp.log(var0) - sp.log(var1)) / 2 - (x - mu1) ** 2 / (2 * var1) \
        + (x - mu0) ** 2 / (2 * var0)
    poly = sp.Poly(sp.expand(log_ratio), _x)
    phi = sp.exp(-_x**2 / 2) / sp.sqrt(2 * sp.pi)
    val = sum(c * sp.integrate(_x**k * phi, (_x, -sp.oo, sp.oo))
              for (k,), c in poly.terms())
    return sp.simplify(val)


@functools.lru_cache(maxsize=None)
def kl_perturbation_series(order: int = 8):
    """The two perturbation KLs of paper Section 2.1 and their series in ε.

    * mean shift (LMC-type, biased zero-variance error):
      KL(N(ε, 1) || N(0, 1)) = ε²/2 exactly, Θ(ε²);
    * variance inflation (PLMC/RLMC-type, mean-zero error of size ε, Z + εZ'):
      KL(N(0, 1 + ε²) || N(0, 1)) = ½(ε² - log(1 + ε²)) = ε⁴/4 - ε⁶/6 + O(ε⁸), Θ(ε⁴).

    Returns
    -------
    dict
        ``{"eps": ε, "shift": ..., "inflate": ..., "shift_series": ..., "inflate_series": ...}``
    """
    eps = sp.Symbol("epsilon", positive=True)
    shift = gaussian_kl(eps, 1, 0, 1)
    inflate = gaussian_kl(0, 1 + eps**2, 0, 1)
    return {
        "eps": eps,
        "shift": shift,
        "inflate": inflate,
        "shift_series": sp.series(shift, eps, 0, order),
        "inflate_series": sp.series(inflate, eps, 0, order),
    }
