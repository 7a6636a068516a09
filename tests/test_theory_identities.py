"""Symbolic proofs (sympy, simplify-to-zero, no sampling) of the exact identities of PLMC.

Kandasamy & Nagaraj (NeurIPS 2024, arXiv 2405.17068); "notes x.y" = plmc_paper_notes.md.
Each test names the paper statement it proves and the range it covers.
"""
import random

import pytest
import sympy as sp

from langevin_theory.theory import identities as I
from langevin_theory.theory.coefficients import (
    gamma, h, n, overdamped_coefficients, q, s, t, underdamped_coefficients)

DYNAMICS = ("overdamped", "underdamped")


# --- scaling relations (paper Sec. 2.1, notes 1.2) ------------------------------------------

@pytest.mark.parametrize("dynamics", DYNAMICS)
@pytest.mark.parametrize("relation", ["power", "drift_sum", "noise_sum"])
def test_scaling_relations_symbolic_n(dynamics, relation):
    """(A_h)^n = A_{nh}, (Σ A_h^i) G_h = G_{nh}, Σ A_h^i Γ_h² (A_h^T)^i = Γ²_{nh} for symbolic
    h, n, γ: matrix power by Jordan form, sums by symbolic geometric summation -- all n at once."""
    res = I.scaling_relation_residuals(dynamics)[relation]
    assert res.free_symbols <= {h, n, gamma} | {sp.Symbol("i", integer=True, nonnegative=True)}
    assert I.is_zero(res)


@pytest.mark.parametrize("dynamics", DYNAMICS)
@pytest.mark.parametrize("relation", ["power", "drift_sum", "noise_sum", "at_zero"])
def test_semigroup_induction_step(dynamics, relation):
    """A_{s+t} = A_s A_t, G_{s+t} = G_s + A_s G_t, Γ²_{s+t} = Γ²_s + A_s Γ²_t A_s^T and the values
    at 0, for symbolic s, t, γ: the induction step that proves the n-step relations for all n."""
    assert I.is_zero(I.semigroup_residuals(dynamics)[relation])


def test_semigroup_check_detects_a_wrong_noise_matrix():
    """The same check rejects Γ² with the off-diagonal (1-e^{-γh})/γ instead of (1-e^{-γh})²/γ
    (a plausible transcription error), so the proofs above are not vacuous."""
    def Q_wrong(step):
        Q = underdamped_coefficients(step)[2]
        Q[0, 1] = Q[1, 0] = (1 - sp.exp(-gamma * step)) / gamma
        return Q
    As = underdamped_coefficients(s)[0]
    res = Q_wrong(s + t) - (Q_wrong(s) + As * Q_wrong(t) * As.T)
    assert not I.is_zero(res)


def test_overdamped_coefficients_values():
    A, G, Q = overdamped_coefficients(h)
    assert (A[0], G[0], Q[0]) == (1, h, 2 * h)


def test_underdamped_small_step_limit():
    """Γ_h² = diag(0, 2γh) + O(h²) and A_h = I + h[[0, 1], [0, -γ]] + O(h²): the OU generator of
    dU = V dτ, dV = -γV dτ + √(2γ) dB (notes 1.1)."""
    A, G, Q = underdamped_coefficients(h)
    lin = lambda M: M.applyfunc(lambda e: sp.series(e, h, 0, 2).removeO())  # noqa: E731
    assert sp.simplify(lin(A) - (sp.eye(2) + h * sp.Matrix([[0, 1], [0, -gamma]]))) == sp.zeros(2)
    assert sp.simplify(lin(Q) - sp.Matrix([[0, 0], [0, 2 * gamma * h]])) == sp.zeros(2)
    assert sp.simplify(lin(G) - sp.Matrix([[0, 0], [h, 0]])) == sp.zeros(2)


# --- one-step form == recursion (8) (Prop. 1, notes 2.2 with corrections 9.1-9.2, 8.4) -------

ONE_STEP_CASES = [("overdamped", K, drift) for K in (1, 2, 3, 4) for drift in ("linear", "general")]
ONE_STEP_CASES += [("underdamped", K, drift) for K in (1, 2, 3) for drift in ("linear", "general")]


@pytest.mark.parametrize("dynamics,K,drift", ONE_STEP_CASES)
def test_one_step_algorithm_equals_recursion8(dynamics, K, drift):
    """Steps 1-5 (A_{(K-1-i_k)h} G_h correction, i_{N+1} = K) equal recursion (8) pathwise, for
    every H in {0,1}^K (this covers both options' supports), symbolic X, Z_0..Z_{K-1}, Γ_h, h, γ
    and a linear drift with symbolic coefficients (``linear``) or an arbitrary nonlinear drift
    (``general``, undefined sympy functions). K is bounded (4 overdamped, 3 underdamped: 2^K
    index sets of K-term sums) because the index set {i_k} has no closed form in symbolic K."""
    for H in I.all_midpoint_sets(K):
        assert I.is_zero(I.one_step_residual(dynamics, K, H, drift)), H


def _random_point(expr, seed=0):
    rng = random.Random(seed)
    pt = {x: sp.Rational(rng.randint(1, 9), rng.randint(2, 7)) for x in expr.free_symbols}
    pt[gamma] = sp.Rational(3, 2)
    pt[h] = sp.Rational(1, 5)
    pt.pop(q, None)
    return pt


