"""The grid propagator: closed forms on Gaussians, identities, convergence, errors."""
import math

import numpy as np
import pytest

import langevin_theory as lt
from langevin_theory import metrics
from langevin_theory import reference as R

LMC = lt.schemes.LMC
RLMC = lt.schemes.RandomizedMidpoint


def PLMC2(K):
    return lt.schemes.PoissonMidpoint(substeps=K, option=2)


GAUSS = lt.targets.Gaussian(0.3, 1.7)


def _gauss_grid(h, dx=0.03):
    return R.uniform_grid(0.3 - 16, 0.3 + 16, dx)


@pytest.mark.parametrize("h", [0.5, 0.125])
def test_lmc_stationary_variance_equals_closed_form(h):
    law = R.stationary_law(GAUSS, LMC(), h, _gauss_grid(h))
    assert abs(law.var() - R.gaussian_lmc_stationary_var(1.7, h)) <= 1e-8
    assert abs(law.mean() - 0.3) <= 1e-10


@pytest.mark.parametrize("K", [2, 4])
def test_option2_stationary_variance_equals_closed_form(K):
    h = 0.25
    law = R.stationary_law(GAUSS, PLMC2(K), h, _gauss_grid(h))
    ref = R.gaussian_midpoint_stationary_var(1.7, h, np.arange(K) / K)
    assert abs(law.var() - ref) <= 1e-8


def test_rlmc_stationary_variance_equals_closed_form():
    h = 0.25
    law = R.stationary_law(GAUSS, RLMC(), h, _gauss_grid(h, 0.05), n_u=12)
    # on a Gaussian target the kernel is quadratic in u, so 12 Gauss-Legendre nodes are exact
    assert abs(law.var() - R.gaussian_midpoint_stationary_var(1.7, h, "uniform")) <= 1e-8


def test_option2_with_one_substep_is_lmc():
    t = lt.targets.LogCosh()
    x = R.uniform_grid(-10, 10, 0.05)
    P1, _, _ = R.transition_matrix(t, PLMC2(1), 0.25, x)
    P0, _, _ = R.transition_matrix(t, LMC(), 0.25, x)
    assert np.max(np.abs(P1 - P0)) <= 1e-15


def test_midpoint_kernel_tends_to_lmc_as_u_to_zero():
    # RLMC restricted to u = eps: as eps -> 0 the kernel becomes LMC's (difference O(eps))
    t = lt.targets.LogCosh()
    x = R.uniform_grid(-10, 10, 0.05)
    import importlib
    P = importlib.import_module("langevin_theory.reference.propagate")
    g = P._grad(t, x)
    lmc = P._lmc_rows(x, g, 0.25, x)
    d = []
    for eps in (1e-3, 5e-4):
        mid = P._midpoint_rows(t, x, g, 0.25, eps, x, 0.5)
        d.append(np.max(np.abs(mid - lmc)))
    assert d[0] < 1e-3 and 1.7 < d[0] / d[1] < 2.3


def _fine_step_conditional_mean(target, x0, alpha, us, weights):
    """x0 - alpha sum_u w_u E[F'(a_u + W_u)], by 120-point Gauss-Hermite (independent)."""
    t, w = np.polynomial.hermite_e.hermegauss(120)
    w = w / w.sum()
    g0 = target.grad_potential(np.array([[x0]]))[0, 0]
    total = 0.0
    for u, wu in zip(us, weights):
        a = x0 - u * alpha * g0
        pts = a + math.sqrt(2 * u * alpha) * t
        total += wu * float(w @ target.grad_potential(pts[:, None])[:, 0])
    return x0 - alpha * total


@pytest.mark.parametrize("scheme,K", [("plmc", 4), ("plmc", 8), ("rlmc", None)])
def test_u_average_reproduces_fine_step_conditional_mean(scheme, K):
    # E[X' | x] = x - (alpha/K) sum_{i<K} E F'(X_hat_i): the K fine steps' drifts evaluated at
    # the interpolated points (notes 8.6); RLMC: the u-integral of the same
    import importlib
    Pm = importlib.import_module("langevin_theory.reference.propagate")
    target = lt.targets.LogCosh()
    alpha = 0.25
    x = R.uniform_grid(-11, 11, 0.02)
    sch = PLMC2(K) if scheme == "plmc" else RLMC()
    src = np.array([-2.5, -0.3, 0.0, 0.9, 3.1])
    rows, _ = Pm._normalise_rows(Pm._rows(target, sch, alpha, src, x, 32, 0.5))
    us, ws = R.scheme_u_law(sch, 32)
    for i, x0 in enumerate(src):
        mean = float(rows[i] @ x)
        ref = _fine_step_conditional_mean(target, x0, alpha, us, ws)
        assert abs(mean - ref) < 1e-10


