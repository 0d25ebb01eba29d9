"""Siting problems built, solved and read like spopt's: MCLP and LSCP on a coverage matrix.

**MCLP** (maximal covering, Church & ReVelle 1974): open ``N`` new sites to maximise the
weight (residents, m² of land) newly covered. **LSCP** (set covering, Toregas et al. 1971):
the fewest new sites that cover every coverable demand point (or, with ``target_share < 1``,
enough weight to reach the target share). Existing facilities stay open: the demand they
already cover is fixed.

``method="exact"`` solves integer programs (spopt / PuLP + CBC, see :mod:`geo.siting.solvers`);
``"greedy"`` opens the site with the largest marginal gain each time, with the classical
guarantees:

- greedy MCLP covers at least ``1 - (1 - 1/N)^N`` (>= 1 - 1/e ~ 0.632) of the optimal newly
  covered weight (Nemhauser, Wolsey & Fisher 1978);
- greedy LSCP uses at most ``H(d) = 1 + 1/2 + ... + 1/d`` (<= ln d + 1) times the optimal
  number of sites, ``d`` being the most demand groups one candidate covers (Chvátal 1979).

When the LP relaxation is cheap (``lp_max_nonzeros``) it is solved with HiGHS
(:func:`scipy.optimize.linprog`) and the *actual* gap to its bound is reported as well.
``"auto"`` is exact when the presolved model has at most ``exact_max_cells`` cells
(spopt builds dense matrices) and greedy otherwise. Presolve (:mod:`geo.siting.presolve`)
is on by default and does not change the optimum.

All times are minutes; weights are whatever the caller passes (e.g. residents, m²).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from ..errors import InputError
from .matrix import CoverageMatrix
from .presolve import Reduced, reduce_model
from .solvers import (
    EXACT_MAX_CELLS,
    LP_MAX_NONZEROS,
    TIME_LIMIT_S,
    Solved,
    dense_cost,
    exact_lscp,
    exact_mclp,
    exact_partial_cover,
    full_lscp,
    full_mclp,
    greedy,
    have_spopt,
    lp_cover,
    lp_mclp,
)

Method = Literal["auto", "exact", "greedy"]

_GREEDY = "greedy marginal gain (lazy updates)"


@dataclasses.dataclass(frozen=True)
class Bound:
    """How far a solution can be from the optimum.

    Attributes
    ----------
    kind
        ``"optimal"`` (proven by the solver), ``"greedy MCLP"`` (a priori ratio
        ``1-(1-1/N)^N``), ``"greedy LSCP"`` (a priori factor ``H(d)``), ``"none"``.
    ratio
        MCLP: the solution's gain is at least ``ratio`` x the optimal gain. LSCP: the
        solution uses at most ``ratio`` x the optimal number of sites.
    lp_bound
        LP-relaxation bound (MCLP: upper bound on the gain, weight; LSCP: lower bound on
        the number of new sites), or None when not computed.
    gap
        Actual relative gap to ``lp_bound``: MCLP ``1 - gain / lp_bound``; LSCP
        ``n_sites / ceil(lp_bound) - 1``. None without an LP bound.
    """

    kind: str
    ratio: float
    lp_bound: float | None = None
    gap: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ratio": _r(self.ratio), "lp_bound": _r(self.lp_bound), "gap": _r(self.gap)}


def _r(x: float | None, nd: int = 6) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


@dataclasses.dataclass
class SitingResult:
    """A solved siting problem, spopt style: what was built, how it was solved, the results.

    Attributes
    ----------
    problem
        ``"MCLP"`` or ``"LSCP"``.
    method
        ``"exact"`` or ``"greedy"`` (what was actually used).
    solver
        E.g. ``"spopt MCLP + PuLP CBC"`` or ``"greedy marginal gain"``.
    status
        ``"optimal"``, ``"time limit: best solution found"``, ``"greedy"``...
    optimal
        True when the solver proved optimality.
    n_requested
        MCLP: the ``N`` asked for; LSCP: None.
    sites
        Chosen candidate positions (rows of the coverage matrix), in order of marginal gain.
    gain
        Objective weight newly covered by each site, in that order (each demand point is
        credited to the first site in the order that covers it).
    gain_points
        Demand points newly covered by each site.
    covered_by_site
        Per demand point: position in ``sites`` of the site credited with covering it,
        -1 when covered before or not covered.
    covered_before, covered_after
        Boolean per demand point.
    weights
        Objective weight per demand point.
    target_share
        LSCP: share of the total weight to reach (1.0 = all coverable demand).
    target_reached
        LSCP: whether the share after reaches ``target_share``; MCLP: None.
    bound
        Optimality guarantee, see :class:`Bound`.
    greedy_gain
        MCLP solved exactly: what greedy would have gained, for comparison (weight).
    solve_time_s
        Wall time of presolve + solve, seconds (not the coverage matrix, nor importing spopt).
    model
        Sizes: demand points, groups and candidates before/after presolve, model cells.
    notes
        Plain-language remarks (fallbacks, sites that would add nothing...).
    solver_warnings
        What the solver libraries (spopt, PuLP) warned about while building and solving the
        model, each distinct message once with its count; empty for greedy.
    """

    problem: str
    method: str
    solver: str
    status: str
    optimal: bool
    n_requested: int | None
    sites: np.ndarray
    gain: np.ndarray
    gain_points: np.ndarray
    covered_by_site: np.ndarray
    covered_before: np.ndarray
    covered_after: np.ndarray
    weights: np.ndarray
    target_share: float | None
    target_reached: bool | None
    bound: Bound
    greedy_gain: float | None
    solve_time_s: float
    model: dict[str, int]
    notes: list[str]
    solver_warnings: list[str] = dataclasses.field(default_factory=list)

    @property
    def weight_total(self) -> float:
        """Total objective weight of the demand points."""
        return float(self.weights.sum())

    @property
    def share_before(self) -> float:
        """Weighted share of demand covered by existing facilities."""
        return _share(self.weights, self.covered_before)

    @property
    def share_after(self) -> float:
        """Weighted share of demand covered with the new sites open."""
        return _share(self.weights, self.covered_after)

    def gains(self, weights: np.ndarray) -> np.ndarray:
        """Newly covered ``weights`` (any per-demand measure) per site, in site order."""
        w = np.asarray(weights, dtype=float)
        k = self.covered_by_site >= 0
        return np.bincount(self.covered_by_site[k], weights=np.nan_to_num(w[k]), minlength=len(self.sites))

    def summary(self) -> dict[str, Any]:
        """JSON-ready key figures."""
        return {
            "problem": self.problem, "method": self.method, "solver": self.solver, "status": self.status,
            "optimal": self.optimal, "n_requested": self.n_requested, "n_sites": len(self.sites),
            "objective_gain": round(float(self.gain.sum()), 6),
            "share_before": round(self.share_before, 6), "share_after": round(self.share_after, 6),
            "target_share": self.target_share, "target_reached": self.target_reached,
            "bound": self.bound.to_dict(), "greedy_gain": _r(self.greedy_gain),
            "solve_time_s": round(self.solve_time_s, 3), "model": self.model, "notes": list(self.notes),
            "solver_warnings": list(self.solver_warnings),
        }


def _share(w: np.ndarray, mask: np.ndarray) -> float:
    tot = float(np.nansum(w))
    return float(np.nansum(np.where(mask, w, 0.0)) / tot) if tot > 0 else 0.0


def harmonic(d: int) -> float:
    """H(d) = 1 + 1/2 + ... + 1/d (0 for d = 0): the greedy set-cover factor."""
    return float(np.sum(1.0 / np.arange(1, d + 1))) if d > 0 else 0.0


def greedy_mclp_ratio(n: int) -> float:
    """Guaranteed fraction of the optimal gain for greedy with ``n`` sites: 1 - (1 - 1/n)^n."""
    return 1.0 - (1.0 - 1.0 / n) ** n if n > 0 else 1.0



# ---------------------------------------------------------------------------- reading a solution
def _order_by_gain(
    a: sp.csr_matrix, sites: Sequence[int] | np.ndarray, covered_before: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Order chosen sites greedily by marginal gain on the FULL matrix; drop those adding nothing.

    A site whose newly covered weight is zero once the sites before it are open is dropped
    (spare MCLP sites, or a greedy cover's redundant site): same coverage, fewer sites.
    Returns (sites, gain, gain_points, covered_by_site, covered_after).
    """
    covered = covered_before.copy()
    by = np.full(len(covered), -1, dtype=np.int64)
    left = [int(s) for s in sites]
    order: list[int] = []
    gains: list[float] = []
    pts: list[int] = []
    wz = np.nan_to_num(np.asarray(w, dtype=float))
    tol = 1e-12 * max(1.0, float(wz.sum()))
    while left:
        best, best_key, best_new = -1, (-math.inf, 0, 0), np.zeros(0, np.int64)
        for s in left:
            cols = a.indices[a.indptr[s]:a.indptr[s + 1]]
            new = cols[~covered[cols]]
            key = (float(wz[new].sum()), len(new), -s)
            if best < 0 or key > best_key:
                best, best_key, best_new = s, key, new
        left.remove(best)
        if best_key[0] <= tol:
            continue
        by[best_new] = len(order)
        covered[best_new] = True
        order.append(best)
        gains.append(best_key[0])
        pts.append(best_key[1])
    return (np.array(order, dtype=np.int64), np.array(gains, dtype=float), np.array(pts, dtype=np.int64), by, covered)


