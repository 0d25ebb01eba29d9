"""Presolve of a siting model: fewer demand rows and candidates, same optimum.

Demand already covered, demand no candidate reaches and zero-weight demand are removed;
demand points with the same set of candidates are merged into one weighted group;
candidates covering nothing, and candidates whose groups are a subset of another
candidate's, are dropped. None of this changes the optimum.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

#: Candidates above which the subset (dominance) test of presolve is skipped.
DOMINANCE_MAX_CANDIDATES = 5_000


@dataclasses.dataclass(frozen=True)
class Reduced:
    a: sp.csr_matrix  # kept candidates x groups (bool)
    w: np.ndarray  # weight per group
    size: np.ndarray  # demand points per group
    cand: np.ndarray  # original candidate position of each kept row
    group_of: np.ndarray  # group of each demand point, -1 when removed


def reduce_model(a: sp.csr_matrix, weights: np.ndarray, active: np.ndarray, *, dominance: bool = True) -> Reduced:
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
    return Reduced(a=g, w=w, size=size, cand=cand, group_of=group_of)

