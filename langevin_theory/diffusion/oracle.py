"""Exact-score oracle: Gaussian-mixture data and its closed-form VP scores.

For data ``X_0 ~ sum_k w_k N(mu_k, Sigma_k)`` the VP forward marginal at training step ``t``
is again a mixture (notes 8.14 / practicalities note):

    p_t = sum_k w_k N( sqrt(abar_t) mu_k,  abar_t Sigma_k + (1 - abar_t) I ),

so ``grad log p_t`` and the exact eps-prediction ``eps*(x, t) = -sqrt(1-abar_t) grad log p_t``
are closed form.  Running a sampler with :class:`GaussianMixtureOracle` isolates the
discretisation error from any model error.  Everything is float64.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from .schedules import VPSchedule

__all__ = ["GaussianMixture", "GaussianMixtureOracle", "preset_mixture"]


class GaussianMixture:
    """A Gaussian mixture in ``R^d`` (float64).

    Parameters
    ----------
    weights : array (M,)
        Positive, normalised internally.
    means : array (M, d)
    covs : array (M, d, d), (M, d) (diagonal) or (M,) (isotropic variances)
    """

    def __init__(self, weights, means, covs):
        w = np.asarray(weights, dtype=np.float64)
        mu = np.atleast_2d(np.asarray(means, dtype=np.float64))
        if w.ndim != 1 or np.any(w <= 0):
            raise ValueError("weights must be a 1-D array of positive numbers")
        if mu.shape[0] != w.size:
            raise ValueError("means must have one row per component")
        M, d = mu.shape
        c = np.asarray(covs, dtype=np.float64)
        if c.shape == (M,):
            c = c[:, None, None] * np.eye(d)
        elif c.shape == (M, d):
            c = np.stack([np.diag(r) for r in c])
        elif c.shape != (M, d, d):
            raise ValueError(f"covs must have shape (M,), (M, d) or (M, d, d); got {c.shape}")
        evals, evecs = np.linalg.eigh(c)
        if np.any(evals <= 0):
            raise ValueError("covariances must be positive definite")
        self.weights = w / w.sum()
        self.means, self.covs = mu, c
        self.evals, self.evecs = evals, evecs  # Sigma_k = U diag(lam) U^T
        self.n_components, self.dim = M, d

    # ---------------------------------------------------------------- moments, sampling
    def mean(self) -> np.ndarray:
        return self.weights @ self.means

    def cov(self) -> np.ndarray:
        m = self.mean()
        dm = self.means - m
        return (np.einsum("k,kij->ij", self.weights, self.covs)
                + np.einsum("k,ki,kj->ij", self.weights, dm, dm))

    def marginal(self, abar: float) -> "GaussianMixture":
        """The VP forward marginal at ``abar``: means ``sqrt(abar) mu``, covs
        ``abar Sigma + (1-abar) I``."""
        d = self.dim
        return GaussianMixture(self.weights, math.sqrt(abar) * self.means,
                               abar * self.covs + (1 - abar) * np.eye(d)[None])

    def sample(self, n: int, rng=None, return_labels=False):
        rng = np.random.default_rng(rng)
        lab = rng.choice(self.n_components, size=n, p=self.weights)
        z = rng.standard_normal((n, self.dim))
        L = self.evecs * np.sqrt(self.evals)[:, None, :]  # U diag(sqrt lam)
        x = self.means[lab] + np.einsum("nij,nj->ni", L[lab], z)
        return (x, lab) if return_labels else x

    # ---------------------------------------------------------------- densities
    def log_prob_components(self, x: np.ndarray) -> np.ndarray:
        """``log w_k + log N(x; mu_k, Sigma_k)``, shape (n, M)."""
        x = np.atleast_2d(x)
        out = np.empty((x.shape[0], self.n_components))
        for k in range(self.n_components):
            y = (x - self.means[k]) @ self.evecs[k]
            out[:, k] = (np.log(self.weights[k]) - 0.5 * np.sum(y * y / self.evals[k], 1)
                         - 0.5 * np.sum(np.log(2 * np.pi * self.evals[k])))
        return out

    def log_prob(self, x):
        lp = self.log_prob_components(x)
        m = lp.max(1, keepdims=True)
        return (m + np.log(np.exp(lp - m).sum(1, keepdims=True)))[:, 0]

    def responsibilities(self, x):
        lp = self.log_prob_components(x)
        lp -= lp.max(1, keepdims=True)
        r = np.exp(lp)
        return r / r.sum(1, keepdims=True)

    def cdf_1d(self, x):
        """CDF (1-D mixtures only)."""
        if self.dim != 1:
            raise ValueError("cdf_1d needs a 1-D mixture")
        from scipy.special import ndtr
        x = np.asarray(x, dtype=np.float64)[..., None]
        sd = np.sqrt(self.covs[:, 0, 0])
        return np.sum(self.weights * ndtr((x - self.means[:, 0]) / sd), -1)

    def quantile_1d(self, q, grid_size: int = 200_001):
        """Quantile function (1-D) by inverting the CDF on a fine grid, refined by Newton."""
        q = np.asarray(q, dtype=np.float64)
        sd = np.sqrt(self.covs[:, 0, 0])
        lo = np.min(self.means[:, 0] - 12 * sd)
        hi = np.max(self.means[:, 0] + 12 * sd)
        g = np.linspace(lo, hi, grid_size)
        x = np.interp(q, self.cdf_1d(g), g)
        for _ in range(3):
            pdf = np.exp(self.log_prob(x[:, None] if x.ndim == 1 else x.reshape(-1, 1)))
            x = x - (self.cdf_1d(x) - q) / np.maximum(pdf.reshape(x.shape), 1e-300)
        return x


class GaussianMixtureOracle(nn.Module):
    """Exact eps-model of a Gaussian-mixture data law: ``eps*(x, t) = -sqrt(1-abar_t) s_t(x)``.

    ``s_t(x) = sum_k r_k(x) C_k^{-1} (sqrt(abar_t) mu_k - x)`` with responsibilities ``r_k``
    under ``p_t`` and ``C_k = abar_t Sigma_k + (1-abar_t) I = U_k diag(abar lam_k + 1 - abar)
    U_k^T`` (eigendecomposition computed once).  Input ``x`` of shape ``(B, d)`` and integer
    ``t`` (scalar or ``(B,)`` with one common value); float64.
    """

    def __init__(self, mixture: GaussianMixture, schedule: VPSchedule):
        super().__init__()
        self.mixture, self.schedule = mixture, schedule
        self.register_buffer("logw", torch.as_tensor(np.log(mixture.weights)))
        self.register_buffer("mu", torch.as_tensor(mixture.means))
        self.register_buffer("lam", torch.as_tensor(mixture.evals))
        self.register_buffer("U", torch.as_tensor(mixture.evecs))
        self.isotropic = bool(np.allclose(mixture.covs, mixture.evals[:, :1, None]
                                          * np.eye(mixture.dim)[None]))

    def score(self, x: torch.Tensor, abar) -> torch.Tensor:
        """Exact ``grad log p_t(x)``; ``abar`` a float or a ``(B,)`` tensor (one per row)."""
        x = x.to(torch.float64)
        if torch.is_tensor(abar):
            ab = abar.to(torch.float64).reshape(-1, 1)  # (B, 1)
        else:
            ab = torch.full((x.shape[0], 1), float(abar), dtype=torch.float64)
        sa = ab.sqrt()
        logits, grads = [], []
        for k in range(self.mu.shape[0]):
            var = ab * self.lam[k] + (1.0 - ab)  # (B, d)
            dx = x - sa * self.mu[k]
            y = dx if self.isotropic else dx @ self.U[k]
            z = y / var
            g = -z if self.isotropic else -(z @ self.U[k].T)
            logits.append(self.logw[k] - 0.5 * (y * z).sum(1) - 0.5 * torch.log(var).sum(1))
            grads.append(g)
        r = torch.softmax(torch.stack(logits, 1), 1)  # (B, M)
        return torch.einsum("bk,kbd->bd", r, torch.stack(grads, 0))

    def forward(self, x, t):
        if torch.is_tensor(t) and t.numel() > 1:
            ab = self.schedule.torch_abar()[t.long().reshape(-1)]
            return -(1.0 - ab).sqrt().reshape(-1, 1) * self.score(x, ab)
        tt = int(t.reshape(-1)[0]) if torch.is_tensor(t) else int(t)
        abar = float(self.schedule.abar(tt))
        return -math.sqrt(1.0 - abar) * self.score(x, abar)


def preset_mixture(name: str) -> GaussianMixture:
    """Data laws used by the study (all with unit-scale spread, like normalised data).

    * ``"1d_smooth"``: two broad, overlapping modes, weights (0.3, 0.7), means -1, 1, sd 0.5.
    * ``"1d_sharp"``: three narrow modes (sd 0.05) at -1, 0, 1, weights (0.2, 0.5, 0.3).
    * ``"2d_ring"``: eight modes (sd 0.1) on the unit circle, unequal weights.
    * ``"16d"`` / ``"64d"``: four modes with random means on a sphere of radius 1.5 and random
      anisotropic full covariances (eigenvalues in [0.02, 0.3]), fixed seed.
    """
    if name == "1d_smooth":
        return GaussianMixture([0.3, 0.7], [[-1.0], [1.0]], [0.25, 0.25])
    if name == "1d_sharp":
        return GaussianMixture([0.2, 0.5, 0.3], [[-1.0], [0.0], [1.0]], [0.0025] * 3)
    if name == "2d_ring":
        ang = 2 * np.pi * np.arange(8) / 8
        w = np.array([1, 2, 1, 3, 1, 2, 1, 3], dtype=float)
        return GaussianMixture(w, np.stack([np.cos(ang), np.sin(ang)], 1), [0.01] * 8)
    if name in ("16d", "64d"):
        d = int(name[:-1])
        rng = np.random.default_rng(1234 + d)
        mu = rng.standard_normal((4, d))
        mu *= 1.5 / np.linalg.norm(mu, axis=1, keepdims=True)
        covs = []
        for _ in range(4):
            q, _ = np.linalg.qr(rng.standard_normal((d, d)))
            covs.append((q * rng.uniform(0.02, 0.3, d)) @ q.T)
        return GaussianMixture([0.1, 0.2, 0.3, 0.4], mu, np.stack(covs))
    raise ValueError(f"unknown preset {name!r}")