# ---------------------------------------------------------------------------- building a problem
def _check_common(cover: CoverageMatrix, weights: np.ndarray | None, method: str) -> np.ndarray:
    if method not in ("auto", "exact", "greedy"):
        raise InputError(f"method must be 'auto', 'exact' or 'greedy', got {method!r}", option="method")
    w = np.ones(cover.n_demand) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (cover.n_demand,):
        raise InputError(f"weights have {w.shape[0] if w.ndim else 1} values for {cover.n_demand} demand points")
    w = np.nan_to_num(w, nan=0.0)
    if (w < 0).any():
        raise InputError("demand weights must be >= 0 (residents, m² of land...)")
    return w


def _pick_method(method: str, cells: int, exact_max_cells: int, notes: list[str]) -> str:
    if method == "greedy":
        return "greedy"
    if not have_spopt():  # pragma: no cover - depends on the install
        if method == "exact":
            raise InputError("the exact solver needs the Python packages spopt and pulp: pip install spopt pulp",
                             option="method")
        notes.append("spopt/pulp not installed (pip install spopt pulp): greedy used")
        return "greedy"
    if method == "exact":
        return "exact"
    if cells > exact_max_cells:
        notes.append(f"model of {cells:,} cells (demand groups x candidates) "
                     f"exceeds exact_max_cells={exact_max_cells:,}: greedy used")
        return "greedy"
    return "exact"


