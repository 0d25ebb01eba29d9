"""Isochrone polygons from reachable street edges, frontier edges included.

An isochrone of T minutes is the set of street positions within T minutes of a source:
whole edges whose far end is reached, and the reachable *part* of frontier edges (the
search stops half-way along them). Those line pieces are buffered (default 30 m, the
width of a street with its frontage), merged, and enclosed holes smaller than
``fill_holes_m2`` (default 1 ha, the inside of an ordinary urban block) are filled.
Bands are nested by construction (5 within 15 within 30): each band is merged with the
one inside it. Convex hulls, which overstate coverage across rivers and rail, are not used.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, TypedDict

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from . import isoraster
from ._forkmap import fork_map, fork_unavailable
from .engine import Direction, TravelTimeEngine
from .errors import InputError
from .snapping import SnappedPoints

DEFAULT_BUFFER_M = 30.0
DEFAULT_FILL_HOLES_M2 = 10_000.0

Method = Literal["raster", "exact"]
Parallel = Literal["auto", "processes", "threads"]


class _BandOptions(TypedDict):
    """Keyword arguments of :func:`_band_polygons` shared by every source."""

    method: Method
    buffer_m: float
    fill_holes_m2: float
    cell_m: float
    direction: Direction


def reachable_pieces(
    engine: TravelTimeEngine,
    node_minutes: np.ndarray,
    sources: SnappedPoints,
    budget_min: float,
    *,
    direction: Direction = "to_source",
    source_mask: np.ndarray | None = None,
    edges: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reachable intervals of edges within ``budget_min`` minutes.

    Parameters
    ----------
    engine
        The compiled network.
    node_minutes
        Minutes between each node and the source(s) (``inf`` where unreached).
    sources
        The sources, to credit the edges they sit on.
    budget_min
        The isochrone time, minutes.
    direction
        As in :class:`~geo.engine.TravelTimeEngine`.
    source_mask
        Restrict the on-edge credit to these sources (positional boolean mask).
    edges
        Only look at these edges (positions), e.g. those incident to reached nodes; the
        sources' own edges are credited regardless. None (default) = every edge.

    Returns
    -------
    edge, start_m, end_m
        One row per reachable interval ``[start_m, end_m]`` along an edge (metres from ``u``).
    """
    mpm = engine.mpm
    if edges is None:
        idx = np.arange(len(engine.length_m))
        L, eu, ev, fw, bw = engine.length_m, engine.u, engine.v, engine.forward, engine.backward
    else:
        idx = np.asarray(edges, np.int64)
        L, eu, ev = engine.length_m[idx], engine.u[idx], engine.v[idx]
        fw, bw = engine.forward[idx], engine.backward[idx]
    du = node_minutes[eu]
    dv = node_minutes[ev]
    # which travel direction along the edge each end's credit needs
    if direction == "from_source":
        from_u_ok, from_v_ok = fw, bw
    else:
        from_u_ok, from_v_ok = bw, fw
    with np.errstate(invalid="ignore"):
        a = np.where(from_u_ok & (du <= budget_min), np.clip((budget_min - du) * mpm, 0, L), -1.0)
        b = np.where(from_v_ok & (dv <= budget_min), np.clip((budget_min - dv) * mpm, 0, L), -1.0)
    full = (a >= 0) & (b >= 0) & (a + b >= L) | (a >= L) | (b >= L)
    e_full = np.flatnonzero(full)
    part_a = np.flatnonzero(~full & (a >= 0))
    part_b = np.flatnonzero(~full & (b >= 0))
    L_all = engine.length_m
    edge_parts = [idx[e_full], idx[part_a], idx[part_b]]
    starts = [np.zeros(len(e_full)), np.zeros(len(part_a)), L[part_b] - b[part_b]]
    ends = [L[e_full], a[part_a], L[part_b]]
    L = L_all
    # credit along the sources' own edges
    on = sources.on_network if source_mask is None else (sources.on_network & source_mask)
    if on.any():
        pos = np.flatnonzero(on)  # positions (not .subset: its pandas index costs ms per call)
        r = budget_min * mpm - sources.access_m[pos]
        ok = r >= 0
        se, ts, r = sources.edge[pos[ok]], sources.offset_m[pos[ok]], r[ok]
        # from_source: the source walks forward (needs forward) to higher offsets;
        # to_source: a resident at a higher offset walks backward to the source
        hi_ok = engine.forward[se] if direction == "from_source" else engine.backward[se]
        lo_ok = engine.backward[se] if direction == "from_source" else engine.forward[se]
        hi = np.where(hi_ok, np.minimum(ts + r, L[se]), ts)
        lo = np.where(lo_ok, np.maximum(ts - r, 0.0), ts)
        edge_parts.append(se)
        starts.append(lo)
        ends.append(hi)
    return np.concatenate(edge_parts), np.concatenate(starts), np.concatenate(ends)


