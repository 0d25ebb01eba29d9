"""Facility siting on the street network: maximal covering (MCLP), set covering (LSCP), 2SFCA.

Demand points (homes, residential grid cells) are *covered* by a site when the walk from the
point to the site takes at most a cutoff (minutes, on the :class:`~geo.engine.TravelTimeEngine`).
Existing facilities stay open: the demand they already cover is fixed as covered, and new
sites are chosen among candidates to cover what is left.

Problems
--------
**MCLP** (maximal covering, Church & ReVelle 1974): open ``N`` new sites to maximise the
weight (residents, m² of land) newly covered. **LSCP** (set covering, Toregas et al. 1971):
the fewest new sites that cover every coverable demand point (or, with ``target_share < 1``,
enough weight to reach the target share).

Methods
-------
``"exact"``: integer programs built with PySAL spopt (``MCLP.from_cost_matrix`` /
``LSCP.from_cost_matrix``, existing coverage as a ``predefined_facilities_arr`` column when
presolve is off) and solved by CBC through PuLP with a time limit; the partial-cover variant
of LSCP is a small PuLP model of our own. ``"greedy"``: repeatedly open the site with the
largest marginal gain, with the classical guarantees:

- greedy MCLP covers at least ``1 - (1 - 1/N)^N`` (>= 1 - 1/e ~ 0.632) of the optimal newly
  covered weight (Nemhauser, Wolsey & Fisher 1978);
- greedy LSCP uses at most ``H(d) = 1 + 1/2 + ... + 1/d`` (<= ln d + 1) times the optimal
  number of sites, ``d`` being the most demand groups one candidate covers (Chvátal 1979).

When the LP relaxation is cheap (``lp_max_nonzeros``) it is solved with HiGHS
(:func:`scipy.optimize.linprog`) and the *actual* gap to its bound is reported as well.
``"auto"`` is exact when the presolved model has at most ``exact_max_cells`` cells
(spopt builds dense matrices) and greedy otherwise.

Presolve (on by default, exact in both methods): demand already covered, demand no
candidate reaches and zero-weight demand are removed; demand points with the same set of
candidates are merged into one weighted group; candidates covering nothing, and candidates
whose groups are a subset of another candidate's, are dropped. None of this changes the
optimum.

All times are minutes; weights are whatever the caller passes (e.g. residents, m²).
"""

from __future__ import annotations

import dataclasses
import math
import time
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ._errors import InputError
from .engine import Catchments, Direction, TravelTimeEngine
from .snapping import SnappedPoints

Method = Literal["auto", "exact", "greedy"]

#: Largest presolved model (demand groups x candidates) solved exactly by default, cells.
#: spopt builds dense matrices in Python: about 3 s per 250,000 cells (plus CBC's solve); the
#: whole of Liechtenstein's clinic set cover (512,000 cells) builds and solves in about 7 s.
EXACT_MAX_CELLS = 1_000_000
#: Largest presolved model whose LP relaxation is solved to bound the greedy gap, nonzeros.
LP_MAX_NONZEROS = 2_000_000
#: CBC time limit, seconds.
TIME_LIMIT_S = 120.0
#: Candidates above which the subset (dominance) test of presolve is skipped.
DOMINANCE_MAX_CANDIDATES = 5_000


# ---------------------------------------------------------------------------- coverage matrix
@dataclasses.dataclass(frozen=True)
class CoverageMatrix:
    """Which demand points each candidate site covers, plus what existing facilities cover.

    Attributes
    ----------
    a
        Sparse boolean matrix, candidates x demand points: ``a[j, i]`` is True when demand
        point ``i`` reaches candidate ``j`` within ``cutoff_min``.
    covered_before
        Boolean per demand point: already covered by an existing facility (fixed).
    cutoff_min
        The coverage cutoff, minutes (``nan`` for hand-made matrices).
    minutes
        Long table of the pairs: ``candidate``, ``demand``, ``minutes`` (empty for
        hand-made matrices).
    """

    a: sp.csr_matrix
    covered_before: np.ndarray
    cutoff_min: float = float("nan")
    minutes: pd.DataFrame | None = None

    @property
    def n_candidates(self) -> int:
        return int(self.a.shape[0])

    @property
    def n_demand(self) -> int:
        return int(self.a.shape[1])

    @property
    def reachable(self) -> np.ndarray:
        """Boolean per demand point: some candidate covers it."""
        return np.asarray(self.a.sum(axis=0)).ravel() > 0

    @property
    def coverable(self) -> np.ndarray:
        """Boolean per demand point: covered before, or reachable by a candidate."""
        return self.covered_before | self.reachable

    @classmethod
    def from_sets(
        cls, sets: Sequence[Sequence[int]], n_demand: int, *, covered_before: Sequence[bool] | np.ndarray | None = None
    ) -> CoverageMatrix:
        """Build from explicit sets: ``sets[j]`` lists the demand points candidate ``j`` covers."""
        rows = np.concatenate([np.full(len(s), j, dtype=np.int64) for j, s in enumerate(sets)]) if sets else np.zeros(0, np.int64)
        cols = np.concatenate([np.asarray(s, dtype=np.int64) for s in sets]) if sets else np.zeros(0, np.int64)
        if len(cols) and (cols.min() < 0 or cols.max() >= n_demand):
            raise InputError(f"coverage sets name demand points outside 0..{n_demand - 1}")
        a = _bool_csr(rows, cols, (len(sets), n_demand))
        cb = np.zeros(n_demand, dtype=bool) if covered_before is None else np.asarray(covered_before, dtype=bool)
        if cb.shape != (n_demand,):
            raise InputError(f"covered_before has {cb.shape[0]} values for {n_demand} demand points")
        return cls(a=a, covered_before=cb)


