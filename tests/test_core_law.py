"""The core simulators in law: closed-form stationary laws, coupled vs fast mode, midpoint
counts, gradient counts, and the coupling of PLMC(alpha, K) to LMC(alpha/K).

Every tolerance is a multiple (4) of a Monte Carlo standard error computed in the test, with
fixed seeds; each test also checks that the effect it measures is larger than that tolerance
(so it could fail).
"""
import numpy as np
import pytest
from scipy import linalg, stats

import langevin_theory as lt
from numpy_reference import flow

Z = 4.0  # standard errors allowed


def _var_se(v, n):
    """Standard error of a sample variance of a Gaussian: v sqrt(2/(n-1))."""
    return v * np.sqrt(2.0 / (n - 1))


def test_lmc_stationary_variance_1d_gaussian():
    sigma2, h, n = 2.0, 0.4, 200_000
    v_h = sigma2 / (1 - h / (2 * sigma2))  # fixed point of v = (1 - h/s2)^2 v + 2h
    x0 = np.random.default_rng(1).normal(0, np.sqrt(v_h), (n, 1))
    r = lt.simulate(lt.targets.Gaussian(0.0, sigma2), lt.schemes.LMC(), step_size=h,
                    n_steps=10, n_chains=n, rng=2, x0=x0)
    var, se = r.positions.var(), _var_se(v_h, n)
    print(f"LMC stationary variance {var:.5f} vs closed form {v_h:.5f} (SE {se:.5f})")
    assert abs(var - v_h) < Z * se
    assert abs(v_h - sigma2) > 2 * Z * se  # the test can tell the biased law from the target


def test_lmc_stationary_covariance_2d_gaussian():
    cov = np.array([[1.0, 0.6], [0.6, 2.0]])
    h, n = 0.3, 200_000
    M = np.eye(2) - h * np.linalg.inv(cov)
    C = linalg.solve_discrete_lyapunov(M, 2 * h * np.eye(2))
    x0 = np.random.default_rng(3).multivariate_normal([0, 0], C, n)
    r = lt.simulate(lt.targets.Gaussian([0.0, 0.0], cov), lt.schemes.LMC(), step_size=h,
                    n_steps=8, n_chains=n, rng=4, x0=x0)
    emp = np.cov(r.positions.T)
    se = np.sqrt((np.outer(np.diag(C), np.diag(C)) + C ** 2) / n)
    print("LMC 2-D stationary covariance\n", emp, "\nclosed form\n", C)
    assert np.all(np.abs(emp - C) < Z * se)


@pytest.mark.parametrize("friction", [0.5, 2.0])
def test_ulmc_stationary_covariance_matches_lyapunov(friction):
    sigma2, h, n = 1.5, 0.3, 200_000
    A, G = flow("under", friction, h)
    M = A + np.outer(G, [-1.0 / sigma2, 0.0])  # b(u) = -u/sigma2 enters through G
    dyn = lt.dynamics.Underdamped(friction)
    C = linalg.solve_discrete_lyapunov(M, dyn.Gamma2(h))
    s0 = np.random.default_rng(5).multivariate_normal([0, 0], C, n)
    r = lt.simulate(lt.targets.Gaussian(0.0, sigma2), lt.schemes.LMC(), dyn, step_size=h,
                    n_steps=10, n_chains=n, rng=6, x0=s0[:, :1], v0=s0[:, 1:])
    emp = np.cov(np.hstack([r.positions, r.velocities]).T)
    se = np.sqrt((np.outer(np.diag(C), np.diag(C)) + C ** 2) / n)
    print(f"ULMC gamma={friction}: empirical\n{emp}\nLyapunov\n{C}")
    assert np.all(np.abs(emp - C) < Z * se)
    assert abs(C[0, 0] - sigma2) > Z * se[0, 0]  # discretisation bias is visible


