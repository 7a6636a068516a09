"""The paper's bounds as sympy expressions (Kandasamy & Nagaraj, NeurIPS 2024, arXiv 2405.17068).

* :func:`theorem1_rhs` -- Theorem 1 (KL between PLMC (OPTION 1) and the fine chain, no
  smoothness or mixing assumptions), notes 4.1;
* :func:`theorem2_leading`, :func:`theorem2_terms_eq40` -- Theorem 2 (OLMC) and its lower-order
  terms, App. E Eq. (40), notes 4.3; :func:`theorem2_terms_derived` re-derives Eq. (40) from
  Theorem 1 and the App. E lemmas, and :func:`prune_dominated` keeps the non-dominated terms;
* :func:`theorem3_leading`, :func:`theorem3_terms` -- Theorem 3 (ULMC), notes 4.4, with the
  terms of App. F Eq. (60) that are legible;
* :data:`APP_G` -- the parameter choices of App. G (notes 4.6), as printed, including the
  dimensionally inconsistent OLMC term of notes 9.5.

``C`` is the universal constant of the theorems (a positive symbol); ``Delta(p)`` is
Δ^{(p)} = E[(F(X_0) - F(x*))^p].
"""
from __future__ import annotations

import functools

import sympy as sp

__all__ = [
    "L", "lam", "d", "alpha", "K", "T", "gamma", "C", "eps", "r", "Delta",
    "theorem1_rhs", "theorem1_summand_from_lemmas",
    "theorem2_leading", "theorem2_terms_eq40", "theorem2_terms_derived", "prune_dominated",
    "theorem3_leading", "theorem3_terms", "theorem2_bound", "theorem3_bound",
    "APP_G", "time_dimension",
]

L = sp.Symbol("L", positive=True)          # smoothness constant
lam = sp.Symbol("lambda", positive=True)   # LSI constant
d = sp.Symbol("d", positive=True)          # dimension
alpha = sp.Symbol("alpha", positive=True)  # coarse step
K = sp.Symbol("K", positive=True)          # substeps
T = sp.Symbol("T", positive=True)          # number of coarse steps
gamma = sp.Symbol("gamma", positive=True)  # friction
C = sp.Symbol("C", positive=True)          # universal constant
eps = sp.Symbol("epsilon", positive=True)  # target accuracy
r = sp.Symbol("r", positive=True)          # the free exponent r > 1 of Theorem 1
_s, _i = sp.symbols("s i", integer=True, nonnegative=True)


def Delta(p):
    """Δ^{(p)} = E[(F(X_0) - F(x*))^p] (notes 4.3), a positive symbol."""
    return sp.Symbol(f"Delta_{p}", positive=True)


def theorem1_rhs(r_value=r):
    """Right-hand side of Theorem 1 (paper Section 3; notes 4.1), OPTION 1.

    .. math::

        \\mathrm{KL}\\big(\\mathrm{Law}(X^P_{0:T}) \\,\\|\\, \\mathrm{Law}(X_{K(0:T)})\\big) \\le
        \\sum_{s=0}^{T-1}\\sum_{i=0}^{K-1} E\\|B_{sK+i}\\|^2
        + C\\, E\\Big[\\frac{\\beta^4}{K^2} + \\frac{\\beta^{10}}{K^3} + \\frac{\\beta^6}{K^2}
        + \\frac{\\beta^{2r}}{K}\\Big],\\quad \\beta = \\beta_{sK+i},

    with the second expectation also summed over (s, i). ``EB2(s, i)`` stands for E‖B_{sK+i}‖²
    and ``Ebeta(p, s, i)`` for E β_{sK+i}^p (undefined functions).
    """
    EB2 = sp.Function("EB2")
    Eb = sp.Function("Ebeta")
    summand = EB2(_s, _i) + C * (Eb(4, _s, _i) / K**2 + Eb(10, _s, _i) / K**3
                                 + Eb(6, _s, _i) / K**2 + Eb(2 * r_value, _s, _i) / K)
    return sp.Sum(summand, (_i, 0, K - 1), (_s, 0, T - 1))


def _grad_moment_sum(p):
    """App. E gradient-moment bound (constants dropped):
    Σ_{t<T} E‖∇F(X̃_{tK})‖^{2p} ≲ L^{p-1} Δ^{(p)}/α + T L^p d^p (1 + (αLT)^{p-1})."""
    return L ** (p - 1) * Delta(p) / alpha + T * L**p * d**p * (1 + (alpha * L * T) ** (p - 1))


#: (power 2p of β, power m of 1/K) of the four β-terms of Theorem 1, with r = 7 (App. E)
THEOREM1_BETA_TERMS = ((4, 2), (10, 3), (6, 2), (14, 1))


