"""``simulate`` runs large runs in batches of chains (progress, interrupts): the batches cover
every chain once, change no bit of any result, move the progress bar by the chains they ran,
and let an interrupt through."""
import importlib

import numba
import numpy as np
import pytest

import langevin_theory as lt

sim_mod = importlib.import_module("langevin_theory.simulate")


@pytest.mark.parametrize("n_chains, n_steps, cost, budget", [
    (1, 10, 1.0, None), (4096, 0, 1.0, None), (10_000, 1, 1.0, 8192), (10_000, 3, 2.0, 1),
    (123_457, 100, 4.0, 1 << 24), (5, 1 << 30, 1.0, None)])
def test_chain_batches_cover_the_chains_in_aligned_batches(n_chains, n_steps, cost, budget):
    batches = sim_mod._chain_batches(n_chains, n_steps, cost, budget)
    align = sim_mod.BATCH_ALIGN
    budget = sim_mod.BATCH_CHAIN_STEPS if budget is None else budget
    # consecutive, from 0 to n_chains, none empty
    assert batches[0][0] == 0 and batches[-1][1] == n_chains
    assert all(lo < hi for lo, hi in batches)
    assert all(a[1] == b[0] for a, b in zip(batches, batches[1:]))
    sizes = [hi - lo for lo, hi in batches]
    # all but the last a common multiple of the alignment, within the budget (or one
    # alignment unit when a chain alone is over it)
    size = sizes[0]
    assert all(s == size for s in sizes[:-1]) and sizes[-1] <= size
    if len(sizes) > 1:
        assert size % align == 0
        assert size == align or size * max(1.0, n_steps * cost) <= budget


def _runs():
    mix = lt.targets.GaussianMixture(np.ones(4), [[2, 2], [2, -2], [-2, 2], [-2, -2]], 0.49)
    P = lt.schemes.PoissonMidpoint
    ud = lt.dynamics.Underdamped(1.0)
    path = lt.BrownianPath(seed=3, fine_step=0.05 / 8)
    # one of each compiled loop: lockstep LMC, lockstep PLMC (both options, underdamped too),
    # the per-chain driver in fast (RLMC, a target without a many-rows gradient) and coupled
    # mode
    return {
        "lmc": (mix, lt.schemes.LMC(), None, {}),
        "plmc1": (mix, P(10, 1), None, {}),
        "plmc2_ud": (mix, P(10, 2), ud, {}),
        "rlmc_logcosh": (lt.targets.LogCosh(dim=2), lt.schemes.RandomizedMidpoint(), None, {}),
        "plmc1_coupled_ud": (mix, P(8, 1), ud, {"brownian": path}),
    }


@pytest.mark.parametrize("name", list(_runs()))
def test_batches_change_no_bit(monkeypatch, name):
    """The same run in one batch and in five (64 chains each, the last 44), bit for bit:
    states at every recorded step, velocities, gradient counts."""
    target, scheme, dyn, extra = _runs()[name]
    kw = dict(step_size=0.05, n_steps=12, n_chains=300, rng=4, record_steps=[0, 5, 9], **extra)
    one = lt.simulate(target, scheme, dyn, **kw)
    monkeypatch.setattr(sim_mod, "BATCH_ALIGN", 64)
    monkeypatch.setattr(sim_mod, "BATCH_CHAIN_STEPS", 1)
    assert len(sim_mod._chain_batches(300, 12)) == 5
    many = lt.simulate(target, scheme, dyn, **kw)
    assert np.array_equal(one.recorded_positions, many.recorded_positions)
    assert np.array_equal(one.grad_evals_per_chain, many.grad_evals_per_chain)
    if dyn is not None:
        assert np.array_equal(one.recorded_velocities, many.recorded_velocities)


def test_batches_keep_divergence_reports(monkeypatch):
    """Chains that diverge in any batch are reported as in one batch: which, and when."""
    x0 = np.linspace(-3.0, 3.0, 300)[:, None]
    kw = dict(step_size=0.5, n_steps=20, n_chains=300, rng=1, x0=x0, on_divergence="drop")
    one = lt.simulate(lt.targets.DoubleWell(), lt.schemes.LMC(), **kw)
    assert 0 < one.n_diverged < 300
    monkeypatch.setattr(sim_mod, "BATCH_ALIGN", 64)
    monkeypatch.setattr(sim_mod, "BATCH_CHAIN_STEPS", 1)
    many = lt.simulate(lt.targets.DoubleWell(), lt.schemes.LMC(), **kw)
    assert np.array_equal(one.diverged, many.diverged)
    assert np.array_equal(one.divergence_step, many.divergence_step)
    assert np.array_equal(one.positions, many.positions, equal_nan=True)
    assert one.n_grad_evals == many.n_grad_evals


