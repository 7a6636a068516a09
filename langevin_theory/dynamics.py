"""Langevin dynamics in the paper's linear-Gaussian form S(A, G, Gamma, b, h).

One step of size h of every scheme in this package is built from the exact solution of the
dynamics with the drift frozen (notes section 1.1, Eq. (1)):

    X_{t+1} = A_h X_t + G_h b(X_t) + Gamma_h Z_t,   Z_t ~ N(0, I).

All matrices act component-wise: for a d-dimensional target they are ``M ⊗ I_d`` with a small
s x s *block* ``M`` (s = 1 overdamped, s = 2 underdamped with state (U, V)). This module returns
the blocks:

* ``A(h)``      -- (s, s) transition block,
* ``G(h)``      -- (s,) the column of G_h that multiplies the position drift b = -grad F(U),
* ``Gamma2(h)`` -- (s, s) noise covariance block Gamma_h^2,
* ``Gamma(h)``  -- its lower-triangular Cholesky factor.

Both dynamics satisfy the scaling relations (notes 1.2) (A_h)^n = A_{nh},
(sum_i A_h^i) G_h = G_{nh}, sum_i A_h^i Gamma_h^2 (A_h^T)^i = Gamma^2_{nh}, which is what lets a
single coarse step reproduce K fine steps when the drift is constant.

Underdamped coefficients are evaluated with ``expm1`` and, for gamma*h < 0.5, Taylor series of
the cancelling combinations, so they keep full relative precision at tiny steps (the position
variance is ~ 2 gamma h^3 / 3, which the textbook formula loses to cancellation).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["Dynamics", "Overdamped", "Underdamped"]


class Dynamics:
    """Base class: a linear-Gaussian one-step form with s x s blocks."""

    #: number of state blocks per coordinate (1: position; 2: position and velocity)
    blocks = 1
    name = "dynamics"

    def A(self, h: float) -> np.ndarray:
        raise NotImplementedError

    def G(self, h: float) -> np.ndarray:
        raise NotImplementedError

    def Gamma2(self, h: float) -> np.ndarray:
        raise NotImplementedError

    def Gamma(self, h: float) -> np.ndarray:
        """Lower-triangular Cholesky factor of ``Gamma2(h)``."""
        return _chol(self.Gamma2(h))

    def full(self, h: float, dim: int):
        """The paper's full matrices (A_h, G_h, Gamma_h^2) for state dimension s*dim.

        G_h is returned as the (s*dim, dim) block that multiplies -grad F(U).
        """
        eye = np.eye(dim)
        return (np.kron(self.A(h), eye), np.kron(self.G(h).reshape(-1, 1), eye),
                np.kron(self.Gamma2(h), eye))

    def check_step(self, h):
        if not (isinstance(h, (int, float, np.floating, np.integer)) and math.isfinite(h)
                and h > 0):
            raise ValueError(f"step size must be a positive finite number; got {h!r}")


class Overdamped(Dynamics):
    """Overdamped Langevin dX = -grad F(X) dt + sqrt(2) dB (OLMC).

    A_h = I, G_h = h I, Gamma_h^2 = 2h I (notes 1.1). Stationary law pi* ~ exp(-F).
    """

    blocks = 1
    name = "overdamped"

    def A(self, h):
        return np.ones((1, 1))

    def G(self, h):
        return np.array([float(h)])

    def Gamma2(self, h):
        return np.array([[2.0 * h]])

    def Gamma(self, h):
        return np.array([[math.sqrt(2.0 * h)]])

    def __repr__(self):
        return "Overdamped()"

    def __eq__(self, other):
        return isinstance(other, Overdamped)

    def __hash__(self):
        return hash("Overdamped")


def _series(x, coef):
    """sum_k coef[k] x^k evaluated by Horner's rule."""
    s = 0.0
    for c in reversed(coef):
        s = s * x + c
    return s


