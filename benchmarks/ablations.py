"""Ablations of three hot loops, built from the package's current source, timed in one process.

Usage::

    python benchmarks/ablations.py lmc  [--repeat 5] [--chains 4000] [--steps 500]
    python benchmarks/ablations.py plmc [--repeat 5] [--chains 4000] [--steps 500]
    python benchmarks/ablations.py tree [--repeat 5] [--steps 1000] [--passes 10]
    python benchmarks/ablations.py lmc --list        # the variants and their edits

An ablation is an edited copy of one module (``_driver_lmc`` for ``lmc``, ``_driver_plmc``
for ``plmc``, ``brownian`` for ``tree``): each variant is a list of named text edits, each
of which must match the current source exactly once (so an edit that no longer applies fails
loudly instead of timing the unedited code; ``tests/test_benchmark_tools.py`` checks that
they all apply). The copy is
loaded as a module of the package, its kernels compiled uncached, and timed round-robin with
the others, best of ``--repeat``. Most variants cut work out and compute wrong numbers on
purpose: they say what a part of the loop costs, not what a faster loop would be. A variant
meant to be the same numbers is marked ``same bits`` and its output compared with the
package's.

``lmc``: the lockstep LMC loop on the benchmark mixture (4000 chains x 500 steps, one
thread), in ns a chain-step and against the gradient-only loop of ``bench_core`` (the
bound of the "LMC within 1.3x of the gradient-only bound" goal). Variants:

* ``no-draws``: the normals replaced by 0.0, i.e. the loop's cost without its generator;
* ``soa-draws`` (same bits): the group's normals drawn before its updates, one component at a
  time across the group's 16 chains, from the streams' states held as a structure of arrays
  (four uint64 arrays) so that LLVM vectorises the ziggurat's fast path (it does: 8-lane
  ``fshl`` in the IR); rejected lanes are redone one by one from the same stream (the draw
  loop is ``normal_lanes.ziggurat_lanes``, stop 18's, called inside the LMC loop).

``plmc``: the lockstep PLMC loop, K = 10, overdamped, on the benchmark mixture (4000 chains x
500 steps, one thread), OPTION 1 and OPTION 2, against the package's LMC in the same process
(the "PLMC <= 2.2x LMC" goal; ``plmc_driver_variants.runner``). Variants (each timed with the
option it concerns): ``flat-midpoints`` (OPTION 2's midpoint loop over 1-D views of its
arrays, so that its accesses have a constant stride, its noise factors still read from the
table by each chain's slot; same bits), ``+computed-factors`` (those factors computed
instead, the table's own expression ``sqrt(2 (i m) h_sub)``: no load from an index read
from memory; same bits) and ``cheap-gaps`` (OPTION 1's geometric gaps from one uniform, with
the geometric law's mean but not its law, instead of an exponential ziggurat draw: what the
selection's draws cost).

``tree``: ``tree_descent.py``'s replay of a coupled PLMC run's queries at K = 1024 (one
chain), ns a step. The variants cut, cumulatively: ``no-philox`` (the Philox words of the
descent replaced by a multiply-xor of the counter), ``+no-ziggurat`` (the node normals read
off the words as scaled integers), ``+no-chain`` (the bridge's arithmetic no longer reads the
interval being split: no dependency from level to level), ``+no-table`` (the bridge
coefficients constants instead of the path's table), ``+no-stores`` (the levels' values not
written back to the cache: the loop's values are then dead but for its last level's, so
LLVM may drop most of the loop: read this step as what the loop costs), ``+no-words`` (no
loop computing the descent's words at all: what is left is the queries' bookkeeping).
"""
from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile

import numba
import numpy as np

import langevin_theory as lt

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from bench_core import _grad_only, benchmark_mixture, best_times  # noqa: E402
import plmc_driver_variants  # noqa: E402
import tree_descent  # noqa: E402

PKG = pathlib.Path(lt.__file__).parent

