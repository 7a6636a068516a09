"""Exact target laws: closed forms against scipy, grid laws of every 1-D target, samplers."""
import math

import numpy as np
import pytest
from scipy import integrate, stats

import langevin_theory as lt
from langevin_theory import reference as R


def test_mixture_law_matches_scipy():
    mix = R.NormalMixture1D([0.2, 0.8], [-1.0, 2.0], [0.5, 1.5])
    t = np.linspace(-6, 8, 57)
    ref_cdf = 0.2 * stats.norm.cdf(t, -1, 0.5) + 0.8 * stats.norm.cdf(t, 2, 1.5)
    ref_pdf = 0.2 * stats.norm.pdf(t, -1, 0.5) + 0.8 * stats.norm.pdf(t, 2, 1.5)
    assert np.max(np.abs(mix.cdf(t) - ref_cdf)) < 1e-15
    assert np.max(np.abs(mix.pdf(t) / ref_pdf - 1)) < 1e-12
    u = np.array([1e-12, 1e-3, 0.2, 0.5, 0.9, 1 - 1e-9])
    assert np.max(np.abs(mix.cdf(mix.quantile(u)) / u - 1)) < 1e-11
    # partial mean against adaptive quadrature
    for s in (-1.0, 0.5, 3.0):
        ref = integrate.quad(lambda y: y * mix.pdf(y), -30, s, epsabs=1e-14)[0]
        assert mix.partial_mean(s) == pytest.approx(ref, abs=1e-12)
    assert mix.mean() == pytest.approx(0.2 * -1 + 0.8 * 2, abs=1e-15)
    assert mix.var() == pytest.approx(0.2 * (0.25 + 1) + 0.8 * (2.25 + 4) - 1.4 ** 2, abs=1e-13)


def test_logcosh_is_the_two_component_mixture():
    t = lt.targets.LogCosh()
    law = R.exact_law(t)
    x = np.linspace(-8, 8, 101)
    assert np.max(np.abs(law.logpdf(x) - t.log_density(x[:, None]))) < 1e-12
    assert law.var() == pytest.approx(5.0, abs=1e-14)


@pytest.mark.parametrize("target", [lt.targets.LogCosh(), lt.targets.DoubleWell(),
                                    lt.targets.DoubleWell(tilt=0.3, scale=2.0),
                                    lt.targets.Gaussian(0.5, 2.0)])
def test_target_law_is_normalised_density(target):
    g = R.target_law(target, dx=0.01)
    # compare with exp(-F) normalised by adaptive quadrature
    f0 = target.potential(np.array([[0.0]]))
    f = lambda y: math.exp(-(target.potential(np.array([[y]]))[0] - f0[0]))
    Z = integrate.quad(f, g.x[0], g.x[-1], points=[-1, 0, 1], epsrel=1e-13, limit=400)[0]
    idx = np.searchsorted(g.x, [-1.3, 0.0, 0.7, 1.9])
    ref = np.array([f(v) for v in g.x[idx]]) / Z
    # nodal values: exact density up to the rectangle-rule normalisation (spectral)
    assert np.max(np.abs(g.density[idx] / ref - 1)) < 1e-10
    # between nodes: 4-point interpolation, O(dx^4) (measured <= 3.4e-6 at dx = 0.02, so ~2e-7 here)
    xs = g.x[idx] + 0.37 * g.dx
    ref = np.array([f(v) for v in xs]) / Z
    assert np.max(np.abs(g.pdf(xs) / ref - 1)) < 1e-6
    assert g.end_mass < 1e-12


def test_quadrature_grid_moments_2d():
    cov = np.array([[1.0, 0.4], [0.4, 0.5]])
    t = lt.targets.Gaussian([0.2, -0.1], cov)
    pts, w = R.quadrature_grid(t, 201)
    m = w @ pts
    C = ((pts - m) * w[:, None]).T @ (pts - m)
    assert np.max(np.abs(m - [0.2, -0.1])) < 1e-10
    assert np.max(np.abs(C - cov)) < 1e-10
    dw = lt.targets.DoubleWell(dim=2)
    mean, c = R.moments(dw, 301)
    assert np.max(np.abs(mean)) < 1e-10     # symmetric target
    assert c[0, 1] == pytest.approx(0.0, abs=1e-10)   # product target


def test_exact_sampler_moments():
    # mean of n = 2e5 draws within 4 standard errors (sd/sqrt(n)) of the exact mean
    t = lt.targets.LogCosh()
    s = R.exact_sampler(t)(200_000, np.random.default_rng(3))[:, 0]
    assert abs(s.mean()) < 4 * math.sqrt(5.0 / s.size)
    # variance: se of the sample variance ~ sqrt((m4 - s^4)/n), m4 = E X^4 = 3 + 6*4 + 16 = 43
    assert abs(s.var() - 5.0) < 4 * math.sqrt((43 - 25) / s.size)
    with pytest.raises(ValueError):
        R.exact_sampler(lt.targets.DoubleWell())
    with pytest.raises(ValueError):
        R.exact_law(lt.targets.DoubleWell())
