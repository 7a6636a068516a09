"""Closed-form stationary laws of the discretised chains on Gaussian targets.

On a Gaussian target N(m, S) (precision P = S^{-1}) every scheme here is a linear-Gaussian
recursion X' = M X + c + noise, so its stationary law is Gaussian with the stationary mean of
the recursion (= m for all schemes below) and covariance solving a discrete Lyapunov equation

    Sigma = M Sigma M^T + Q    (scipy.linalg.solve_discrete_lyapunov).

* LMC (step h):     M = I - h P,   Q = 2 h I.
  In 1-D: Sigma = sigma^2 / (1 - h / (2 sigma^2))  (valid for 0 < h < 2 sigma^2).
* ULMC (notes 1.1, exact OU integration with the gradient frozen for one step): state
  [U; V], b = [-P (U - m); 0], M = A_h + G_h [[-P, 0], [0, 0]], Q = Gamma_h^2.
* Midpoint schemes in 1-D (RLMC, PLMC OPTION 2; notes 2.3 / 6.1): with
  X_hat = X - u h X/s2 + W,  W ~ N(0, 2 u h),  X' = X - h X_hat / s2 + W + V,
  V ~ N(0, 2 (1 - u) h), the step is X' = c_u X + (1 - h/s2) W + V with
  c_u = 1 - h/s2 + u h^2/s2^2, so with u drawn afresh every step
  Var_inf = E_u[2 u h (1 - h/s2)^2 + 2 (1 - u) h] / (1 - E_u[c_u^2]).
"""
from __future__ import annotations

import numpy as np
from scipy import linalg

__all__ = [
    "gaussian_lmc_stationary_cov",
    "gaussian_lmc_stationary_var",
    "gaussian_midpoint_stationary_var",
    "gaussian_ulmc_stationary_cov",
    "ulmc_coefficients",
]


def _check_cov(cov):
    S = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise ValueError(f"cov must be square; got shape {S.shape}")
    if not np.all(np.isfinite(S)) or not np.allclose(S, S.T, rtol=1e-12, atol=0):
        raise ValueError("cov must be finite and symmetric")
    ev = np.linalg.eigvalsh(S)
    if ev[0] <= 0:
        raise ValueError("cov must be positive definite")
    return S, ev


def _check_step(step):
    h = float(step)
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"step must be positive and finite; got {step}")
    return h


def gaussian_lmc_stationary_var(var: float, step: float) -> float:
    """sigma^2 / (1 - h / (2 sigma^2)): stationary variance of 1-D LMC on N(m, sigma^2)."""
    s2, h = float(var), _check_step(step)
    if not s2 > 0:
        raise ValueError("var must be positive")
    if h >= 2 * s2:
        raise ValueError(f"LMC is unstable on N(., {s2}) for step {h} >= 2 var")
    return s2 / (1.0 - h / (2.0 * s2))


def gaussian_lmc_stationary_cov(cov, step: float) -> np.ndarray:
    """Stationary covariance of LMC, X' = X - h P (X - m) + sqrt(2h) Z, on N(m, cov).

    Solves Sigma = (I - hP) Sigma (I - hP)^T + 2h I; equals
    S (I - h P / 2)^{-1} (i.e. sigma^2/(1 - h/(2 sigma^2)) per eigen-direction).

    Raises
    ------
    ValueError
        If h >= 2 lambda_min(S) (the chain has no stationary law).
    """
    S, ev = _check_cov(cov)
    h = _check_step(step)
    if h >= 2 * ev[0]:
        raise ValueError(f"LMC is unstable: step {h} >= 2 lambda_min(cov) = {2 * ev[0]}")
    d = S.shape[0]
    M = np.eye(d) - h * np.linalg.inv(S)
    out = linalg.solve_discrete_lyapunov(M, 2.0 * h * np.eye(d))
    return 0.5 * (out + out.T)


