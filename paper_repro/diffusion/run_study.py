"""Run the quality-vs-NFE sweeps of the reproduction (resumable; atomic CSV writes).

Usage:
  python paper_repro/diffusion/run_study.py exact [--datasets 1d_smooth,...] [--progress]
  python paper_repro/diffusion/run_study.py digits [--progress]

Results: paper_repro/diffusion/results/<dataset>.csv (one row per (seed, method) cell).
"""
import argparse
import json
import sys
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
from langevin_theory.diffusion import study  # noqa: E402
from langevin_theory.diffusion.schedules import VPSchedule  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("which", choices=["exact", "digits"])
    ap.add_argument("--datasets", default=None)
    ap.add_argument("--progress", action="store_true")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--budget-s", type=float, default=None, help="stop starting new cells")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    cfg = json.loads((HERE / "config.json").read_text())
    res = HERE / "results"
    if a.which == "exact":
        c = cfg["exact_score"]
        names = a.datasets.split(",") if a.datasets else list(c["datasets"])
        grid = study.method_grid(c["ddpm_variants"], c["pmm_variants"], c["nfe"], c["pmm_K"],
                                 c["dpm_nfe"], c["pndm_nfe"], full_variants=c["full_variants"],
                                 ddim_full=c.get("ddim_full", True))
        for name in names:
            t0 = time.time()
            df = study.run_study(name, grid, c["seeds"], c["datasets"][name]["n_samples"],
                                 res / f"{name}.csv", progress=a.progress,
                                 schedule=VPSchedule.from_name(c["schedule"]),
                                 time_budget_s=a.budget_s)
            print(f"{name}: {len(df)} rows, {time.time() - t0:.0f} s", flush=True)
    else:
        from langevin_theory.diffusion.digits import load_pretrained
        c = cfg["digits"]
        grid = study.method_grid(c["ddpm_variants"], c["pmm_variants"], c["nfe"], c["pmm_K"],
                                 c["dpm_nfe"], c["pndm_nfe"], full_variants=c["full_variants"],
                                 ddim_full=c.get("ddim_full", True))
        model = load_pretrained("digits_eps_mlp")
        t0 = time.time()
        df = study.run_study("digits", grid, c["seeds"], c["n_samples"], res / "digits.csv",
                             progress=a.progress, model=model,
                             schedule=VPSchedule.from_name(c["schedule"]),
                             dtype=torch.float32, time_budget_s=a.budget_s)
        print(f"digits: {len(df)} rows, {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
