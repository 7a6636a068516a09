"""The in-kernel generator: Philox4x32-10 known answers, the ziggurats' normal and exponential
laws."""
import numpy as np
import pytest
from scipy import stats

from langevin_theory import _rng

# Random123's kat_vectors for philox4x32 with 10 rounds: counter (4 words), key (2), output (4)
KAT = [
    ([0, 0, 0, 0], [0, 0], [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]),
    ([0xFFFFFFFF] * 4, [0xFFFFFFFF] * 2, [0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD]),
    ([0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344], [0xA4093822, 0x299F31D0],
     [0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1]),
]


@pytest.mark.parametrize("counter,key,expected", KAT)
def test_philox_known_answers(counter, key, expected):
    out = _rng.philox_block([counter], key)[0]
    assert [int(v) for v in out] == expected


@pytest.fixture(scope="module")
def normals():
    return _rng.standard_normals(2_000_000, key=(123, 456))


def test_normal_moments(normals):
    n = normals.size
    # standard errors of the sample mean, variance, skewness and excess kurtosis of N(0, 1)
    assert abs(normals.mean()) < 4 / np.sqrt(n)
    assert abs(normals.var() - 1) < 4 * np.sqrt(2 / n)
    assert abs(stats.skew(normals)) < 4 * np.sqrt(6 / n)
    assert abs(stats.kurtosis(normals)) < 4 * np.sqrt(24 / n)


def test_normal_distribution_and_tails(normals):
    assert stats.kstest(normals, "norm").pvalue > 1e-3
    n = normals.size
    # the ziggurat's tail branch (|z| > r = 3.654...) and the wedge rejections
    for t in (2.0, 3.6541528853610088, 4.0, 4.5):
        p = 2 * stats.norm.sf(t)
        assert abs(np.mean(np.abs(normals) > t) - p) < 4 * np.sqrt(p * (1 - p) / n), t


def test_streams_are_deterministic_and_distinct():
    a = _rng.standard_normals(1001, key=(1, 2), chain=5)
    b = _rng.standard_normals(1001, key=(1, 2), chain=5)
    c = _rng.standard_normals(1001, key=(1, 2), chain=6)
    d = _rng.standard_normals(1001, key=(1, 3), chain=5)
    assert np.array_equal(a, b)
    assert abs(np.corrcoef(a, c)[0, 1]) < 4 / np.sqrt(1001)
    assert abs(np.corrcoef(a, d)[0, 1]) < 4 / np.sqrt(1001)
    # a prefix of a longer stream is the shorter stream (counter-based, no hidden state)
    assert np.array_equal(_rng.standard_normals(10, key=(1, 2), chain=5), a[:10])


def test_seed_keys_differ_by_purpose():
    ss = np.random.SeedSequence(7)
    assert _rng.seed_to_key(ss, 1) != _rng.seed_to_key(ss, 2)
    assert _rng.seed_to_key(ss, 1) == _rng.seed_to_key(np.random.SeedSequence(7), 1)


@pytest.fixture(scope="module")
def stream():
    return _rng.stream_normals(2_000_000, key=(9, 10), chain=3)


def test_stream_normal_law(stream):
    n = stream.size
    assert abs(stream.mean()) < 4 / np.sqrt(n)
    assert abs(stream.var() - 1) < 4 * np.sqrt(2 / n)
    assert abs(stats.kurtosis(stream)) < 4 * np.sqrt(24 / n)
    assert stats.kstest(stream, "norm").pvalue > 1e-3
    for t in (3.6541528853610088, 4.0):
        p = 2 * stats.norm.sf(t)
        assert abs(np.mean(np.abs(stream) > t) - p) < 4 * np.sqrt(p * (1 - p) / n), t


