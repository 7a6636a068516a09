"""Discretisation bias on a Gaussian target in closed form.

On the target N(0, σ²) the drift is linear, b(x) = -x/σ² (F(x) = x²/(2σ²), L = 1/σ²), so one step
of every scheme is X' = a X + Σ_j c_j Z_j with a random multiplier a and noise coefficients c_j
that may depend on the scheme's extra randomness (RLMC's u, PLMC's H) but not on X or the
current step's Gaussians Z_j. The stationary variance of the chain (averaged over that
randomness) therefore solves

.. math::  v = E[a^2]\\, v + E\\Big[\\sum_j c_j^2\\Big], \\qquad
           v = \\frac{E[\\sum_j c_j^2]}{1 - E[a^2]},

(the cross term E[a c_j Z_j X] vanishes), and the stationary law is N(0, v): a Gaussian
(LMC, ULMC) or, for RLMC and PLMC, a scale mixture whose variance is v. For the underdamped
chain the same argument gives the discrete Lyapunov equation P = E[M P M^T] + E[Σ_j C_j Γ² C_j^T].

Derived here (symbols ``alpha`` = coarse step, ``sigma2`` = σ², ``K`` = substeps):

* LMC (Euler-Maruyama, step h): v = σ²/(1 - h/(2σ²)), bias v - σ² = h/2 + O(h²).
* ULMC (notes 1.1, step h, friction γ): 2x2 discrete Lyapunov equation.
* RLMC (overdamped, notes 6.1, u ~ U[0,1], shared Z_1): integrated over u.
* PLMC (notes 2.3, both options, symbolic K): midpoints X̂_i share the fine Z's, so the midpoint
  correction makes the noise coefficients depend on H: with x = α/σ² and R_j = Σ_{i>j} H_i,

  .. math::

     a(H) = 1 - x + \\frac{x^2}{K}\\sum_i i H_i,\\qquad
     c_j(H) = \\sqrt{2\\alpha/K}\\,(1 - x R_j),\\quad j = 0..K-1,

  averaged with E[H_i] = 1/K and E[H_i H_k] = 1/K² + (1/K - 1/K²)δ_{ik} (OPTION 1) or δ_{ik}/K
  (OPTION 2).

The numeric entry point :func:`stationary_variance` is what simulation tests compare to.
"""
from __future__ import annotations

import functools
import math
import re

import numpy as np
import sympy as sp

from .coefficients import underdamped_coefficients

__all__ = [
    "alpha", "sigma2", "K", "friction",
    "lmc_variance", "ulmc_covariance", "ulmc_variance", "rlmc_variance", "plmc_variance",
    "plmc_moments",
    "linear_scheme_moments", "stationary_covariance_linear",
    "bias_series", "leading_bias_order", "leading_bias_coefficient", "bias_table", "BIAS_CASES",
    "stationary_variance", "w2_gaussian",
]

alpha = sp.Symbol("alpha", positive=True)
sigma2 = sp.Symbol("sigma2", positive=True)
K = sp.Symbol("K", positive=True, integer=True)
friction = sp.Symbol("gamma", positive=True)
_u = sp.Symbol("u", positive=True)
_i, _j, _k = sp.symbols("i j k", integer=True, nonnegative=True)


def _solve_fixed_point(Ea2, Enoise):
    """Solve v = Ea2 v + Enoise symbolically (sympy.solve, not a hand formula)."""
    v = sp.Symbol("v")
    (sol,) = sp.solve(sp.Eq(v, Ea2 * v + Enoise), v)
    return sp.factor(sp.cancel(sol))


@functools.lru_cache(maxsize=None)
def lmc_variance():
    """Stationary variance of overdamped LMC with step ``alpha`` on N(0, sigma2).

    One step X' = (1 - α/σ²) X + √(2α) Z (paper Eq. (1), OLMC coefficients), so
    v = (1 - α/σ²)² v + 2α, i.e. v = σ²/(1 - α/(2σ²)) (notes 8.12).
    """
    a = 1 - alpha / sigma2
    return _solve_fixed_point(a**2, 2 * alpha)


