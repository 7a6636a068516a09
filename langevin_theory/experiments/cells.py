"""Cell functions: one (target, scheme, step size, ...) point of a sweep -> a result dict.

Keys starting with ``_`` hold arrays (grid laws, ...) that stay in the cell cache and are not
put into the tidy table.

* ``grid``: exact (Monte-Carlo-free) laws of 1-D overdamped LMC / RLMC / PLMC OPTION 2 from
  :mod:`langevin_theory.reference` (the transition matrix is built once; the stationary law and
  the laws at the requested horizons from a point start come from it).
* ``mc``: Monte Carlo via :func:`langevin_theory.simulate` (OPTION 1, underdamped, d > 1), with
  W2 (and its standard error and estimator floor, :mod:`langevin_theory.metrics`) to the exact
  target and, coupled through one :class:`~langevin_theory.BrownianPath`, to LMC(alpha/K).
  Diverging chains are counted (``diverged_frac``), never silently dropped.
* ``demo``: a cheap random cell used by the runner's tests.
"""
from __future__ import annotations

import math
import time

import numpy as np

from .registry import (make_dynamics, make_scheme, make_target, resolve_substeps,
                       scheme_label)

__all__ = ["CELL_KINDS", "grid_cell", "mc_cell", "demo_cell"]


def demo_cell(params, seed):
    g = np.random.default_rng(seed)
    time.sleep(float(params.get("sleep", 0.0)))
    x = g.normal(float(params.get("mu", 0.0)), 1.0, int(params.get("n", 100)))
    return {"mean": float(x.mean()), "sd": float(x.std(ddof=1))}


def _scheme_info(params, alpha):
    name = params.get("scheme", "lmc")
    rule = params.get("substeps")
    option = int(params.get("option", 2))
    sch = make_scheme(name, alpha, rule, option)
    K = int(getattr(sch, "substeps", 1) or 1)
    return sch, K, scheme_label(name, rule, option)


def _target(params):
    return make_target(params["target"], **dict(params.get("target_kw", {})))


def _grid_nodes(params, target, alpha):
    from ..reference import default_grid, uniform_grid
    if "box" in params:
        lo, hi = params["box"]
        dx = float(params.get("dx", min(0.02, math.sqrt(2 * alpha) / 8)))
        return uniform_grid(lo, hi, dx)
    return default_grid(target, alpha, params.get("dx"))


def grid_cell(params, seed):
    """Exact grid laws. params: target, scheme, substeps, option, step_size, horizons (times),
    x0 (point start), stationary (bool), n_u, box, dx."""
    from scipy import linalg
    from ..reference import propagate, transition_matrix
    target = _target(params)
    alpha = float(params["step_size"])
    sch, K, label = _scheme_info(params, alpha)
    x = _grid_nodes(params, target, alpha)
    n_u = int(params.get("n_u", 16))
    t0 = time.perf_counter()
    P, x, leak = transition_matrix(target, sch, alpha, x, n_u=n_u)
    out = {"scheme_label": label, "K": K, "n_nodes": int(x.size), "dx": float(x[1] - x[0]),
           "leak": float(leak), "cost_per_time": sch.grad_evals_per_step / alpha,
           "fine_step": alpha / K, "_x": x}
    if params.get("stationary", True):
        n = x.size
        A = P.T - np.eye(n)
        r = int(np.argmax(np.abs(x - x.mean())))
        A[r, :] = 1.0
        b = np.zeros(n)
        b[r] = 1.0
        m = np.maximum(linalg.solve(A, b, check_finite=False), 0.0)
        out["stationary_residual"] = float(np.max(np.abs(P.T @ m - m)))
        out["_stationary"] = m / (m.sum() * (x[1] - x[0]))
    horizons = [float(h) for h in params.get("horizons", [])]
    if horizons:
        x0 = float(params.get("x0", 0.0))
        steps = {}
        for T in horizons:
            n = T / alpha
            if abs(n - round(n)) > 1e-9 or round(n) < 1:
                raise ValueError(f"horizon {T} is not a positive multiple of step_size {alpha}")
            steps[int(round(n))] = T
        p = propagate(target, sch, alpha, 1, initial=x0, grid=x, n_u=n_u).density.copy()
        PT = np.ascontiguousarray(P.T)
        laws = {}
        for k in range(1, max(steps) + 1):
            if k > 1:
                p = PT @ p
            if k in steps:
                laws[steps[k]] = p.copy()
        out["_horizon"] = laws
    out["grid_seconds"] = time.perf_counter() - t0
    return out


# --------------------------------------------------------------------------- Monte Carlo
def _marginal_law(name, target_kw):
    """The exact law of coordinate 1 (a 1-D law object) for the built-in targets."""
    from ..reference import exact_law, target_law
    from ..targets import DoubleWell, LogCosh
    if name == "double_well":
        kw = dict(target_kw)
        kw.pop("dim", None)
        return target_law(DoubleWell(1, **kw), dx=0.005)
    if name == "iso_mixture":
        return exact_law(LogCosh())
    if name in ("logcosh", "mixture2"):
        return exact_law(make_target(name))
    return None


