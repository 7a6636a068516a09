"""Distances between laws, each with its own error bar (``se``) and resolution floor.

Every function returns an :class:`Estimate` ``(value, se, floor, method)``:

* W2: :func:`w2_1d` (1-D samples, or a sample against an exact law), :func:`w2_grid` (tabulated
  laws), :func:`w2_gaussian` (Bures closed form), :func:`w2_emd` (d-D exact EMD with POT, a few
  thousand points), :func:`sliced_w2` (d-D proxy).
* KL: :func:`kl_grid`, :func:`kl_gaussian`, :func:`kl_samples` (histogram in 1-D/2-D,
  Kozachenko-Leonenko kNN in higher d).
* TV: :func:`tv_grid`, :func:`tv_hist`.

``se`` is a Monte Carlo standard error (delta method); ``floor`` the RMS value of the
estimator on identical laws at the same sample size (its bias floor for W2 and TV, its null
spread for the bias-corrected KL). The formulas are in each module's docstring; symmetrisation
(x u -x) is available where the problem is symmetric.
"""
from ._common import symmetrise
from .estimate import Estimate
from .kl import kl_gaussian, kl_grid, kl_samples
from .tv import tv_grid, tv_hist
from .w2 import sliced_w2, w2_1d, w2_emd, w2_floor_1d, w2_gaussian, w2_grid

__all__ = [
           "Estimate",
           "kl_gaussian",
           "kl_grid",
           "kl_samples",
           "sliced_w2",
           "symmetrise",
           "tv_grid",
           "tv_hist",
           "w2_1d",
           "w2_emd",
           "w2_floor_1d",
           "w2_gaussian",
           "w2_grid",
]