def test_streams_are_seeded_per_chain_and_tag(stream):
    again = _rng.stream_normals(1000, key=(9, 10), chain=3)
    other = _rng.stream_normals(1000, key=(9, 10), chain=4)
    other_tag = _rng.stream_normals(1000, key=(9, 10), chain=3, tag=_rng.TAG_SELECT)
    assert np.array_equal(again, stream[:1000])
    assert abs(np.corrcoef(again, other)[0, 1]) < 4 / np.sqrt(1000)
    assert abs(np.corrcoef(again, other_tag)[0, 1]) < 4 / np.sqrt(1000)


@pytest.fixture(scope="module")
def exponentials():
    return _rng.stream_exponentials(2_000_000, key=(9, 10), chain=3)


def test_stream_exponential_law(exponentials):
    """The exponential ziggurat (PLMC OPTION 1's gaps): moments, KS, wedges and the tail."""
    e = exponentials
    n = e.size
    assert e.min() > 0.0
    # Exp(1): mean 1 (SE 1/sqrt n), variance 1 (the sample variance's SE is sqrt(8/n): the
    # fourth central moment is 9)
    assert abs(e.mean() - 1) < 4 / np.sqrt(n)
    assert abs(e.var() - 1) < 4 * np.sqrt(8 / n)
    assert stats.kstest(e, "expon").pvalue > 1e-3
    # inside the layers, at the start of the tail r = 7.697 (P = 4.5e-4) and beyond it
    for t in (0.5, 2.0, 5.0, _rng._EZIG_R, 9.0):
        p = np.exp(-t)
        assert abs(np.mean(e > t) - p) < 4 * np.sqrt(p * (1 - p) / n), t


def test_geometric_gaps_from_exponentials(exponentials):
    """floor(E / lambda), lambda = -log(1 - 1/K), is Geometric(1/K): P(G >= g) = (1 - 1/K)^g."""
    K = 10
    g = np.floor(exponentials * (-1.0 / np.log1p(-1.0 / K)))
    n = g.size
    assert g.min() >= 0
    for k in (1, 5, 10, 30):
        p = (1 - 1 / K) ** k
        assert abs(np.mean(g >= k) - p) < 4 * np.sqrt(p * (1 - p) / n), k
    p0 = 1 / K
    assert abs(np.mean(g == 0) - p0) < 4 * np.sqrt(p0 * (1 - p0) / n)


def test_uniform_edges_are_as_documented():
    """``_rng._u53_64``: (k + 1/2) 2^-53 for the top 53 bits k, rounded to double. The smallest
    value is 2^-54 (never 0); below 1/2 the value is exact; above, k + 1/2 rounds to its even
    neighbour, and k = 2^53 - 1 gives exactly 1.0, which is why the midpoint indices
    int(u K) are clamped to K - 1."""
    u = _rng._u53_64
    assert u(np.uint64(0)) == 2.0 ** -54
    k = 2 ** 52 - 1  # the largest k below 1/2: exact
    assert u(np.uint64(k << 11)) == (k + 0.5) * 2.0 ** -53 < 0.5
    assert u(np.uint64(((2 ** 52 + 1) << 11) | 0x7FF)) == (2 ** 52 + 2) * 2.0 ** -53  # to even
    assert u(np.uint64(2 ** 64 - 1)) == 1.0
    assert _rng._u53(np.uint64(2 ** 32 - 1), np.uint64(2 ** 32 - 1)) == 1.0