@functools.lru_cache(maxsize=None)
def ulmc_covariance():
    """Stationary covariance of (U, V) for ULMC with step ``alpha``, friction ``gamma``.

    One step X' = M X + Γ_h Z with M = A_h + G_h B, B = [[-1/σ², 0], [0, 0]] (notes 1.1), so the
    stationary covariance solves the discrete Lyapunov equation P = M P M^T + Γ_h² (solved here
    as a 3x3 linear system in the entries of the symmetric P). Expressed through
    e = exp(-γα).
    """
    e = sp.Symbol("e", positive=True)
    A, G, Q = underdamped_coefficients(alpha, friction, e)
    B = sp.Matrix([[-1 / sigma2, 0], [0, 0]])
    M = A + G * B
    p11, p12, p22 = sp.symbols("p11 p12 p22")
    P = sp.Matrix([[p11, p12], [p12, p22]])
    eqs = list(P - M * P * M.T - Q)
    sol = sp.solve([eqs[0], eqs[1], eqs[3]], [p11, p12, p22], dict=True)[0]
    Pst = P.subs(sol).applyfunc(lambda x: sp.factor(sp.cancel(x)))
    return Pst.subs(e, sp.exp(-friction * alpha))


def ulmc_variance():
    """Stationary position variance of ULMC (entry (0, 0) of :func:`ulmc_covariance`)."""
    return ulmc_covariance()[0, 0]


@functools.lru_cache(maxsize=None)
def rlmc_variance():
    """Stationary variance of overdamped RLMC (Shen & Lee; notes 6.1) on N(0, sigma2).

    With c = 1/σ²: X_mid = (1 - uαc) X + √(2uα) Z_1 and
    X' = X - αc X_mid + √(2uα) Z_1 + √(2(1-u)α) Z_2 (shared Z_1), so
    a(u) = 1 - αc + α²c²u, and the noise variance is 2uα(1 - αc)² + 2(1-u)α; both are
    integrated over u ~ U[0, 1].
    """
    c = 1 / sigma2
    a = 1 - alpha * c + alpha**2 * c**2 * _u
    noise = 2 * _u * alpha * (1 - alpha * c) ** 2 + 2 * (1 - _u) * alpha
    Ea2 = sp.integrate(sp.expand(a**2), (_u, 0, 1))
    En = sp.integrate(sp.expand(noise), (_u, 0, 1))
    return _solve_fixed_point(Ea2, En)


def _h_moments(option, Kx):
    """(E[H_i], E[H_i H_k] for i != k, E[H_i^2]) for OPTION 1 / OPTION 2 (notes 2.1)."""
    p = 1 / sp.sympify(Kx)
    if option == 1:
        return p, p**2, p
    if option == 2:
        return p, sp.Integer(0), p
    raise ValueError(f"option must be 1 or 2, got {option!r}")


@functools.lru_cache(maxsize=None)
def plmc_moments(option: int):
    """E[a(H)²] and E[Σ_j c_j(H)²] of one overdamped PLMC step on N(0, sigma2), symbolic K.

    From notes 2.3 with h = α/K, c = 1/σ², S_i = Σ_{j<i} Z_j:
    X̂_i = (1 - ihc) X + √(2h) S_i and
    X' = X - αcX - αc Σ_i H_i (X̂_i - X) + √(2h) S_K, so X' = a(H) X + √(2h) Σ_j (1 - αc R_j) Z_j
    with a(H) = 1 - αc + αc²h Σ_i i H_i and R_j = Σ_{i=j+1}^{K-1} H_i. The H-moments are summed
    symbolically over i, k, j with sympy ``summation``.

    Returns
    -------
    (Ea2, Enoise) : sympy expressions in alpha, sigma2, K.
    """
    c = 1 / sigma2
    hh = alpha / K
    m1, m2_off, m2_diag = _h_moments(option, K)
    # Σ_i i H_i: first and second moments
    S1 = sp.summation(_i * m1, (_i, 0, K - 1))
    sum_i = sp.summation(_i, (_i, 0, K - 1))
    sum_i2 = sp.summation(_i**2, (_i, 0, K - 1))
    S2 = m2_off * (sum_i**2 - sum_i2) + m2_diag * sum_i2
    slope = alpha * c**2 * hh
    Ea2 = (1 - alpha * c) ** 2 + 2 * (1 - alpha * c) * slope * S1 + slope**2 * S2
    # R_j = Σ_{i=j+1}^{K-1} H_i, with r = K-1-j terms
    r = K - 1 - _j
    ER = r * m1
    ER2 = m2_off * (r**2 - r) + m2_diag * r
    Enoise = 2 * hh * sp.summation(sp.expand(1 - 2 * alpha * c * ER + alpha**2 * c**2 * ER2),
                                   (_j, 0, K - 1))
    return sp.simplify(Ea2), sp.simplify(Enoise)


