"""Geometries as drawn: simplified in metres, in EPSG:4326 (GCJ-02 for Gaode), rounded."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
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