# ------------------------------------------------------------------------ the edits
# name -> list of (old, new): each old must occur exactly once in the module's source

_SOA_HELPER = '''

# (ablation) normal_lanes.py's draw loop, found on sys.path (ablations.py puts benchmarks/ first)
from normal_lanes import ziggurat_lanes as _ziggurat_lanes  # noqa: E402


def _lmc_group('''

_SOA_STEP_OLD = '''            if not rows:
                grad_point(x, params, g)  # noqa: F821 (bound by specialise)
            ok = True
            for j in range(dim):
                # lmc_step: piece's fast-mode noise, then advance with a zero correction
                # (the "+ 0.0" keeps its arithmetic exactly, signed zeros included)
                z0 = _rng.stream_normal(xs, 0)
'''
_SOA_STEP_NEW = '''            if not rows:
                grad_point(x, params, g)  # noqa: F821 (bound by specialise)
            ok = True
            for j in range(dim):
                z0 = ZZ[j, b]
'''
_SOA_DRAW_OLD = '''        if rows:
            grad_rows(X, params, G)  # noqa: F821 (bound by specialise)
        for b in range(ng):
            if not alive[b]:
                continue
'''
_SOA_DRAW_NEW = '''        if rows:
            grad_rows(X, params, G)  # noqa: F821 (bound by specialise)
        for j in range(dim):
            _ziggurat_lanes(XS[0], XS[1], XS[2], XS[3], ZZ[j], RR, TT, True)
        for b in range(ng):
            if not alive[b]:
                continue
'''

_FLAT_MIDPOINTS = '''@jit(inline="always")
def _option2_midpoints_od(ng, K, dim, m_unit, h_sub, hs, X, G0, M, SL, ZR, ZE, XM, NT):
    """(ablation) _option2_midpoints for overdamped dynamics on flat (1-D) views of the
    arrays, so that the loop's accesses have a constant stride."""
    n = X.shape[0] * dim
    Xf = X.reshape(n)
    Gf = G0.reshape(n)
    Mf = M.reshape(n)
    Rf = ZR.reshape(n)
    Ef = ZE.reshape(n)
    XMf = XM.reshape(n)
    for b in range(ng):
        i = SL[b]
        g0 = i * hs
        c00 = NT[i, 0]
        d00 = NT[K - i, 0]
        for j in range(dim):
            q = b * dim + j
            m = 0.0 + c00 * Rf[q] if i > 0 else 0.0
            XMf[q] = Xf[q] - g0 * Gf[q] + m
            Mf[q] = m + d00 * Ef[q]


@jit(inline="always")
def _option2_corrections('''

_OPTION2_CALL_OLD = """            _option2_midpoints(ng, K, dim, s, h, m_unit, h_sub, hs, gamma, X, V, G0, M, FT,
                               NT, SL, ZR, ZE, XM, cf0, cf1)
"""
_OPTION2_CALL_NEW = """            if s == 1:
                _option2_midpoints_od(ng, K, dim, m_unit, h_sub, hs, X, G0, M, SL, ZR, ZE, XM,
                                      NT)
                for b in range(ng):
                    cf0[b] = h
                    cf1[b] = 0.0
            else:
                _option2_midpoints(ng, K, dim, s, h, m_unit, h_sub, hs, gamma, X, V, G0, M,
                                   FT, NT, SL, ZR, ZE, XM, cf0, cf1)
"""

_CHEAP_GAPS = '''

@jit(inline="always")
def _geometric_gap(xs, gap_scale):
    """(ablation) a gap with the geometric law's mean, from one uniform."""
    return int(_rng.stream_uniform(xs, 4) * (2.0 * gap_scale))

'''

