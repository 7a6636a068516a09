r"""Wasserstein-2 distances with error bars.

All functions return :class:`~langevin_theory.metrics.Estimate` with ``value`` = W2 (not W2^2).

Error bars
----------
* ``se`` (Monte Carlo standard error) is the delta-method / influence-function error: for
  two-sample W2^2,  W2^2(mu_n, nu_m) - W2^2(mu, nu) ~ (1/n) sum_i [phi(X_i) - E phi]
  + (1/m) sum_j [psi(Y_j) - E psi], where phi, psi are the Kantorovich potentials
  (1-D: phi'(t) = 2 (t - T(t)), T the monotone map), so
  se(W2^2)^2 = Var(phi)/n + Var(psi)/m, estimated from the sample, and
  se(W2) = se(W2^2) / (2 W2). It is accurate when W2 is well above ``floor``.
* ``floor`` is the RMS value of the estimator on two *identical* laws at the same sample sizes.
  1-D (order-statistic expansion x_(i) ~ Q(u_i) + Q'(u_i) (U_(i) - u_i)):

      floor^2 = (1/n + 1/m) int_{1/N}^{1-1/N} u (1 - u) Q'(u)^2 du,   N = n + m
      (m = inf for a sample against an exact law, with N = n),

  with Q' = 1 / p(Q) from the law when one is given, else from a sparsity (spacing)
  estimate Q'(u_i) ~ (z_(i+k) - z_(i-k)) N / (2k), k = ceil(sqrt(N)), on the pooled sample.
  For a Gaussian the integral grows like log log N (Bobkov & Ledoux 2019). With
  ``symmetrize=True`` the weight u (1 - u) becomes s (1 - 2 s) / 2, s = min(u, 1 - u), and
  the sizes double (the empirical CDF of x u (-x) has variance s (1 - 2 s) / (2 n) at level s):
  the floor shrinks by at least sqrt(2), and much more for laws with mass near the centre
  of symmetry only thinly spread (bimodal laws such as LogCosh).
  d-D (EMD, sliced): ``floor`` is measured by a permutation: the pooled sample is split at
  random into two sets of sizes n and m and the same estimator is applied.
"""
from __future__ import annotations

import math

import numpy as np

from ._common import as_sample_1d, as_sample_nd, is_law, rng_of, symmetrise
from .estimate import Estimate

__all__ = ["sliced_w2", "w2_1d", "w2_emd", "w2_floor_1d", "w2_gaussian", "w2_grid"]


# --------------------------------------------------------------------------- 1-D helpers
def _potential_sd(xs: np.ndarray, t_of_x: np.ndarray) -> float:
    """sd of the Kantorovich potential phi at sorted points xs, phi' = 2 (x - T(x))."""
    d = 2.0 * (xs - t_of_x)
    phi = np.empty_like(xs)
    phi[0] = 0.0
    np.cumsum(0.5 * (d[1:] + d[:-1]) * np.diff(xs), out=phi[1:])
    return float(np.std(phi))


def _two_sample_sq(xs: np.ndarray, ys: np.ndarray):
    """Exact W2^2 between two sorted empirical measures and the potentials' sds."""
    n, m = xs.size, ys.size
    if n == m:
        w2sq = float(np.mean((xs - ys) ** 2))
        return w2sq, _potential_sd(xs, ys), _potential_sd(ys, xs)
    # merge the quantile breakpoints i/n and j/m; cell k spans (u_{k-1}, u_k]
    u = np.union1d(np.arange(1, n + 1) / n, np.arange(1, m + 1) / m)
    du = np.diff(np.concatenate([[0.0], u]))
    mid = u - 0.5 * du
    ix = np.minimum((mid * n).astype(np.int64), n - 1)
    iy = np.minimum((mid * m).astype(np.int64), m - 1)
    w2sq = float(np.sum(du * (xs[ix] - ys[iy]) ** 2))
    tx = np.bincount(ix, weights=du * ys[iy], minlength=n) * n   # mean of T over x's cell
    ty = np.bincount(iy, weights=du * xs[ix], minlength=m) * m
    return w2sq, _potential_sd(xs, tx), _potential_sd(ys, ty)


def _law_second_moment(law) -> float:
    if hasattr(law, "second_moment"):
        return float(law.second_moment())
    return float(law.var() + law.mean() ** 2)


def _sample_law_sq(xs: np.ndarray, law):
    """Exact W2^2(empirical(xs), law) = sum_i int_{(i-1)/n}^{i/n} (x_(i) - Q(u))^2 du."""
    n = xs.size
    J = law.quantile_integral(np.arange(n + 1) / n)
    dJ = np.diff(J)                                    # int over cell of Q
    m2 = _law_second_moment(law)
    w2sq = float(np.mean(xs * xs) - 2.0 * np.dot(xs, dJ) + m2)
    return max(w2sq, 0.0), _potential_sd(xs, dJ * n)


