r"""Kullback-Leibler divergences with error bars. All return :class:`Estimate`.

* :func:`kl_grid` -- between two tabulated 1-D laws (no Monte Carlo).
* :func:`kl_gaussian` -- closed form between Gaussians.
* :func:`kl_samples` -- KL(law of the sample || known density):
  1-D / 2-D: Miller-Madow bias-corrected histogram; d >= 3: Kozachenko-Leonenko kNN.

Histogram estimator (d = 1, 2)
------------------------------
Cells: ``bins`` equal-width cells per coordinate over the sample's [q_t, q_{1-t}] box
(t = 1/(2 bins^d)), plus the outside: two half-line cells in 1-D, one complement cell in 2-D. With sample
frequencies f_c and target masses pi_c (Gauss-Legendre per cell; complement 1 - sum),

    KL_hat = sum_{c: f_c > 0} f_c log(f_c / pi_c) - (B_+ - 1) / (2 n),

B_+ the number of non-empty cells (Miller-Madow: under identical laws 2 n KL_plugin is
asymptotically chi^2_{B-1}, so the plug-in has bias (B - 1)/(2n) and variance
2 (B - 1)/(2n)^2). Hence

* floor = sqrt(2 (B_+ - 1)) / (2 n) -- the null spread (the corrected estimator has mean ~0
  on identical laws);
* se = sd_i[log(f_{c(X_i)} / pi_{c(X_i)})] / sqrt(n) (delta method), at least the floor.

It estimates the KL between the *binned* laws, which is <= the KL (data processing); the
binning bias is O(cell width^2) relative and is part of what the tests measure.

kNN estimator (any d)
---------------------
KL_hat = -H_hat - mean_i log pi(X_i) with the Kozachenko-Leonenko entropy
H_hat = psi(n) - psi(k) + log V_d + (d/n) sum_i log eps_i (eps_i the distance to the k-th
neighbour, V_d the unit-ball volume). se = floor = sd_i[d log eps_i + log pi(X_i)] / sqrt(n)
(the per-point terms' spread; its finite-n bias O(n^{-2/d}) is not corrected).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import linalg, special

from ._common import as_sample_nd, is_law, symmetrise
from ._hist import counts, inner_edges, law_cell_masses
from .estimate import Estimate

__all__ = ["kl_gaussian", "kl_grid", "kl_samples"]


def _grid_pair(p, q, strict=False):
    if not (hasattr(p, "x") and hasattr(p, "density")):
        raise ValueError("p must be a GridLaw")
    if hasattr(q, "same_grid") and p.same_grid(q):
        return p.density, q.density
    if strict and hasattr(q, "same_grid"):
        raise ValueError("kl_grid: q is a GridLaw on another grid (its density is 0 off its "
                         "grid, which makes the KL infinite); tabulate both on one grid, "
                         "e.g. reference.target_law(target, p.x)")
    if is_law(q) and hasattr(q, "pdf"):
        return p.density, np.asarray(q.pdf(p.x), float)
    raise ValueError("q must be a GridLaw on p's grid or a law with a pdf")


def kl_grid(p, q) -> Estimate:
    r"""KL(p || q) = int p log(p / q) for a GridLaw ``p`` and a GridLaw / closed-form ``q``.

    Computed as dx sum_i [p_i log(p_i / q_i) - p_i + q_i] (each term >= 0, which avoids
    cancellation for small KL; equal to the KL when both are normalised by the same rule).
    ``q`` on another grid or closed-form is evaluated at p's nodes with its ``pdf``.
    Returns inf when q vanishes where p does not. No Monte Carlo: se = floor = 0.
    """
    a, b = _grid_pair(p, q, strict=True)
    pos = a > 0
    if np.any(pos & (b <= 0)):
        return Estimate(float("inf"), 0.0, 0.0, "kl_grid")
    terms = b.copy()
    ap, bp = a[pos], b[pos]
    terms[pos] = ap * np.log(ap / bp) - ap + bp
    return Estimate(float(p.dx * terms.sum()), 0.0, 0.0, "kl_grid (rectangle rule)")


def kl_gaussian(m1, S1, m2, S2) -> Estimate:
    r"""KL(N(m1, S1) || N(m2, S2)) in closed form.

    KL = 1/2 [ (m2 - m1)^T S2^{-1} (m2 - m1) + sum_i (lambda_i - 1 - log lambda_i) ],
    lambda_i the eigenvalues of S2^{-1} S1 (generalised symmetric eigenproblem), which equals
    1/2 [tr(S2^{-1} S1) + (m2-m1)^T S2^{-1}(m2-m1) - d + log(det S2 / det S1)] without its
    cancellation when the laws are close (lambda - 1 - log lambda via log1p).
    """
    m1 = np.atleast_1d(np.asarray(m1, dtype=np.float64))
    m2 = np.atleast_1d(np.asarray(m2, dtype=np.float64))
    S1 = np.atleast_2d(np.asarray(S1, dtype=np.float64))
    S2 = np.atleast_2d(np.asarray(S2, dtype=np.float64))
    d = m1.size
    if m2.size != d or S1.shape != (d, d) or S2.shape != (d, d):
        raise ValueError("kl_gaussian: inconsistent shapes")
    for S in (S1, S2):
        if not np.all(np.isfinite(S)) or not np.allclose(S, S.T, rtol=1e-10, atol=0):
            raise ValueError("covariances must be finite and symmetric")
        if np.linalg.eigvalsh(S)[0] <= 0:
            raise ValueError("covariances must be positive definite")
    lam = linalg.eigh(S1, S2, eigvals_only=True)
    dl = lam - 1.0
    shape = np.where(np.abs(dl) < 1e-4,
                     dl ** 2 / 2 - dl ** 3 / 3 + dl ** 4 / 4 - dl ** 5 / 5,
                     dl - np.log1p(dl))
    dm = m2 - m1
    maha = float(dm @ linalg.solve(S2, dm, assume_a="pos"))
    return Estimate(0.5 * (maha + float(shape.sum())), 0.0, 0.0, "kl_gaussian (closed form)")


def _kl_hist(x, log_density, bins, cdf=None):
    n, d = x.shape
    edges = inner_edges([x], bins, d)
    c, idx = counts(x, edges)
    pi = law_cell_masses(edges, log_density=log_density, cdf=cdf)
    f = c / n
    pos = f > 0
    if np.any(pos & (pi <= 0)):
        return Estimate(float("inf"), 0.0, 0.0, "kl_samples histogram")
    lr = np.zeros_like(f)
    lr[pos] = np.log(f[pos] / pi[pos])
    B = int(pos.sum())
    plug = float(np.sum(f[pos] * lr[pos]))
    value = plug - (B - 1) / (2.0 * n)
    floor = math.sqrt(2.0 * (B - 1)) / (2.0 * n)
    se = max(float(np.std(lr[idx])) / math.sqrt(n), floor)
    return Estimate(value, se, floor,
                    f"kl_samples histogram (Miller-Madow, {bins}^{d} cells + complement)")


def _kl_knn(x, log_density, k):
    from scipy.spatial import cKDTree
    n, d = x.shape
    tree = cKDTree(x)
    dist, _ = tree.query(x, k=k + 1, workers=-1)
    eps = dist[:, -1]
    if np.any(eps <= 0):
        raise ValueError("duplicate points: the kNN estimator needs distinct points")
    logv = 0.5 * d * math.log(math.pi) - special.gammaln(0.5 * d + 1.0)
    lp = np.asarray(log_density(x), float)
    terms = d * np.log(eps) + lp
    H = special.digamma(n) - special.digamma(k) + logv + d * float(np.mean(np.log(eps)))
    value = -H - float(np.mean(lp))
    se = float(np.std(terms)) / math.sqrt(n)
    return Estimate(value, se, se, f"kl_samples kNN (Kozachenko-Leonenko, k={k}, d={d})")


def kl_samples(x, log_density, *, method: str = "auto", bins: int | None = None, k: int = 1,
               cdf=None, symmetrize: bool = False, center: float = 0.0) -> Estimate:
    r"""KL(law of ``x`` || pi) for a sample ``x`` and a normalised density pi.

    Parameters
    ----------
    x : array_like, shape (n, d) (or (n,) for d = 1)
    log_density : callable
        log pi(points) for points of shape (m, d) -> (m,); e.g. ``target.log_density``.
        Must be normalised.
    method : {"auto", "hist", "knn"}
        "auto": histogram for d <= 2, kNN for d >= 3.
    bins : int, optional
        Cells per coordinate (default: 1-D min(200, n^{1/3}), 2-D min(60, n^{1/4})).
    cdf : callable, optional
        1-D: the exact CDF of pi, used for the cell masses instead of quadrature.
    symmetrize : bool
        1-D only: use x u (2 center - x) (valid when both laws are symmetric about center);
        the floor is then computed for 2n points (an optimistic value: the pairs are
        dependent).

    Returns
    -------
    Estimate
        See the module docstring for the formulas of value, se and floor.
    """
    x = as_sample_nd(x, "x")
    if not callable(log_density):
        raise ValueError("log_density must be callable")
    n, d = x.shape
    if symmetrize:
        if d != 1:
            raise ValueError("symmetrize is for 1-D samples")
        x = symmetrise(x, center)
        n = x.shape[0]
    if method == "auto":
        method = "hist" if d <= 2 else "knn"
    if method == "hist":
        if d > 2:
            raise ValueError("histogram KL supports d <= 2; use method='knn'")
        if bins is None:
            bins = int(min(400, max(10, round(2 * n ** (1 / 3))))) if d == 1 else \
                int(min(60, max(6, round(n ** 0.25))))
        if int(bins) < 2:
            raise ValueError("bins must be >= 2")
        return _kl_hist(x, log_density, int(bins), cdf=cdf if d == 1 else None)
    if method == "knn":
        if int(k) < 1:
            raise ValueError("k must be >= 1")
        return _kl_knn(x, log_density, int(k))
    raise ValueError(f"unknown method {method!r}; use 'auto', 'hist' or 'knn'")
