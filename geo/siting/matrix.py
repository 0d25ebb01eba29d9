"""Coverage matrices (which candidate covers which demand point) and candidate sites.

A demand point is *covered* by a site when the walk from the point to the site takes at most
a cutoff (minutes, on the :class:`~geo.engine.TravelTimeEngine`). Existing facilities stay
open: the demand they already cover is fixed as ``covered_before``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..engine import Catchments, Direction, TravelTimeEngine
from ..errors import InputError
from ..snapping import SnappedPoints


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
        rows = (np.concatenate([np.full(len(s), j, dtype=np.int64) for j, s in enumerate(sets)]) if sets
                else np.zeros(0, np.int64))
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
        df = pd.DataFrame({"x": nx_[keep], "y": ny_[keep], "node": keep, "edge": -1,
                           "walk_min_to_gap": nr.minutes[keep]})
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

