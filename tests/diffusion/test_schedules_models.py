import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

import numpy as np  # noqa: E402

from langevin_theory.diffusion import (EpsAdapter, GaussianMixtureOracle, VPSchedule,  # noqa: E402
                                       preset_mixture, trailing_timesteps)


def test_schedules_closed_forms():
    lin = VPSchedule.linear()
    assert lin.n_steps == 1000 and lin.betas[0] == 1e-4 and abs(lin.betas[-1] - 0.02) < 1e-15
    np.testing.assert_allclose(lin.alphas_cumprod, np.cumprod(1 - lin.betas), rtol=0, atol=0)
    sl = VPSchedule.scaled_linear(beta_start=0.0015, beta_end=0.0195)
    assert abs(np.sqrt(sl.betas[0]) - np.sqrt(0.0015)) < 1e-15
    cos = VPSchedule.cosine()
    f = lambda u: np.cos((u + 0.008) / 1.008 * np.pi / 2) ** 2  # noqa: E731
    np.testing.assert_allclose(cos.alphas_cumprod[:900], f(np.arange(1, 901) / 1000) / f(0),
                               rtol=1e-12)
    assert lin.abar(-1) == 1.0 and lin.abar(0) == 1 - 1e-4
    with pytest.raises(ValueError):
        lin.abar(1000)
    with pytest.raises(ValueError):
        VPSchedule.from_name("nope")
    with pytest.raises(ValueError):
        VPSchedule(np.array([0.1, 1.2]))


def test_trailing_grid_matches_pmm_coarse_grid():
    for S in (1, 4, 20, 25, 40, 1000):
        ts = trailing_timesteps(1000, S)
        c = 1000 // S
        np.testing.assert_array_equal(ts, np.r_[np.arange(999, -1, -c), -1])
    ts = trailing_timesteps(1000, 30)  # non-dividing: still strictly decreasing, N-1 .. -1
    assert ts[0] == 999 and ts[-1] == -1 and np.all(np.diff(ts) < 0) and len(ts) == 31
    for bad in (0, 1001, 2.5):
        with pytest.raises(ValueError):
            trailing_timesteps(1000, bad)


@pytest.mark.parametrize("kind", ["x0", "v", "score"])
def test_adapters_round_trip(kind):
    sch = VPSchedule.linear()
    orc = GaussianMixtureOracle(preset_mixture("2d_ring"), sch)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 2, generator=g, dtype=torch.float64)
    for tt in (0, 300, 999):
        t = torch.full((64,), tt)
        eps = orc(x, t)
        ab = sch.abar(tt)
        x0 = (x - (1 - ab) ** 0.5 * eps) / ab ** 0.5
        other = {"x0": x0, "v": ab ** 0.5 * eps - (1 - ab) ** 0.5 * x0,
                 "score": -eps / (1 - ab) ** 0.5}[kind]
        ad = EpsAdapter(lambda x_, t_, o=other: o, sch, kind)
        torch.testing.assert_close(ad(x, t), eps, rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError):
        EpsAdapter(orc, sch, "bogus")


def test_oracle_score_matches_autograd_log_density():
    sch = VPSchedule.linear()
    mix = preset_mixture("16d")
    orc = GaussianMixtureOracle(mix, sch)
    tt = 400
    ab = sch.abar(tt)
    marg = mix.marginal(ab)
    x = torch.as_tensor(marg.sample(5, rng=3))
    # finite differences of the exact log density (numpy) vs the oracle score
    h = 1e-5
    fd = np.zeros((5, 16))
    for j in range(16):
        e = np.zeros(16)
        e[j] = h
        fd[:, j] = (marg.log_prob(x.numpy() + e) - marg.log_prob(x.numpy() - e)) / (2 * h)
    np.testing.assert_allclose(orc.score(x, ab).numpy(), fd, rtol=1e-6, atol=1e-6)


def test_diffusers_unet_adapter_optional():
    diffusers = pytest.importorskip("diffusers")
    from langevin_theory.diffusion.models import DiffusersUNetAdapter
    unet = diffusers.UNet2DModel(sample_size=8, in_channels=1, out_channels=1,
                                 block_out_channels=(8, 16), layers_per_block=1,
                                 down_block_types=("DownBlock2D", "DownBlock2D"),
                                 up_block_types=("UpBlock2D", "UpBlock2D"),
                                 norm_num_groups=4)
    ad = DiffusersUNetAdapter(unet)
    x = torch.randn(2, 1, 8, 8)
    out = ad(x, torch.tensor([10, 500]))
    assert out.shape == x.shape