def _bool_csr(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sp.csr_matrix:
    m = sp.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=shape)
    m.sum_duplicates()
    m.data[:] = True
    m.sort_indices()
    return m


def coverage_matrix(
    engine: TravelTimeEngine,
    demand: SnappedPoints,
    candidates: SnappedPoints,
    *,
    cutoff_min: float,
    existing: SnappedPoints | None = None,
    covered_before: np.ndarray | None = None,
    direction: Direction = "to_source",
) -> CoverageMatrix:
    """Sparse candidates x demand coverage within ``cutoff_min`` minutes, from the engine.

    Parameters
    ----------
    engine
        Compiled network.
    demand
        Snapped demand points; off-network ones are covered by nothing.
    candidates
        Snapped candidate sites; off-network ones cover nothing.
    cutoff_min
        Coverage cutoff, minutes (a demand point at exactly the cutoff is covered).
    existing
        Existing facilities (fixed): the demand they cover is ``covered_before``.
    covered_before
        Instead of ``existing``: the mask of demand already covered (e.g. from
        :func:`geo.coverage.minutes_by_kind`, so that it matches the coverage analysis).
    direction
        ``"to_source"`` (the resident walks to the site, default) or ``"from_source"``.

    Returns
    -------
    CoverageMatrix
        With the long ``minutes`` table of every (candidate, demand, minutes) pair.

    Notes
    -----
    One bounded Dijkstra per candidate (:meth:`TravelTimeEngine.point_catchments`), in
    blocks, so memory stays bounded for thousands of candidates.
    """
    if not np.isfinite(cutoff_min) or cutoff_min < 0:
        raise InputError(f"coverage cutoff must be a finite number of minutes >= 0, got {cutoff_min!r}")
    if existing is not None and covered_before is not None:
        raise InputError("give either existing facilities or a covered_before mask, not both")
    n = len(demand)
    if covered_before is not None:
        cb = np.asarray(covered_before, dtype=bool)
        if cb.shape != (n,):
            raise InputError(f"covered_before has {cb.shape[0]} values for {n} demand points")
    elif existing is not None and len(existing) and existing.on_network.any():
        cb = np.isfinite(engine.point_minutes(demand, existing, cutoff_min=cutoff_min, direction=direction).minutes)
    else:
        cb = np.zeros(n, dtype=bool)
    if len(candidates) and candidates.on_network.any() and demand.on_network.any():
        cat = engine.point_catchments(demand, candidates, cutoff_min=cutoff_min, direction=direction)
    else:
        cat = Catchments(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), len(candidates), float(cutoff_min))
    a = _bool_csr(cat.source, cat.node, (len(candidates), n))
    table = pd.DataFrame({"candidate": cat.source, "demand": cat.node, "minutes": cat.minutes})
    return CoverageMatrix(a=a, covered_before=cb, cutoff_min=float(cutoff_min), minutes=table)


