"""Target distributions pi* ~ exp(-F) for the Langevin samplers.

A target knows its dimension, its potential F (``potential``) and gradient (``grad_potential``),
both batched over points, and, where they exist, its normalised density, an exact sampler, its
moments and its smoothness constant ``L`` (the Lipschitz constant of grad F, Assumption 1 of the
paper). Simulation kernels do not call the batched methods: they call a *pointwise* numba kernel
``grad_point(x, params, out)`` (see :mod:`langevin_theory._target_kernels`).

Built-ins
---------
* :class:`Gaussian` -- N(m, S); L = 1/lambda_min(S).
* :class:`GaussianMixture` -- sum_j w_j N(m_j, S_j), any dimension; non-log-concave.
* :class:`DoubleWell` -- F(x) = sum_j scale (x_j^4/4 - x_j^2/2) + tilt x_j. Not globally
  L-smooth (F'' grows like 3 x^2): explicit schemes can diverge from far-out starts.
* :class:`LogCosh` -- F(x) = sum_j x_j^2/2 - log cosh(2 x_j), smooth (L = 3), non-log-concave
  (F''(0) = -3); its law is exactly the mixture 1/2 N(-2, 1) + 1/2 N(2, 1) per coordinate.
* :class:`Custom` -- from plain Python functions that numba can compile.
"""
from __future__ import annotations

import inspect
import math
from functools import cached_property

import numpy as np
from scipy import integrate, special

from . import _target_kernels as _tk
from ._jit import jit

__all__ = ["Target", "Gaussian", "GaussianMixture", "DoubleWell", "LogCosh", "Custom"]


def _as_points(x, dim):
    x = np.asarray(x, dtype=np.float64)
    single = x.ndim <= 1
    if x.ndim == 0:
        x = x.reshape(1, 1)
    elif x.ndim == 1:
        x = x.reshape(1, dim) if x.shape[0] == dim else x.reshape(-1, 1)
    if x.ndim != 2 or x.shape[1] != dim:
        raise ValueError(f"points must have shape (n, {dim}) or ({dim},); got {np.shape(x)}")
    return np.ascontiguousarray(x), single and x.shape[0] == 1


