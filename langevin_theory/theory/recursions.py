"""Small, independent numpy implementations of the recursions, for checking the algebra.

These are deliberately plain (no numba, no shared code with the core simulators) so that the
theory tests compare the core against a second implementation written straight from the paper:

* :func:`plmc_recursion8` -- PS(A, G, Γ, b, α, K) by recursion (8) (paper Sec. 2.2, notes 2.1);
* :func:`plmc_one_step` -- the same step by the one-step algorithm, Steps 1-5 (notes 2.2 with
  corrections 9.1-9.2), one chain at a time;
* :func:`plmc_conditional_mean` -- E_H of one step by enumerating H (notes 8.6);
* :func:`rlmc_step` -- overdamped RLMC with the shared Z_1 (notes 6.1);
* :func:`fine_coefficients` -- numeric A_{ih}, G_{ih}, Γ_{ih}^2 (notes 1.1).

States have shape (m, p): p = 1 (overdamped, X) or p = 2 (underdamped, (U, V)) for a 1-D
target; ``grad`` maps positions (m,) to ∇F (m,), and the drift is b = -∇F on the position
(and 0 on the velocity).
"""
from __future__ import annotations

import itertools
import math

import numpy as np

__all__ = ["fine_coefficients", "drift_from_grad", "plmc_recursion8", "plmc_one_step",
           "plmc_conditional_mean", "lmc_step", "rlmc_step", "mixture_grad",
           "gaussian_grad", "draw_midpoints"]


def fine_coefficients(step, K, friction=None):
    """[(A_{ih}, G_{ih}, Γ²_{ih}) for i = 0..K] with h = step/K, as (p, p) arrays.

    Overdamped (friction None): A = 1, G = ih, Γ² = 2ih. Underdamped: the ULMC matrices of
    notes 1.1 with friction γ.
    """
    h = step / K
    out = []
    for i in range(K + 1):
        t = i * h
        if friction is None:
            out.append((np.eye(1), np.array([[t]]), np.array([[2 * t]])))
            continue
        g = float(friction)
        e, om = math.exp(-g * t), -math.expm1(-g * t)  # e^{-γt}, 1 - e^{-γt}
        om2 = -math.expm1(-2 * g * t)
        A = np.array([[1.0, om / g], [0.0, e]])
        G = np.array([[(t - om / g) / g, 0.0], [om / g, 0.0]])
        c = om * om / g
        Q = np.array([[2 / g * (t - 2 / g * om + om2 / (2 * g)), c], [c, om2]])
        out.append((A, G, Q))
    return out


def drift_from_grad(grad, p):
    """b(X) = -∇F(U) on the position coordinate (and 0 on the velocity if p = 2)."""
    def b(X):
        out = np.zeros_like(X)
        out[:, 0] = -grad(X[:, 0])
        return out
    return b


def _chol(Q):
    w = np.linalg.eigvalsh(Q)
    if w.min() <= 0:
        raise ValueError("Γ_h² is not positive definite for this step")
    return np.linalg.cholesky(Q)


def _midpoints(X, b0, C, Gam, Z):
    """X̂_i = A_{ih} X + G_{ih} b0 + N_i, i = 0..K-1, with the OU noise of the fine path
    N_i = Σ_{j<i} A_{(i-j-1)h} Γ_h Z_j accumulated as N_{i+1} = A_h N_i + Γ_h Z_i (semigroup
    property, proved in :mod:`identities`); :func:`plmc_one_step` uses the explicit sums."""
    K = Z.shape[1]
    mids = []
    noise = np.zeros_like(X)
    for i in range(K):
        mids.append(X @ C[i][0].T + b0 @ C[i][1].T + noise)
        noise = noise @ C[1][0].T + Z[:, i] @ Gam.T
    return mids


def plmc_recursion8(X, grad, step, K, H, Z, friction=None):
    """One PLMC step by recursion (8), vectorised over chains.

    .. math::

        \\tilde X_{i+1} = A_h \\tilde X_i + G_h[b_0 + K H_i (b(\\hat X_i) - b_0)] + \\Gamma_h Z_i.

    Parameters
    ----------
    X : (m, p) array
    grad : callable, positions (m,) -> ∇F (m,)
    step : float, the coarse step α (h = α/K)
    K : int
    H : (m, K) array of {0, 1}
    Z : (m, K, p) array of standard normals (the fine-path increments)
    friction : float or None (overdamped)
    """
    C = fine_coefficients(step, K, friction)
    Gam = _chol(C[1][2])
    b = drift_from_grad(grad, X.shape[1])
    b0 = b(X)
    mids = _midpoints(X, b0, C, Gam, Z)
    x = X
    for i in range(K):
        corr = K * H[:, i:i + 1] * (b(mids[i]) - b0)
        x = x @ C[1][0].T + (b0 + corr) @ C[1][1].T + Z[:, i] @ Gam.T
    return x


