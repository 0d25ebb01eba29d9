"""Demand units: where residents are, as points that carry land area (and people).

Residential land polygons are cut into a regular grid of square cells (default 50 m);
each piece keeps its exact area, its source polygon and a representative point that is
snapped to the network. Shares of *land* covered are then area-weighted sums over the
pieces, so the result does not depend on how OSM split the land into polygons.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .errors import DataError, InputError
from .projection import check_metric

DEFAULT_CELL_M = 50.0


def grid_cells(
    polygons: gpd.GeoDataFrame | gpd.GeoSeries, *, cell_m: float = DEFAULT_CELL_M, keep_cols: list[str] | None = None
) -> gpd.GeoDataFrame:
    """Cut polygons into square grid cells of ``cell_m`` metres (pieces clipped to the polygons).

    Parameters
    ----------
    polygons
        Polygons in a metric CRS (e.g. residential land).
    cell_m
        Side of the grid cells, metres. The grid is anchored at multiples of ``cell_m`` so
        the same land gives the same cells in every run.
    keep_cols
        Columns of ``polygons`` copied to each piece.

    Returns
    -------
    GeoDataFrame
        One row per (polygon, cell) piece: ``parent`` (position of the polygon),
        ``area_m2``, ``geometry`` (the piece) and ``point`` (a representative point inside it).
        Overlapping polygons are merged first so no land is counted twice (``parent`` is
        then the first polygon that covers the piece's point).
    """
    if cell_m <= 0:
        raise InputError(f"grid cell size must be > 0 metres, got {cell_m!r}")
    gs = polygons.geometry if isinstance(polygons, gpd.GeoDataFrame) else polygons
    check_metric(gs.crs, what="demand polygons")
    geoms = gs.to_numpy()
    poly_mask = np.isin(shapely.get_type_id(geoms), [3, 6])
    if not poly_mask.any():
        raise DataError("no polygons to build demand cells from (residential land is empty)")
    valid = shapely.make_valid(geoms[poly_mask])
    parents_all = np.flatnonzero(poly_mask)
    # merge overlaps so no land counts twice; parents are found again per piece below
    merged = shapely.union_all(valid)
    geoms = np.array([p for p in shapely.get_parts(merged) if shapely.get_type_id(p) == 3], dtype=object)
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    x0 = np.floor(xmin / cell_m) * cell_m
    y0 = np.floor(ymin / cell_m) * cell_m
    nx_ = max(1, int(np.ceil((xmax - x0) / cell_m)))
    ny_ = max(1, int(np.ceil((ymax - y0) / cell_m)))
    ix, iy = np.meshgrid(np.arange(nx_), np.arange(ny_))
    cx = x0 + ix.ravel() * cell_m
    cy = y0 + iy.ravel() * cell_m
    cells = shapely.box(cx, cy, cx + cell_m, cy + cell_m)
    tree = shapely.STRtree(cells)
    pi, ci = tree.query(geoms, predicate="intersects")
    pieces = shapely.intersection(geoms[pi], cells[ci])
    # keep areal parts only (intersections can yield lines/points along borders)
    pieces = np.array([_areal(p) for p in pieces], dtype=object)
    area = shapely.area(pieces)
    ok = area > 0
    pi, ci, pieces, area = pi[ok], ci[ok], pieces[ok], area[ok]
    points = shapely.point_on_surface(pieces)
    # parent = first input polygon containing the piece's representative point
    ptree = shapely.STRtree(valid)
    qi, vi = ptree.query(points, predicate="intersects")
    first = pd.Series(vi).groupby(qi).min()
    parent = np.full(len(pieces), -1, dtype=np.int64)
    parent[first.index.to_numpy()] = parents_all[first.to_numpy()]
    data = {"parent": parent, "cell": ci, "area_m2": area}
    if keep_cols and isinstance(polygons, gpd.GeoDataFrame):
        for c in keep_cols:
            data[c] = polygons[c].to_numpy()[np.maximum(parent, 0)]
    out = gpd.GeoDataFrame(pd.DataFrame(data), geometry=pieces, crs=gs.crs)
    out["point"] = gpd.GeoSeries(points, crs=gs.crs)
    return out


def _areal(g: shapely.Geometry) -> shapely.Geometry:
    if shapely.get_type_id(g) in (3, 6):
        return g
    parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) == 3]
    return shapely.MultiPolygon(parts) if parts else shapely.Polygon()


def share(values: np.ndarray, covered: np.ndarray) -> float:
    """Weighted share of ``covered`` (boolean) with weights ``values``; NaN-safe, 0 if empty."""
    values = np.asarray(values, dtype=float)
    covered = np.asarray(covered, dtype=bool)
    total = np.nansum(values)
    if total <= 0:
        return 0.0
    return float(np.nansum(np.where(covered, values, 0.0)) / total)
