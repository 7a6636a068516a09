"""Figures of the reproduction (matplotlib, imported lazily by the report script)."""
from __future__ import annotations

import numpy as np

from .verdicts import aggregate, family_best, floor

__all__ = ["plot_quality_vs_nfe", "plot_variants"]

FAMILIES = [("DDPM (best variant)", "ddpm", {}, "C0", "o-"), ("DDIM", "ddim", {}, "C1", "s-"),
            ("PMM OPTION 1", "pmm1", {}, "C3", "^-"), ("PMM OPTION 2", "pmm2", {}, "C2", "v-"),
            ("DPM-Solver (best of 4)", "dpm_solver", {}, "C4", "d-"),
            ("PNDM", "pndm", {}, "C5", "x-")]


def _curve(agg, fam, f):
    xs, ms, ss = [], [], []
    for b in sorted(agg.bucket.dropna().unique()):
        r = family_best(agg, fam, b, **f)
        if r is None:
            continue
        sub = agg[agg.key == r[2]]
        xs.append(float(sub.nfe.iloc[0]))
        ms.append(r[0])
        ss.append(r[1])
    return np.array(xs), np.array(ms), np.array(ss)


def plot_quality_vs_nfe(tables: dict, metrics: dict, path_stem):
    """One panel per dataset: best-variant quality vs NFE for every sampler family."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = len(tables)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6), squeeze=False)
    for ax, (name, df) in zip(axes[0], tables.items()):
        met = metrics[name]
        agg = aggregate(df, met)
        for label, fam, f, c, st in FAMILIES:
            x, m, s = _curve(agg, fam, f)
            if len(x):
                ax.errorbar(x, m, yerr=2 * s, fmt=st, color=c, label=label, ms=4, lw=1.2,
                            capsize=2)
        ref = family_best(agg, "ddpm", 1000)
        if ref:
            ax.axhline(ref[0], color="k", ls="--", lw=1, label="DDPM-1000")
        fl = floor(df, met)
        ax.axhline(fl[0], color="gray", ls=":", lw=1, label="exact-sample floor")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("network calls (NFE)")
        ax.set_ylabel(met)
        ax.set_title(name)
        ax.grid(alpha=0.3, which="both")
    axes[0, -1].legend(fontsize=7, loc="best")
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{path_stem}.{ext}", dpi=130,
                    metadata={"CreationDate": None} if ext == "pdf" else None)
    plt.close(fig)


def plot_variants(tables: dict, metrics: dict, path_stem, sampler="ddpm"):
    """Like the paper's Figure 1: quality vs NFE per coefficient variant (DDPM or PMM)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    n = len(tables)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.6), squeeze=False)
    for ax, (name, df) in zip(axes[0], tables.items()):
        agg = aggregate(df, metrics[name])
        fam = "ddpm" if sampler == "ddpm" else "pmm"
        for i, v in enumerate(sorted(agg[agg.sampler == sampler].variant.dropna().unique())):
            x, m, s = _curve(agg, fam, {"variant": v})
            ax.errorbar(x, m, yerr=2 * s, fmt="o-", ms=3, lw=1, capsize=2, color=f"C{i}",
                        label=f"variant {v}")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("network calls (NFE)")
        ax.set_ylabel(metrics[name])
        ax.set_title(f"{name}: {sampler.upper()} variants")
        ax.grid(alpha=0.3, which="both")
    axes[0, -1].legend(fontsize=7)
    fig.tight_layout()
    for ext in ("png", "pdf"):
        fig.savefig(f"{path_stem}.{ext}", dpi=130,
                    metadata={"CreationDate": None} if ext == "pdf" else None)
    plt.close(fig)