def ulmc_coefficients(step: float, friction: float, d: int = 1):
    """(A_h, G_h, Gamma_h^2) of underdamped LMC (notes 1.1), each (2d, 2d), state [U; V]."""
    h, g = _check_step(step), float(friction)
    if not (np.isfinite(g) and g > 0):
        raise ValueError("friction must be positive")
    e1, e2 = np.exp(-g * h), np.exp(-2 * g * h)
    a12 = -np.expm1(-g * h) / g
    I = np.eye(d)
    Z = np.zeros((d, d))
    A = np.block([[I, a12 * I], [Z, e1 * I]])
    G = np.block([[(h - a12) / g * I, Z], [a12 * I, Z]])
    q11 = (2.0 / g) * (h - 2.0 * a12 + (-np.expm1(-2 * g * h)) / (2 * g))
    q12 = (1.0 - 2.0 * e1 + e2) / g
    q22 = -np.expm1(-2 * g * h)
    Q = np.block([[q11 * I, q12 * I], [q12 * I, q22 * I]])
    return A, G, Q


def gaussian_ulmc_stationary_cov(cov, step: float, friction: float) -> np.ndarray:
    """Stationary covariance (2d x 2d, state [U; V]) of ULMC on the target N(m, cov).

    The chain is X' = A_h X + G_h b(X) + Gamma_h Z with b(X) = [-P (U - m); 0] (the gradient
    frozen for one step), i.e. X' - x* = M (X - x*) + Gamma_h Z with
    M = A_h + G_h [[-P, 0], [0, 0]]; the covariance solves Sigma = M Sigma M^T + Gamma_h^2.
    The position marginal is the top-left d x d block; as h -> 0 it tends to cov and the
    velocity block to I.

    Raises
    ------
    ValueError
        If the recursion is unstable (spectral radius of M >= 1).
    """
    S, _ = _check_cov(cov)
    d = S.shape[0]
    A, G, Q = ulmc_coefficients(step, friction, d)
    P = np.linalg.inv(S)
    B = np.zeros((2 * d, 2 * d))
    B[:d, :d] = -P
    M = A + G @ B
    rho = np.max(np.abs(np.linalg.eigvals(M)))
    if rho >= 1.0:
        raise ValueError(f"ULMC recursion unstable at step {step}, friction {friction} "
                         f"(spectral radius {rho:.6g})")
    out = linalg.solve_discrete_lyapunov(M, Q)
    return 0.5 * (out + out.T)


def gaussian_midpoint_stationary_var(var: float, step: float, u_nodes, u_weights=None) -> float:
    """Stationary variance of a 1-D midpoint scheme on N(m, var) (formula in module doc).

    Parameters
    ----------
    u_nodes, u_weights : array_like
        The law of the midpoint fraction u: PLMC OPTION 2 with K substeps is u uniform on
        {0, 1/K, ..., (K-1)/K} (equal weights); RLMC is u ~ Unif[0, 1], for which
        E[u] = 1/2 and E[u^2] = 1/3 enter; pass ``u_nodes="uniform"`` for that.
    """
    s2, h = float(var), _check_step(step)
    a = 1.0 - h / s2
    if isinstance(u_nodes, str):
        if u_nodes != "uniform":
            raise ValueError("u_nodes must be an array or 'uniform'")
        Eu, Eu2 = 0.5, 1.0 / 3.0
    else:
        u = np.atleast_1d(np.asarray(u_nodes, dtype=np.float64))
        w = np.full(u.size, 1.0 / u.size) if u_weights is None else np.asarray(u_weights, float)
        w = w / w.sum()
        Eu, Eu2 = float(w @ u), float(w @ u ** 2)
    b = h * h / (s2 * s2)
    Ec2 = a * a + 2 * a * b * Eu + b * b * Eu2
    if Ec2 >= 1.0:
        raise ValueError(f"midpoint recursion unstable at step {h} (E c_u^2 = {Ec2:.6g})")
    noise = 2 * h * Eu * a * a + 2 * h * (1.0 - Eu)
    return noise / (1.0 - Ec2)