def _weight(u, symmetric):
    if symmetric:
        s = np.minimum(u, 1.0 - u)
        return 0.5 * s * (1.0 - 2.0 * s)
    return u * (1.0 - u)


def _floor_integral_law(law, N: int, symmetric: bool) -> float:
    """int_{1/N}^{1-1/N} w(u) Q'(u)^2 du = int w(F(t)) / p(t) dt over [Q(1/N), Q(1-1/N)]."""
    lo, hi = law.quantile(np.array([1.0 / N, 1.0 - 1.0 / N]))
    t = np.linspace(lo, hi, 8001)
    p = np.maximum(law.pdf(t), 1e-300)
    f = _weight(np.clip(law.cdf(t), 0.0, 1.0), symmetric) / p
    return float(np.trapezoid(f, t))


def _floor_integral_sample(z: np.ndarray, symmetric: bool) -> float:
    """Same integral with Q' from the pooled sorted sample z (sparsity estimate)."""
    N = z.size
    k = int(math.ceil(math.sqrt(N)))
    i = np.arange(N)
    lo = np.clip(i - k, 0, N - 1)
    hi = np.clip(i + k, 0, N - 1)
    qprime = (z[hi] - z[lo]) * N / np.maximum(hi - lo, 1)
    u = (i + 0.5) / N
    keep = (u >= 1.0 / N) & (u <= 1.0 - 1.0 / N)
    return float(np.sum(_weight(u[keep], symmetric) * qprime[keep] ** 2) / N)


def w2_floor_1d(n: int, law=None, sample=None, m: int | None = None,
                symmetrize: bool = False) -> float:
    """The documented floor of :func:`w2_1d` (see the module docstring).

    Parameters
    ----------
    n, m : int
        Sample sizes (m None: a sample against an exact law). With ``symmetrize`` these are
        the sizes *before* symmetrisation.
    law : law object, optional
        Supplies Q' = 1/p(Q) exactly.
    sample : array, optional
        Sorted pooled sample used for a spacing estimate of Q' when no law is given.
    """
    inv = 1.0 / n + (0.0 if m is None else 1.0 / m)
    N = n + (0 if m is None else m)
    if symmetrize:
        N *= 2
    if law is not None:
        integral = _floor_integral_law(law, N, symmetrize)
    elif sample is not None:
        integral = _floor_integral_sample(np.sort(np.asarray(sample, float)), symmetrize)
    else:
        raise ValueError("w2_floor_1d needs a law or a sample")
    return math.sqrt(max(inv * integral, 0.0))


def w2_1d(x, y, *, symmetrize: bool = False, center: float = 0.0) -> Estimate:
    r"""W2 between a 1-D sample and another sample or an exact law.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, 1)
        Sample.
    y : array_like or law
        A second sample (shape (m,) or (m, 1)), or a law object with ``quantile``,
        ``quantile_integral``, ``cdf``, ``pdf`` and moments (:class:`GridLaw`,
        :class:`Normal1D`, :class:`NormalMixture1D` from :mod:`langevin_theory.reference`).
    symmetrize : bool
        Replace each sample by x u (2 c - x) (``center`` = c). Only valid when both laws are
        symmetric about c; it lowers the floor (module docstring).

    Returns
    -------
    Estimate
        value = W2. Two samples: exact W2^2 = int_0^1 (Q_x(u) - Q_y(u))^2 du between the
        empirical quantile functions (sorted samples; merged breakpoints when n != m).
        Sample vs law: exact W2^2 = sum_i int_{(i-1)/n}^{i/n} (x_(i) - Q(u))^2 du
        = mean(x^2) - 2 sum_i x_(i) [J(i/n) - J((i-1)/n)] + E_law[X^2], J(u) = int_0^u Q.
        se: influence-function standard error; floor: RMS on identical laws (module doc).
    """
    xs = np.sort(as_sample_1d(x, "x"))
    n = xs.size
    if symmetrize:
        xs = np.sort(symmetrise(xs, center))
    if is_law(y):
        w2sq, sdx = _sample_law_sq(xs, y)
        se_sq = sdx / math.sqrt(xs.size)
        floor = w2_floor_1d(n, law=y, symmetrize=symmetrize)
        method = "w2_1d sample-vs-law (exact quantile integral)"
    else:
        ys = np.sort(as_sample_1d(y, "y"))
        m = ys.size
        if symmetrize:
            ys = np.sort(symmetrise(ys, center))
        w2sq, sdx, sdy = _two_sample_sq(xs, ys)
        se_sq = math.sqrt(sdx ** 2 / xs.size + sdy ** 2 / ys.size)
        floor = w2_floor_1d(n, sample=np.concatenate([xs, ys]), m=m, symmetrize=symmetrize)
        method = "w2_1d two-sample (sorted samples)"
    if symmetrize:
        method += f", symmetrised about {center:g}"
    w2 = math.sqrt(max(w2sq, 0.0))
    se = se_sq / (2.0 * w2) if w2 > 0 else float("inf")
    return Estimate(w2, se, floor, method)


