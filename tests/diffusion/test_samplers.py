import math

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

import numpy as np  # noqa: E402

from langevin_theory.diffusion import (GaussianMixtureOracle, VPSchedule, ddim_sample,  # noqa: E402
                                       ddpm_sample, dpm_solver_sample, expected_nfe,
                                       interpolation_constants, pmm_sample, pndm_sample,
                                       preset_mixture, step_coefficients)
from langevin_theory.diffusion.samplers.pmm import fine_coefficients  # noqa: E402

SCH = VPSchedule.linear()
# A 100-step schedule for the pathwise identities (they hold for any N; keeps CI fast).
SCH100 = VPSchedule.linear(100, 1e-3, 0.2)
VARS = ("1a", "1b", "1c", "1d", "2", "3")


@pytest.fixture(scope="module")
def oracle():
    return GaussianMixtureOracle(preset_mixture("2d_ring"), SCH)


@pytest.fixture(scope="module")
def oracle100():
    return GaussianMixtureOracle(preset_mixture("2d_ring"), SCH100)


@pytest.fixture(scope="module")
def oracle1d():
    return GaussianMixtureOracle(preset_mixture("1d_smooth"), SCH)


# ----------------------------------------------------------------- coefficient variants
def test_variant2_is_ho_ancestral_step():
    """Variant 2 (DDIM eta=1) must equal Ho et al.'s posterior step
    x_{t-1} = (x - beta/sqrt(1-abar) eps)/sqrt(alpha) + sqrt(beta_tilde) z."""
    for t in (1, 10, 500, 999):
        ab_t, ab_s = SCH.abar(t), SCH.abar(t - 1)
        beta = SCH.betas[t]
        a, b, sig = step_coefficients("2", ab_t, ab_s)
        c_eps = -b / math.sqrt(1 - ab_t)  # coefficient of eps
        assert abs(a - 1 / math.sqrt(1 - beta)) < 1e-12
        assert abs(c_eps + beta / math.sqrt(1 - ab_t) / math.sqrt(1 - beta)) < 1e-10
        assert abs(sig ** 2 - (1 - ab_s) / (1 - ab_t) * beta) < 1e-15


def test_variant1_is_exponential_integrator():
    """Variant 1 = exact solution of dY = (Y/2 + s) du + dB_u, u in [0, -log alpha], with s
    frozen: mean e^{u/2} y + 2(e^{u/2}-1) s, variance e^u - 1 (solved by scipy's ODE solver
    for the mean/variance ODEs, independently of the closed form in the code)."""
    from scipy.integrate import solve_ivp
    for t in (3, 400, 999):
        a, b, sig = step_coefficients("1a", SCH.abar(t), SCH.abar(t - 1))
        u = -math.log(SCH.alphas[t])
        y0, s = 0.7, -1.3
        sol = solve_ivp(lambda _, z: [z[0] / 2 + s, z[1] + 1], (0, u), [y0, 0.0],
                        rtol=1e-12, atol=1e-14)
        assert abs(a * y0 + b * s - sol.y[0, -1]) < 1e-9
        assert abs(sig ** 2 - sol.y[1, -1]) < 1e-9
        # sub-variants: sigma^2 = beta / (1 + i beta)
        beta = SCH.betas[t]
        for v, i in zip(("1a", "1b", "1c", "1d"), (-1, 0, 1, 2)):
            assert abs(step_coefficients(v, SCH.abar(t), SCH.abar(t - 1))[2] ** 2
                       - beta / (1 + i * beta)) < 1e-15


def test_variant1_square_root_and_index_choice():
    """Data N(0, v0): exact reverse marginals are N(0, abar v0 + 1 - abar).  Propagating the
    variance through the 1000 fine Variant-1 steps, the documented reading (sqrt(1-abar) and
    alpha_t for the step t -> t-1) must land far closer to v0 than the OCR'd alternatives
    (no square root)."""
    v0 = 0.3
    ab = np.r_[SCH.alphas_cumprod, np.nan]

    def run(sqrt_ok, shift):
        var = 1.0
        for t in range(999, -1, -1):
            alpha = SCH.alphas[min(t + shift, 999)]
            sa = math.sqrt(alpha)
            var_t = ab[t] * v0 + 1 - ab[t]
            c_eps = -2 * (1 - sa) / sa / ((1 - ab[t]) ** (0.5 if sqrt_ok else 1.0))
            eps_coef = math.sqrt(1 - ab[t]) / var_t  # eps* = sqrt(1-abar) x / var_t
            u = 1 / sa + c_eps * eps_coef
            var = u * u * var + (0 if t == 0 else (1 - alpha) / alpha)
        return abs(var - v0)

    good = run(True, 0)
    assert good < 0.02 * v0
    assert run(False, 0) > 10 * good
    # The index (alpha_t vs alpha_{t+1}) only changes beta by |beta_{t+1} - beta_t| ~ 2e-5;
    # both readings are equally accurate here, and the derivation (the step t -> t-1 undoes
    # the forward step that used alpha_t) fixes alpha_t.
    assert abs(run(True, 1) - good) < 0.01 * v0