# Taylor coefficients (index = power of x) of the cancelling combinations, x = gamma h:
#   g(x) = x - (1 - e^{-x})                               = sum_{k>=2} (-1)^k x^k / k!
#   f(x) = x - 2 (1 - e^{-x}) + (1 - e^{-2x}) / 2         = sum_{k>=3} (-1)^{k+1} (2^{k-1} - 2) x^k / k!
_G_COEF = [0.0, 0.0] + [(-1) ** k / math.factorial(k) for k in range(2, 30)]
_F_COEF = [0.0, 0.0, 0.0] + [(-1) ** (k + 1) * (2 ** (k - 1) - 2) / math.factorial(k)
                             for k in range(3, 40)]


def _g_fun(x):
    return _series(x, _G_COEF) if x < 0.5 else x + math.expm1(-x)


def _f_fun(x):
    return _series(x, _F_COEF) if x < 0.5 else x + 2.0 * math.expm1(-x) - 0.5 * math.expm1(-2 * x)


class Underdamped(Dynamics):
    """Underdamped (kinetic) Langevin with friction gamma (ULMC), state (U, V):

        dU = V dt,   dV = -gamma V dt - grad F(U) dt + sqrt(2 gamma) dB,

    stationary law ~ exp(-F(u) - |v|^2 / 2). Blocks (notes 1.1, x = gamma h):

        A_h = [[1, (1 - e^{-x})/gamma], [0, e^{-x}]]
        G_h = [(h - (1 - e^{-x})/gamma)/gamma, (1 - e^{-x})/gamma]   (times -grad F(U))
        Gamma_h^2 = [[(2/gamma^2) (x - 2(1-e^{-x}) + (1-e^{-2x})/2), (1-e^{-x})^2/gamma],
                     [(1-e^{-x})^2/gamma,                               1 - e^{-2x}]]

    This is the exact OU flow with the gradient frozen over the step, which the paper calls the
    Euler-Maruyama discretisation of kinetic Langevin dynamics.

    Parameters
    ----------
    friction : float
        gamma > 0.
    """

    blocks = 2
    name = "underdamped"

    def __init__(self, friction: float = 2.0):
        if not (isinstance(friction, (int, float, np.floating, np.integer))
                and math.isfinite(friction) and friction > 0):
            raise ValueError(f"friction must be a positive finite number; got {friction!r}")
        self.friction = float(friction)

    def A(self, h):
        g = self.friction
        x = g * h
        return np.array([[1.0, -math.expm1(-x) / g], [0.0, math.exp(-x)]])

    def G(self, h):
        g = self.friction
        x = g * h
        return np.array([_g_fun(x) / g ** 2, -math.expm1(-x) / g])

    def Gamma2(self, h):
        g = self.friction
        x = g * h
        e1 = math.expm1(-x)
        return np.array([[2.0 * _f_fun(x) / g ** 2, e1 * e1 / g],
                         [e1 * e1 / g, -math.expm1(-2.0 * x)]])

    def Gamma(self, h):
        return _chol(self.Gamma2(h))

    def __repr__(self):
        return f"Underdamped(friction={self.friction})"

    def __eq__(self, other):
        return isinstance(other, Underdamped) and other.friction == self.friction

    def __hash__(self):
        return hash(("Underdamped", self.friction))


def _chol(S):
    """Cholesky factor of a 1x1 or 2x2 SPD block, written out to keep tiny-step precision."""
    if S.shape == (1, 1):
        return np.array([[math.sqrt(S[0, 0])]])
    a = math.sqrt(S[0, 0])
    b = S[1, 0] / a
    # S11 - S10^2/S00 is the conditional variance of V given U; >= 0 in exact arithmetic
    c2 = S[1, 1] - b * b
    return np.array([[a, 0.0], [b, math.sqrt(max(c2, 0.0))]])


@lru_cache(maxsize=None)
def _mp_blocks(friction, h_str, dps=60):
    """High-precision (mpmath) blocks, used for the Brownian-tree bridge tables."""
    import mpmath as mp
    mp.mp.dps = dps
    g = mp.mpf(friction)
    h = mp.mpf(h_str)
    x = g * h
    e1 = mp.expm1(-x)
    A = mp.matrix([[1, -e1 / g], [0, mp.e ** (-x)]])
    S = mp.matrix([[2 * (x + 2 * e1 - mp.expm1(-2 * x) / 2) / g ** 2, e1 * e1 / g],
                   [e1 * e1 / g, -mp.expm1(-2 * x)]])
    return A, S