def theorem1_summand_from_lemmas(r_value=7):
    """Theorem 1's right-hand side with the App. E lemma bounds substituted (OLMC), constants
    dropped, summed over s < T and i < K.

    Lemmas used (notes 4.3):
    E‖B‖² ≤ C L⁴α⁵/K · E‖∇F(X̃_{tK})‖² + C L⁴α⁴ d/K, and
    E β^{2p} ≤ C_p [L^{2p} α^{3p} K^p E‖∇F(X̃_{tK})‖^{2p} + L^{2p} α^{2p} K^p d^p];
    then the gradient-moment bound of :func:`_grad_moment_sum`.

    Returns
    -------
    list of sympy monomials whose sum bounds the KL up to constants.
    """
    terms = []
    # bias part: Σ_s Σ_i [L⁴α⁵/K E‖∇F‖² + L⁴α⁴ d/K]
    terms += sp.Add.make_args(sp.expand(L**4 * alpha**5 * _grad_moment_sum(1)
                                        + T * L**4 * alpha**4 * d))
    for two_p, m in THEOREM1_BETA_TERMS:
        if two_p == 14:
            two_p = 2 * r_value
        p = two_p // 2
        weight = K / K**m  # Σ_i gives K, the term carries 1/K^m
        grad = weight * L ** (2 * p) * alpha ** (3 * p) * K**p * _grad_moment_sum(p)
        dpart = weight * T * L ** (2 * p) * alpha ** (2 * p) * K**p * d**p
        terms += sp.Add.make_args(sp.expand(grad + dpart))
    return terms


def _exponents(monomial):
    """{symbol: exponent} of a monomial c * Π x^e (numeric factor dropped)."""
    out = {}
    for f in sp.Mul.make_args(sp.expand_power_base(sp.sympify(monomial), force=True)):
        if f.is_number:
            continue
        base, ex = f.as_base_exp()
        out[base] = out.get(base, 0) + ex
    return out


def prune_dominated(terms):
    """Drop every monomial dominated by another one in the regime αL ≤ 1, K ≥ 1, d ≥ 1, T ≥ 1.

    Term a is dominated by b if a/b = (αL)^x K^y d^z T^w with x ≥ 0 and y, z, w ≤ 0, no other
    symbol (Δ^{(p)}) left, and a != b. The exponents are read off the monomials exactly.
    """
    def vec(tm):
        e = _exponents(tm)
        ea = e.pop(alpha, 0)
        e[L] = e.get(L, 0) - ea  # write α^a L^l = (αL)^a L^{l-a}
        e = {k: v for k, v in e.items() if v != 0}
        return ea, e

    vecs = [vec(tm) for tm in terms]
    out = []
    for ia, (xa, ea) in enumerate(vecs):
        dominated = False
        for ib, (xb, eb) in enumerate(vecs):
            if ia == ib:
                continue
            keys = set(ea) | set(eb)
            diff = {k: ea.get(k, 0) - eb.get(k, 0) for k in keys}
            if any(diff[k] != 0 for k in keys - {K, d, T}):
                continue
            x = xa - xb
            if x >= 0 and all(diff.get(k, 0) <= 0 for k in (K, d, T)) and \
                    (x != 0 or any(diff.get(k, 0) != 0 for k in (K, d, T))):
                dominated = True
                break
        if not dominated:
            out.append(terms[ia])
    return out


def theorem2_leading():
    """Theorem 2 (OLMC), leading terms: C L⁴α⁴ (E[F(X_0) - F(x*)] + 1) + C L⁴α⁴ K d² T.

    Valid when αL < c_1 and α³L³T < c_2 (notes 4.3).
    """
    return C * L**4 * alpha**4 * (Delta(1) + 1) + C * L**4 * alpha**4 * K * d**2 * T


def theorem2_terms_eq40():
    """The terms of App. E Eq. (40) (notes 4.3), constants dropped, as a list of monomials.

    (L⁴α⁴, L⁵α⁵K, L⁸α⁸K², L¹⁴α¹⁴K³, L²⁰α²⁰K⁷) times (Δ^{(1,2,3,5,7)} + 1), and the d-T terms.
    """
    init = [L**4 * alpha**4 * (Delta(1) + 1), L**5 * alpha**5 * K * (Delta(2) + 1),
            L**8 * alpha**8 * K**2 * (Delta(3) + 1), L**14 * alpha**14 * K**3 * (Delta(5) + 1),
            L**20 * alpha**20 * K**7 * (Delta(7) + 1)]
    dT = [L**4 * alpha**4 * K * d**2 * T, L**7 * alpha**7 * K * d**2 * T**2,
          L**6 * alpha**6 * K**2 * d**3 * T, L**11 * alpha**11 * K**2 * d**3 * T**3,
          L**10 * alpha**10 * K**3 * d**5 * T, L**19 * alpha**19 * K**3 * d**5 * T**5,
          L**14 * alpha**14 * K**7 * d**7 * T, L**27 * alpha**27 * K**7 * d**7 * T**7]
    return init + dT


