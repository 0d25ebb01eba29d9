"""Solvers of the siting problems: exact (spopt / PuLP + CBC), greedy, LP bounds (HiGHS).

``exact``: integer programs built with PySAL spopt (``MCLP.from_cost_matrix`` /
``LSCP.from_cost_matrix``, existing coverage as a ``predefined_facilities_arr`` column when
presolve is off) and solved by CBC through PuLP with a time limit; the partial-cover variant
of LSCP is a small PuLP model of our own. ``greedy``: repeatedly open the site with the
largest marginal gain. The LP relaxations bound how far a greedy solution can be from the
optimum.

What the solver libraries warn about while a model is built and solved (e.g. PuLP's
deprecation notes) is returned as data (:attr:`Solved.messages`), not passed on as warnings.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:
    from .matrix import CoverageMatrix

#: Largest presolved model (demand groups x candidates) solved exactly by default, cells.
#: spopt builds dense matrices in Python: about 3 s per 250,000 cells (plus CBC's solve); the
#: whole of Liechtenstein's clinic set cover (512,000 cells) builds and solves in about 7 s.
EXACT_MAX_CELLS = 1_000_000
#: Largest presolved model whose LP relaxation is solved to bound the greedy gap, nonzeros.
LP_MAX_NONZEROS = 2_000_000
#: CBC time limit, seconds.
TIME_LIMIT_S = 120.0


class Solved(NamedTuple):
    """What an exact solver returned.

    Attributes
    ----------
    x
        Boolean per candidate (column of the model): opened; None when no solution was found.
    optimal
        True when the solver proved optimality.
    status
        ``"optimal"``, ``"time limit: best solution found"`` or ``"not solved (...)"``.
    messages
        What the solver libraries warned about, each distinct message once, with its count.
    """

    x: np.ndarray | None
    optimal: bool
    status: str
    messages: list[str]


@contextlib.contextmanager
def _library_warnings(into: list[str]) -> Iterator[None]:
    """Record the warnings raised inside the block into ``into`` (text, once each, counted).

    The solver libraries warn (PuLP 3 deprecation notes from spopt's model building...);
    the warnings are kept as data for the result instead of reaching the caller.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    counts: dict[str, int] = {}
    for w in caught:
        text = f"{w.category.__name__}: {w.message}"
        counts[text] = counts.get(text, 0) + 1
    into.extend(text if n == 1 else f"{text} ({n} times)" for text, n in counts.items())


def greedy(
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
def lp_mclp(g: sp.csr_matrix, w: np.ndarray, n: int) -> float | None:
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


def lp_cover(g: sp.csr_matrix, w: np.ndarray, need_weight: float | None) -> float | None:
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
        res = linprog(np.concatenate([np.ones(n_c), np.zeros(n_g)]), A_ub=a_ub, b_ub=b_ub, bounds=(0, 1),
                      method="highs")
    return float(res.fun) if res.status == 0 else None




# ---------------------------------------------------------------------------- exact (spopt / PuLP)
def have_spopt() -> bool:
    """Whether the exact solvers can run: spopt and PuLP (``pip install spopt pulp``) import."""
    try:
        import pulp  # noqa: F401
        import spopt.locate  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the install
        return False
    return True


def _cbc(time_limit_s: float) -> Any:
    import pulp

    return pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)


def _status(problem: Any) -> tuple[bool, str]:
    """(proven optimal, text) from a solved PuLP problem."""
    import pulp

    if problem.status != pulp.LpStatusOptimal:
        return False, f"not solved ({pulp.LpStatus[problem.status]})"
    if problem.sol_status == pulp.LpSolutionOptimal:
        return True, "optimal"
    return False, "time limit: best solution found"


def dense_cost(g: sp.csr_matrix) -> np.ndarray:
    """spopt's cost matrix (clients x facilities): 0 where covered, 2 elsewhere; radius 1."""
    return np.where(g.T.toarray(), 0.0, 2.0)


def exact_mclp(cost: np.ndarray, w: np.ndarray, p: int, predefined: np.ndarray | None, time_limit_s: float) -> Solved:
    """spopt MCLP on a cost matrix (0 = covered, radius 1) solved by CBC."""
    from spopt.locate import MCLP

    messages: list[str] = []
    with _library_warnings(messages):
        m = MCLP.from_cost_matrix(cost, w, service_radius=1.0, p_facilities=p, predefined_facilities_arr=predefined)
        try:
            m.solve(_cbc(time_limit_s), results=False)
        except RuntimeError:
            pass  # status checked below
    ok, text = _status(m.problem)
    x = np.array([(v.value() or 0.0) > 0.5 for v in m.fac_vars]) if m.problem.status == 1 else None
    return Solved(x, ok, text, messages)


def exact_lscp(cost: np.ndarray, predefined: np.ndarray | None, time_limit_s: float) -> Solved:
    """spopt LSCP on a cost matrix (0 = covered, radius 1) solved by CBC."""
    from spopt.locate import LSCP

    messages: list[str] = []
    with _library_warnings(messages):
        m = LSCP.from_cost_matrix(cost, service_radius=1.0, predefined_facilities_arr=predefined)
        try:
            m.solve(_cbc(time_limit_s), results=False)
        except RuntimeError:
            pass
    ok, text = _status(m.problem)
    x = np.array([(v.value() or 0.0) > 0.5 for v in m.fac_vars]) if m.problem.status == 1 else None
    return Solved(x, ok, text, messages)


def exact_partial_cover(g: sp.csr_matrix, w: np.ndarray, need_weight: float, time_limit_s: float) -> Solved:
    """min sum x  s.t.  y_g <= sum_{j covers g} x_j,  sum w_g y_g >= need_weight; x, y binary."""
    import pulp

    n_c, n_g = g.shape
    messages: list[str] = []
    with _library_warnings(messages):  # PuLP 3 deprecation notes on LpVariable(...)
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
    return Solved(xs, ok, text, messages)


def _with_predefined(cost: np.ndarray, covered_before: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Existing coverage as one predefined (always open) last column of spopt's cost matrix."""
    if not covered_before.any():
        return cost, None
    cost = np.hstack([cost, np.where(covered_before, 0.0, 2.0)[:, None]])
    predefined = np.zeros(cost.shape[1], dtype=int)
    predefined[-1] = 1
    return cost, predefined


def full_mclp(cover: CoverageMatrix, w: np.ndarray, n_new: int, time_limit_s: float) -> Solved:
    """spopt MCLP on every demand point, existing coverage as one predefined column."""
    cost, predefined = _with_predefined(np.where(cover.a.T.toarray(), 0.0, 2.0), cover.covered_before)
    p = min(n_new, cover.n_candidates) + (1 if predefined is not None else 0)
    res = exact_mclp(cost, w, p, predefined, time_limit_s)
    if res.x is not None and predefined is not None:
        res = res._replace(x=res.x[:-1])
    return res


def full_lscp(cover: CoverageMatrix, w: np.ndarray, time_limit_s: float) -> Solved:
    """spopt LSCP on every coverable positive-weight point, existing coverage predefined."""
    rows = (cover.covered_before | cover.reachable) & (w > 0)
    cost, predefined = _with_predefined(np.where(cover.a.T.toarray()[rows], 0.0, 2.0), cover.covered_before[rows])
    res = exact_lscp(cost, predefined, time_limit_s)
    if res.x is not None and predefined is not None:
        res = res._replace(x=res.x[:-1])
    return res