def _exact_samples(name, target, target_kw, n, g):
    if hasattr(target, "sample") and getattr(target, "has_sampler", False):
        return np.asarray(target.sample(n, g), float).reshape(n, target.dim)
    if name == "double_well":
        law = _marginal_law(name, target_kw)
        return np.stack([law.sample(n, g) for _ in range(target.dim)], axis=1)
    if name == "logcosh":
        return np.asarray(target.sample(n, g), float).reshape(n, target.dim)
    raise ValueError(f"no exact sampler for {name}")


def _rms_coupled(x, y):
    d2 = np.sum((x - y) ** 2, axis=1)
    m = float(d2.mean())
    v = math.sqrt(m)
    se = float(d2.std(ddof=1) / math.sqrt(d2.size)) / (2 * v) if v > 0 else float("inf")
    return v, se


def mc_cell(params, seed):
    """Monte Carlo. params: target, target_kw, scheme, substeps, option, step_size, horizon,
    n_chains, start ("target" or a point), friction (0 = overdamped), ref_substeps (rule: also
    run LMC(alpha/K_ref) on the same Brownian path and compare), symmetrize, n_ref_sliced."""
    import langevin_theory as lt
    from ..metrics import sliced_w2, w2_1d
    name = params["target"]
    target_kw = dict(params.get("target_kw", {}))
    target = make_target(name, **target_kw)
    alpha = float(params["step_size"])
    sch, K, label = _scheme_info(params, alpha)
    dyn = make_dynamics(params.get("friction", 0.0))
    T = float(params["horizon"])
    n_steps = int(round(T / alpha))
    if abs(n_steps * alpha - T) > 1e-9 * T:
        raise ValueError("horizon must be a multiple of step_size")
    n = int(params["n_chains"])
    ss_start, ss_run, ss_path, ss_metric = seed.spawn(4)
    g = np.random.default_rng(ss_start)
    start = params.get("start", "target")
    if start == "target":
        x0 = _exact_samples(name, target, target_kw, n, g)
    else:
        x0 = np.full((n, target.dim), float(start))
    ref_rule = params.get("ref_substeps")
    K_ref = resolve_substeps(ref_rule, alpha) if ref_rule is not None else None
    path = None
    if K_ref is not None:
        fine = alpha / math.lcm(K_ref, K)
        path = lt.BrownianPath(seed=ss_path, fine_step=fine)
    t0 = time.perf_counter()
    res = lt.simulate(target, sch, dyn, step_size=alpha, n_steps=n_steps, n_chains=n,
                      rng=ss_run, x0=x0, brownian=path, on_divergence="drop")
    out = {"scheme_label": label, "K": K, "dim": target.dim, "n_chains": n,
           "n_diverged": res.n_diverged, "diverged_frac": res.n_diverged / n,
           "cost_per_time": res.n_grad_evals / (n * T),
           "dynamics": "overdamped" if dyn.blocks == 1 else f"underdamped({dyn.friction:g})"}
    X = res.positions
    escape = float(params.get("escape_radius", 100.0))
    esc = ~res.diverged & (np.max(np.abs(np.nan_to_num(X, nan=0.0)), axis=1) > escape)
    ok = ~res.diverged & ~esc
    out["n_escaped"] = int(esc.sum())
    out["diverged_frac"] = float((~ok).mean())
    gm = np.random.default_rng(ss_metric)
    sym = bool(params.get("symmetrize", True))
    law = _marginal_law(name, target_kw) if name != "mixture4_2d" else None
    if ok.sum() >= 2:
        if law is not None:
            e = w2_1d(X[ok, 0], law, symmetrize=sym)
            out.update(w2_target=e.value, w2_target_se=e.se, w2_target_floor=e.floor)
        if target.dim > 1:
            m_ref = int(params.get("n_ref_sliced", min(n, 20000)))
            Y = _exact_samples(name, target, target_kw, m_ref, gm)
            Xs = X[ok][:m_ref]
            e = sliced_w2(Xs, Y, n_projections=int(params.get("n_projections", 100)), rng=gm)
            out.update(sw2_target=e.value, sw2_target_se=e.se, sw2_target_floor=e.floor)
    if K_ref is not None:
        ref = lt.simulate(target, lt.schemes.LMC(), dyn, step_size=alpha / K_ref,
                          n_steps=n_steps * K_ref, n_chains=n, rng=ss_run, x0=x0,
                          brownian=path, on_divergence="drop")
        Yp = ref.positions
        both = ok & ~ref.diverged & ~(np.max(np.abs(np.nan_to_num(Yp)), axis=1) > escape)
        out["ref_diverged_frac"] = ref.n_diverged / n
        out["K_ref"] = K_ref
        if both.sum() >= 2:
            Y = ref.positions
            e = w2_1d(X[both, 0], Y[both, 0], symmetrize=sym)
            out.update(w2_ref=e.value, w2_ref_se=e.se, w2_ref_floor=e.floor)
            v, se = _rms_coupled(X[both], Y[both])
            out.update(rms_coupled_ref=v, rms_coupled_ref_se=se)
    if params.get("save_samples") and target.dim == 1:
        out["_samples"] = np.where(ok[:, None], X, np.nan)[:, 0].astype(np.float64)
    out["mc_seconds"] = time.perf_counter() - t0
    return out


CELL_KINDS = {"grid": grid_cell, "mc": mc_cell, "demo": demo_cell}
