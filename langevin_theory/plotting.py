"""Figures of the central experiment (matplotlib imported lazily, Agg backend).

Every figure is written as PNG and PDF, atomically (temporary file, then ``os.replace``),
with error bars where the numbers are Monte Carlo, and fitted slopes in the legends.
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

__all__ = ["central_figures", "save"]


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save(fig, path):
    """Save ``fig`` as ``path`` (.png) and the same stem .pdf, atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for ext in (".png", ".pdf"):
        target = path.with_suffix(ext)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=ext)
        os.close(fd)
        try:
            # no creation date: a re-generated figure is byte-identical (no churn in git)
            meta = {"CreationDate": None} if ext == ".pdf" else None
            fig.savefig(tmp, dpi=130, bbox_inches="tight", metadata=meta)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)


def _slope_text(fits, claim, target, scheme, metric):
    if fits is None or not len(fits):
        return ""
    r = fits[(fits.claim == claim) & (fits.target == target) & (fits.scheme == scheme)
             & (fits.metric == metric)]
    if not len(r):
        return ""
    r = r.iloc[0]
    if not math.isfinite(r.slope):
        return " (on floor)"
    return f" slope {r.slope:.2f} [{r.ci_low:.2f},{r.ci_high:.2f}] (pred {r.predicted_slope:g})"


def _panel_set(plt, dist, fits, claims, target, xvar, xlabel, title, path, metrics):
    d = dist[(dist.target == target) & (dist.claim.isin(claims))]
    if not len(d):
        return None
    fig, axes = plt.subplots(1, len(metrics), figsize=(6.2 * len(metrics), 4.6), squeeze=False)
    styles = {c: s for c, s in zip(claims, ["-", "--", ":", "-."])} if len(claims) <= 4 else {}
    for ax, m in zip(axes[0], metrics):
        dm = d[d.metric == m]
        for (claim, scheme), g in dm.groupby(["claim", "scheme"]):
            if xvar not in g or g[xvar].isna().all():
                continue
            g = g.sort_values(xvar)
            lab = f"{scheme} [{claim.split(':', 1)[-1]}]" + _slope_text(fits, claim, target,
                                                                          scheme, m)
            yerr = g["se"] if (g["se"] > 0).any() else None
            ax.errorbar(g[xvar], g["value"], yerr=yerr, ls=styles.get(claim, "-"), marker="o",
                        ms=3, label=lab, capsize=2)
        fl = dm["floor"].max() if len(dm) else 0
        if fl > 0:
            ax.axhline(fl, color="grey", lw=0.8, ls=":", label="estimator floor (max)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(m)
        ax.set_title(f"{title}: {m}, {target}", fontsize=9)
        ax.legend(fontsize=6)
        ax.grid(alpha=0.3, which="both")
    save(fig, path)
    plt.close(fig)
    return path


def central_figures(tables: dict, outdir) -> list:
    """All figures of :func:`langevin_theory.experiments.central.reproduce`."""
    plt = _plt()
    outdir = Path(outdir)
    dist, fits = tables["distances"], tables["fits"]
    made = []
    if len(dist):
        for t in sorted(dist.target.unique()):
            e1 = sorted(c for c in dist.claim.unique() if c.startswith("E1:"))
            made.append(_panel_set(plt, dist, fits, e1, t, "alpha", "alpha",
                                   "E1: distance to LMC(alpha/K)", outdir / f"e1_{t}.png",
                                   ("W2", "TV", "KL")))
            e2 = sorted(c for c in dist.claim.unique() if c.startswith("E2:"))
            made.append(_panel_set(plt, dist, fits, e2, t, "cost",
                                   "gradient evaluations per unit time",
                                   "E2: distance to the truth", outdir / f"e2_{t}.png",
                                   ("W2", "TV", "KL")))
            made.append(_panel_set(plt, dist, fits, ["E1-MC:stationary"], t, "alpha", "alpha",
                                   "E1 (Monte Carlo, OPTION 1 and 2) vs exact LMC(alpha/K)",
                                   outdir / f"e1_mc_{t}.png", ("W2",)))
            made.append(_panel_set(plt, dist, fits, ["E2-MC:stationary"], t, "cost",
                                   "gradient evaluations per unit time",
                                   "E2 (Monte Carlo) W2 to the target", outdir / f"e2_mc_{t}.png",
                                   ("W2",)))
            for pre, xv, xl, ms in (("E3", "cost", "gradient evaluations per unit time",
                                     ("W2",)),
                                    ("E4", "cost", "gradient evaluations per unit time",
                                     ("W2", "SW2")),
                                    ("E5", "x", "K (vs-K) or horizon T (vs-T), alpha = 1/8",
                                     ("W2", "TV", "KL"))):
                cl = sorted(c for c in dist.claim.unique() if c.startswith(pre + ":")
                            and "d-dependence" not in c)
                if cl:
                    made.append(_panel_set(plt, dist, fits, cl, t, xv, xl, pre,
                                           outdir / f"{pre.lower()}_{t}.png", ms))
    eq = tables.get("equal_cost")
    if eq is not None and len(eq):
        for t in sorted(eq.target.unique()):
            fig, ax = plt.subplots(figsize=(6.2, 4.6))
            g0 = eq[(eq.target == t) & (eq.metric == "W2")]
            for (lab, s), g in g0.groupby(["scheme", "setting"]):
                g = g.sort_values("alpha")
                txt = _slope_text(fits, f"E2:equal-cost-ratio:{s}", t, lab, "W2")
                ax.plot(g["alpha"], g["ratio"], marker="o", label=f"{lab} [{s}]{txt}")
            ax.axhline(1.0, color="k", lw=0.8)
            ax.set_xscale("log", base=2)
            ax.set_yscale("log")
            ax.set_xlabel("alpha (PLMC step; LMC at alpha/2: equal gradient cost)")
            ax.set_ylabel("W2(LMC) / W2(PLMC)")
            ax.set_title(f"equal-cost error ratio, {t}", fontsize=9)
            ax.legend(fontsize=6)
            ax.grid(alpha=0.3, which="both")
            save(fig, outdir / f"e2_ratio_{t}.png")
            plt.close(fig)
            made.append(outdir / f"e2_ratio_{t}.png")
    st = tables.get("stability")
    if st is not None and len(st):
        fig, axes = plt.subplots(1, st.target.nunique(), figsize=(6 * st.target.nunique(), 4.4),
                                 squeeze=False)
        for ax, (t, g0) in zip(axes[0], st.groupby("target")):
            for lab, g in g0.groupby("scheme_label"):
                g = g.sort_values("alpha")
                ax.errorbar(g["alpha"], g["diverged_frac"], yerr=g["se"], marker="o", ms=3,
                            capsize=2, label=lab)
            ax.set_xscale("log", base=2)
            ax.set_yscale("symlog", linthresh=1e-4)
            ax.set_xlabel("alpha")
            ax.set_ylabel("fraction of diverging chains")
            ax.set_title(f"stability, {t}", fontsize=9)
            ax.legend(fontsize=7)
            ax.grid(alpha=0.3)
        save(fig, outdir / "stability.png")
        plt.close(fig)
        made.append(outdir / "stability.png")
    return [m for m in made if m is not None]
