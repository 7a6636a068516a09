"""The paper's bounds as expressions and the complexity table derived from them.

Kandasamy & Nagaraj (NeurIPS 2024): Theorems 1-3, App. E Eq. (40), App. G, Table 1 (notes 4.6).
"""
import sympy as sp

from langevin_theory.theory import bounds as B
from langevin_theory.theory import complexity as Cx


def _strip_plus_one(terms):
    return {sp.expand(tm.subs({B.Delta(p) + 1: B.Delta(p) for p in (1, 2, 3, 5, 7)}))
            for tm in terms}


def test_eq40_rederived_from_theorem1_and_lemmas():
    """Theorem 1 (r = 7) + the App. E lemmas (E‖B‖², E β^{2p}, gradient moments), with dominated
    monomials pruned (αL ≤ 1, K, d, T ≥ 1), give exactly the 13 terms of Eq. (40) as extracted
    (the '+1' next to each Δ^{(p)} aside). This checks the OCR'd exponents of Eq. (40)."""
    derived = {sp.expand(t) for t in B.theorem2_terms_derived()}
    assert derived == _strip_plus_one(B.theorem2_terms_eq40())
    assert len(derived) == 13


def test_pruning_is_not_vacuous():
    """Before pruning the lemma-derived sum has terms that Eq. (40) omits (e.g. L⁴α⁴dT, which
    L⁴α⁴Kd²T dominates), and a wrong lemma exponent changes the result."""
    raw = {sp.expand(t) for t in B.theorem1_summand_from_lemmas(7)}
    assert sp.expand(B.L**4 * B.alpha**4 * B.d * B.T) in raw
    assert raw != _strip_plus_one(B.theorem2_terms_eq40())
    assert B.prune_dominated([B.alpha * B.L, B.alpha**2 * B.L**2]) == [B.alpha * B.L]
    assert B.prune_dominated([B.K * B.alpha * B.L, B.alpha**2 * B.L**2]) == [B.K * B.alpha * B.L]
    assert len(B.prune_dominated([B.K * B.alpha**2 * B.L**2, B.alpha * B.L])) == 2


def test_theorem2_leading_term_is_in_eq40():
    lead = sp.expand(B.theorem2_leading().subs(B.C, 1))
    assert set(sp.Add.make_args(lead)) <= _strip_plus_one(B.theorem2_terms_eq40()) | {
        B.L**4 * B.alpha**4}


def test_full_bounds_carry_the_universal_constant():
    """Theorems 2 and 3 with their lower-order terms are C times a sum of the listed terms."""
    for bound, terms in ((B.theorem2_bound(), B.theorem2_terms_eq40()),
                         (B.theorem3_bound(), B.theorem3_terms())):
        assert sp.expand(bound - B.C * sp.Add(*terms)) == 0
        assert sp.diff(bound, B.C) != 0


def test_theorem1_structure():
    """Theorem 1's RHS: Σ_{s<T} Σ_{i<K} (E‖B‖² + C E[β⁴/K² + β¹⁰/K³ + β⁶/K² + β^{2r}/K])."""
    rhs = B.theorem1_rhs()
    assert isinstance(rhs, sp.Sum)
    (i, i0, i1), (s, s0, s1) = rhs.limits
    assert (i0, i1, s0, s1) == (0, B.K - 1, 0, B.T - 1)
    Eb = sp.Function("Ebeta")
    powers = {f.args[0] for f in rhs.function.atoms(sp.Function) if f.func == Eb}
    assert powers == {4, 6, 10, 2 * B.r}


def _alpha_order(expr, alpha=B.alpha):
    return sp.simplify(alpha * sp.diff(sp.log(expr), alpha))


def test_quadratic_speedup_orders():
    """Notes 4.5: with T = τ/α and K = 1/α, Theorem 2's growing term L⁴α⁴Kd²T is O(α²) (KL),
    Theorem 3's Kα⁷L⁴T²(d + log K)²/γ is O(α⁴) up to log: KL of PLMC(α, 1/α) to LMC(α²)."""
    tau = sp.Symbol("tau", positive=True)
    sub = {B.K: 1 / B.alpha, B.T: tau / B.alpha}
    assert _alpha_order((B.L**4 * B.alpha**4 * B.K * B.d**2 * B.T).subs(sub)) == 2
    th3 = B.theorem3_terms()[2].subs(sp.log(B.K), 0).subs(sub)
    assert _alpha_order(th3) == 4
    # at fixed α and T, Theorem 2's bound grows linearly in K (notes 8.8)
    assert sp.diff(B.theorem2_leading(), B.K, 2) == 0


