"""Closed-form stationary covariances of LMC and ULMC on Gaussian targets."""
import math

import numpy as np
import pytest

from langevin_theory import reference as R


def _spd(d, seed):
    g = np.random.default_rng(seed)
    A = g.standard_normal((d, d))
    return A @ A.T / d + 0.5 * np.eye(d)


def test_lmc_lyapunov_matches_1d_formula_and_closed_form():
    for s2, h in [(1.0, 0.1), (2.5, 0.7), (0.3, 0.05)]:
        S = R.gaussian_lmc_stationary_cov([[s2]], h)
        assert S[0, 0] == pytest.approx(s2 / (1 - h / (2 * s2)), rel=1e-13)
    S = _spd(4, 0)
    h = 0.2 * np.linalg.eigvalsh(S)[0]
    out = R.gaussian_lmc_stationary_cov(S, h)
    # Sigma = S (I - h P / 2)^{-1}: commutes with S
    ref = S @ np.linalg.inv(np.eye(4) - 0.5 * h * np.linalg.inv(S))
    assert np.max(np.abs(out - ref)) < 1e-12
    with pytest.raises(ValueError):
        R.gaussian_lmc_stationary_cov(S, 3 * np.linalg.eigvalsh(S)[0])


def test_ulmc_coefficients_satisfy_scaling_relations():
    # notes 1.2: A_h^n = A_{nh}; (sum_i A_h^i) G_h = G_{nh}; sum_i A^i Q_h A^iT = Q_{nh}
    h, n, g = 0.013, 37, 1.7
    A, G, Q = R.ulmc_coefficients(h, g, 2)
    An, Gn, Qn = R.ulmc_coefficients(n * h, g, 2)
    P = [np.linalg.matrix_power(A, i) for i in range(n)]
    assert np.max(np.abs(P[-1] @ A - An)) < 1e-13
    assert np.max(np.abs(sum(P) @ G - Gn)) < 1e-13
    assert np.max(np.abs(sum(p @ Q @ p.T for p in P) - Qn)) < 1e-13


def test_ulmc_stationary_cov_solves_lyapunov_and_tends_to_target():
    S = _spd(2, 1)
    g = 2.0
    out = R.gaussian_ulmc_stationary_cov(S, 0.05, g)
    # independent check: vec(Sigma) = (I - M kron M)^{-1} vec(Q)
    A, G, Q = R.ulmc_coefficients(0.05, g, 2)
    B = np.zeros((4, 4))
    B[:2, :2] = -np.linalg.inv(S)
    M = A + G @ B
    vec = np.linalg.solve(np.eye(16) - np.kron(M, M), Q.ravel())
    assert np.max(np.abs(out - vec.reshape(4, 4))) < 1e-12
    # h -> 0: position block -> S, velocity block -> I, bias O(h)
    target = np.block([[S, np.zeros((2, 2))], [np.zeros((2, 2)), np.eye(2)]])
    errs = [np.max(np.abs(R.gaussian_ulmc_stationary_cov(S, h, g) - target))
            for h in (0.02, 0.01)]
    assert errs[1] < 0.05 and 1.6 < errs[0] / errs[1] < 2.4


def test_midpoint_formula_with_k1_is_lmc():
    for h in (0.1, 0.4):
        assert R.gaussian_midpoint_stationary_var(1.3, h, [0.0]) == pytest.approx(
            R.gaussian_lmc_stationary_var(1.3, h), rel=1e-14)


def test_ulmc_stationary_cov_matches_simulate():
    # Monte Carlo check of the closed form against the core simulator (an independent
    # implementation): ULMC on N(0, 1.5), h = 0.4, friction 2; 5e4 chains from the target,
    # 100 steps (40 time units, many relaxation times). Closed form: Var U = 1.60619,
    # Var V = 1.06744, i.e. 11 standard errors away from the target's (1.5, 1).
    import langevin_theory as lt
    t = lt.targets.Gaussian(0.0, 1.5)
    n = 50_000
    res = lt.simulate(t, lt.schemes.LMC(), lt.dynamics.Underdamped(friction=2.0),
                      step_size=0.4, n_steps=100, n_chains=n, rng=5,
                      x0=t.sample(n, np.random.default_rng(6)))
    C = R.gaussian_ulmc_stationary_cov([[1.5]], 0.4, 2.0)
    for samples, var in ((res.positions[:, 0], C[0, 0]), (res.velocities[:, 0], C[1, 1])):
        se = math.sqrt(2.0) * var / math.sqrt(n)        # se of a Gaussian sample variance
        assert abs(samples.var() - var) < 4 * se
    assert abs(res.positions[:, 0].var() - 1.5) > 8 * math.sqrt(2.0) * 1.5 / math.sqrt(n)


def test_monte_carlo_law_declares_its_sample_size():
    import langevin_theory as lt
    t = lt.targets.Gaussian(0.0, 1.0)
    mc = R.monte_carlo_law(t, lt.schemes.PoissonMidpoint(substeps=4, option=1), 0.25, 40,
                           n_chains=20_000, rng=3)
    assert mc.samples.shape == (20_000, 1) and len(mc) == 20_000
    assert "n_chains=20000" in mc.description
    # sanity: OPTION 1 on N(0, 1) at alpha = 1/4 keeps the variance within 10% of 1 (the
    # sample variance has se 0.01; a broken start law or step would move it by O(1))
    assert abs(mc.samples.var() - 1.0) < 0.1
    with pytest.raises(ValueError):
        R.monte_carlo_law(t, lt.schemes.LMC(), 0.1, 1, n_chains=1)