def test_bad_inputs(oracle):
    with pytest.raises(ValueError):
        step_coefficients("7", 0.5, 0.6)
    with pytest.raises(ValueError):
        pmm_sample(oracle, (4, 2), SCH, K=0)
    with pytest.raises(ValueError):
        pmm_sample(oracle, (4, 2), SCH, K=3)  # does not divide 1000
    with pytest.raises(ValueError):
        pmm_sample(oracle, (4, 2), SCH, K=4, option=3)
    with pytest.raises(ValueError):
        pmm_sample(oracle, (4, 2), SCH, K=1, option=2)
    with pytest.raises(ValueError):
        ddpm_sample(oracle, (4, 2), SCH, steps=0)
    with pytest.raises(ValueError):
        dpm_solver_sample(oracle, (4, 2), SCH, steps=5, order=4)
    with pytest.raises(ValueError):
        pndm_sample(oracle, (4, 2), SCH, steps=1)
    with pytest.raises(ValueError):
        ddpm_sample(oracle, torch.full((2, 2), float("nan"), dtype=torch.float64), SCH)


# ----------------------------------------------------------------- PMM exact identities
@pytest.mark.parametrize("variant", VARS)
def test_pmm_K1_equals_ddpm_pathwise(oracle100, variant):
    r1 = ddpm_sample(oracle100, (200, 2), SCH100, steps=100, variant=variant, generator=5)
    r2 = pmm_sample(oracle100, (200, 2), SCH100, K=1, option=1, variant=variant, generator=5)
    torch.testing.assert_close(r1.samples, r2.samples, rtol=0, atol=1e-12)
    assert r1.nfe == r2.nfe == 100


def test_pmm_K1_equals_ddpm_pathwise_N1000(oracle1d):
    r1 = ddpm_sample(oracle1d, (100, 1), SCH, steps=1000, variant="1a", generator=5)
    r2 = pmm_sample(oracle1d, (100, 1), SCH, K=1, option=1, variant="1a", generator=5)
    torch.testing.assert_close(r1.samples, r2.samples, rtol=0, atol=1e-12)


@pytest.mark.parametrize("variant", ("1a", "2", "3"))
def test_pmm_K2_option2_equals_fine_ddpm_pathwise(oracle100, variant):
    """K = 2, OPTION 2: the single candidate midpoint xhat_{t-1} is exactly the fine DDPM
    state (the frozen drift is exact over the first sub-step) and p H = 1, so PMM = DDPM."""
    r1 = ddpm_sample(oracle100, (200, 2), SCH100, steps=100, variant=variant, generator=6)
    r2 = pmm_sample(oracle100, (200, 2), SCH100, K=2, option=2, variant=variant, generator=6,
                    midpoint_generator=99)
    torch.testing.assert_close(r1.samples, r2.samples, rtol=0, atol=1e-10)
    assert r2.nfe == 100


@pytest.mark.parametrize("option", (1, 2))
@pytest.mark.parametrize("K", (4, 10))
def test_pmm_constant_drift_equals_fine_chain(option, K):
    """Constant score: all corrections vanish and PMM(K) equals the fine chain pathwise."""
    c = torch.tensor([0.3, -0.2], dtype=torch.float64)

    def eps(x, t):
        ab = torch.as_tensor(SCH.alphas_cumprod)[t].unsqueeze(1)
        return -(1 - ab).sqrt() * c.expand_as(x)

    r1 = ddpm_sample(eps, (50, 2), SCH, steps=1000, variant="1c", generator=1)
    r2 = pmm_sample(eps, (50, 2), SCH, K=K, option=option, variant="1c", generator=1,
                    midpoint_generator=2)
    torch.testing.assert_close(r1.samples, r2.samples, rtol=0, atol=1e-10)


