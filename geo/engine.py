"""The travel-time engine: the network compiled once to CSR arrays, bounded Dijkstra in C.

Every query runs :func:`scipy.sparse.csgraph.dijkstra` on the compiled graph augmented with
one *virtual node per source* (facility). A virtual node is linked to both ends of the
source's snapped edge with the access walk plus the part of the edge to that end, so
partial edges are exact and one call gives the minutes from every node to its nearest
source (``min_only=True``), bounded by a cutoff.

Directions: ``direction="to_source"`` (default) is the time a resident needs to reach the
facility; ``"from_source"`` the time from the facility out. They differ only on directed
(bike/drive) networks.

All times are minutes at the network's speed; ``inf`` means "not reached within the
cutoff" (or unreachable, e.g. on another connected component).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from .errors import InputError
from .network import StreetNetwork, check_network
from .snapping import SnappedPoints

Direction = Literal["to_source", "from_source"]

#: Memory budget of one block of per-source distance rows, bytes.
BLOCK_BYTES = 256 * 2**20

#: Sources per chunk of :meth:`TravelTimeEngine.point_catchment_chunks`.
CHUNK_SOURCES = 1024


def compile_csr(u: np.ndarray, v: np.ndarray, w: np.ndarray, n: int) -> sp.csr_matrix:
    """Directed CSR adjacency from edge arrays, keeping the **minimum** of parallel edges.

    A plain ``csr_matrix((w, (u, v)))`` would *sum* duplicate entries; parallel OSM
    edges (two ways between the same nodes) must keep the shorter one. Self-loops are
    dropped (they never shorten a path). Zero weights are kept as explicit edges.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.asarray(w, dtype=float)
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    # one int64 key per (u, v): a single sort, then the minimum weight of each group
    key = u * np.int64(n) + v
    order = np.argsort(key, kind="stable")
    key, w = key[order], w[order]
    starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]])) if len(key) else np.zeros(0, np.int64)
    w = np.minimum.reduceat(w, starts) if len(key) else w
    key = key[starts] if len(key) else key
    u, v = key // n, key % n
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    m = sp.csr_matrix((w, v.astype(np.int32), indptr), shape=(n, n))
    return m


@dataclasses.dataclass(frozen=True)
class Nearest:
    """Minutes to the nearest source for each node or point.

    Attributes
    ----------
    minutes
        Travel time, minutes; ``inf`` where no source is within the cutoff.
    source
        Position (in the sources passed) of the nearest source; -1 where unreached.
    """

    minutes: np.ndarray
    source: np.ndarray


@dataclasses.dataclass(frozen=True)
class Catchments:
    """Per-source reachable nodes, as long (COO) arrays.

    ``source[i]`` reaches node ``node[i]`` in ``minutes[i]`` (<= cutoff).
    """

    source: np.ndarray
    node: np.ndarray
    minutes: np.ndarray
    n_sources: int
    cutoff_min: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({"source": self.source, "node": self.node, "minutes": self.minutes})