def plmc_one_step(x, grad, step, K, H, Z, friction=None):
    """One PLMC step for ONE chain by Steps 1-5 of notes 2.2 (corrections 9.1, 9.2).

    ``x`` has shape (p,), ``H`` (K,), ``Z`` (K, p). The OU noise M_k between consecutive
    midpoints is built from the same fine increments Z (the coupled Brownian path).
    """
    C = fine_coefficients(step, K, friction)
    Gam = _chol(C[1][2])
    b = drift_from_grad(grad, x.shape[0])
    X = x[None, :]
    b0 = b(X)[0]
    grid = [0, *[i for i in range(K) if H[i]], K]
    M = np.zeros_like(x)
    corr = np.zeros_like(x)
    for k in range(1, len(grid)):
        lo, hi = grid[k - 1], grid[k]
        inc = np.zeros_like(x)
        for j in range(lo, hi):
            inc = inc + C[hi - 1 - j][0] @ (Gam @ Z[j])
        M = C[hi - lo][0] @ M + inc
        if k < len(grid) - 1:
            xhat = C[hi][0] @ x + C[hi][1] @ b0 + M
            corr = corr + K * C[K - 1 - hi][0] @ C[1][1] @ (b(xhat[None, :])[0] - b0)
    return C[K][0] @ x + C[K][1] @ b0 + M + corr


def plmc_conditional_mean(X, grad, step, K, Z, option, friction=None):
    """E_H[one PLMC step | X, Z] by exact enumeration of H (2^K sets or K one-hot vectors)."""
    m = X.shape[0]
    if option == 1:
        sets = list(itertools.product((0, 1), repeat=K))
        probs = [(1 / K) ** sum(H) * (1 - 1 / K) ** (K - sum(H)) for H in sets]
    elif option == 2:
        sets = [tuple(int(i == u) for i in range(K)) for u in range(K)]
        probs = [1 / K] * K
    else:
        raise ValueError("option must be 1 or 2")
    out = np.zeros_like(X)
    for H, pr in zip(sets, probs):
        if pr == 0:
            continue
        out = out + pr * plmc_recursion8(X, grad, step, K, np.tile(H, (m, 1)), Z, friction)
    return out


def draw_midpoints(rng, m, K, option):
    """H of shape (m, K): OPTION 1 iid Ber(1/K); OPTION 2 one uniform index per chain."""
    if option == 1:
        return (rng.random((m, K)) < 1.0 / K).astype(float)
    H = np.zeros((m, K))
    H[np.arange(m), rng.integers(0, K, size=m)] = 1.0
    return H


def lmc_step(X, grad, step, Z, friction=None):
    """One LMC / ULMC step S(A, G, Γ, b, h) (paper Eq. (1)); Z has shape (m, p)."""
    A, G, Q = fine_coefficients(step, 1, friction)[1]
    b = drift_from_grad(grad, X.shape[1])
    return X @ A.T + b(X) @ G.T + Z @ _chol(Q).T


def rlmc_step(X, grad, step, u, Z1, Z2):
    """Overdamped RLMC (notes 6.1), X and Z of shape (m, 1), u of shape (m,):
    X_mid = X - uα∇F(X) + √(2uα) Z1;  X' = X - α∇F(X_mid) + √(2uα) Z1 + √(2(1-u)α) Z2."""
    x = X[:, 0]
    u = np.asarray(u)
    w1 = np.sqrt(2 * u * step) * Z1[:, 0]
    mid = x - u * step * grad(x) + w1
    out = x - step * grad(mid) + w1 + np.sqrt(2 * (1 - u) * step) * Z2[:, 0]
    return out[:, None]


def gaussian_grad(sigma2):
    """∇F for N(0, sigma2): x/σ²."""
    return lambda x: x / sigma2


def mixture_grad(weights, means, variances):
    """∇F for the 1-D mixture Σ_k w_k N(m_k, s_k²), F = -log density (stable log-sum-exp)."""
    w = np.asarray(weights, float)
    mu = np.asarray(means, float)
    s2 = np.asarray(variances, float)

    def grad(x):
        x = np.asarray(x, float)[..., None]
        logp = np.log(w) - 0.5 * np.log(2 * np.pi * s2) - (x - mu) ** 2 / (2 * s2)
        r = np.exp(logp - logp.max(axis=-1, keepdims=True))
        r /= r.sum(axis=-1, keepdims=True)
        return (r * (x - mu) / s2).sum(axis=-1)
    return grad
