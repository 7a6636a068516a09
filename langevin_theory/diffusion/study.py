"""Quality-versus-NFE sweeps for every sampler (the reproduction's data-producing step).

A *cell* is ``(dataset, seed, method)``; its row records the exact NFE and the distances of
the samples to the data law.  Rows go to one CSV per dataset, rewritten atomically
(tmp + ``os.replace``) after every cell, and a rerun skips cells already present.

Datasets: the exact-score oracles of :func:`~.oracle.preset_mixture` (float64) and
``"digits"`` (the shipped eps-MLP, float32; Fréchet distances of :class:`~.digits.FeatureFrechet`).
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from . import metrics as M
from .oracle import GaussianMixtureOracle, preset_mixture
from .samplers import (ddim_sample, ddpm_sample, dpm_solver_sample, expected_nfe, pmm_sample,
                       pndm_sample)
from .schedules import VPSchedule

__all__ = ["Method", "method_grid", "run_study", "Evaluator", "DEFAULT_NFE"]

DEFAULT_NFE = (10, 20, 25, 40, 50, 80, 100, 200, 500, 1000)
PMM_K = (200, 100, 50, 40, 25, 20, 10, 4)
DPM_NFE = (10, 15, 20, 25, 40, 50, 80, 100)
PNDM_NFE = (10, 20, 25, 40, 50, 80, 100, 200)


@dataclass(frozen=True)
class Method:
    """One sampler configuration."""

    sampler: str  # ddpm | ddim | pmm | dpm_solver | pndm
    steps: int = 0  # ddpm/ddim/dpm/pndm steps; pmm: N/K
    variant: str = ""
    K: int = 0
    option: int = 0
    order: int = 0
    skip_type: str = ""

    @property
    def key(self) -> str:
        return (f"{self.sampler}|s{self.steps}|v{self.variant}|K{self.K}|o{self.option}"
                f"|r{self.order}|{self.skip_type}")

    def nominal_nfe(self, n_train=1000) -> float:
        if self.sampler == "pmm":
            return expected_nfe(n_train, self.K, self.option)
        return self.steps + (1 if self.sampler == "pndm" else 0)

    def run(self, model, shape, schedule, generator, dtype):
        kw = dict(generator=generator, dtype=dtype)
        if self.sampler == "ddpm":
            return ddpm_sample(model, shape, schedule, steps=self.steps, variant=self.variant,
                               **kw)
        if self.sampler == "ddim":
            return ddim_sample(model, shape, schedule, steps=self.steps, **kw)
        if self.sampler == "pmm":
            return pmm_sample(model, shape, schedule, K=self.K, option=self.option,
                              variant=self.variant, coupled=False, **kw)
        if self.sampler == "dpm_solver":
            return dpm_solver_sample(model, shape, schedule, steps=self.steps, order=self.order,
                                     skip_type=self.skip_type, **kw)
        if self.sampler == "pndm":
            return pndm_sample(model, shape, schedule, steps=self.steps, **kw)
        raise ValueError(f"unknown sampler {self.sampler!r}")


def method_grid(ddpm_variants=("1a", "1b", "1c", "1d", "2", "3"),
                pmm_variants=("1a", "1b", "1c", "1d", "2", "3"), nfe=DEFAULT_NFE, pmm_K=PMM_K,
                dpm_nfe=DPM_NFE, pndm_nfe=PNDM_NFE, n_train=1000, full_variants=None,
                ddim_full=True):
    """All configurations of the reproduction.  PMM: both options for every ``K`` (OPTION 2
    needs ``K >= 2``), run in the fast (uncoupled, same-law) mode; DPM-Solver: orders 2, 3 x
    skip types time_uniform, logSNR.  ``full_variants``: DDPM variants that also get the full
    ``n_train``-step run (default: all of ``ddpm_variants``); DDIM gets it if ``ddim_full``."""
    full_variants = ddpm_variants if full_variants is None else full_variants
    nfe = [s for s in nfe if s != n_train]
    out = [Method("ddpm", s, v) for v in ddpm_variants for s in nfe]
    out += [Method("ddpm", n_train, v) for v in full_variants]
    out += [Method("ddim", s) for s in list(nfe) + ([n_train] if ddim_full else [])]
    out += [Method("pmm", n_train // K, v, K, o) for v in pmm_variants for K in pmm_K
            for o in (1, 2) if not (o == 2 and K < 2)]
    out += [Method("dpm_solver", s, order=r, skip_type=sk) for r in (2, 3)
            for sk in ("time_uniform", "logSNR") for s in dpm_nfe]
    out += [Method("pndm", s - 1) for s in pndm_nfe]
    return out


class Evaluator:
    """Distances of samples to the data law of one dataset (see module docstring)."""

    def __init__(self, dataset: str, n_emd: int = 1000):
        self.dataset = dataset
        if dataset == "digits":
            from .digits import FeatureFrechet
            self.ff = FeatureFrechet()
            return
        self.mix = preset_mixture(dataset)
        big = self.mix.sample(400_000, rng=12345)
        self.ref_freq = M.mode_frequencies(big, self.mix)
        self.n_emd = n_emd
        self.mean, self.cov = self.mix.mean(), self.mix.cov()

    def __call__(self, x: np.ndarray, seed: int) -> dict:
        if self.dataset == "digits":
            return self.ff(torch.as_tensor(x))
        x = np.asarray(x, dtype=np.float64)
        out = {"mode_tv": M.mode_tv(x, self.mix, self.ref_freq),
               "w2_gauss": M.gaussian_w2(x, self.mean, self.cov)}
        if self.mix.dim == 1:
            out["w2"] = M.w2_1d(x, self.mix)
            out["kl_hist"] = M.kl_hist_1d(x, self.mix)
        elif self.mix.dim == 2:
            y = self.mix.sample(self.n_emd, rng=10_000 + seed)
            out["w2"] = M.w2_emd(x[: self.n_emd], y)
        return out

    def exact_floor(self, n: int, seed: int) -> dict:
        """The same estimators applied to ``n`` exact data samples (finite-sample floor)."""
        if self.dataset == "digits":
            from .digits import load_digits_data
            x, _ = load_digits_data()
            g = torch.Generator().manual_seed(seed)
            idx = torch.randint(0, len(x), (n,), generator=g)  # bootstrap of the real set
            return self(x[idx].numpy(), seed)
        return self(self.mix.sample(n, rng=777_000 + seed), seed)


def _atomic_csv(df: pd.DataFrame, path: Path):
    tmp = path.with_suffix(".csv.tmp")
    df.to_csv(tmp, index=False)
    os.replace(tmp, path)


def run_study(dataset: str, methods, seeds, n_samples: int, out_csv, *, progress=False,
              model=None, schedule: VPSchedule | None = None, dtype=torch.float64,
              time_budget_s: float | None = None):
    """Run every ``(seed, method)`` cell not yet in ``out_csv``; return the full table.

    Exact-sample floors are stored as rows with ``sampler == "exact"``.
    """
    out_csv = Path(out_csv)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    schedule = schedule or VPSchedule.linear()
    df = pd.read_csv(out_csv) if out_csv.exists() else pd.DataFrame()
    done = set(zip(df["key"], df["seed"])) if len(df) else set()
    ev = Evaluator(dataset)
    if model is None:
        model = GaussianMixtureOracle(ev.mix, schedule)
        dim = (ev.mix.dim,)
    else:
        dim = (64,)
    rows = df.to_dict("records") if len(df) else []
    cells = [(s, m) for s in seeds for m in [Method("exact")] + list(methods)
             if (m.key, s) not in done]
    it = cells
    if progress:
        from tqdm.auto import tqdm
        it = tqdm(cells, desc=dataset)
    t_start = time.time()
    for seed, m in it:
        if time_budget_s is not None and time.time() - t_start > time_budget_s:
            break
        t0 = time.time()
        if m.sampler == "exact":
            res = ev.exact_floor(n_samples, seed)
            nfe, nfe_exp = 0.0, 0.0
        else:
            g = torch.Generator().manual_seed(seed)
            r = m.run(model, (n_samples, *dim), schedule, g, dtype)
            res = ev(r.samples.numpy(), seed)
            nfe, nfe_exp = r.nfe, m.nominal_nfe(schedule.n_steps)
        row = {"dataset": dataset, "key": m.key, "seed": seed, "sampler": m.sampler,
               "steps": m.steps, "variant": m.variant, "K": m.K, "option": m.option,
               "order": m.order, "skip_type": m.skip_type, "nfe": nfe,
               "nfe_expected": nfe_exp, "n_samples": n_samples,
               "seconds": time.time() - t0, **res}
        rows.append(row)
        _atomic_csv(pd.DataFrame(rows), out_csv)
    return pd.DataFrame(rows)


def write_json_atomic(obj, path):
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=float))
    os.replace(tmp, path)