def _model_sizes(cover: CoverageMatrix, red: Reduced) -> dict[str, int]:
    """Sizes of the model before and after presolve (demand points, groups, candidates, cells)."""
    n_c, n_g = red.a.shape
    return {"demand_points": cover.n_demand, "candidates": cover.n_candidates, "demand_groups": n_g,
            "candidates_kept": n_c, "cells": int(n_g * n_c), "nonzeros": int(red.a.nnz)}


@dataclasses.dataclass
class _Choice:
    """Sites chosen by a solver, before they are ordered by gain (original candidate positions)."""

    sites: np.ndarray
    method: str
    solver: str
    status: str
    optimal: bool


def _greedy_choice(red: Reduced, sel: Sequence[int]) -> _Choice:
    return _Choice(red.cand[np.array(sel, dtype=np.int64)], "greedy", _GREEDY, "greedy", False)


def _from_exact(res: Solved, solver: str, positions: np.ndarray | None, notes: list[str],
                messages: list[str]) -> _Choice | None:
    """The exact solver's sites (``positions[x]``, or ``x``'s own positions), or None with a note."""
    messages.extend(res.messages)
    if res.x is None:
        notes.append(f"CBC found no solution ({res.status}): greedy used")
        return None
    sites = positions[res.x] if positions is not None else np.flatnonzero(res.x)
    return _Choice(sites, "exact", solver, res.status, res.optimal)


