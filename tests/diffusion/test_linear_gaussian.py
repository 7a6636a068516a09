"""PMM vs fine DDPM on Gaussian data (affine score): exact moments, MC, and identities."""
import math

import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.torch

from langevin_theory.diffusion import GaussianMixture, GaussianMixtureOracle, VPSchedule  # noqa: E402
from langevin_theory.diffusion import pmm_sample  # noqa: E402
from langevin_theory.diffusion.linear_gaussian import pmm_moments, strided_moments  # noqa: E402

SCH = VPSchedule.linear()
SCH200 = VPSchedule.linear(200, 5e-4, 0.1)  # MC check on a shorter chain (fast CI)
M0, V0 = 0.4, 0.09


def test_exact_moment_identities():
    fine = strided_moments(SCH, "1c", 1000, M0, V0)
    assert pmm_moments(SCH, "1c", 1, 1, M0, V0) == pytest.approx(fine, abs=1e-12)
    for v in ("1a", "2", "3"):
        assert (pmm_moments(SCH, v, 2, 2, M0, V0)
                == pytest.approx(strided_moments(SCH, v, 1000, M0, V0), abs=1e-12))


@pytest.mark.parametrize("K,option,variant,coupled", [(10, 1, "1a", True), (25, 2, "1c", True),
                                                      (50, 2, "3", True), (10, 1, "1a", False),
                                                      (25, 2, "1c", False),
                                                      (20, 1, "2", False)])
def test_pmm_sampler_matches_exact_moments(K, option, variant, coupled):
    """MC mean and variance of the sampler within 4 standard errors of the exact moments."""
    mix = GaussianMixture([1.0], [[M0]], [V0])
    orc = GaussianMixtureOracle(mix, SCH200)
    n = 40_000
    x = pmm_sample(orc, (n, 1), SCH200, K=K, option=option, variant=variant, coupled=coupled,
                   generator=K * 10 + option).samples[:, 0].double()
    m, v = pmm_moments(SCH200, variant, K, option, M0, V0)
    assert abs(x.mean().item() - m) < 4 * math.sqrt(v / n)
    # SE of the sample variance: sqrt((mu4 - v^2)/n); use the sample 4th moment
    mu4 = ((x - x.mean()) ** 4).mean().item()
    assert abs(x.var().item() - v) < 4 * math.sqrt((mu4 - v * v) / n)


def test_pmm_moments_approach_fine_ddpm_and_beat_strided():
    """Notes 8.14 on the linear case: PMM(K)'s moment error w.r.t. fine DDPM is far smaller
    than that of DDPM strided by the same K (same coarse grid), for K in {10, 25, 50}."""
    fm, fv = strided_moments(SCH, "1c", 1000, M0, V0)
    for K in (10, 25, 50):
        pm, pv = pmm_moments(SCH, "1c", K, 2, M0, V0)
        sm, sv = strided_moments(SCH, "1c", 1000 // K, M0, V0)
        assert abs(pv - fv) + abs(pm - fm) < 0.5 * (abs(sv - fv) + abs(sm - fm))
