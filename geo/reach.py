"""Reachable street intervals, their union, and street length in circles.

A street position is reachable within T minutes of a source when the walk from it to the
source (``direction="to_source"``) fits in T: whole edges whose far end is reached, the
reached part of frontier edges, and the part of the source's own edge within the budget.
:func:`reachable_pieces` gives these intervals for one set of node minutes (it lives in
:mod:`geo.isochrones`, which draws them); :func:`reachable_intervals` gives the same
pieces for many sources at once from a :class:`~geo.engine.Catchments` (no per-source
loop). :func:`union_length` and :func:`merge_intervals` count overlapping intervals once;
:func:`circle_street_length` clips street segments to circles exactly.

This module is vectorised: pass every source of a chunk in one call.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely

from .engine import Catchments, TravelTimeEngine
from .isochrones import reachable_pieces
from .snapping import SnappedPoints

__all__ = [
    "EdgeEnds", "circle_street_length", "edge_end_incidence", "merge_intervals", "reachable_intervals",
    "reachable_pieces", "reached_edge_ends", "segment_tree", "street_segments", "union_length",
]

#: Edge ends reached by each source: (minutes at the node, source, edge, side with 0 = u, 1 = v).
EdgeEnds = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]

_INCIDENCE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def edge_end_incidence(engine: TravelTimeEngine) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Edges at each node as CSR ``(indptr, edge, side)``; side 0 = the edge's u end, 1 = v.

    Built once per engine (cached while the engine lives).
    """
    got = _INCIDENCE.get(engine)
    if got is None:
        m = len(engine.u)
        node = np.concatenate([engine.u, engine.v])
        edge = np.concatenate([np.arange(m), np.arange(m)])
        side = np.concatenate([np.zeros(m, np.int8), np.ones(m, np.int8)])
        order = np.lexsort((side, edge, node))
        indptr = np.zeros(engine.n + 1, np.int64)
        np.add.at(indptr, node + 1, 1)
        got = _INCIDENCE[engine] = (np.cumsum(indptr), edge[order], side[order])
    return got


def reached_edge_ends(engine: TravelTimeEngine, cat: Catchments) -> EdgeEnds:
    """Edge ends reached by each source of ``cat``, walking towards the source.

    One row per (catchment pair, incident edge) whose travel direction allows walking from
    the edge to the reached node (``direction="to_source"``).

    Returns
    -------
    minutes, source, edge, side
        Minutes at the node, source position, edge position and the end (0 = u, 1 = v).
    """
    indptr, inc_edge, inc_side = edge_end_incidence(engine)
    deg = indptr[cat.node + 1] - indptr[cat.node]
    rep = np.repeat(np.arange(len(cat.node)), deg)
    start = np.repeat(indptr[cat.node], deg)
    within = np.arange(len(rep)) - np.repeat(np.cumsum(deg) - deg, deg)
    pos = start + within
    edge, side = inc_edge[pos], inc_side[pos]
    # to_source: a resident on the edge walks to its u end against the drawing direction
    ok = np.where(side == 0, engine.backward[edge], engine.forward[edge])
    return cat.minutes[rep][ok], cat.source[rep][ok], edge[ok], side[ok]


