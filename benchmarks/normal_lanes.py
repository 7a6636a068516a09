"""Could the noise of a step be drawn for many chains at once? Four ways to draw normals, timed.

Usage::

    python benchmarks/normal_lanes.py [--repeat 5] [--steps 1000000]

Why this exists. Stop 17 left two performance goals of the core issue missed because of the
cost of drawing normals, not of the gradients:

* LMC on the 2-D mixture runs its gradient vectorised across a lockstep group of 16 chains
  (~12 ns a chain), and its two normals per step (~2.5 ns each, one chain at a time, from
  each chain's xoshiro256** stream through the ziggurat) are most of the rest;
* the Brownian tree's descent turns ~10 Philox blocks per query into normals with the same
  ziggurat, one level at a time.

This script measures, in ns per normal, single thread, best of ``--repeat`` rounds taken
round-robin:

``stream, one lane at a time``
    what the package does: ``_rng.stream_normal`` on each of 16 chains' states in turn;
``ziggurat across 16 lanes``
    the 16 states held as a structure of arrays on the stack, so that LLVM vectorises
    xoshiro256** and the ziggurat's fast path (the layer's width and threshold by gathers)
    across the lanes; a lane whose draw is rejected (~1.5 %) is then redone by the package's
    own slow path on that lane alone, so the numbers are *bit for bit* the first variant's
    (checked by :func:`check`, which every run does first);
``ziggurat across 16 lanes, no fix-ups``
    the same without redoing the rejected lanes: wrong numbers, the floor of the approach;
``Box-Muller across 16 lanes``
    no rejection at all: one 64-bit word gives the radius sqrt(-2 ln u) (u on the 2^-52
    grid's midpoints, never 0 or 1), another the angle (an octant from 3 bits, the angle in
    it from 53), with the log, sine and cosine kernels of fdlibm (musl) written out so that
    LLVM vectorises them; a different sequence of normals, with the same law (moments checked);
``a descent's 10 levels: ziggurat`` / ``...: Box-Muller``
    the Brownian tree's case: 10 Philox blocks (as ``brownian._descent_words`` computes
    them) turned into 20 normals, by the package's ziggurat level by level, or by Box-Muller
    in a loop that LLVM vectorises over the levels.

What it showed (stop 18, AMD EPYC Zen 4 with AVX-512; two runs of the default, ns per
normal; the vectorised loops were checked in the assembly: zmm registers, gathers for the
ziggurat, ``vsqrtpd`` for Box-Muller):

* stream, one lane at a time 2.34-2.37; ziggurat across 16 lanes 2.39-2.47: the fast path
  alone runs at 1.49-1.51, but a round of 16 lanes has a rejected lane ~21 % of the time
  (1 - 0.985^16), and redoing that lane costs all of the gain;
* Box-Muller across 16 lanes 1.62-1.78: no branch, but a division, a square root and three
  polynomials per pair;
* a descent's 10 levels: the ziggurat on Philox words 1.71-1.81, Box-Muller 2.90 (one 8-wide
  vector and a scalar remainder; 6.9-7.2 when the loop stayed scalar). In the package, with
  Box-Muller in the descent (then ``brownian._park_descent_normals``), the coupled PLMC step
  at K = 1024 went from 307-324 to 324-348 ns (``ab_compare.py``, 3 rounds; 423-428 with the
  loop scalar). Stop 19 made the ziggurat in the descent cheaper still: its fast path inside
  the bridge's loop, one branch per pair (``brownian.tree_value``).

So neither way brings LMC on the mixture within 1.3x of its gradient-only loop: the gradient
takes ~12 ns a chain, and the two normals would have to cost ~0.8 ns each with the update as
it is; at 1.6 ns (Box-Muller) the step would be ~17 ns, 1.43x. Nothing of this was adopted.
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
from llvmlite import ir
from numba.core import types as nbtypes
from numba.extending import intrinsic

from langevin_theory import _rng
from langevin_theory._jit import (hot, int64_bits_to_float64, jit, stack_array,
                                  stack_array_uint64)

LANES = 16
U64 = np.uint64


# --------------------------------------------------------------------------- helpers
@intrinsic
def _float64_bits(typingctx, x):
    """The int64 bit pattern of a float64 (the inverse of ``_jit.int64_bits_to_float64``)."""
    if not isinstance(x, nbtypes.Float) or x.bitwidth != 64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return nbtypes.int64(x), codegen


@jit(inline="always")
def _xoshiro_lane(s0, s1, s2, s3, b):
    """``_rng.xoshiro_next`` on lane b of a structure-of-arrays state."""
    r, s0[b], s1[b], s2[b], s3[b] = _rng.xoshiro_step(s0[b], s1[b], s2[b], s3[b])
    return r


@jit(inline="always")
def _lanes_from(S, s0, s1, s2, s3):
    """Copy the (4, LANES) states S into the four stack rows."""
    for b in range(LANES):
        s0[b] = S[0, b]
        s1[b] = S[1, b]
        s2[b] = S[2, b]
        s3[b] = S[3, b]


@jit(inline="always")
def _lanes_to(S, s0, s1, s2, s3):
    """Copy the four stack rows back into the (4, LANES) states S."""
    for b in range(LANES):
        S[0, b] = s0[b]
        S[1, b] = s1[b]
        S[2, b] = s2[b]
        S[3, b] = s3[b]


# --------------------------------------------------------------------------- Box-Muller
# fdlibm's (musl's) log and its sin / cos kernels on [-pi/4, pi/4], each < 1 ulp there
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LG = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
       2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
       1.479819860511658591e-01)
_LG1, _LG2, _LG3, _LG4, _LG5, _LG6, _LG7 = _LG
_S1, _S2, _S3, _S4, _S5, _S6 = (-1.66666666666666324348e-01, 8.33333333332248946124e-03,
                                -1.98412698298579493134e-04, 2.75573137070700676789e-06,
                                -2.50507602534068634195e-08, 1.58969099521155010221e-10)
_C1, _C2, _C3, _C4, _C5, _C6 = (4.16666666666666019037e-02, -1.38888888888741095749e-03,
                                2.48015872894767294178e-05, -2.75573143513906633035e-07,
                                2.08757232129817482790e-09, -1.13596475577881948265e-11)
_MANT = np.int64((1 << 52) - 1)
_LOG_SHIFT = np.int64(0x3FF0000000000000 - 0x3FE6A09E00000000)
_LOG_BASE = np.int64(0x3FE6A09E00000000)
_TWO_M53 = 2.0 ** -53
_PI4 = math.pi / 4


@jit(inline="always")
def log_positive(x):
    """ln x for a positive normal double: musl's log without its branches for 0, inf, NaN and
    subnormals (x = 2^k (1 + f), sqrt(2)/2 <= 1 + f < sqrt(2); ln(1 + f) from s = f / (2 + f))."""
    ix = _float64_bits(x) + _LOG_SHIFT
    k = (ix >> 52) - 0x3FF
    f = int64_bits_to_float64((ix & _MANT) + _LOG_BASE) - 1.0
    hfsq = 0.5 * f * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (_LG2 + w * (_LG4 + w * _LG6))
    t2 = z * (_LG1 + w * (_LG3 + w * (_LG5 + w * _LG7)))
    dk = float(k)
    return s * (hfsq + (t2 + t1)) + dk * _LN2_LO - hfsq + f + dk * _LN2_HI


@jit(inline="always")
def sin_octant(x):
    """sin x for |x| <= pi/4 (fdlibm's __kernel_sin with no tail)."""
    z = x * x
    v = z * x
    r = _S2 + z * (_S3 + z * (_S4 + z * (_S5 + z * _S6)))
    return x + v * (_S1 + z * r)


@jit(inline="always")
def cos_octant(x):
    """cos x for |x| <= pi/4 (fdlibm's __kernel_cos with no tail)."""
    z = x * x
    w = z * z
    r = z * (_C1 + z * (_C2 + z * _C3)) + w * w * (_C4 + z * (_C5 + z * _C6))
    hz = 0.5 * z
    w = 1.0 - hz
    return w + (((1.0 - w) - hz) + z * r)


@jit(inline="always")
def box_muller(r1, r2):
    """Two independent N(0, 1) from two 64-bit words.

    Radius: u = (2 (r1 >> 12) + 1) 2^-53, the midpoints of the 2^-52 grid (exact, never 0 or 1),
    rho = sqrt(-2 ln u). Angle: phi = (r2 >> 11) 2^-53 pi/4 uniform in the first octant, carried
    to a uniform octant by the symmetries of the square (bit 0 of r2 swaps cos and sin, bits 1
    and 2 flip their signs: the 8 images of [0, pi/4) tile the circle once).
    """
    u = float(np.int64(((r1 >> U64(12)) << U64(1)) | U64(1))) * _TWO_M53
    rho = math.sqrt(-2.0 * log_positive(u))
    phi = float(np.int64(r2 >> U64(11))) * _TWO_M53 * _PI4
    c = cos_octant(phi)
    s = sin_octant(phi)
    swap = (r2 & U64(1)) != U64(0)
    a = s if swap else c
    b = c if swap else s
    a = -a if (r2 & U64(2)) != U64(0) else a
    b = -b if (r2 & U64(4)) != U64(0) else b
    return rho * a, rho * b


# --------------------------------------------------------------------------- 16 lanes
@hot
def lanes_stream(XS, n, out):
    """The package's way: each lane's normal from its own stream, one lane after the other."""
    for i in range(n):
        row = i % out.shape[0]
        for b in range(LANES):
            out[row, b] += _rng.stream_normal(XS[b], 0)


@jit(inline="always")
def ziggurat_lanes(s0, s1, s2, s3, z, word, one, fix_ups):
    """One normal for each of ``LANES`` lanes into z: the ziggurat's fast paths in one
    vectorised loop over a structure-of-arrays state (s0..s3, a lane each); with ``fix_ups``,
    rejected lanes redone by the package's slow path from the same stream (bit for bit
    ``_rng.stream_normal`` lane by lane). ``word`` (LANES) and ``one`` (4) are scratch.
    Also the draw loop that ``ablations.py``'s ``soa-draws`` puts into the LMC loop."""
    bad = 0
    for b in range(LANES):
        r = _xoshiro_lane(s0, s1, s2, s3, b)
        x, idx, ok = _rng._zig_layer(r)
        z[b] = x
        word[b] = r
        bad += 0 if ok else 1
    if fix_ups and bad:
        for b in range(LANES):
            x, idx, ok = _rng._zig_layer(word[b])
            if not ok:
                one[0] = s0[b]
                one[1] = s1[b]
                one[2] = s2[b]
                one[3] = s3[b]
                z[b] = _rng._stream_normal_slow(one, 0, x, idx)
                s0[b] = one[0]
                s1[b] = one[1]
                s2[b] = one[2]
                s3[b] = one[3]


@hot
def lanes_ziggurat(S, n, out, fix_ups):
    """16 lanes' ziggurat fast paths in one vectorised loop over a stack structure-of-arrays
    state; with ``fix_ups``, rejected lanes redone by the package's slow path (bit for bit
    :func:`lanes_stream`)."""
    s0 = stack_array_uint64(16)
    s1 = stack_array_uint64(16)
    s2 = stack_array_uint64(16)
    s3 = stack_array_uint64(16)
    word = stack_array_uint64(16)
    z = stack_array(16)
    one = stack_array_uint64(4)
    _lanes_from(S, s0, s1, s2, s3)
    for i in range(n):
        ziggurat_lanes(s0, s1, s2, s3, z, word, one, fix_ups)
        row = i % out.shape[0]
        for b in range(LANES):
            out[row, b] += z[b]
    _lanes_to(S, s0, s1, s2, s3)


@hot
def lanes_box_muller(S, n, out):
    """Two normals per lane and round by Box-Muller, vectorised across the 16 lanes."""
    s0 = stack_array_uint64(16)
    s1 = stack_array_uint64(16)
    s2 = stack_array_uint64(16)
    s3 = stack_array_uint64(16)
    _lanes_from(S, s0, s1, s2, s3)
    for i in range(n):
        row = i % out.shape[0]
        for b in range(LANES):
            r1 = _xoshiro_lane(s0, s1, s2, s3, b)
            r2 = _xoshiro_lane(s0, s1, s2, s3, b)
            z0, z1 = box_muller(r1, r2)
            out[row, 2 * b] += z0
            out[row, 2 * b + 1] += z1
    _lanes_to(S, s0, s1, s2, s3)


# --------------------------------------------------------------------------- a descent
@hot
def descent_words(n, nlev, k0, k1, W):
    """Philox blocks of ``nlev`` levels for n queries into W (n, 4, nlev): per query one row
    per output word, as the tree lays them out."""
    for i in range(n):
        for lv in range(nlev):
            c = _rng.counter_words(i * nlev + lv, 0, 0, _rng.TAG_PATH)
            w = _rng.philox4x32(c[0], c[1], c[2], c[3], k0, k1)
            for a in range(4):
                W[i, a, lv] = w[a]


@hot
def descent_ziggurat(W, k0, k1, out):
    """The package's ziggurat on each level's words (its rejections redraw from the counter)."""
    nlev = W.shape[2]
    for i in range(W.shape[0]):
        for lv in range(nlev):
            c = _rng.counter_words(i * nlev + lv, 0, 0, _rng.TAG_PATH)
            z = _rng.normals_from_words(W[i, 0, lv], W[i, 1, lv], W[i, 2, lv], W[i, 3, lv],
                                        c[0], c[1], c[2], c[3], k0, k1)
            out[lv, 0] += z[0]
            out[lv, 1] += z[1]


@hot
def descent_box_muller(W, out):
    """Box-Muller on each level's words, the loop over levels left to LLVM to vectorise."""
    nlev = min(W.shape[2], 32)
    z0 = stack_array(32)
    z1 = stack_array(32)
    for i in range(W.shape[0]):
        w0 = W[i, 0]
        w1 = W[i, 1]
        w2 = W[i, 2]
        w3 = W[i, 3]
        for lv in range(nlev):
            z = box_muller((w0[lv] << U64(32)) | w1[lv], (w2[lv] << U64(32)) | w3[lv])
            z0[lv] = z[0]
            z1[lv] = z[1]
        for lv in range(nlev):
            out[lv, 0] += z0[lv]
            out[lv, 1] += z1[lv]


# --------------------------------------------------------------------------- driver
@jit
def _seed_states(n, k0, k1):
    XS = np.zeros((n, 8), np.uint64)
    for c in range(n):
        _rng.stream_seed(XS[c], 0, k0, k1, c, _rng.TAG_NOISE)
    return XS


def check(n=20_000):
    """The fix-up variant reproduces the package's stream normals bit for bit; Box-Muller's
    normals have the moments of N(0, 1) within 4 standard errors. Returns a short report."""
    XS = _seed_states(LANES, U64(1), U64(2))
    S = np.ascontiguousarray(XS[:, :4].T)
    a = np.zeros((n, LANES))
    b = np.zeros((n, LANES))
    lanes_stream(XS.copy(), n, a)
    lanes_ziggurat(S.copy(), n, b, True)
    if not np.array_equal(a, b):
        raise AssertionError("the vectorised ziggurat with fix-ups is not bit for bit the stream")
    z = np.zeros((n, 2 * LANES))
    lanes_box_muller(S.copy(), n, z)
    z = z.ravel()
    m = z.size
    moments = {"mean": (z.mean(), 1 / math.sqrt(m)), "var - 1": (z.var() - 1, math.sqrt(2 / m)),
               "P(|z| > 3) - p": (np.mean(np.abs(z) > 3) - 0.0026997960632601866,
                                   math.sqrt(0.0027 / m))}
    for name, (val, se) in moments.items():
        if abs(val) > 4 * se:
            raise AssertionError(f"Box-Muller {name} = {val:.3g}, more than 4 SE ({se:.2g})")
    return (f"fix-up ziggurat == stream ziggurat on {n} x {LANES} draws; Box-Muller moments "
            "within 4 SE on " + f"{m} normals")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--steps", type=int, default=1_000_000, help="16-lane rounds per timing")
    args = ap.parse_args(argv)
    print(check())
    n = args.steps
    XS = _seed_states(LANES, U64(3), U64(4))
    S = np.ascontiguousarray(XS[:, :4].T)
    out = np.zeros((7, 2 * LANES))
    n_desc = max(1, n // 10)
    W = np.zeros((n_desc, 4, 10), np.uint64)
    descent_words(n_desc, 10, U64(5), U64(6), W)
    out_d = np.zeros((10, 2))
    runs = {
        "stream, one lane at a time": (lambda m: lanes_stream(XS, m, out), LANES),
        "ziggurat across 16 lanes": (lambda m: lanes_ziggurat(S, m, out, True), LANES),
        "ziggurat across 16 lanes, no fix-ups (wrong numbers)":
            (lambda m: lanes_ziggurat(S, m, out, False), LANES),
        "Box-Muller across 16 lanes": (lambda m: lanes_box_muller(S, m, out), 2 * LANES),
    }
    for fn, _ in runs.values():
        fn(10)  # compile
    descent_ziggurat(W[:1], U64(5), U64(6), out_d)
    descent_box_muller(W[:1], out_d)
    best = dict.fromkeys(list(runs) + ["descent ziggurat", "descent Box-Muller"], math.inf)
    for _ in range(args.repeat):
        for name, (fn, per) in runs.items():
            t = time.perf_counter()
            fn(n)
            best[name] = min(best[name], (time.perf_counter() - t) / (n * per) * 1e9)
        t = time.perf_counter()
        descent_ziggurat(W, U64(5), U64(6), out_d)
        best["descent ziggurat"] = min(best["descent ziggurat"],
                                       (time.perf_counter() - t) / (n_desc * 20) * 1e9)
        t = time.perf_counter()
        descent_box_muller(W, out_d)
        best["descent Box-Muller"] = min(best["descent Box-Muller"],
                                         (time.perf_counter() - t) / (n_desc * 20) * 1e9)
    print(f"ns per normal, one thread, best of {args.repeat} (round-robin):")
    labels = {"descent ziggurat": "a descent's 10 levels: ziggurat on Philox words",
              "descent Box-Muller": "a descent's 10 levels: Box-Muller on Philox words"}
    for name, t in best.items():
        print(f"  {labels.get(name, name):60s} {t:6.2f}")


if __name__ == "__main__":
    main()