def test_quadrature_and_u_rule_convergence():
    import importlib
    Pm = importlib.import_module("langevin_theory.reference.propagate")
    target = lt.targets.LogCosh()
    x = R.uniform_grid(-11, 11, 0.04)
    src = x[::10]
    a = Pm._rows(target, RLMC(), 0.25, src, x, 16, 0.5)
    b = Pm._rows(target, RLMC(), 0.25, src, x, 32, 0.5)
    c = Pm._rows(target, RLMC(), 0.25, src, x, 16, 0.25)
    # measured: n_u 16 -> 32 and quad_ratio 0.5 -> 0.25 change entries (of size up to 0.05)
    # by <= 6e-11; bounds leave a factor ~20
    assert np.max(np.abs(a - b)) < 1e-9
    assert np.max(np.abs(a - c)) < 1e-9


def test_grid_refinement_changes_w2_by_less_than_1e_4():
    target = lt.targets.LogCosh()
    exact = R.exact_law(target)
    alpha = 0.25
    out = []
    for dx in (0.08, 0.04):
        x = R.uniform_grid(-13, 13, dx)
        law = R.stationary_law(target, PLMC2(4), alpha, x)
        out.append(metrics.w2_grid(law, exact).value)
    assert abs(out[1] - out[0]) / out[1] <= 1e-4


def test_law_from_target_tends_to_stationary_as_step_to_zero():
    # start at pi, run to time T = 1: the SDE leaves pi invariant, so W2(law_T, pi) -> 0 like
    # the O(alpha) bias of LMC: halving alpha halves it (ratio 2 +- 15%). Measured
    # W2 = 0.0160, 0.00803, 0.00402, i.e. 0.257 alpha (the stationary bias is 0.286 alpha).
    target = lt.targets.LogCosh()
    exact = R.exact_law(target)
    w = []
    for alpha in (1 / 16, 1 / 32, 1 / 64):
        x = R.uniform_grid(-12, 12, 0.03)
        law = R.propagate(target, LMC(), alpha, int(round(1 / alpha)), "target", x)
        w.append(metrics.w2_grid(law, exact).value)
    assert w[-1] < 0.3 / 64
    assert 1.7 < w[0] / w[1] < 2.3 and 1.7 < w[1] / w[2] < 2.3


def test_point_mass_first_step_is_the_exact_kernel():
    target = lt.targets.LogCosh()
    x = R.uniform_grid(-12, 12, 0.02)
    x0, alpha = 0.7, 0.25
    law = R.propagate(target, LMC(), alpha, 1, x0, x)
    m = x0 - alpha * target.grad_potential(np.array([[x0]]))[0, 0]
    ref = R.Normal1D(m, math.sqrt(2 * alpha))
    assert np.max(np.abs(law.density - ref.pdf(x))) < 1e-12
    # propagate from a GridLaw equals propagate from 'target'
    a = R.propagate(target, LMC(), alpha, 3, "target", x)
    b = R.propagate(target, LMC(), alpha, 3, R.target_law(target, x), x)
    assert np.max(np.abs(a.density - b.density)) < 1e-14


def test_errors():
    t = lt.targets.LogCosh()
    with pytest.raises(ValueError, match="Monte Carlo"):
        R.stationary_law(t, lt.schemes.PoissonMidpoint(substeps=4, option=1), 0.25)
    with pytest.raises(ValueError):
        R.stationary_law(lt.targets.LogCosh(dim=2), LMC(), 0.25)
    with pytest.raises(ValueError):
        R.stationary_law(t, LMC(), -0.1)
    with pytest.raises(ValueError):
        R.propagate(t, LMC(), 0.1, 0, 0.5)
    with pytest.raises(ValueError):
        R.propagate(t, LMC(), 0.1, 2, "nonsense")
    with pytest.raises(ValueError):
        R.transition_matrix(t, object(), 0.1)
