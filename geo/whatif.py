"""Incremental coverage: walking minutes to the nearest facility of one kind, edited one facility at a time.

A :class:`CoverageState` holds, per demand point (cell), the minutes to the nearest facility
within a cutoff and which facility that is, exactly as the batch computation
(:func:`geo.coverage.minutes_by_kind`, same snapping, same engine) gives them. Edits touch only
what they can change:

- :meth:`CoverageState.add` runs ONE bounded search from the new facility, on the part of the
  network it can reach within the cutoff (:meth:`TravelTimeEngine.ball_nodes`), and takes the
  minimum with the current minutes;
- :meth:`CoverageState.remove` recomputes only the cells the facility served: one bounded
  multi-source search from the facilities that can reach those cells, on the part of the
  network within the cutoff of them;
- :meth:`CoverageState.move` is a remove and an add under the same id.

Each edit returns a :class:`Change`: the cells whose minutes changed (before and after), the
cells gained (now within the cutoff) and lost, and the weight (land, residents...) gained and
lost. After any sequence of edits the minutes equal a from-scratch batch computation on the
facilities then open (tests check it to 1e-9 min).

Why the local searches are exact: a walk of at most ``cutoff`` minutes spans at most ``R``
straight-line metres (the cutoff distance over the smallest ratio of an edge's length to its
straight line), so every node on it lies within ``R`` of either end. The new facility's search
on the nodes within ``R`` of its edge ends therefore finds every node it reaches within the
cutoff; and the cells a removed facility served can only be reached, within the cutoff, by
facilities linked to a node within ``R`` of the cells' edge ends (or on a cell's own edge),
along paths inside that same ball.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .access import AccessSnap
from .engine import Direction, Nearest, TravelTimeEngine
from .errors import InputError
from .snapping import SnappedPoints


@dataclasses.dataclass(frozen=True)
class Change:
    """What one edit changed.

    Attributes
    ----------
    facility
        Id of the facility added, removed or moved.
    cells
        Positions of the demand cells whose minutes changed.
    minutes_before, minutes_after
        Their minutes before and after the edit (``inf`` = beyond the cutoff).
    gained, lost
        Per weight name (e.g. ``area_m2``, ``residents``): the sum over the cells that came
        within the cutoff (``gained``) or fell beyond it (``lost``).
    searched_nodes
        Nodes of the network the edit searched (its cost), count.
    """

    facility: int
    cells: np.ndarray
    minutes_before: np.ndarray
    minutes_after: np.ndarray
    gained: dict[str, float]
    lost: dict[str, float]
    searched_nodes: int = 0

    @property
    def cells_gained(self) -> np.ndarray:
        """Cells now within the cutoff that were beyond it."""
        return self.cells[~np.isfinite(self.minutes_before) & np.isfinite(self.minutes_after)]

    @property
    def cells_lost(self) -> np.ndarray:
        """Cells now beyond the cutoff that were within it."""
        return self.cells[np.isfinite(self.minutes_before) & ~np.isfinite(self.minutes_after)]


def _ranges(starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """The positions ``starts[i] .. stops[i] - 1`` of every ``i``, concatenated."""
    lens = stops - starts
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offs = np.repeat(starts - np.concatenate([[0], np.cumsum(lens)[:-1]]), lens)
    return np.arange(total, dtype=np.int64) + offs


def _members(sorted_keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Boolean mask: which of ``values`` occur in ``sorted_keys``."""
    if len(sorted_keys) == 0:
        return np.zeros(len(values), dtype=bool)
    i = np.minimum(np.searchsorted(sorted_keys, values), len(sorted_keys) - 1)
    return sorted_keys[i] == values


