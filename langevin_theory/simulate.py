"""``simulate``: the one driver of every scheme, dynamics and target.

It validates the inputs (all of them, before any work), turns ``rng`` into Philox keys, builds
the noise source (a shared :class:`~langevin_theory.BrownianPath`, or the fast uncoupled mode),
runs the compiled chain loop and returns a :class:`SimulationResult`.
"""
from __future__ import annotations

import functools
import math
import numbers
from dataclasses import dataclass, field

import numba
import numpy as np

from . import _rng
from ._driver import get_driver
from ._driver_lmc import get_lmc_driver
from ._driver_plmc import get_plmc_driver
from .brownian import BrownianPath, SUB_LEVELS, _tables_overdamped
from .dynamics import Dynamics, Overdamped, Underdamped
from .schemes.base import Scheme
from .schemes.poisson_midpoint import PoissonMidpoint
from .targets import Target

__all__ = ["simulate", "SimulationResult", "DivergenceError"]


class DivergenceError(FloatingPointError):
    """A chain's state became non-finite."""


@dataclass
class SimulationResult:
    """What a run returns.

    Attributes
    ----------
    positions : ndarray (n_chains, dim)
        Positions after ``n_steps`` steps (the position block also for underdamped runs).
    velocities : ndarray (n_chains, dim) or None
        Final velocities (underdamped only).
    n_grad_evals : int
        Gradient evaluations actually made, all chains together (counted in the kernel).
    record_steps : ndarray of int
        The step indices at which states were recorded (always ends with ``n_steps``).
    recorded_positions, recorded_velocities : ndarray (n_record, n_chains, dim)
        States at ``record_steps`` (``recorded_velocities`` is None for overdamped runs).
    diverged : ndarray of bool (n_chains,)
        Chains whose state became non-finite (only with ``on_divergence="drop"``; their rows
        are NaN). ``divergence_step`` holds the step at which each did (0 if never).
    step_size, n_steps, scheme, dynamics, target : the run's parameters.
    """

    positions: np.ndarray
    velocities: np.ndarray | None
    n_grad_evals: int
    record_steps: np.ndarray
    recorded_positions: np.ndarray
    recorded_velocities: np.ndarray | None
    diverged: np.ndarray
    divergence_step: np.ndarray
    grad_evals_per_chain: np.ndarray
    step_size: float
    n_steps: int
    scheme: Scheme
    dynamics: Dynamics
    target: Target = field(repr=False)

    @property
    def n_chains(self):
        return self.positions.shape[0]

    @property
    def n_diverged(self) -> int:
        return int(self.diverged.sum())

    @property
    def finite_positions(self):
        """Positions of the chains that did not diverge."""
        return self.positions[~self.diverged]

    @property
    def grad_evals_per_chain_step(self) -> float:
        return self.n_grad_evals / max(1, self.n_chains * self.n_steps)


