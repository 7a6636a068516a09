"""Small distance estimators for the diffusion studies (numpy, float64).

Each estimator has a finite-sample bias floor; the study reports it by applying the same
estimator to exact samples of the data law (same ``n``), and reports standard errors over
independent seeds (:func:`mean_se`).
"""
from __future__ import annotations

import numpy as np
from scipy import linalg

__all__ = ["w2_1d", "kl_hist_1d", "w2_emd", "frechet_distance", "gaussian_w2", "mode_tv",
           "mode_frequencies", "mean_se", "moments"]


def mean_se(values):
    """Mean and standard error (``std(ddof=1)/sqrt(n)``; ``nan`` SE for one value)."""
    v = np.asarray(values, dtype=np.float64)
    if v.size == 0:
        raise ValueError("no values")
    se = v.std(ddof=1) / np.sqrt(v.size) if v.size > 1 else float("nan")
    return float(v.mean()), float(se)


def w2_1d(samples, mixture) -> float:
    r"""1-D Wasserstein-2 between the empirical law of ``samples`` and ``mixture``.

    .. math:: \widehat{W}_2^2 = \frac1n \sum_i (x_{(i)} - Q((i - 1/2)/n))^2

    with ``Q`` the exact quantile function (the W2 optimal coupling in 1-D is monotone).
    Returns ``W2`` (not squared).  Its floor for exact samples is ``O(n^{-1/2})``-ish.
    """
    x = np.sort(np.asarray(samples, dtype=np.float64).reshape(-1))
    n = x.size
    q = mixture.quantile_1d((np.arange(n) + 0.5) / n)
    return float(np.sqrt(np.mean((x - q) ** 2)))


def kl_hist_1d(samples, mixture, n_bins: int = 200, span: float = 5.0) -> float:
    r"""Histogram plug-in ``KL(P_hat || P)`` on equal-probability bins of the data law.

    Bins are the ``n_bins`` quantile cells of ``mixture`` (exact probabilities ``1/n_bins``)
    plus nothing outside (the outer cells extend to +-inf), so
    ``KL = sum_j p_hat_j log(p_hat_j n_bins)``.  Positive bias about ``(n_bins - 1)/(2n)``
    (Miller-Madow), which the study reports as the exact-sample floor.
    """
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    edges = mixture.quantile_1d(np.arange(1, n_bins) / n_bins)
    counts = np.bincount(np.searchsorted(edges, x), minlength=n_bins).astype(float)
    ph = counts / counts.sum()
    nz = ph > 0
    return float(np.sum(ph[nz] * np.log(ph[nz] * n_bins)))


def w2_emd(x, y) -> float:
    """Exact empirical W2 between two equal-weight point clouds (POT ``ot.emd2``)."""
    import ot
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    M = ot.dist(x, y)  # squared Euclidean
    a = np.full(len(x), 1.0 / len(x))
    b = np.full(len(y), 1.0 / len(y))
    return float(np.sqrt(max(ot.emd2(a, b, M, numItermax=10_000_000), 0.0)))


def moments(x):
    x = np.asarray(x, dtype=np.float64)
    return x.mean(0), np.atleast_2d(np.cov(x, rowvar=False))


def frechet_distance(m1, S1, m2, S2) -> float:
    r"""Fréchet distance (FID convention: *squared* Bures-Wasserstein) between Gaussians.

    .. math:: \|m_1 - m_2\|^2 + \mathrm{tr}(S_1 + S_2 - 2 (S_1^{1/2} S_2 S_1^{1/2})^{1/2})
    """
    m1, m2 = np.atleast_1d(m1), np.atleast_1d(m2)
    S1, S2 = np.atleast_2d(S1), np.atleast_2d(S2)
    # symmetric eigen-decompositions: stable for singular (e.g. constant-pixel) covariances
    w, V = linalg.eigh((S1 + S1.T) / 2)
    r1 = (V * np.sqrt(np.clip(w, 0, None))) @ V.T
    M = r1 @ S2 @ r1
    tr_cross = np.sum(np.sqrt(np.clip(linalg.eigvalsh((M + M.T) / 2), 0, None)))
    val = np.sum((m1 - m2) ** 2) + np.trace(S1) + np.trace(S2) - 2 * tr_cross
    return float(max(val, 0.0))


def gaussian_w2(x, m, S) -> float:
    """W2 between moment-matched Gaussians of samples ``x`` and ``N(m, S)`` (Bures)."""
    mx, Sx = moments(x)
    return float(np.sqrt(frechet_distance(mx, Sx, m, S)))


def mode_frequencies(x, mixture) -> np.ndarray:
    """Fraction of points whose most responsible data-law component is ``k``."""
    lab = np.argmax(mixture.log_prob_components(np.asarray(x, dtype=np.float64)), 1)
    return np.bincount(lab, minlength=mixture.n_components) / len(lab)


def mode_tv(x, mixture, reference_freq) -> float:
    """Total variation between the mode-assignment frequencies of ``x`` and the reference
    frequencies (the same assignment applied to a large exact sample)."""
    return float(0.5 * np.abs(mode_frequencies(x, mixture) - reference_freq).sum())
