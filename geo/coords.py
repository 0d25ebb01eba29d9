"""Chinese coordinate systems: WGS84, GCJ-02 ("Mars coordinates") and BD-09 (Baidu).

OpenStreetMap and GPS use **WGS84**. Maps published in mainland China shift every
coordinate: **GCJ-02** is used by Amap/Gaode, Tencent and Google Maps in China, and **BD-09**
adds Baidu's own shift on top of GCJ-02. A facility list copied from Amap is therefore a few
hundred metres off the OSM street network until it is converted back to WGS84.

All functions are vectorised with numpy and take longitude first, in degrees. Scalars give
floats back, anything else (lists, arrays, pandas Series) gives numpy arrays.

Out-of-China rule
-----------------
As in every public implementation (eviltransform, PRCoords, coordtransform), a point whose
*input* coordinates lie outside the bounding box ``72.004 <= lon <= 137.8347``,
``0.8293 <= lat <= 55.8271`` is returned unchanged, because the shift is only applied to
Chinese maps. The box is coarse: it includes parts of neighbouring countries and misses
nothing in mainland China. NaN coordinates are returned as NaN. Readers of planner files
call :func:`warn_outside_china` so that a "GCJ-02" file of points elsewhere is not passed
through unchanged in silence.

Accuracy
--------
The forward conversions (WGS84 -> GCJ-02 -> BD-09) are the published closed formulas. The
inverse conversions solve the forward formula by fixed-point iteration until the error is
below 1e-10 degrees (about 0.01 mm), so a round trip returns the starting point to far
better than a centimetre, not to the metre or two of the usual one-step approximation.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import ArrayLike, NDArray

from .errors import GeoWarning, InputError

__all__ = [
    "SYSTEMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert",
    "convert_geoseries",
    "gcj02_offset_m",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "in_china",
    "normalize_system",
    "swapped_mask",
    "warn_outside_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: Names accepted for ``src``/``dst``.
SYSTEMS: Final = ("wgs84", "gcj02", "bd09")

#: Bounding box (lon_min, lat_min, lon_max, lat_max) of the out-of-China rule, in degrees.
CHINA_BBOX: Final = (72.004, 0.8293, 137.8347, 55.8271)

# Krasovsky 1940 ellipsoid used by the GCJ-02 formula: semi-major axis (m), e^2.
_GCJ_A: Final = 6378245.0
_GCJ_EE: Final = 0.00669342162296594323
# Baidu's constants.
_BD_X_PI: Final = np.pi * 3000.0 / 180.0
_BD_DLON: Final = 0.0065
_BD_DLAT: Final = 0.006

# Inverse iterations stop below this change, in degrees (1e-10 deg ~ 0.01 mm).
_TOLERANCE_DEG: Final = 1e-10
_MAX_ITER: Final = 30

_GEOD: Final = pyproj.Geod(ellps="WGS84")

_Array = NDArray[np.float64]
_Pair = tuple[_Array, _Array]
_ALIASES: Final = {
    "wgs84": "wgs84",
    "wgs": "wgs84",
    "epsg4326": "wgs84",
    "4326": "wgs84",
    "gcj02": "gcj02",
    "gcj": "gcj02",
    "mars": "gcj02",
    "bd09": "bd09",
    "bd": "bd09",
    "baidu": "bd09",
    "bd09ll": "bd09",
}


# --------------------------------------------------------------------------- helpers
def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[_Array, _Array, bool]:
    """Return float64 arrays of the same shape, and whether both inputs were scalars."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    try:
        x = np.asarray(lon, dtype=np.float64)
        y = np.asarray(lat, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"coordinates must be numbers in degrees: {exc}") from exc
    try:
        x, y = np.broadcast_arrays(x, y)
    except ValueError as exc:
        raise InputError(
            f"lon and lat have different shapes {np.shape(x)} and {np.shape(y)}"
        ) from exc
    return x, y, scalar


