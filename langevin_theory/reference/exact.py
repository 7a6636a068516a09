"""Exact target laws: closed-form 1-D laws, grids, quadrature, moments and exact samplers.

* :class:`Normal1D`, :class:`NormalMixture1D` -- closed-form 1-D laws (pdf, cdf, quantile,
  partial first moment, moments, sampler). LogCosh is the mixture 1/2 N(-2, 1) + 1/2 N(2, 1).
* :func:`exact_law` -- the closed-form 1-D law of a built-in target, where one exists.
* :func:`target_law` -- the normalised target density on a uniform grid (:class:`GridLaw`),
  for every 1-D target (Gaussian, mixture, LogCosh, DoubleWell, Custom).
* :func:`quadrature_grid` -- tensor nodes and normalised weights for d <= 2.
* :func:`moments` -- mean and covariance (closed form where known, quadrature otherwise).
* :func:`exact_sampler` -- i.i.d. sampler for Gaussians and mixtures (LogCosh included).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special

from .grid import GridLaw, uniform_grid

__all__ = [
    "Normal1D",
    "NormalMixture1D",
    "default_box",
    "exact_law",
    "exact_sampler",
    "moments",
    "quadrature_grid",
    "target_law",
]

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


class NormalMixture1D:
    """The 1-D law sum_j w_j N(mu_j, sd_j^2), with exact CDF, quantile and partial moments.

    Parameters
    ----------
    weights, means, sds : array_like, shape (k,)
        Positive weights (normalised here), component means and standard deviations.

    Notes
    -----
    partial_mean(t) = E[X 1{X <= t}] = sum_j w_j (mu_j Phi(z_j) - sd_j phi(z_j)),
    z_j = (t - mu_j)/sd_j. ``quantile`` inverts the CDF by safeguarded Newton from a bracket
    (to ~1e-15 relative), and for a single component uses ``scipy.special.ndtri`` directly.
    """

    def __init__(self, weights, means, sds):
        w = np.atleast_1d(np.asarray(weights, dtype=np.float64))
        m = np.atleast_1d(np.asarray(means, dtype=np.float64))
        s = np.atleast_1d(np.asarray(sds, dtype=np.float64))
        if not (w.shape == m.shape == s.shape) or w.ndim != 1:
            raise ValueError("weights, means and sds must be 1-D arrays of equal length")
        if np.any(w <= 0) or np.any(s <= 0) or not np.all(np.isfinite(np.r_[w, m, s])):
            raise ValueError("weights and sds must be positive and finite")
        self.weights, self.means, self.sds = w / w.sum(), m, s

    # moments
    def mean(self) -> float:
        return float(self.weights @ self.means)

    def second_moment(self) -> float:
        return float(self.weights @ (self.sds ** 2 + self.means ** 2))

    def var(self) -> float:
        return self.second_moment() - self.mean() ** 2

    # densities
    def logpdf(self, t):
        t = np.asarray(t, dtype=np.float64)[..., None]
        z = (t - self.means) / self.sds
        terms = np.log(self.weights) - np.log(self.sds) - _LOG_SQRT_2PI - 0.5 * z * z
        return special.logsumexp(terms, axis=-1)

    def pdf(self, t):
        return np.exp(self.logpdf(t))

    def _pdf_fast(self, t):
        z = (np.asarray(t, dtype=np.float64)[..., None] - self.means) / self.sds
        return (self.weights / self.sds * np.exp(-0.5 * z * z)).sum(-1) / math.sqrt(2 * math.pi)

    def cdf(self, t):
        t = np.asarray(t, dtype=np.float64)[..., None]
        return (self.weights * special.ndtr((t - self.means) / self.sds)).sum(-1)

    def sf(self, t):
        t = np.asarray(t, dtype=np.float64)[..., None]
        return (self.weights * special.ndtr(-(t - self.means) / self.sds)).sum(-1)

    def partial_mean(self, t):
        """M(t) = E[X 1{X <= t}]."""
        t = np.asarray(t, dtype=np.float64)[..., None]
        z = (t - self.means) / self.sds
        phi = np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        return (self.weights * (self.means * special.ndtr(z) - self.sds * phi)).sum(-1)

    def quantile(self, u):
        """Q(u) = inf{t : F(t) >= u}; Q(0) = -inf, Q(1) = +inf."""
        u = np.asarray(u, dtype=np.float64)
        if np.any(~np.isfinite(u)) or np.any((u < 0) | (u > 1)):
            raise ValueError("quantile levels must lie in [0, 1]")
        if self.weights.size == 1:
            return self.means[0] + self.sds[0] * special.ndtri(u)
        # bracket: the u-quantile of the mixture lies between the component u-quantiles
        zq = special.ndtri(np.clip(u, 1e-300, 1 - 1e-16))[..., None]
        lo = (self.means + self.sds * zq).min(-1)
        hi = (self.means + self.sds * zq).max(-1)
        uu = np.clip(u, 1e-300, 1.0)
        upper = u > 0.5       # solve on the survival function in the upper tail (accuracy)
        target = np.where(upper, 1.0 - u, uu)
        # starting point: interpolation in a tabulated CDF (Newton then needs ~3 steps)
        if not hasattr(self, "_table"):
            a, b = self.support(1e-300)
            tt = np.linspace(a, b, 20001)
            self._table = (tt, self.cdf(tt), self.sf(tt))
        tt, Ft, St = self._table
        t0 = np.where(upper, np.interp(-target, -St, tt), np.interp(target, Ft, tt))
        t = np.clip(t0, lo, hi)
        t = np.where((t > lo) & (t < hi), t, 0.5 * (lo + hi))
        act = np.arange(t.size)
        tf, lof, hif = t.ravel().copy(), lo.ravel().copy(), hi.ravel().copy()
        upf, tgf = np.broadcast_to(upper, t.shape).ravel(), np.broadcast_to(target, t.shape).ravel()
        for _ in range(100):
            tt, up, tg = tf[act], upf[act], tgf[act]
            f = np.where(up, tg - self.sf(tt), self.cdf(tt) - tg)
            lof[act] = np.where(f < 0, tt, lof[act])
            hif[act] = np.where(f > 0, tt, hif[act])
            new = tt - f / np.maximum(self._pdf_fast(tt), 1e-300)
            bad = ~np.isfinite(new) | (new <= lof[act]) | (new >= hif[act])
            new = np.where(bad, 0.5 * (lof[act] + hif[act]), new)
            done = (np.abs(new - tt) <= 1e-14 * np.maximum(1.0, np.abs(tt))) | (f == 0)
            tf[act] = new
            act = act[~done]
            if act.size == 0:
                break
        t = tf.reshape(t.shape)
        t = np.where(u <= 0, -np.inf, t)
        return np.where(u >= 1, np.inf, t)

    def quantile_integral(self, u):
        """J(u) = int_0^u Q(v) dv = M(Q(u)); exact."""
        u = np.asarray(u, dtype=np.float64)
        q = self.quantile(np.clip(u, 1e-300, 1.0 - 1e-16))
        out = self.partial_mean(q)
        out = np.where(u <= 0, 0.0, out)
        return np.where(u >= 1, self.mean(), out)

    def sample(self, n: int, rng=None) -> np.ndarray:
        rng = np.random.default_rng(rng)
        comp = rng.choice(self.weights.size, size=int(n), p=self.weights)
        return self.means[comp] + self.sds[comp] * rng.standard_normal(int(n))

    def support(self, tail: float = 1e-16):
        """An interval holding all but ``tail`` of the mass (per side, per component)."""
        z = -special.ndtri(tail)
        return float((self.means - z * self.sds).min()), float((self.means + z * self.sds).max())

    def __repr__(self):
        return (f"{type(self).__name__}(weights={self.weights.tolist()}, "
                f"means={self.means.tolist()}, sds={self.sds.tolist()})")


class Normal1D(NormalMixture1D):
    """The 1-D normal law N(mean, sd^2) (a one-component :class:`NormalMixture1D`)."""

    def __init__(self, mean: float = 0.0, sd: float = 1.0):
        super().__init__([1.0], [mean], [sd])


# --------------------------------------------------------------------------- targets
def _tname(target):
    return type(target).__name__


def exact_law(target) -> NormalMixture1D:
    """Closed-form law of a 1-D built-in target: Gaussian, GaussianMixture or LogCosh.

    Raises
    ------
    ValueError
        For d > 1 or targets without a closed form (DoubleWell, Custom): use
        :func:`target_law` (quadrature on a grid) instead.
    """
    if getattr(target, "dim", None) != 1:
        raise ValueError("exact_law is for 1-D targets")
    name = _tname(target)
    if name == "Gaussian":
        return Normal1D(float(target.mean[0]), math.sqrt(float(target.cov[0, 0])))
    if name == "GaussianMixture":
        return NormalMixture1D(target.weights, target.means[:, 0],
                               np.sqrt(target.covs[:, 0, 0]))
    if name == "LogCosh":
        return NormalMixture1D([0.5, 0.5], [-2.0, 2.0], [1.0, 1.0])
    raise ValueError(f"no closed-form law for {name}; use target_law (grid quadrature)")


def default_box(target, tail: float = 1e-15):
    """Per-coordinate interval (lo, hi) holding all but ~``tail`` of the target's mass."""
    try:
        lo, hi = target.support_box(tail)
        return np.atleast_1d(np.asarray(lo, float)), np.atleast_1d(np.asarray(hi, float))
    except (NotImplementedError, AttributeError, TypeError):
        pass
    # generic: scan exp(-F) on a wide 1-D grid per coordinate (product assumption not needed
    # for d = 1, which is the only case this fallback supports)
    if target.dim != 1:
        raise ValueError(f"{_tname(target)}: no support_box; pass an explicit grid")
    xs = np.linspace(-50.0, 50.0, 20001)
    f = target.potential(xs[:, None])
    keep = np.nonzero(f - np.nanmin(f) < -math.log(tail) + 5.0)[0]
    return np.array([xs[keep[0]] - 0.5]), np.array([xs[keep[-1]] + 0.5])