def _result(problem: str, choice: _Choice, cover: CoverageMatrix, w: np.ndarray, *, bound: Bound,
            **fields: Any) -> SitingResult:
    sites, gain, pts, by, after = _order_by_gain(cover.a, choice.sites, cover.covered_before, w)
    return SitingResult(
        problem=problem, method=choice.method, solver=choice.solver, status=choice.status, optimal=choice.optimal,
        sites=sites, gain=gain, gain_points=pts, covered_by_site=by, covered_before=cover.covered_before.copy(),
        covered_after=after, weights=w, bound=bound, **fields,
    )


# ---------------------------------------------------------------------------- MCLP
def mclp(
    cover: CoverageMatrix,
    weights: np.ndarray | None,
    n_new: int,
    *,
    method: Method = "auto",
    exact_max_cells: int = EXACT_MAX_CELLS,
    time_limit_s: float = TIME_LIMIT_S,
    lp_max_nonzeros: int = LP_MAX_NONZEROS,
    presolve: bool = True,
) -> SitingResult:
    """Maximal covering: open ``n_new`` new sites to cover the most demand weight.

    Parameters
    ----------
    cover
        Coverage matrix (candidates x demand) with the demand already covered (fixed).
    weights
        Weight per demand point (residents, m² of land...); None = 1 per point.
    n_new
        Number of new sites, >= 1. Fewer are returned when the rest would add nothing.
    method
        ``"exact"`` (spopt MCLP + CBC), ``"greedy"``, or ``"auto"`` (exact up to
        ``exact_max_cells`` model cells).
    exact_max_cells
        Largest presolved model (demand groups x candidates) solved exactly by ``"auto"``.
    time_limit_s
        CBC time limit, seconds; at the limit the best solution found is kept (status
        says so) and, if there is none, greedy is used.
    lp_max_nonzeros
        Solve the LP relaxation (for the greedy gap) when the model has at most this many
        nonzeros.
    presolve
        Reduce the model first (see :mod:`geo.siting.presolve`). ``False`` builds spopt's
        model on every demand point, with the existing coverage as one
        ``predefined_facilities_arr`` column (for checking; same optimum, slower).

    Returns
    -------
    SitingResult
        ``problem="MCLP"``; sites in order of marginal gain.
    """
    w = _check_common(cover, weights, method)
    if not isinstance(n_new, (int, np.integer)) or n_new < 1:
        raise InputError(f"the number of new sites must be an integer >= 1, got {n_new!r}", option="n_new")
    n_new = int(n_new)
    if method != "greedy":
        have_spopt()  # import spopt/PuLP before the clock starts (about 1.5 s the first time)
    t0 = time.perf_counter()
    notes: list[str] = []
    messages: list[str] = []
    red = reduce_model(cover.a, w, ~cover.covered_before & (w > 0))
    n_c, n_g = red.a.shape
    used = _pick_method(method, n_g * n_c, exact_max_cells, notes)
    greedy_sel = greedy(red.a, red.w, n_max=n_new)
    greedy_gain = float(red.w[np.unique(red.a[greedy_sel].indices)].sum()) if greedy_sel else 0.0
    choice = None
    if used == "exact":
        if not presolve:
            choice = _from_exact(full_mclp(cover, w, n_new, time_limit_s), "spopt MCLP + PuLP CBC", None, notes,
                                 messages)
        elif n_c == 0:
            choice = _Choice(red.cand[np.zeros(0, bool)], "exact", "spopt MCLP + PuLP CBC", "optimal", True)
        else:
            res = exact_mclp(dense_cost(red.a), red.w, min(n_new, n_c), None, time_limit_s)
            choice = _from_exact(res, "spopt MCLP + PuLP CBC", red.cand, notes, messages)
    if choice is None:
        choice = _greedy_choice(red, greedy_sel)
    out = _result("MCLP", choice, cover, w, bound=Bound("none", 0.0), n_requested=n_new, target_share=None,
                  target_reached=None, greedy_gain=greedy_gain if choice.method == "exact" else None,
                  solve_time_s=0.0, model=_model_sizes(cover, red), notes=notes, solver_warnings=messages)
    if len(out.sites) < n_new:
        notes.append(f"{n_new} sites requested, {len(out.sites)} proposed: more would cover no further demand")
    out.bound = _mclp_bound(out, red, n_new, lp_max_nonzeros)
    out.solve_time_s = time.perf_counter() - t0
    return out