class _Bar:
    """Stands in for the tqdm bar: records what simulate tells it."""

    def __init__(self, interrupt_after=None):
        self.updates, self.closed, self.interrupt_after = [], False, interrupt_after

    def update(self, n):
        self.updates.append(n)
        if self.interrupt_after is not None and len(self.updates) >= self.interrupt_after:
            raise KeyboardInterrupt

    def close(self):
        self.closed = True


def test_progress_bar_moves_by_the_chains_of_each_batch(monkeypatch, capsys):
    monkeypatch.setattr(sim_mod, "BATCH_ALIGN", 64)
    monkeypatch.setattr(sim_mod, "BATCH_CHAIN_STEPS", 1)
    kw = dict(step_size=0.05, n_steps=3, n_chains=200, rng=0)
    # the real bar: tqdm on stderr, named after the scheme
    lt.simulate(lt.targets.DoubleWell(), lt.schemes.LMC(), progress=True, **kw)
    assert "simulate LMC()" in capsys.readouterr().err
    lt.simulate(lt.targets.DoubleWell(), lt.schemes.LMC(), **kw)
    assert capsys.readouterr().err == ""  # off by default
    bars = []
    monkeypatch.setattr(sim_mod, "_progress_bar",
                        lambda show, n, scheme: bars.append(_Bar()) or bars[-1] if show else None)
    lt.simulate(lt.targets.DoubleWell(), lt.schemes.LMC(), progress=True, **kw)
    assert bars[0].updates == [64, 64, 64, 8] and bars[0].closed


def test_an_interrupt_between_batches_stops_the_run(monkeypatch):
    """KeyboardInterrupt (Ctrl-C, noticed by Python between two batches) propagates: the run
    stops after the batch, the bar is closed and numba's thread count restored."""
    monkeypatch.setattr(sim_mod, "BATCH_ALIGN", 64)
    monkeypatch.setattr(sim_mod, "BATCH_CHAIN_STEPS", 1)
    bar = _Bar(interrupt_after=2)
    monkeypatch.setattr(sim_mod, "_progress_bar", lambda show, n, scheme: bar)
    threads = numba.get_num_threads()
    with pytest.raises(KeyboardInterrupt):
        lt.simulate(lt.targets.DoubleWell(), lt.schemes.LMC(), step_size=0.05, n_steps=3,
                    n_chains=400, rng=0, n_threads=1, progress=True)
    assert bar.updates == [64, 64] and bar.closed
    assert numba.get_num_threads() == threads


@pytest.mark.parametrize("bad", ["yes", 1, None])
def test_progress_must_be_a_bool(bad):
    with pytest.raises(ValueError, match="progress must be True or False"):
        lt.simulate(lt.targets.DoubleWell(), lt.schemes.LMC(), step_size=0.1, n_steps=1,
                    progress=bad)


def test_a_diverging_batched_run_raises_without_running_the_rest(monkeypatch):
    """With on_divergence='raise', the run stops at the end of the first batch in which a
    chain diverged (the later batches would be wasted work) and says how many chains ran."""
    from langevin_theory.simulate import DivergenceError

    monkeypatch.setattr(sim_mod, "BATCH_ALIGN", 64)
    monkeypatch.setattr(sim_mod, "BATCH_CHAIN_STEPS", 1)
    bar = _Bar()
    monkeypatch.setattr(sim_mod, "_progress_bar", lambda show, n, scheme: bar)
    x0 = np.zeros((300, 1))
    # at step 0.1, x - 0.1 (x^3 - x) takes 30 to -2667, 1.9e9, 6.9e26, 3.3e79, 3.6e237 and
    # then overflows: step 6 (the noise, ~0.45 a step, changes none of these magnitudes);
    # the other chains start at 0, well inside the stable region (|x| < ~4.6)
    x0[70, 0] = 30.0
    with pytest.raises(DivergenceError, match=r"1 of the first 128 \(of 300\) chains .* "
                                              r"first at step 6 "):
        lt.simulate(lt.targets.DoubleWell(), lt.schemes.LMC(), step_size=0.1, n_steps=20,
                    n_chains=300, rng=0, x0=x0, progress=True)
    assert bar.updates == [64, 64] and bar.closed
    # in one batch: all chains ran, the message as before
    monkeypatch.setattr(sim_mod, "BATCH_CHAIN_STEPS", 1 << 40)
    with pytest.raises(DivergenceError, match=r"1 of 300 chains became non-finite"):
        lt.simulate(lt.targets.DoubleWell(), lt.schemes.LMC(), step_size=0.1, n_steps=20,
                    n_chains=300, rng=0, x0=x0)