def test_default_initial_velocities_are_standard_normal():
    n = 100_000
    r = lt.simulate(lt.targets.LogCosh(dim=2), lt.schemes.LMC(), lt.dynamics.Underdamped(1.0),
                    step_size=0.1, n_steps=0, n_chains=n, rng=7)
    v = r.velocities
    assert np.all(np.abs(v.mean(0)) < Z / np.sqrt(n))
    assert np.all(np.abs(v.var(0) - 1) < Z * _var_se(1.0, n))
    assert abs(np.corrcoef(v.T)[0, 1]) < Z / np.sqrt(n)


SCHEMES = [lt.schemes.LMC(), lt.schemes.RandomizedMidpoint(),
           lt.schemes.PoissonMidpoint(8, option=1), lt.schemes.PoissonMidpoint(8, option=2)]


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: s.label())
@pytest.mark.parametrize("dyn", [lt.dynamics.Overdamped(), lt.dynamics.Underdamped(1.5)],
                         ids=["over", "under"])
def test_coupled_and_fast_modes_have_the_same_law(scheme, dyn):
    n, h = 20_000, 0.25
    target = lt.targets.LogCosh()
    kw = dict(step_size=h, n_steps=12, n_chains=n, x0=np.full((n, 1), 0.5))
    fast = lt.simulate(target, scheme, dyn, rng=10, **kw).positions[:, 0]
    path = lt.BrownianPath(seed=11, fine_step=h / 8)
    coup = lt.simulate(target, scheme, dyn, rng=12, brownian=path, **kw).positions[:, 0]
    ks = stats.ks_2samp(fast, coup)
    se_mean = np.sqrt(fast.var() / n + coup.var() / n)
    print(f"{scheme.label()} {dyn}: KS p={ks.pvalue:.3f}, mean diff {fast.mean() - coup.mean():.4f}"
          f" (SE {se_mean:.4f})")
    assert ks.pvalue > 1e-3
    assert abs(fast.mean() - coup.mean()) < Z * se_mean


@pytest.mark.parametrize("K", [2, 5, 16])
def test_option1_midpoint_counts_are_binomial(K):
    """Each step's midpoint count is Bin(K, 1/K), and independent of the previous step's.

    A chain draws one Bernoulli(1/K) process over all its slots, the gap that overshoots a step
    carried into the next, so the steps after the first are the ones to check. Runs of 1, 2
    and 3 steps share every chain's selection stream (same rng), so step t's count is the
    difference of the per-chain gradient counts of the t- and (t-1)-step runs.
    """
    n = 100_000
    evals = [np.zeros(n, np.int64)]
    for T in (1, 2, 3):
        r = lt.simulate(lt.targets.LogCosh(), lt.schemes.PoissonMidpoint(K, option=1),
                        step_size=0.1, n_steps=T, n_chains=n, rng=K)
        evals.append(r.grad_evals_per_chain)
    # one gradient at the step's start point, one per midpoint
    counts = [evals[t] - evals[t - 1] - 1 for t in (1, 2, 3)]
    kmax = min(K, 4)
    pmf = stats.binom(K, 1 / K)
    expected = n * np.append(pmf.pmf(np.arange(kmax)), pmf.sf(kmax - 1))
    for t, c in enumerate(counts, 1):
        observed = np.array([np.sum(c == k) for k in range(kmax)] + [np.sum(c >= kmax)])
        chi2 = stats.chisquare(observed, expected)
        print(f"K={K} step {t}: observed {observed}, expected {np.round(expected)}; "
              f"p={chi2.pvalue:.3f}")
        assert chi2.pvalue > 1e-3
        # P(no midpoint) = (1 - 1/K)^K, the Poisson(1) limit e^-1 for large K (notes 8.5)
        p0 = (1 - 1 / K) ** K
        assert abs(observed[0] / n - p0) < Z * np.sqrt(p0 * (1 - p0) / n)
    for t in (1, 2):
        table = np.array([[np.sum((np.minimum(counts[t - 1], 2) == a)
                                  & (np.minimum(counts[t], 2) == b)) for b in range(3)]
                          for a in range(3)])
        p = stats.chi2_contingency(table).pvalue
        print(f"K={K}: counts of steps {t} and {t + 1} (capped at 2) independent, p={p:.3f}")
        assert p > 1e-3