def reachable_intervals(
    engine: TravelTimeEngine, ends: EdgeEnds, sources: SnappedPoints, budget_min: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reachable street intervals of many sources within ``budget_min`` minutes.

    The batched form of :func:`reachable_pieces` (``direction="to_source"``, the sources'
    own edges credited), for every source at once.

    Parameters
    ----------
    engine
        The compiled network.
    ends
        :func:`reached_edge_ends` of the sources' catchments (cut off at >= ``budget_min``).
    sources
        The sources, all on the network, in the catchments' source order.
    budget_min
        The band, minutes.

    Returns
    -------
    source, edge, start_m, end_m
        One row per interval ``[start_m, end_m]`` along an edge (metres from ``u``);
        intervals of one source may overlap (see :func:`union_length`).
    """
    mpm = engine.mpm
    minutes, src, edge, side = ends
    sel = minutes <= budget_min
    minutes, src, edge, side = minutes[sel], src[sel], edge[sel], side[sel]
    L = engine.length_m[edge]
    reach = np.clip((budget_min - minutes) * mpm, 0, L)
    start = np.where(side == 0, 0.0, L - reach)
    end = np.where(side == 0, reach, L)
    r = budget_min * mpm - sources.access_m
    ok = r >= 0
    se, ts, r = sources.edge[ok], sources.offset_m[ok], r[ok]
    Ls = engine.length_m[se]
    hi = np.where(engine.backward[se], np.minimum(ts + r, Ls), ts)
    lo = np.where(engine.forward[se], np.maximum(ts - r, 0.0), ts)
    return (np.concatenate([src, np.flatnonzero(ok)]), np.concatenate([edge, se]),
            np.concatenate([start, lo]), np.concatenate([end, hi]))


def _covered_before(first: np.ndarray, end: np.ndarray) -> np.ndarray:
    """For intervals sorted by (group, start): the furthest end of the group's earlier ones
    (``-inf`` for the first interval of each group)."""
    n = len(end)
    gid = np.cumsum(first) - 1
    cm = pd.Series(end).groupby(gid).cummax().to_numpy()
    prev = np.empty(n)
    prev[0] = -np.inf
    prev[1:] = cm[:-1]
    prev[first] = -np.inf
    return prev


def union_length(source: np.ndarray, edge: np.ndarray, start: np.ndarray, end: np.ndarray,
                 n_sources: int) -> np.ndarray:
    """Length of the union of each source's intervals, metres (sources ``0..n_sources-1``)."""
    order = np.lexsort((end, start, edge, source))
    s, e, a, z = source[order], edge[order], start[order], end[order]
    if len(s) == 0:
        return np.zeros(n_sources)
    first = np.ones(len(s), bool)
    first[1:] = (s[1:] != s[:-1]) | (e[1:] != e[:-1])
    contrib = np.clip(z - np.maximum(a, _covered_before(first, z)), 0.0, None)
    return np.bincount(s, weights=contrib, minlength=n_sources)


def merge_intervals(edge: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Union of intervals per edge as disjoint rows ``(edge, start_m, end_m)``, sorted."""
    if len(edge) == 0:
        return np.zeros((0, 3))
    order = np.lexsort((end, start, edge))
    e, a, z = edge[order], start[order], end[order]
    newg = np.ones(len(e), bool)
    newg[1:] = e[1:] != e[:-1]
    brk = newg | (a > _covered_before(newg, z))  # a new merged interval starts here
    mid = np.cumsum(brk) - 1
    out_z = pd.Series(z).groupby(mid).max().to_numpy()
    return np.stack([e[brk].astype(float), a[brk], out_z], axis=1)


def street_segments(lines: np.ndarray) -> np.ndarray:
    """Straight segments of line geometries as an ``(S, 4)`` array ``x0, y0, x1, y1`` (metres)."""
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    same = idx[1:] == idx[:-1]
    return np.concatenate([coords[:-1][same], coords[1:][same]], axis=1)


def segment_tree(seg: np.ndarray) -> shapely.STRtree:
    """An STRtree of the segments of :func:`street_segments`."""
    return shapely.STRtree(shapely.linestrings(np.stack([seg[:, :2], seg[:, 2:]], axis=1)))


def circle_street_length(seg: np.ndarray, tree: shapely.STRtree, xy: np.ndarray, radii: Sequence[float]) -> np.ndarray:
    """Street length inside circles of each radius around each point (exact clipping).

    Parameters
    ----------
    seg, tree
        Street segments (:func:`street_segments`) and their :func:`segment_tree`.
    xy
        ``(P, 2)`` circle centres, metres.
    radii
        Circle radii, metres.

    Returns
    -------
    ndarray
        ``(P, len(radii))`` street length inside each circle, metres.
    """
    out = np.zeros((len(xy), len(radii)))
    if len(xy) == 0 or len(seg) == 0:
        return out
    pts = shapely.points(xy)
    qi, si = tree.query(pts, predicate="dwithin", distance=max(radii))
    order = np.lexsort((si, qi))
    qi, si = qi[order], si[order]
    s = seg[si]
    p0 = s[:, :2] - xy[qi]
    d = s[:, 2:] - s[:, :2]
    a = (d * d).sum(axis=1)
    bb = (d * p0).sum(axis=1)
    c0 = (p0 * p0).sum(axis=1)
    seg_len = np.sqrt(a)
    for j, r in enumerate(radii):
        disc = bb * bb - a * (c0 - r * r)
        ok = (disc > 0) & (a > 0)
        root = np.sqrt(np.where(ok, disc, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            t1 = np.where(ok, (-bb - root) / a, 0.0)
            t2 = np.where(ok, (-bb + root) / a, 0.0)
        inside = np.clip(np.minimum(t2, 1.0) - np.maximum(t1, 0.0), 0.0, None) * seg_len
        out[:, j] = np.bincount(qi, weights=np.where(ok, inside, 0.0), minlength=len(xy))
    return out