@functools.lru_cache(maxsize=None)
def plmc_variance(option: int):
    """Stationary variance of overdamped PLMC(alpha, K) on N(0, sigma2), averaged over H.

    Paper Section 2.2 / notes 2.3 (PS(A, G, Γ, b, α, K) with OLMC coefficients), OPTION 1 or 2;
    see :func:`plmc_moments` for the one-step moments. A rational function of alpha, sigma2 and
    the symbolic K.
    """
    return _solve_fixed_point(*plmc_moments(option))


# ----------------------------------------------------------------------------------------
# Generic linear-drift moment recursion (fixed K), for any A, G, Γ² (both dynamics).
# ----------------------------------------------------------------------------------------

def linear_scheme_moments(coef, B, Kn, option, backend="numpy"):
    """Second-moment map of one PLMC step PS(A, G, Γ, b, α, K) for a linear drift b(X) = B X.

    Unrolling recursion (8) (notes 2.1) for b linear gives X' = M(H) X + Σ_j P_j(H) Γ_h Z_j with

    .. math::

        M(H) = A_\\alpha + G_\\alpha B + \\sum_i H_i D_i,\\quad
        D_i = K A_{(K-1-i)h} G_h B (A_{ih} - I + G_{ih} B),

    .. math::

        P_j(H) = A_{(K-1-j)h} + \\sum_{i>j} H_i E_{ij},\\quad
        E_{ij} = K A_{(K-1-i)h} G_h B A_{(i-j-1)h}.

    Both are affine in H, so E[M P M^T] and E[P_j Γ² P_j^T] need only E[H_i] and E[H_i H_k].

    Parameters
    ----------
    coef : callable
        ``coef(i) -> (A_{ih}, G_{ih}, Gamma2_{ih})`` for i = 0..K (fine step h = α/K).
    B : matrix
        The drift matrix.
    Kn : int
        Number of substeps (K = 1 with any option is LMC / ULMC with step α).
    option : {1, 2}
    backend : {"numpy", "sympy"}

    Returns
    -------
    (T, Q) : callable and matrix
        ``T(P) = E[M P M^T]`` and ``Q = E[Σ_j P_j Γ_h² P_j^T]``.
    """
    if option not in (1, 2):
        raise ValueError(f"option must be 1 or 2, got {option!r}")
    if backend == "numpy":
        m1 = 1.0 / Kn
        m2_off = m1 * m1 if option == 1 else 0.0
        eye = np.eye(np.asarray(B).shape[0])
    else:
        m1, m2_off, _ = _h_moments(option, Kn)
        eye = sp.eye(B.shape[0])
    T_ = lambda X: X.T  # noqa: E731
    C = [coef(i) for i in range(Kn + 1)]
    Ah, Gh, Qh = C[1]
    M0 = C[Kn][0] + C[Kn][1] @ B if backend == "numpy" else C[Kn][0] + C[Kn][1] * B
    mul = (lambda *ms: _chain(np.matmul, ms)) if backend == "numpy" else \
        (lambda *ms: _chain(lambda a, b: a * b, ms))
    D = [Kn * mul(C[Kn - 1 - i][0], Gh, B, C[i][0] - eye + mul(C[i][1], B)) for i in range(Kn)]

    def E_sandwich(X0, Xs, S):
        """E[Y S Y^T] for Y = X0 + Σ_i H_i Xs[i] (Xs a dict i -> matrix)."""
        out = mul(X0, S, T_(X0))
        if not Xs:
            return out
        tot = None
        diag = None
        for Xi in Xs.values():
            tot = Xi if tot is None else tot + Xi
            d_i = mul(Xi, S, T_(Xi))
            diag = d_i if diag is None else diag + d_i
        # Σ_i E[H_i](X_i S X0^T + X0 S X_i^T) + Σ_i E[H_i²] X_i S X_i^T
        #   + E[H_i H_k]_{i≠k} ((Σ X_i) S (Σ X_i)^T - Σ_i X_i S X_i^T),  E[H_i²] = E[H_i] = 1/K
        out = out + m1 * (mul(tot, S, T_(X0)) + mul(X0, S, T_(tot))) + m1 * diag
        return out + m2_off * (mul(tot, S, T_(tot)) - diag)

    Dd = dict(enumerate(D))
    Q = None
    for j in range(Kn):
        Ej = {i: Kn * mul(C[Kn - 1 - i][0], Gh, B, C[i - j - 1][0]) for i in range(j + 1, Kn)}
        term = E_sandwich(C[Kn - 1 - j][0], Ej, Qh)
        Q = term if Q is None else Q + term
    return (lambda P: E_sandwich(M0, Dd, P)), Q