EDITS = {
    "lmc": {
        "no-draws": [("                z0 = _rng.stream_normal(xs, 0)\n",
                      "                z0 = 0.0\n")],
        # the overdamped loop only (s == 1: one normal per component); 16-chain groups (the
        # mixture's many-rows gradient)
        "soa-draws": [
            ("\n\ndef _lmc_group(", _SOA_HELPER),
            ("               evals, diverged, X, V, G, XS, alive):\n",
             "               evals, diverged, X, V, G, XS, alive, ZZ, RR, TT):\n"),
            (_SOA_DRAW_OLD, _SOA_DRAW_NEW),
            (_SOA_STEP_OLD, _SOA_STEP_NEW),
            ("        XS = np.zeros((group, 8), np.uint64)\n",
             "        XS = np.zeros((4, group), np.uint64)\n"
             "        ZZ = np.zeros((dim, group))\n"
             "        RR = np.zeros(group, np.uint64)\n"
             "        TT = np.zeros(4, np.uint64)\n"),
            ("                _rng.stream_seed(XS[b], 0, rk0, rk1, c, _rng.TAG_NOISE)\n",
             "                _rng.stream_seed(TT, 0, rk0, rk1, c, _rng.TAG_NOISE)\n"
             "                for k in range(4):\n"
             "                    XS[k, b] = TT[k]\n"),
            ("                      out_pos, out_vel, evals, diverged, X, V, G, XS, alive)\n",
             "                      out_pos, out_vel, evals, diverged, X, V, G, XS, alive, ZZ, RR,"
             " TT)\n"),
        ],
    },
    "plmc": {
        "flat-midpoints": [
            ('@jit(inline="always")\ndef _option2_corrections(', _FLAT_MIDPOINTS),
            (_OPTION2_CALL_OLD, _OPTION2_CALL_NEW)],
        # the noise factors computed (the table's very expression) instead of read by slot
        "computed-factors": [("        c00 = NT[i, 0]\n        d00 = NT[K - i, 0]\n",
                              "        c00 = math.sqrt(2.0 * ((i * m_unit) * h_sub))\n"
                              "        d00 = math.sqrt(2.0 * (((K - i) * m_unit) * h_sub))\n")],
        # OPTION 1's gaps from one uniform (U(0, 2 / lambda): the geometric law's mean, not
        # its law) instead of an exponential ziggurat draw: what the selection's draw costs
        "cheap-gaps": [("\n#: chains per lockstep group",
                        _CHEAP_GAPS + "\n#: chains per lockstep group")],
    },
    "tree": {
        "no-philox": [("        w = _rng.philox4x32(c[0], c[1], c[2], c[3] | comp, k0, k1)\n",
                       "        m = (c[0] * np.uint64(0x9E3779B97F4A7C15)) ^ k0\n"
                       "        w = (m & np.uint64(0xFFFFFFFF), m >> np.uint64(32),\n"
                       "             (m * np.uint64(3)) & np.uint64(0xFFFFFFFF), c[2])\n")],
        "no-ziggurat": [("""                za, zb = _descent_pair(w0, w1, w2, w3, i, q, kk, block, chain, ucomp, k0, k1,
                                       nl)
""", """                za = float(w0[i]) * 1e-9
                zb = float(w1[i]) * 1e-9
""")],
        "no-chain": [("""                ym = yl + t2 * (yh - yl) + t3 * za
                wm = wl + t2 * (wh - wl) + t3 * zb
""", """                ym = t2 + t3 * za
                wm = t2 + t3 * zb
"""), ("""                yl, yh = g * ym + (1.0 - g) * yl, g * yh + (1.0 - g) * ym
                wl, wh = g * wm + (1.0 - g) * wl, g * wh + (1.0 - g) * wm
""", """                yl, yh = ym, ym + g
                wl, wh = wm, wm + g
""")],
        "no-table": [("""                t2 = tab[kk, 2, 0, 0]
                t3 = tab[kk, 3, 0, 0]
""", """                t2 = 0.5
                t3 = 0.1
""")],
        "no-words": [("""    for i in range(n_vec):
        # (surplus levels i >= nlev name some valid node: max keeps the shift defined)
""", """    for i in range(0):
""")],
        "no-stores": [("""                ylo[kk - 1, jj, 0] = wl
                yhi[kk - 1, jj, 0] = wh
                ylo[kk - 1, j, 0] = yl
                yhi[kk - 1, j, 0] = yh
""", "")],
    },
}

