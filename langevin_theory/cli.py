"""The ``langevin-theory`` command line.

Subcommands: ``list``, ``simulate``, ``sweep SPEC``, ``plot``, ``reproduce [--quick]``,
``theory``. matplotlib is imported only by ``plot`` and ``reproduce``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

__all__ = ["main", "build_parser"]


def _cmd_list(args):
    from .experiments.registry import TARGETS
    from .schemes import available_schemes
    from .experiments.spec import load_spec  # noqa: F401
    print("targets:")
    for k, (_, desc) in TARGETS.items():
        print(f"  {k:<12} {desc}")
    print("schemes:")
    for k, cls in sorted(available_schemes().items()):
        print(f"  {k:<12} {cls.__name__}: {cls.reference}")
    specs = sorted(p.stem for p in (Path(__file__).parent / "experiments" / "specs").glob(
        "*.toml"))
    print("built-in specs:", ", ".join(specs))
    return 0


def _parse_kv(items):
    out = {}
    for it in items or []:
        k, _, v = it.partition("=")
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def _cmd_simulate(args):
    import numpy as np
    import langevin_theory as lt
    from .experiments.registry import make_dynamics, make_scheme, make_target
    target = make_target(args.target, **_parse_kv(args.target_kw))
    scheme = make_scheme(args.scheme, args.step_size,
                         args.substeps if args.substeps is None or "/" in str(args.substeps)
                         else int(args.substeps), args.option)
    dyn = make_dynamics(args.friction)
    res = lt.simulate(target, scheme, dyn, step_size=args.step_size, n_steps=args.n_steps,
                      n_chains=args.n_chains, rng=args.seed, x0=args.x0,
                      on_divergence="drop", progress=not args.no_progress)
    pos = res.finite_positions
    summary = {"target": repr(target), "scheme": repr(scheme), "dynamics": repr(dyn),
               "step_size": args.step_size, "n_steps": args.n_steps,
               "n_chains": args.n_chains, "n_grad_evals": res.n_grad_evals,
               "n_diverged": res.n_diverged,
               "mean": np.mean(pos, 0).tolist() if len(pos) else None,
               "var": np.var(pos, 0).tolist() if len(pos) else None}
    if target.dim == 1 and len(pos) > 1:
        from .experiments.cells import _marginal_law
        law = _marginal_law(args.target, {})
        if law is not None:
            from .metrics import w2_1d
            e = w2_1d(pos[:, 0], law)
            summary.update(w2_target=e.value, w2_se=e.se, w2_floor=e.floor)
    print(json.dumps(summary, indent=2))
    if args.out:
        # atomically: a reader never sees a partial file (np.save's name rule: add .npy)
        path = args.out if args.out.endswith(".npy") else args.out + ".npy"
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as f:
            np.save(f, res.positions)
        os.replace(tmp, path)
    return 0


def _cmd_sweep(args):
    from .experiments import load_spec, run_sweep
    from .experiments.runner import atomic_write_text
    spec = load_spec(args.spec)
    out = Path(args.out or f"out/{spec.name}")
    df = run_sweep(spec, out / "cache", n_workers=args.workers, progress=not args.no_progress)
    atomic_write_text(out / "cells.csv", df.to_csv(index=False))
    print(f"{len(df)} cells -> {out / 'cells.csv'}")
    return 0


def _cmd_reproduce(args):
    from .experiments.central import reproduce
    cmd = "langevin-theory " + " ".join(sys.argv[1:]) if args.command_line is None \
        else args.command_line
    tables = reproduce(args.out, quick=args.quick, spec=args.spec, n_workers=args.workers,
                       progress=not args.no_progress, command=cmd)
    f = tables["fits"]
    print(f"verdicts -> {Path(args.out) / 'verdicts.csv'} ({len(f)} rows); report -> "
          f"{Path(args.out) / 'report.md'}")
    if len(f):
        print(f["verdict"].value_counts().to_string())
    return 0


def _cmd_plot(args):
    """Re-draw the figures of a finished ``reproduce`` directory from its cache."""
    from .experiments.central import analyse, win_alpha
    from .experiments.runner import load_cell
    from .experiments.spec import load_spec
    from . import plotting
    out = Path(args.dir)
    meta = json.loads((out / "meta.json").read_text())
    spec = load_spec(args.spec or meta["spec"])
    records = {}
    for c in spec.cells():
        rec = load_cell(out / "cache", c, current_code_only=False)
        if rec is not None:
            records[c.index] = rec
    tables = analyse(records, out)
    tables["win_alpha"] = win_alpha(tables["equal_cost"])
    made = plotting.central_figures(tables, Path(args.figures or out / "figures"))
    print(f"{len(made)} figures from {len(records)} cells")
    return 0


def _cmd_theory(args):
    from .theory import main as theory_main
    return theory_main(args.rest)


def build_parser():
    p = argparse.ArgumentParser(prog="langevin-theory",
                                description="Poisson midpoint method (PLMC): simulate, sweep, "
                                            "reproduce the speed-up experiment, print theory.")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("list", help="targets, schemes and built-in sweep specs")
    s.set_defaults(func=_cmd_list)
    s = sub.add_parser("simulate", help="run one simulation and print a summary")
    s.add_argument("--target", default="logcosh")
    s.add_argument("--target-kw", nargs="*", help="key=value (JSON values)")
    s.add_argument("--scheme", default="plmc", help="lmc, rlmc or plmc")
    s.add_argument("--substeps", default=None, help="K: an int or 'c/alpha' (plmc)")
    s.add_argument("--option", type=int, default=1)
    s.add_argument("--friction", type=float, default=0.0, help="> 0: underdamped")
    s.add_argument("--step-size", type=float, default=0.125)
    s.add_argument("--n-steps", type=int, default=64)
    s.add_argument("--n-chains", type=int, default=10000)
    s.add_argument("--x0", type=float, default=None)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", help="save final positions (.npy)")
    s.add_argument("--no-progress", action="store_true", help="no progress bar (stderr)")
    s.set_defaults(func=_cmd_simulate)
    s = sub.add_parser("sweep", help="run a TOML sweep spec (resumable)")
    s.add_argument("spec", help="a TOML file, or a built-in spec name (quick, full)")
    s.add_argument("--out", help="output directory (default out/<spec name>)")
    s.add_argument("--workers", type=int, default=None)
    s.add_argument("--no-progress", action="store_true")
    s.set_defaults(func=_cmd_sweep)
    s = sub.add_parser("reproduce", help="the central experiment: tables, figures, verdicts")
    s.add_argument("--quick", action="store_true", help="E1 + E2 on LogCosh and the double "
                                                        "well (minutes)")
    s.add_argument("--spec", default=None, help="another spec (TOML or built-in name)")
    s.add_argument("--out", required=True)
    s.add_argument("--workers", type=int, default=None)
    s.add_argument("--no-progress", action="store_true")
    s.add_argument("--command-line", default=None, help=argparse.SUPPRESS)
    s.set_defaults(func=_cmd_reproduce)
    s = sub.add_parser("plot", help="re-draw the figures of a reproduce directory")
    s.add_argument("dir")
    s.add_argument("--spec", default=None)
    s.add_argument("--figures", default=None, help="where to write (default DIR/figures)")
    s.set_defaults(func=_cmd_plot)
    s = sub.add_parser("theory", help="symbolic rates and complexity table",
                       add_help=False)
    s.add_argument("rest", nargs=argparse.REMAINDER)
    s.set_defaults(func=_cmd_theory)
    return p


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "theory":          # hand everything after it to theory.main
        from .theory import main as theory_main
        return int(theory_main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        rc = args.func(args)
    except (ValueError, FileNotFoundError, FloatingPointError) as err:
        # bad input or a diverging run: one line naming the problem, not a traceback
        # (LANGEVIN_THEORY_TRACEBACK=1 re-raises, for debugging)
        if os.environ.get("LANGEVIN_THEORY_TRACEBACK"):
            raise
        print(f"{parser.prog} {args.cmd}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{parser.prog} {args.cmd}: interrupted (finished sweep cells are cached; the same "
              "command resumes)", file=sys.stderr)
        return 130
    return int(rc or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
