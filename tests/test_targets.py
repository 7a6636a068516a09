"""Built-in targets against independent NumPy/SciPy formulas.

The kernels (``_target_kernels``) have special fast paths (diagonal mixtures in d <= 2, a
two-pass log-sum-exp); every path is checked here against a formula written from scratch:
grad F(x) = sum_j r_j(x) Sigma_j^{-1} (x - mu_j), r_j the posterior responsibilities, and
F(x) - F(y) = log pi(y) - log pi(x) with scipy's Gaussian log-densities.
"""
import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

import langevin_theory as lt


def _mixture_logpdf_and_grad(w, means, covs, x):
    """log pi(x) and grad F(x) = -grad log pi(x) of a Gaussian mixture, row by row."""
    comp = np.stack([stats.multivariate_normal(m, c).logpdf(x).reshape(len(x)) + np.log(wj)
                     for wj, m, c in zip(w, means, covs)], axis=1)          # (n, k)
    logp = logsumexp(comp, axis=1)
    r = np.exp(comp - logp[:, None])
    grad = sum(r[:, j, None] * np.linalg.solve(covs[j], (x - means[j]).T).T
               for j in range(len(w)))
    return logp, grad


def _random_mixture(rng, d, k, diag):
    w = rng.uniform(0.2, 1.0, k)
    w /= w.sum()
    means = rng.normal(0, 2.0, (k, d))
    if diag:
        covs = np.stack([np.diag(rng.uniform(0.2, 2.0, d)) for _ in range(k)])
    else:
        a = rng.normal(size=(k, d, d))
        covs = np.einsum("kab,kcb->kac", a, a) + 0.5 * np.eye(d)
    return w, means, covs


CASES = [(1, 2, True), (1, 5, True), (2, 4, True), (2, 3, False), (3, 4, True), (5, 3, False),
         (10, 4, True)]


@pytest.mark.parametrize("d,k,diag", CASES)
def test_mixture_gradient_and_potential_match_scipy(d, k, diag):
    rng = np.random.default_rng(100 * d + k)
    w, means, covs = _random_mixture(rng, d, k, diag)
    covs_arg = np.stack([np.diag(c) for c in covs]) if diag else covs
    target = lt.targets.GaussianMixture(w, means, covs_arg)
    assert (target.params[3] != 0.0) == diag       # the kernel takes the diagonal path
    x = rng.normal(0, 3.0, (200, d))
    logp, grad = _mixture_logpdf_and_grad(w, means, covs, x)
    np.testing.assert_allclose(target.grad_potential(x), grad, rtol=1e-11, atol=1e-12)
    f = target.potential(x)
    # F is defined up to a constant: compare differences to the first point
    np.testing.assert_allclose(f - f[0], -(logp - logp[0]), rtol=1e-11, atol=1e-10)


@pytest.mark.parametrize("d", [1, 2, 4])
def test_mixture_gradient_far_in_the_tails(d):
    # every weight underflows at |x| ~ 60: the log-sum-exp must still give the gradient of the
    # dominant component, sum_j r_j P_j (x - mu_j) with r concentrated on the nearest mean
    rng = np.random.default_rng(d)
    w, means, covs = _random_mixture(rng, d, 3, True)
    target = lt.targets.GaussianMixture(w, means, np.stack([np.diag(c) for c in covs]))
    x = np.full((1, d), 60.0)
    _, grad = _mixture_logpdf_and_grad(w, means, covs, x)
    g = target.grad_potential(x)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, grad, rtol=1e-10)


def test_double_well_and_logcosh_closed_forms():
    x = np.linspace(-3, 3, 61)[:, None]
    dw = lt.targets.DoubleWell(tilt=0.3, scale=2.0)
    np.testing.assert_allclose(dw.grad_potential(x), 2.0 * (x ** 3 - x) + 0.3, rtol=1e-14,
                               atol=1e-14)
    lc = lt.targets.LogCosh()
    np.testing.assert_allclose(lc.grad_potential(x), x - 2 * np.tanh(2 * x), rtol=1e-14,
                               atol=1e-14)
    # LogCosh is exactly the mixture 1/2 N(-2, 1) + 1/2 N(2, 1)
    mix = lc.as_mixture()
    np.testing.assert_allclose(mix.grad_potential(x), lc.grad_potential(x), rtol=1e-12,
                               atol=1e-13)