def _chain(op, ms):
    out = ms[0]
    for m in ms[1:]:
        out = op(out, m)
    return out


def stationary_covariance_linear(T, Q, d, backend="numpy"):
    """Solve the Lyapunov-type equation P = T(P) + Q for symmetric P (d x d).

    Raises ``ValueError`` if the averaged chain has no stationary second moment (spectral
    radius of the linear map T >= 1).
    """
    idx = [(a, b) for a in range(d) for b in range(a, d)]
    if backend == "numpy":
        n = len(idx)
        L = np.zeros((n, n))
        for col, (a, b) in enumerate(idx):
            E = np.zeros((d, d))
            E[a, b] = E[b, a] = 1.0
            TE = T(E)
            for row, (r, s_) in enumerate(idx):
                L[row, col] = TE[r, s_]
        if np.max(np.abs(np.linalg.eigvals(L))) >= 1.0:
            raise ValueError("the averaged chain is unstable for this step size: E[M ⊗ M] has "
                             "spectral radius >= 1, so no stationary variance exists")
        rhs = np.array([Q[r, s_] for (r, s_) in idx])
        sol = np.linalg.solve(np.eye(n) - L, rhs)
        P = np.zeros((d, d))
        for val, (a, b) in zip(sol, idx):
            P[a, b] = P[b, a] = val
        return P
    syms = sp.symbols(f"p0:{len(idx)}")
    P = sp.zeros(d, d)
    for sym, (a, b) in zip(syms, idx):
        P[a, b] = P[b, a] = sym
    R = P - T(P) - Q
    sol = sp.solve([R[a, b] for (a, b) in idx], syms, dict=True)[0]
    return P.subs(sol).applyfunc(lambda x: sp.factor(sp.cancel(x)))


# ----------------------------------------------------------------------------------------
# Series and leading bias orders.
# ----------------------------------------------------------------------------------------

_SCHEMES = ("LMC", "ULMC", "RLMC", "PLMC1", "PLMC2")


def _variance_expr(scheme):
    if scheme == "LMC":
        return lmc_variance()
    if scheme == "ULMC":
        return ulmc_variance()
    if scheme == "RLMC":
        return rlmc_variance()
    if scheme in ("PLMC1", "PLMC2"):
        return plmc_variance(int(scheme[-1]))
    raise ValueError(f"unknown scheme {scheme!r}; expected one of {_SCHEMES}")


_REGIMES = ("fixed_K", "K=1/alpha", "K=1/(alpha*L)", "K->oo")


@functools.lru_cache(maxsize=None)
def bias_series(scheme: str, regime: str = "fixed_K", order: int = 5):
    """Series in the step of the relative variance bias v/σ² - 1, coefficients factored.

    Parameters
    ----------
    scheme : {"LMC", "ULMC", "RLMC", "PLMC1", "PLMC2"}
    regime : {"fixed_K", "K=1/alpha", "K=1/(alpha*L)", "K->oo"}
        For PLMC: K held fixed (series in alpha at fixed K); K = 1/alpha (the paper's choice
        K = Θ(1/α) of notes 4.5, fine step α²); the dimensionally consistent
        K = 1/(αL) = σ²/α (L = 1/σ², fine step α²/σ², as App. G's K ∝ 1/(αL)); or the limit
        K -> ∞ at fixed α (OPTION 2 -> RLMC, OPTION 1 -> Poisson(1) midpoints on [0, α]).
        Ignored for the other schemes.
    order : int
        Terms up to (not including) alpha**order.

    Returns
    -------
    sympy expression: Σ_p c_p alpha**p + O(alpha**order).
    """
    if regime not in _REGIMES:
        raise ValueError(f"unknown regime {regime!r}; expected one of {_REGIMES}")
    v = _variance_expr(scheme)
    if scheme.startswith("PLMC"):
        if regime == "K=1/alpha":
            v = v.subs(K, 1 / alpha)
        elif regime == "K=1/(alpha*L)":
            v = v.subs(K, sigma2 / alpha)
        elif regime == "K->oo":
            v = sp.limit(v, K, sp.oo)
    rel = v / sigma2 - 1
    if scheme != "ULMC":
        rel = sp.cancel(rel)
    else:  # series in the rational form: e = exp(-γα) expanded to the needed order first
        rel = rel.subs(sp.exp(-friction * alpha), sp.series(sp.exp(-friction * alpha), alpha,
                                                            0, order + 3).removeO())
        rel = rel.subs(sp.exp(-2 * friction * alpha),
                       sp.series(sp.exp(-2 * friction * alpha), alpha, 0, order + 3).removeO())
        rel = sp.cancel(rel)
    ser = sp.expand(sp.series(rel, alpha, 0, order).removeO())
    terms = [sp.factor(ser.coeff(alpha, p)) * alpha**p for p in range(order)]
    return sp.Add(*terms) + sp.Order(alpha**order, alpha)


