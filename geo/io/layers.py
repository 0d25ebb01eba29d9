"""Read one layer of a GIS file: choose the layer, check the CRS, repair geometries."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pyogrio
import pyogrio.errors
import shapely

from ..errors import DataError, InputError
from ._common import PathLike, _existing, _int_index, _is_blank, _label, _listing
from .columns import _name_column
from .tables import _CSV_SUFFIXES, _EXCEL_SUFFIXES

__all__ = ["read_layer"]

_READ_ERRORS: Final = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.CRSError,
    OSError,
    ValueError,
)
# =========================================================================== read_layer
def read_layer(
    path: PathLike, *, layer: str | None = None, what: str = "layer"
) -> gpd.GeoDataFrame:
    """Read one layer of a GIS file, or the points of a CSV/Excel table.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile (with its ``.shx``/``.dbf``/``.prj``), zipped
        Shapefile, any other format GDAL reads, or a ``.csv``/``.xlsx`` table with
        longitude/latitude columns (read with :func:`read_points`, WGS84 assumed).
    layer
        Layer to read (sheet name for Excel). Needed only when the file holds several
        layers with geometries.
    what
        What the file is, for messages ("study area", "residential land"...).

    Returns
    -------
    geopandas.GeoDataFrame
        In the file's own CRS, original index kept. ``attrs["repaired"]`` counts invalid
        polygons repaired with :func:`shapely.make_valid` (only their polygonal parts are kept)
        and ``attrs["empty_dropped"]`` the features without geometry that were left out; both
        are also announced with :func:`warnings.warn`. ``attrs["layer"]`` is the layer read.

    Raises
    ------
    InputError
        Missing, unreadable or unknown file, unknown or ambiguous layer, no CRS, or
        coordinates that contradict the declared CRS.
    DataError
        The layer has no features, or none with a geometry.
    """
    p = _existing(path, what)
    suffix = p.suffix.lower()
    if suffix in _CSV_SUFFIXES | _EXCEL_SUFFIXES | {".xls"}:
        from .points import read_points  # points reads GIS layers with read_layer

        return read_points(p, sheet=layer, what=what)

    gdf, name = _read_vector(p, layer, what)
    where = _label(p, f"layer '{name}'")
    if len(gdf) == 0:
        raise DataError(
            f"{what} file {where} has no features. Check that you exported the right layer "
            "and that a filter or selection did not leave it empty."
        )
    if gdf.crs is None:
        hint = " (its .prj file is missing)" if suffix == ".shp" else ""
        raise InputError(
            f"{what} file {where} has no coordinate reference system{hint}. Set the CRS in "
            "QGIS (Layer > Layer Properties > Source) or ArcGIS and export it again, e.g. "
            "as a GeoPackage."
        )
    gdf, dropped = _drop_missing_geometries(gdf, what, where)
    _check_degrees(gdf, what, where)
    gdf, repaired = _repair_invalid(gdf, what, where)
    gdf.attrs.update(repaired=repaired, empty_dropped=dropped, layer=name)
    return gdf


def _read_vector(p: Path, layer: str | None, what: str) -> tuple[gpd.GeoDataFrame, str]:
    if p.is_dir() and p.suffix.lower() != ".gdb":
        raise InputError(f"{what} path '{p}' is a folder: give the file inside it instead.")
    if p.is_file() and p.stat().st_size == 0:
        raise InputError(f"{what} file '{p}' is empty (0 bytes). Export it again.")
    if p.suffix.lower() == ".shp":
        missing = [ext for ext in (".shx", ".dbf") if not _sibling(p, ext)]
        if missing:
            raise InputError(
                f"{what} Shapefile '{p}' lacks its {' and '.join(missing)} file(s): a Shapefile is "
                "several files with the same name; copy all of them, or send a GeoPackage."
            )
    try:
        listed = pyogrio.list_layers(p)
    except _READ_ERRORS as exc:
        raise InputError(
            f"cannot read {what} file '{p}': it is not a GIS format GDAL recognises or it is "
            f"damaged ({exc}). Use GeoJSON, GeoPackage or Shapefile, or a CSV/Excel table "
            "with longitude/latitude columns."
        ) from exc
    names = [str(row[0]) for row in listed]
    spatial = [str(row[0]) for row in listed if row[1] is not None]
    if layer is None:
        candidates = spatial or names
        if len(candidates) != 1:
            raise InputError(
                f"{what} file '{p}' holds {len(candidates)} layers "
                f"({', '.join(candidates) or 'none'}): say which one to use (layer=NAME).",
                option="layer",
            )
        name = candidates[0]
    elif layer in names:
        name = layer
    else:
        raise InputError(
            f"{what} file '{p}' has no layer '{layer}'; its layers are: {', '.join(names)}."
        )
    try:
        gdf = gpd.read_file(p, layer=name, engine="pyogrio")
    except _READ_ERRORS as exc:
        raise InputError(
            f"cannot read layer '{name}' of {what} file '{p}' ({exc}). Open it in QGIS to "
            "check it, or export it again as a GeoPackage."
        ) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf:
        raise DataError(
            f"{what} file {_label(p, f'layer {name!r}')} is a table without geometries: "
            "give a layer of points or polygons, or a CSV with longitude/latitude columns."
        )
    return gdf, name


def _sibling(p: Path, ext: str) -> bool:
    return any(p.with_suffix(e).exists() for e in (ext, ext.upper()))


def _feature_names(gdf: gpd.GeoDataFrame, positions: Iterable[int]) -> list[str]:
    name_col = _name_column([str(c) for c in gdf.columns if c != gdf.geometry.name])
    out = []
    for pos in positions:
        text = f"feature {int(gdf.index[pos]) + 1 if _int_index(gdf) else gdf.index[pos]}"
        if name_col is not None and not _is_blank(gdf[name_col].iloc[pos]):
            text += f" ({gdf[name_col].iloc[pos]})"
        out.append(text)
    return out


def _drop_missing_geometries(
    gdf: gpd.GeoDataFrame, what: str, where: str
) -> tuple[gpd.GeoDataFrame, int]:
    missing = np.asarray(gdf.geometry.isna() | gdf.geometry.is_empty)
    if not missing.any():
        return gdf, 0
    if missing.all():
        raise DataError(f"{what} file {where}: none of its {len(gdf)} features has a geometry.")
    names = _feature_names(gdf, np.flatnonzero(missing))
    warnings.warn(
        f"{what} file {where}: {len(names)} feature(s) without geometry left out: "
        f"{_listing(names)}.",
        stacklevel=3,
    )
    return gdf.loc[~missing].copy(), len(names)


def _check_degrees(gdf: gpd.GeoDataFrame, what: str, where: str) -> None:
    if not gdf.crs.is_geographic:
        return
    x0, y0, x1, y1 = gdf.total_bounds
    if x0 < -180 or x1 > 180 or y0 < -90 or y1 > 90:
        raise InputError(
            f"{what} file {where} says its coordinates are degrees ({gdf.crs.to_string()}) but "
            f"they reach x {x0:.10g}..{x1:.10g}, y {y0:.10g}..{y1:.10g}: the data are probably "
            "in a projected CRS (metres). Set the right CRS in QGIS and export it again."
        )


def _repair_invalid(gdf: gpd.GeoDataFrame, what: str, where: str) -> tuple[gpd.GeoDataFrame, int]:
    geoms = np.asarray(gdf.geometry.values)
    bad = np.flatnonzero(~shapely.is_valid(geoms))
    if len(bad) == 0:
        return gdf, 0
    fixed = shapely.make_valid(geoms[bad])
    polygonal = np.isin(shapely.get_type_id(geoms[bad]), [3, 6])  # Polygon, MultiPolygon
    for i in np.flatnonzero(polygonal):
        parts = shapely.get_parts(fixed[i])
        parts = parts[np.isin(shapely.get_type_id(parts), [3, 6])]
        fixed[i] = shapely.union_all(parts) if len(parts) else shapely.Polygon()
    out = gdf.copy()
    geoms = geoms.copy()
    geoms[bad] = fixed
    out[gdf.geometry.name] = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    names = _feature_names(gdf, bad)
    warnings.warn(
        f"{what} file {where}: {len(names)} invalid geometr{'y' if len(names) == 1 else 'ies'} "
        f"(e.g. self-intersecting) repaired with make_valid: {_listing(names)}.",
        stacklevel=3,
    )
    return out, len(names)


