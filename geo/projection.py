"""Metric coordinate reference systems: choose one, check one, project to it.

All analysis runs in metres. ``crs=None`` picks the UTM zone of the data (WGS84 datum);
any EPSG code or pyproj CRS may be given instead, e.g. ``4548`` for CGCS2000 /
3-degree Gauss-Kruger CM 117E, used by Tianjin's planners.

A CRS given explicitly must be meant for where the data lie: a projection used far outside
its area of use (pyproj ``CRS.area_of_use``) distorts lengths and areas silently, e.g.
EPSG:4548 (CM 117E) inflates Liechtenstein's residential land from 12.0 to 20.6 km2. The
data's extent may reach :data:`AREA_OF_USE_MARGIN_DEG` degrees beyond the area of use
(at 1 degree beyond a 3-degree Gauss-Kruger zone the scale error is below 0.1 %, beyond a
UTM zone about 0.2 %); further out the CRS is refused. A CRS without an area of use
(a custom PROJ string) is not checked.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import geopandas as gpd
import pyproj

from .errors import InputError

#: CRS used for web maps only.
WEB_CRS = "EPSG:4326"

#: How far, in degrees of longitude/latitude, the data may reach beyond a CRS's area of use.
AREA_OF_USE_MARGIN_DEG = 1.0

_Data: TypeAlias = "gpd.GeoDataFrame | gpd.GeoSeries"


def metric_crs(crs: Any, *, like: _Data | None = None, covers: _Data | None = None) -> pyproj.CRS:
    """Resolve ``crs`` to a projected CRS in metres.

    Parameters
    ----------
    crs
        ``None`` or ``"utm"`` for the UTM zone of ``like`` (its centroid), otherwise anything
        pyproj accepts (``4548``, ``"EPSG:32650"``...).
    like
        Data that sets the UTM zone when ``crs`` is ``None``; must have a CRS.
    covers
        Data whose extent an explicit ``crs`` must cover (see :func:`check_area_of_use`);
        default ``like``. Not checked when both are None.

    Raises
    ------
    InputError
        If ``crs`` is unknown, geographic (degrees), not in metres, or meant for another
        part of the world than the data.
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
    data = covers if covers is not None else like
    if data is not None:
        check_area_of_use(out, data)
    return out


def _lonlat_bounds(data: _Data) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of ``data`` in degrees; None when empty or without a CRS."""
    if data.crs is None or len(data) == 0 or data.is_empty.all():
        return None
    geo = data if pyproj.CRS.from_user_input(data.crs).is_geographic else data.to_crs(WEB_CRS)
    x0, y0, x1, y1 = (float(v) for v in geo.total_bounds)
    return x0, y0, x1, y1


def _deg(v: float, pos: str, neg: str) -> str:
    return f"{abs(v):.4g}{pos if v >= 0 else neg}"


def check_area_of_use(crs: Any, data: _Data, *, margin_deg: float = AREA_OF_USE_MARGIN_DEG) -> None:
    """Refuse a CRS whose area of use does not cover the data.

    Parameters
    ----------
    crs
        The CRS (anything pyproj accepts).
    data
        Layer with a CRS; its bounding box, in longitude/latitude degrees, is compared with
        the CRS's ``area_of_use`` bounds grown by ``margin_deg``.
    margin_deg
        How far, in degrees, the data may reach beyond the area of use.

    Raises
    ------
    InputError
        If the data reach beyond the area of use (plus margin); the message names the CRS,
        its area of use and bounds, and where the data lie.
    """
    c = pyproj.CRS.from_user_input(crs)
    aou = c.area_of_use
    box = _lonlat_bounds(data)
    if aou is None or box is None:
        return
    w, s, e, n = aou.west, aou.south, aou.east, aou.north
    x0, y0, x1, y1 = box
    if w > e:  # the area of use crosses the antimeridian: count longitudes eastwards from w
        e += 360.0
        if x1 < w - margin_deg:
            x0, x1 = x0 + 360.0, x1 + 360.0
    m = margin_deg
    if x0 >= w - m and x1 <= e + m and y0 >= s - m and y1 <= n + m:
        return
    code = c.to_string() if c.to_epsg() is not None else "the CRS"
    place = aou.name.split(". ")[0].rstrip(".")
    if len(place) > 80:
        place = place[:77].rsplit(" ", 1)[0].rstrip(",") + "..."
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    raise InputError(
        f"{code} ({c.name}) is meant for {place} - {_deg(aou.west, 'E', 'W')} to {_deg(aou.east, 'E', 'W')}, "
        f"{_deg(aou.south, 'N', 'S')} to {_deg(aou.north, 'N', 'S')}; the data lie at "
        f"{_deg(cx, 'E', 'W')} {_deg(cy, 'N', 'S')} ({_deg(box[0], 'E', 'W')} to {_deg(box[2], 'E', 'W')}, "
        f"{_deg(box[1], 'N', 'S')} to {_deg(box[3], 'N', 'S')}), more than {margin_deg:g} degree outside, "
        "where it would distort distances and areas. Choose a CRS that covers them, or leave the CRS out "
        "to use the data's UTM zone."
    )


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