@pytest.mark.parametrize("K,H", [(2, (0, 1)), (3, (1, 1, 0)), (3, (0, 0, 1))])
def test_ocr_correction_is_wrong(K, H):
    """Notes 9.1: the OCR'd correction G_{(K-1-i_k)h} (instead of A_{(K-1-i_k)h} G_h) is not equal
    to recursion (8) for ULMC: an exact counterexample at a rational point (q = e^{-γh})."""
    res = I.one_step_residual("underdamped", K, H, "linear", ocr_variant=True)
    vals = I.value_at(res, _random_point(res))
    assert max(abs(v) for v in vals) > 1e-6


def test_ocr_final_index_is_wrong():
    """Notes 9.2: i_{N+1} = K - 1 drops the last fine step's noise (Γ_h Z_{K-1} survives in the
    residual), so i_{N+1} = K is required."""
    res = I.one_step_residual("overdamped", 3, (0, 1, 0), "linear", final_index=2)
    z_last = sp.Symbol("z2_0", real=True)
    assert sp.expand(res[0]).coeff(z_last) != 0


# --- unbiasedness and conditional mean (notes 2.5, 8.6) --------------------------------------

@pytest.mark.parametrize("name", ["option1_KH", "option2_KH", "option1_expected_midpoints",
                                  "option2_expected_midpoints", "no_midpoint_limit"])
def test_unbiasedness_symbolic_K(name):
    """E_H[K H_i] = 1 and E[N_t] = 1 (2 drift evaluations per step in expectation, Prop. 1) for
    both options with symbolic K; P(N_t = 0) = (1 - 1/K)^K -> e^{-1} (Remark 1)."""
    assert I.is_zero(I.unbiasedness_residuals()[name])


@pytest.mark.parametrize("dynamics,K", [("overdamped", k) for k in (1, 2, 3, 4)]
                         + [("underdamped", k) for k in (1, 2, 3)])
def test_conditional_mean_is_interpolated_fine_chain(dynamics, K):
    """E_H[X' | X, Z] = A_α X + Σ_i A_{(K-1-i)h}(G_h b(X̂_i) + Γ_h Z_i) for an arbitrary nonlinear
    drift b (notes 8.6): recursion (8) is affine in H and E[H_i] = 1/K under both options.
    Fixed K (<= 4 / 3) because recursion (8) has K explicit terms."""
    assert I.is_zero(I.conditional_mean_residual(dynamics, K, "general"))


def test_conditional_mean_differs_from_single_realisation():
    """Non-vacuity: a single realisation (H = (0, 1)) is not the conditional mean."""
    x_end, _ = I.recursion8("overdamped", 2, (0, 1), "general")
    mean, _ = I.recursion8("overdamped", 2, [sp.Rational(1, 2)] * 2, "general")
    assert not I.is_zero(x_end - mean)


def test_underdamped_correction_vector():
    """Notes 2.4: K A_s G_h (-Δg, 0) = -K((g1 + (1-e^{-γs})/γ g2)Δg, e^{-γs} g2 Δg), symbolic s, h, γ."""
    assert I.is_zero(I.underdamped_correction_residual())


# --- Gaussian perturbation KLs (paper Sec. 2.1, notes 4.1 intuition, 8.7) -------------------

def test_gaussian_kl_closed_form():
    """KL(N(m1, v1) || N(m0, v0)) from the integral equals ½[v1/v0 + (m1-m0)²/v0 - 1 - log(v1/v0)]."""
    m1, m0 = sp.symbols("m1 m0", real=True)
    v1, v0 = sp.symbols("v1 v0", positive=True)
    kl = I.gaussian_kl(m1, v1, m0, v0)
    closed = (v1 / v0 + (m1 - m0) ** 2 / v0 - 1 - sp.log(v1 / v0)) / 2
    assert sp.simplify(sp.expand_log(kl - closed, force=True)) == 0


def test_kl_mean_shift_is_exactly_eps2_over_2():
    kl = I.kl_perturbation_series()
    assert sp.simplify(kl["shift"] - kl["eps"] ** 2 / 2) == 0


def test_kl_variance_inflation_is_eps4_over_4():
    """KL(N(0, 1+ε²) || N(0, 1)) = ½(ε² - log(1+ε²)) = ε⁴/4 - ε⁶/6 + O(ε⁸): Θ(ε⁴), not Θ(ε²)."""
    kl = I.kl_perturbation_series()
    eps = kl["eps"]
    assert sp.simplify(kl["inflate"] - (eps**2 - sp.log(1 + eps**2)) / 2) == 0
    ser = kl["inflate_series"].removeO()
    assert sp.expand(ser - (eps**4 / 4 - eps**6 / 6)) == 0
    assert sp.limit(kl["inflate"] / eps**4, eps, 0) == sp.Rational(1, 4)


def test_is_zero_rejects_nonzero():
    assert not I.is_zero(sp.exp(-gamma * h) - 1 + gamma * h)
    assert I.is_zero(sp.exp(-gamma * (s + t)) - sp.exp(-gamma * s) * sp.exp(-gamma * t))