def _mclp_bound(out: SitingResult, red: Reduced, n_new: int, lp_max_nonzeros: int) -> Bound:
    """Optimal, or the greedy ratio and the gap to the LP bound (when the LP is small enough)."""
    got = float(out.gain.sum())
    if out.optimal:
        return Bound("optimal", 1.0, got, 0.0)
    lp = lp_mclp(red.a, red.w, n_new) if red.a.nnz + red.a.shape[1] <= lp_max_nonzeros else None
    gap = None if lp is None else (max(0.0, 1.0 - got / lp) if lp > 0 else 0.0)
    is_greedy = out.method == "greedy"
    return Bound("greedy MCLP" if is_greedy else "none", greedy_mclp_ratio(n_new) if is_greedy else 0.0, lp, gap)


# ---------------------------------------------------------------------------- LSCP
def lscp(
    cover: CoverageMatrix,
    weights: np.ndarray | None = None,
    *,
    target_share: float = 1.0,
    method: Method = "auto",
    exact_max_cells: int = EXACT_MAX_CELLS,
    time_limit_s: float = TIME_LIMIT_S,
    lp_max_nonzeros: int = LP_MAX_NONZEROS,
    presolve: bool = True,
) -> SitingResult:
    """Set covering: the fewest new sites that reach ``target_share`` of the demand weight.

    Parameters
    ----------
    cover
        Coverage matrix with the demand already covered (fixed).
    weights
        Weight per demand point (residents, m² of land...); None = 1 per point. Demand of
        zero weight never needs covering.
    target_share
        Share (0-1] of the TOTAL weight to cover, existing coverage included. 1.0 covers
        every coverable demand point (spopt LSCP). Below 1, a partial set cover (PuLP
        model). When the target is out of reach (demand no candidate reaches), every
        coverable point is covered and ``target_reached`` is False.
    method, exact_max_cells, time_limit_s, lp_max_nonzeros, presolve
        As in :func:`mclp`. Greedy opens the site covering the most uncovered demand
        *groups* (weight breaks ties) for a full cover, the most weight for a partial one.

    Returns
    -------
    SitingResult
        ``problem="LSCP"``; sites in order of marginal gain.
    """
    w = _check_common(cover, weights, method)
    if not (0 < target_share <= 1):
        raise InputError(f"target share must be in (0, 1], got {target_share!r}", option="target_share")
    if method != "greedy":
        have_spopt()
    t0 = time.perf_counter()
    notes: list[str] = []
    messages: list[str] = []
    coverable_new = ~cover.covered_before & cover.reachable & (w > 0)
    need, full, met = _lscp_target(cover, w, coverable_new, target_share, notes)
    red = reduce_model(cover.a, w, coverable_new)
    if met or red.a.shape[1] == 0:
        choice = _Choice(np.zeros(0, np.int64), "exact", "none needed", "optimal", True)
        notes.append("the target is already met by existing facilities" if met
                     else "nothing left that a candidate can cover")
    else:
        choice = _solve_lscp(cover, w, red, need=need, full=full, presolve=presolve, time_limit_s=time_limit_s,
                             method=_pick_method(method, red.a.shape[0] * red.a.shape[1], exact_max_cells, notes),
                             notes=notes, messages=messages)
    out = _result("LSCP", choice, cover, w, bound=Bound("none", float("nan")), n_requested=None,
                  target_share=float(target_share), target_reached=None, greedy_gain=None, solve_time_s=0.0,
                  model=_model_sizes(cover, red), notes=notes, solver_warnings=messages)
    out.target_reached = bool(out.share_after >= target_share - 1e-9)
    out.bound = _lscp_bound(out, red, None if full else need, lp_max_nonzeros=lp_max_nonzeros, full=full)
    out.solve_time_s = time.perf_counter() - t0
    return out