@pytest.mark.parametrize("variant", VARS)
def test_interpolation_constants_reproduce_fine_recursion(oracle, variant):
    """x_{t-k} = A_k x_t + sum_i B_{k,i} s(x_{t-i+1}) + sum_i C_{k,i} Z_i for every k <= K,
    with the drift taken at *every* fine point, equals the fine recursion to 1e-10."""
    K, t = 25, 524
    g = torch.Generator().manual_seed(0)
    x = torch.randn(30, 2, generator=g, dtype=torch.float64)
    Z = torch.randn(K, 30, 2, generator=g, dtype=torch.float64)
    co = fine_coefficients(SCH, variant, t, K)
    A, B, C = interpolation_constants(SCH, variant, t, K)
    path, scores = [x], []
    for j in range(1, K + 1):
        u = t - j + 1
        s = -oracle(path[-1], u) / math.sqrt(1 - SCH.abar(u))
        scores.append(s)
        a, b, sig = co[j - 1]
        path.append(a * path[-1] + b * s + sig * Z[j - 1])
    for k in range(1, K + 1):
        unrolled = A[k] * x + sum(B[k, i] * scores[i - 1] + C[k, i] * Z[i - 1]
                                  for i in range(1, k + 1))
        torch.testing.assert_close(unrolled, path[k], rtol=0, atol=1e-10)


# ----------------------------------------------------------------- NFE accounting
@pytest.mark.parametrize("K,coupled", [(2, True), (25, True), (5, False), (50, False)])
def test_nfe_option1_binomial(oracle1d, K, coupled):
    """Per sample: NFE = N/K + Bin((N/K)(K-1), 1/K).  Mean within 4 SE of (N/K)(2-1/K)."""
    B = 400
    r = pmm_sample(oracle1d, (B, 1), SCH, K=K, option=1, generator=K, coupled=coupled)
    n, q = (1000 // K) * (K - 1), 1.0 / K
    extra = r.nfe_per_sample - 1000 // K
    assert extra.min() >= 0 and extra.max() <= n
    se = math.sqrt(n * q * (1 - q) / B)
    assert abs(r.nfe - expected_nfe(1000, K, 1)) < 4 * se
    assert r.info["expected_nfe"] == pytest.approx(1000 / K * (2 - 1 / K), abs=1e-12)
    # variance of the per-sample count matches the binomial variance (4 SE of a variance)
    var_hat = extra.double().var().item()
    assert abs(var_hat - n * q * (1 - q)) < 4 * n * q * (1 - q) * math.sqrt(2 / (B - 1)) + 1e-9


@pytest.mark.parametrize("K,coupled", [(2, True), (40, True), (8, False)])
def test_nfe_option2_exact(oracle1d, K, coupled):
    r = pmm_sample(oracle1d, (64, 1), SCH, K=K, option=2, generator=0, coupled=coupled)
    assert torch.all(r.nfe_per_sample == 2000 // K) and r.nfe == expected_nfe(1000, K, 2)


def test_nfe_baselines_exact(oracle):
    for S in (10, 37, 50):
        assert ddpm_sample(oracle, (8, 2), SCH, steps=S, generator=0).nfe == S
        assert ddim_sample(oracle, (8, 2), SCH, steps=S, generator=0).nfe == S
        for order in (2, 3):
            r = dpm_solver_sample(oracle, (8, 2), SCH, steps=S, order=order, generator=0)
            assert r.nfe == S and r.n_forward == S
        assert pndm_sample(oracle, (8, 2), SCH, steps=S, generator=0).nfe == S + 1


def test_dpm_solver_logsnr_grid_and_accuracy(oracle):
    """DPM-Solver-3 at 20 NFE and DDIM at 500 NFE are both ODE integrators of the same
    probability-flow ODE: from the same x_T they must agree closely (deterministic)."""
    xT = torch.randn(300, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    ref = ddim_sample(oracle, xT, SCH, steps=500).samples
    err = {}
    for S in (10, 20):
        x = dpm_solver_sample(oracle, xT, SCH, steps=S, order=3, skip_type="logSNR").samples
        err[S] = (x - ref).norm(dim=1).mean().item()
    d1 = (ddim_sample(oracle, xT, SCH, steps=20).samples - ref).norm(dim=1).mean().item()
    assert err[20] < err[10] and err[20] < d1