def target_law(target, grid=None, *, dx: float = 0.01, tail: float = 1e-15) -> GridLaw:
    """The normalised density of a 1-D target on a uniform grid.

    Parameters
    ----------
    target : Target
        Any 1-D target. Uses ``target.log_density`` where the target has a normalised
        density, else exp(-F) normalised by the rectangle rule on the grid.
    grid : array_like, optional
        Uniform nodes. Default: ``target.support_box(tail)`` with spacing ``dx``.

    Returns
    -------
    GridLaw
        Normalised so that dx * sum(p) = 1 (rectangle rule, see :mod:`.grid`).
    """
    if getattr(target, "dim", None) != 1:
        raise ValueError("target_law is for 1-D targets; use quadrature_grid for d = 2")
    if grid is None:
        lo, hi = default_box(target, tail)
        grid = uniform_grid(lo[0], hi[0], dx)
    x = np.asarray(grid, dtype=np.float64)
    if getattr(target, "has_density", False):
        logp = lambda t: target.log_density(t[:, None])
    else:
        logp = lambda t: -target.potential(t[:, None])
    return GridLaw.from_log_density(logp, x, label=f"target {_tname(target)}")


def quadrature_grid(target, n_per_dim: int = 401, tail: float = 1e-15):
    """Tensor-product quadrature for a target of dimension 1 or 2.

    Returns nodes of shape (m, d) and weights of shape (m,) with sum(weights) = 1 such that
    E[f(X)] ~= sum_i w_i f(x_i): rectangle rule on a uniform grid over ``default_box``, with
    w_i proportional to pi(x_i) (spectrally accurate for smooth, decaying densities).
    """
    d = getattr(target, "dim", None)
    if d not in (1, 2):
        raise ValueError("quadrature_grid supports d = 1 and d = 2")
    if int(n_per_dim) < 16:
        raise ValueError("n_per_dim must be >= 16")
    lo, hi = default_box(target, tail)
    axes = [np.linspace(lo[j], hi[j], int(n_per_dim)) for j in range(d)]
    mesh = np.meshgrid(*axes, indexing="ij")
    pts = np.stack([m.ravel() for m in mesh], axis=1)
    if getattr(target, "has_density", False):
        lp = target.log_density(pts)
    else:
        lp = -target.potential(pts)
    w = np.exp(lp - lp.max())
    return pts, w / w.sum()


def moments(target, n_per_dim: int = 801):
    """(mean, cov) of a target: closed form where the target has them, else quadrature (d<=2)."""
    m = getattr(target, "mean", None)
    c = getattr(target, "cov", None)
    if m is not None and c is not None and not callable(m):
        return np.atleast_1d(np.asarray(m, float)), np.atleast_2d(np.asarray(c, float))
    pts, w = quadrature_grid(target, n_per_dim)
    mean = w @ pts
    dev = pts - mean
    return mean, (dev * w[:, None]).T @ dev


def exact_sampler(target):
    """A function ``sample(n, rng) -> (n, dim)`` drawing exactly from the target.

    Available for Gaussian, GaussianMixture and LogCosh (any dimension); 1-D targets with a
    grid law fall back to :meth:`GridLaw.sample` only through :func:`target_law`, not here.
    """
    if getattr(target, "has_sampler", False):
        return lambda n, rng=None: np.asarray(target.sample(n, rng), dtype=np.float64)
    raise ValueError(f"{_tname(target)} has no exact sampler (use target_law(...).sample in 1-D)")