class Target:
    """Base class. Subclasses set ``dim``, ``params`` and the pointwise kernels.

    Attributes
    ----------
    dim : int
        Dimension d of the state.
    L : float or None
        Smoothness constant: ||grad F(x) - grad F(y)|| <= L ||x - y||, where known.
    name : str
        Short name used in tables and on the CLI.
    """

    name = "target"
    L = None
    #: pointwise kernels; the built-ins share the switch-dispatch ones
    _grad_point = staticmethod(_tk.grad_builtin)
    _potential_point = staticmethod(_tk.potential_builtin)
    #: the gradients of many chains' states at once, for the lockstep LMC loop:
    #: ``_grad_rows_lanes(params, dim)`` rows per call (0: the target has no such gradient)
    _grad_rows_lanes = staticmethod(_tk.grad_rows_lanes_builtin)
    _grad_rows = staticmethod(_tk.grad_rows_builtin)
    _builtin = True
    #: whether ``_grad_point`` allocates (kernels that cannot allocate must not call it)
    _grad_allocates = False

    def __init__(self, dim: int, params: np.ndarray):
        self.dim = int(dim)
        self.params = np.ascontiguousarray(params, dtype=np.float64)

    # ---------------------------------------------------------------- evaluation
    def potential(self, x):
        """F(x) for points x of shape (n, dim) (or (dim,)); returns shape (n,) (or a float)."""
        pts, single = _as_points(x, self.dim)
        out = self._pot_batch(pts, self.params)
        return float(out[0]) if single else out

    def grad_potential(self, x):
        """grad F(x) for points of shape (n, dim); returns shape (n, dim) (or (dim,))."""
        pts, single = _as_points(x, self.dim)
        out = self._grad_batch(pts, self.params)
        return out[0] if single else out

    def drift(self, x):
        """The overdamped drift b(x) = -grad F(x)."""
        return -self.grad_potential(x)

    @cached_property
    def _batch(self):
        if self._builtin:
            return _tk._GRAD_BATCH_BUILTIN, _tk._POT_BATCH_BUILTIN
        g, f = self._grad_point, self._potential_point

        def grad_batch(x, p):
            out = np.empty(x.shape)
            for i in range(x.shape[0]):
                g(x[i], p, out[i])
            return out

        def pot_batch(x, p):
            out = np.empty(x.shape[0])
            for i in range(x.shape[0]):
                out[i] = f(x[i], p)
            return out

        return jit(grad_batch, cache=False), jit(pot_batch, cache=False)

    @property
    def _grad_batch(self):
        return self._batch[0]

    @property
    def _pot_batch(self):
        return self._batch[1]

    # ---------------------------------------------------------------- exact law
    has_density = False
    has_sampler = False

    def log_density(self, x):
        """Normalised log density log pi*(x), where known."""
        raise NotImplementedError(f"{self.name}: no normalised density is known")

    def density(self, x):
        """Normalised density pi*(x), where known."""
        return np.exp(self.log_density(x))

    def sample(self, n, rng=None):
        """Exact i.i.d. samples of shape (n, dim), where an exact sampler exists."""
        raise NotImplementedError(f"{self.name}: no exact sampler")

    def support_box(self, mass_tail: float = 1e-12):
        """A box (lo, hi) per coordinate holding all but ~``mass_tail`` of the mass."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(dim={self.dim})"


# --------------------------------------------------------------------------- Gaussian
class Gaussian(Target):
    """The Gaussian N(mean, cov); F(x) = (x - m)^T S^{-1} (x - m) / 2.

    Parameters
    ----------
    mean : array_like, shape (d,) or scalar
    cov : array_like, shape (d, d), (d,) (diagonal) or scalar (isotropic)
    """

    name = "gaussian"
    has_density = True
    has_sampler = True

    def __init__(self, mean=0.0, cov=1.0):
        mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        d = mean.shape[0]
        cov = _as_cov(cov, d, "cov")
        self.mean = mean
        self.cov = cov
        self._chol = np.linalg.cholesky(cov)
        prec = np.linalg.inv(cov)
        prec = 0.5 * (prec + prec.T)
        self.precision = prec
        self.L = float(1.0 / np.linalg.eigvalsh(cov)[0])
        super().__init__(d, np.concatenate([[_tk.KIND_GAUSSIAN, d], mean, prec.ravel()]))

    def log_density(self, x):
        pts, single = _as_points(x, self.dim)
        r = np.linalg.solve(self._chol, (pts - self.mean).T)
        logdet = 2.0 * np.log(np.diag(self._chol)).sum()
        out = -0.5 * (r * r).sum(0) - 0.5 * (self.dim * math.log(2 * math.pi) + logdet)
        return float(out[0]) if single else out

    def sample(self, n, rng=None):
        rng = np.random.default_rng(rng)
        return self.mean + rng.standard_normal((int(n), self.dim)) @ self._chol.T

    def support_box(self, mass_tail=1e-12):
        z = -special.ndtri(mass_tail / 2)
        sd = np.sqrt(np.diag(self.cov))
        return self.mean - z * sd, self.mean + z * sd

    def __repr__(self):
        return f"Gaussian(dim={self.dim})"


def _as_cov(cov, d, what):
    cov = np.asarray(cov, dtype=np.float64)
    if cov.ndim == 0:
        cov = float(cov) * np.eye(d)
    elif cov.ndim == 1:
        if cov.shape[0] != d:
            raise ValueError(f"{what}: diagonal of length {cov.shape[0]} for dimension {d}")
        cov = np.diag(cov)
    if cov.shape != (d, d):
        raise ValueError(f"{what}: shape {cov.shape}, expected ({d}, {d})")
    if not np.all(np.isfinite(cov)) or not np.allclose(cov, cov.T, rtol=1e-12, atol=0):
        raise ValueError(f"{what} must be finite and symmetric")
    if np.linalg.eigvalsh(cov)[0] <= 0:
        raise ValueError(f"{what} must be positive definite")
    return cov


# --------------------------------------------------------------------------- mixture
class GaussianMixture(Target):
    """Mixture sum_j w_j N(m_j, S_j) in any dimension; F = -log of the mixture density.

    Parameters
    ----------
    weights : array_like, shape (k,)
        Positive; normalised to sum to one.
    means : array_like, shape (k, d) (or (k,) for d = 1)
    covs : scalar, array_like of shape (k,) (isotropic), (k, d) (diagonal) or (k, d, d)

    Notes
    -----
    grad F(x) = sum_j r_j(x) S_j^{-1} (x - m_j) with responsibilities r_j(x) computed by a
    log-sum-exp. When every covariance is diagonal the kernel uses O(k d) work per point.
    The smoothness constant of a mixture has no closed form; ``L`` is left as None.
    """

    name = "mixture"
    has_density = True
    has_sampler = True

    def __init__(self, weights, means, covs=1.0):
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.size < 1 or np.any(~np.isfinite(w)) or np.any(w <= 0):
            raise ValueError("weights must be positive and finite")
        w = w / w.sum()
        m = np.asarray(means, dtype=np.float64)
        if m.ndim == 1:
            m = m.reshape(-1, 1)
        if m.shape[0] != w.size:
            raise ValueError(f"{w.size} weights but {m.shape[0]} means")
        k, d = m.shape
        c = np.asarray(covs, dtype=np.float64)
        if c.ndim == 0:
            c = np.broadcast_to(c, (k,))
        if c.ndim == 1 and c.shape[0] == k:
            covs_full = np.stack([float(ci) * np.eye(d) for ci in c])
        elif c.ndim == 2 and c.shape == (k, d):
            covs_full = np.stack([np.diag(ci) for ci in c])
        elif c.ndim == 3 and c.shape == (k, d, d):
            covs_full = c.copy()
        else:
            raise ValueError(f"covs of shape {c.shape} do not fit {k} components in dimension {d}")
        covs_full = np.stack([_as_cov(ci, d, f"covs[{j}]") for j, ci in enumerate(covs_full)])
        self.weights, self.means, self.covs = w, m, covs_full
        diag = all(np.count_nonzero(ci - np.diag(np.diag(ci))) == 0 for ci in covs_full)
        blocks = []
        for j in range(k):
            prec = np.linalg.inv(covs_full[j])
            _, logdet = np.linalg.slogdet(covs_full[j])
            c0 = math.log(w[j]) - 0.5 * logdet
            blocks.append(np.concatenate([[c0], m[j], np.diag(prec) if diag else prec.ravel()]))
        # F differs from -log(density) by the constant d/2 log(2 pi)
        self._log_norm = -0.5 * d * math.log(2 * math.pi)
        super().__init__(d, np.concatenate([[_tk.KIND_MIXTURE, d, k, 1.0 if diag else 0.0],
                                            *blocks]))
        self._chols = np.linalg.cholesky(covs_full)

    @property
    def n_components(self):
        return self.weights.size

    @property
    def mean(self):
        return self.weights @ self.means

    @property
    def cov(self):
        mu = self.mean
        dev = self.means - mu
        return np.einsum("j,jab->ab", self.weights, self.covs) + np.einsum(
            "j,ja,jb->ab", self.weights, dev, dev)

    def log_density(self, x):
        pts, single = _as_points(x, self.dim)
        out = -self._pot_batch(pts, self.params) + self._log_norm
        return float(out[0]) if single else out

    def sample(self, n, rng=None):
        rng = np.random.default_rng(rng)
        n = int(n)
        comp = rng.choice(self.n_components, size=n, p=self.weights)
        z = rng.standard_normal((n, self.dim))
        return self.means[comp] + np.einsum("nab,nb->na", self._chols[comp], z)

    def support_box(self, mass_tail=1e-12):
        z = -special.ndtri(mass_tail / 2)
        sd = np.sqrt(np.einsum("jaa->ja", self.covs))
        return (self.means - z * sd).min(0), (self.means + z * sd).max(0)

    def __repr__(self):
        return f"GaussianMixture(k={self.n_components}, dim={self.dim})"


# --------------------------------------------------------------------------- double well
class DoubleWell(Target):
    """Product double well F(x) = sum_j scale (x_j^4/4 - x_j^2/2) + tilt x_j.

    Wells at x = +-1 (for tilt = 0) separated by a barrier of height scale/4. The normalised
    density is a product of 1-D densities whose normalising constant is computed by adaptive
    quadrature (scipy.integrate.quad, relative tolerance 1e-13). The potential is not globally
    L-smooth (F''(x) = scale (3 x^2 - 1)), so ``L`` is None: explicit schemes are only stable
    where step_size * F'' stays small, which is why PLMC's OPTION 1 (whose midpoint corrections
    are multiplied by K) can lose chains at large steps.
    """

    name = "double_well"
    has_density = True

    def __init__(self, dim: int = 1, tilt: float = 0.0, scale: float = 1.0):
        if int(dim) < 1:
            raise ValueError("dim must be >= 1")
        if not (np.isfinite(scale) and scale > 0):
            raise ValueError("scale must be positive and finite")
        if not np.isfinite(tilt):
            raise ValueError("tilt must be finite")
        self.scale, self.tilt = float(scale), float(tilt)
        super().__init__(int(dim), np.array([_tk.KIND_DOUBLE_WELL, dim, scale, tilt], float))

    def potential_1d(self, x):
        x = np.asarray(x, dtype=np.float64)
        return self.scale * (0.25 * x ** 4 - 0.5 * x ** 2) + self.tilt * x

    @cached_property
    def _log_z1(self):
        # shift by the minimum of F to avoid overflow; integrate piecewise around the wells
        xs = np.linspace(-4, 4, 8001)
        fmin = self.potential_1d(xs).min()
        lo, hi = self._box_1d()
        pts = [-1.0, 0.0, 1.0]
        val, _ = integrate.quad(lambda t: math.exp(-(self.potential_1d(t) - fmin)), lo, hi,
                                points=pts, epsabs=0, epsrel=1e-13, limit=500)
        return math.log(val) - fmin

    def _box_1d(self):
        # beyond |x| = r the density is below exp(-60) of its maximum: F(r) - F_min > 60, using
        # F(r) >= scale (r^4/4 - r^2/2) - |tilt| r and F_min >= -scale/4 - 2 |tilt|
        r = 1.0
        bound = 60.0 + self.scale / 4 + abs(self.tilt) * 2
        while self.scale * (r ** 4 / 4 - r ** 2 / 2) - abs(self.tilt) * r < bound:
            r *= 1.1
        return -r, r

    def log_density(self, x):
        pts, single = _as_points(x, self.dim)
        out = -self.potential_1d(pts).sum(1) - self.dim * self._log_z1
        return float(out[0]) if single else out

    def support_box(self, mass_tail=1e-12):
        lo, hi = self._box_1d()
        return np.full(self.dim, lo), np.full(self.dim, hi)

    def __repr__(self):
        return f"DoubleWell(dim={self.dim}, tilt={self.tilt}, scale={self.scale})"


# --------------------------------------------------------------------------- log cosh
class LogCosh(Target):
    """F(x) = sum_j x_j^2/2 - log cosh(2 x_j): smooth (L = 3) and non-log-concave.

    exp(-F(x)) = exp(-x^2/2) cosh(2x) = (e^2/2) (e^{-(x-2)^2/2} + e^{-(x+2)^2/2}), so each
    coordinate is exactly distributed as 1/2 N(-2, 1) + 1/2 N(2, 1) (notes section 8.12). F''(x)
    = 1 - 4 sech^2(2x) lies in [-3, 1], hence L = 3.
    """

    name = "logcosh"
    has_density = True
    has_sampler = True
    L = 3.0

    def __init__(self, dim: int = 1):
        if int(dim) < 1:
            raise ValueError("dim must be >= 1")
        super().__init__(int(dim), np.array([_tk.KIND_LOGCOSH, dim], float))
        self.mean = np.zeros(self.dim)
        self.cov = 5.0 * np.eye(self.dim)  # 1 + 2^2

    def as_mixture(self) -> GaussianMixture:
        """The same law as a :class:`GaussianMixture` (2^dim components; dim <= 10)."""
        if self.dim > 10:
            raise ValueError("as_mixture is limited to dim <= 10 (2^dim components)")
        grids = np.array(np.meshgrid(*[[-2.0, 2.0]] * self.dim, indexing="ij"))
        means = grids.reshape(self.dim, -1).T
        return GaussianMixture(np.ones(len(means)), means, 1.0)

    def log_density(self, x):
        pts, single = _as_points(x, self.dim)
        lp = np.logaddexp(-0.5 * (pts - 2) ** 2, -0.5 * (pts + 2) ** 2) - math.log(2) \
            - 0.5 * math.log(2 * math.pi)
        out = lp.sum(1)
        return float(out[0]) if single else out

    def sample(self, n, rng=None):
        rng = np.random.default_rng(rng)
        n = int(n)
        signs = np.where(rng.random((n, self.dim)) < 0.5, -2.0, 2.0)
        return signs + rng.standard_normal((n, self.dim))

    def support_box(self, mass_tail=1e-12):
        z = -special.ndtri(mass_tail / 4) + 2
        return np.full(self.dim, -z), np.full(self.dim, z)

    def __repr__(self):
        return f"LogCosh(dim={self.dim})"


# --------------------------------------------------------------------------- custom
class Custom(Target):
    """A target from plain Python functions of one point that numba can compile.

    Parameters
    ----------
    potential : callable
        ``potential(x) -> float`` for ``x`` of shape (dim,).
    grad_potential : callable
        Either ``grad_potential(x) -> ndarray`` of shape (dim,), or the allocation-free form
        ``grad_potential(x, out) -> None`` writing into ``out`` (detected from the number of
        parameters). The in-place form costs the same as a built-in gradient; the returning
        form allocates a small array per call.
    dim : int
    L : float, optional
        Smoothness constant, if known.
    log_density, sampler : callable, optional
        Normalised log density (batched, (n, dim) -> (n,)) and exact sampler ``(n, rng)``.

    Examples
    --------
    >>> import numpy as np, langevin_theory as lt
    >>> t = lt.targets.Custom(lambda x: 0.5 * (x ** 2).sum(), lambda x: x.copy(), dim=2)
    >>> t.grad_potential(np.array([1.0, 2.0]))
    array([1., 2.])
    """

    name = "custom"
    _builtin = False
    _grad_rows_lanes = staticmethod(_tk.grad_rows_lanes_never)
    _grad_rows = staticmethod(_tk.grad_rows_never)

    def __init__(self, potential, grad_potential, dim, *, L=None, log_density=None,
                 sampler=None, name="custom"):
        if not callable(potential) or not callable(grad_potential):
            raise ValueError("potential and grad_potential must be callables")
        if int(dim) < 1:
            raise ValueError("dim must be >= 1")
        self.name = name
        self.L = L
        pot_jit = potential if hasattr(potential, "py_func") else jit(potential, cache=False)
        grad_jit = (grad_potential if hasattr(grad_potential, "py_func")
                    else jit(grad_potential, cache=False))
        py = getattr(grad_potential, "py_func", grad_potential)
        n_args = len(inspect.signature(py).parameters)
        if n_args == 2:
            def grad_point(x, p, out):
                grad_jit(x, out)
        elif n_args == 1:
            self._grad_allocates = True

            def grad_point(x, p, out):
                g = grad_jit(x)
                for a in range(out.shape[0]):
                    out[a] = g[a]
        else:
            raise ValueError("grad_potential must take (x) or (x, out)")

        def potential_point(x, p):
            return pot_jit(x)

        self._grad_point = jit(grad_point, cache=False, inline="always")
        self._potential_point = jit(potential_point, cache=False)
        self._user_log_density = log_density
        self._user_sampler = sampler
        self.has_density = log_density is not None
        self.has_sampler = sampler is not None
        super().__init__(int(dim), np.zeros(1))
        # compile and check once, so a non-compilable function fails here, not mid-run
        x = np.zeros(self.dim)
        try:
            g = self.grad_potential(x)
            f = self.potential(x)
        except Exception as exc:  # numba typing errors are long; keep the cause
            raise ValueError(f"Custom target functions failed to compile or run at x=0: {exc}"
                             ) from exc
        if np.shape(g) != (self.dim,) or not np.isscalar(f):
            raise ValueError("grad_potential must return shape (dim,) and potential a float")

    def log_density(self, x):
        if self._user_log_density is None:
            return super().log_density(x)
        pts, single = _as_points(x, self.dim)
        out = np.asarray(self._user_log_density(pts), dtype=np.float64)
        return float(out[0]) if single else out

    def sample(self, n, rng=None):
        if self._user_sampler is None:
            return super().sample(n, rng)
        return np.asarray(self._user_sampler(int(n), np.random.default_rng(rng)), float)

    def __repr__(self):
        return f"Custom(name={self.name!r}, dim={self.dim})"