def test_normals_fast_path_is_the_ziggurats_fast_path():
    """``normals_fast_path`` (the Brownian tree's descent calls it before the full ziggurat)
    gives the numbers of ``normals_from_words`` whenever it reports ``ok``, and reports it at
    the rate the tables imply: a draw is accepted at once when its signed 53-bit abscissa rs
    (uniform on [-2^52, 2^52)) has |rs| < ki[layer], 2 ki - 1 of the 2^53 values, so
    P(ok) = (mean over the 256 layers of (2 ki - 1) / 2^53)^2 for the two draws of a pair."""
    import numba

    @numba.njit
    def run(n, k0, k1):
        ok_count = 0
        same = True
        for i in range(n):
            c0, c1, c2, c3 = np.uint64(i), np.uint64(7), np.uint64(3), np.uint64(0)
            w = _rng.philox4x32(c0, c1, c2, c3, k0, k1)
            z0, z1, ok = _rng.normals_fast_path(w[0], w[1], w[2], w[3])
            if ok:
                ok_count += 1
                f = _rng.normals_from_words(w[0], w[1], w[2], w[3], c0, c1, c2, c3, k0, k1)
                same = same and f[0] == z0 and f[1] == z1
        return ok_count, same

    n = 400_000
    ok_count, same = run(n, np.uint64(11), np.uint64(12))
    assert same
    p1 = np.mean(2.0 * _rng._ZIG_KS.astype(float) - 1.0) / 2.0 ** 53
    p = p1 * p1
    print(f"fast path taken for {ok_count / n:.5f} of pairs; tables imply {p:.5f}")
    assert abs(ok_count / n - p) < 4 * np.sqrt(p * (1 - p) / n)


def test_stream_normal_held_is_the_stream():
    """``stream_normal_held`` (the stream's state held in four values across a chain's draws,
    written back only around the slow path) draws the numbers of ``stream_normal`` in the
    same order, and leaves the stream where ``stream_normal`` leaves it: checked over 300000
    draws of a stream at offset 4 of an 8-word state (its first four words untouched), in
    runs of 1 to 6 held draws between write-backs. About 1.5 % of draws take the slow path
    (wedge rejections and the tail); tail draws, beyond the ziggurat's r, come from it alone,
    so there must be some (~77 expected). An independent xoshiro256** in Python (the
    reference algorithm, Blackman & Vigna) checks ``xoshiro_step`` on its own."""
    import numba

    @numba.njit
    def run(n, k0, k1):
        a = np.zeros(8, np.uint64)
        b = np.zeros(8, np.uint64)
        _rng.stream_seed(a, 4, k0, k1, 5, _rng.TAG_NOISE)
        _rng.stream_seed(b, 4, k0, k1, 5, _rng.TAG_NOISE)
        a[:4] = np.uint64(77)
        b[:4] = np.uint64(77)
        za = np.empty(n)
        zb = np.empty(n)
        i = 0
        run_len = 1
        while i < n:
            s0, s1, s2, s3 = b[4], b[5], b[6], b[7]
            for _ in range(min(run_len, n - i)):
                za[i] = _rng.stream_normal(a, 4)
                zb[i], s0, s1, s2, s3 = _rng.stream_normal_held(b, 4, s0, s1, s2, s3)
                i += 1
            b[4], b[5], b[6], b[7] = s0, s1, s2, s3
            run_len = run_len % 6 + 1
        return za, zb, a, b

    n = 300_000
    za, zb, a, b = run(n, np.uint64(21), np.uint64(22))
    assert np.array_equal(za, zb)
    assert np.array_equal(a, b) and np.all(a[:4] == 77)
    # the slow path was exercised: tail values beyond the ziggurat's r exist only there
    n_tail = int(np.sum(np.abs(za) > _rng._ZIG_R))
    p_tail = 2 * stats.norm.sf(_rng._ZIG_R)
    print(f"tail draws: {n_tail} (expected {n * p_tail:.1f})")
    assert n_tail > 0

    mask = (1 << 64) - 1

    def rotl(x, k):
        return ((x << k) | (x >> (64 - k))) & mask

    def step(s):  # xoshiro256** reference
        result = (rotl((s[1] * 5) & mask, 7) * 9) & mask
        t = (s[1] << 17) & mask
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    state = [0x0123456789ABCDEF, 0xFEDCBA9876543210, 0x0F1E2D3C4B5A6978, 0x8796A5B4C3D2E1F0]
    held = list(state)
    for _ in range(50):
        expected = step(state)
        # (uint64 arguments each call: numba would type a plain int below 2^63 as int64)
        r, *held = _rng.xoshiro_step(*(np.uint64(v) for v in held))
        assert int(r) == expected and [int(v) for v in held] == state
