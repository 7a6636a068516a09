"""Counter-based random numbers inside numba kernels.

Randomness in this package is a *function*, not a stream: every Gaussian used by a simulation is
``normal(key, counter)`` for a 128-bit counter that names what the number is for (which chain,
which node of the Brownian tree or which step, which component). Results are therefore
bit-identical whatever the number of threads, the order in which chains run, or how a run is
chunked, and two simulations can share exactly the same Brownian motion without storing it.

Generator
---------
Philox4x32-10 (Salmon, Moraes, Dror & Shaw, "Parallel random numbers: as easy as 1, 2, 3",
SC 2011): a 128-bit counter and a 64-bit key map to 128 random bits through 10 rounds of
multiply-xor. The implementation reproduces the Random123 known-answer vectors (tests).

Normals
-------
Each 64 random bits give one standard normal by the 256-layer ziggurat of Marsaglia & Tsang
(2000) with 53-bit signed abscissas: bits 0-7 pick the layer and bits 11-63, read as a signed
integer, give the signed abscissa (no branch on a sign bit), accepted at once 98.5 % of the
time (the mean over the layers of (2 ki - 1) / 2^53; layer 1, the top one, always takes the
slow path, as in Marsaglia & Tsang's tables; tested). A rejection or a tail draw takes fresh
bits from the *same* counter with a nonzero ``attempt`` field, so the draw stays a
deterministic function of (key, counter).

The fast (uncoupled) mode draws from per-chain xoshiro256** streams seeded by Philox (see
"per-chain streams" below): same determinism, a fraction of the cost (no Philox rounds per
draw; see ``benchmarks/bench_core.py``).

Counter layout (four uint32 words)
----------------------------------
``c0, c1``: a 64-bit index (a tree node or a draw number); ``c2``: the chain; ``c3``: bits 0-19
the component (or pair of components), bits 20-23 a stream tag (0-7 direct draws, 8-15 the
seeding of per-chain streams), bits 24-31 the attempt number of a ziggurat rejection.
"""
from __future__ import annotations

import math

import numpy as np

from ._jit import hot, jit

__all__ = ["philox4x32", "normal_pair", "normals_from_words", "normals_fast_path", "uniform_pair",
           "seed_to_key", "stream_seed", "stream_normal", "stream_uniform", "stream_exponential",
           "standard_normals", "stream_normals", "stream_exponentials", "stream_draws", "TAG_PATH",
           "TAG_NOISE", "TAG_SELECT"]

M32 = np.uint64(0xFFFFFFFF)
_PHILOX_M0 = np.uint64(0xD2511F53)
_PHILOX_M1 = np.uint64(0xCD9E8D57)
_PHILOX_W0 = np.uint64(0x9E3779B9)
_PHILOX_W1 = np.uint64(0xBB67AE85)
_S32 = np.uint64(32)

#: stream tags (bits 20-23 of c3): which use a draw serves
TAG_PATH = 0      # nodes of the virtual Brownian tree
TAG_NOISE = 1     # fast (uncoupled) mode Gaussian increments
TAG_SELECT = 2    # midpoint selection (H_{t,i}, u_t), independent of the Gaussians
TAG_INIT = 3      # initial velocities of underdamped runs


