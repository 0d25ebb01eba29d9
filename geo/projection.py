"""Metric coordinate reference systems: choose one, check one, project to it.

All analysis runs in metres. ``crs=None`` picks the UTM zone of the data (WGS84 datum);
any EPSG code or pyproj CRS may be given instead, e.g. ``4548`` for CGCS2000 /
3-degree Gauss-Kruger CM 117E, which Beichen's planners use.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pyproj

from ._errors import InputError

#: CRS used for web maps only.
WEB_CRS = "EPSG:4326"


def metric_crs(crs: Any, *, like: gpd.GeoDataFrame | gpd.GeoSeries | None = None) -> pyproj.CRS:
    """Resolve ``crs`` to a projected CRS in metres.

    Parameters
    ----------
    crs
        ``None`` or ``"utm"`` for the UTM zone of ``like`` (its centroid), otherwise anything
        pyproj accepts (``4548``, ``"EPSG:32650"``...).
    like
        Data that sets the UTM zone when ``crs`` is ``None``; must have a CRS.

    Raises
    ------
    InputError
        If ``crs`` is unknown, geographic (degrees) or not in metres.
    """
    if crs is None or (isinstance(crs, str) and crs.lower() == "utm"):
        if like is None or like.crs is None:
            raise InputError("cannot choose a UTM zone: the data has no CRS")
        est = like.to_crs(WEB_CRS) if not like.crs.is_geographic else like
        out = est.estimate_utm_crs()
        if out is None:  # pragma: no cover - only for empty data
            raise InputError("cannot choose a UTM zone for empty data; pass crs=EPSG code")
        return out
    try:
        out = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        raise InputError(f"unknown CRS {crs!r}: give an EPSG code such as 4548 ({exc})") from exc
    check_metric(out)
    return out


def check_metric(crs: Any, *, what: str = "data") -> None:
    """Raise :class:`InputError` unless ``crs`` is projected with metre units."""
    if crs is None:
        raise InputError(f"{what} has no CRS; set one (e.g. EPSG:4326 for lon/lat)")
    c = pyproj.CRS.from_user_input(crs)
    if not c.is_projected:
        raise InputError(
            f"{what} is in a geographic CRS ({c.name}); distances in degrees are meaningless. "
            "Project it to a metric CRS first (e.g. geo.projection.metric_crs(None, like=...))."
        )
    units = {a.unit_name for a in c.axis_info}
    if not units <= {"metre", "meter"}:
        raise InputError(f"{what} CRS {c.name} is not in metres (units: {sorted(units)})")


def to_metric(gdf: gpd.GeoDataFrame, crs: Any, *, what: str = "layer") -> gpd.GeoDataFrame:
    """Return ``gdf`` projected to the metric ``crs`` (no copy when already there)."""
    if gdf.crs is None:
        raise InputError(f"{what} has no CRS; set one (e.g. EPSG:4326 for lon/lat)")
    target = pyproj.CRS.from_user_input(crs)
    check_metric(target, what=what)
    if pyproj.CRS.from_user_input(gdf.crs) == target:
        return gdf
    return gdf.to_crs(target)