def test_all_app_g_step_choices_are_times():
    """Every App. G step size has the dimension of a time, K and T are dimensionless -- except
    the OCR'd second OLMC term (notes 9.5)."""
    G = B.APP_G
    assert B.time_dimension(G["olmc_fine_step"]) == 1
    assert B.time_dimension(G["olmc_K"]) == 0 and B.time_dimension(G["olmc_T"]) == 0
    for k in ("ulmc_lmc_step", "ulmc_alpha"):
        assert B.time_dimension(G[k], "underdamped") == 1
    for k in ("ulmc_K", "ulmc_T", "ulmc_lmc_T"):
        assert B.time_dimension(G[k], "underdamped") == 0
    first, second = G["olmc_alpha_terms"]
    assert B.time_dimension(first) == 1
    assert B.time_dimension(second) == sp.Rational(13, 27)  # flagged: not a time


# --- complexity table (notes 4.6 / paper Table 1) -------------------------------------------

def test_complexity_exponents_match_notes_table():
    """Exponents (κ, d, ε) of the drift-evaluation counts derived from the step-size choices:
    OLMC: LMC κ² d ε⁻² vs PLMC κ^{3/2} d^{3/4} ε⁻¹;
    ULMC: LMC κ^{3/2} d^{1/2} ε⁻¹ vs PLMC κ^{17/12} d^{5/12} ε^{-1/2}."""
    table = Cx.complexity_table()
    assert {k: tuple(v["exponents"]) for k, v in table.items()} == {
        ("OLMC", "LMC"): (2, 1, -2),
        ("OLMC", "PLMC"): (sp.Rational(3, 2), sp.Rational(3, 4), -1),
        ("ULMC", "LMC"): (sp.Rational(3, 2), sp.Rational(1, 2), -1),
        ("ULMC", "PLMC"): (sp.Rational(17, 12), sp.Rational(5, 12), -sp.Rational(1, 2)),
    }
    assert all(tuple(v["exponents"]) == tuple(Cx.NOTES_TABLE[k]) for k, v in table.items())


def test_epsilon_exponent_is_halved():
    """The 'quadratic improvement': PLMC's ε exponent is half of LMC's in both rows."""
    t = Cx.complexity_table()
    for dyn in ("OLMC", "ULMC"):
        assert t[(dyn, "PLMC")]["exponents"][2] * 2 == t[(dyn, "LMC")]["exponents"][2]


def test_binding_terms_and_app_g_agreement():
    """The binding constraints are Theorem 2's L⁴α⁴Kd²T and Theorem 3's Kα⁷L⁴T²(d+log K)²/γ; the
    derived α and K agree with App. G's printed choices up to constants."""
    o, u = Cx.olmc_plmc(), Cx.ulmc_plmc()
    assert sp.expand(o["binding"]) == sp.expand(B.K * B.L**4 * B.T * B.alpha**4 * B.d**2)
    assert u["binding"] == B.theorem3_terms()[2]
    chk = Cx.check_app_g()
    assert chk["olmc_alpha_matches_first_term"] and chk["olmc_K_matches"]
    assert chk["ulmc_alpha_matches"] and chk["ulmc_K_matches"]


def test_app_g_second_olmc_term_is_flagged():
    """Notes 9.5: λ^{7/27} ε^{2/27}/(L^{20/27} d^{7/54}) is not a time (dimension 13/27); with
    L^{34/27} it is. The λ^{7/27}/L^{34/27} scaling is that of the Δ^{(7)} term of Eq. (40)
    (α^{27} ∝ ε^{16} λ⁷/(L^{34} d⁷ Δ^{(7)})), whose ε and d exponents differ from the OCR'd ones."""
    chk = Cx.check_app_g()
    assert chk["olmc_second_term_consistent"] is False
    assert B.time_dimension(chk["olmc_second_term_repaired"]) == 1
    cand = [c for c in Cx.olmc_plmc()["candidates"] if c[0].has(B.Delta(7))][0][1]
    ex = Cx.exponents(cand, (B.lam, B.L))
    assert ex == (sp.Rational(7, 27), -sp.Rational(34, 27))


def test_lmc_rows_reproduce_cited_step_sizes():
    """OLMC: 8dL²η/λ = ε²/2 gives App. G's fine step λε²/(16dL²); ULMC: N·η = √L/λ gives the
    cited T = L^{3/2}√d/(λ^{3/2}ε)."""
    assert sp.simplify(Cx.olmc_lmc()["step"] - B.APP_G["olmc_fine_step"]) == 0
    assert sp.simplify(Cx.ulmc_lmc()["cost"] - B.APP_G["ulmc_lmc_T"]) == 0


def test_solve_power_law_and_exponents():
    x, y = sp.symbols("x y", positive=True)
    assert sp.simplify(Cx.solve_power_law(3 * x**4 * y, x, 6) - (2 / y) ** sp.Rational(1, 4)) == 0
    assert Cx.exponents(x**sp.Rational(3, 2) / y, (x, y)) == (sp.Rational(3, 2), -1)


def test_format_table_reports_matches():
    text = Cx.format_table()
    assert text.count("match") == 4 and "MISMATCH" not in text
    assert "dimensionally inconsistent" in text