@jit(inline="always")
def philox4x32(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of counter (c0..c3) under key (k0, k1); all arguments uint64 < 2**32.

    Returns the four output words as uint64 values < 2**32.
    """
    for _ in range(10):
        p0 = _PHILOX_M0 * c0
        p1 = _PHILOX_M1 * c2
        hi0 = p0 >> _S32
        lo0 = p0 & M32
        hi1 = p1 >> _S32
        lo1 = p1 & M32
        c0 = hi1 ^ c1 ^ k0
        c1 = lo1
        c2 = hi0 ^ c3 ^ k1
        c3 = lo0
        k0 = (k0 + _PHILOX_W0) & M32
        k1 = (k1 + _PHILOX_W1) & M32
    return c0, c1, c2, c3


# ------------------------------------------------------------------ ziggurat tables
def _ziggurat_tables():
    """Tables of the 256-layer ziggurat for N(0, 1) with 52-bit abscissas.

    r is the start of the tail and v the common area of the layers (Marsaglia & Tsang 2000,
    constants for 256 layers).
    """
    r = 3.6541528853610088
    v = 0.00492867323399
    m = 2.0 ** 52
    ki = np.zeros(256, np.uint64)
    wi = np.zeros(256)
    fi = np.zeros(256)
    dn = tn = r
    q = v / math.exp(-0.5 * dn * dn)
    ki[0] = np.uint64((dn / q) * m)
    ki[1] = 0
    wi[0] = q / m
    wi[255] = dn / m
    fi[0] = 1.0
    fi[255] = math.exp(-0.5 * dn * dn)
    for i in range(254, 0, -1):
        dn = math.sqrt(-2.0 * math.log(v / dn + math.exp(-0.5 * dn * dn)))
        ki[i + 1] = np.uint64((dn / tn) * m)
        tn = dn
        fi[i] = math.exp(-0.5 * dn * dn)
        wi[i] = dn / m
    return ki, wi, fi, r


_ZIG_K, _ZIG_W, _ZIG_F, _ZIG_R = _ziggurat_tables()


def _exp_ziggurat_tables():
    """Tables of the 256-layer ziggurat for Exp(1) with 53-bit abscissas.

    r is the start of the tail and v the common area of the layers (Marsaglia & Tsang 2000,
    the constants for 256 layers, as in NumPy's ``standard_exponential``). ``ki[i]`` is the
    acceptance threshold of layer i in units of 2**-53 of its width ``wi[i] * 2**53``, and
    ``fi[i] = exp(-x_i)`` at the layer's edge x_i.
    """
    r = 7.69711747013104972
    v = 0.0039496598225815571993
    m = 2.0 ** 53
    ki = np.zeros(256, np.int64)
    wi = np.zeros(256)
    fi = np.zeros(256)
    de = te = r
    q = v / math.exp(-de)
    ki[0] = np.int64((de / q) * m)
    ki[1] = 0
    wi[0] = q / m
    wi[255] = de / m
    fi[0] = 1.0
    fi[255] = math.exp(-de)
    for i in range(254, 0, -1):
        de = -math.log(v / de + math.exp(-de))
        ki[i + 1] = np.int64((de / te) * m)
        te = de
        fi[i] = math.exp(-de)
        wi[i] = de / m
    return ki, wi, fi, r


_EZIG_K, _EZIG_W, _EZIG_F, _EZIG_R = _exp_ziggurat_tables()
_ZIG_KS = _ZIG_K.astype(np.int64)
_ZIG_INV_R = 1.0 / _ZIG_R
_TWO_M53 = 1.0 / 9007199254740992.0


@jit(inline="always")
def _u53(hi, lo):
    """A double in (0, 1] from two 32-bit words: their top 53 bits k give (k + 1/2) 2^-53,
    rounded to double (see :func:`_u53_64`: never 0, and 1.0 when k = 2^53 - 1)."""
    return (float(((hi << _S32) | lo) >> np.uint64(11)) + 0.5) * _TWO_M53


@jit(inline="always")
def _zig_layer(r):
    """The ziggurat's fast path on 64 random bits: (signed x, layer, accepted at once).

    Bits 0-7 pick the layer; bits 11-63, read as a *signed* 53-bit integer (an arithmetic
    shift), are the signed abscissa in units of 2**-52 of the layer's width. The sign thus costs
    no branch: a branch on a random sign bit is mispredicted half the time, which took ~3.5 of
    the ~5 ns a draw cost with a separate sign bit.
    """
    idx = np.int64(r & np.uint64(0xFF))
    rs = np.int64(r) >> np.int64(11)
    # int64 -> double converts in one instruction (uint64 -> double does not)
    x = float(rs) * _ZIG_W[idx]
    return x, idx, abs(rs) < _ZIG_KS[idx]


@jit
def _ziggurat_slow(idx, x, c0, c1, c2, c3, k0, k1):
    """Rejection and tail branch of the ziggurat: fresh bits from attempts 1, 2, ..."""
    attempt = np.uint64(1)
    while True:
        w = philox4x32(c0, c1, c2, c3 | (attempt << np.uint64(24)), k0, k1)
        u1 = _u53(w[0], w[1])
        u2 = _u53(w[2], w[3])
        if idx == 0:
            # tail beyond r: Marsaglia's exponential method, with the sign of the layer draw
            xx = -_ZIG_INV_R * math.log(u1)
            yy = -math.log(u2)
            if yy + yy > xx * xx:
                return math.copysign(_ZIG_R + xx, x)
        else:
            if (_ZIG_F[idx - 1] - _ZIG_F[idx]) * u1 + _ZIG_F[idx] < math.exp(-0.5 * x * x):
                return x
            # rejected: a completely new ziggurat draw from the next attempt's bits
            x, idx, ok = _zig_layer((w[2] << _S32) | w[3])
            if ok:
                return x
        attempt += np.uint64(1)


@jit(inline="always")
def _ziggurat(hi, lo, c0, c1, c2, c3, k0, k1):
    x, idx, ok = _zig_layer((hi << _S32) | lo)
    if ok:
        return x
    return _ziggurat_slow(idx, x, c0, c1, c2, c3, k0, k1)


@jit(inline="always")
def normal_pair(c0, c1, c2, c3, k0, k1):
    """Two independent N(0, 1) draws, a deterministic function of (counter, key).

    Each takes 64 of the 128 Philox bits; the rare slow path uses attempt-tagged counters
    (separate for the two halves, so the second draw never depends on the first's path).
    """
    w = philox4x32(c0, c1, c2, c3, k0, k1)
    return normals_from_words(w[0], w[1], w[2], w[3], c0, c1, c2, c3, k0, k1)


@jit(inline="always")
def normals_from_words(w0, w1, w2, w3, c0, c1, c2, c3, k0, k1):
    """The two normals of :func:`normal_pair` from the Philox output words (w0..w3) of counter
    (c0..c3): for callers that compute many Philox blocks first, in a vectorised loop."""
    z0 = _ziggurat(w0, w1, c0, c1, c2, c3 | np.uint64(0x80000000), k0, k1)
    z1 = _ziggurat(w2, w3, c0, c1, c2, c3 | np.uint64(0x40000000), k0, k1)
    return z0, z1


@jit(inline="always")
def normals_fast_path(w0, w1, w2, w3):
    """The ziggurat's fast path of :func:`normals_from_words`: (z0, z1, ok). When ``ok`` (both
    draws accepted at once, 97.0 % of pairs) z0, z1 are the two normals; otherwise call
    :func:`normals_from_words`. For loops that keep the rare slow path out of the way."""
    z0, _, ok0 = _zig_layer((w0 << _S32) | w1)
    z1, _, ok1 = _zig_layer((w2 << _S32) | w3)
    return z0, z1, ok0 and ok1


@jit(inline="always")
def uniform_pair(c0, c1, c2, c3, k0, k1):
    """Two independent U(0, 1) draws (53-bit, never 0; 1.0 with probability 2^-53, see
    :func:`_u53_64`)."""
    w = philox4x32(c0, c1, c2, c3, k0, k1)
    return _u53(w[0], w[1]), _u53(w[2], w[3])


@jit(inline="always")
def counter_words(index, chain, comp, tag):
    """Pack (64-bit index, chain, component, tag) into Philox counter words."""
    i = np.uint64(index)
    return (i & M32, i >> _S32, np.uint64(chain) & M32,
            (np.uint64(comp) & np.uint64(0xFFFFF)) | (np.uint64(tag) << np.uint64(20)))


def seed_to_key(seed_seq: np.random.SeedSequence, purpose: int):
    """A 64-bit Philox key (two uint32 words) for one use of a seed.

    Keys come from ``SeedSequence.spawn``-style entropy mixing, so different purposes (the
    Brownian path, the selection of midpoints, the fast-mode noise) get unrelated keys.
    """
    child = np.random.SeedSequence(seed_seq.entropy,
                                   spawn_key=tuple(seed_seq.spawn_key) + (int(purpose),))
    w = child.generate_state(2, dtype=np.uint32)
    return np.uint64(w[0]), np.uint64(w[1])


# ------------------------------------------------------------------ per-chain streams
# The fast (uncoupled) mode consumes its randomness sequentially, one chain at a time, so it
# uses a per-chain xoshiro256** stream (Blackman & Vigna 2018; ~1 ns per 64 bits) whose state is
# *seeded counter-based*: 256 bits of Philox(key, (0..1, chain, tag)). Each chain's draws are
# thus a deterministic function of (seed, chain, tag, draw number), independent of threads and
# chunking, as in the Brownian tree; the period 2**256 - 1 makes overlaps between chains moot.

@jit(inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@jit(inline="always")
def xoshiro_step(s0, s1, s2, s3):
    """xoshiro256**'s next 64 bits and next state, from a state held in four values:
    (bits, s0, s1, s2, s3)."""
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    return result, s0, s1, s2, s3


@jit(inline="always")
def xoshiro_next(s, o):
    """Next 64 bits of the xoshiro256** state s[o:o+4].

    :func:`xoshiro_step`'s arithmetic, written out on the array rather than called through
    its tuple: that way a fast-mode normal took 2.76 ns instead of 2.63-2.64 (a scratch loop of
    ``stream_normal`` draws, stop 24) and the benchmark's per-chain normal 2.84 instead of
    2.70.
    """
    result = _rotl(s[o + 1] * np.uint64(5), 7) * np.uint64(9)
    t = s[o + 1] << np.uint64(17)
    s[o + 2] ^= s[o]
    s[o + 3] ^= s[o + 1]
    s[o + 1] ^= s[o + 2]
    s[o] ^= s[o + 3]
    s[o + 2] ^= t
    s[o + 3] = _rotl(s[o + 3], 45)
    return result


@hot
def stream_seed(s, o, k0, k1, chain, tag):
    """Seed the xoshiro256** state s[o:o+4] of (chain, tag) from two Philox blocks."""
    for half in range(2):
        # tags 8..15 are reserved for seeding streams: tag | 8 never meets a direct draw's tag
        c = counter_words(half, chain, 0, tag | 8)
        w = philox4x32(c[0], c[1], c[2], c[3], k0, k1)
        s[o + 2 * half] = (w[0] << _S32) | w[1]
        s[o + 2 * half + 1] = (w[2] << _S32) | w[3]
    if s[o] == 0 and s[o + 1] == 0 and s[o + 2] == 0 and s[o + 3] == 0:
        s[o] = np.uint64(1)  # the one forbidden state (probability 2**-256)


@jit(inline="always")
def _u53_64(r):
    """(k + 1/2) 2^-53 for the top 53 bits k of r, rounded to double: in (0, 1], never 0.

    Below 1/2 (k < 2^52) the value is exact. Above, k + 1/2 is not a double and rounds to
    its even neighbour, so u lies on the 2^-52 grid there (each point with probability
    2^-52, the end points 1/2 and 1 with half that): k = 2^53 - 1 gives exactly 1.0. Kept as
    it is because every fast-mode result is a function of these bits; ``-log(u)`` is then 0,
    and ``int(u * K)`` must be clamped to K - 1 (PLMC OPTION 2's and RLMC's midpoint
    indices are).
    """
    return (float(r >> np.uint64(11)) + 0.5) * _TWO_M53


@hot
def _stream_normal_slow(s, o, x, idx):
    """Wedge rejection and tail of the stream's ziggurat (about 1 draw in 100)."""
    while True:
        if idx == 0:
            # tail beyond r: Marsaglia's exponential method, with the sign of the layer draw
            while True:
                xx = -_ZIG_INV_R * math.log(_u53_64(xoshiro_next(s, o)))
                yy = -math.log(_u53_64(xoshiro_next(s, o)))
                if yy + yy > xx * xx:
                    return math.copysign(_ZIG_R + xx, x)
        elif (_ZIG_F[idx - 1] - _ZIG_F[idx]) * _u53_64(xoshiro_next(s, o)) + _ZIG_F[idx] \
                < math.exp(-0.5 * x * x):
            return x
        x, idx, ok = _zig_layer(xoshiro_next(s, o))
        if ok:
            return x


@hot
def stream_normal(s, o):
    """N(0, 1) from the stream s[o:o+4] by the same 256-layer ziggurat (tail: Marsaglia).

    The fast path is one 64-bit draw, accepted ~99 % of the time; rejections and the tail are
    a call. Compiled without reference counting (``_jit.hot``): ~2.5 ns a draw instead of ~13.
    """
    x, idx, ok = _zig_layer(xoshiro_next(s, o))
    if ok:
        return x
    return _stream_normal_slow(s, o, x, idx)


@jit(inline="always")
def stream_normal_held(s, o, s0, s1, s2, s3):
    """:func:`stream_normal` from the stream's state held in s0..s3 instead of s[o:o+4]:
    (z, s0, s1, s2, s3), the same numbers in the same order.

    For a loop that draws several normals from one stream in a row: it reads s[o:o+4] into
    four values once, draws, and writes them back once; only the rare slow path (about one
    draw in 70) goes through s[o:o+4] (written before, read after). Otherwise each draw's
    state would go through memory, on the dependency chain from one draw to the next, because
    the compiler cannot tell the stream's array from the arrays the draws are written to.
    Measured in the lockstep PLMC loop's OPTION 2 draws (four normals a chain-step on the
    2-D mixture; ``benchmarks/ab_compare.py --configs plmc2 --rounds 8``): 40.33-41.60 ->
    39.30-40.29 ns a step. In LMC's loop (two normals a chain-step) it gained nothing
    (stop 19 and stop 24), so LMC keeps :func:`stream_normal`.
    """
    r, s0, s1, s2, s3 = xoshiro_step(s0, s1, s2, s3)
    x, idx, ok = _zig_layer(r)
    if not ok:
        s[o] = s0
        s[o + 1] = s1
        s[o + 2] = s2
        s[o + 3] = s3
        x = _stream_normal_slow(s, o, x, idx)
        s0 = s[o]
        s1 = s[o + 1]
        s2 = s[o + 2]
        s3 = s[o + 3]
    return x, s0, s1, s2, s3


@jit(inline="always")
def _ezig_layer(r):
    """The exponential ziggurat's fast path on 64 random bits: (x, layer, accepted at once).

    Bits 0-7 pick the layer, bits 11-63 (53 bits) the abscissa in units of 2**-53 of the
    layer's width; held as int64 so that the conversion to double is one instruction.
    """
    idx = np.int64(r & np.uint64(0xFF))
    ri = np.int64(r >> np.uint64(11))
    return float(ri) * _EZIG_W[idx], idx, ri < _EZIG_K[idx]


@hot
def _stream_exponential_slow(s, o, x, idx):
    """Wedge rejection and tail of the exponential ziggurat (about 1 draw in 90)."""
    while True:
        if idx == 0:
            # beyond r the law is r + Exp(1) (memorylessness): one inversion, never log(0)
            return _EZIG_R - math.log(_u53_64(xoshiro_next(s, o)))
        if (_EZIG_F[idx - 1] - _EZIG_F[idx]) * _u53_64(xoshiro_next(s, o)) + _EZIG_F[idx] \
                < math.exp(-x):
            return x
        x, idx, ok = _ezig_layer(xoshiro_next(s, o))
        if ok:
            return x


@hot
def stream_exponential(s, o):
    """Exp(1) from the stream s[o:o+4] by the 256-layer exponential ziggurat.

    One 64-bit draw, accepted ~98.9 % of the time, a few ns instead of the ~17 ns of
    ``-log(U)``; PLMC OPTION 1 draws its geometric gaps from it.
    """
    x, idx, ok = _ezig_layer(xoshiro_next(s, o))
    if ok:
        return x
    return _stream_exponential_slow(s, o, x, idx)


@hot
def stream_uniform(s, o):
    """U(0, 1) from the stream s[o:o+4]: 53 bits, never 0, and 1.0 with probability 2^-53
    (see :func:`_u53_64`; the callers that turn u into an index clamp it)."""
    return _u53_64(xoshiro_next(s, o))


# ------------------------------------------------------------------ array front-ends
@jit
def _philox_block(counters, k0, k1):
    n = counters.shape[0]
    out = np.empty((n, 4), np.uint64)
    for i in range(n):
        w = philox4x32(counters[i, 0], counters[i, 1], counters[i, 2], counters[i, 3], k0, k1)
        out[i, 0] = w[0]
        out[i, 1] = w[1]
        out[i, 2] = w[2]
        out[i, 3] = w[3]
    return out


def philox_block(counters, key):
    """Philox4x32-10 of an (n, 4) array of uint32 counters under a (k0, k1) key (for tests)."""
    c = np.ascontiguousarray(np.asarray(counters, dtype=np.uint64).reshape(-1, 4))
    return _philox_block(c, np.uint64(key[0]), np.uint64(key[1]))


@jit
def _normals(n, chain, k0, k1, tag):
    out = np.empty(n)
    for i in range(0, n, 2):
        c = counter_words(i // 2, chain, 0, tag)
        z = normal_pair(c[0], c[1], c[2], c[3], k0, k1)
        out[i] = z[0]
        if i + 1 < n:
            out[i + 1] = z[1]
    return out


def standard_normals(n, key=(0, 0), chain=0, tag=TAG_PATH):
    """``n`` counter-based normals (Philox + ziggurat, as the Brownian tree draws them)."""
    return _normals(int(n), int(chain), np.uint64(key[0]), np.uint64(key[1]), int(tag))


#: what :func:`stream_draws` draws
DRAW_NORMAL = 0
DRAW_EXPONENTIAL = 1
DRAW_UNIFORM = 2


@jit
def stream_draws(n, chain, k0, k1, tag, kind):
    """The first n draws of the stream (chain, tag) under key (k0, k1): normals, Exp(1) or
    uniforms (``kind``: ``DRAW_NORMAL``, ``DRAW_EXPONENTIAL``, ``DRAW_UNIFORM``), exactly as a
    kernel reading that stream draws them (tests, teaching)."""
    s = np.zeros(4, np.uint64)
    stream_seed(s, 0, k0, k1, chain, tag)
    out = np.empty(n)
    for i in range(n):
        if kind == DRAW_NORMAL:
            out[i] = stream_normal(s, 0)
        elif kind == DRAW_EXPONENTIAL:
            out[i] = stream_exponential(s, 0)
        else:
            out[i] = stream_uniform(s, 0)
    return out


def stream_normals(n, key=(0, 0), chain=0, tag=TAG_NOISE):
    """``n`` normals of a chain's fast-mode stream (xoshiro256** + ziggurat)."""
    return stream_draws(int(n), int(chain), np.uint64(key[0]), np.uint64(key[1]), int(tag),
                        DRAW_NORMAL)


def stream_exponentials(n, key=(0, 0), chain=0, tag=TAG_SELECT):
    """``n`` Exp(1) draws of a chain's stream (xoshiro256** + exponential ziggurat); with the
    default tag these are the draws PLMC OPTION 1 turns into geometric gaps."""
    return stream_draws(int(n), int(chain), np.uint64(key[0]), np.uint64(key[1]), int(tag),
                        DRAW_EXPONENTIAL)