@functools.lru_cache(maxsize=None)
def theorem2_terms_derived():
    """Eq. (40) re-derived: :func:`theorem1_summand_from_lemmas` (r = 7) pruned by
    :func:`prune_dominated`. Returns a tuple of monomials."""
    return tuple(prune_dominated(theorem1_summand_from_lemmas(7)))


def theorem3_leading():
    """Theorem 3 (ULMC), notes 4.4:

    .. math::

        \\frac{C\\alpha^6 L^4}{\\gamma^2}\\big[E F(U_0 + V_0/\\gamma) - F(x^*) + E\\|V_0\\|^2 + 1\\big]
        + C\\,\\frac{K\\alpha^7 L^4 T^2 (d + \\log K)^2}{\\gamma},

    valid when γ > C_1√L, αγ < c_1 and T < c_2 γ/(L²α³). ``Phi0`` stands for the bracket.
    """
    Phi0 = sp.Symbol("Phi_0", positive=True)
    return C * alpha**6 * L**4 / gamma**2 * Phi0 + C * K * alpha**7 * L**4 * T**2 \
        * (d + sp.log(K)) ** 2 / gamma


def theorem3_terms():
    """The legible terms of App. F Eq. (60) (notes 4.4; the equation is partly garbled):
    the leading init term, C α⁷ L³ γ T (d + log K) and K α⁷ L⁴ T² (d + log K)²/γ."""
    Phi0 = sp.Symbol("Phi_0", positive=True)
    return [alpha**6 * L**4 / gamma**2 * Phi0,
            alpha**7 * L**3 * gamma * T * (d + sp.log(K)),
            K * alpha**7 * L**4 * T**2 * (d + sp.log(K)) ** 2 / gamma]


def theorem2_bound():
    """Theorem 2 with all lower-order terms of Eq. (40): C · Σ (terms), C the universal
    constant (notes 4.3; valid for αL < c_1, α³L³T < c_2)."""
    return C * sp.Add(*theorem2_terms_eq40())


def theorem3_bound():
    """Theorem 3 with the legible lower-order terms of Eq. (60): C · Σ (terms) (notes 4.4;
    valid for γ > C_1√L, αγ < c_1, T < c_2 γ/(L²α³))."""
    return C * sp.Add(*theorem3_terms())


#: App. G parameter choices as printed (notes 4.6), c_0 etc. dropped. ``olmc_alpha_terms`` are
#: the two arguments of the min; the second is the OCR'd, dimensionally inconsistent one
#: (notes 9.5).
APP_G = {
    "olmc_fine_step": lam * eps**2 / (16 * d * L**2),
    "olmc_alpha_terms": (eps * sp.sqrt(lam) / (L**sp.Rational(3, 2) * d**sp.Rational(3, 4)),
                         lam**sp.Rational(7, 27) * eps**sp.Rational(2, 27)
                         / (L**sp.Rational(20, 27) * d**sp.Rational(7, 54))),
    "olmc_K": 1 / (alpha * L * sp.sqrt(d)),
    "olmc_T": 1 / (alpha * lam),
    "ulmc_lmc_step": eps * sp.sqrt(lam) / (L * sp.sqrt(d)),
    "ulmc_lmc_T": L**sp.Rational(3, 2) * sp.sqrt(d) / (lam**sp.Rational(3, 2) * eps),
    "ulmc_alpha": sp.sqrt(eps / L) * (lam / (L * d)) ** sp.Rational(5, 12),
    "ulmc_K": lam**sp.Rational(1, 3) / (alpha * d**sp.Rational(1, 3) * L**sp.Rational(5, 6)),
    "ulmc_T": sp.sqrt(L) / (lam * alpha),
}


def time_dimension(expr, dynamics="overdamped"):
    """Exponent of the time unit in ``expr`` (ε, d, K, T dimensionless).

    Overdamped: time ~ x², L and λ ~ 1/x² = 1/time, so a step size must have dimension 1.
    Underdamped (unit mass, V ~ N(0, 1)): time ~ x, L, λ ~ 1/time², γ ~ 1/time.
    Computed as the exponent of the scale factor τ after L → L/τ^a, λ → λ/τ^a, γ → γ/τ and
    α → τα (a step is a time). So a step-size formula has dimension 1 and K, T, complexities 0.
    """
    tau = sp.Symbol("tau", positive=True)
    a = 1 if dynamics == "overdamped" else 2
    scaled = sp.sympify(expr).subs({L: L / tau**a, lam: lam / tau**a, gamma: gamma / tau,
                                    alpha: alpha * tau}, simultaneous=True)
    return sp.simplify(tau * sp.diff(sp.log(scaled), tau))