#: the variants timed, in order: name -> (edits applied, in order; same numbers as the package?)
VARIANTS = {
    "lmc": {"no-draws": (["no-draws"], False), "soa-draws": (["soa-draws"], True)},
    "plmc": {"flat-midpoints": (["flat-midpoints"], True),
             "+computed-factors": (["flat-midpoints", "computed-factors"], True),
             "cheap-gaps": (["cheap-gaps"], False)},
    "tree": {
        "no-philox": (["no-philox"], False),
        "+no-ziggurat": (["no-philox", "no-ziggurat"], False),
        "+no-chain": (["no-philox", "no-ziggurat", "no-chain"], False),
        "+no-table": (["no-philox", "no-ziggurat", "no-chain", "no-table"], False),
        "+no-stores": (["no-philox", "no-ziggurat", "no-chain", "no-table", "no-stores"], False),
        "+no-words": (["no-philox", "no-ziggurat", "no-chain", "no-table", "no-stores",
                       "no-words"], False),
    },
}

MODULES = {"lmc": "_driver_lmc", "plmc": "_driver_plmc", "tree": "brownian"}
#: the option (K = 10) each ``plmc`` variant is timed with
PLMC_OPTION = {"flat-midpoints": 2, "+computed-factors": 2, "cheap-gaps": 1}


def edited_source(loop, names):
    """The source of ``loop``'s module with the edits ``names`` applied in order; raises
    ``ValueError`` if an edit's text does not occur exactly once."""
    src = (PKG / f"{MODULES[loop]}.py").read_text()
    for name in names:
        for old, new in EDITS[loop][name]:
            n = src.count(old)
            if n != 1:
                raise ValueError(f"edit {name!r} of {MODULES[loop]}.py: its text occurs {n} "
                                 f"times (expected once): {old.strip()[:60]!r}...")
            src = src.replace(old, new)
    return src


def load_edited(loop, names, k, folder):
    """The edited module as ``langevin_theory._ablation_<k>`` (relative imports resolve), its
    kernels uncached: a variant must never share or overwrite the package's cache entries."""
    path = os.path.join(folder, f"_ablation_{k}.py")
    with open(path, "w") as f:
        f.write(edited_source(loop, names))
    return plmc_driver_variants.load_variant(path, k, "_ablation")


# ------------------------------------------------------------------------ the timers
def lmc_runner(mod, target, n, steps):
    """Overdamped LMC fast mode of ``mod``'s lockstep loop, as ``simulate`` calls it."""
    drv = mod.get_lmc_driver(target, 1)
    rec = np.array([steps])
    out_pos = np.empty((1, n, target.dim))
    evals, diverged = np.zeros(n, np.int64), np.zeros(n, np.int64)
    x0 = np.zeros((n, target.dim))
    h = 0.05

    def run():
        drv(x0, x0, False, steps, h, h, 1.0, target.params, rec, out_pos, np.empty((0, 0, 0)),
            evals, diverged, np.uint64(1), np.uint64(2), np.uint64(1), np.uint64(2),
            np.int64(0), np.int64(n))
        return out_pos[0].copy()
    return run


def plmc_runner(mod, target, n, steps, option):
    """Overdamped PLMC, K = 10, fast mode, of ``mod``'s lockstep loop
    (``plmc_driver_variants.runner``: as ``simulate`` calls it)."""
    return plmc_driver_variants.runner(mod, target, n, steps, 10, option)