def leading_bias_order(scheme: str, regime: str = "fixed_K") -> int:
    """The power p of the leading term c α^p of the relative stationary variance bias (c != 0).

    Because W2(N(0, v), N(0, σ²)) = |√v - σ| = |v - σ²|/(√v + σ), the same p is the order of the
    stationary W2 bias on the Gaussian target (for RLMC/PLMC the stationary law is a scale
    mixture, and p is the order of its second-moment bias).
    """
    ser = bias_series(scheme, regime, 5).removeO()
    for p in range(0, 5):
        if sp.simplify(ser.coeff(alpha, p)) != 0:
            return p
    raise RuntimeError("no nonzero term below alpha**5")


def leading_bias_coefficient(scheme: str, regime: str = "fixed_K"):
    """The coefficient c of the leading term c α^p of v/σ² - 1 (see :func:`leading_bias_order`)."""
    p = leading_bias_order(scheme, regime)
    return sp.factor(bias_series(scheme, regime, 5).removeO().coeff(alpha, p))


BIAS_CASES = (("LMC", "fixed_K"), ("ULMC", "fixed_K"), ("RLMC", "fixed_K"),
              ("PLMC1", "fixed_K"), ("PLMC2", "fixed_K"),
              ("PLMC1", "K=1/(alpha*L)"), ("PLMC2", "K=1/(alpha*L)"),
              ("PLMC1", "K->oo"), ("PLMC2", "K->oo"))


def bias_table():
    """Rows (scheme, regime, leading order p, leading coefficient of v/σ² - 1) for printing."""
    return [(s_, r, leading_bias_order(s_, r), leading_bias_coefficient(s_, r))
            for s_, r in BIAS_CASES]


# ----------------------------------------------------------------------------------------
# Numeric entry point.
# ----------------------------------------------------------------------------------------

def _norm_name(name):
    key = re.sub(r"[^a-z0-9]", "", str(name).lower())
    aliases = {
        "lmc": "lmc", "ulmc": "lmc", "olmc": "lmc", "eulermaruyama": "lmc", "ula": "lmc",
        "rlmc": "rlmc", "randomizedmidpoint": "rlmc", "randomisedmidpoint": "rlmc",
        "plmc": "plmc", "poissonmidpoint": "plmc", "pmm": "plmc",
    }
    if key not in aliases:
        raise ValueError(f"unknown scheme name {name!r}; expected LMC, RLMC/RandomizedMidpoint "
                         "or PLMC/PoissonMidpoint")
    return aliases[key]


@functools.lru_cache(maxsize=None)
def _lambdified(which):
    if which == "lmc":
        return sp.lambdify((alpha, sigma2), lmc_variance(), "math")
    if which == "rlmc":
        return sp.lambdify((alpha, sigma2), rlmc_variance(), "math")
    if which in ("plmc1", "plmc2"):
        return sp.lambdify((alpha, sigma2, K), plmc_variance(int(which[-1])), "math")
    raise KeyError(which)


def _stable_overdamped(Ea2_value):
    if not Ea2_value < 1.0:
        raise ValueError("the averaged chain is unstable for this step size (E[a²] >= 1); "
                         "no stationary variance exists")


