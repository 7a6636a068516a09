"""Monte Carlo laws of the chains where no grid law exists (OPTION 1, underdamped, d > 1).

:func:`monte_carlo_law` runs ``langevin_theory.simulate`` from a declared start law with a
declared number of chains and returns the final positions together with that declaration,
so that every downstream distance carries its sample size (its metric's ``floor`` depends on
it). Use the grid propagator (:mod:`.propagate`) instead wherever it applies (1-D overdamped
LMC, RLMC, PLMC OPTION 2): it has no Monte Carlo error.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["MonteCarloLaw", "monte_carlo_law"]


@dataclass(frozen=True)
class MonteCarloLaw:
    """Final positions of ``n_chains`` independent chains and how they were produced.

    Attributes
    ----------
    samples : ndarray, shape (n_chains, dim)
    n_chains : int
    description : str
        Scheme, dynamics, step size, number of steps, start law and seed.
    """

    samples: np.ndarray
    n_chains: int
    description: str

    def __len__(self):
        return self.n_chains


def monte_carlo_law(target, scheme, step_size, n_steps, *, n_chains: int, dynamics=None,
                    initial="target", rng=None) -> MonteCarloLaw:
    """Law of the chain after ``n_steps`` by simulation, with a declared sample size.

    Parameters
    ----------
    target, scheme, dynamics : as for ``langevin_theory.simulate``
    step_size : float
    n_steps : int
    n_chains : int
        The declared sample size (>= 2).
    initial : "target", float, array of shape (dim,) or (n_chains, dim)
        "target": i.i.d. exact draws from the target (needs an exact sampler); a float or
        (dim,) array: every chain starts there; an (n_chains, dim) array: per-chain starts.
    rng : None, int or Generator
        Seeds both the start draws and the simulation.
    """
    import langevin_theory as lt

    n_chains = int(n_chains)
    if n_chains < 2:
        raise ValueError("n_chains must be >= 2")
    g = np.random.default_rng(rng)
    dim = target.dim
    if isinstance(initial, str):
        if initial != "target":
            raise ValueError("initial must be 'target', a point or an array of starts")
        x0 = np.asarray(target.sample(n_chains, g), dtype=np.float64).reshape(n_chains, dim)
        start = "target"
    else:
        a = np.asarray(initial, dtype=np.float64)
        if a.ndim == 0:
            a = np.full(dim, float(a))
        if a.shape == (dim,):
            x0 = np.broadcast_to(a, (n_chains, dim)).copy()
            start = f"point {a.tolist()}"
        elif a.shape == (n_chains, dim):
            x0 = a.copy()
            start = "given starts"
        else:
            raise ValueError(f"initial has shape {a.shape}; expected (), ({dim},) or "
                             f"({n_chains}, {dim})")
    seed = int(g.integers(0, 2 ** 63 - 1))
    res = lt.simulate(target, scheme, dynamics, step_size=step_size, n_steps=int(n_steps),
                      n_chains=n_chains, rng=seed, x0=x0)
    desc = (f"{scheme!r} {dynamics!r} step={step_size:g} n_steps={int(n_steps)} "
            f"n_chains={n_chains} start={start} seed={seed}")
    return MonteCarloLaw(np.asarray(res.positions, dtype=np.float64), n_chains, desc)
