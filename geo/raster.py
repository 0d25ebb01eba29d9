"""Count rasters (e.g. persons per pixel) as polygons: one zone per pixel, clipped to an area.

A GeoTIFF of counts (WorldPop, GHS-POP, a planner's grid) in any CRS is read with rasterio:
only the window over the area, nodata (and NaN) respected. Every pixel with a positive value
becomes its quadrilateral, reprojected to the analysis CRS, and clipped to the area; the
count it keeps is the pixel's value times the share of its area inside (pixels are split by
area where they straddle the boundary). The sum of ``count`` is then the raster's total
within the area.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from .errors import DataError, InputError

__all__ = ["RASTER_SUFFIXES", "count_raster_zones", "is_raster"]

RASTER_SUFFIXES = (".tif", ".tiff", ".gtiff", ".vrt", ".img", ".asc")


def is_raster(path: str | os.PathLike) -> bool:
    """True when ``path`` names a raster by its suffix (GeoTIFF, VRT, ERDAS, ASCII grid)."""
    return str(path).lower().endswith(RASTER_SUFFIXES)


def count_raster_zones(
    path: str | os.PathLike, *, area: shapely.Geometry, crs: Any, band: int = 1, what: str = "population raster",
    segments: int = 4,
) -> gpd.GeoDataFrame:
    """The pixels of a count raster that overlap ``area``, as polygons in ``crs``.

    Parameters
    ----------
    path
        Raster of counts per pixel (e.g. persons), any CRS rasterio knows.
    area
        Polygon in ``crs`` (metres): pixels are clipped to it.
    crs
        Target (metric) CRS of ``area`` and of the result.
    band
        Band to read (1-based).
    what
        What the file is, for messages.
    segments
        Vertices added per pixel side before reprojection, so that curved pixel edges
        (a pixel in degrees drawn in metres) stay close to the truth.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per pixel with a positive value that overlaps the area: ``value`` (the
        pixel's count), ``inside_share`` (0-1, share of its area inside ``area``), ``count``
        (value x inside_share), ``row``, ``col`` and the clipped pixel polygon.
        ``attrs``: ``total`` (sum of ``count``), ``pixels`` (valid pixels read),
        ``nodata_pixels``, ``raster_crs``.

    Raises
    ------
    InputError
        Unreadable file, no CRS, negative values, or only nodata over the area.
    """
    try:
        import rasterio
        from rasterio.windows import Window, from_bounds
    except ImportError as exc:  # pragma: no cover - rasterio is a dependency
        raise InputError(f"{path}: reading a {what} needs rasterio (pip install rasterio)") from exc
    if not os.path.exists(path):
        raise InputError(f"{what} {path}: file not found")
    try:
        ds = rasterio.open(path)
    except Exception as exc:  # rasterio raises RasterioIOError and friends
        raise InputError(f"{what} {path}: cannot be read as a raster ({exc})") from exc
    with ds:
        if ds.crs is None:
            raise InputError(f"{what} {path} has no coordinate reference system; set it (e.g. gdal_edit.py -a_srs "
                             "EPSG:4326) and run again")
        if not 1 <= band <= ds.count:
            raise InputError(f"{what} {path}: band {band} does not exist (the file has {ds.count})")
        area_r = gpd.GeoSeries([area], crs=crs).to_crs(ds.crs)
        w, s, e, n = area_r.total_bounds
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            win = from_bounds(w, s, e, n, transform=ds.transform)
        c0, r0 = int(np.floor(win.col_off)), int(np.floor(win.row_off))
        c1, r1 = int(np.ceil(win.col_off + win.width)), int(np.ceil(win.row_off + win.height))
        c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, ds.width), min(r1, ds.height)
        if c1 <= c0 or r1 <= r0:
            raise InputError(f"{what} {path} does not overlap the study area (raster CRS {ds.crs.to_string()})")
        win = Window(c0, r0, c1 - c0, r1 - r0)
        data = ds.read(band, window=win, masked=True)
        transform = ds.window_transform(win)
        raster_crs = ds.crs
    vals = np.ma.filled(data.astype(float), np.nan)
    valid = np.isfinite(vals)
    if not valid.any():
        raise InputError(f"{what} {path}: every pixel over the study area is nodata; nothing to count")
    neg = valid & (vals < 0)
    if neg.any():
        r, c = np.argwhere(neg)[0]
        raise InputError(f"{what} {path}: {int(neg.sum())} pixel(s) hold negative values, e.g. {vals[r, c]:g} at "
                         f"row {r + r0}, column {c + c0}; a count cannot be negative (set them to nodata or 0)")
    rows, cols = np.nonzero(valid & (vals > 0))
    polys = _pixel_polygons(rows, cols, transform, segments=segments)
    gs = gpd.GeoSeries(polys, crs=raster_crs).to_crs(crs)
    geoms = gs.to_numpy()
    full = shapely.area(geoms)
    clipped = shapely.intersection(geoms, area)
    inside = np.divide(shapely.area(clipped), full, out=np.zeros(len(geoms)), where=full > 0)
    keep = inside > 0
    value = vals[rows, cols]
    out = gpd.GeoDataFrame(
        {"row": rows[keep] + r0, "col": cols[keep] + c0, "value": value[keep], "inside_share": inside[keep],
         "count": value[keep] * inside[keep]},
        geometry=clipped[keep], crs=crs,
    )
    out.attrs.update(total=float(out["count"].sum()), pixels=int(valid.sum()), nodata_pixels=int((~valid).sum()),
                     raster_crs=raster_crs.to_string())
    if len(out) == 0 and valid.any() and not (vals[valid] > 0).any():
        raise DataError(f"{what} {path}: every pixel over the study area is 0")
    return out


def _pixel_polygons(rows: np.ndarray, cols: np.ndarray, transform: Any, *, segments: int) -> np.ndarray:
    """Quadrilaterals of pixels (row, col) under an affine ``transform``, each side cut in ``segments``."""
    t = np.linspace(0.0, 1.0, segments + 1)[:-1]
    # corners walked around the pixel in pixel coordinates (col, row): top, right, bottom, left sides
    u = np.concatenate([t, np.ones_like(t), 1 - t, np.zeros_like(t)])
    v = np.concatenate([np.zeros_like(t), t, np.ones_like(t), 1 - t])
    pc = cols[:, None] + u[None, :]
    pr = rows[:, None] + v[None, :]
    a, b, c, d, e, f = transform.a, transform.b, transform.c, transform.d, transform.e, transform.f
    x = a * pc + b * pr + c
    y = d * pc + e * pr + f
    ring = np.stack([x, y], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return shapely.polygons(ring)
