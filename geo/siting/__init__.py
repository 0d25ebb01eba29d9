"""Facility siting on the street network: maximal covering (MCLP), set covering (LSCP), 2SFCA.

Demand points (homes, residential grid cells) are *covered* by a site when the walk from the
point to the site takes at most a cutoff (minutes, on the :class:`~geo.engine.TravelTimeEngine`).
Existing facilities stay open: the demand they already cover is fixed as covered, and new
sites are chosen among candidates to cover what is left.

Modules, in the order of use (spopt style: build a problem, solve it, read the result):

- :mod:`geo.siting.matrix`: :func:`coverage_matrix` (candidates x demand within a cutoff) and
  :func:`candidate_sites` (places on the network that can reach the demand);
- :mod:`geo.siting.presolve`: smaller model, same optimum;
- :mod:`geo.siting.solvers`: exact (spopt / PuLP + CBC; ``pip install spopt pulp``), greedy
  and LP bounds;
- :mod:`geo.siting.problems`: :func:`mclp` and :func:`lscp`, returning a :class:`SitingResult`
  with the sites, the gains, the optimality :class:`Bound` and the diagnostics (``notes``,
  ``solver_warnings``) as data;
- :mod:`geo.siting.fca`: two-step floating catchment access (:func:`two_step_fca`).
"""

from __future__ import annotations

from .fca import FcaResult, two_step_fca, two_step_fca_pairs
from .matrix import CoverageMatrix, candidate_sites, coverage_matrix
from .presolve import DOMINANCE_MAX_CANDIDATES
from .problems import (
    Bound,
    Method,
    SitingResult,
    greedy_mclp_ratio,
    harmonic,
    lscp,
    mclp,
)
from .solvers import EXACT_MAX_CELLS, LP_MAX_NONZEROS, TIME_LIMIT_S

__all__ = [
    "DOMINANCE_MAX_CANDIDATES", "EXACT_MAX_CELLS", "LP_MAX_NONZEROS", "TIME_LIMIT_S", "Bound", "CoverageMatrix",
    "FcaResult", "Method", "SitingResult", "candidate_sites", "coverage_matrix", "greedy_mclp_ratio", "harmonic",
    "lscp", "mclp", "two_step_fca", "two_step_fca_pairs",
]
