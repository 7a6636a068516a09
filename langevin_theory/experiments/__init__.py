"""Experiments: declarative sweeps, the resumable runner, and the central PLMC experiment.

* :mod:`.spec` -- TOML sweep specs -> cells (seeded from one SeedSequence).
* :mod:`.runner` -- :func:`run_sweep`: resumable, parallel, deterministic; returns a DataFrame.
* :mod:`.cells` -- what one cell computes (exact grid laws, Monte Carlo with error bars).
* :mod:`.distances` -- W2 / KL / TV between grid laws.
* :mod:`.fits` -- log-log slopes with confidence intervals and the verdict rules.
* :mod:`.central` -- E1-E5 and the stability table: tidy tables, verdicts, report.
"""
from .fits import fit_slope, verdict
from .runner import run_sweep
from .spec import Cell, SweepSpec, load_spec, spec_from_dict

__all__ = ["run_sweep", "load_spec", "spec_from_dict", "SweepSpec", "Cell", "fit_slope",
           "verdict", "reproduce"]


def reproduce(*args, **kwargs):
    """See :func:`langevin_theory.experiments.central.reproduce`."""
    from .central import reproduce as _r
    return _r(*args, **kwargs)