class TravelTimeEngine:
    """Compiled network for bulk shortest paths in minutes.

    Parameters
    ----------
    net
        A :class:`~geo.network.StreetNetwork`. Compiling it costs O(E log E) once;
        queries reuse the arrays.

    Examples
    --------
    >>> eng = TravelTimeEngine(net)
    >>> clinics = snap_points(net, clinics_gdf)
    >>> res = eng.node_minutes(clinics, cutoff_min=30)   # every node, one Dijkstra pass
    """

    def __init__(self, net: StreetNetwork) -> None:
        check_network(net)
        self.net = net
        e = net.edges
        self.n = len(net.nodes)
        self.u = e["u"].to_numpy(np.int64)
        self.v = e["v"].to_numpy(np.int64)
        self.length_m = e["length_m"].to_numpy(float)
        self.forward = e["forward"].to_numpy(bool)
        self.backward = e["backward"].to_numpy(bool)
        self.mpm = net.metres_per_minute
        w = self.length_m / self.mpm
        f, b = self.forward, self.backward
        self.csr = compile_csr(
            np.concatenate([self.u[f], self.v[b]]),
            np.concatenate([self.v[f], self.u[b]]),
            np.concatenate([w[f], w[b]]),
            self.n,
        )
        self._csr_t: sp.csr_matrix | None = None

    # ------------------------------------------------------------------ helpers
    def _graph(self, direction: Direction) -> sp.csr_matrix:
        if direction == "from_source":
            return self.csr
        if direction == "to_source":
            if self._csr_t is None:
                self._csr_t = self.csr.T.tocsr()
            return self._csr_t
        raise InputError(f"direction must be 'to_source' or 'from_source', got {direction!r}")

    def _end_costs(self, pts: SnappedPoints, *, leaving: bool) -> tuple[np.ndarray, np.ndarray]:
        """Minutes between snapped points and the u / v ends of their edges (inf if not allowed).

        ``leaving=True``: from the point to the node; False: from the node to the point.
        """
        e = pts.edge
        t = pts.offset_m
        L = self.length_m[e]
        a = pts.access_m
        fwd, bwd = self.forward[e], self.backward[e]
        if leaving:  # point -> u goes against the drawing direction, point -> v along it
            to_u = np.where(bwd, a + t, np.inf)
            to_v = np.where(fwd, a + (L - t), np.inf)
        else:  # u -> point along, v -> point against
            to_u = np.where(fwd, a + t, np.inf)
            to_v = np.where(bwd, a + (L - t), np.inf)
        return to_u / self.mpm, to_v / self.mpm

    def _augmented(self, sources: SnappedPoints, direction: Direction) -> tuple[sp.csr_matrix, np.ndarray]:
        """Graph plus one virtual node per on-network source; returns (graph, source positions)."""
        base = self._graph(direction)
        pos = np.flatnonzero(sources.on_network)
        src = sources.subset(pos)
        # from_source: the source walks out to the edge ends; to_source (transposed graph):
        # the virtual edge carries the cost of walking from the end to the source.
        c_u, c_v = self._end_costs(src, leaving=(direction == "from_source"))
        eu, ev = self.u[src.edge], self.v[src.edge]
        same = eu == ev
        c_u = np.where(same, np.minimum(c_u, c_v), c_u)
        c_v = np.where(same, np.inf, c_v)
        k = len(pos)
        rows = np.concatenate([np.arange(k), np.arange(k)])
        cols = np.concatenate([eu, ev])
        w = np.concatenate([c_u, c_v])
        ok = np.isfinite(w)
        rows, cols, w = rows[ok], cols[ok], w[ok]
        order = np.lexsort((cols, rows))
        rows, cols, w = rows[order], cols[order], w[order]
        counts = np.bincount(rows, minlength=k)
        indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(counts)])
        indices = np.concatenate([base.indices, cols.astype(base.indices.dtype)])
        data = np.concatenate([base.data, w])
        m = sp.csr_matrix((data, indices, indptr), shape=(self.n + k, self.n + k))
        return m, pos

    @staticmethod
    def _limit(cutoff_min: float | None) -> float:
        if cutoff_min is None or cutoff_min == np.inf:
            return np.inf
        if not cutoff_min >= 0:  # also catches NaN
            raise InputError(f"cutoff must be >= 0 minutes, got {cutoff_min!r}")
        return float(cutoff_min) * (1 + 1e-12) + 1e-9  # keep nodes exactly at the cutoff

    # ------------------------------------------------------------------ queries
    def node_minutes(
        self, sources: SnappedPoints, *, cutoff_min: float | None = None, direction: Direction = "to_source"
    ) -> Nearest:
        """Minutes between every node and its nearest source, in one bounded Dijkstra pass.

        Parameters
        ----------
        sources
            Snapped facilities; off-network ones are ignored (they serve nobody).
        cutoff_min
            Stop the search beyond this many minutes (``inf`` beyond it). None = no bound.
        direction
            ``"to_source"`` (node travels to the facility, default) or ``"from_source"``.

        Returns
        -------
        Nearest
            ``minutes`` and ``source`` (position in ``sources``) for each of the N nodes.
        """
        limit = self._limit(cutoff_min)
        if not sources.on_network.any():
            return Nearest(np.full(self.n, np.inf), np.full(self.n, -1, dtype=np.int64))
        g, pos = self._augmented(sources, direction)
        virtual = np.arange(self.n, self.n + len(pos))
        dist, _, src = dijkstra(
            g, directed=True, indices=virtual, min_only=True, limit=limit, return_predecessors=True
        )
        dist = dist[: self.n]
        src = src[: self.n]
        if cutoff_min is not None:
            dist = np.where(dist <= cutoff_min + 1e-9, dist, np.inf)
        reached = np.isfinite(dist)
        source = np.where(reached, pos[np.clip(src - self.n, 0, len(pos) - 1)], -1)
        return Nearest(dist, source.astype(np.int64))

    def point_minutes(
        self,
        points: SnappedPoints,
        sources: SnappedPoints,
        *,
        cutoff_min: float | None = None,
        direction: Direction = "to_source",
        node_result: Nearest | None = None,
    ) -> Nearest:
        """Minutes between each snapped point (e.g. a home) and its nearest source.

        Includes the access walks at both ends, the partial edges, and the direct path
        along an edge shared by a point and a source. Off-network points get ``inf``.
        Pass ``node_result`` from :meth:`node_minutes` (same sources, cutoff and direction)
        to reuse it.
        """
        nr = node_result or self.node_minutes(sources, cutoff_min=cutoff_min, direction=direction)
        on = points.on_network
        minutes = np.full(len(points), np.inf)
        source = np.full(len(points), -1, dtype=np.int64)
        if on.any():
            p = points.subset(on)
            # to_source: the resident leaves the point; from_source: arrives at it
            c_u, c_v = self._end_costs(p, leaving=(direction == "to_source"))
            du = nr.minutes[self.u[p.edge]] + c_u
            dv = nr.minutes[self.v[p.edge]] + c_v
            best = np.minimum(du, dv)
            who = np.where(du <= dv, nr.source[self.u[p.edge]], nr.source[self.v[p.edge]])
            best, who = self._same_edge(p, sources, best, who, direction)
            if cutoff_min is not None:
                who = np.where(best <= cutoff_min + 1e-9, who, -1)
                best = np.where(best <= cutoff_min + 1e-9, best, np.inf)
            minutes[on] = best
            source[on] = np.where(np.isfinite(best), who, -1)
        return Nearest(minutes, source)

    def _same_edge(
        self, p: SnappedPoints, sources: SnappedPoints, best: np.ndarray, who: np.ndarray, direction: Direction
    ) -> tuple[np.ndarray, np.ndarray]:
        """Improve times with direct walks along an edge shared by a point and a source."""
        s_on = np.flatnonzero(sources.on_network)
        if len(s_on) == 0:
            return best, who
        se = sources.edge[s_on]
        shared = np.isin(p.edge, se)
        if not shared.any():
            return best, who
        pi = np.flatnonzero(shared)
        left = pd.DataFrame({"pi": pi, "edge": p.edge[pi]})
        right = pd.DataFrame({"si": s_on, "edge": se})
        m = left.merge(right, on="edge")
        pi_, si_, e_ = m["pi"].to_numpy(), m["si"].to_numpy(), m["edge"].to_numpy()
        tp, ts = p.offset_m[pi_], sources.offset_m[si_]
        # travel from the origin position to the destination position along the edge
        if direction == "to_source":
            forward_needed = ts >= tp
        else:
            forward_needed = tp >= ts
        allowed = np.where(forward_needed, self.forward[e_], self.backward[e_]) | (tp == ts)
        cost = (np.abs(tp - ts) + p.access_m[pi_] + sources.access_m[si_]) / self.mpm
        cost = np.where(allowed, cost, np.inf)
        g = pd.DataFrame({"pi": pi_, "cost": cost, "si": si_}).sort_values(["pi", "cost"], kind="stable")
        g = g.drop_duplicates("pi")
        gi, gc, gs = g["pi"].to_numpy(), g["cost"].to_numpy(), g["si"].to_numpy()
        better = gc < best[gi]
        best = best.copy()
        who = who.copy()
        best[gi[better]] = gc[better]
        who[gi[better]] = gs[better]
        return best, who

    def point_catchments(
        self,
        points: SnappedPoints,
        sources: SnappedPoints,
        *,
        cutoff_min: float,
        direction: Direction = "to_source",
        catchments: Catchments | None = None,
    ) -> Catchments:
        """Per-source catchments of snapped points (homes, demand cells), as long arrays.

        Returns a :class:`Catchments` whose ``node`` field holds *point positions*: source
        ``source[i]`` and point ``node[i]`` are ``minutes[i]`` apart (<= cutoff), with the
        access walks, partial edges and same-edge shortcuts of :meth:`point_minutes`.
        Pass ``catchments`` (from :meth:`catchments`, same sources/cutoff/direction) to reuse it.
        """
        cat = catchments or self.catchments(sources, cutoff_min=cutoff_min, direction=direction)
        on = np.flatnonzero(points.on_network)
        p = points.subset(on)
        c_u, c_v = self._end_costs(p, leaving=(direction == "to_source"))
        inc_node = np.concatenate([self.u[p.edge], self.v[p.edge]])
        inc_pt = np.concatenate([on, on])
        inc_c = np.concatenate([c_u, c_v])
        ok = np.isfinite(inc_c)
        inc = pd.DataFrame({"node": inc_node[ok], "point": inc_pt[ok], "c": inc_c[ok]})
        m = cat.to_frame().merge(inc, on="node")
        m["minutes"] = m["minutes"] + m["c"]
        parts = [m[["source", "point", "minutes"]]]
        # same-edge shortcuts between a source and a point
        s_on = np.flatnonzero(sources.on_network)
        if len(s_on) and len(on):
            left = pd.DataFrame({"point": on, "edge": points.edge[on]})
            right = pd.DataFrame({"source": s_on, "edge": sources.edge[s_on]})
            j = left.merge(right, on="edge")
            if len(j):
                pi, si, e_ = j["point"].to_numpy(), j["source"].to_numpy(), j["edge"].to_numpy()
                tp, ts = points.offset_m[pi], sources.offset_m[si]
                fwd_needed = (ts >= tp) if direction == "to_source" else (tp >= ts)
                allowed = np.where(fwd_needed, self.forward[e_], self.backward[e_]) | (tp == ts)
                cost = (np.abs(tp - ts) + points.access_m[pi] + sources.access_m[si]) / self.mpm
                parts.append(pd.DataFrame({"source": si[allowed], "point": pi[allowed], "minutes": cost[allowed]}))
        allp = pd.concat(parts, ignore_index=True)
        allp = allp.loc[allp["minutes"] <= cutoff_min + 1e-9]
        best = allp.groupby(["source", "point"], sort=True)["minutes"].min().reset_index()
        return Catchments(
            source=best["source"].to_numpy(np.int64), node=best["point"].to_numpy(np.int64),
            minutes=best["minutes"].to_numpy(float), n_sources=len(sources), cutoff_min=float(cutoff_min),
        )

    def catchments(
        self,
        sources: SnappedPoints,
        *,
        cutoff_min: float,
        direction: Direction = "to_source",
        block_bytes: int = BLOCK_BYTES,
        progress: bool = False,
    ) -> Catchments:
        """Bounded catchment of every source separately: all (source, node, minutes) pairs.

        Sources are processed in blocks sized to ``block_bytes`` of distance rows, so
        memory stays bounded for thousands of sources on large networks.
        """
        limit = self._limit(cutoff_min)
        g, pos = self._augmented(sources, direction)
        total = self.n + len(pos)
        block = max(1, int(block_bytes // (8 * total)))
        out_s, out_n, out_m = [], [], []
        starts = range(0, len(pos), block)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="catchments", unit="block")
        for b0 in starts:
            idx = np.arange(self.n + b0, self.n + min(b0 + block, len(pos)))
            d = dijkstra(g, directed=True, indices=idx, limit=limit)[:, : self.n]
            r, c = np.nonzero(d <= cutoff_min + 1e-9)
            out_s.append(pos[b0 + r])
            out_n.append(c)
            out_m.append(d[r, c])
        cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
        return Catchments(
            source=cat(out_s, np.int64), node=cat(out_n, np.int64), minutes=cat(out_m, float),
            n_sources=len(sources), cutoff_min=float(cutoff_min),
        )

    def point_catchment_chunks(
        self,
        points: SnappedPoints,
        sources: SnappedPoints,
        *,
        cutoff_min: float,
        direction: Direction = "to_source",
        chunk_sources: int = CHUNK_SOURCES,
        block_bytes: int = BLOCK_BYTES,
    ) -> Iterator[Catchments]:
        """:meth:`point_catchments` for ``chunk_sources`` sources at a time, as a generator.

        Memory holds one chunk's (source, point) pairs instead of every source's, so a caller
        that reduces each chunk (sums, counts) runs in memory bounded by the chunk size,
        whatever the number of sources. The chunks together hold exactly the pairs and
        minutes of :meth:`point_catchments` for all ``sources`` (same floats).

        Sources are grouped by place (Z-order of their edges' ends on a grid of the cutoff
        distance) and each chunk searches only the part of the network its sources can reach
        in ``cutoff_min``: the nodes within straight-line distance ``cutoff x speed / rho``
        of the chunk's edge ends, where ``rho`` is the smallest ratio of an edge's length to
        the straight line between its ends (1 for straight streets). Every path within the
        cutoff lies inside that set, so the bounded search on it gives the same minutes as on
        the whole network, at a cost that grows with the chunk's area instead of the network.

        Parameters
        ----------
        points
            Snapped points (homes, demand cells).
        sources
            Snapped sources; off-network ones reach nothing.
        cutoff_min
            Largest travel time, minutes.
        direction
            As in :meth:`node_minutes`.
        chunk_sources
            Sources per chunk (count, >= 1).
        block_bytes
            Memory budget of one block of distance rows inside a chunk, bytes.

        Yields
        ------
        Catchments
            One per chunk with an on-network source; ``source`` holds positions in
            ``sources`` (not in the chunk), ``node`` point positions, sorted by (source,
            point); ``n_sources`` is ``len(sources)``. Chunks come in the spatial order, not
            in source order.
        """
        if isinstance(chunk_sources, bool) or not isinstance(chunk_sources, (int, np.integer)) or chunk_sources < 1:
            raise InputError(f"chunk_sources must be a whole number >= 1, got {chunk_sources!r}")
        limit = self._limit(cutoff_min)
        n = len(sources)
        pos = np.flatnonzero(sources.on_network)
        if len(pos) == 0:
            return
        radius = self._ball_radius_m(limit)
        xy = self._node_xy()
        pos = pos[_z_order(xy[self.u[sources.edge[pos]]], radius)]
        step = int(chunk_sources)
        for c0 in range(0, len(pos), step):
            chunk = np.sort(pos[c0:c0 + step])
            sub = sources.subset(chunk)
            ends = np.unique(np.concatenate([self.u[sub.edge], self.v[sub.edge]]))
            nodes = self._ball(ends, radius, xy)
            local = self._local_catchments(sub, nodes, limit=limit, cutoff_min=cutoff_min, direction=direction,
                                           block_bytes=block_bytes)
            cat = self.point_catchments(points, sub, cutoff_min=cutoff_min, direction=direction, catchments=local)
            yield Catchments(source=chunk[cat.source], node=cat.node, minutes=cat.minutes, n_sources=n,
                             cutoff_min=float(cutoff_min))

    # ------------------------------------------------------------------ local searches
    def _node_xy(self) -> np.ndarray:
        """Node coordinates, metres (N x 2), computed once."""
        if "_xy" not in self.__dict__:
            g = self.net.nodes.geometry.to_numpy()
            self.__dict__["_xy"] = np.column_stack([shapely.get_x(g), shapely.get_y(g)]).astype(float)
        return self.__dict__["_xy"]

    def _ball_radius_m(self, limit_min: float) -> float:
        """Straight-line metres beyond which no node is within ``limit_min`` of an edge end.

        A path of ``m`` network metres spans at most ``m / rho`` straight-line metres, with
        ``rho`` = min over edges of ``length_m / straight line``; inf when ``rho`` is 0 (an
        edge shorter than its ends' distance apart, e.g. length 0) or the limit is inf.
        """
        if "_rho" not in self.__dict__:
            xy = self._node_xy()
            d = np.hypot(*(xy[self.u] - xy[self.v]).T)
            far = d > 0
            self.__dict__["_rho"] = float(np.min(self.length_m[far] / d[far])) if far.any() else 1.0
        rho = self.__dict__["_rho"]
        if not np.isfinite(limit_min) or rho <= 0:
            return np.inf
        return limit_min * self.mpm / rho * (1 + 1e-9) + 1e-6

    def _ball(self, ends: np.ndarray, radius: float, xy: np.ndarray) -> np.ndarray:
        """Sorted nodes within ``radius`` metres (straight line) of any of ``ends``."""
        if not np.isfinite(radius):
            return np.arange(self.n)
        from scipy.spatial import cKDTree

        lo = xy[ends].min(axis=0) - radius
        hi = xy[ends].max(axis=0) + radius
        # the slab of nodes within the box's x range (nodes kept sorted by x once), then its y range
        if "_x_order" not in self.__dict__:
            order = np.argsort(xy[:, 0], kind="stable")
            self.__dict__["_x_order"] = (order, xy[order, 0])
        order, xs = self.__dict__["_x_order"]
        slab = order[np.searchsorted(xs, lo[0], side="left"):np.searchsorted(xs, hi[0], side="right")]
        y = xy[slab, 1]
        cand = np.sort(slab[(y >= lo[1]) & (y <= hi[1])])
        dist, _ = cKDTree(xy[ends]).query(xy[cand], k=1, distance_upper_bound=radius)
        return cand[np.isfinite(dist)]

    def ball_nodes(self, ends: np.ndarray, cutoff_min: float) -> np.ndarray:
        """Sorted nodes within straight-line reach of ``cutoff_min`` from any node of ``ends``.

        Every node on a path of at most ``cutoff_min`` minutes that starts or ends at one of
        ``ends`` lies in this set (see :meth:`point_catchment_chunks`), so a bounded search on
        the subgraph it induces is exact for those paths.
        """
        radius = self._ball_radius_m(self._limit(cutoff_min))
        return self._ball(np.asarray(ends, dtype=np.int64), radius, self._node_xy())

    def local_nearest(
        self, sources: SnappedPoints, nodes: np.ndarray, *, cutoff_min: float, direction: Direction = "to_source"
    ) -> Nearest:
        """:meth:`node_minutes` on the subgraph induced by ``nodes`` (sorted node positions).

        Parameters
        ----------
        sources
            Snapped sources; off-network ones and links to edge ends outside ``nodes`` are
            ignored.
        nodes
            Sorted node positions, e.g. from :meth:`ball_nodes`.
        cutoff_min
            Search bound, minutes.
        direction
            As in :meth:`node_minutes`.

        Returns
        -------
        Nearest
            Aligned with ``nodes``: minutes (inf beyond the cutoff) and the position in
            ``sources`` of the nearest one (-1 where unreached). Exact for every node whose
            best path within the cutoff stays inside ``nodes``.
        """
        limit = self._limit(cutoff_min)
        m = len(nodes)
        pos = np.flatnonzero(sources.on_network)
        if m == 0 or len(pos) == 0:
            return Nearest(np.full(m, np.inf), np.full(m, -1, dtype=np.int64))
        g = self._local_graph(sources.subset(pos), nodes, direction)
        virtual = np.arange(m, m + len(pos))
        dist, _, src = dijkstra(g, directed=True, indices=virtual, min_only=True, limit=limit,
                                return_predecessors=True)
        dist = np.where(dist[:m] <= cutoff_min + 1e-9, dist[:m], np.inf)
        source = np.where(np.isfinite(dist), pos[np.clip(src[:m] - m, 0, len(pos) - 1)], -1)
        return Nearest(dist, source.astype(np.int64))

    def _local_graph(self, src: SnappedPoints, nodes: np.ndarray, direction: Direction) -> sp.csr_matrix:
        """Subgraph induced by ``nodes`` (sorted) plus one virtual node per on-network source of ``src``.

        Links to a source's edge ends that are not in ``nodes`` are left out.
        """
        base = self._graph(direction)[nodes][:, nodes].tocsr()
        m = len(nodes)
        k = len(src)
        c_u, c_v = self._end_costs(src, leaving=(direction == "from_source"))
        eu, ev = self.u[src.edge], self.v[src.edge]
        same = eu == ev
        c_u = np.where(same, np.minimum(c_u, c_v), c_u)
        c_v = np.where(same, np.inf, c_v)
        rows = np.concatenate([np.arange(k), np.arange(k)])
        ends = np.concatenate([eu, ev])
        cols = np.minimum(np.searchsorted(nodes, ends), max(m - 1, 0))
        w = np.concatenate([c_u, c_v])
        ok = np.isfinite(w) & (nodes[cols] == ends) if m else np.zeros(len(w), dtype=bool)
        rows, cols, w = rows[ok], cols[ok], w[ok]
        order = np.lexsort((cols, rows))
        rows, cols, w = rows[order], cols[order], w[order]
        indptr = np.concatenate([base.indptr, base.indptr[-1] + np.cumsum(np.bincount(rows, minlength=k))])
        return sp.csr_matrix((np.concatenate([base.data, w]),
                              np.concatenate([base.indices, cols.astype(base.indices.dtype)]),
                              indptr), shape=(m + k, m + k))

    def _local_catchments(
        self, src: SnappedPoints, nodes: np.ndarray, *, limit: float, cutoff_min: float, direction: Direction,
        block_bytes: int,
    ) -> Catchments:
        """:meth:`catchments` of on-network ``src`` on the subgraph induced by ``nodes`` (sorted)."""
        m = len(nodes)
        k = len(src)
        g = self._local_graph(src, nodes, direction)
        block = max(1, int(block_bytes // (8 * (m + k))))
        out_s, out_n, out_m = [], [], []
        for b0 in range(0, k, block):
            idx = np.arange(m + b0, m + min(b0 + block, k))
            d = dijkstra(g, directed=True, indices=idx, limit=limit)[:, :m]
            r, c = np.nonzero(d <= cutoff_min + 1e-9)
            out_s.append(b0 + r)
            out_n.append(nodes[c])
            out_m.append(d[r, c])
        cat = lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt)  # noqa: E731
        return Catchments(source=cat(out_s, np.int64), node=cat(out_n, np.int64), minutes=cat(out_m, float),
                          n_sources=k, cutoff_min=float(cutoff_min))


def _z_order(xy: np.ndarray, cell_m: float) -> np.ndarray:
    """Order of points along a Z-curve on a grid of ``cell_m`` metres (nearby points together)."""
    if len(xy) == 0:
        return np.zeros(0, dtype=np.int64)
    size = cell_m if np.isfinite(cell_m) and cell_m > 0 else 1.0
    cell = np.floor((xy - xy.min(axis=0)) / size).astype(np.int64)
    cell = np.clip(cell, 0, 2**20 - 1)
    key = np.zeros(len(xy), dtype=np.int64)
    for bit in range(20):
        key |= ((cell[:, 0] >> bit) & 1) << (2 * bit)
        key |= ((cell[:, 1] >> bit) & 1) << (2 * bit + 1)
    return np.argsort(key, kind="stable")