# ---------------------------------------------------------------------------- results
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

    def to_dict(self) -> dict:
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
    model: dict
    notes: list[str]

    @property
    def weight_total(self) -> float:
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

    def summary(self) -> dict:
        """JSON-ready key figures."""
        return {
            "problem": self.problem, "method": self.method, "solver": self.solver, "status": self.status,
            "optimal": self.optimal, "n_requested": self.n_requested, "n_sites": int(len(self.sites)),
            "objective_gain": round(float(self.gain.sum()), 6),
            "share_before": round(self.share_before, 6), "share_after": round(self.share_after, 6),
            "target_share": self.target_share, "target_reached": self.target_reached,
            "bound": self.bound.to_dict(), "greedy_gain": _r(self.greedy_gain),
            "solve_time_s": round(self.solve_time_s, 3), "model": self.model, "notes": list(self.notes),
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


# ---------------------------------------------------------------------------- presolve
@dataclasses.dataclass(frozen=True)
class _Reduced:
    a: sp.csr_matrix  # kept candidates x groups (bool)
    w: np.ndarray  # weight per group
    size: np.ndarray  # demand points per group
    cand: np.ndarray  # original candidate position of each kept row
    group_of: np.ndarray  # group of each demand point, -1 when removed


def _presolve(a: sp.csr_matrix, weights: np.ndarray, active: np.ndarray, *, dominance: bool = True) -> _Reduced:
    """Reduce to active demand (mask), merge identical demand rows, drop useless candidates."""
    d = a.T.tocsr()[np.flatnonzero(active)]  # active demand x candidates
    d.sort_indices()
    has = np.diff(d.indptr) > 0
    keys: dict[bytes, int] = {}
    grp = np.full(d.shape[0], -1, dtype=np.int64)
    for i in np.flatnonzero(has):
        k = d.indices[d.indptr[i]:d.indptr[i + 1]].tobytes()
        grp[i] = keys.setdefault(k, len(keys))
    ng = len(keys)
    act = np.flatnonzero(active)
    group_of = np.full(a.shape[1], -1, dtype=np.int64)
    group_of[act] = grp
    ok = grp >= 0
    w = np.bincount(grp[ok], weights=weights[act][ok], minlength=ng)
    size = np.bincount(grp[ok], minlength=ng)
    # one representative demand row per group -> candidates x groups
    first = np.full(ng, -1, dtype=np.int64)
    idx = np.flatnonzero(ok)
    first[grp[idx[::-1]]] = idx[::-1]
    g = d[first].T.tocsr() if ng else sp.csr_matrix((a.shape[0], 0), dtype=bool)
    g = g.astype(bool)
    cand = np.flatnonzero(np.diff(g.indptr) > 0)
    g = g[cand]
    if dominance and 1 < len(cand) <= DOMINANCE_MAX_CANDIDATES:
        gi = g.astype(np.int32)
        c = (gi @ gi.T).tocoo()
        n_j = np.diff(g.indptr)
        r, k, v = c.row, c.col, c.data
        sub = (r != k) & (v == n_j[r]) & ((n_j[k] > n_j[r]) | ((n_j[k] == n_j[r]) & (k < r)))
        dominated = np.zeros(len(cand), dtype=bool)
        dominated[r[sub]] = True
        g = g[~dominated]
        cand = cand[~dominated]
    g = sp.csr_matrix(g, dtype=bool)
    g.sort_indices()
    return _Reduced(a=g, w=w, size=size, cand=cand, group_of=group_of)


# ---------------------------------------------------------------------------- greedy
def _greedy(
    g: sp.csr_matrix, w: np.ndarray, *, n_max: int | None, need: np.ndarray | None = None,
    by_count: bool = False, stop_weight: float | None = None,
) -> list[int]:
    """Greedy on a reduced matrix (candidates x groups): open the best marginal site each time.

    ``by_count``: maximise the number of ``need`` groups newly covered (set cover), weight as
    tie-break; else the weight. Stops after ``n_max`` sites, when nothing is left to gain, or
    once the covered weight reaches ``stop_weight``.
    """
    n_c, n_g = g.shape
    if n_c == 0 or n_g == 0:
        return []
    gt = g.T.tocsr()
    gf = g.astype(float)
    uncovered = np.ones(n_g, dtype=bool)
    need_f = (np.ones(n_g) if need is None else need.astype(float))
    gain_w = np.asarray(gf @ w).ravel()
    gain_c = np.asarray(gf @ need_f).ravel()
    chosen: list[int] = []
    got = 0.0
    tol_w = 1e-12 * max(1.0, float(np.abs(w).sum()))
    while n_max is None or len(chosen) < n_max:
        if by_count:
            best = gain_c.max()
            if best < 0.5:
                break
            tie = np.flatnonzero(gain_c >= best - 0.5)
            j = int(tie[np.argmax(gain_w[tie])])
        else:
            j = int(np.argmax(gain_w))
        cols = g.indices[g.indptr[j]:g.indptr[j + 1]]
        new = cols[uncovered[cols]]
        true_w = float(w[new].sum())
        if not by_count and true_w <= tol_w:
            break
        chosen.append(j)
        uncovered[new] = False
        got += true_w
        if len(new):
            sub = gt[new]  # new groups x candidates
            gain_w -= np.asarray(sub.T.astype(float) @ w[new]).ravel()
            gain_c -= np.asarray(sub.T.astype(float) @ need_f[new]).ravel()
        gain_w[j] = -np.inf
        gain_c[j] = -np.inf
        if stop_weight is not None and got >= stop_weight - tol_w:
            break
    return chosen


# ---------------------------------------------------------------------------- LP bounds
def _lp_mclp(g: sp.csr_matrix, w: np.ndarray, n: int) -> float | None:
    """Upper bound on the gain: LP relaxation of MCLP (HiGHS)."""
    from scipy.optimize import linprog

    n_c, n_g = g.shape
    if n_c == 0 or n_g == 0:
        return 0.0
    # variables [x (n_c), y (n_g)]; y_g - sum_j a_jg x_j <= 0 ; sum x = n
    a_ub = sp.hstack([-g.T.astype(float), sp.identity(n_g, format="csr")], format="csr")
    a_eq = sp.csr_matrix(np.concatenate([np.ones(n_c), np.zeros(n_g)])[None, :])
    res = linprog(np.concatenate([np.zeros(n_c), -w]), A_ub=a_ub, b_ub=np.zeros(n_g), A_eq=a_eq, b_eq=[min(n, n_c)],
                  bounds=(0, 1), method="highs")
    return float(-res.fun) if res.status == 0 else None


def _lp_cover(g: sp.csr_matrix, w: np.ndarray, need_weight: float | None) -> float | None:
    """Lower bound on the number of sites: LP relaxation of (partial) set cover (HiGHS)."""
    from scipy.optimize import linprog

    n_c, n_g = g.shape
    if n_g == 0:
        return 0.0
    if need_weight is None:  # every group: sum_j a_jg x_j >= 1
        res = linprog(np.ones(n_c), A_ub=-g.T.astype(float), b_ub=-np.ones(n_g), bounds=(0, 1), method="highs")
    else:
        a_ub = sp.vstack([
            sp.hstack([-g.T.astype(float), sp.identity(n_g, format="csr")]),
            sp.csr_matrix(np.concatenate([np.zeros(n_c), -w])[None, :]),
        ], format="csr")
        b_ub = np.concatenate([np.zeros(n_g), [-need_weight]])
        res = linprog(np.concatenate([np.ones(n_c), np.zeros(n_g)]), A_ub=a_ub, b_ub=b_ub, bounds=(0, 1), method="highs")
    return float(res.fun) if res.status == 0 else None


# ---------------------------------------------------------------------------- exact (spopt / PuLP)
def _cbc(time_limit_s: float):
    import pulp

    return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)


