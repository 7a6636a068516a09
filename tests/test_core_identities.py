"""Exact identities of the core simulators, to ~1e-12 in float64 (issue: core simulators).

* the scaling relations of both dynamics;
* every scheme x dynamics against the independent NumPy reference on identical noise;
* PLMC's one-step form equals recursion (8), and the extracted text's G_{(K-1-i)h} does not;
* constant drift: PLMC(alpha, K) == LMC(alpha/K) pathwise; PLMC with K = 1 == LMC;
* OPTION 2 == RLMC with u on the grid {0, 1/K, ...} (overdamped).
"""
import functools
import math

import numba
import numpy as np
import pytest

import langevin_theory as lt
from langevin_theory._kernels import selection_draws
from langevin_theory.brownian import tree_lookup, tree_meta_size, tree_reset, tree_value
from langevin_theory._rng import seed_to_key
from numpy_reference import Ref, plmc_selections

TOL = 1e-12
DYNAMICS = {"over": lt.dynamics.Overdamped(), "under": lt.dynamics.Underdamped(friction=1.7)}


def close(a, b, tol=TOL):
    a, b = np.asarray(a, float), np.asarray(b, float)
    scale = max(1.0, np.abs(b).max())
    err = np.abs(a - b).max() / scale
    assert err <= tol, f"max relative deviation {err:.3e} > {tol:g}"
    return err


# ---------------------------------------------------------------- scaling relations
@pytest.mark.parametrize("dyn", list(DYNAMICS.values()), ids=list(DYNAMICS))
@pytest.mark.parametrize("h,n", [(0.013, 37), (0.25, 8), (1e-4, 1000)])
def test_scaling_relations(dyn, h, n):
    A, G, S = dyn.A(h), dyn.G(h), dyn.Gamma2(h)
    close(np.linalg.matrix_power(A, n), dyn.A(n * h))
    close(sum(np.linalg.matrix_power(A, i) for i in range(n)) @ G, dyn.G(n * h))
    acc = np.zeros_like(S)
    for i in range(n):
        Ai = np.linalg.matrix_power(A, i)
        acc += Ai @ S @ Ai.T
    # entries of Gamma^2 differ in scale by h^2 (position ~ h^3, velocity ~ h): compare each
    ref = dyn.Gamma2(n * h)
    np.testing.assert_allclose(acc, ref, rtol=1e-11, atol=0)
    L = dyn.Gamma(h)
    np.testing.assert_allclose(L @ L.T, S, rtol=1e-12, atol=0)


def test_underdamped_blocks_match_generator():
    """A_h and G_h against scipy's expm of the generator (an independent derivation)."""
    from numpy_reference import flow
    dyn = DYNAMICS["under"]
    for h in (1e-7, 1e-3, 0.3, 2.0):
        A, G = flow("under", dyn.friction, h)
        close(dyn.A(h), A)
        np.testing.assert_allclose(dyn.G(h), G, rtol=1e-9)


# ---------------------------------------------------------------- shared-path machinery
def _run(target, scheme, dyn, h, n_steps, n_chains, path, x0, v0, rng=3):
    return lt.simulate(target, scheme, DYNAMICS[dyn], step_size=h, n_steps=n_steps,
                       n_chains=n_chains, rng=rng, x0=x0,
                       v0=v0 if dyn == "under" else None, brownian=path)


def _inputs(dim, n_chains, seed=0):
    g = np.random.default_rng(seed)
    return g.normal(0, 1.5, (n_chains, dim)), g.normal(0, 1, (n_chains, dim))


def _sel_draws(rng_seed, chain, n, exponential=False):
    """The selection stream of ``simulate(..., rng=rng_seed)``'s chain: Exp(1) draws (PLMC
    OPTION 1) or uniforms (OPTION 2, RLMC)."""
    key = seed_to_key(np.random.SeedSequence(rng_seed), 0x52554E)
    return selection_draws(n, chain, np.uint64(key[0]), np.uint64(key[1]), exponential)


@pytest.mark.parametrize("dyn", ["over", "under"])
def test_lmc_matches_numpy_reference(dyn):
    target = lt.targets.LogCosh(dim=2)
    path = lt.BrownianPath(seed=11, fine_step=1 / 64)
    x0, v0 = _inputs(2, 3)
    res = _run(target, lt.schemes.LMC(), dyn, 1 / 16, 6, 3, path, x0, v0)
    for c in range(3):
        ref = Ref(target.grad_potential, path, c, dyn, 1.7, 2, DYNAMICS[dyn])
        Z = ref.lmc(x0[c], v0[c], 4, 1 / 16, 6)
        close(res.positions[c], Z[0])
        if dyn == "under":
            close(res.velocities[c], Z[1])


