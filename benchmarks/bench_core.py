"""Benchmark of the core simulators: every ratio is taken within one run of this script.

Usage::

    python benchmarks/bench_core.py [--quick] [--out benchmarks/results.md]

Measures (float64, one thread unless stated):

* the in-kernel normal generators, ns per normal: counter-based Philox4x32-10 + ziggurat (the
  Brownian tree) and the per-chain xoshiro256** stream + ziggurat (fast mode);
* LMC on the 2-D four-mode mixture (means (+-2, +-2), std 0.7): chain-steps/s, against the
  gradient-only loop (the bound: the same chains and loop without the noise), a naive NumPy
  LMC, a tuned NumPy LMC (structure of arrays, in-place ``out=`` ufuncs, 4x the chains: its
  best size), and JAX if it is installed (per core: timed against
  ours in a child process pinned to one CPU); ``prange`` scaling on 2 threads;
* LMC on the 1-D double well (cheap gradient);
* a ``Custom`` user gradient against the built-in one;
* PLMC fast mode: step cost against LMC, OPTION 1 at K = 10 and K = 100, OPTION 2 at K = 10
  (both in their lockstep loops on this mixture), and OPTION 1 at K = 10 in the per-chain
  driver against LMC in that driver;
* PLMC fast mode underdamped (friction 1, OPTION 1, K = 10) against underdamped LMC, and the
  underdamped coupled mode at K = 1024;
* PLMC on the 2-D double well (a nearly free gradient) against LMC in the same driver: the
  cost of PLMC's step beyond its gradients;
* PLMC coupled mode at K = 1024 (per-chain driver) against the fast mode (lockstep loop), and
  against the fast mode in the per-chain driver (what the Brownian tree costs);
* a fresh process with a warm numba cache: ``import langevin_theory`` + a first small simulate.

Each timing is the best of ``repeat`` runs (the machine is shared and noisy: the minimum is the
least disturbed), and the two sides of every ratio are timed round-robin (``best_times``).
Results are written as a Markdown table.
"""
from __future__ import annotations

import argparse
import importlib.util
import math
import os
import subprocess
import sys
import time

import numpy as np

import langevin_theory as lt
from langevin_theory import _rng
from langevin_theory._jit import jit
from langevin_theory._target_kernels import ROW_LANES, grad_rows_builtin


def best_time(fn, repeat):
    return best_times({0: fn}, repeat)[0]


def best_times(fns, repeat):
    """Best-of-``repeat`` times of several functions, run round-robin.

    The two sides of a ratio are timed alternately, so a slow spell of the shared machine hits
    both (timing one side after the other let such spells move ratios by 1.5x).
    """
    best = {k: math.inf for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - t)
    return best


@jit(cache=False)
def _grad_only(x0, n_steps, h, params):
    """LMC on the mixture without its noise: the gradient-only bound.

    The chains run as the lockstep LMC loop runs them, ``ROW_LANES`` at a time with their
    gradients computed together (``grad_rows_builtin``), so the bound is the gradient's
    throughput over independent chains. (Until stop 17 this loop ran one chain at a time,
    each step waiting for the last: a latency, 46 ns a gradient on a Zen 4 core against 31.5 ns
    for eight chains row by row, which LMC itself beat.)
    """
    n, d = x0.shape
    lanes = ROW_LANES
    if n % lanes:
        # the caller rates n * n_steps chain-steps: a dropped remainder would inflate the bound
        raise ValueError("the number of chains must be a multiple of ROW_LANES")
    X = np.zeros((lanes, d))
    G = np.zeros((lanes, d))
    s = 0.0
    for c0 in range(0, n, lanes):
        for b in range(lanes):
            for j in range(d):
                X[b, j] = x0[c0 + b, j]
        for _ in range(n_steps):
            grad_rows_builtin(X, params, G)
            for b in range(lanes):
                for j in range(d):
                    X[b, j] = X[b, j] - h * G[b, j] + 1e-3  # keeps the loop from being removed
        s += X[0, 0]
    return s