def _status(problem) -> tuple[bool, str]:
    """(proven optimal, text) from a solved PuLP problem."""
    import pulp

    if problem.status != pulp.LpStatusOptimal:
        return False, f"not solved ({pulp.LpStatus[problem.status]})"
    if problem.sol_status == pulp.LpSolutionOptimal:
        return True, "optimal"
    return False, "time limit: best solution found"


def _dense_cost(g: sp.csr_matrix) -> np.ndarray:
    """spopt's cost matrix (clients x facilities): 0 where covered, 2 elsewhere; radius 1."""
    return np.where(g.T.toarray(), 0.0, 2.0)


def _exact_mclp(cost: np.ndarray, w: np.ndarray, p: int, predefined: np.ndarray | None, time_limit_s: float):
    from spopt.locate import MCLP

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PuLP 3 deprecation notes from spopt's model building
        m = MCLP.from_cost_matrix(cost, w, service_radius=1.0, p_facilities=p, predefined_facilities_arr=predefined)
        try:
            m.solve(_cbc(time_limit_s), results=False)
        except RuntimeError:
            pass  # status checked below
    ok, text = _status(m.problem)
    x = np.array([(v.value() or 0.0) > 0.5 for v in m.fac_vars]) if m.problem.status == 1 else None
    return x, ok, text


def _exact_lscp(cost: np.ndarray, predefined: np.ndarray | None, time_limit_s: float):
    from spopt.locate import LSCP

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = LSCP.from_cost_matrix(cost, service_radius=1.0, predefined_facilities_arr=predefined)
        try:
            m.solve(_cbc(time_limit_s), results=False)
        except RuntimeError:
            pass
    ok, text = _status(m.problem)
    x = np.array([(v.value() or 0.0) > 0.5 for v in m.fac_vars]) if m.problem.status == 1 else None
    return x, ok, text


def _exact_partial_cover(g: sp.csr_matrix, w: np.ndarray, need_weight: float, time_limit_s: float):
    """min sum x  s.t.  y_g <= sum_{j covers g} x_j,  sum w_g y_g >= need_weight; x, y binary."""
    import pulp

    n_c, n_g = g.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PuLP 3 deprecation notes on LpVariable(...)
        prob = pulp.LpProblem("partial_set_cover", pulp.LpMinimize)
        x = [pulp.LpVariable(f"x_{j}", cat="Binary") for j in range(n_c)]
        y = [pulp.LpVariable(f"y_{i}", cat="Binary") for i in range(n_g)]
        prob += pulp.lpSum(x)
        gt = g.T.tocsr()
        for i in range(n_g):
            prob += pulp.lpSum(x[j] for j in gt.indices[gt.indptr[i]:gt.indptr[i + 1]]) >= y[i]
        prob += pulp.lpSum(float(w[i]) * y[i] for i in range(n_g)) >= need_weight
        prob.solve(_cbc(time_limit_s))
    ok, text = _status(prob)
    xs = np.array([(v.value() or 0.0) > 0.5 for v in x]) if prob.status == 1 else None
    return xs, ok, text


# ---------------------------------------------------------------------------- ordering
def _order_by_gain(a: sp.csr_matrix, sites: Sequence[int], covered_before: np.ndarray, w: np.ndarray):
    """Order chosen sites greedily by marginal gain on the FULL matrix; drop those adding nothing.

    A site whose newly covered weight is zero once the sites before it are open is dropped
    (spare MCLP sites, or a greedy cover's redundant site): same coverage, fewer sites.
    Returns (sites, gain, gain_points, covered_by_site, covered_after).
    """
    covered = covered_before.copy()
    by = np.full(len(covered), -1, dtype=np.int64)
    left = [int(s) for s in sites]
    order, gains, pts = [], [], []
    wz = np.nan_to_num(np.asarray(w, dtype=float))
    tol = 1e-12 * max(1.0, float(wz.sum()))
    while left:
        best, best_key, best_new = None, None, None
        for s in left:
            cols = a.indices[a.indptr[s]:a.indptr[s + 1]]
            new = cols[~covered[cols]]
            key = (float(wz[new].sum()), len(new), -s)
            if best_key is None or key > best_key:
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


