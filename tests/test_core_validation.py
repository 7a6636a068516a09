"""Bad input gets a clear error before any work; divergence stops with a named step."""
import numpy as np
import pytest

import langevin_theory as lt
from langevin_theory.simulate import DivergenceError

T = lt.targets.LogCosh()


def run(**kw):
    base = dict(target=T, scheme=lt.schemes.LMC(), step_size=0.1, n_steps=3, n_chains=4, rng=0)
    base.update(kw)
    return lt.simulate(**base)


@pytest.mark.parametrize("step", [0.0, -0.1, np.nan, np.inf, "0.1", True])
def test_bad_step_size(step):
    with pytest.raises(ValueError, match="step_size"):
        run(step_size=step)


@pytest.mark.parametrize("kw,match", [
    (dict(n_steps=-1), "n_steps"), (dict(n_steps=2.5), "n_steps"),
    (dict(n_chains=0), "n_chains"), (dict(x0=np.zeros((3, 1))), "x0"),
    (dict(x0=[np.nan]), "NaN"), (dict(x0=np.zeros((4, 2))), "x0"),
    (dict(rng="seed"), "rng"), (dict(rng=-3), "non-negative"),
    (dict(record_steps=[5]), "record_steps"), (dict(on_divergence="ignore"), "on_divergence"),
    (dict(v0=np.zeros((4, 1))), "Underdamped"), (dict(scheme="lmc"), "scheme"),
    (dict(target="logcosh"), "target"), (dict(dynamics="over"), "dynamics"),
])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        run(**kw)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_bad_substeps(bad):
    with pytest.raises(ValueError, match="substeps"):
        lt.schemes.PoissonMidpoint(substeps=bad)


@pytest.mark.parametrize("bad", [0, 3, "1", True])
def test_bad_option(bad):
    with pytest.raises(ValueError, match="option"):
        lt.schemes.PoissonMidpoint(substeps=4, option=bad)


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_bad_friction(bad):
    with pytest.raises(ValueError, match="friction"):
        lt.dynamics.Underdamped(friction=bad)


def test_path_must_divide_the_step():
    path = lt.BrownianPath(seed=0, fine_step=0.03)
    with pytest.raises(ValueError, match="multiple"):
        run(brownian=path, step_size=0.1)
    with pytest.raises(ValueError, match="sub-step"):
        run(brownian=lt.BrownianPath(seed=0, fine_step=0.05),
            scheme=lt.schemes.PoissonMidpoint(4), step_size=0.1)
    with pytest.raises(ValueError, match="fine_step"):
        lt.BrownianPath(seed=0, fine_step=-1.0)


def test_unknown_scheme_name():
    with pytest.raises(ValueError, match="unknown scheme"):
        lt.schemes.get_scheme("heun")
    assert isinstance(lt.schemes.get_scheme("plmc", substeps=3), lt.schemes.PoissonMidpoint)


def test_bad_targets():
    with pytest.raises(ValueError, match="positive definite"):
        lt.targets.Gaussian([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(ValueError, match="weights"):
        lt.targets.GaussianMixture([1.0, -1.0], [0.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="means"):
        lt.targets.GaussianMixture([1.0, 1.0], [[0.0], [1.0], [2.0]], 1.0)
    with pytest.raises(ValueError, match="scale"):
        lt.targets.DoubleWell(scale=0.0)
    with pytest.raises(ValueError, match="shape"):
        T.grad_potential(np.zeros((3, 2)))


# From x = 3 with step 0.5 the explicit step overshoots super-exponentially whatever the noise
# (|x| ~ 3, 9, 4e2, 2e7, 7e21, 2e65, 3e195, inf): the state is non-finite at step ~7.
def test_divergence_names_step_and_step_size():
    dw = lt.targets.DoubleWell()
    with pytest.raises(DivergenceError, match=r"first at step [6-8] .*step_size=0.5"):
        lt.simulate(dw, lt.schemes.LMC(), step_size=0.5, n_steps=50, n_chains=3,
                    x0=np.full((3, 1), 3.0), rng=0)


def test_divergence_drop_counts_chains():
    dw = lt.targets.DoubleWell()
    x0 = np.array([[3.0], [0.0], [-3.0], [0.0]])
    r = lt.simulate(dw, lt.schemes.LMC(), step_size=0.5, n_steps=10, n_chains=4, x0=x0,
                    rng=0, on_divergence="drop")
    assert r.diverged[0] and r.diverged[2]
    assert np.all((r.divergence_step[[0, 2]] >= 6) & (r.divergence_step[[0, 2]] <= 8))
    assert r.n_diverged == int(r.diverged.sum()) >= 2
    assert np.all(np.isnan(r.positions[r.diverged]))
    assert np.all(np.isfinite(r.finite_positions))
    assert np.all(r.divergence_step[~r.diverged] == 0)


def test_recorded_states():
    r = run(n_steps=5, record_steps=[0, 2], x0=np.full((4, 1), 1.0))
    assert list(r.record_steps) == [0, 2, 5]
    assert np.all(r.recorded_positions[0] == 1.0)
    assert np.array_equal(r.recorded_positions[-1], r.positions)
    again = run(n_steps=2, x0=np.full((4, 1), 1.0))
    assert np.array_equal(r.recorded_positions[1], again.positions)
