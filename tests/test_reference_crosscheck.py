"""Cross-check of the two instruments: grid propagator vs Monte Carlo (lt.simulate).

LogCosh, chains started from the exact target law and run for time T = 2. The grid law's W2
to the target and the Monte Carlo W2 (w2_1d against the exact law) agree within the Monte
Carlo error bar: z = (W_mc^2 - floor^2 - W_grid^2) / sqrt((2 W_mc se)^2 + floor^4) has
|z| < 4 (E W_mc^2 = W^2 + floor^2 up to O(1/n) cross terms; the floor^4 term is the null
spread, which dominates when W is below the Monte Carlo floor, as for RLMC); and the Monte Carlo sample is at the floor against
the grid law itself (W2 < 2 floor).
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "validation"))



def _check(scheme, alpha, n):
    from instruments_crosscheck import crosscheck
    r = crosscheck(scheme, alpha, n, T=2.0, seed=11, grid_dx=0.02)
    assert abs(r["z"]) < 4, r
    assert r["w2_mc_vs_grid"] < 2 * r["floor_mc_vs_grid"], r


def test_grid_law_agrees_with_simulate_lmc_quick():
    _check("lmc", 0.25, 200_000)


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["lmc", "plmc4", "rlmc"])
@pytest.mark.parametrize("alpha", [0.25, 0.125])
def test_grid_law_agrees_with_simulate_1e6_chains(scheme, alpha):
    _check(scheme, alpha, 1_000_000)
