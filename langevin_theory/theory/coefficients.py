"""Symbolic linear-Gaussian coefficients A_h, G_h, Gamma_h^2 of the paper's scheme S(A, G, Gamma, b, h).

Kandasamy & Nagaraj (NeurIPS 2024, arXiv 2405.17068), Section 2 / notes section 1.1: one step of
the linear-Gaussian discretisation is

.. math::  X_{t+1} = A_h X_t + G_h\\, b(X_t) + \\Gamma_h Z_t, \\qquad Z_t \\sim N(0, I).

* Overdamped (OLMC): :math:`A_h = 1`, :math:`G_h = h`, :math:`\\Gamma_h^2 = 2h` (per coordinate).
* Underdamped (ULMC), state :math:`X = (U, V)`, friction :math:`\\gamma`, drift
  :math:`b(X) = (-\\nabla F(U), 0)`: the exact OU integration with a frozen gradient,

  .. math::

     A_h = \\begin{pmatrix} 1 & (1-e^{-\\gamma h})/\\gamma \\\\ 0 & e^{-\\gamma h}\\end{pmatrix},\\quad
     G_h = \\begin{pmatrix} (h - (1-e^{-\\gamma h})/\\gamma)/\\gamma & 0 \\\\ (1-e^{-\\gamma h})/\\gamma & 0
     \\end{pmatrix},

  .. math::

     \\Gamma_h^2 = \\begin{pmatrix} \\frac{2}{\\gamma}\\big(h - \\frac{2}{\\gamma}(1-e^{-\\gamma h})
     + \\frac{1}{2\\gamma}(1-e^{-2\\gamma h})\\big) & \\frac{1}{\\gamma}(1-e^{-\\gamma h})^2 \\\\
     \\frac{1}{\\gamma}(1-e^{-\\gamma h})^2 & 1 - e^{-2\\gamma h}\\end{pmatrix}.

All matrices are the d = 1 blocks; the d-dimensional ones are their Kronecker products with
:math:`I_d`, so every identity proved for the blocks holds in every dimension.

The underdamped functions take the decay factor :math:`q = e^{-\\gamma t}` as an optional
argument, so that multiples of a fine step can be written as powers ``q**i`` of one symbol; this
keeps every expression rational and lets ``sympy.cancel`` decide identities exactly.
"""
from __future__ import annotations

import sympy as sp

__all__ = [
    "h", "n", "gamma", "s", "t", "q",
    "overdamped_coefficients",
    "underdamped_coefficients",
    "coefficients",
]

#: fine / generic step size (positive real)
h = sp.Symbol("h", positive=True)
#: number of steps (positive integer)
n = sp.Symbol("n", positive=True, integer=True)
#: friction of the underdamped dynamics
gamma = sp.Symbol("gamma", positive=True)
#: two generic times for semigroup identities
s = sp.Symbol("s", positive=True)
t = sp.Symbol("t", positive=True)
#: decay factor exp(-gamma*h) when it is treated as an independent symbol
q = sp.Symbol("q", positive=True)


def overdamped_coefficients(step):
    """Return ``(A, G, Gamma2)`` of overdamped LMC for step ``step`` as 1x1 sympy matrices.

    Notes section 1.1 (paper Section 2, OLMC): :math:`A_h = 1`, :math:`G_h = h`,
    :math:`\\Gamma_h^2 = 2h`.

    Parameters
    ----------
    step : sympy expression
        The step size h (a symbol, or a multiple of one).

    Returns
    -------
    tuple of sympy.Matrix
        ``(A_h, G_h, Gamma_h^2)``, each 1 x 1.
    """
    step = sp.sympify(step)
    return sp.Matrix([[1]]), sp.Matrix([[step]]), sp.Matrix([[2 * step]])


def underdamped_coefficients(step, friction=gamma, decay=None):
    """Return ``(A, G, Gamma2)`` of underdamped LMC (ULMC) for step ``step`` as 2x2 matrices.

    Notes section 1.1 (paper Section 2, ULMC): the exact OU integration of
    :math:`dU = V d\\tau`, :math:`dV = -\\gamma V d\\tau - \\nabla F(U) d\\tau + \\sqrt{2\\gamma} dB`
    with the gradient frozen over the step.

    Parameters
    ----------
    step : sympy expression
        The step size h.
    friction : sympy expression, optional
        The friction :math:`\\gamma` (default the symbol ``gamma``).
    decay : sympy expression, optional
        The value to use for :math:`e^{-\\gamma h}`; default ``exp(-friction*step)``. Pass
        ``q**i`` to express the coefficients of the step ``i*h`` rationally in ``q = e^{-γh}``.

    Returns
    -------
    tuple of sympy.Matrix
        ``(A_h, G_h, Gamma_h^2)``, each 2 x 2 (blocks for one coordinate).
    """
    step = sp.sympify(step)
    g = sp.sympify(friction)
    e = sp.exp(-g * step) if decay is None else sp.sympify(decay)
    e2 = e**2
    A = sp.Matrix([[1, (1 - e) / g], [0, e]])
    G = sp.Matrix([[(step - (1 - e) / g) / g, 0], [(1 - e) / g, 0]])
    c = (1 - 2 * e + e2) / g
    Gamma2 = sp.Matrix([
        [2 / g * (step - 2 / g * (1 - e) + (1 - e2) / (2 * g)), c],
        [c, 1 - e2],
    ])
    return A, G, Gamma2


def coefficients(dynamics, step, friction=gamma, decay=None):
    """Dispatch to :func:`overdamped_coefficients` or :func:`underdamped_coefficients`.

    Parameters
    ----------
    dynamics : {"overdamped", "underdamped"}
    step, friction, decay
        As in :func:`underdamped_coefficients` (``friction``/``decay`` ignored if overdamped).
    """
    if dynamics == "overdamped":
        return overdamped_coefficients(step)
    if dynamics == "underdamped":
        return underdamped_coefficients(step, friction, decay)
    raise ValueError(f"unknown dynamics {dynamics!r}; expected 'overdamped' or 'underdamped'")