@jit(cache=False)
def _sum_counter_normals(n):
    k0, k1 = np.uint64(1), np.uint64(2)
    s = 0.0
    for i in range(n // 2):
        c = _rng.counter_words(i, 0, 0, _rng.TAG_PATH)
        z = _rng.normal_pair(c[0], c[1], c[2], c[3], k0, k1)
        s += z[0] + z[1]
    return s


@jit(cache=False)
def _sum_stream_normals(n):
    st = np.zeros(4, np.uint64)
    _rng.stream_seed(st, 0, np.uint64(1), np.uint64(2), 0, _rng.TAG_NOISE)
    s = 0.0
    for _ in range(n):
        s += _rng.stream_normal(st, 0)
    return s


def numpy_lmc_naive(target, x, h, n_steps, rng):
    for _ in range(n_steps):
        x = x - h * target.grad_potential(x) + math.sqrt(2 * h) * rng.standard_normal(x.shape)
    return x


def numpy_lmc_tuned(x, h, n_steps, rng, means, prec, logw):
    """LMC on an isotropic mixture in NumPy as a careful user would write it: the chains'
    coordinates in rows (structure of arrays, so every ufunc streams over contiguous memory),
    one in-place ufunc (``out=``) per arithmetic operation, no temporaries per step, and
    NumPy's own vectorised ``exp``.

    Stop 17 replaced a form with ``einsum`` over a (chain, coordinate) layout, which ran at
    1.1e7 chain-steps/s on a Zen 4 core, slower than the naive loop, against 2.5e7 for this
    one; ratios to it before stop 17 overstated the package's lead.
    """
    n, d = x.shape
    k = means.shape[0]
    X = np.ascontiguousarray(x.T)             # (d, n)
    R = np.empty((k, d, n))                   # x - mu_j
    L = np.empty((k, n))                      # log-weights, then weights
    G = np.empty((d, n))
    Z = np.empty((d, n))
    T = np.empty(n)
    M = np.empty(n)
    S = np.empty(n)
    sq = math.sqrt(2 * h)
    for _ in range(n_steps):
        for j in range(k):
            for a in range(d):
                np.subtract(X[a], means[j, a], out=R[j, a])
            np.multiply(R[j, 0], R[j, 0], out=L[j])
            for a in range(1, d):
                np.multiply(R[j, a], R[j, a], out=T)
                L[j] += T
            L[j] *= -0.5 * prec
            L[j] += logw[j]
        np.max(L, axis=0, out=M)
        L -= M
        np.exp(L, out=L)
        np.sum(L, axis=0, out=S)
        for a in range(d):
            np.multiply(L[0], R[0, a], out=G[a])
            for j in range(1, k):
                np.multiply(L[j], R[j, a], out=T)
                G[a] += T
            G[a] /= S
        G *= -h * prec
        rng.standard_normal(out=Z)
        Z *= sq
        X += G
        X += Z
    return X.T


def jax_lmc(means, prec, logw, n, n_steps, h):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    mu = jnp.asarray(means)

    def grad(x):
        diff = x[None] - mu[:, None, :]
        logr = logw[:, None] - 0.5 * prec * jnp.sum(diff ** 2, -1)
        r = jax.nn.softmax(logr, axis=0)
        return prec * jnp.einsum("kn,kna->na", r, diff)

    @jax.jit
    def run(x, key):
        def body(carry, _):
            x, key = carry
            key, sub = jax.random.split(key)
            x = x - h * grad(x) + jnp.sqrt(2 * h) * jax.random.normal(sub, x.shape)
            return (x, key), None
        (x, _), _ = jax.lax.scan(body, (x, key), None, length=n_steps)
        return x

    x = jnp.zeros((n, means.shape[1]))
    run(x, jax.random.PRNGKey(0)).block_until_ready()
    return lambda: run(x, jax.random.PRNGKey(1)).block_until_ready()


def in_general_driver(target, scheme, **kw):
    """``simulate`` through the per-chain driver that runs RLMC and every coupled run, not
    the lockstep loops of LMC and PLMC in fast mode (``_driver_lmc``, ``_driver_plmc``): the
    like-for-like denominators (LMC there isolates PLMC's work beyond one gradient; PLMC's
    fast mode there isolates what the coupled mode's Brownian tree costs)."""
    sim_mod = importlib.import_module("langevin_theory.simulate")
    saved = sim_mod.get_lmc_driver, sim_mod.get_plmc_driver
    sim_mod.get_lmc_driver = lambda target, blocks: None
    sim_mod.get_plmc_driver = lambda target, blocks: None
    try:
        return lt.simulate(target, scheme, **kw)
    finally:
        sim_mod.get_lmc_driver, sim_mod.get_plmc_driver = saved


def lmc_in_general_driver(target, **kw):
    """LMC through the per-chain driver (:func:`in_general_driver`)."""
    return in_general_driver(target, lt.schemes.LMC(), **kw)


def benchmark_mixture():
    """The issue's 2-D four-mode mixture: means (+-2, +-2), std 0.7 (variance 0.49)."""
    return lt.targets.GaussianMixture(np.ones(4), [[2, 2], [2, -2], [-2, 2], [-2, -2]], 0.49)


#: the PLMC block's configurations (also what ``ab_compare.py`` times): name -> what it times
PLMC_BLOCK = {
    "lmc": "LMC, 2-D four-mode mixture (the lockstep loop)",
    "lmc_general": "LMC, mixture, through the per-chain driver that runs PLMC",
    "plmc1": "PLMC OPTION 1, K = 10, mixture, fast mode (the lockstep loop)",
    "plmc1_general": "PLMC OPTION 1, K = 10, mixture, fast mode, per-chain driver",
    "plmc1_k100": "PLMC OPTION 1, K = 100, mixture, fast mode",
    "plmc2": "PLMC OPTION 2, K = 10, mixture, fast mode",
    "fast1024": "PLMC OPTION 1, K = 1024, mixture, fast mode (the lockstep loop)",
    "fast1024_general": "PLMC OPTION 1, K = 1024, mixture, fast mode, per-chain driver",
    "coupled": "PLMC OPTION 1, K = 1024, mixture, coupled mode (Brownian tree)",
    "ud_lmc": "underdamped LMC (friction 1), mixture, fast mode (the lockstep loop)",
    "ud_plmc1": "underdamped PLMC OPTION 1, K = 10, mixture, fast mode (the lockstep loop)",
    "ud_coupled": "underdamped PLMC OPTION 1, K = 1024, mixture, coupled mode",
    "dw_general": "LMC, 2-D double well, per-chain driver",
    "dw_plmc1": "PLMC OPTION 1, K = 10, 2-D double well, fast mode",
}


def plmc_block_runs(n_chains, n_steps):
    """(kw, runs): the ``simulate`` keywords of the PLMC block (one thread) and, for each
    name of :data:`PLMC_BLOCK`, a function running that configuration with keywords like
    them (nothing runs or compiles here)."""
    mix = benchmark_mixture()
    dw2 = lt.targets.DoubleWell(dim=2)
    P = lt.schemes.PoissonMidpoint
    ud = lt.dynamics.Underdamped(1.0)
    K = 1024
    path = lt.BrownianPath(seed=1, fine_step=0.05 / K)
    kw = dict(step_size=0.05, n_steps=n_steps, n_chains=n_chains, rng=0,
              x0=np.zeros((n_chains, 2)), n_threads=1)
    runs = {
        "lmc": lambda **k: lt.simulate(mix, lt.schemes.LMC(), **k),
        "lmc_general": lambda **k: lmc_in_general_driver(mix, **k),
        "plmc1": lambda **k: lt.simulate(mix, P(10, 1), **k),
        "plmc1_general": lambda **k: in_general_driver(mix, P(10, 1), **k),
        "plmc1_k100": lambda **k: lt.simulate(mix, P(100, 1), **k),
        "plmc2": lambda **k: lt.simulate(mix, P(10, 2), **k),
        "fast1024": lambda **k: lt.simulate(mix, P(K, 1), **k),
        "fast1024_general": lambda **k: in_general_driver(mix, P(K, 1), **k),
        "coupled": lambda **k: lt.simulate(mix, P(K, 1), brownian=path, **k),
        "ud_lmc": lambda **k: lt.simulate(mix, lt.schemes.LMC(), ud, **k),
        "ud_plmc1": lambda **k: lt.simulate(mix, P(10, 1), ud, **k),
        "ud_coupled": lambda **k: lt.simulate(mix, P(K, 1), ud, brownian=path, **k),
        # the same on a 2-D target with a nearly free gradient: what PLMC's step costs
        # beyond its gradients (the midpoint set, the noise pieces), both per-chain
        "dw_general": lambda **k: lmc_in_general_driver(dw2, **k),
        "dw_plmc1": lambda **k: lt.simulate(dw2, P(10, 1), **k),
    }
    return kw, runs


def jax_pinned(n, rep):
    """Ours and JAX's LMC on the mixture in this process pinned to one CPU, round-robin; prints
    both rates (chain-steps/s). Pinned before JAX starts its threads, which inherit the mask."""
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    mix = benchmark_mixture()
    steps = 200
    kw = dict(step_size=0.05, n_steps=steps, n_chains=n, rng=0, x0=np.zeros((n, 2)))
    lt.simulate(mix, lt.schemes.LMC(), n_threads=1, **{**kw, "n_steps": 2})
    jx = jax_lmc(mix.means, 1 / 0.49, np.log(mix.weights), n, steps, 0.05)
    tt = best_times({"ours": lambda: lt.simulate(mix, lt.schemes.LMC(), n_threads=1, **kw),
                     "jax": jx}, rep)
    print(n * steps / tt["ours"], n * steps / tt["jax"])


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--jax-pinned"]:
        return jax_pinned(int(argv[1]), int(argv[2]))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run)")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "results.md"))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    n, steps = (2000, 200) if args.quick else (4000, 1000)
    rep = args.repeat
    rows = []

    def row(what, value, unit, note=""):
        rows.append((what, value, unit, note))
        print(f"{what:58s} {value:12.4g} {unit:18s} {note}", flush=True)

    # ---------------------------------------------------------------- generator
    # summed, not stored: a fresh output array's page faults would be timed, not the generator
    m = 2_000_000 if args.quick else 20_000_000
    _sum_counter_normals(10)
    t = best_time(lambda: _sum_counter_normals(m), rep)
    row("normal generator, counter-based (Philox4x32-10 + ziggurat)", t / m * 1e9, "ns / normal",
        "Brownian tree")
    _sum_stream_normals(10)
    t = best_time(lambda: _sum_stream_normals(m), rep)
    row("normal generator, per-chain stream (xoshiro256** + ziggurat)", t / m * 1e9,
        "ns / normal", "fast mode")

    # ---------------------------------------------------------------- mixture LMC
    mix = benchmark_mixture()
    x0 = np.zeros((n, 2))
    kw = dict(step_size=0.05, n_steps=steps, n_chains=n, rng=0, x0=x0)
    lt.simulate(mix, lt.schemes.LMC(), **{**kw, "n_steps": 2})
    _grad_only(x0[:ROW_LANES], 2, 0.05, mix.params)  # compile
    cs = n * steps
    tt = best_times({"lmc": lambda: lt.simulate(mix, lt.schemes.LMC(), n_threads=1, **kw),
                     "grad": lambda: _grad_only(x0, steps, 0.05, mix.params)}, rep)
    t_lmc1, t_grad = tt["lmc"], tt["grad"]
    row("LMC, 2-D mixture, 1 thread", cs / t_lmc1, "chain-steps/s")
    row("  gradient-only loop (bound)", cs / t_grad, "chain-steps/s",
        f"LMC / bound time = {t_lmc1 / t_grad:.2f}")
    import numba
    if numba.config.NUMBA_NUM_THREADS >= 2:
        tt = best_times({
            1: lambda: lt.simulate(mix, lt.schemes.LMC(), n_threads=1, **kw),
            2: lambda: lt.simulate(mix, lt.schemes.LMC(), n_threads=2, **kw)}, rep)
        # the speed-up is taken within the alternating pair
        row("  LMC, 2 threads (prange)", cs / tt[2], "chain-steps/s",
            f"speed-up {tt[1] / tt[2]:.2f}x")
    g = np.random.default_rng(0)
    small = max(n // 4, 500)
    t_naive = best_time(lambda: numpy_lmc_naive(mix, np.zeros((small, 2)), 0.05, 50, g), rep)
    row("  naive NumPy LMC", small * 50 / t_naive, "chain-steps/s",
        f"ours {cs / t_lmc1 / (small * 50 / t_naive):.1f}x faster")
    means = mix.means
    logw = np.log(mix.weights)
    prec = 1 / 0.49
    big = n * 4
    # 4n chains: NumPy's best size (stop 17, Zen 4: 2.2e7 chain-steps/s at 4000 chains, 2.5e7
    # at 8000-16000, 2.35e7 at 64000), against ours in the same round-robin
    tt = best_times({"ours": lambda: lt.simulate(mix, lt.schemes.LMC(), n_threads=1, **kw),
                     "numpy": lambda: numpy_lmc_tuned(np.zeros((big, 2)), 0.05, 50, g, means,
                                                      prec, logw)}, rep)
    rate_tuned = big * 50 / tt["numpy"]
    row("  tuned NumPy LMC (structure of arrays, in-place ufuncs)", rate_tuned, "chain-steps/s",
        f"ours {cs / tt['ours'] / rate_tuned:.2f}x faster (ours {cs / tt['ours']:.3g}/s in "
        "that round-robin)")
    if importlib.util.find_spec("jax") is not None:
        # per core: XLA runs a CPU computation on all cores, so both sides are timed in a child
        # process pinned to one CPU, round-robin
        out = subprocess.run([sys.executable, __file__, "--jax-pinned", str(n), str(rep)],
                             check=True, capture_output=True, text=True).stdout
        ours, jax_rate = (float(v) for v in out.split()[-2:])
        row("  JAX jit (lax.scan), both pinned to one CPU", jax_rate, "chain-steps/s",
            f"ours {ours / jax_rate:.2f}x faster (ours {ours:.3g}/s in that process)")
    else:
        row("  JAX jit", float("nan"), "chain-steps/s", "JAX not installed: skipped")

    # ---------------------------------------------------------------- double well
    dw = lt.targets.DoubleWell()
    kw1 = dict(step_size=0.05, n_steps=steps, n_chains=n, rng=0)
    lt.simulate(dw, lt.schemes.LMC(), **{**kw1, "n_steps": 2})

    # ---------------------------------------------------------------- custom gradient
    def pot(x):
        return 0.25 * x[0] ** 4 - 0.5 * x[0] ** 2

    def grad_inplace(x, out):
        out[0] = x[0] ** 3 - x[0]

    custom = lt.targets.Custom(pot, grad_inplace, dim=1)
    lt.simulate(custom, lt.schemes.LMC(), **{**kw1, "n_steps": 2})
    tt = best_times({"dw": lambda: lt.simulate(dw, lt.schemes.LMC(), n_threads=1, **kw1),
                     "cu": lambda: lt.simulate(custom, lt.schemes.LMC(), n_threads=1, **kw1)},
                    rep)
    t_dw, t_cu = tt["dw"], tt["cu"]
    row("LMC, 1-D double well, 1 thread", cs / t_dw, "chain-steps/s")
    row("LMC, Custom double-well gradient (in-place form)", cs / t_cu, "chain-steps/s",
        f"cost vs built-in {t_cu / t_dw:.2f}x")

    # ---------------------------------------------------------------- PLMC fast / coupled
    pk, runs = plmc_block_runs(n, steps // 2)
    cs2 = n * (steps // 2)
    K = 1024
    for run in runs.values():
        run(**{**pk, "n_steps": 1})  # compile (or load from the cache) untimed
    tt = best_times({k: (lambda run=run: run(**pk)) for k, run in runs.items()}, rep)
    t_l, t_lg = tt["lmc"], tt["lmc_general"]
    row("LMC, mixture, general per-chain driver (PLMC's loop)", cs2 / t_lg, "chain-steps/s",
        f"vs the lockstep LMC loop {t_lg / t_l:.2f}x")
    for K10, key in ((10, "plmc1"), (100, "plmc1_k100")):
        row(f"PLMC opt1 fast mode K={K10}, mixture", cs2 / tt[key], "chain-steps/s",
            f"step cost vs LMC {tt[key] / t_l:.2f}x")
    t2 = tt["plmc2"]
    row("PLMC opt2 fast mode K=10, mixture", cs2 / t2, "chain-steps/s",
        f"step cost vs LMC {t2 / t_l:.2f}x")
    t_pg = tt["plmc1_general"]
    row("PLMC opt1 fast mode K=10, mixture, general per-chain driver", cs2 / t_pg,
        "chain-steps/s", f"vs LMC in the same driver {t_pg / t_lg:.2f}x; the lockstep loop "
        f"is {t_pg / tt['plmc1']:.2f}x faster")
    t_ul, t_up = tt["ud_lmc"], tt["ud_plmc1"]
    row("PLMC opt1 fast mode K=10, mixture, underdamped (friction 1)", cs2 / t_up,
        "chain-steps/s", f"step cost vs underdamped LMC {t_up / t_ul:.2f}x")
    t_uc = tt["ud_coupled"]
    row(f"PLMC opt1 coupled mode K={K}, mixture, underdamped (friction 1)", cs2 / t_uc,
        "chain-steps/s", f"{t_uc / cs2 * 1e9:.0f} ns a step")
    t_dl, t_dp = tt["dw_general"], tt["dw_plmc1"]
    row("PLMC opt1 K=10, 2-D double well (cheap gradient)", cs2 / t_dp, "chain-steps/s",
        f"vs LMC in its loop {t_dp / t_dl:.2f}x: {(t_dp - t_dl) / cs2 * 1e9:.1f} ns more per "
        "step")
    t_fast, t_fg, t_coup = tt["fast1024"], tt["fast1024_general"], tt["coupled"]
    row(f"PLMC opt1 coupled mode K={K}, mixture", cs2 / t_coup, "chain-steps/s",
        f"vs fast mode {t_coup / t_fast:.3f}x (vs fast mode in the same per-chain driver "
        f"{t_coup / t_fg:.3f}x)")

    # ---------------------------------------------------------------- cold start
    code = ("import time; t=time.perf_counter(); import langevin_theory as lt; "
            "lt.simulate(lt.targets.LogCosh(), lt.schemes.LMC(), step_size=0.1, n_steps=10, "
            "n_chains=100, rng=0); print(time.perf_counter()-t)")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # warm cache
    cold = min(float(subprocess.run([sys.executable, "-c", code], check=True,
                                    capture_output=True, text=True).stdout) for _ in range(rep))
    row("fresh process, warm cache: import + first simulate", cold, "s")

    lines = ["| measurement | value | unit | ratio / note |", "|---|---|---|---|"]
    lines += [f"| {w.strip()} | {v:.4g} | {u} | {nt} |" for w, v, u, nt in rows]
    header = (f"Core benchmark (`python benchmarks/bench_core.py{' --quick' if args.quick else ''}`"
              f"), best of {rep}; {os.cpu_count()} CPUs, load average at start "
              f"{os.getloadavg()[0]:.1f}.\n\n")
    with open(args.out + ".tmp", "w") as f:
        f.write(header + "\n".join(lines) + "\n")
    os.replace(args.out + ".tmp", args.out)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
