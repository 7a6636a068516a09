"""``python -m langevin_theory.theory``: print the derived rates and the complexity table.

Sections (select with flags; default: all but ``--prove``):

``--bias``        leading stationary-variance bias orders on N(0, σ²) (LMC, ULMC, RLMC, PLMC);
``--complexity``  the complexity table of notes 4.6 derived from the bounds (paper Table 1);
``--bounds``      Theorems 1-3 as expressions, Eq. (40) re-derived;
``--kl``          the Gaussian perturbation KLs of paper Section 2.1;
``--prove``       run the symbolic proofs of the identities and report each (a few seconds).
"""
from __future__ import annotations

import argparse
import sys


def _parser():
    p = argparse.ArgumentParser(
        prog="langevin-theory theory",
        description="Symbolic theory of the Poisson Midpoint Method (Kandasamy & Nagaraj, "
                    "NeurIPS 2024): derived bias orders, bounds and the complexity table.")
    for flag, text in [("--bias", "leading bias orders on Gaussian targets"),
                       ("--complexity", "the complexity table (notes 4.6)"),
                       ("--bounds", "Theorems 1-3 and Eq. (40)"),
                       ("--kl", "Gaussian perturbation KL expansions"),
                       ("--prove", "run the symbolic identity proofs")]:
        p.add_argument(flag, action="store_true", help=text)
    return p


def _section(title, out):
    out.write(f"\n== {title} ==\n")


def _print_kl(out):
    from .identities import kl_perturbation_series

    kl = kl_perturbation_series()
    _section("Gaussian perturbation KL (paper Sec. 2.1)", out)
    out.write(f"KL(N(eps,1) || N(0,1))     = {kl['shift']}   (Theta(eps^2): biased error, LMC)\n")
    out.write(f"KL(N(0,1+eps^2) || N(0,1)) = {kl['inflate']}\n"
              f"                           = {kl['inflate_series']}   (Theta(eps^4): "
              "mean-zero error, PLMC/RLMC)\n")


def _print_bias(out):
    from .gaussian_bias import bias_series, bias_table

    _section("Stationary variance bias on N(0, sigma2): v/sigma2 - 1 = c * alpha^p + ...", out)
    out.write("alpha = (coarse) step, K = substeps, gamma = friction; the W2 bias |sqrt(v) - "
              "sigma| has the same order p\n")
    out.write(f"{'scheme':<8}{'regime':<16}{'order p':<9}leading coefficient c\n")
    for scheme, regime, p, c in bias_table():
        out.write(f"{scheme:<8}{regime:<16}{p:<9}{c}\n")
    out.write(f"PLMC1 series at K = 1/(alpha L): {bias_series('PLMC1', 'K=1/(alpha*L)', 4)}\n")
    out.write(f"PLMC2 series at K = 1/(alpha L): {bias_series('PLMC2', 'K=1/(alpha*L)', 4)}\n")
    import math

    from .gaussian_bias import stationary_variance

    def slope(option, K1, K2):
        b = [stationary_variance("PLMC", a, 1.0, K=k, option=option, friction=2.0) - 1.0
             for a, k in ((0.025, K1), (0.0125, K2))]
        return math.log2(b[0] / b[1])
    out.write("Underdamped PLMC (gamma = 2, sigma2 = 1; exact Lyapunov solution, numeric local "
              "order at alpha = 0.025 -> 0.0125):\n")
    for option in (1, 2):
        out.write(f"    option {option}: fixed K = 4: {slope(option, 4, 4):.3f};  "
                  f"K = ceil(1/alpha): {slope(option, 40, 80):.3f}\n")


def _print_bounds(out):
    from . import bounds as B

    _section("Bounds (notes 4.1-4.4)", out)
    out.write(f"Theorem 1 RHS: {B.theorem1_rhs()}\n")
    out.write(f"Theorem 2 leading: {B.theorem2_leading()}\n")
    out.write("Theorem 2, Eq. (40) re-derived from Theorem 1 + App. E lemmas (r = 7), "
              "dominated terms pruned:\n")
    for tm in B.theorem2_terms_derived():
        out.write(f"    {tm}\n")
    out.write(f"Theorem 3 leading: {B.theorem3_leading()}\n")
    out.write(f"Theorem 3 with the legible Eq. (60) terms: {B.theorem3_bound()}\n")


def _print_complexity(out):
    from .complexity import format_table

    _section("Complexity (notes 4.6 / paper Table 1), derived", out)
    out.write(format_table() + "\n")


def _prove(out):
    from . import identities as I

    _section("Symbolic proofs", out)
    results = []
    for dyn in ("overdamped", "underdamped"):
        for name, res in I.scaling_relation_residuals(dyn).items():
            results.append((f"scaling relation {name} ({dyn}, symbolic h, n, gamma)",
                            I.is_zero(res)))
        for name, res in I.semigroup_residuals(dyn).items():
            results.append((f"semigroup {name} ({dyn}, symbolic s, t)", I.is_zero(res)))
    for dyn, kmax in (("overdamped", 4), ("underdamped", 3)):
        ok = all(I.is_zero(I.one_step_residual(dyn, k, H))
                 for k in range(1, kmax + 1) for H in I.all_midpoint_sets(k))
        results.append((f"Steps 1-5 == recursion (8) ({dyn}, K <= {kmax}, all H)", ok))
        ok = all(I.is_zero(I.conditional_mean_residual(dyn, k)) for k in range(1, kmax + 1))
        results.append((f"E_H[one step] == interpolated fine mean ({dyn}, K <= {kmax})", ok))
    for name, res in I.unbiasedness_residuals().items():
        results.append((f"unbiasedness {name} (symbolic K)", I.is_zero(res)))
    results.append(("ULMC correction vector (notes 2.4)",
                    I.is_zero(I.underdamped_correction_residual())))
    for text, ok in results:
        out.write(f"[{'ok' if ok else 'FAILED'}] {text}\n")
    return all(ok for _, ok in results)


def main(argv=None):
    """Entry point of ``python -m langevin_theory.theory`` and ``langevin-theory theory``.

    Parameters
    ----------
    argv : list of str, optional
        Arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 if ``--prove`` found a failing identity.
    """
    args = _parser().parse_args(argv)
    out = sys.stdout
    chosen = [args.bias, args.complexity, args.bounds, args.kl, args.prove]
    if not any(chosen):
        args.bias = args.complexity = args.bounds = args.kl = True
    out.write("Poisson Midpoint Method (Kandasamy & Nagaraj, NeurIPS 2024): symbolic theory\n")
    if args.kl:
        _print_kl(out)
    if args.bias:
        _print_bias(out)
    if args.bounds:
        _print_bounds(out)
    if args.complexity:
        _print_complexity(out)
    status = 0
    if args.prove and not _prove(out):
        status = 1
    out.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
