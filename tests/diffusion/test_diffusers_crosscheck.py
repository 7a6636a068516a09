"""Cross-checks against diffusers' schedulers (skipped when diffusers is not installed)."""
import pytest

torch = pytest.importorskip("torch")
diffusers = pytest.importorskip("diffusers")
pytestmark = pytest.mark.torch

import numpy as np  # noqa: E402

from langevin_theory.diffusion import (GaussianMixtureOracle, VPSchedule,  # noqa: E402
                                       dpm_solver_sample, preset_mixture, step_coefficients,
                                       trailing_timesteps)

SCH = VPSchedule.linear()
KW = dict(num_train_timesteps=1000, beta_schedule="linear", beta_start=1e-4, beta_end=0.02,
          clip_sample=False, prediction_type="epsilon")


def _float64(sch):
    """diffusers computes abar by a float32 cumprod (relative error ~1e-5 at t = 999); give
    it our float64 schedule so that the comparison tests the update formulas exactly."""
    sch.betas = torch.as_tensor(SCH.betas)
    sch.alphas = torch.as_tensor(SCH.alphas)
    sch.alphas_cumprod = torch.as_tensor(SCH.alphas_cumprod)
    return sch


def _ours(variant, t, s, x, eps, z):
    a, b, sig = step_coefficients(variant, SCH.abar(t), SCH.abar(s))
    return a * x - b * eps / (1 - SCH.abar(t)) ** 0.5 + sig * z


@pytest.mark.parametrize("steps", [1000, 50])
def test_ddpm_variant2_step_matches_DDPMScheduler(steps):
    sch = _float64(diffusers.DDPMScheduler(variance_type="fixed_small",
                                           timestep_spacing="trailing", **KW))
    sch.set_timesteps(steps)
    ts = trailing_timesteps(1000, steps)
    np.testing.assert_array_equal(sch.timesteps.numpy(), ts[:-1])
    g = torch.Generator().manual_seed(0)
    for j in (0, steps // 2, steps - 2, steps - 1):
        t, s = int(ts[j]), int(ts[j + 1])
        x = torch.randn(16, 3, generator=g, dtype=torch.float64)
        eps = torch.randn(16, 3, generator=g, dtype=torch.float64)
        ref = sch.step(eps, t, x, generator=torch.Generator().manual_seed(j)).prev_sample
        z = torch.randn(16, 3, generator=torch.Generator().manual_seed(j), dtype=torch.float64)
        torch.testing.assert_close(_ours("2", t, s, x, eps, z), ref, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("steps", [10, 50, 1000])
def test_ddim_step_matches_DDIMScheduler(steps):
    sch = _float64(diffusers.DDIMScheduler(set_alpha_to_one=True, timestep_spacing="trailing",
                                           **KW))
    sch.set_timesteps(steps)
    ts = trailing_timesteps(1000, steps)
    np.testing.assert_array_equal(sch.timesteps.numpy(), ts[:-1])
    g = torch.Generator().manual_seed(1)
    for j in (0, steps // 2, steps - 1):
        t, s = int(ts[j]), int(ts[j + 1])
        x = torch.randn(16, 3, generator=g, dtype=torch.float64)
        eps = torch.randn(16, 3, generator=g, dtype=torch.float64)
        ref = sch.step(eps, t, x, eta=0.0).prev_sample
        torch.testing.assert_close(_ours("ddim", t, s, x, eps, 0 * x), ref, rtol=1e-8,
                                   atol=1e-9)


@pytest.mark.parametrize("order,steps", [(2, 10), (3, 20)])
def test_dpm_solver_matches_DPMSolverMultistepScheduler(order, steps):
    """Deterministic runs from the same x_T with the exact-score oracle, compared at the last
    grid time before clean data (diffusers' 'dpmsolver' cannot step to sigma = 0; its final
    step goes to sigma_min, ours to the x0-prediction, so the final step is not compared)."""
    sch = diffusers.DPMSolverMultistepScheduler(
        algorithm_type="dpmsolver", solver_order=order, timestep_spacing="trailing",
        lower_order_final=True, final_sigmas_type="sigma_min",
        **{k: v for k, v in KW.items() if k != "clip_sample"})
    sch.set_timesteps(steps)
    np.testing.assert_array_equal(sch.timesteps.numpy(), trailing_timesteps(1000, steps)[:-1])
    orc = GaussianMixtureOracle(preset_mixture("2d_ring"), SCH)
    xT = torch.randn(200, 2, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    x = xT.clone()
    for t in sch.timesteps[:-1]:
        x = sch.step(orc(x, int(t)), t, x).prev_sample
    states = {}
    dpm_solver_sample(orc, xT, SCH, steps=steps, order=order,
                      callback=lambda j, t, xx: states.__setitem__(j, xx.clone()))
    # diffusers' float32 cumprod of abar (relative error up to ~1e-4) limits the agreement
    torch.testing.assert_close(states[steps - 2], x.double(), rtol=2e-3, atol=2e-3)