def w2_grid(p, q) -> Estimate:
    r"""W2 between a :class:`GridLaw` ``p`` and a law ``q`` (GridLaw or closed-form law).

    W2^2 = int (t - T(t))^2 p(t) dt with T = Q_q o F_p, computed by the rectangle rule on
    p's nodes with the O(dx^4) Hermite CDF / quantile of :class:`GridLaw`. No Monte Carlo:
    se = floor = 0. Discretisation error is O(dx^4) in the CDF plus the (spectral) rectangle
    rule; measured relative change under grid halving is reported in docs/instruments.md.
    """
    if not (hasattr(p, "x") and hasattr(p, "density") and hasattr(p, "cdf_nodes")):
        raise ValueError("w2_grid: p must be a GridLaw")
    if not is_law(q):
        raise ValueError("w2_grid: q must be a law (GridLaw or a closed-form law)")
    u = np.clip(p.cdf_nodes, 1e-300, 1.0 - 1e-16)
    # T at the nodes; u clipped only where p's density is negligible
    t = q.quantile(u)
    mask = p.density > 0
    w2sq = float(p.dx * np.sum(((p.x - t) ** 2 * p.density)[mask]))
    return Estimate(math.sqrt(max(w2sq, 0.0)), 0.0, 0.0, "w2_grid (quantile map on p's nodes)")


# --------------------------------------------------------------------------- Gaussian
def _sqrtm_psd(S):
    w, V = np.linalg.eigh(0.5 * (S + S.T))
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def w2_gaussian(m1, S1, m2, S2) -> Estimate:
    r"""Closed-form W2 between N(m1, S1) and N(m2, S2) (Bures-Wasserstein).

    W2^2 = |m1 - m2|^2 + tr S1 + tr S2 - 2 tr (S2^{1/2} S1 S2^{1/2})^{1/2};
    in 1-D, (m1 - m2)^2 + (s1 - s2)^2. Scalars are read as 1-D (co)variances.
    """
    m1 = np.atleast_1d(np.asarray(m1, dtype=np.float64))
    m2 = np.atleast_1d(np.asarray(m2, dtype=np.float64))
    S1 = np.atleast_2d(np.asarray(S1, dtype=np.float64))
    S2 = np.atleast_2d(np.asarray(S2, dtype=np.float64))
    d = m1.size
    if m2.size != d or S1.shape != (d, d) or S2.shape != (d, d):
        raise ValueError("w2_gaussian: inconsistent shapes")
    for S in (S1, S2):
        if not np.all(np.isfinite(S)) or not np.allclose(S, S.T, rtol=1e-10, atol=0):
            raise ValueError("covariances must be finite and symmetric")
        if np.linalg.eigvalsh(S)[0] < 0:
            raise ValueError("covariances must be positive semi-definite")
    mean_part = float(np.sum((m1 - m2) ** 2))
    if d == 1:
        cov_part = (math.sqrt(S1[0, 0]) - math.sqrt(S2[0, 0])) ** 2
    else:
        r2 = _sqrtm_psd(S2)
        cross = _sqrtm_psd(r2 @ S1 @ r2)
        cov_part = float(np.trace(S1) + np.trace(S2) - 2.0 * np.trace(cross))
    return Estimate(math.sqrt(max(mean_part + cov_part, 0.0)), 0.0, 0.0, "w2_gaussian (Bures)")


# --------------------------------------------------------------------------- d-D
def _emd_sq(x, y):
    import ot  # POT, imported lazily
    n, m = x.shape[0], y.shape[0]
    a = np.full(n, 1.0 / n)
    b = np.full(m, 1.0 / m)
    M = ot.dist(x, y, metric="sqeuclidean")
    val, log = ot.emd2(a, b, M, log=True, numItermax=10_000_000)
    if log.get("warning"):
        raise RuntimeError(f"POT emd2: {log['warning']}")
    return float(val), np.asarray(log["u"]), np.asarray(log["v"])