@pytest.mark.parametrize("dyn", ["over", "under"])
@pytest.mark.parametrize("option", [1, 2])
def test_plmc_matches_recursion_8_and_one_step_form(dyn, option):
    """Kernel PLMC == NumPy recursion (8) == NumPy one-step form; the printed form differs."""
    target = lt.targets.LogCosh(dim=2)
    K, h, n_steps, m = 6, 0.3, 4, 2
    path = lt.BrownianPath(seed=5, fine_step=h / K / m)
    x0, v0 = _inputs(2, 3, seed=1)
    res = _run(target, lt.schemes.PoissonMidpoint(K, option), dyn, h, n_steps, 3, path, x0, v0,
               rng=42)
    n_midpoints = 0
    for c in range(3):
        sels = plmc_selections(_sel_draws(42, c, 200, option == 1), K, option, n_steps)
        n_midpoints += sum(len(s) for s in sels)
        ref = Ref(target.grad_potential, path, c, dyn, 1.7, 2, DYNAMICS[dyn])
        rec = ref.plmc_recursion(x0[c], v0[c], m, h, K, sels, n_steps)
        one = ref.plmc_one_step(x0[c], v0[c], m, h, K, sels, n_steps)
        close(one, rec)
        close(res.positions[c], rec[0])
        if dyn == "under":
            close(res.velocities[c], rec[1])
        if any(len(s) and max(s) < K - 1 for s in sels):
            printed = ref.plmc_one_step(x0[c], v0[c], m, h, K, sels, n_steps, printed_form=True)
            assert np.abs(printed - rec).max() > 1e-6, "negative control should differ"
    # gradient count = one per step plus one per midpoint, as counted in the kernel
    assert res.n_grad_evals == 3 * n_steps + n_midpoints


@pytest.mark.parametrize("dyn", ["over", "under"])
def test_rlmc_matches_numpy_reference(dyn):
    target = lt.targets.LogCosh(dim=1)
    h, n_steps, m = 0.25, 5, 4
    path = lt.BrownianPath(seed=8, fine_step=h / m)
    x0, v0 = _inputs(1, 2, seed=2)
    res = _run(target, lt.schemes.RandomizedMidpoint(), dyn, h, n_steps, 2, path, x0, v0, rng=9)
    sub = 2 ** path.sub_levels * m  # sub-units per step
    for c in range(2):
        u = _sel_draws(9, c, n_steps)
        frac = np.minimum(np.floor(u * sub), sub - 1) / sub
        ref = Ref(target.grad_potential, path, c, dyn, 1.7, 1, DYNAMICS[dyn])
        Z = ref.rlmc(x0[c], v0[c], m, h, frac, n_steps)
        close(res.positions[c], Z[0])
        if dyn == "under":
            close(res.velocities[c], Z[1])


# ---------------------------------------------------------------- structural identities
@pytest.mark.parametrize("dyn", ["over", "under"])
@pytest.mark.parametrize("option", [1, 2])
def test_plmc_with_one_substep_is_lmc(dyn, option):
    target = lt.targets.DoubleWell(dim=2, tilt=0.3)
    path = lt.BrownianPath(seed=2, fine_step=0.05)
    x0, v0 = _inputs(2, 50, seed=3)
    a = _run(target, lt.schemes.PoissonMidpoint(1, option), dyn, 0.05, 20, 50, path, x0, v0)
    b = _run(target, lt.schemes.LMC(), dyn, 0.05, 20, 50, path, x0, v0)
    close(a.positions, b.positions)
    # K = 1: the midpoint i = 0 is always selected (Ber(1)), so exactly 2 gradients per step
    assert a.n_grad_evals == 2 * b.n_grad_evals


@pytest.fixture(scope="module")
def constant_drift_target():
    slope = np.array([0.7, -1.3])

    def potential(x):
        return 0.7 * x[0] - 1.3 * x[1]

    def grad(x, out):
        out[0] = 0.7
        out[1] = -1.3

    return lt.targets.Custom(potential, grad, dim=2, name="linear"), slope


@pytest.mark.parametrize("dyn", ["over", "under"])
@pytest.mark.parametrize("option", [1, 2])
def test_constant_drift_plmc_equals_fine_lmc(constant_drift_target, dyn, option):
    """With b constant the correction vanishes and PLMC(alpha, K) is LMC(alpha/K) pathwise."""
    target, _ = constant_drift_target
    K, h = 8, 0.4
    path = lt.BrownianPath(seed=4, fine_step=h / K)
    x0, v0 = _inputs(2, 20, seed=4)
    a = _run(target, lt.schemes.PoissonMidpoint(K, option), dyn, h, 5, 20, path, x0, v0)
    b = _run(target, lt.schemes.LMC(), dyn, h / K, 5 * K, 20, path, x0, v0)
    close(a.positions, b.positions)
    if dyn == "under":
        close(a.velocities, b.velocities)


@pytest.mark.parametrize("K", [1, 4, 7])
def test_option2_is_rlmc_on_the_grid(K):
    target = lt.targets.LogCosh(dim=1)
    path = lt.BrownianPath(seed=6, fine_step=0.2 / K)
    x0, _ = _inputs(1, 40, seed=5)
    a = _run(target, lt.schemes.PoissonMidpoint(K, option=2), "over", 0.2, 15, 40, path, x0,
             None)
    b = _run(target, lt.schemes.RandomizedMidpoint(grid=K), "over", 0.2, 15, 40, path, x0,
             None)
    close(a.positions, b.positions)