def _check_common(cover: CoverageMatrix, weights: np.ndarray | None, method: str) -> np.ndarray:
    if method not in ("auto", "exact", "greedy"):
        raise InputError(f"method must be 'auto', 'exact' or 'greedy', got {method!r}")
    w = np.ones(cover.n_demand) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (cover.n_demand,):
        raise InputError(f"weights have {w.shape[0] if w.ndim else 1} values for {cover.n_demand} demand points")
    w = np.nan_to_num(w, nan=0.0)
    if (w < 0).any():
        raise InputError("demand weights must be >= 0 (residents, m² of land...)")
    return w


def _have_spopt() -> bool:
    try:
        import pulp  # noqa: F401
        import spopt.locate  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the install
        return False
    return True


def _pick_method(method: str, cells: int, exact_max_cells: int, notes: list[str]) -> str:
    if method == "greedy":
        return "greedy"
    if not _have_spopt():  # pragma: no cover - depends on the install
        if method == "exact":
            raise InputError("the exact solver needs spopt and pulp: pip install 'beichen-geo[siting]'")
        notes.append("spopt/pulp not installed: greedy used")
        return "greedy"
    if method == "exact":
        return "exact"
    if cells > exact_max_cells:
        notes.append(f"model of {cells:,} cells (demand groups x candidates) exceeds exact_max_cells={exact_max_cells:,}: greedy used")
        return "greedy"
    return "exact"


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
        Reduce the model first (see module notes). ``False`` builds spopt's model on every
        demand point, with the existing coverage as one ``predefined_facilities_arr``
        column (for checking; same optimum, slower).

    Returns
    -------
    SitingResult
        ``problem="MCLP"``; sites in order of marginal gain.
    """
    w = _check_common(cover, weights, method)
    if not isinstance(n_new, (int, np.integer)) or n_new < 1:
        raise InputError(f"the number of new sites must be an integer >= 1, got {n_new!r}")
    n_new = int(n_new)
    if method != "greedy":
        _have_spopt()  # import spopt/PuLP before the clock starts (about 1.5 s the first time)
    t0 = time.perf_counter()
    notes: list[str] = []
    cb = cover.covered_before
    active = ~cb & (w > 0)
    red = _presolve(cover.a, w, active)
    n_c, n_g = red.a.shape
    model = {"demand_points": cover.n_demand, "candidates": cover.n_candidates, "demand_groups": n_g,
             "candidates_kept": n_c, "cells": int(n_g * n_c), "nonzeros": int(red.a.nnz)}
    used = _pick_method(method, n_g * n_c, exact_max_cells, notes)
    greedy_sel = _greedy(red.a, red.w, n_max=n_new)
    greedy_gain = float(red.w[np.unique(red.a[greedy_sel].indices)].sum()) if greedy_sel else 0.0
    solver, status, optimal = "greedy marginal gain (lazy updates)", "greedy", False
    chosen_orig: np.ndarray
    if used == "exact":
        if presolve:
            if n_c == 0:
                x, optimal, status = np.zeros(0, bool), True, "optimal"
            else:
                x, optimal, status = _exact_mclp(_dense_cost(red.a), red.w, min(n_new, n_c), None, time_limit_s)
            chosen_orig = red.cand[x] if x is not None else None
        else:
            x, optimal, status = _full_mclp(cover, w, n_new, time_limit_s)
            chosen_orig = np.flatnonzero(x) if x is not None else None
        solver = "spopt MCLP + PuLP CBC"
        if chosen_orig is None:
            notes.append(f"CBC found no solution ({status}): greedy used")
            used, solver, optimal, status = "greedy", "greedy marginal gain (lazy updates)", False, "greedy"
    if used == "greedy":
        chosen_orig = red.cand[np.array(greedy_sel, dtype=np.int64)]
    sites, gain, pts, by, after = _order_by_gain(cover.a, chosen_orig, cb, w)
    if len(sites) < n_new:
        notes.append(f"{n_new} sites requested, {len(sites)} proposed: more would cover no further demand")
    got = float(gain.sum())
    if optimal:
        bound = Bound("optimal", 1.0, got, 0.0)
    else:
        lp = _lp_mclp(red.a, red.w, n_new) if red.a.nnz + n_g <= lp_max_nonzeros else None
        gap = None if lp is None else (max(0.0, 1.0 - got / lp) if lp > 0 else 0.0)
        bound = Bound("greedy MCLP" if used == "greedy" else "none", greedy_mclp_ratio(n_new) if used == "greedy" else 0.0, lp, gap)
    return SitingResult(
        problem="MCLP", method=used, solver=solver, status=status, optimal=optimal, n_requested=n_new,
        sites=sites, gain=gain, gain_points=pts, covered_by_site=by, covered_before=cb.copy(), covered_after=after,
        weights=w, target_share=None, target_reached=None, bound=bound,
        greedy_gain=greedy_gain if used == "exact" else None,
        solve_time_s=time.perf_counter() - t0, model=model, notes=notes,
    )


def _full_mclp(cover: CoverageMatrix, w: np.ndarray, n_new: int, time_limit_s: float):
    """spopt MCLP on every demand point, existing coverage as one predefined column."""
    cost = np.where(cover.a.T.toarray(), 0.0, 2.0)
    predefined = None
    p = min(n_new, cover.n_candidates)
    if cover.covered_before.any():
        cost = np.hstack([cost, np.where(cover.covered_before, 0.0, 2.0)[:, None]])
        predefined = np.zeros(cost.shape[1], dtype=int)
        predefined[-1] = 1
        p += 1
    x, ok, text = _exact_mclp(cost, w, p, predefined, time_limit_s)
    if x is not None and predefined is not None:
        x = x[:-1]
    return x, ok, text


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
        raise InputError(f"target share must be in (0, 1], got {target_share!r}")
    if method != "greedy":
        _have_spopt()
    t0 = time.perf_counter()
    notes: list[str] = []
    cb = cover.covered_before
    total = float(w.sum())
    before = float(w[cb].sum())
    coverable_new = ~cb & cover.reachable & (w > 0)
    reach_w = before + float(w[coverable_new].sum())
    need = target_share * total - before
    tol = 1e-9 * max(total, 1.0)
    full = target_share >= 1.0 or need >= reach_w - before - tol
    if need <= tol:
        full = False
    if target_share * total > reach_w + tol:
        notes.append(
            f"target share {target_share:.1%} is out of reach: no candidate reaches "
            f"{(total - reach_w) / total:.1%} of the demand weight; every coverable point is covered"
        )
    red = _presolve(cover.a, w, coverable_new)
    n_c, n_g = red.a.shape
    model = {"demand_points": cover.n_demand, "candidates": cover.n_candidates, "demand_groups": n_g,
             "candidates_kept": n_c, "cells": int(n_g * n_c), "nonzeros": int(red.a.nnz)}
    chosen_orig: np.ndarray | None = None
    solver, status, optimal = "greedy marginal gain (lazy updates)", "greedy", False
    if need <= tol or n_g == 0:
        chosen_orig, optimal, status, used = np.zeros(0, np.int64), True, "optimal", "exact"
        solver = "none needed"
        notes.append("the target is already met by existing facilities" if need <= tol else "nothing left that a candidate can cover")
    else:
        used = _pick_method(method, n_g * n_c, exact_max_cells, notes)
        if used == "exact":
            if full:
                solver = "spopt LSCP + PuLP CBC"
                if presolve:
                    x, optimal, status = _exact_lscp(_dense_cost(red.a), None, time_limit_s)
                    chosen_orig = red.cand[x] if x is not None else None
                else:
                    x, optimal, status = _full_lscp(cover, w, time_limit_s)
                    chosen_orig = np.flatnonzero(x) if x is not None else None
            else:
                solver = "PuLP CBC partial set cover"
                x, optimal, status = _exact_partial_cover(red.a, red.w, need, time_limit_s)
                chosen_orig = red.cand[x] if x is not None else None
            if chosen_orig is None:
                notes.append(f"CBC found no solution ({status}): greedy used")
                used, solver, optimal, status = "greedy", "greedy marginal gain (lazy updates)", False, "greedy"
        if used == "greedy":
            sel = (_greedy(red.a, red.w, n_max=None, need=np.ones(n_g), by_count=True) if full
                   else _greedy(red.a, red.w, n_max=None, stop_weight=need))
            chosen_orig = red.cand[np.array(sel, dtype=np.int64)]
    sites, gain, pts, by, after = _order_by_gain(cover.a, chosen_orig, cb, w)
    got_share = _share(w, after)
    reached = bool(got_share >= target_share - 1e-9)
    if optimal:
        bound = Bound("optimal", 1.0, float(len(sites)), 0.0)
    else:
        lp = None
        if red.a.nnz + n_g <= lp_max_nonzeros:
            lp = _lp_cover(red.a, red.w, None if full else need)
        lb = None if lp is None else max(1, math.ceil(lp - 1e-6))
        gap = None if lb is None else len(sites) / lb - 1.0
        if used == "greedy" and full:
            d = int(np.diff(red.a.indptr).max()) if n_c else 0
            bound = Bound("greedy LSCP", harmonic(d), lp, gap)
        else:
            bound = Bound("none", float("nan"), lp, gap)
            if used == "greedy":
                notes.append("greedy partial cover has no a priori bound here; see the LP gap")
    return SitingResult(
        problem="LSCP", method=used, solver=solver, status=status, optimal=optimal, n_requested=None,
        sites=sites, gain=gain, gain_points=pts, covered_by_site=by, covered_before=cb.copy(), covered_after=after,
        weights=w, target_share=float(target_share), target_reached=reached, bound=bound, greedy_gain=None,
        solve_time_s=time.perf_counter() - t0, model=model, notes=notes,
    )


def _full_lscp(cover: CoverageMatrix, w: np.ndarray, time_limit_s: float):
    """spopt LSCP on every coverable positive-weight point, existing coverage predefined."""
    rows = (cover.covered_before | cover.reachable) & (w > 0)
    cost = np.where(cover.a.T.toarray()[rows], 0.0, 2.0)
    predefined = None
    if cover.covered_before[rows].any():
        cost = np.hstack([cost, np.where(cover.covered_before[rows], 0.0, 2.0)[:, None]])
        predefined = np.zeros(cost.shape[1], dtype=int)
        predefined[-1] = 1
    x, ok, text = _exact_lscp(cost, predefined, time_limit_s)
    if x is not None and predefined is not None:
        x = x[:-1]
    return x, ok, text


# ---------------------------------------------------------------------------- candidates
def candidate_sites(
    engine: TravelTimeEngine,
    demand: SnappedPoints,
    *,
    cutoff_min: float,
    where: Literal["nodes", "edges"] = "nodes",
    edge_spacing_m: float = 100.0,
    thin_m: float = 100.0,
    max_candidates: int = 1000,
) -> pd.DataFrame:
    """Candidate sites on the network that can reach the given (uncovered) demand.

    Parameters
    ----------
    engine
        Compiled network.
    demand
        The demand still to cover (e.g. the gap areas' cells), snapped.
    cutoff_min
        Only places from which some of ``demand`` is within this many minutes are kept.
    where
        ``"nodes"``: street intersections and ends; ``"edges"``: points every
        ``edge_spacing_m`` metres along the streets (both ends included).
    edge_spacing_m
        Spacing of the edge points, metres.
    thin_m
        De-duplication: at most one candidate per ``thin_m`` x ``thin_m`` square (the one
        nearest the square's centre), metres; 0 keeps all.
    max_candidates
        Cap: the squares grow until at most this many candidates remain.

    Returns
    -------
    DataFrame
        ``x``, ``y`` (network CRS, metres), ``node`` (node id or -1), ``edge`` (edge
        position or -1), ``walk_min_to_gap`` (minutes from the nearest demand point).
    """
    if where not in ("nodes", "edges"):
        raise InputError(f"candidate places must be 'nodes' or 'edges', got {where!r}")
    if edge_spacing_m <= 0 or thin_m < 0 or max_candidates < 1:
        raise InputError("edge_spacing_m must be > 0, thin_m >= 0 and max_candidates >= 1")
    empty = pd.DataFrame({"x": [], "y": [], "node": [], "edge": [], "walk_min_to_gap": []})
    if not demand.on_network.any():
        return empty
    # minutes from the nearest demand point out to every node (the resident's direction)
    nr = engine.node_minutes(demand, cutoff_min=cutoff_min, direction="from_source")
    nodes = engine.net.nodes
    nx_ = nodes["x"].to_numpy(float) if "x" in nodes else nodes.geometry.x.to_numpy()
    ny_ = nodes["y"].to_numpy(float) if "y" in nodes else nodes.geometry.y.to_numpy()
    if where == "nodes":
        keep = np.flatnonzero(np.isfinite(nr.minutes))
        df = pd.DataFrame({"x": nx_[keep], "y": ny_[keep], "node": keep, "edge": -1, "walk_min_to_gap": nr.minutes[keep]})
    else:
        import shapely

        e = engine.net.edges
        mu, mv = nr.minutes[engine.u], nr.minutes[engine.v]
        ok = np.flatnonzero(np.isfinite(mu) | np.isfinite(mv))
        lines = e.geometry.to_numpy()[ok]
        L = engine.length_m[ok]
        k = np.floor(L / edge_spacing_m).astype(np.int64) + 1
        eid = np.repeat(np.arange(len(ok)), k)
        start = np.repeat(np.cumsum(k) - k, k)
        t = (np.arange(len(eid)) - start) * edge_spacing_m
        t = np.minimum(t, L[eid])
        pts = shapely.line_interpolate_point(lines[eid], t)
        frac = np.where(L[eid] > 0, t / np.maximum(L[eid], 1e-12), 0.0)
        # minutes estimate: via the nearer reached end (a filter, not the coverage test)
        est = np.minimum(mu[ok][eid] + frac * L[eid] / engine.mpm, mv[ok][eid] + (1 - frac) * L[eid] / engine.mpm)
        good = est <= cutoff_min + 1e-9
        df = pd.DataFrame({"x": shapely.get_x(pts)[good], "y": shapely.get_y(pts)[good], "node": -1,
                           "edge": ok[eid][good], "walk_min_to_gap": est[good]})
        df = df.drop_duplicates(["x", "y"])
    if thin_m > 0 or len(df) > max_candidates:
        s = max(thin_m, 1e-9)
        while True:
            out = _thin(df, s) if s > 1e-9 else df
            if len(out) <= max_candidates:
                break
            s = max(s * 1.25, s * math.sqrt(len(out) / max_candidates))
        df = out
    return df.reset_index(drop=True)


def _thin(df: pd.DataFrame, s: float) -> pd.DataFrame:
    gx = np.floor(df["x"].to_numpy() / s)
    gy = np.floor(df["y"].to_numpy() / s)
    d = np.hypot(df["x"].to_numpy() - (gx + 0.5) * s, df["y"].to_numpy() - (gy + 0.5) * s)
    tmp = df.assign(_gx=gx, _gy=gy, _d=d).sort_values(["_gx", "_gy", "_d"], kind="stable")
    return tmp.drop_duplicates(["_gx", "_gy"]).drop(columns=["_gx", "_gy", "_d"]).sort_index()


# ---------------------------------------------------------------------------- 2SFCA
@dataclasses.dataclass(frozen=True)
class FcaResult:
    """Two-step floating catchment (2SFCA, Luo & Wang 2003).

    Attributes
    ----------
    facility_ratio
        Step 1, per facility: supply / demand weight within its catchment (e.g. centres per
        resident); NaN when nobody is in the catchment.
    catchment_demand
        Per facility: demand weight within the cutoff (e.g. residents).
    access
        Step 2, per demand point: sum of the ratios of the facilities it reaches (supply
        per unit of demand, e.g. centres per resident); 0 when none is reached.
    cutoff_min
        Catchment cutoff, minutes.
    """

    facility_ratio: np.ndarray
    catchment_demand: np.ndarray
    access: np.ndarray
    cutoff_min: float


def two_step_fca_pairs(
    facility: np.ndarray, demand: np.ndarray, minutes: np.ndarray, *,
    supply: np.ndarray, demand_weights: np.ndarray, cutoff_min: float,
) -> FcaResult:
    """2SFCA from a long table of (facility, demand point, minutes) pairs.

    Parameters
    ----------
    facility, demand, minutes
        Aligned arrays: facility position, demand-point position, travel minutes. Pairs
        beyond ``cutoff_min`` are ignored; missing pairs are unreachable.
    supply
        Capacity per facility (e.g. 1 per centre, or doctors).
    demand_weights
        Weight per demand point (e.g. residents).
    cutoff_min
        Catchment cutoff, minutes (inclusive).

    Returns
    -------
    FcaResult
        ``R_j = S_j / sum_{i: t_ij <= t0} P_i`` and ``A_i = sum_{j: t_ij <= t0} R_j``.
    """
    supply = np.asarray(supply, dtype=float)
    pw = np.nan_to_num(np.asarray(demand_weights, dtype=float))
    f = np.asarray(facility, dtype=np.int64)
    d = np.asarray(demand, dtype=np.int64)
    t = np.asarray(minutes, dtype=float)
    if not (len(f) == len(d) == len(t)):
        raise InputError("facility, demand and minutes must have the same length")
    if (supply < 0).any() or (pw < 0).any():
        raise InputError("supply and demand weights must be >= 0")
    keep = t <= cutoff_min + 1e-9
    f, d = f[keep], d[keep]
    cat = np.bincount(f, weights=pw[d], minlength=len(supply))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cat > 0, supply / np.where(cat > 0, cat, 1.0), np.nan)
    access = np.bincount(d, weights=np.nan_to_num(ratio[f]), minlength=len(pw))
    return FcaResult(facility_ratio=ratio, catchment_demand=cat, access=access, cutoff_min=float(cutoff_min))


def two_step_fca(
    engine: TravelTimeEngine,
    facilities: SnappedPoints,
    demand: SnappedPoints,
    *,
    supply: np.ndarray | None = None,
    demand_weights: np.ndarray,
    cutoff_min: float,
    direction: Direction = "to_source",
) -> FcaResult:
    """2SFCA with the engine's walk times: supply per unit of demand within ``cutoff_min``.

    Parameters
    ----------
    engine
        Compiled network.
    facilities
        Snapped facilities (off-network ones serve nobody).
    demand
        Snapped demand points (e.g. residential cells).
    supply
        Capacity per facility; None = 1 each (e.g. one centre).
    demand_weights
        Residents (or other demand) per demand point.
    cutoff_min
        Catchment cutoff, minutes.

    Returns
    -------
    FcaResult
        See :func:`two_step_fca_pairs`.
    """
    s = np.ones(len(facilities)) if supply is None else np.asarray(supply, dtype=float)
    if len(s) != len(facilities):
        raise InputError(f"supply has {len(s)} values for {len(facilities)} facilities")
    pw = np.asarray(demand_weights, dtype=float)
    if len(pw) != len(demand):
        raise InputError(f"demand weights have {len(pw)} values for {len(demand)} demand points")
    if len(facilities) == 0 or not facilities.on_network.any() or not demand.on_network.any():
        cat = Catchments(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), len(facilities), float(cutoff_min))
    else:
        cat = engine.point_catchments(demand, facilities, cutoff_min=cutoff_min, direction=direction)
    return two_step_fca_pairs(cat.source, cat.node, cat.minutes, supply=s, demand_weights=pw, cutoff_min=cutoff_min)


__all__ = [
    "Bound", "CoverageMatrix", "FcaResult", "SitingResult", "candidate_sites", "coverage_matrix",
    "greedy_mclp_ratio", "harmonic", "lscp", "mclp", "two_step_fca", "two_step_fca_pairs",
]