def tree_runner(mod, steps, passes):
    path, tab, qs = tree_descent.setup(steps)
    replay = tree_descent.make_replay(mod)
    k0, k1 = np.uint64(path.key[0]), np.uint64(path.key[1])
    values = np.zeros(qs.size)

    def run():
        replay(qs, 3, k0, k1, tab, path.levels, passes, values)
        return values.copy()
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("loop", choices=sorted(EDITS))
    ap.add_argument("--list", action="store_true", help="print the variants' edits and stop")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--chains", type=int, default=4000, help="lmc, plmc: chains")
    ap.add_argument("--steps", type=int, default=None,
                    help="steps (default: lmc and plmc 500, tree 1000)")
    ap.add_argument("--passes", type=int, default=10, help="tree: replays of the queries")
    args = ap.parse_args(argv)
    for name in ("repeat", "chains", "passes"):
        if getattr(args, name) < 1:
            ap.error(f"--{name} must be >= 1")
    if args.steps is not None and args.steps < 1:
        ap.error("--steps must be >= 1")
    variants = VARIANTS[args.loop]
    for name, (edits, _) in variants.items():
        edited_source(args.loop, edits)  # every edit applies, before any compiling
    if args.list:
        for name, (edits, same) in variants.items():
            print(f"{name}: {' + '.join(edits)}{'  (same bits)' if same else ''}")
        return None
    numba.set_num_threads(1)
    steps = args.steps or (1000 if args.loop == "tree" else 500)
    n = args.chains
    mix = benchmark_mixture()
    # per loop: the baseline (name, what the ratios are against, its runner; None: the
    # package), the work unit of the timings, the options the package is timed with (PLMC's;
    # None elsewhere) and a runner of a module at an option
    if args.loop == "lmc":
        baseline = ("gradient-only loop", "gradient-only", lambda: np.array(
            [_grad_only(np.zeros((n, 2)), steps, 0.05, mix.params)]))
        unit, options = n * steps, (None,)

        def run(mod, opt):
            return lmc_runner(mod, mix, n, steps)
    elif args.loop == "plmc":
        kw = dict(step_size=0.05, n_steps=steps, n_chains=n, rng=0, x0=np.zeros((n, 2)),
                  n_threads=1)
        baseline = ("LMC (package)", "LMC",
                    lambda: lt.simulate(mix, lt.schemes.LMC(), **kw).positions)
        unit, options = n * steps, (1, 2)

        def run(mod, opt):
            return plmc_runner(mod, mix, n, steps, opt)
    else:
        baseline, unit, options = None, steps * args.passes, (None,)

        def run(mod, opt):
            return tree_runner(mod, steps, args.passes)

    def label(name, opt):
        return name if opt is None else f"{name} OPTION {opt}"

    fns = {baseline[0]: baseline[2]} if baseline else {}
    same_bits, reference = {}, {}  # reference: whose output a variant's must equal
    with tempfile.TemporaryDirectory() as folder:
        package = load_edited(args.loop, [], 0, folder)
        for opt in options:
            fns[label("package", opt)] = run(package, opt)
        for k, (name, (edits, same)) in enumerate(variants.items(), 1):
            opt = PLMC_OPTION.get(name)
            fns[label(name, opt)] = run(load_edited(args.loop, edits, k, folder), opt)
            same_bits[label(name, opt)] = same
            reference[label(name, opt)] = label("package", opt)
        outs = {name: f() for name, f in fns.items()}  # compile, untimed
    best = best_times(fns, args.repeat)
    ref, what = (best[baseline[0]], baseline[1]) if baseline else (best["package"], "package")
    for name, t in best.items():
        note = ""
        if name in same_bits:
            equal = np.array_equal(outs[name], outs[reference[name]])
            note = ("same bits as the package" if equal else "DIFFERS from the package") \
                if same_bits[name] else "(wrong numbers: an ablation)"
        print(f"{name:28s} {t / unit * 1e9:8.2f} ns  / {what} {t / ref:6.3f}  {note}")
    return {name: t / unit * 1e9 for name, t in best.items()}


if __name__ == "__main__":
    main()