def test_coarse_noise_is_the_sum_of_fine_noise():
    """The path's additivity, N(a, c) = A_{c-b} N(a, b) + N(b, c), both dynamics."""
    path = lt.BrownianPath(seed=1, fine_step=1e-3)
    for name, dyn in DYNAMICS.items():
        fine = path.noise(np.arange(0, 64), np.arange(1, 65), chain=3, dim=2, dynamics=dyn)
        whole = path.noise([0], [64], chain=3, dim=2, dynamics=dyn)[0]
        acc = np.zeros_like(whole)
        A = dyn.A(1e-3)
        for n in range(64):
            acc = acc @ A.T + fine[n]
        close(acc, whole)
        # across a block boundary (blocks of 2**20 fine steps)
        e = 2 ** path.block_levels
        a = path.noise([e - 3], [e + 5], chain=0, dim=1, dynamics=dyn)[0]
        p1 = path.noise([e - 3], [e], chain=0, dim=1, dynamics=dyn)[0]
        p2 = path.noise([e], [e + 5], chain=0, dim=1, dynamics=dyn)[0]
        close(a, p1 @ dyn.A(5e-3).T + p2)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_path_values_do_not_depend_on_query_order(dim):
    """The tree cache is invisible: Y at a point is the same whatever was queried before it.

    Points on and between the fine grid (down to 2**-sub_levels), both block ends and points of
    the next block, visited in increasing order (the simulators' pattern, where each query
    starts from the cached ancestor of the last one) and in a shuffled order (arbitrary
    ancestors); each value must match the one a fresh cache gives, bit for bit.
    """
    path = lt.BrownianPath(seed=11, fine_step=0.01, block_levels=6, sub_levels=3)
    rng = np.random.default_rng(5)
    sub = 2.0 ** -path.sub_levels
    pts = np.unique(np.concatenate([rng.integers(1, 2 * 2 ** path.levels, 60) * sub,
                                    [2.0 ** path.block_levels, 2.0 ** path.block_levels + sub,
                                     sub, 0.0]]))
    for dyn in DYNAMICS.values():
        # N(0, t) = Y(t) in block 0; a block-1 point reads N(b, t) there, also a tree value
        starts = np.where(pts > 2 ** path.block_levels, 2.0 ** path.block_levels, 0.0)
        fresh = np.stack([path.noise([a], [t], chain=2, dim=dim, dynamics=dyn)[0]
                          for a, t in zip(starts, pts)])
        inorder = path.noise(starts, pts, chain=2, dim=dim, dynamics=dyn)
        perm = rng.permutation(pts.shape[0])
        shuffled = np.empty_like(inorder)
        shuffled[perm] = path.noise(starts[perm], pts[perm], chain=2, dim=dim, dynamics=dyn)
        assert np.array_equal(inorder, fresh)
        assert np.array_equal(shuffled, fresh)


@numba.njit
def _lookups_against_tree_value(qs, k0, k1, tab, nl, dim, s):
    """For each query q (block 0, in order): whether brownian.tree_lookup served it, whether it
    agreed with tree_value (cache state) and with a fresh cache's value when it did and touched
    nothing when it did not, and whether q was 0 or an end of a cached interval, checked level
    by level (independently of tree_lookup's bit arithmetic)."""
    n = qs.shape[0]
    meta = np.zeros(tree_meta_size(nl), np.int64)
    ylo = np.zeros((nl + 1, dim, s))
    yhi = np.zeros((nl + 1, dim, s))
    tree_reset(meta)
    out = np.zeros((dim, s))
    seen = np.zeros((dim, s))
    fmeta = np.zeros(tree_meta_size(nl), np.int64)
    fylo = np.zeros((nl + 1, dim, s))
    fyhi = np.zeros((nl + 1, dim, s))
    fresh = np.zeros((dim, s))
    hit = np.zeros(n, np.bool_)
    agree = np.zeros(n, np.bool_)
    cached_end = np.zeros(n, np.bool_)
    for i in range(n):
        q = qs[i]
        # level by level: the cached level-k interval (k >= meta[1]) starts at meta[2] with k
        # low bits cleared
        is_end = meta[0] == 0 and q == 0  # Y(0) = 0 needs no descent either
        if meta[0] == 0 and q > 0:
            for k in range(meta[1], nl + 1):
                lk = meta[2] & -(np.int64(1) << k)
                if q == lk or q == lk + (np.int64(1) << k):
                    is_end = True
        cached_end[i] = is_end
        before = meta.copy()
        seen[:, :] = np.nan
        hit[i] = tree_lookup(q, 0, meta, ylo, yhi, seen)
        after = meta.copy()
        meta[:] = before
        tree_value(q, 0, 0, k0, k1, tab, nl, meta, ylo, yhi, out)
        # the value from a fresh cache (a descent from the block root), independent of what
        # the cache held
        tree_reset(fmeta)
        tree_value(q, 0, 0, k0, k1, tab, nl, fmeta, fylo, fyhi, fresh)
        if hit[i]:
            agree[i] = np.array_equal(seen, fresh) and np.array_equal(out, fresh) and \
                np.array_equal(after[:3], meta[:3])
        else:
            agree[i] = np.all(np.isnan(seen)) and np.array_equal(after, before)
    return hit, agree, cached_end


