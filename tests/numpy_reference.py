"""A small, independent NumPy reference of every scheme (for pathwise cross-checks).

It shares nothing with the numba kernels but the *randomness*: the Brownian path's noise over
intervals (``BrownianPath.noise``) and the midpoint-selection uniforms. The flow matrices come
from ``scipy.linalg.expm`` of the generator (not from ``langevin_theory.dynamics``); the schemes
are written straight from the notes: LMC (1.1), RLMC (6.1-6.2), PLMC's recursion (8) (2.1) and
its one-step form (2.2, with the section-9 corrections, or -- as a negative control -- the
extracted text's G_{(K-1-i)h} correction).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.linalg import expm


def flow(dyn_kind, gamma, tau):
    """(A_tau, G_tau) blocks from the generator: A = exp(M tau), G = int_0^tau exp(M r) dr e_V."""
    if dyn_kind == "over":
        return np.ones((1, 1)), np.array([tau])
    M = np.array([[0.0, 1.0], [0.0, -gamma]])
    aug = np.zeros((3, 3))
    aug[:2, :2] = M
    aug[1, 2] = 1.0  # the drift -grad F enters dV
    E = expm(aug * tau)
    return E[:2, :2], E[:2, 2]


class Ref:
    """Reference simulator for one chain on a shared path.

    Parameters
    ----------
    grad : callable (dim,) -> (dim,)
    path : BrownianPath
    chain : int
    dyn_kind : "over" or "under"; gamma : friction
    """

    def __init__(self, grad, path, chain, dyn_kind, gamma, dim, dynamics):
        self.grad, self.path, self.chain = grad, path, chain
        self.kind, self.gamma, self.dim, self.dynamics = dyn_kind, gamma, dim, dynamics
        self.s = 1 if dyn_kind == "over" else 2

    def noise(self, a, b):
        """N(a, b) (fine-step units) as an (s, dim) array."""
        if b <= a:
            return np.zeros((self.s, self.dim))
        out = self.path.noise([a], [b], chain=self.chain, dim=self.dim, dynamics=self.dynamics)
        return out[0].T

    def _state(self, x, v):
        return np.vstack([x] if self.s == 1 else [x, v]).astype(float)

    def lmc(self, x, v, h_fine_units, h, n_steps):
        Z = self._state(x, v)
        A, G = flow(self.kind, self.gamma, h)
        for t in range(n_steps):
            b = -self.grad(Z[0])
            Z = A @ Z + np.outer(G, b) + self.noise(t * h_fine_units, (t + 1) * h_fine_units)
        return Z

    def plmc_recursion(self, x, v, m, h, K, selections, n_steps):
        """Recursion (8): K fine steps per coarse step, fine noise xi_j = N(j, j+1) (units of
        the sub-step, m fine steps each), midpoints built from the same xi's."""
        Z = self._state(x, v)
        hs = h / K
        A1, G1 = flow(self.kind, self.gamma, hs)
        for t in range(n_steps):
            sel = selections[t]
            Z0 = Z.copy()
            b0 = -self.grad(Z0[0])
            base = t * K * m
            xis = [self.noise(base + j * m, base + (j + 1) * m) for j in range(K)]
            for i in range(K):
                Ai, Gi = flow(self.kind, self.gamma, i * hs)
                acc = np.zeros_like(Z0)
                for j in range(i):
                    Aij, _ = flow(self.kind, self.gamma, (i - j - 1) * hs)
                    acc += Aij @ xis[j]
                Zhat = Ai @ Z0 + np.outer(Gi, b0) + acc
                H = 1.0 if i in sel else 0.0
                drift = b0 + K * H * (-self.grad(Zhat[0]) - b0)
                Z = A1 @ Z + np.outer(G1, drift) + xis[i]
        return Z

    def plmc_one_step(self, x, v, m, h, K, selections, n_steps, printed_form=False):
        """The one-step form (notes 2.2). ``printed_form`` uses the extracted text's
        G_{(K-1-i)h} in the correction instead of A_{(K-1-i)h} G_h (a negative control)."""
        Z = self._state(x, v)
        hs = h / K
        Ah, Gh = flow(self.kind, self.gamma, h)
        _, G1 = flow(self.kind, self.gamma, hs)
        for t in range(n_steps):
            sel = sorted(selections[t])
            b0 = -self.grad(Z[0])
            base = t * K * m
            M = np.zeros_like(Z)
            prev = 0
            corr = np.zeros_like(Z)
            for i in sel:
                Ad, _ = flow(self.kind, self.gamma, (i - prev) * hs)
                M = Ad @ M + self.noise(base + prev * m, base + i * m)
                prev = i
                Ai, Gi = flow(self.kind, self.gamma, i * hs)
                Zhat = Ai @ Z + np.outer(Gi, b0) + M
                db = -self.grad(Zhat[0]) - b0
                As, Gs = flow(self.kind, self.gamma, (K - 1 - i) * hs)
                col = Gs if printed_form else As @ G1
                corr += K * np.outer(col, db)
            Ad, _ = flow(self.kind, self.gamma, (K - prev) * hs)
            M = Ad @ M + self.noise(base + prev * m, base + K * m)
            Z = Ah @ Z + np.outer(Gh, b0) + M + corr
        return Z

    def rlmc(self, x, v, m, h, fractions, n_steps):
        """RLMC with the given u per step (fractions of the step, on the path's dyadic grid)."""
        Z = self._state(x, v)
        Ah, _ = flow(self.kind, self.gamma, h)
        for t in range(n_steps):
            u = fractions[t]
            b0 = -self.grad(Z[0])
            a, mid, e = t * m, t * m + u * m, (t + 1) * m
            W1, W2 = self.noise(a, mid), self.noise(mid, e)
            Au, Gu = flow(self.kind, self.gamma, u * h)
            Zhat = Au @ Z + np.outer(Gu, b0) + W1
            bm = -self.grad(Zhat[0])
            Ar, _ = flow(self.kind, self.gamma, (1 - u) * h)
            Bcol = Ar[:, 0] if self.s == 1 else Ar[:, 1]  # the drift's direction: U (s=1), V
            Z = Ah @ Z + h * np.outer(Bcol, bm) + Ar @ W1 + W2
        return Z


def plmc_selections(draws, K, option, n_steps):
    """Midpoint sets from the selection stream's draws, as the scheme's docstring defines them.

    OPTION 1 (``draws`` are Exp(1)): one Bernoulli(1/K) process over all n_steps * K slots of
    the run, drawn as gaps: the selected slots are s_1 = G_1, s_{k+1} = s_k + 1 + G_{k+1} with
    G = floor(E / lambda), lambda = -log(1 - 1/K), a Geometric(1/K) number of failures; step t
    gets {s - t K : t K <= s < (t + 1) K}. OPTION 2 (``draws`` are uniforms): i = floor(U K).
    """
    if option == 2:
        return [{min(int(draws[t] * K), K - 1)} for t in range(n_steps)]
    # the kernel multiplies by 1/lambda (computed once per run): the same rounding here
    scale = -1.0 / math.log1p(-1.0 / K) if K > 1 else 0.0
    sels = [set() for _ in range(n_steps)]
    pos, slot = 0, -1
    while True:
        slot += 1 + int(math.floor(draws[pos] * scale))
        pos += 1
        if slot >= n_steps * K:
            return sels
        sels[slot // K].add(slot % K)