@functools.lru_cache(maxsize=None)
def _moment_lambdas(which):
    if which == "lmc":
        return sp.lambdify((alpha, sigma2), (1 - alpha / sigma2) ** 2, "math")
    if which == "rlmc":
        c = 1 / sigma2
        Ea2 = sp.integrate(sp.expand((1 - alpha * c + alpha**2 * c**2 * _u) ** 2), (_u, 0, 1))
        return sp.lambdify((alpha, sigma2), Ea2, "math")
    return sp.lambdify((alpha, sigma2, K), plmc_moments(int(which[-1]))[0], "math")


def stationary_variance(scheme_name, step, sigma2, K=None, option=None, friction=None):
    """Stationary (position) variance of a scheme on the target N(0, sigma2), as a float.

    The chain's law averaged over the scheme's extra randomness (RLMC's u, PLMC's midpoints H);
    see the module docstring for the derivation.

    Parameters
    ----------
    scheme_name : str
        ``"LMC"`` (also ``"ULMC"``), ``"RLMC"``/``"RandomizedMidpoint"`` or
        ``"PLMC"``/``"PoissonMidpoint"`` (case and punctuation insensitive).
    step : float
        The (coarse) step size α > 0; PLMC's fine step is α/K.
    sigma2 : float
        Target variance σ² > 0.
    K : int, optional
        PLMC substeps (required for PLMC).
    option : {1, 2}, optional
        PLMC option (required for PLMC).
    friction : float, optional
        If given, the underdamped dynamics with this friction γ (ULMC / underdamped PLMC;
        the position variance is returned). Underdamped RLMC is not covered.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        On bad input, or if the averaged chain is unstable (no stationary variance).
    """
    which = _norm_name(scheme_name)
    step = float(step)
    sigma2_ = float(sigma2)
    if not (math.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive finite float, got {step!r}")
    if not (math.isfinite(sigma2_) and sigma2_ > 0):
        raise ValueError(f"sigma2 must be a positive finite float, got {sigma2!r}")
    if which == "plmc":
        if K is None or option is None:
            raise ValueError("PLMC needs K (substeps) and option (1 or 2)")
        if int(K) != K or K < 1:
            raise ValueError(f"K must be an integer >= 1, got {K!r}")
        if option not in (1, 2):
            raise ValueError(f"option must be 1 or 2, got {option!r}")
        K = int(K)
    if friction is not None:
        friction = float(friction)
        if not (math.isfinite(friction) and friction > 0):
            raise ValueError(f"friction must be a positive finite float, got {friction!r}")
        if which == "rlmc":
            raise NotImplementedError("underdamped RLMC is not covered (notes 6.2 uses a "
                                      "different parametrisation); only overdamped RLMC")
        Kn, opt = (K, option) if which == "plmc" else (1, 1)
        P = _underdamped_numeric(step, sigma2_, Kn, opt, friction)
        return float(P[0, 0])
    if which == "plmc":
        key = f"plmc{option}"
        _stable_overdamped(_moment_lambdas(key)(step, sigma2_, K))
        return float(_lambdified(key)(step, sigma2_, K))
    _stable_overdamped(_moment_lambdas(which)(step, sigma2_))
    return float(_lambdified(which)(step, sigma2_))


def _underdamped_coef_numeric(hh, g):
    e = math.exp(-g * hh)
    e2 = e * e
    A = np.array([[1.0, -math.expm1(-g * hh) / g], [0.0, e]])
    G = np.array([[(hh + math.expm1(-g * hh) / g) / g, 0.0], [-math.expm1(-g * hh) / g, 0.0]])
    c = (1 - 2 * e + e2) / g
    Q = np.array([[2 / g * (hh - 2 / g * (1 - e) + (1 - e2) / (2 * g)), c], [c, -math.expm1(-2 * g * hh)]])
    return A, G, Q


def _underdamped_numeric(step, s2, Kn, option, g):
    hh = step / Kn
    B = np.array([[-1.0 / s2, 0.0], [0.0, 0.0]])
    T, Q = linear_scheme_moments(lambda i: _underdamped_coef_numeric(i * hh, g), B, Kn, option)
    return stationary_covariance_linear(T, Q, 2)


def w2_gaussian(v, sigma2):
    """W2(N(0, v), N(0, sigma2)) = |√v - σ| (1-D Gaussians)."""
    return abs(math.sqrt(v) - math.sqrt(sigma2))
