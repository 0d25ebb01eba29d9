"""Longitude/latitude columns for tables a planner copies into other tools.

Every site and centre row carries ``lon_wgs84``/``lat_wgs84`` (degrees, 6 decimals, about
0.1 m); when the planner's inputs were GCJ-02 (Gaode, Tencent) or BD-09 (Baidu), the same
points in those systems too, so a proposed site can be pasted back into the map it came from.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import shapely

from geo.coords import convert
from geo.projection import WEB_CRS

DECIMALS = 6  # 1e-6 degree ~ 0.1 m


def input_systems(study_log: dict, *extra: str | None) -> list[str]:
    """Coordinate systems of the study's planner files (and ``extra``), WGS84 left out, in a fixed order."""
    given = {f.get("coords") for f in study_log.get("facility_files", [])} | set(extra)
    return [c for c in ("gcj02", "bd09") if c in given]


def with_lonlat(gdf: gpd.GeoDataFrame, *, systems: Iterable[str] = ()) -> gpd.GeoDataFrame:
    """``gdf`` with ``lon_wgs84``, ``lat_wgs84`` (+ ``lon_gcj02``... for each of ``systems``) added.

    Parameters
    ----------
    gdf
        Points (or polygons: a point inside is used) in any CRS.
    systems
        Further systems to add: ``"gcj02"``, ``"bd09"``.
    """
    out = gdf.copy()
    if len(out) == 0:
        for s in ("wgs84", *systems):
            out[f"lon_{s}"], out[f"lat_{s}"] = np.array([], float), np.array([], float)
        return out
    geoms = out.geometry.to_crs(WEB_CRS).to_numpy()
    pts = np.where(shapely.get_type_id(geoms) == 0, geoms, shapely.point_on_surface(geoms))
    lon, lat = shapely.get_x(pts), shapely.get_y(pts)
    out["lon_wgs84"], out["lat_wgs84"] = np.round(lon, DECIMALS), np.round(lat, DECIMALS)
    for s in systems:
        x, y = convert(lon, lat, src="wgs84", dst=s)
        out[f"lon_{s}"], out[f"lat_{s}"] = (np.round(np.asarray(x, float), DECIMALS),
                                            np.round(np.asarray(y, float), DECIMALS))
    return out