def _out(x: _Array, y: _Array, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(x), float(y)
    return x, y


def in_china(lon: ArrayLike, lat: ArrayLike) -> Any:
    """Tell which points fall in the bounding box of the out-of-China rule.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees (scalars or arrays).

    Returns
    -------
    bool or numpy.ndarray of bool
        True where the shift applies; False outside the box and for NaN.
    """
    x, y, scalar = _as_arrays(lon, lat)
    mask = _china_mask(x, y)
    return bool(mask) if scalar else mask


def _china_mask(x: _Array, y: _Array) -> NDArray[np.bool_]:
    lon0, lat0, lon1, lat1 = CHINA_BBOX
    return np.asarray((x >= lon0) & (x <= lon1) & (y >= lat0) & (y <= lat1))


def warn_outside_china(
    lon: ArrayLike, lat: ArrayLike, *, src: str, what: str, rows: Sequence[Any] | None = None
) -> int:
    """Warn when points said to be GCJ-02 or BD-09 lie outside China (they stay unchanged).

    Parameters
    ----------
    lon, lat
        Input longitude and latitude in degrees, in system ``src``.
    src
        Their coordinate system; only ``gcj02`` and ``bd09`` (any accepted spelling) warn.
    what
        The file or layer, for the message (e.g. ``"clinic facilities file 'a.csv'"``).
    rows
        Row labels of the points, for the message (default: 1-based positions).

    Returns
    -------
    int
        How many points were left unchanged (0 for WGS84 input; NaN points are not counted).
    """
    system = normalize_system(src, argument="source coordinate system")
    if system == "wgs84":
        return 0
    x, y, _ = _as_arrays(lon, lat)
    x, y = x.ravel(), y.ravel()
    outside = ~_china_mask(x, y) & np.isfinite(x) & np.isfinite(y)
    n = int(outside.sum())
    if n:
        labels = list(rows) if rows is not None else list(range(1, len(x) + 1))
        where = [str(labels[i]) for i in np.flatnonzero(outside)[:10]]
        more = "..." if n > 10 else ""
        name = "GCJ-02" if system == "gcj02" else "BD-09"
        warnings.warn(
            GeoWarning(
                f"{what}: {n} of {len(x)} points were left unchanged by the {name} -> WGS84 conversion "
                f"because they lie outside China (rows {', '.join(where)}{more}, e.g. lon "
                f"{x[outside][0]:g}, lat {y[outside][0]:g}). GCJ-02 and BD-09 only exist inside China; "
                "points elsewhere are WGS84 already. Use coords='wgs84' for this file, or check its "
                "coordinates.",
                option="coords",
            ),
            stacklevel=3,
        )
    return n


def swapped_mask(
    lon: ArrayLike, lat: ArrayLike, bounds: tuple[float, float, float, float]
) -> NDArray[np.bool_]:
    """Points that lie outside ``bounds`` but inside it once longitude and latitude are swapped.

    Works anywhere in the world (the range check of :mod:`geo.io` only catches swaps that
    leave the range of degrees or that land in China).

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees.
    bounds
        (west, south, east, north) of the study area, in degrees.

    Returns
    -------
    numpy.ndarray of bool
        True for each point that looks swapped; False for NaN.
    """
    x, y, _ = _as_arrays(lon, lat)
    w, s, e, n = bounds

    def inside(a: _Array, b: _Array) -> NDArray[np.bool_]:
        return np.asarray((a >= w) & (a <= e) & (b >= s) & (b <= n))

    return ~inside(x, y) & inside(y, x)


def _gcj_delta(x: _Array, y: _Array) -> _Pair:
    """GCJ-02 shift (dlon, dlat) in degrees at WGS84 point (x, y) - the published formula."""
    u = x - 105.0
    v = y - 35.0
    common = 20.0 * np.sin(6.0 * u * np.pi) + 20.0 * np.sin(2.0 * u * np.pi)
    dlat_m = (
        -100.0
        + 2.0 * u
        + 3.0 * v
        + 0.2 * v * v
        + 0.1 * u * v
        + 0.2 * np.sqrt(np.abs(u))
        + (
            common
            + 20.0 * np.sin(v * np.pi)
            + 40.0 * np.sin(v / 3.0 * np.pi)
            + 160.0 * np.sin(v / 12.0 * np.pi)
            + 320.0 * np.sin(v / 30.0 * np.pi)
        )
        * 2.0
        / 3.0
    )
    dlon_m = (
        300.0
        + u
        + 2.0 * v
        + 0.1 * u * u
        + 0.1 * u * v
        + 0.1 * np.sqrt(np.abs(u))
        + (
            common
            + 20.0 * np.sin(u * np.pi)
            + 40.0 * np.sin(u / 3.0 * np.pi)
            + 150.0 * np.sin(u / 12.0 * np.pi)
            + 300.0 * np.sin(u / 30.0 * np.pi)
        )
        * 2.0
        / 3.0
    )
    rad = np.radians(y)
    magic = 1.0 - _GCJ_EE * np.sin(rad) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat_m * 180.0 / ((_GCJ_A * (1.0 - _GCJ_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = dlon_m * 180.0 / (_GCJ_A / sqrt_magic * np.cos(rad) * np.pi)
    return dlon, dlat


def _wgs_to_gcj(x: _Array, y: _Array) -> _Pair:
    dlon, dlat = _gcj_delta(x, y)
    return x + dlon, y + dlat


def _gcj_to_bd(x: _Array, y: _Array) -> _Pair:
    z = np.hypot(x, y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_to_gcj_approx(x: _Array, y: _Array) -> _Pair:
    u = x - _BD_DLON
    v = y - _BD_DLAT
    z = np.hypot(u, v) - 0.00002 * np.sin(v * _BD_X_PI)
    theta = np.arctan2(v, u) - 0.000003 * np.cos(u * _BD_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _wgs_to_bd(x: _Array, y: _Array) -> _Pair:
    return _gcj_to_bd(*_wgs_to_gcj(x, y))


def _invert(
    forward: Callable[[_Array, _Array], _Pair], x: _Array, y: _Array, start: _Pair
) -> _Pair:
    """Solve ``forward(a, b) == (x, y)`` by fixed-point iteration from ``start``.

    The shifts change by less than 1 % per degree, so each step shrinks the error by a factor
    of at least 100; a handful of steps reach ``_TOLERANCE_DEG``.
    """
    a, b = start
    for _ in range(_MAX_ITER):
        fx, fy = forward(a, b)
        ex, ey = fx - x, fy - y
        a, b = a - ex, b - ey
        err = np.maximum(np.abs(ex), np.abs(ey))
        if not np.any(err > _TOLERANCE_DEG):  # NaN compares False: NaN points stop at once
            break
    return a, b


def _gcj_to_wgs(x: _Array, y: _Array) -> _Pair:
    dlon, dlat = _gcj_delta(x, y)
    return _invert(_wgs_to_gcj, x, y, (x - dlon, y - dlat))


def _bd_to_gcj(x: _Array, y: _Array) -> _Pair:
    return _invert(_gcj_to_bd, x, y, _bd_to_gcj_approx(x, y))


def _bd_to_wgs(x: _Array, y: _Array) -> _Pair:
    return _gcj_to_wgs(*_bd_to_gcj(x, y))


def _apply(raw: Callable[[_Array, _Array], _Pair], lon: ArrayLike, lat: ArrayLike) -> Any:
    """Apply ``raw`` inside the China box and leave every other point unchanged."""
    x, y, scalar = _as_arrays(lon, lat)
    nx, ny = _shift_inside(raw, x, y)
    return _out(nx, ny, scalar)


def _shift_inside(raw: Callable[[_Array, _Array], _Pair], x: _Array, y: _Array) -> _Pair:
    """Copies of ``x, y`` with ``raw`` applied to the points inside the China box only."""
    mask = _china_mask(x, y)
    nx, ny = x.copy(), y.copy()
    if mask.any():
        nx[mask], ny[mask] = raw(x[mask], y[mask])
    return nx, ny


# --------------------------------------------------------------------------- public
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert WGS84 (GPS, OSM) to GCJ-02 (Amap/Gaode, Tencent).

    Parameters
    ----------
    lon, lat
        WGS84 longitude and latitude in degrees; scalars or array-likes of equal shape.

    Returns
    -------
    tuple
        ``(lon, lat)`` in GCJ-02 degrees: floats for scalar input, numpy arrays otherwise.
        Points outside the China box (see module docstring) are returned unchanged.
    """
    return _apply(_wgs_to_gcj, lon, lat)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert GCJ-02 to WGS84 with the precise iterative inverse (error < 0.01 mm).

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple
        ``(lon, lat)`` in WGS84 degrees; points outside the China box are unchanged.
    """
    return _apply(_gcj_to_wgs, lon, lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert GCJ-02 to BD-09 (Baidu), in degrees; points outside the China box unchanged."""
    return _apply(_gcj_to_bd, lon, lat)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert BD-09 to GCJ-02 with the precise iterative inverse, in degrees.

    Points outside the China box are unchanged.
    """
    return _apply(_bd_to_gcj, lon, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert WGS84 to BD-09, in degrees; points outside the China box unchanged."""
    return _apply(_wgs_to_bd, lon, lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """Convert BD-09 to WGS84 with the precise iterative inverses, in degrees.

    Points outside the China box are unchanged.
    """
    return _apply(_bd_to_wgs, lon, lat)


_RAW: Final[dict[tuple[str, str], Callable[[_Array, _Array], _Pair]]] = {
    ("wgs84", "gcj02"): _wgs_to_gcj,
    ("gcj02", "wgs84"): _gcj_to_wgs,
    ("gcj02", "bd09"): _gcj_to_bd,
    ("bd09", "gcj02"): _bd_to_gcj,
    ("wgs84", "bd09"): _wgs_to_bd,
    ("bd09", "wgs84"): _bd_to_wgs,
}


def normalize_system(name: object, *, argument: str = "coordinate system") -> str:
    """Return the canonical name (``"wgs84"``, ``"gcj02"`` or ``"bd09"``) of ``name``.

    Case, spaces, ``-`` and ``_`` are ignored, and a few aliases are accepted
    (``"WGS-84"``, ``"GCJ-02"``, ``"baidu"``...).

    Raises
    ------
    InputError
        If ``name`` is not one of them; the message lists the allowed values.
    """
    key = str(name).strip().lower().replace("-", "").replace("_", "").replace(" ", "")
    key = key.replace("epsg:", "epsg")
    try:
        return _ALIASES[key]
    except KeyError:
        raise InputError(
            f"unknown {argument} {name!r}: use one of {', '.join(SYSTEMS)} "
            "(wgs84 = GPS/OpenStreetMap, gcj02 = Amap/Gaode/Tencent, bd09 = Baidu)"
        ) from None


def convert(lon: ArrayLike, lat: ArrayLike, *, src: str, dst: str) -> tuple[Any, Any]:
    """Convert coordinates between ``"wgs84"``, ``"gcj02"`` and ``"bd09"``.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees in system ``src``.
    src, dst
        Source and target systems (see :func:`normalize_system` for accepted spellings).

    Returns
    -------
    tuple
        ``(lon, lat)`` in ``dst`` degrees (a copy when ``src == dst``). Points outside the
        China box are unchanged.

    Raises
    ------
    InputError
        If ``src`` or ``dst`` is not a known system.
    """
    s = normalize_system(src, argument="source coordinate system")
    d = normalize_system(dst, argument="target coordinate system")
    if s == d:
        x, y, scalar = _as_arrays(lon, lat)
        return _out(x.copy(), y.copy(), scalar)
    return _apply(_RAW[(s, d)], lon, lat)


def convert_geoseries(gs: gpd.GeoSeries, *, src: str, dst: str) -> gpd.GeoSeries:
    """Convert every vertex of every geometry between WGS84, GCJ-02 and BD-09.

    Parameters
    ----------
    gs
        Geometries of any type (points, lines, polygons, collections; Z values are kept)
        in longitude/latitude degrees: its CRS must be geographic (EPSG:4326, CGCS2000...)
        or unset, in which case coordinates must lie within +-180/+-90.
    src, dst
        Source and target systems, as in :func:`convert`.

    Returns
    -------
    geopandas.GeoSeries
        Same index and name, CRS EPSG:4326.

    Raises
    ------
    InputError
        For an unknown system, a projected CRS, or unset CRS with values beyond degrees.
    """
    s = normalize_system(src, argument="source coordinate system")
    d = normalize_system(dst, argument="target coordinate system")
    if gs.crs is not None and not gs.crs.is_geographic:
        raise InputError(
            f"cannot convert {s} to {d}: the geometries are in projected CRS "
            f"{gs.crs.to_string()}; GCJ-02/BD-09 shifts apply to longitude/latitude degrees, "
            "so reproject to EPSG:4326 first"
        )
    if gs.crs is None and len(gs) and not gs.is_empty.all():
        x0, y0, x1, y1 = gs.total_bounds
        if min(x0, y0) < -180 or x1 > 180 or y0 < -90 or y1 > 90:
            raise InputError(
                f"cannot convert {s} to {d}: the geometries have no CRS and their "
                f"coordinates ({x0:.6g}..{x1:.6g}, {y0:.6g}..{y1:.6g}) are not "
                "longitude/latitude degrees"
            )
    if s == d:
        return gpd.GeoSeries(gs.values.copy(), index=gs.index, name=gs.name, crs="EPSG:4326")

    raw = _RAW[(s, d)]

    def _shift(coords: _Array) -> _Array:
        out = coords.astype(np.float64, copy=True)
        out[:, 0], out[:, 1] = _shift_inside(raw, out[:, 0].copy(), out[:, 1].copy())
        return out

    geoms = shapely.transform(np.asarray(gs.values), _shift, include_z=None)
    return gpd.GeoSeries(geoms, index=gs.index, name=gs.name, crs="EPSG:4326")


def gcj02_offset_m(lon: ArrayLike, lat: ArrayLike) -> Any:
    """Distance in metres between each WGS84 point and its GCJ-02 shifted position.

    Used to judge whether "WGS84" data may in fact be GCJ-02: the shift is typically 100-700 m
    in mainland China.

    Parameters
    ----------
    lon, lat
        WGS84 longitude and latitude in degrees.

    Returns
    -------
    float or numpy.ndarray
        Geodesic distance on the WGS84 ellipsoid, in metres; 0 outside the China box and NaN
        for NaN input.
    """
    x, y, scalar = _as_arrays(lon, lat)
    gx, gy = wgs84_to_gcj02(x, y)
    _, _, dist = _GEOD.inv(x.ravel(), y.ravel(), np.ravel(gx), np.ravel(gy))
    out = np.asarray(dist, dtype=np.float64).reshape(x.shape)
    return float(out) if scalar else out