def _lscp_target(
    cover: CoverageMatrix, w: np.ndarray, coverable_new: np.ndarray, target_share: float, notes: list[str]
) -> tuple[float, bool, bool]:
    """(weight still needed, full cover?, target already met?); notes a target out of reach."""
    total = float(w.sum())
    before = float(w[cover.covered_before].sum())
    reach_w = before + float(w[coverable_new].sum())
    need = target_share * total - before
    tol = 1e-9 * max(total, 1.0)
    met = need <= tol
    full = (target_share >= 1.0 or need >= reach_w - before - tol) and not met
    if target_share * total > reach_w + tol:
        notes.append(
            f"target share {target_share:.1%} is out of reach: no candidate reaches "
            f"{(total - reach_w) / total:.1%} of the demand weight; every coverable point is covered"
        )
    return need, full, met


def _solve_lscp(
    cover: CoverageMatrix, w: np.ndarray, red: Reduced, *, need: float, full: bool, presolve: bool,
    time_limit_s: float, method: str, notes: list[str], messages: list[str],
) -> _Choice:
    """Exact (spopt LSCP, or our PuLP partial cover) with greedy as the fallback, or greedy."""
    choice = None
    if method == "exact":
        if full and presolve:
            res = exact_lscp(dense_cost(red.a), None, time_limit_s)
            choice = _from_exact(res, "spopt LSCP + PuLP CBC", red.cand, notes, messages)
        elif full:
            choice = _from_exact(full_lscp(cover, w, time_limit_s), "spopt LSCP + PuLP CBC", None, notes, messages)
        else:
            res = exact_partial_cover(red.a, red.w, need, time_limit_s)
            choice = _from_exact(res, "PuLP CBC partial set cover", red.cand, notes, messages)
    if choice is not None:
        return choice
    n_g = red.a.shape[1]
    sel = (greedy(red.a, red.w, n_max=None, need=np.ones(n_g), by_count=True) if full
           else greedy(red.a, red.w, n_max=None, stop_weight=need))
    return _greedy_choice(red, sel)


def _lscp_bound(out: SitingResult, red: Reduced, need: float | None, *, lp_max_nonzeros: int, full: bool) -> Bound:
    """Optimal, or the greedy factor H(d) and the gap to the LP bound (when the LP is small enough)."""
    n_sites = len(out.sites)
    if out.optimal:
        return Bound("optimal", 1.0, float(n_sites), 0.0)
    n_c, n_g = red.a.shape
    lp = lp_cover(red.a, red.w, need) if red.a.nnz + n_g <= lp_max_nonzeros else None
    lb = None if lp is None else max(1, math.ceil(lp - 1e-6))
    gap = None if lb is None else n_sites / lb - 1.0
    if out.method == "greedy" and full:
        d = int(np.diff(red.a.indptr).max()) if n_c else 0
        return Bound("greedy LSCP", harmonic(d), lp, gap)
    if out.method == "greedy":
        out.notes.append("greedy partial cover has no a priori bound here; see the LP gap")
    return Bound("none", float("nan"), lp, gap)
