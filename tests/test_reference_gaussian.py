"""Closed-form stationary covariances of LMC and ULMC on Gaussian targets."""
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