def w2_emd(x, y, *, n_permutations: int = 1, rng=None, max_points: int = 5000) -> Estimate:
    r"""Exact W2 between two d-D empirical measures (POT ``ot.emd2``, network simplex).

    Parameters
    ----------
    x, y : array_like, shapes (n, d), (m, d)
        At most ``max_points`` each (cost O(n m) memory, ~O(n^3) time).
    n_permutations : int
        Permutation splits of the pooled sample used to measure the floor (0 to skip).

    Returns
    -------
    Estimate
        value = sqrt(min over couplings of sum_ij P_ij |x_i - y_j|^2);
        se = sqrt(Var(u(X))/n + Var(v(Y))/m) / (2 W2) with (u, v) the optimal dual
        potentials (influence functions of W2^2); floor = RMS of the same estimator over
        ``n_permutations`` random splits of the pooled sample into sizes n and m.
    """
    x = as_sample_nd(x, "x")
    y = as_sample_nd(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError("x and y must have the same dimension")
    if max(x.shape[0], y.shape[0]) > max_points:
        raise ValueError(f"w2_emd is for <= {max_points} points per sample; use sliced_w2 or "
                         "subsample")
    w2sq, u, v = _emd_sq(x, y)
    w2 = math.sqrt(max(w2sq, 0.0))
    se_sq = math.sqrt(np.var(u) / x.shape[0] + np.var(v) / y.shape[0])
    se = se_sq / (2 * w2) if w2 > 0 else float("inf")
    floor = 0.0
    if n_permutations > 0:
        g = rng_of(rng)
        z = np.concatenate([x, y])
        vals = []
        for _ in range(int(n_permutations)):
            perm = g.permutation(z.shape[0])
            vals.append(_emd_sq(z[perm[:x.shape[0]]], z[perm[x.shape[0]:]])[0])
        floor = math.sqrt(max(float(np.mean(vals)), 0.0))
    return Estimate(w2, se, floor, f"w2_emd (POT exact EMD, n={x.shape[0]}, m={y.shape[0]})")


def _directions(n_projections, d, g):
    th = g.standard_normal((int(n_projections), d))
    return th / np.linalg.norm(th, axis=1, keepdims=True)


def _sliced_sq(x, y, th):
    px = np.sort(x @ th.T, axis=0)
    py = np.sort(y @ th.T, axis=0)
    vals = np.empty(th.shape[0])
    potx = np.zeros(x.shape[0])
    poty = np.zeros(y.shape[0])
    ordx = np.argsort(x @ th.T, axis=0)
    ordy = np.argsort(y @ th.T, axis=0)
    for l in range(th.shape[0]):
        vals[l], _, _ = _two_sample_sq(px[:, l], py[:, l])
        if x.shape[0] == y.shape[0]:
            tx, ty = py[:, l], px[:, l]
            d = 2.0 * (px[:, l] - tx)
            phi = np.concatenate([[0.0], np.cumsum(0.5 * (d[1:] + d[:-1]) * np.diff(px[:, l]))])
            d2 = 2.0 * (py[:, l] - ty)
            psi = np.concatenate([[0.0], np.cumsum(0.5 * (d2[1:] + d2[:-1])
                                                   * np.diff(py[:, l]))])
            potx[ordx[:, l]] += phi / th.shape[0]
            poty[ordy[:, l]] += psi / th.shape[0]
    return vals, potx, poty


def sliced_w2(x, y, n_projections: int = 200, rng=None, *, n_permutations: int = 1) -> Estimate:
    r"""Sliced W2: SW2^2 = E_theta W2^2(theta . X, theta . Y), theta uniform on the sphere.

    A proxy for W2 in d > 1 (SW2 <= W2; equal to W2 in 1-D). Estimated with
    ``n_projections`` random directions (the same directions for the floor).

    Returns
    -------
    Estimate
        value = sqrt(mean_l W2^2_l); se combines the projection noise
        Var_l(W2^2_l)/L and (for n = m) the sample noise through the averaged 1-D potentials,
        divided by 2 SW2; floor = RMS over ``n_permutations`` pooled-sample splits.
    """
    x = as_sample_nd(x, "x")
    y = as_sample_nd(y, "y")
    if x.shape[1] != y.shape[1]:
        raise ValueError("x and y must have the same dimension")
    if int(n_projections) < 2:
        raise ValueError("n_projections must be >= 2")
    g = rng_of(rng)
    th = _directions(n_projections, x.shape[1], g)
    vals, potx, poty = _sliced_sq(x, y, th)
    sw2sq = float(vals.mean())
    var = np.var(vals, ddof=1) / vals.size
    if x.shape[0] == y.shape[0]:
        var += np.var(potx) / x.shape[0] + np.var(poty) / y.shape[0]
    sw2 = math.sqrt(max(sw2sq, 0.0))
    se = math.sqrt(var) / (2 * sw2) if sw2 > 0 else float("inf")
    floor = 0.0
    if n_permutations > 0:
        z = np.concatenate([x, y])
        fl = []
        for _ in range(int(n_permutations)):
            perm = g.permutation(z.shape[0])
            v, _, _ = _sliced_sq(z[perm[:x.shape[0]]], z[perm[x.shape[0]:]], th)
            fl.append(v.mean())
        floor = math.sqrt(max(float(np.mean(fl)), 0.0))
    return Estimate(sw2, se, floor, f"sliced_w2 (L={th.shape[0]} projections)")
