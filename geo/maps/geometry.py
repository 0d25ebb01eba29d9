"""Geometries as drawn: simplified in metres, in EPSG:4326 (GCJ-02 for Gaode), rounded."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from ..errors import InputError

__all__ = ["POLYGONAL", "Display", "Prepared", "is_metric"]

POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon


@dataclass
class Prepared:
    """Display geometries of one layer and the input rows they come from."""

    geoms: np.ndarray  # display geometries (EPSG:4326, possibly GCJ-02 shifted)
    rows: np.ndarray  # positional index of the input rows kept

    def take(self, sel: np.ndarray) -> Prepared:
        """The geometries (and rows) at positions ``sel``."""
        return Prepared(self.geoms[sel], self.rows[sel])


def is_metric(crs: pyproj.CRS) -> bool:
    """True for a projected CRS whose two axes are in metres."""
    if not crs.is_projected:
        return False
    units = {(a.unit_name or "").lower() for a in crs.axis_info[:2]}
    return units <= {"metre", "meter", "m"}


@dataclass(frozen=True)
class Display:
    """How geometries are turned into what the page draws.

    Parameters
    ----------
    simplify_m
        Simplification tolerance of polygons, metres; ``None`` picks 1/20000 of the
        layer's extent, clamped to 0.5-10 m; 0 disables it.
    coord_decimals
        Decimals kept in longitude/latitude.
    gcj02
        Shift WGS84 to GCJ-02 (to line up with Gaode tiles).
    """

    simplify_m: float | None
    coord_decimals: int
    gcj02: bool

    def _simplified(self, geoms: np.ndarray) -> np.ndarray:
        tol = self.simplify_m
        if tol is None:
            x0, y0, x1, y1 = shapely.total_bounds(geoms)
            tol = float(np.clip(math.hypot(x1 - x0, y1 - y0) / 20000.0, 0.5, 10.0))
        return shapely.simplify(geoms, tol, preserve_topology=True) if tol > 0 else geoms

    def _shown(self, out: gpd.GeoSeries, rows: np.ndarray) -> Prepared:
        """``out`` (EPSG:4326) shifted for Gaode, rounded; empty results dropped."""
        if self.gcj02:
            from ..coords import convert_geoseries  # lazy: only for the Gaode basemap

            out = convert_geoseries(out, src="wgs84", dst="gcj02")
        grid = 10.0 ** -self.coord_decimals
        disp = shapely.set_precision(np.asarray(out.values), grid)
        disp = shapely.transform(disp, lambda c: np.round(c, self.coord_decimals))
        ok = ~shapely.is_empty(disp)
        return Prepared(disp[ok], rows[ok])

    def prepare(self, gdf: gpd.GeoDataFrame, *, what: str, kind: str) -> Prepared:
        """Simplify in metres, reproject, shift (Gaode) and round the geometries.

        ``kind`` is ``"polygon"`` (polygonal geometries required) or ``"point"`` (other
        geometries are replaced by a representative point). Missing and empty geometries
        are left out; :attr:`Prepared.rows` says which input rows are drawn.

        Raises
        ------
        InputError
            If ``gdf`` is not a GeoDataFrame, has no CRS, or (polygons) holds a row of
            another geometry type.
        """
        if not isinstance(gdf, gpd.GeoDataFrame):
            raise InputError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
        if gdf.crs is None:
            raise InputError(f"{what}: the layer has no CRS; set one (e.g. gdf.set_crs(4548))")
        gs = gdf.geometry.reset_index(drop=True)
        keep = ~(gs.isna() | gs.is_empty).to_numpy()
        gs = gs[keep]
        rows = np.flatnonzero(keep)
        if len(gs) == 0:
            return Prepared(np.empty(0, dtype=object), rows)
        crs = pyproj.CRS.from_user_input(gdf.crs)
        metric = gs if is_metric(crs) else gs.to_crs(gs.estimate_utm_crs())
        geoms = np.asarray(metric.values)
        type_ids = shapely.get_type_id(geoms)
        if kind == "polygon":
            bad = ~np.isin(type_ids, POLYGONAL)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"{what}: row {int(rows[i])} is a {geoms[i].geom_type}; "
                    "only Polygon/MultiPolygon geometries can be drawn here"
                )
            geoms = self._simplified(geoms)
        else:
            not_pt = type_ids != 0
            if not_pt.any():
                geoms = geoms.copy()
                geoms[not_pt] = shapely.point_on_surface(geoms[not_pt])
        out = gpd.GeoSeries(geoms, crs=metric.crs).to_crs("EPSG:4326")
        return self._shown(out, rows)


def display_transformer(crs: object, *, gcj02: bool) -> Callable[[np.ndarray, np.ndarray], tuple[Any, Any]]:
    """``f(x, y) -> (lon, lat)``: coordinates of ``crs`` as the page draws them (EPSG:4326, GCJ-02 for Gaode)."""
    tr = pyproj.Transformer.from_crs(pyproj.CRS.from_user_input(crs), "EPSG:4326", always_xy=True)

    def f(x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
        lon, lat = tr.transform(x, y)
        if gcj02:
            from ..coords import wgs84_to_gcj02

            lon, lat = wgs84_to_gcj02(np.asarray(lon), np.asarray(lat))
        return lon, lat

    return f


def merge_alike(gdf: gpd.GeoDataFrame, cols: list[Any], *, exact: tuple[Any, ...] = ()) -> gpd.GeoDataFrame:
    """Polygon rows that show the same values merged into one row: the page shows the same, in fewer bytes.

    A layer of 50 m demand cells holds thousands of squares that differ only in geometry;
    merged by the values their tooltip, popup and colour show (the text of each value in
    ``cols``, the exact value of those in ``exact``), the page draws the same picture with
    one feature per class. Rows are kept in the order of their group's first row.

    Returns ``gdf`` itself when nothing would merge, when a column is missing, or when a
    row is not a polygon (the layer's own checks then name the problem).
    """
    from .text import fmt_value

    if not isinstance(gdf, gpd.GeoDataFrame) or len(gdf) < 2:
        return gdf
    cols = list(dict.fromkeys([*cols, *exact]))
    if any(not isinstance(c, str) or c not in gdf.columns for c in cols):
        return gdf
    geoms = np.asarray(gdf.geometry.values)
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not np.isin(shapely.get_type_id(geoms[ok]), POLYGONAL).all():
        return gdf
    data = [gdf[c].to_numpy(dtype=object) for c in cols]
    shown = [repr if c in exact else fmt_value for c in cols]
    keys = ["\x1f".join(f(v) for f, v in zip(shown, row, strict=True)) for row in zip(*data, strict=True)] \
        if cols else [""] * len(gdf)
    group, uniq = pd.factorize(pd.Series(keys), sort=False)
    if len(uniq) == len(gdf):
        return gdf
    first = np.unique(group, return_index=True)[1]
    merged = np.empty(len(uniq), dtype=object)
    order = np.argsort(group, kind="stable")
    cuts = np.flatnonzero(np.r_[True, group[order][1:] != group[order][:-1]])
    for gi, members in zip(group[order][cuts], np.split(order, cuts[1:]), strict=True):
        m = members[ok[members]]
        merged[gi] = (geoms[m[0]] if len(m) == 1 else shapely.union_all(geoms[m])) if len(m) else None
    out = gdf.iloc[first].copy()
    out[gdf.geometry.name] = gpd.GeoSeries(merged, index=out.index, crs=gdf.crs)
    return out