class CoverageState:
    """Minutes from every demand point to the nearest open facility of one kind, within a cutoff.

    Parameters
    ----------
    engine
        Compiled network.
    demand
        The demand points (cells) snapped to the network.
    facilities
        The facilities open at the start: an :class:`~geo.access.AccessSnap` (polygon
        facilities through their entrances or outline points), plain snapped points (one
        access point each), or None for none. They get the ids ``0 .. n - 1`` in their order.
    cutoff_min
        Walking-time standard, minutes (> 0): cells beyond it count as not covered.
    weights
        Per-cell weights summed in each :class:`Change` (name -> array aligned with
        ``demand``), e.g. ``{"area_m2": ..., "residents": ...}``; NaN counts as 0.
    direction
        As in :meth:`TravelTimeEngine.node_minutes`.

    Notes
    -----
    The start is one batch search (the same call :func:`geo.coverage.minutes_by_kind`
    makes); each edit then costs one bounded search on the network near the facility.
    Off-network cells stay ``inf`` (:attr:`minutes` shows them as NaN, as the batch table does).
    """

    def __init__(
        self,
        engine: TravelTimeEngine,
        demand: SnappedPoints,
        facilities: AccessSnap | SnappedPoints | None = None,
        *,
        cutoff_min: float,
        weights: Mapping[str, np.ndarray] | None = None,
        direction: Direction = "to_source",
    ) -> None:
        if not (np.isfinite(cutoff_min) and cutoff_min > 0):
            raise InputError(f"cutoff must be a positive number of minutes, got {cutoff_min!r}")
        self.engine = engine
        self.demand = demand
        self.cutoff_min = float(cutoff_min)
        self.direction: Direction = direction
        n = len(demand)
        self.weights = {k: np.nan_to_num(np.asarray(w, dtype=float)) for k, w in (weights or {}).items()}
        for k, w in self.weights.items():
            if len(w) != n:
                raise InputError(f"weights {k!r} have {len(w)} values for {n} demand points")
        self._index_demand()
        # node coordinates, the x-sorted index and the straight-line reach, built once: the first edit is not slower
        engine.ball_nodes(np.zeros(1, dtype=np.int64), self.cutoff_min)
        if facilities is None:
            pts, feature, n_fac = _empty_points(demand.max_snap_m), np.zeros(0, dtype=np.int64), 0
        elif isinstance(facilities, AccessSnap):
            pts, feature, n_fac = facilities.points, facilities.feature.astype(np.int64), facilities.n_features
        else:
            pts, feature, n_fac = facilities, np.arange(len(facilities), dtype=np.int64), len(facilities)
        # the access-point store: one row per access point, its facility id, open or not
        self._edge = pts.edge.astype(np.int64)
        self._offset = pts.offset_m.astype(float)
        self._access = pts.access_m.astype(float)
        self._fac = feature
        self._open_pt = np.ones(len(feature), dtype=bool)
        self._open: set[int] = set(range(n_fac))
        self.next_id = n_fac
        self._minutes = np.full(n, np.inf)
        self.nearest = np.full(n, -1, dtype=np.int64)
        if len(feature) and pts.on_network.any():
            near = engine.point_minutes(demand, pts, cutoff_min=self.cutoff_min, direction=direction)
            self._minutes = near.minutes.copy()
            self.nearest = np.where(near.source >= 0, feature[np.maximum(near.source, 0)], -1)

    # ------------------------------------------------------------------ reading
    @property
    def minutes(self) -> np.ndarray:
        """Minutes per demand point: ``inf`` beyond the cutoff, NaN off the network (a copy)."""
        return np.where(self.demand.on_network, self._minutes, np.nan)

    @property
    def covered(self) -> np.ndarray:
        """Demand points within the cutoff of an open facility."""
        return np.isfinite(self._minutes)

    @property
    def open_ids(self) -> list[int]:
        """Ids of the open facilities, ascending."""
        return sorted(self._open)

    def access_snap(self) -> AccessSnap:
        """The open facilities' access points as an :class:`AccessSnap` (feature = rank in :attr:`open_ids`).

        What a batch computation of the same facilities takes (``facility_snaps`` of
        :func:`geo.coverage.minutes_by_kind`).
        """
        ids = np.array(self.open_ids, dtype=np.int64)
        keep = self._open_pt & _members(ids, self._fac)
        pts = SnappedPoints(index=_range_index(int(keep.sum())), edge=self._edge[keep], offset_m=self._offset[keep],
                            access_m=self._access[keep], max_snap_m=self.demand.max_snap_m)
        return AccessSnap(points=pts, feature=np.searchsorted(ids, self._fac[keep]), n_features=len(ids),
                          access=np.full(int(keep.sum()), "point", dtype=object))

    def copy(self) -> CoverageState:
        """An independent copy (edits to it leave this state unchanged); the indexes are shared."""
        out = object.__new__(CoverageState)
        out.__dict__.update(self.__dict__)
        for name in ("_edge", "_offset", "_access", "_fac", "_open_pt", "_minutes", "nearest"):
            setattr(out, name, getattr(self, name).copy())
        out._open = set(self._open)
        return out

    # ------------------------------------------------------------------ edits
    def add(self, points: SnappedPoints, *, facility_id: int | None = None) -> Change:
        """Open a facility reached through ``points`` (its snapped access points; usually one).

        Parameters
        ----------
        points
            The new facility's access points, snapped to this state's network. Off-network
            ones serve nobody (the facility is open all the same).
        facility_id
            Its id (default: the next free id, :attr:`next_id`); must not be open.

        Returns
        -------
        Change
            The cells it brought closer (minutes before and after), gains and losses (none).
        """
        fid = self.next_id if facility_id is None else int(facility_id)
        if fid in self._open:
            raise InputError(f"facility {fid} is already open")
        self.next_id = max(self.next_id, fid + 1)
        self._open.add(fid)
        k = len(points)
        self._edge = np.concatenate([self._edge, points.edge.astype(np.int64)])
        self._offset = np.concatenate([self._offset, points.offset_m.astype(float)])
        self._access = np.concatenate([self._access, points.access_m.astype(float)])
        self._fac = np.concatenate([self._fac, np.full(k, fid, dtype=np.int64)])
        self._open_pt = np.concatenate([self._open_pt, np.ones(k, dtype=bool)])
        src = points.subset(points.on_network)
        if len(src) == 0:
            return self._change(fid, np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64), 0)
        eng = self.engine
        nodes = eng.ball_nodes(np.unique(np.concatenate([eng.u[src.edge], eng.v[src.edge]])), self.cutoff_min)
        near = eng.local_nearest(src, nodes, cutoff_min=self.cutoff_min, direction=self.direction)
        reached = nodes[np.isfinite(near.minutes)]
        by_node = self._node_cells[_ranges(self._node_ptr[reached], self._node_ptr[reached + 1])]
        cand = np.unique(np.concatenate([by_node, self._cells_on_edges(src.edge)]))
        mins = self._cell_minutes(cand, src, nodes, near)
        better = mins < self._minutes[cand]
        cells = cand[better]
        return self._change(fid, cells, mins[better], np.full(len(cells), fid, dtype=np.int64), len(nodes))

    def remove(self, facility_id: int) -> Change:
        """Close facility ``facility_id``; only the cells it served are recomputed.

        Raises
        ------
        InputError
            When no open facility has that id.
        """
        fid = int(facility_id)
        if fid not in self._open:
            raise InputError(f"no open facility has id {facility_id!r}")
        self._open.discard(fid)
        self._open_pt[self._fac == fid] = False
        served = np.flatnonzero(self.nearest == fid)
        if len(served) == 0:
            return self._change(fid, served, np.zeros(0), np.zeros(0, dtype=np.int64), 0)
        eng = self.engine
        ends = np.concatenate([self._cell_u[served][np.isfinite(self._cost_u[served])],
                               self._cell_v[served][np.isfinite(self._cost_v[served])]])
        nodes = eng.ball_nodes(np.unique(ends), self.cutoff_min)
        e = self._edge
        live = self._open_pt & (e >= 0)
        eu, ev = eng.u[np.maximum(e, 0)], eng.v[np.maximum(e, 0)]
        cell_edges = np.unique(self.demand.edge[served])
        cand = np.flatnonzero(live & (_members(nodes, eu) | _members(nodes, ev) | _members(cell_edges, e)))
        src = SnappedPoints(index=_range_index(len(cand)), edge=e[cand], offset_m=self._offset[cand],
                            access_m=self._access[cand], max_snap_m=self.demand.max_snap_m)
        near = eng.local_nearest(src, nodes, cutoff_min=self.cutoff_min, direction=self.direction)
        mins, who = self._cell_minutes(served, src, nodes, near, with_source=True)
        owner = self._fac[cand][np.maximum(who, 0)] if len(cand) else np.full(len(served), -1, dtype=np.int64)
        return self._change(fid, served, mins, owner, len(nodes))

    def move(self, facility_id: int, points: SnappedPoints) -> Change:
        """Move facility ``facility_id`` to ``points`` (a remove and an add under the same id)."""
        first = self.remove(facility_id)
        second = self.add(points, facility_id=facility_id)
        return merge_changes(first, second, weights=self.weights)

    # ------------------------------------------------------------------ internals
    def _index_demand(self) -> None:
        """Per cell its edge ends and the minutes to them; node -> cells and edge -> cells look-ups."""
        d, eng = self.demand, self.engine
        on = d.on_network
        e = np.maximum(d.edge, 0)
        self._cell_u = np.where(on, eng.u[e], -1)
        self._cell_v = np.where(on, eng.v[e], -1)
        c_u, c_v = eng._end_costs(d.subset(on), leaving=(self.direction == "to_source"))
        self._cost_u = np.full(len(d), np.inf)
        self._cost_v = np.full(len(d), np.inf)
        self._cost_u[on], self._cost_v[on] = c_u, c_v
        node = np.concatenate([self._cell_u, self._cell_v])
        cell = np.concatenate([np.arange(len(d)), np.arange(len(d))])
        ok = np.isfinite(np.concatenate([self._cost_u, self._cost_v]))
        node, cell = node[ok], cell[ok]
        order = np.argsort(node, kind="stable")
        self._node_cells = cell[order].astype(np.int64)
        self._node_ptr = np.zeros(eng.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(node, minlength=eng.n), out=self._node_ptr[1:])
        on_cells = np.flatnonzero(on)
        order = np.argsort(d.edge[on_cells], kind="stable")
        self._edge_cells = on_cells[order]
        self._edge_sorted = d.edge[on_cells][order]

    def _cells_on_edges(self, edges: np.ndarray) -> np.ndarray:
        """On-network cells snapped to any of ``edges``."""
        edges = np.unique(edges)
        lo = np.searchsorted(self._edge_sorted, edges, side="left")
        hi = np.searchsorted(self._edge_sorted, edges, side="right")
        return self._edge_cells[_ranges(lo, hi)]

    def _cell_minutes(self, cells: np.ndarray, src: SnappedPoints, nodes: np.ndarray, near: Nearest, *,
                      with_source: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Minutes of ``cells`` to the nearest of ``src`` from a local search over ``nodes``.

        The engine's own point formula (:meth:`TravelTimeEngine.point_minutes`: edge ends plus
        the walk to them, and the same-edge shortcut) on the local node minutes.
        """
        full = np.full(self.engine.n, np.inf)
        full[nodes] = near.minutes
        owner = np.full(self.engine.n, -1, dtype=np.int64)
        owner[nodes] = near.source
        res = self.engine.point_minutes(self.demand.subset(cells), src, cutoff_min=self.cutoff_min,
                                        direction=self.direction, node_result=Nearest(full, owner))
        return (res.minutes, res.source) if with_source else res.minutes

    def _change(self, fid: int, cells: np.ndarray, minutes: np.ndarray, owner: np.ndarray, searched: int) -> Change:
        before = self._minutes[cells].copy()
        self._minutes[cells] = minutes
        self.nearest[cells] = np.where(np.isfinite(minutes), owner, -1)
        diff = before != minutes
        return _make_change(fid, cells[diff], before[diff], minutes[diff], self.weights, searched)


def _make_change(fid: int, cells: np.ndarray, before: np.ndarray, after: np.ndarray,
                 weights: Mapping[str, np.ndarray], searched: int) -> Change:
    gain = ~np.isfinite(before) & np.isfinite(after)
    loss = np.isfinite(before) & ~np.isfinite(after)
    return Change(facility=fid, cells=cells, minutes_before=before, minutes_after=after,
                  gained={k: float(w[cells[gain]].sum()) for k, w in weights.items()},
                  lost={k: float(w[cells[loss]].sum()) for k, w in weights.items()}, searched_nodes=searched)


def merge_changes(first: Change, second: Change, *, weights: Mapping[str, np.ndarray]) -> Change:
    """Two consecutive changes of one state as one: each cell's first 'before' and last 'after'.

    ``weights`` are the state's (:attr:`CoverageState.weights`); the facility is the first's.
    """
    cells = np.concatenate([first.cells, second.cells])
    before = np.concatenate([first.minutes_before, second.minutes_before])
    after = np.concatenate([first.minutes_after, second.minutes_after])
    uniq, first_pos = np.unique(cells, return_index=True)
    _, last_rev = np.unique(cells[::-1], return_index=True)
    last_pos = len(cells) - 1 - last_rev
    b, a = before[first_pos], after[last_pos]
    diff = b != a
    return _make_change(first.facility, uniq[diff], b[diff], a[diff], weights,
                        first.searched_nodes + second.searched_nodes)


def _empty_points(max_snap_m: float) -> SnappedPoints:
    return SnappedPoints(index=_range_index(0), edge=np.zeros(0, dtype=np.int64), offset_m=np.zeros(0),
                         access_m=np.zeros(0), max_snap_m=max_snap_m)


def _range_index(n: int) -> pd.Index:
    return pd.RangeIndex(n)