@pytest.mark.parametrize("K", [3, 10])
def test_gradient_counts(K):
    n, T = 20_000, 20
    kw = dict(step_size=0.05, n_steps=T, n_chains=n)
    target = lt.targets.DoubleWell()
    o1 = lt.simulate(target, lt.schemes.PoissonMidpoint(K, 1), rng=1, **kw)
    se1 = np.sqrt((1 - 1 / K) / (n * T))  # Var Bin(K, 1/K) = 1 - 1/K per step
    print(f"OPTION 1, K={K}: {o1.grad_evals_per_chain_step:.4f} gradients per step (SE {se1:.4f})")
    assert abs(o1.grad_evals_per_chain_step - 2) < Z * se1
    o2 = lt.simulate(target, lt.schemes.PoissonMidpoint(K, 2), rng=1, **kw)
    assert o2.n_grad_evals == 2 * n * T  # exactly 2: the u = 0 midpoint is evaluated too
    o2s = lt.simulate(target, lt.schemes.PoissonMidpoint(K, 2, skip_trivial_midpoint=True),
                      rng=1, **kw)
    p = 1 / K
    se2 = np.sqrt(p * (1 - p) / (n * T))
    assert abs(o2s.grad_evals_per_chain_step - (2 - p)) < Z * se2
    assert lt.schemes.PoissonMidpoint(K, 2, skip_trivial_midpoint=True).grad_evals_per_step \
        == 2 - p
    # the skip changes the cost, not the path (the skipped correction is exactly zero)
    assert np.allclose(o2s.positions, o2.positions, rtol=0, atol=1e-12)


def _w2_1d(a, b):
    return float(np.sqrt(np.mean((np.sort(a) - np.sort(b)) ** 2)))


def _coupling_ratio(alpha, n):
    """W2(PLMC(alpha, 1/alpha), LMC(alpha^2)) and W2(LMC(alpha), LMC(alpha^2)) on LogCosh."""
    K = int(np.ceil(1 / alpha))
    target = lt.targets.LogCosh()
    x0 = target.sample(n, rng=20)
    path = lt.BrownianPath(seed=21, fine_step=alpha / K)
    T = 2.0
    kw = dict(n_chains=n, x0=x0, brownian=path, rng=22)
    fine = lt.simulate(target, lt.schemes.LMC(), step_size=alpha / K,
                       n_steps=int(round(T * K / alpha)), **kw).positions[:, 0]
    coarse = lt.simulate(target, lt.schemes.LMC(), step_size=alpha,
                         n_steps=int(round(T / alpha)), **kw).positions[:, 0]
    pm = lt.simulate(target, lt.schemes.PoissonMidpoint(K, option=1), step_size=alpha,
                     n_steps=int(round(T / alpha)), **kw).positions[:, 0]
    return _w2_1d(pm, fine), _w2_1d(coarse, fine)


def test_coupling_is_real_in_law_alpha_1_8():
    """PLMC(alpha, K = 1/alpha) is far closer in law to LMC(alpha/K) than LMC(alpha) is
    (issue criterion: below a fifth), on one Brownian path from shared stationary starts."""
    w_pm, w_lmc = _coupling_ratio(1 / 8, 1_000_000)
    print(f"alpha=1/8: W2(PLMC, LMC(alpha/K)) = {w_pm:.2e}, W2(LMC(alpha), LMC(alpha/K)) = "
          f"{w_lmc:.2e}, ratio {w_pm / w_lmc:.3f}")
    assert w_pm < w_lmc / 5


@pytest.mark.slow
def test_coupling_is_real_in_law_alpha_1_16():
    w_pm, w_lmc = _coupling_ratio(1 / 16, 1_000_000)
    print(f"alpha=1/16: W2(PLMC, LMC(alpha/K)) = {w_pm:.2e}, W2(LMC(alpha), LMC(alpha/K)) = "
          f"{w_lmc:.2e}, ratio {w_pm / w_lmc:.3f}")
    assert w_pm < w_lmc / 5