def _pieces_geometry(engine: TravelTimeEngine, edge: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Line geometries of edge intervals (vectorised for 2-point lines, substring otherwise)."""
    lines = engine.net.edges.geometry.to_numpy()[edge]
    L = engine.length_m[edge]
    out = np.empty(len(edge), dtype=object)
    whole = (start <= 1e-9) & (end >= L - 1e-9)
    out[whole] = lines[whole]
    part = np.flatnonzero(~whole)
    if len(part):
        pl = lines[part]
        simple = shapely.get_num_coordinates(pl) == 2
        si = part[simple]
        if len(si):
            p0 = shapely.line_interpolate_point(lines[si], start[si])
            p1 = shapely.line_interpolate_point(lines[si], end[si])
            out[si] = shapely.linestrings(
                np.stack([shapely.get_coordinates(p0), shapely.get_coordinates(p1)], axis=1)
            )
        for i in part[~simple]:
            out[i] = substring(lines[i], float(start[i]), float(end[i]))
    return out


def fill_holes(geom: shapely.Geometry, max_area_m2: float) -> shapely.Geometry:
    """Remove interior rings smaller than ``max_area_m2`` from (multi)polygons."""
    if max_area_m2 <= 0 or geom is None or geom.is_empty:
        return geom
    polys = []
    for part in shapely.get_parts(geom):
        if not isinstance(part, shapely.Polygon):
            continue
        keep = [r for r in part.interiors if shapely.Polygon(r).area >= max_area_m2]
        polys.append(shapely.Polygon(part.exterior, keep))
    if not polys:
        return shapely.Polygon()
    return shapely.union_all(polys) if len(polys) > 1 else polys[0]


def _polygon(
    engine: TravelTimeEngine, node_minutes: np.ndarray, sources: SnappedPoints, budget: float,
    *, buffer_m: float, fill_holes_m2: float, direction: Direction, source_mask: np.ndarray | None = None,
    edges: np.ndarray | None = None,
) -> shapely.Geometry:
    """The exact construction: union of the buffered reachable pieces, small holes filled."""
    e, s, t = reachable_pieces(engine, node_minutes, sources, budget, direction=direction,
                               source_mask=source_mask, edges=edges)
    if len(e) == 0:
        return shapely.Polygon()
    geoms = _pieces_geometry(engine, e, s, t)
    poly = shapely.union_all(shapely.buffer(geoms, buffer_m, quad_segs=4))
    return fill_holes(poly, fill_holes_m2)


def _check_bands(bands_min: Sequence[float]) -> list[float]:
    bands = sorted(float(b) for b in bands_min)
    if not bands or any(not np.isfinite(b) or b <= 0 for b in bands):
        raise InputError(f"isochrone bands must be positive minutes, got {list(bands_min)!r}")
    return bands


def default_cell_m(buffer_m: float) -> float:
    """Grid cell of the raster method: a third of the buffer (10 m for the 30 m default), metres."""
    return max(float(buffer_m), 1.5) / 3.0


def _incident_edges(engine: TravelTimeEngine, nodes: np.ndarray) -> np.ndarray:
    """Edges (positions, sorted, unique) with an end among ``nodes``."""
    ptr, inc = _incidence(engine)
    nodes = np.asarray(nodes, np.int64)
    cnt = ptr[nodes + 1] - ptr[nodes]
    first = np.repeat(ptr[nodes], cnt)
    off = np.arange(first.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    mark = np.zeros(len(engine.u), bool)
    mark[inc[first + off]] = True
    return np.flatnonzero(mark)


_INCIDENCE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _incidence(engine: TravelTimeEngine) -> tuple[np.ndarray, np.ndarray]:
    """Node -> incident edges as CSR (``ptr``, ``edges``), built once per engine."""
    got = _INCIDENCE.get(engine)
    if got is None:
        ends = np.concatenate([engine.u, engine.v])
        order = np.argsort(ends, kind="stable")
        inc = np.concatenate([np.arange(len(engine.u))] * 2)[order]
        ptr = np.zeros(engine.n + 1, np.int64)
        np.cumsum(np.bincount(ends, minlength=engine.n), out=ptr[1:])
        got = _INCIDENCE[engine] = (ptr, inc)
    return got


def _band_polygons(
    engine: TravelTimeEngine, node_minutes: np.ndarray, sources: SnappedPoints, bands: list[float],
    reached: np.ndarray, *, method: str, buffer_m: float, fill_holes_m2: float, cell_m: float,
    direction: Direction, source_mask: np.ndarray | None,
) -> list[shapely.Geometry]:
    """Nested polygons of ``bands`` (ascending) for one set of node minutes."""
    edges = _incident_edges(engine, reached)
    if method == "exact":
        out, prev = [], shapely.Polygon()
        for b in bands:
            poly = shapely.union(_polygon(engine, node_minutes, sources, b, buffer_m=buffer_m,
                                          fill_holes_m2=fill_holes_m2, direction=direction,
                                          source_mask=source_mask, edges=edges), prev)
            out.append(poly)
            prev = poly
        return out
    if buffer_m <= 0:
        return [shapely.Polygon() for _ in bands]
    segs = isoraster.network_segments(engine)
    per_band = []
    for b in bands:
        e, s, t = reachable_pieces(engine, node_minutes, sources, b, direction=direction,
                                   source_mask=source_mask, edges=edges)
        per_band.append(isoraster.piece_segments(segs, e, s, t))
    return isoraster.nested_polygons(per_band, buffer_m=buffer_m, cell_m=cell_m, fill_holes_m2=fill_holes_m2)


def _workers(workers: int | None, n_tasks: int) -> int:
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    return max(1, min(int(workers), n_tasks))


#: Reached nodes (summed over the sources' catchments) from which ``parallel="auto"`` forks
#: worker processes for the raster method: about 0.15 s of polygon work (~3 us per node),
#: four times what forking, the children's page copies and their results cost (~0.04 s of
#: CPU for a process holding a country's network), which is lost when no core is free.
PROCESS_MIN_NODES = 50_000


def parallel_mode(parallel: Parallel, n_workers: int, *, n_reached: int, method: Method = "raster"
                  ) -> Literal["serial", "threads", "processes"]:
    """How :func:`isochrones` spreads ``per_source`` polygons over ``n_workers`` workers.

    ``"serial"`` (the calling thread) for one worker; ``"processes"`` when asked for, or
    with ``"auto"`` for the raster method when the batch is big enough
    (:data:`PROCESS_MIN_NODES` reached nodes) and this process may fork
    (:func:`geo._forkmap.fork_unavailable`: Linux, not a daemonic or forked worker, no
    other thread running but tqdm's monitor); ``"threads"`` when asked for, and with
    ``"auto"`` for the exact method (its shapely calls release the GIL); ``"serial"`` for
    the raster method otherwise (its kernel mostly holds the GIL: threads took as long as
    the calling thread alone, or longer, from 10 to 1,000 facilities; ``BENCHMARKS.md``).

    Raises
    ------
    InputError
        ``parallel="processes"`` where processes cannot be forked (not Linux, or a
        daemonic process such as a Dask worker, or a forked worker itself).
    """
    if parallel not in ("auto", "processes", "threads"):
        raise InputError(f"parallel must be 'auto', 'processes' or 'threads', got {parallel!r}", option="parallel")
    if n_workers <= 1:
        return "serial"
    if parallel == "threads":
        return "threads"
    why = fork_unavailable(allow_threads=parallel == "processes")
    if parallel == "processes":
        if why is not None:
            raise InputError(f"parallel='processes' is not possible here: {why}; use parallel='threads' or 'auto'",
                             option="parallel")
        return "processes"
    if method != "raster":
        return "threads"
    return "processes" if why is None and n_reached >= PROCESS_MIN_NODES else "serial"


#: Share of the caller's chunk of the polygon work relative to each forked worker's: a child
#: draws the same sources about 9 % slower (copy-on-write page faults, sending its result).
CALLER_SHARE = 1.09


def _balanced_chunks(items: list[int], weights: np.ndarray, k: int, *, first: float = 1.0) -> list[list[int]]:
    """``items`` cut into ``k`` consecutive runs of about equal total weight (none empty), the
    first run ``first`` times as heavy as the others."""
    cum = np.cumsum(np.asarray(weights, float) + 1.0)  # +1: sources with empty catchments count too
    share = (first + np.arange(k - 1)) / (first + k - 1)
    cuts = np.searchsorted(cum, cum[-1] * share)
    cuts = np.maximum(cuts, np.arange(1, k))  # strictly increasing, room for one item each
    cuts = np.minimum(cuts, len(items) - k + np.arange(1, k))
    bounds = [0, *(int(c) for c in cuts), len(items)]
    return [items[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


_RAGGED_TYPES = (3, 6)  # Polygon, MultiPolygon: as shapely ragged arrays; any other type as WKB


def _pack_polygons(polys: list[list[shapely.Geometry]]) -> tuple[int, list[tuple[int, np.ndarray, Any]]]:
    """Per-source lists of polygons as coordinate arrays (a forked worker's result, quick to pickle)."""
    flat = np.empty(sum(len(p) for p in polys), dtype=object)
    flat[:] = [g for p in polys for g in p]
    types = shapely.get_type_id(flat)
    parts = []
    for tid in np.unique(types):
        sel = np.flatnonzero(types == tid)
        parts.append((int(tid), sel, shapely.to_ragged_array(flat[sel]) if tid in _RAGGED_TYPES
                      else shapely.to_wkb(flat[sel])))
    return (len(polys[0]) if polys else 0), parts


def _unpack_polygons(packed: tuple[int, list[tuple[int, np.ndarray, Any]]]) -> list[list[shapely.Geometry]]:
    """The polygons of :func:`_pack_polygons`, bit-identical (same coordinates, same types)."""
    per, parts = packed
    n = sum(len(sel) for _, sel, _ in parts)
    flat = np.empty(n, dtype=object)
    for tid, sel, data in parts:
        flat[sel] = shapely.from_ragged_array(*data) if tid in _RAGGED_TYPES else shapely.from_wkb(data)
    return [list(flat[i:i + per]) for i in range(0, n, per)] if per else []


def _per_source_rows(
    engine: TravelTimeEngine, sources: SnappedPoints, bands: list[float], kw: _BandOptions, workers: int | None,
    parallel: Parallel = "auto",
) -> list[dict]:
    """Rows ``source, minutes, geometry`` of the nested bands of each on-network source.

    Sources are spread over threads or forked processes (:func:`parallel_mode`); every
    mode gives the same polygons (processes send theirs back as coordinate arrays, exactly).
    """
    cat = engine.catchments(sources, cutoff_min=bands[-1], direction=kw["direction"])
    order = np.argsort(cat.source, kind="stable")
    cs, cn, cm = cat.source[order], cat.node[order], cat.minutes[order]
    bounds = np.searchsorted(cs, np.arange(len(sources) + 1))
    local = threading.local()

    def one(si: int) -> list[shapely.Geometry]:
        nm = getattr(local, "nm", None)
        if nm is None:
            nm = local.nm = np.full(engine.n, np.inf)
        lo, hi = bounds[si], bounds[si + 1]
        nodes = cn[lo:hi]
        nm[nodes] = cm[lo:hi]
        mask = np.zeros(len(sources), bool)
        mask[si] = True
        try:
            return _band_polygons(engine, nm, sources, bands, nodes, source_mask=mask, **kw)
        finally:
            nm[nodes] = np.inf

    todo = [int(si) for si in np.flatnonzero(sources.on_network)]
    sizes = bounds[np.asarray(todo, np.int64) + 1] - bounds[np.asarray(todo, np.int64)]
    n_workers = _workers(workers, len(todo))
    mode = parallel_mode(parallel, n_workers, n_reached=int(sizes.sum()), method=kw["method"])
    if mode == "serial":
        results = [one(si) for si in todo]
    elif mode == "threads":
        with ThreadPoolExecutor(n_workers) as ex:
            results = list(ex.map(one, todo))
    else:
        # built before the fork, so that every child inherits them
        _incidence(engine)
        if kw["method"] == "raster":
            isoraster.network_segments(engine)
        chunks = _balanced_chunks(todo, sizes, n_workers, first=CALLER_SHARE)
        parts = fork_map(lambda c: [one(si) for si in c], chunks, encode=_pack_polygons, decode=_unpack_polygons)
        results = [p for part in parts for p in part]
    return [{"source": si, "minutes": b, "geometry": p}
            for si, polys in zip(todo, results, strict=True) for b, p in zip(bands, polys, strict=True)]


def isochrones(
    engine: TravelTimeEngine,
    sources: SnappedPoints,
    bands_min: Sequence[float],
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
    fill_holes_m2: float = DEFAULT_FILL_HOLES_M2,
    direction: Direction = "to_source",
    per_source: bool = False,
    method: Method = "raster",
    cell_m: float | None = None,
    workers: int | None = None,
    parallel: Parallel = "auto",
) -> gpd.GeoDataFrame:
    """Nested isochrone polygons of a set of sources.

    Parameters
    ----------
    engine
        The compiled network.
    sources
        Snapped facilities (off-network ones are skipped).
    bands_min
        Band limits in minutes, e.g. ``[5, 15, 30]``.
    buffer_m
        Half-width of the buffer around reachable street pieces, metres.
    fill_holes_m2
        Fill enclosed holes smaller than this, m² (0 keeps every hole).
    direction
        ``"to_source"`` (default: who can reach a facility) or ``"from_source"``.
    per_source
        False (default): one polygon per band for all sources together (the area served);
        True: one polygon per source and band (catchments), with a ``source`` column giving
        the source's position.
    method
        ``"raster"`` (default): the distance to the reachable pieces on a grid of
        ``cell_m``, contoured at ``buffer_m`` (:mod:`geo.isoraster`); 10-50 times faster,
        area within about 1 % of the exact polygons. ``"exact"``: the union of the
        buffered pieces (``shapely.buffer`` with 4 segments per quarter circle, then
        ``union_all``).
    cell_m
        Grid cell of the raster method, metres; default :func:`default_cell_m` (a third of
        the buffer). The boundary is interpolated between grid vertices, so it is placed
        to a small fraction of a cell on straight streets and within about ``cell_m``
        where streets meet; holes with a mouth narrower than a cell may close.
    workers
        Workers over the sources (``per_source=True``); default ``min(4, cpu count)``.
        1 runs in the calling thread.
    parallel
        What the workers are (``per_source=True``, ``workers`` > 1): ``"auto"`` (default)
        forks processes for a raster batch big enough to pay for them (on Linux, outside
        daemonic workers such as Dask's, and when no other thread is running), and
        otherwise draws raster polygons in the calling thread (threads do not overlap
        there) and exact ones in threads; ``"threads"``; ``"processes"`` (also under other
        threads, at the caller's risk; refused where a process cannot fork). With
        processes the caller draws one share of the sources and each forked child another
        (sources split by catchment size), which inherit the network and send their
        polygons back as coordinate arrays (exact). Every choice gives the same polygons;
        see :func:`parallel_mode`.

    Returns
    -------
    GeoDataFrame
        Columns ``minutes``, ``area_m2`` (and ``source``), in the network CRS; the larger
        band of each source contains the smaller.
    """
    bands = _check_bands(bands_min)
    if method not in ("raster", "exact"):
        raise InputError(f"isochrone method must be 'raster' or 'exact', got {method!r}")
    if parallel not in ("auto", "processes", "threads"):
        raise InputError(f"parallel must be 'auto', 'processes' or 'threads', got {parallel!r}", option="parallel")
    if not buffer_m >= 0:
        raise InputError(f"buffer_m must be >= 0 metres, got {buffer_m!r}")
    h = default_cell_m(buffer_m) if cell_m is None else float(cell_m)
    if not h > 0:
        raise InputError(f"cell_m must be > 0 metres, got {cell_m!r}")
    kw = _BandOptions(method=method, buffer_m=float(buffer_m), fill_holes_m2=fill_holes_m2, cell_m=h,
                      direction=direction)
    rows: list[dict] = []
    if not per_source:
        nm = engine.node_minutes(sources, cutoff_min=bands[-1], direction=direction).minutes
        polys = _band_polygons(engine, nm, sources, bands, np.flatnonzero(np.isfinite(nm)), source_mask=None, **kw)
        rows = [{"minutes": b, "geometry": p} for b, p in zip(bands, polys, strict=True)]
    else:
        rows = _per_source_rows(engine, sources, bands, kw, workers, parallel)
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows, columns=["source", "minutes", "geometry"][0 if per_source else 1:]),
                           geometry="geometry", crs=engine.net.crs)
    gdf["area_m2"] = gdf.geometry.area
    return gdf
