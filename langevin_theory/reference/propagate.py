r"""Exact (Monte-Carlo-free) laws of 1-D overdamped chains by propagating the kernel on a grid.

Schemes (overdamped, 1-D, step alpha, F' = ``grad_potential``):

* LMC:  X' = X - alpha F'(X) + sqrt(2 alpha) Z. Kernel k(x, y) = N(y; x - alpha F'(x), 2 alpha).
* RLMC (notes 6.1) and PLMC OPTION 2 (notes 2.3): given the midpoint fraction u,

      X_hat = a_u(x) + W,   a_u(x) = x - u alpha F'(x),   W ~ N(0, 2 u alpha)
      X'    = x - alpha F'(X_hat) + W + V,                 V ~ N(0, 2 (1 - u) alpha)
            = c(X_hat) + u alpha F'(x) + V,                c(xi) = xi - alpha F'(xi),

  so the kernel is a one-dimensional Gaussian integral over the midpoint value xi = X_hat,

      k_u(x, y) = int N(xi; a_u(x), 2 u alpha) N(y; c(xi) + u alpha F'(x), 2 (1 - u) alpha) dxi,

  followed by the mixture over u: u uniform on {0, 1/K, ..., (K-1)/K} for OPTION 2 with K
  substeps (u = 0 is the LMC kernel; K = 1 is LMC exactly), u ~ Unif[0, 1] for RLMC
  (Gauss-Legendre in u, ``n_u`` nodes; the integrand is smooth in u on the closed interval).

Numerical method
----------------
The density is represented by point values on a uniform grid (:class:`GridLaw`), and one step
is p'(y_j) = sum_i p(x_i) k(x_i, y_j) dx (rectangle rule in x), i.e. p' = P^T p with
P_ij = k(x_i, y_j) dx. Each row of P is renormalised to sum to one (this removes the
exponentially small Poisson-summation error and the mass that leaves the grid; the largest
such correction is reported as ``leak``).

The xi-integral uses the rectangle rule on a uniform xi-grid of spacing
delta = ``quad_ratio`` * min(s_W, s_V / max|c'|) rather than Gauss-Hermite: the integrand is the
product of a Gaussian of width s_W = sqrt(2 u alpha) and a Gaussian-in-c(xi) of width
s_V / |c'| (s_V = sqrt(2 (1 - u) alpha)), so for u near 1 it is sharply peaked away from the
centre of the first factor and a fixed Gauss-Hermite rule would need many nodes; a uniform rule
is spectrally accurate for any such smooth, Gaussian-decaying integrand (Poisson summation:
relative error ~ exp(-2 pi^2 sigma_eff^2 / delta^2) ~ 1e-17 at quad_ratio = 0.5), needs only F'
on one grid (one vectorised target call), and keeps the centres of the y-Gaussians closer than
s_V / 2, so their sum is smooth even when s_V is below the y-grid spacing. Convergence in
``quad_ratio``, ``n_u`` and dx is tested.

Grid requirements: dx well below the one-step standard deviation sqrt(2 alpha) (default
dx = min(0.02, sqrt(2 alpha) / 8)), and a box that holds the law (default: the target's
``support_box(1e-15)`` widened by 2 + 8 sqrt(2 alpha)).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import linalg

from . import _kernels
from .exact import default_box, target_law
from .grid import GridLaw, uniform_grid

__all__ = ["default_grid", "propagate", "scheme_u_law", "stationary_law", "transition_matrix"]

_CUT = 9.0   # Gaussian truncation (standard deviations): exp(-81/2) ~ 2.6e-18


# --------------------------------------------------------------------------- validation
def _check_target(target):
    if getattr(target, "dim", None) != 1:
        raise ValueError("the grid propagator is 1-D only (target.dim must be 1); use "
                         "Monte Carlo (langevin_theory.simulate) for d > 1")
    if not hasattr(target, "grad_potential"):
        raise ValueError("target must provide grad_potential")


def _check_step(step_size):
    a = float(step_size)
    if not (np.isfinite(a) and a > 0):
        raise ValueError(f"step_size must be positive and finite; got {step_size}")
    return a


def scheme_u_law(scheme, n_u: int = 24):
    """(u_nodes, u_weights) of the midpoint fraction for a scheme; None for LMC.

    LMC -> None; PoissonMidpoint(option=2, substeps=K) -> u = i/K, i = 0..K-1, weights 1/K;
    RandomizedMidpoint -> Gauss-Legendre nodes/weights on [0, 1] (``n_u`` of them).

    Raises
    ------
    ValueError
        For OPTION 1 (its law needs Monte Carlo) and for unknown schemes.
    """
    from .. import schemes as _s

    def _is(name):
        cls = getattr(_s, name, None)
        return (isinstance(cls, type) and isinstance(scheme, cls)) or \
            type(scheme).__name__ == name

    if _is("LMC"):
        return None
    if _is("PoissonMidpoint"):
        option = int(getattr(scheme, "option", 1))
        K = int(scheme.substeps)
        if K < 1:
            raise ValueError("substeps must be >= 1")
        if option == 1:
            raise ValueError(
                "PoissonMidpoint OPTION 1 has no grid law here: its number of midpoints is "
                "Bin(K, 1/K) (0, 1 or several, each correction weighted by K), so one step is a "
                "multi-dimensional Gaussian integral over the Brownian values at the selected "
                "midpoints. Use Monte Carlo (langevin_theory.simulate) with a declared sample "
                "size; OPTION 2 (exactly one uniform midpoint) is supported.")
        if option != 2:
            raise ValueError(f"unknown PoissonMidpoint option {option}")
        return np.arange(K, dtype=np.float64) / K, np.full(K, 1.0 / K)
    if _is("RandomizedMidpoint"):
        if int(n_u) < 2:
            raise ValueError("n_u must be >= 2")
        t, w = np.polynomial.legendre.leggauss(int(n_u))
        return 0.5 * (t + 1.0), 0.5 * w
    raise ValueError(f"unsupported scheme {scheme!r} for the grid propagator: use LMC(), "
                     "RandomizedMidpoint() or PoissonMidpoint(substeps=K, option=2)")


def default_grid(target, step_size: float, dx: float | None = None) -> np.ndarray:
    """Default nodes: target box (tail 1e-15) widened by pad = 2 + 8 sqrt(2 alpha); spacing
    ``dx`` (default min(0.02, sqrt(2 alpha)/8)).

    For targets that are not globally L-smooth (DoubleWell) the explicit step
    x - alpha F'(x) explodes far out; the pad is shrunk (down to 0) until the step from
    either end of the box lands inside the box, so that the grid holds the chain's mass
    without rows that jump off it.
    """
    a = _check_step(step_size)
    lo, hi = float(default_box(target, 1e-15)[0][0]), float(default_box(target, 1e-15)[1][0])
    pad = 2.0 + 8.0 * math.sqrt(2.0 * a)
    for _ in range(60):
        ends = np.array([lo - pad, hi + pad])
        m = ends - a * _grad(target, ends)
        if np.all((m >= ends[0]) & (m <= ends[1])):
            break
        pad *= 0.8
    else:
        pad = 0.0
    if dx is None:
        dx = min(0.02, math.sqrt(2.0 * a) / 8.0)
    return uniform_grid(lo - pad, hi + pad, dx)


def _grid_of(target, step_size, grid):
    if grid is None:
        return default_grid(target, step_size)
    if isinstance(grid, GridLaw):
        return grid.x
    x = np.asarray(grid, dtype=np.float64)
    GridLaw(x, np.ones_like(x))          # validates uniformity
    return x


def _grad(target, pts):
    g = np.asarray(target.grad_potential(np.asarray(pts, float).reshape(-1, 1)), float)
    g = g.reshape(-1)
    if not np.all(np.isfinite(g)):
        raise ValueError("grad_potential is not finite on the grid; shrink the grid")
    return g


# --------------------------------------------------------------------------- kernels
def _lmc_rows(src, g_src, alpha, y):
    """Unnormalised LMC kernel rows k(x_i, y_j) dy for sources ``src``."""
    dy = y[1] - y[0]
    s = math.sqrt(2.0 * alpha)
    m = src - alpha * g_src
    z = (y[None, :] - m[:, None]) / s
    return np.exp(-0.5 * z * z) * (dy / (s * math.sqrt(2.0 * math.pi)))


def _midpoint_rows(target, src, g_src, alpha, u, y, quad_ratio):
    """Unnormalised midpoint kernel rows k_u(x_i, y_j) dy for 0 < u < 1."""
    s_w = math.sqrt(2.0 * u * alpha)
    s_v = math.sqrt(2.0 * (1.0 - u) * alpha)
    a = src - u * alpha * g_src
    shift = u * alpha * g_src
    y0, dy = float(y[0]), float(y[1] - y[0])
    width = y[-1] - y[0]
    lo = max(a.min() - _CUT * s_w, y[0] - width)
    hi = min(a.max() + _CUT * s_w, y[-1] + width)
    # slope bound of c(xi) = xi - alpha F'(xi) over the grid box (tails beyond it carry
    # negligible mass; their rows are still computed, with the same delta)
    box = np.linspace(y[0], y[-1], 4001)
    cb = box - alpha * _grad(target, box)
    gmax = max(1.0, float(np.max(np.abs(np.gradient(cb, box)))))
    delta = quad_ratio * min(s_w, s_v / gmax)
    nxi = int(math.ceil((hi - lo) / delta)) + 1
    if nxi > 5_000_000:
        raise ValueError(f"midpoint quadrature needs {nxi} nodes (u={u}); coarsen quad_ratio")
    xi = lo + delta * np.arange(nxi)
    cxi = xi - alpha * _grad(target, xi)
    out = np.zeros((src.size, y.size))
    _kernels._midpoint_rows(np.ascontiguousarray(a), np.ascontiguousarray(shift), float(lo),
                            float(delta), np.ascontiguousarray(cxi), s_w, s_v, y0, dy,
                            y.size, _CUT, out)
    return out


def _rows(target, scheme, alpha, src, y, n_u, quad_ratio):
    g_src = _grad(target, src)
    law = scheme_u_law(scheme, n_u)
    if law is None:
        return _lmc_rows(src, g_src, alpha, y)
    out = np.zeros((src.size, y.size))
    for u, w in zip(*law):
        if u <= 0.0:
            out += w * _lmc_rows(src, g_src, alpha, y)
        elif u >= 1.0:
            raise ValueError("u = 1 is not a valid midpoint fraction")
        else:
            out += w * _midpoint_rows(target, src, g_src, alpha, float(u), y, quad_ratio)
    return out


def _normalise_rows(P, home: int | None = None):
    """Renormalise rows to 1. Rows whose whole mass leaves the grid (explosive drift far in
    the tail of a non-L-smooth target) are re-injected at node ``home`` (the minimum of F on
    the grid), which keeps the grid chain irreducible; such rows carry negligible mass when
    the grid holds the law, and ``leak`` reports the largest lost row mass."""
    s = P.sum(1)
    leak = float(np.max(np.abs(1.0 - s)))
    zero = s <= 1e-300
    if np.any(zero):
        idx = np.nonzero(zero)[0]
        P[idx, :] = 0.0
        P[idx, P.shape[1] // 2 if home is None else int(home)] = 1.0
        s = np.where(zero, 1.0, s)
    P /= s[:, None]
    return P, leak


def transition_matrix(target, scheme, step_size, grid=None, *, n_u: int = 24,
                      quad_ratio: float = 0.5):
    """Row-stochastic one-step matrix P on the grid: P_ij = k(x_i, x_j) dx, renormalised.

    Returns
    -------
    P : ndarray, shape (n, n)
    x : ndarray, shape (n,)
        The nodes.
    leak : float
        max_i |1 - sum_j k(x_i, x_j) dx| before renormalisation.
    """
    _check_target(target)
    alpha = _check_step(step_size)
    if not (0 < quad_ratio <= 1):
        raise ValueError("quad_ratio must lie in (0, 1]")
    x = _grid_of(target, alpha, grid)
    P = _rows(target, scheme, alpha, x, x, n_u, quad_ratio)
    home = int(np.argmin(np.asarray(target.potential(x[:, None]), float)))
    P, leak = _normalise_rows(P, home)
    return P, x, leak


def _initial_density(target, initial, x, P_rows_point):
    if isinstance(initial, str):
        if initial != "target":
            raise ValueError("initial must be a GridLaw, 'target' or a float")
        return target_law(target, x).density, False
    if isinstance(initial, GridLaw):
        law = initial if (initial.x.size == x.size and abs(initial.x[0] - x[0]) < 1e-12
                          and abs(initial.dx - (x[1] - x[0])) < 1e-12) else initial.on_grid(x)
        return law.density.copy(), False
    if np.ndim(initial) == 0:
        x0 = float(initial)
        if not np.isfinite(x0):
            raise ValueError("initial point must be finite")
        return P_rows_point(np.array([x0])), True
    raise ValueError("initial must be a GridLaw, 'target' or a float (a point mass)")


def propagate(target, scheme, step_size, n_steps, initial="target", grid=None, *,
              n_u: int = 24, quad_ratio: float = 0.5) -> GridLaw:
    """Law of the chain after ``n_steps`` steps, computed on a grid without Monte Carlo.

    Parameters
    ----------
    target : 1-D Target
    scheme : LMC(), RandomizedMidpoint() or PoissonMidpoint(substeps=K, option=2)
    step_size : float
        alpha (the coarse step).
    n_steps : int
        Number of (coarse) steps; time horizon n_steps * alpha.
    initial : GridLaw, "target" or float
        Start law: a tabulated law, the exact target law, or a point mass at a float (then
        the law after the first step is the exact kernel row from that point).
    grid : array_like or GridLaw, optional
        Uniform nodes; default :func:`default_grid`.
    n_u, quad_ratio : see the module docstring (RLMC u-rule; xi-quadrature spacing).

    Returns
    -------
    GridLaw
    """
    _check_target(target)
    alpha = _check_step(step_size)
    n_steps = int(n_steps)
    if n_steps < 0:
        raise ValueError("n_steps must be >= 0")
    x = _grid_of(target, alpha, grid)

    def point_rows(src):
        r = _rows(target, scheme, alpha, src, x, n_u, quad_ratio)
        r, _ = _normalise_rows(r)
        return r[0] / (x[1] - x[0])

    if np.ndim(initial) == 0 and not isinstance(initial, str) and n_steps == 0:
        raise ValueError("a point mass has no density: use n_steps >= 1")
    p, stepped = _initial_density(target, initial, x, point_rows)
    remaining = n_steps - (1 if stepped else 0)
    if remaining > 0:
        P, _, _leak = transition_matrix(target, scheme, alpha, x, n_u=n_u,
                                       quad_ratio=quad_ratio)
        PT = np.ascontiguousarray(P.T)
        for _ in range(remaining):
            p = PT @ p
    return GridLaw(x, p, label=f"{type(scheme).__name__} alpha={alpha:g} n={n_steps}")


def stationary_law(target, scheme, step_size, grid=None, *, n_u: int = 24,
                   quad_ratio: float = 0.5) -> GridLaw:
    """Stationary law of the grid chain: the solution of P^T p = p, dx sum p = 1.

    Solved directly (dense LU): one of the n linearly dependent equations of (P^T - I) p = 0
    is replaced by the normalisation. Warns if the residual or the end-cell mass is large.
    """
    P, x, _leak = transition_matrix(target, scheme, step_size, grid, n_u=n_u,
                                   quad_ratio=quad_ratio)
    n = x.size
    A = P.T - np.eye(n)
    r = int(np.argmax(np.abs(x - x.mean())))   # drop the equation at an end node
    A[r, :] = 1.0
    b = np.zeros(n)
    b[r] = 1.0
    m = linalg.solve(A, b, check_finite=False)
    m = np.maximum(m, 0.0)
    res = float(np.max(np.abs(P.T @ m - m)))
    law = GridLaw(x, m, label=f"{type(scheme).__name__} alpha={float(step_size):g} stationary")
    if res > 1e-10 or law.end_mass > 1e-10:
        warnings.warn(f"stationary_law: residual {res:.2e}, end mass {law.end_mass:.2e}; "
                      "widen or refine the grid", RuntimeWarning, stacklevel=2)
    return law