@pytest.mark.parametrize("dyn", list(DYNAMICS))
def test_tree_lookup_serves_exactly_the_cached_ends(dyn):
    """The inline fast path of a coupled noise piece: ``tree_lookup`` answers a query exactly
    when it is 0 or an end of a cached interval, with the numbers a fresh cache gives and
    ``tree_value``'s cache state (``tree_value`` itself starts with it, so the independent
    references are the level-by-level search and the fresh cache's descent), and
    touches nothing otherwise. Queries: a PLMC-like pattern (a midpoint, then the step end) and
    random points, both orders mixed."""
    path = lt.BrownianPath(seed=4, fine_step=0.01, block_levels=8, sub_levels=3)
    nl = path.levels
    rng = np.random.default_rng(3)
    step = 2 ** (path.sub_levels + 3)   # 8 fine steps per step
    qs = []
    for t in range(2 ** 8 // 8):
        qs += [t * step + int(rng.integers(0, 8)) * 2 ** path.sub_levels, (t + 1) * step]
        if t % 5 == 0:
            qs.append(int(rng.integers(0, 2 ** nl + 1)))
    qs = np.array(qs, np.int64)
    dynamics = DYNAMICS[dyn]
    hit, agree, cached_end = _lookups_against_tree_value(
        qs, np.uint64(path.key[0]), np.uint64(path.key[1]), path.tables(dynamics), nl, 3,
        dynamics.blocks)
    print(f"{dyn}: {hit.sum()} of {qs.size} queries served from the cache")
    assert agree.all()
    assert np.array_equal(hit, cached_end)
    assert 0.2 * qs.size < hit.sum() < 0.9 * qs.size  # both paths exercised


def test_results_do_not_depend_on_threads_or_chunking():
    import numba
    target = lt.targets.LogCosh()
    path = lt.BrownianPath(seed=3, fine_step=0.01)
    kw = dict(step_size=0.08, n_steps=30, rng=7)
    big = lt.simulate(target, lt.schemes.PoissonMidpoint(8, 1), n_chains=700, brownian=path,
                      n_threads=1, **kw)
    if numba.config.NUMBA_NUM_THREADS > 1:
        par = lt.simulate(target, lt.schemes.PoissonMidpoint(8, 1), n_chains=700,
                          brownian=path, n_threads=2, **kw)
        assert np.array_equal(big.positions, par.positions)
    small = lt.simulate(target, lt.schemes.PoissonMidpoint(8, 1), n_chains=10, brownian=path,
                        **kw)
    assert np.array_equal(big.positions[:10], small.positions)
    fast1 = lt.simulate(target, lt.schemes.LMC(), n_chains=700, **kw)
    fast2 = lt.simulate(target, lt.schemes.LMC(), n_chains=30, **kw)
    assert np.array_equal(fast1.positions[:30], fast2.positions)


@pytest.mark.parametrize("k", [1, 4, 32, 33])
@pytest.mark.parametrize("d", [1, 2])
def test_small_diagonal_mixture_gradient_stored_terms_equal_recomputed(k, d):
    """The d <= 2 diagonal mixture gradient keeps per-component terms in stack scratch for
    k <= STORED_COMPONENTS and recomputes them above; both must give the same bits, and the
    gradient must match a direct NumPy evaluation to 1e-12."""
    from langevin_theory import _target_kernels as tk

    rng = np.random.default_rng(k * 10 + d)
    means = rng.normal(0, 3, (k, d))
    covs = rng.uniform(0.2, 2.0, (k, d))
    w = rng.uniform(0.1, 1.0, k)
    target = lt.targets.GaussianMixture(w, means, covs)
    p = target.params
    out_a, out_b = np.empty(d), np.empty(d)
    for x in rng.normal(0, 4, (50, d)):
        tk._mixture_grad_diag_small(x, p, out_a)
        tk._mixture_grad_diag_small_recompute(x, p, out_b)
        assert np.array_equal(out_a, out_b)
        # NumPy: sum_j r_j P_j (x - mu_j), responsibilities by a stable log-sum-exp
        lw = (np.log(w / w.sum()) - 0.5 * np.log(covs).sum(1)
              - 0.5 * (((x - means) ** 2) / covs).sum(1))
        r = np.exp(lw - lw.max())
        r /= r.sum()
        expect = (r[:, None] * (x - means) / covs).sum(0)
        np.testing.assert_allclose(out_a, expect, rtol=1e-12, atol=1e-12)


def _rows_gradient_reference(X, p, exp):
    """The many-rows mixture gradient written out in plain Python floats, row by row: the
    one-row kernel's operations in its order, with ``exp`` for the weights."""
    k, d = int(p[2]), X.shape[1]
    stride = 1 + 2 * d
    p = [float(v) for v in p]  # Python floats: IEEE doubles without NumPy's overflow warnings
    G = np.empty_like(X)
    for b, x in enumerate(X):
        terms = []
        for j in range(k):
            o = 4 + j * stride
            r0 = float(x[0]) - p[o + 1]
            g0 = p[o + 1 + d] * r0
            q = g0 * r0
            g1 = 0.0
            if d == 2:
                r1 = float(x[1]) - p[o + 2]
                g1 = p[o + 4] * r1
                q += g1 * r1
            terms.append((p[o] - 0.5 * q, g0, g1))
        mx = -math.inf
        for l, _, _ in terms:
            mx = max(mx, l)
        tot = o0 = o1 = 0.0
        for l, g0, g1 in terms:
            w = exp(l - mx)
            tot += w
            o0 += w * g0
            o1 += w * g1
        G[b, 0] = o0 / tot
        if d == 2:
            G[b, 1] = o1 / tot
    return G


@pytest.mark.parametrize("k", [1, 4, 32])
@pytest.mark.parametrize("d", [1, 2])
def test_mixture_gradient_of_a_group_of_rows(k, d):
    """The lockstep LMC loop computes the gradients of its group's ROW_LANES rows together
    (``grad_rows_builtin``). Every row must get the bits of the one-row kernel's arithmetic
    with ``exp_weight`` for the exp (written out in Python here), also rows whose gradient is
    NaN (a state so far out that every weight underflows, a NaN or infinite state: a diverging
    or dead chain) beside ordinary ones; and agree with ``grad_builtin`` (libm's exp) to a
    few ulps."""
    from langevin_theory import _target_kernels as tk

    rng = np.random.default_rng(100 + k * 10 + d)
    means = rng.normal(0, 3, (k, d))
    target = lt.targets.GaussianMixture(rng.uniform(0.1, 1.0, k), means,
                                        rng.uniform(0.2, 2.0, (k, d)))
    p = target.params
    n = tk.ROW_LANES
    X = rng.normal(0, 4, (6 * n, d))
    X[3] = 1e200
    X[5, 0] = np.nan
    X[9, -1] = np.inf
    X[12] = means[0]
    seen_nan = False
    for g in range(6):
        rows = np.ascontiguousarray(X[g * n:(g + 1) * n])
        G = np.full((n, d), 7.0)
        tk.grad_rows_builtin(rows, p, G)
        assert np.array_equal(G, _rows_gradient_reference(rows, p, tk.exp_weight),
                              equal_nan=True), g
        one = np.array([target.grad_potential(row) for row in rows])
        assert np.array_equal(np.isnan(G), np.isnan(one))
        ok = ~np.isnan(one)
        np.testing.assert_allclose(G[ok], one[ok], rtol=1e-13, atol=1e-13)
        seen_nan |= bool(np.isnan(one).any())
    assert seen_nan
    assert tk.grad_rows_lanes_builtin(p, d) == n
    # where there is none, the loop computes row by row
    assert tk.grad_rows_lanes_builtin(p, 3) == 0
    assert tk.grad_rows_lanes_builtin(lt.targets.DoubleWell().params, d) == 0
    many = lt.targets.GaussianMixture(np.ones(33), rng.normal(0, 3, (33, d)), 1.0)
    assert tk.grad_rows_lanes_builtin(many.params, d) == 0


def test_exp_weight_is_within_one_ulp():
    """The many-rows gradient's vectorisable exp against 120-bit mpmath: at most 1 ulp from the
    correctly rounded value on the weights' domain (a <= 0, down to underflow), exact at 0,
    0 below the underflow, NaN for NaN; and it does vectorise (the same bits in a loop)."""
    import mpmath as mp
    from langevin_theory import _target_kernels as tk

    rng = np.random.default_rng(7)
    a = np.concatenate([-rng.exponential(5.0, 20000), -rng.uniform(0.0, 0.7, 4000),
                        -rng.uniform(0.0, 1e-6, 2000), -rng.uniform(700.0, 746.0, 4000),
                        [0.0, -0.0, -708.39, -708.4, -745.13, -745.14, -1e-320, -746.0]])
    got = np.array([tk.exp_weight(v) for v in a])
    with mp.workprec(120):
        exact = np.array([float(mp.exp(mp.mpf(float(v)))) for v in a])
    ulps = np.abs(got.view(np.int64) - exact.view(np.int64))
    print(f"exp_weight: max {ulps.max()} ulp, {np.mean(ulps > 0):.1%} not correctly rounded")
    assert ulps.max() <= 1
    assert tk.exp_weight(0.0) == 1.0 and tk.exp_weight(-0.0) == 1.0
    assert tk.exp_weight(-800.0) == 0.0 and tk.exp_weight(-np.inf) == 0.0
    assert math.isnan(tk.exp_weight(np.nan))

    @numba.njit
    def loop(v, out):
        for i in range(v.shape[0]):
            out[i] = tk.exp_weight(v[i])

    out = np.empty_like(a)
    loop(a, out)
    assert np.array_equal(out, got)


def test_exp_weight_coefficients_are_the_chebyshev_interpolant():
    """exp_weight's polynomial: the degree-11 interpolant of e^r at the 12 Chebyshev nodes of
    [-ln(2)/2, ln(2)/2], solved in 200-bit arithmetic and rounded to float64 (the derivation
    of the hard-coded coefficients), with relative error below 2e-17 on the interval."""
    import mpmath as mp
    from langevin_theory import _target_kernels as tk

    deg = 11
    with mp.workprec(200):
        half = mp.log(2) / 2
        nodes = [half * mp.cos(mp.pi * (2 * i + 1) / (2 * (deg + 1))) for i in range(deg + 1)]
        coef = mp.lu_solve(mp.matrix([[x ** j for j in range(deg + 1)] for x in nodes]),
                           mp.matrix([mp.exp(x) for x in nodes]))
        expected = [float(coef[j]) for j in range(deg + 1)]
        assert [getattr(tk, f"_C{j}") for j in range(deg + 1)] == expected
        worst = max(abs(sum(mp.mpf(expected[j]) * x ** j for j in range(deg + 1)) / mp.exp(x) - 1)
                    for x in (half * (mp.mpf(i) / 500 - 1) for i in range(1001)))
    assert worst < 2e-17


def test_shifted_exp_is_libm_exp_bit_for_bit():
    """The mixture gradients skip the libm call for the largest component (exp(0) = 1 exactly);
    at every other argument, NaN and infinities included, they must return what exp does."""
    from langevin_theory import _target_kernels as tk

    a = np.concatenate([[0.0, -0.0, np.nan, -np.inf, np.inf, -745.2, -708.5, -1e-300, -5e-324],
                        -np.random.default_rng(0).exponential(3.0, 2000)])
    got = np.array([tk._exp_shifted(v) for v in a])
    # math.exp is the C library's exp, which compiled kernels call too (NumPy's own vectorised
    # exp differs in the last bit at some arguments, so it is not the reference here)
    assert np.array_equal(got, [math.exp(v) for v in a], equal_nan=True)


@pytest.mark.parametrize("scheme", [lt.schemes.LMC(), lt.schemes.PoissonMidpoint(10, 1),
                                    lt.schemes.RandomizedMidpoint()])
def test_inlined_mixture_gradient_scratch_does_not_grow_with_steps(scheme):
    """The small diagonal mixture gradient is IR-inlined into the drivers, stack scratch
    included. Its ``alloca`` must sit in the entry block of the compiled loop, not in the loop
    body: one chain over 2e6 steps would then take 2e6 x 3 x 32 doubles (1.5 GB) of an 8 MB
    stack and crash (checked by mutating ``stack_array`` to allocate where it is called). The
    long run must finish, and its state at the halfway record must equal a run of half the
    length. (LMC and PLMC run in their lockstep loops with the many-rows gradient, RLMC in
    the general driver with the one-row one.)"""
    target = lt.targets.GaussianMixture(np.ones(4), [[2, 2], [2, -2], [-2, 2], [-2, -2]], 0.49)
    n = 2_000_000
    kw = dict(step_size=0.05, n_chains=1, rng=5, x0=np.zeros((1, 2)), n_threads=1)
    full = lt.simulate(target, scheme, n_steps=n, record_steps=[n // 2, n], **kw)
    assert np.all(np.isfinite(full.positions))
    # the recorded midpoint of the run is the state the run passed through (same stream)
    half = lt.simulate(target, scheme, n_steps=n // 2, **kw)
    assert np.array_equal(full.recorded_positions[0], half.positions)


@pytest.mark.parametrize("underdamped", [False, True])
def test_lockstep_lmc_loop_equals_the_general_driver(monkeypatch, underdamped):
    """LMC in fast mode runs in its own lockstep loop (``_driver_lmc``); it must give the
    general driver's numbers bit for bit, or to rounding for targets whose many-rows gradient
    it uses (their exp is not libm's): several targets, given and drawn initial velocities,
    records, chains diverging mid-run (dropped), chain counts that leave a partial chunk and
    a partial group, and a state large enough for smaller groups."""
    import importlib

    # the module, not the function the package exports under the same name
    sim_mod = importlib.import_module("langevin_theory.simulate")
    dyn = lt.dynamics.Underdamped(1.5) if underdamped else lt.dynamics.Overdamped()
    T = lt.targets
    cases = [
        # many chains diverge mid-run, not all (overdamped 50 of 75 at alpha = 0.5,
        # underdamped 41 of 75 at alpha = 1)
        (T.DoubleWell(), 1.0 if underdamped else 0.5),
        (T.GaussianMixture(np.ones(4), [[2, 2], [2, -2], [-2, 2], [-2, -2]], 0.49), 0.2),
        (T.GaussianMixture([0.3, 0.7], [[0, 0, 1], [1, 1, 0]],
                           [np.eye(3), 0.5 * np.eye(3) + 0.1]), 0.2),
        # 1-D and 2-D diagonal mixtures take the many-rows gradient (below, some chains start
        # so far out that their gradient is NaN: they diverge beside live chains of a group)
        (T.GaussianMixture([0.2, 0.5, 0.3], [[-2.0], [0.5], [3.0]], [0.3, 1.0, 0.6]), 0.2),
        (T.LogCosh(dim=3), 0.2),
        (T.LogCosh(dim=1500), 0.2),  # a large state: groups of 2 chains (GROUP_DOUBLES)
        (T.Gaussian([1.0, -1.0], [[1.0, 0.3], [0.3, 0.5]]), 0.2),
    ]
    seen_diverged = False
    for target, h in cases:
        x0 = np.random.default_rng(0).normal(0.0, 1.0, (75, target.dim))
        if isinstance(target, T.GaussianMixture):
            x0[[5, 17, 18, 70]] = 1e200
        v0s = [None, np.random.default_rng(1).normal(size=(75, target.dim))] if underdamped \
            else [None]
        for v0 in v0s:
            kw = dict(step_size=h, n_steps=25, n_chains=75, x0=x0, v0=v0, rng=11,
                      record_steps=[0, 3, 25], on_divergence="drop")
            fast = lt.simulate(target, lt.schemes.LMC(), dyn, **kw)
            with monkeypatch.context() as m:
                m.setattr(sim_mod, "get_lmc_driver", lambda target, blocks: None)
                general = lt.simulate(target, lt.schemes.LMC(), dyn, **kw)
            seen_diverged |= bool(general.diverged.any()) and not general.diverged.all()
            if target._grad_rows_lanes(target.params, target.dim):
                # a many-rows gradient: its exp differs from libm's by <= 1 ulp (see
                # test_mixture_gradient_of_a_group_of_rows), so the paths agree to rounding
                same = functools.partial(np.testing.assert_allclose, rtol=1e-12, atol=1e-12)
            else:
                same = functools.partial(np.testing.assert_array_equal, strict=True)
            same(fast.recorded_positions, general.recorded_positions, err_msg=repr(target))
            if underdamped:
                same(fast.recorded_velocities, general.recorded_velocities)
            assert np.array_equal(fast.divergence_step, general.divergence_step)
            assert np.array_equal(fast.grad_evals_per_chain, general.grad_evals_per_chain)
    assert seen_diverged, "the divergence path was not exercised"


@pytest.mark.parametrize("underdamped", [False, True])
def test_lockstep_plmc_loop_equals_the_general_driver(monkeypatch, underdamped):
    """PLMC in fast mode on a target with a many-rows gradient runs in its own lockstep loop
    (``_driver_plmc``); it must give the general driver's numbers to rounding (its exp is
    ``exp_weight``, not libm's): both options, K = 1, the trivial midpoint skipped, a K too
    large for the table of step coefficients, 1-D and 2-D mixtures, records, given and drawn
    initial velocities, chains diverging at the first step and mid-run (dropped), a partial
    group and a partial block of rows (150 chains: groups of 64, 64 and 22), OPTION 1's
    midpoint table filling within a step (checked to happen), and the same draws, so the
    same divergence steps and gradient counts. The loop's results do not depend on the
    number of chains or threads (each chain's rows meet no other chain's)."""
    import importlib

    from langevin_theory._driver_plmc import GROUP, TABLE_MAX_K, get_plmc_driver

    sim_mod = importlib.import_module("langevin_theory.simulate")
    dyn = lt.dynamics.Underdamped(1.5) if underdamped else lt.dynamics.Overdamped()
    T = lt.targets
    mix2 = T.GaussianMixture(np.ones(4), [[2, 2], [2, -2], [-2, 2], [-2, -2]], 0.49)
    mix1 = T.GaussianMixture([0.2, 0.5, 0.3], [[-2.0], [0.5], [3.0]], [0.3, 1.0, 0.6])
    P = lt.schemes.PoissonMidpoint
    # (K above TABLE_MAX_K: the step's coefficients computed as needed, not tabulated)
    schemes = [P(10, 1), P(10, 2), P(1, 1), P(7, 1, skip_trivial_midpoint=True),
               P(3, 2, skip_trivial_midpoint=True), P(TABLE_MAX_K + 1, 1)]
    seen_mid_run = False
    for target in (mix2, mix1):
        assert get_plmc_driver(target, 1 + underdamped) is not None
        for h, far in ((0.3, None), (3.0, 1e152)):
            x0 = np.random.default_rng(0).normal(0.0, 1.0, (150, target.dim))
            x0[[5, 17, 70, 140]] = 1e200  # a NaN gradient at once: diverge at step 1
            if far is not None:
                # far out, with an unstable step: they overflow after a few steps
                x0[[30, 31, 100]] = far
            # underdamped: velocities drawn (v0=None) in the mid-run case, given in the other
            v0 = (np.random.default_rng(1).normal(size=(150, target.dim))
                  if underdamped and far is None else None)
            kw = dict(step_size=h, n_steps=25, n_chains=150, x0=x0, v0=v0, rng=11,
                      record_steps=[0, 3, 25], on_divergence="drop")
            for scheme in schemes:
                fast = lt.simulate(target, scheme, dyn, **kw)
                with monkeypatch.context() as m:
                    m.setattr(sim_mod, "get_plmc_driver", lambda target, blocks: None)
                    general = lt.simulate(target, scheme, dyn, **kw)
                what = f"{target!r} {scheme!r} h={h}"
                assert np.array_equal(fast.divergence_step, general.divergence_step), what
                assert np.array_equal(fast.grad_evals_per_chain,
                                      general.grad_evals_per_chain), what
                seen_mid_run |= bool((general.divergence_step > 1).any())
                if h > 1.0:
                    continue  # the live chains' states there are far out and chaotic
                np.testing.assert_allclose(fast.recorded_positions, general.recorded_positions,
                                           rtol=1e-12, atol=1e-12, err_msg=what)
                if underdamped:
                    np.testing.assert_allclose(fast.recorded_velocities,
                                               general.recorded_velocities,
                                               rtol=1e-12, atol=1e-12, err_msg=what)
    assert seen_mid_run, "no chain diverged after its first step"
    # OPTION 1's midpoint table (GROUP rows) fills when a group's step has more than GROUP
    # midpoints: one step of one group, seeded so that it does (1 + N gradients a chain)
    one = dict(step_size=0.3, n_steps=1, n_chains=GROUP, rng=2)  # 74 midpoints
    fast = lt.simulate(mix2, P(10, 1), dyn, **one)
    with monkeypatch.context() as m:
        m.setattr(sim_mod, "get_plmc_driver", lambda target, blocks: None)
        general = lt.simulate(mix2, P(10, 1), dyn, **one)
    assert (general.grad_evals_per_chain - 1).sum() > GROUP
    np.testing.assert_allclose(fast.positions, general.positions, rtol=1e-12, atol=1e-12)
    # chunking and threads: the first 30 of 300 chains are the 30 chains of a smaller run
    kw = dict(step_size=0.3, n_steps=25, rng=3)
    big = lt.simulate(mix2, P(10, 1), dyn, n_chains=300, n_threads=1, **kw)
    small = lt.simulate(mix2, P(10, 1), dyn, n_chains=30, **kw)
    assert np.array_equal(big.positions[:30], small.positions)
    if numba.config.NUMBA_NUM_THREADS > 1:
        par = lt.simulate(mix2, P(10, 1), dyn, n_chains=300, n_threads=2, **kw)
        assert np.array_equal(big.positions, par.positions)
    # targets without a many-rows gradient keep the general driver
    assert get_plmc_driver(T.LogCosh(), 1) is None
    assert get_plmc_driver(T.GaussianMixture([0.3, 0.7], [[0, 0, 1], [1, 1, 0]], 1.0), 1) is None


def test_plmc_flow_table_holds_the_flows_the_step_would_compute():
    """The per-chain PLMC step reads its flows over k grid units from a table made once per
    run (underdamped, K <= TABLE_MAX_K) instead of computing them; the table must hold
    exactly what ``flow`` returns for k * (h / K), k = 0..K, and for h (bit for bit, so the
    two paths give the same numbers: the step falls back to computing them above
    TABLE_MAX_K), and overdamped runs get no table."""
    from langevin_theory._kernels import flow
    from langevin_theory.schemes.poisson_midpoint import TABLE_MAX_K, flow_table

    for K, h, gamma in [(1, 0.3, 1.5), (7, 0.125, 1.5), (64, 0.05, 0.1), (1000, 2.0, 3.0)]:
        FT = flow_table(K, h, gamma, 2)
        hs = h / K
        want = [flow(k * hs, gamma, 2) for k in range(K + 1)] + [flow(h, gamma, 2)]
        assert FT.shape == (K + 2, 4)
        assert np.array_equal(FT, np.array(want))
    assert flow_table(7, 0.125, 0.0, 1).shape[0] == 0
    assert flow_table(TABLE_MAX_K + 1, 0.125, 1.5, 2).shape[0] == 0


def test_custom_gradient_forms_agree_with_the_built_in():
    """A Custom gradient's returning form allocates, so LMC runs it in the general driver; the
    in-place form runs in the lockstep loop (compiled without reference counting), even when
    the user's function allocates a temporary of its own. All give the built-in double well's
    numbers."""
    from langevin_theory._driver_lmc import get_lmc_driver

    def pot(x):
        return 0.25 * x[0] ** 4 - 0.5 * x[0] ** 2

    def grad_inplace(x, out):
        out[0] = x[0] * x[0] * x[0] - x[0]

    def grad_return(x):
        return np.array([x[0] * x[0] * x[0] - x[0]])

    def grad_inplace_temporary(x, out):
        # in-place, but allocating a temporary inside the user's (separately compiled) function
        tmp = x ** 3 - x
        out[:] = tmp

    kw = dict(step_size=0.1, n_steps=40, n_chains=70, rng=2)
    # the temporary inside an in-place gradient matters only where the loop has no reference
    # counting (lockstep LMC); PLMC's general driver takes it like the plain in-place form, so
    # it is not compiled a third time for PLMC (each Custom target compiles its drivers
    # uncached: ~25 s each in CI)
    forms = {"lmc": (grad_inplace, grad_return, grad_inplace_temporary),
             "plmc": (grad_inplace, grad_return)}
    for scheme in (lt.schemes.LMC(), lt.schemes.PoissonMidpoint(4, 1)):
        ref = lt.simulate(lt.targets.DoubleWell(), scheme, **kw)
        for g in forms[scheme.key]:
            t = lt.targets.Custom(pot, g, dim=1)
            assert (get_lmc_driver(t, 1) is None) == (g is grad_return)
            r = lt.simulate(t, scheme, **kw)
            assert np.array_equal(r.positions, ref.positions)
