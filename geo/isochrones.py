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

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import substring

from ._errors import InputError
from .engine import Direction, TravelTimeEngine
from .snapping import SnappedPoints

DEFAULT_BUFFER_M = 30.0
DEFAULT_FILL_HOLES_M2 = 10_000.0


def reachable_pieces(
    engine: TravelTimeEngine,
    node_minutes: np.ndarray,
    sources: SnappedPoints,
    budget_min: float,
    *,
    direction: Direction = "to_source",
    source_mask: np.ndarray | None = None,
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

    Returns
    -------
    edge, start_m, end_m
        One row per reachable interval ``[start_m, end_m]`` along an edge (metres from ``u``).
    """
    mpm = engine.mpm
    L = engine.length_m
    du = node_minutes[engine.u]
    dv = node_minutes[engine.v]
    # which travel direction along the edge each end's credit needs
    if direction == "from_source":
        from_u_ok, from_v_ok = engine.forward, engine.backward
    else:
        from_u_ok, from_v_ok = engine.backward, engine.forward
    with np.errstate(invalid="ignore"):
        a = np.where(from_u_ok & (du <= budget_min), np.clip((budget_min - du) * mpm, 0, L), -1.0)
        b = np.where(from_v_ok & (dv <= budget_min), np.clip((budget_min - dv) * mpm, 0, L), -1.0)
    full = (a >= 0) & (b >= 0) & (a + b >= L) | (a >= L) | (b >= L)
    e_full = np.flatnonzero(full)
    part_a = np.flatnonzero(~full & (a >= 0))
    part_b = np.flatnonzero(~full & (b >= 0))
    edges = [e_full, part_a, part_b]
    starts = [np.zeros(len(e_full)), np.zeros(len(part_a)), L[part_b] - b[part_b]]
    ends = [L[e_full], a[part_a], L[part_b]]
    # credit along the sources' own edges
    on = sources.on_network if source_mask is None else (sources.on_network & source_mask)
    if on.any():
        s = sources.subset(on)
        r = budget_min * mpm - s.access_m
        ok = r >= 0
        se, ts, r = s.edge[ok], s.offset_m[ok], r[ok]
        # from_source: the source walks forward (needs forward) to higher offsets;
        # to_source: a resident at a higher offset walks backward to the source
        hi_ok = engine.forward[se] if direction == "from_source" else engine.backward[se]
        lo_ok = engine.backward[se] if direction == "from_source" else engine.forward[se]
        hi = np.where(hi_ok, np.minimum(ts + r, L[se]), ts)
        lo = np.where(lo_ok, np.maximum(ts - r, 0.0), ts)
        edges.append(se)
        starts.append(lo)
        ends.append(hi)
    return np.concatenate(edges), np.concatenate(starts), np.concatenate(ends)


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
) -> shapely.Geometry:
    e, s, t = reachable_pieces(engine, node_minutes, sources, budget, direction=direction, source_mask=source_mask)
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


def isochrones(
    engine: TravelTimeEngine,
    sources: SnappedPoints,
    bands_min: Sequence[float],
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
    fill_holes_m2: float = DEFAULT_FILL_HOLES_M2,
    direction: Direction = "to_source",
    per_source: bool = False,
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

    Returns
    -------
    GeoDataFrame
        Columns ``minutes``, ``area_m2`` (and ``source``), in the network CRS; the larger
        band of each source contains the smaller.
    """
    bands = _check_bands(bands_min)
    kw = dict(buffer_m=buffer_m, fill_holes_m2=fill_holes_m2, direction=direction)
    rows: list[dict] = []
    if not per_source:
        nm = engine.node_minutes(sources, cutoff_min=bands[-1], direction=direction).minutes
        prev = shapely.Polygon()
        for b in bands:
            poly = shapely.union(_polygon(engine, nm, sources, b, **kw), prev)
            rows.append({"minutes": b, "geometry": poly})
            prev = poly
    else:
        cat = engine.catchments(sources, cutoff_min=bands[-1], direction=direction)
        order = np.argsort(cat.source, kind="stable")
        cs, cn, cm = cat.source[order], cat.node[order], cat.minutes[order]
        bounds = np.searchsorted(cs, np.arange(len(sources) + 1))
        nm = np.full(engine.n, np.inf)
        for si in np.flatnonzero(sources.on_network):
            lo, hi = bounds[si], bounds[si + 1]
            nm[cn[lo:hi]] = cm[lo:hi]
            mask = np.zeros(len(sources), bool)
            mask[si] = True
            prev = shapely.Polygon()
            for b in bands:
                poly = shapely.union(_polygon(engine, nm, sources, b, source_mask=mask, **kw), prev)
                rows.append({"source": int(si), "minutes": b, "geometry": poly})
                prev = poly
            nm[cn[lo:hi]] = np.inf
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=engine.net.crs)
    gdf["area_m2"] = gdf.geometry.area
    return gdf