def _check_positive_finite(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive finite number; got {value!r}")
    return float(value)


def _check_count(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _state_array(name, value, n_chains, dim):
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0 and dim == 1:
        arr = arr.reshape(1)
    if arr.ndim == 1:
        if arr.shape[0] != dim:
            raise ValueError(f"{name} has shape {arr.shape}; expected ({n_chains}, {dim}) or "
                             f"({dim},)")
        arr = np.broadcast_to(arr, (n_chains, dim))
    if arr.shape != (n_chains, dim):
        raise ValueError(f"{name} has shape {arr.shape}; expected ({n_chains}, {dim}) or ({dim},)")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or inf")
    return np.ascontiguousarray(arr)


def _keys(rng):
    """Philox keys for a run from ``rng`` (None, int, SeedSequence or Generator; SPEC 7)."""
    if isinstance(rng, np.random.Generator):
        ss = np.random.SeedSequence(rng.integers(0, 2 ** 63, size=4))
    elif isinstance(rng, np.random.SeedSequence):
        ss = rng
    elif rng is None or isinstance(rng, (numbers.Integral, np.integer)):
        if rng is not None and rng < 0:
            raise ValueError("an integer rng (seed) must be non-negative")
        ss = np.random.SeedSequence(rng)
    else:
        raise ValueError(f"rng must be None, an int, a SeedSequence or a numpy Generator; got "
                         f"{type(rng).__name__}")
    return ss


#: a batch of chains is sized to about this many chain-steps (each weighted by the step's cost,
#: see _chain_batches): ~0.3 s of LMC on one core of the benchmark VM, a few seconds of
#: coupled PLMC at K = 1024
BATCH_CHAIN_STEPS = 1 << 24
#: batch sizes are multiples of this many chains: 64 chunks of the drivers' 64 chains, so that
#: every batch still spreads over the threads
BATCH_ALIGN = 4096


def _chain_batches(n_chains, n_steps, cost=1.0, budget=None):
    """Split chains 0 .. n_chains - 1 into consecutive batches ``[(lo, hi), ...]``.

    A run goes to the compiled loop one batch at a time, so that it shows progress and stops
    promptly on an interrupt (numba code does not see Ctrl-C; Python does, between calls).
    Every random number a chain uses is a function of its global index, so the batching
    changes no bit of the result. A batch has about ``budget`` (default
    :data:`BATCH_CHAIN_STEPS`) / ``cost`` chain-steps, whole multiples of
    :data:`BATCH_ALIGN` chains; a small run is one batch.
    """
    budget = BATCH_CHAIN_STEPS if budget is None else budget
    per_chain = max(1.0, n_steps * cost)
    size = int(budget / per_chain) // BATCH_ALIGN * BATCH_ALIGN
    size = max(BATCH_ALIGN, size)
    return [(lo, min(lo + size, n_chains)) for lo in range(0, n_chains, size)]


def _progress_bar(show, n_chains, scheme):
    """A tqdm bar over the run's chains, moved batch by batch (None when not shown)."""
    if not show:
        return None
    from tqdm.auto import tqdm  # only when asked: tqdm's import is not free
    return tqdm(total=n_chains, unit="chain", desc=f"simulate {scheme!r}", leave=False)


def simulate(target: Target, scheme: Scheme, dynamics: Dynamics | None = None, *,
             step_size: float, n_steps: int, n_chains: int = 1, rng=None, x0=None, v0=None,
             brownian: BrownianPath | None = None, record_steps=None,
             on_divergence: str = "raise", n_threads: int | None = None,
             progress: bool = False) -> SimulationResult:
    """Run ``n_chains`` independent chains of ``scheme`` on ``target`` for ``n_steps`` steps.

    Parameters
    ----------
    target : Target
        The law pi* ~ exp(-F) to sample (see :mod:`langevin_theory.targets`).
    scheme : Scheme
        ``LMC()``, ``RandomizedMidpoint()`` or ``PoissonMidpoint(substeps, option)``.
    dynamics : Dynamics, optional
        ``Overdamped()`` (default) or ``Underdamped(friction)``.
    step_size : float
        The (coarse) step alpha > 0; the horizon is ``n_steps * step_size``.
    n_steps : int
        Number of (coarse) steps, >= 0.
    n_chains : int
        Number of independent chains, >= 1.
    rng : None, int, SeedSequence or numpy.random.Generator
        Seeds the run's own randomness: the midpoint selection (PLMC, RLMC), the fast-mode
        Gaussians and initial velocities (uncoupled mode).
    x0 : array_like, shape (n_chains, dim) or (dim,), optional
        Initial positions; default the origin.
    v0 : array_like, optional
        Initial velocities (underdamped); default N(0, I), the stationary velocity law.
    brownian : BrownianPath, optional
        Drive the run by this shared Brownian path (coupled mode); ``step_size`` (and for PLMC
        ``step_size / substeps``) must be integer multiples of its ``fine_step``. Chain i of
        every run that uses the path sees the same Brownian motion (and, underdamped, the same
        initial velocity unless ``v0`` is given). Default: fast mode, which draws exactly the
        Gaussians a step needs, independently.
    record_steps : sequence of int, optional
        Step indices in [0, n_steps] at which to keep the state (``n_steps`` is always kept).
    on_divergence : {"raise", "drop"}
        What to do when a chain's state becomes non-finite: raise :class:`DivergenceError`
        naming the step and step size, or keep going and report the chain in ``diverged``.
        A run in batches (see ``progress``) raises at the end of the first batch in which a
        chain diverged, without running the others.
    n_threads : int, optional
        Threads for the chain loop (default: numba's default). Results do not depend on it.
    progress : bool
        Show a progress bar (tqdm) over the chains. A large run goes to the compiled loop in
        batches of chains (about 1.7e7 chain-steps each, weighted by the step's cost), which
        changes no result; between batches the bar moves and an interrupt (Ctrl-C) stops the
        run, which compiled code alone would not notice until its end. Batches are of chains
        (at least 4096): a long run of fewer chains is one batch, and stops only at its end.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> import langevin_theory as lt
    >>> r = lt.simulate(lt.targets.DoubleWell(), lt.schemes.PoissonMidpoint(substeps=4,
    ...                 option=2), step_size=0.05, n_steps=40, n_chains=500, rng=1)
    >>> r.n_grad_evals == 2 * 40 * 500
    True
    """
    # ------------------------------------------------------------------ validation
    if not isinstance(target, Target):
        raise ValueError(f"target must be a langevin_theory target; got {type(target).__name__}")
    if not isinstance(scheme, Scheme):
        raise ValueError(f"scheme must be a langevin_theory scheme; got {type(scheme).__name__}")
    dynamics = Overdamped() if dynamics is None else dynamics
    if not isinstance(dynamics, Dynamics):
        raise ValueError(f"dynamics must be Overdamped() or Underdamped(friction); got "
                         f"{type(dynamics).__name__}")
    h = _check_positive_finite("step_size", step_size)
    n_steps = _check_count("n_steps", n_steps, 0)
    n_chains = _check_count("n_chains", n_chains, 1)
    if on_divergence not in ("raise", "drop"):
        raise ValueError("on_divergence must be 'raise' or 'drop'")
    if not isinstance(progress, (bool, np.bool_)):
        raise ValueError(f"progress must be True or False; got {progress!r}")
    dim = target.dim
    x0 = np.zeros((n_chains, dim)) if x0 is None else _state_array("x0", x0, n_chains, dim)
    underdamped = isinstance(dynamics, Underdamped)
    if v0 is not None and not underdamped:
        raise ValueError("v0 is only meaningful for Underdamped dynamics")
    v0 = (np.zeros((0, dim)) if v0 is None else _state_array("v0", v0, n_chains, dim))
    draw_v0 = underdamped and v0.shape[0] == 0
    if record_steps is None:
        rec = np.array([n_steps], np.int64)
    else:
        rec = np.asarray(record_steps)
        if rec.ndim != 1 or not np.issubdtype(rec.dtype, np.integer) or rec.size and (
                rec.min() < 0 or rec.max() > n_steps):
            raise ValueError(f"record_steps must be integers in [0, {n_steps}]")
        rec = np.unique(np.append(rec.astype(np.int64), n_steps))
    K = int(getattr(scheme, "substeps", 1))
    if isinstance(scheme, PoissonMidpoint):
        option = scheme.option
    else:  # RLMC: option 2 means "u on a grid of K points"
        option = 2 if getattr(scheme, "grid", None) is not None else 1
    skip0 = bool(getattr(scheme, "skip_trivial_midpoint", False))
    # PLMC OPTION 1 draws geometric gaps G = floor(E * gap_scale), E ~ Exp(1), with
    # gap_scale = -1 / log(1 - 1/K) (0 for K = 1); computed once per run, not once per step
    gap_scale = -1.0 / math.log1p(-1.0 / K) if K > 1 else 0.0
    if n_threads is not None:
        n_threads = _check_count("n_threads", n_threads, 1)
        if n_threads > numba.config.NUMBA_NUM_THREADS:
            raise ValueError(f"n_threads={n_threads} exceeds numba's maximum "
                             f"{numba.config.NUMBA_NUM_THREADS}")
    ss = _keys(rng)
    rk0, rk1 = _rng.seed_to_key(ss, 0x52554E)  # "RUN"
    gamma = dynamics.friction if underdamped else 0.0

    # ------------------------------------------------------------------ noise source
    if brownian is not None:
        if not isinstance(brownian, BrownianPath):
            raise ValueError("brownian must be a BrownianPath")
        m_fine = brownian.steps_per(h, "step_size")
        if K > 1:
            brownian.steps_per(h / K, f"the sub-step step_size/K = {h}/{K}")
        # node counters hold the block index in 19 bits: at most 2**19 blocks
        if n_steps * m_fine >= 1 << (19 + brownian.block_levels):
            raise ValueError("the run is longer than the Brownian path supports "
                             f"({1 << (19 + brownian.block_levels)} fine steps)")
        tab = brownian.tables(dynamics)
        nl = brownian.levels
        m_step = m_fine << brownian.sub_levels
        h_sub = brownian.fine_step / 2.0 ** brownian.sub_levels
        k0, k1 = brownian.key
        coupled = True
        vk0, vk1 = brownian.key
    else:
        # fast mode: no tree; positions are still counted in sub-units of the scheme's grid
        unit = h / K
        tab = _tables_overdamped(1.0, 1, 0)
        nl = 1
        m_step = np.int64(K) << SUB_LEVELS
        h_sub = unit / 2.0 ** SUB_LEVELS
        k0, k1 = np.uint64(0), np.uint64(0)
        coupled = False
        vk0, vk1 = rk0, rk1
    if underdamped and tab.shape[-1] != 2:
        tab = np.zeros((tab.shape[0], 4, 2, 2))
    path = (coupled, np.uint64(k0), np.uint64(k1), np.ascontiguousarray(tab),
            np.int64(nl), float(h_sub), float(gamma),
            np.uint64(rk0), np.uint64(rk1))

    # ------------------------------------------------------------------ run
    out_pos = np.empty((rec.size, n_chains, dim))
    out_vel = np.empty((rec.size, n_chains, dim)) if underdamped else np.empty((0, 0, 0))
    evals = np.zeros(n_chains, np.int64)
    diverged = np.zeros(n_chains, np.int64)
    parallel = n_chains >= 256
    blocks = 2 if underdamped else 1
    # LMC in fast mode has a lockstep loop of its own (same numbers, see _driver_lmc)
    lmc_driver = (get_lmc_driver(target, blocks) if scheme.kernel_id == 0 and not coupled
                  else None)
    # so has PLMC in fast mode on targets with a many-rows gradient (see _driver_plmc)
    plmc_driver = (get_plmc_driver(target, blocks) if scheme.kernel_id == 2 and not coupled
                   else None)
    # the chosen loop with the run's arguments bound; a batch adds its chain range
    if lmc_driver is not None:
        run_batch = functools.partial(
            lmc_driver, x0, v0, draw_v0, n_steps, m_step * float(h_sub), h, float(gamma),
            target.params, rec, out_pos, out_vel, evals, diverged, np.uint64(rk0),
            np.uint64(rk1), np.uint64(vk0), np.uint64(vk1))
    elif plmc_driver is not None:
        run_batch = functools.partial(
            plmc_driver, x0, v0, draw_v0, n_steps, np.int64(m_step), h, K, option, skip0,
            gap_scale, float(h_sub), float(gamma), target.params, rec, out_pos, out_vel, evals,
            diverged, np.uint64(rk0), np.uint64(rk1), np.uint64(vk0), np.uint64(vk1))
    else:
        run_batch = functools.partial(
            get_driver(target, scheme.kernel_id, blocks, coupled), x0, v0, draw_v0, n_steps,
            np.int64(m_step), h, K, option, skip0, gap_scale, path, target.params, rec,
            out_pos, out_vel, evals, diverged, np.uint64(vk0), np.uint64(vk1))
    # a coupled step reads the Brownian tree: ~3-5x a fast step's time, whatever the scheme
    batches = _chain_batches(n_chains, n_steps,
                             float(scheme.grad_evals_per_step) * (4.0 if coupled else 1.0))
    bar = _progress_bar(progress, n_chains, scheme)
    ran = 0  # chains run so far
    old_threads = numba.get_num_threads()
    try:
        if n_threads is not None and parallel:
            numba.set_num_threads(n_threads)
        for lo, hi in batches:
            run_batch(np.int64(lo), np.int64(hi))
            ran = hi
            if bar is not None:
                bar.update(hi - lo)
            if on_divergence == "raise" and hi < n_chains and diverged[lo:hi].any():
                break  # the run fails: no need to run the other batches
    finally:
        numba.set_num_threads(old_threads)
        if bar is not None:
            bar.close()
    bad = diverged > 0
    if bad.any() and on_divergence == "raise":
        first = int(diverged[bad].min())
        # the chains run: all, or those up to the end of the batch in which one diverged
        of = f"{n_chains}" if ran == n_chains else f"the first {ran} (of {n_chains})"
        raise DivergenceError(
            f"{int(bad.sum())} of {of} chains became non-finite; the first at step {first} "
            f"(time {first * h:g}) with step_size={h:g} ({scheme!r}, {dynamics!r}, {target!r}). "
            "Use a smaller step_size, or on_divergence='drop' to drop and count such chains.")
    return SimulationResult(
        positions=out_pos[-1], velocities=out_vel[-1] if underdamped else None,
        n_grad_evals=int(evals.sum()), record_steps=rec, recorded_positions=out_pos,
        recorded_velocities=out_vel if underdamped else None, diverged=bad,
        divergence_step=diverged, grad_evals_per_chain=evals, step_size=h, n_steps=n_steps,
        scheme=scheme, dynamics=dynamics, target=target)
