"""Read facility points from a CSV/Excel table or a GIS layer, in WGS84."""

from __future__ import annotations

import math
import re
import unicodedata
import warnings
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..coords import (
    CHINA_BBOX,
    convert,
    convert_geoseries,
    normalize_system,
    warn_outside_china,
)
from ..errors import DataError, InputError
from ._common import PathLike, _existing, _int_index, _is_blank, _label, _listing
from .columns import (
    _HEADER_SCAN_ROWS,
    LAT_NAMES,
    LON_NAMES,
    _find_header,
    _header_names,
    _name_column,
)
from .layers import read_layer
from .tables import _CSV_SUFFIXES, _EXCEL_SUFFIXES, _read_csv, _read_excel, _Table

__all__ = ["GEOM_SOURCES", "read_points"]

#: Values of the ``geom_source`` column added by :func:`read_points`.
GEOM_SOURCES: Final = {
    "lonlat": "point from the longitude/latitude columns",
    "point": "point geometry of the GIS layer",
    "representative_point": "a point inside a polygon or on a line (shapely representative_point)",
}
def _parse_coordinate(value: object) -> tuple[float | None, str | None]:
    """Return ``(number, None)`` or ``(None, problem)`` for one lon/lat cell."""
    if _is_blank(value):
        return None, "is empty"
    if isinstance(value, bool) or not isinstance(value, (int, float, str, np.number)):
        return None, f"{value!r} is not a number"
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip().replace("\u2212", "-").rstrip("°")
        if re.fullmatch(r"[+-]?\d+,\d+", text):
            text = text.replace(",", ".")  # decimal comma
        try:
            number = float(text)
        except ValueError:
            return None, f"{value!r} is not a number"
    else:
        number = float(value)
    if not math.isfinite(number):
        return None, f"{value!r} is not a finite number"
    return number, None


def read_points(
    path: PathLike,
    *,
    coords: str = "wgs84",
    lon_col: str | None = None,
    lat_col: str | None = None,
    sheet: str | int | None = None,
    layer: str | None = None,
    what: str = "facilities",
) -> gpd.GeoDataFrame:
    """Read facility points from a CSV/Excel table or a GIS layer, in WGS84 (EPSG:4326).

    Parameters
    ----------
    path
        ``.csv``/``.txt``/``.tsv`` (UTF-8, UTF-8 with BOM, UTF-16 or GB18030/GBK, one
        encoding throughout: a file mixing UTF-8 and GBK rows is refused, naming the first
        line of the other encoding; comma, semicolon, tab or ``|`` separated),
        ``.xlsx``/``.xlsm``, or any GIS file :func:`read_layer` reads.
    coords
        Coordinate system of the input: ``"wgs84"`` (GPS, OSM), ``"gcj02"`` (Amap/Gaode,
        Tencent) or ``"bd09"`` (Baidu). GCJ-02 and BD-09 are converted to WGS84 with
        :mod:`geo.coords`.
    lon_col, lat_col
        Names of the longitude and latitude columns. By default they are found by name
        (lon, lng, long, longitude, x, 经度 / lat, latitude, y, 纬度, any case, with or
        without a suffix in brackets such as ``经度(GCJ-02)``) in the first row that has both,
        so title rows above the header are skipped.
    sheet
        Excel sheet: its name, or its position (1 = first). By default the first sheet that
        has longitude/latitude columns.
    layer
        Layer of a GIS file holding several.
    what
        What the file holds, for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        One point per facility in EPSG:4326, the file's columns (table cells kept as text for
        CSV, as typed for Excel), ``source_row`` (the row as numbered in Excel/a text editor,
        or the feature number in a GIS file, 1-based) and ``geom_source`` (see
        :data:`GEOM_SOURCES`). ``attrs["duplicates_dropped"]`` counts exact duplicates kept
        once (same coordinates and same name; with no name column, same coordinates and same
        values in every column) and ``attrs["duplicate_rows"]`` lists their rows.
        ``attrs["name_column"]`` is the column taken as the facilities' names (name, 名称...,
        or None).

    Raises
    ------
    InputError
        Missing or unreadable file, no recognisable lon/lat columns, empty or non-numeric
        coordinates (the message lists rows and values), swapped or out-of-range
        coordinates, or an unknown ``coords``.
    DataError
        The file has a header but no data rows.
    """
    system = normalize_system(coords, argument="coordinate system (coords)")
    p = _existing(path, what)
    suffix = p.suffix.lower()
    if suffix == ".xls":
        raise InputError(
            f"{what} file '{p}' is an old-format Excel .xls file: open it in Excel or WPS and "
            "save it as .xlsx (Excel Workbook), or as CSV UTF-8."
        )
    if suffix in _CSV_SUFFIXES or suffix in _EXCEL_SUFFIXES:
        table = (
            _read_csv(p, what)
            if suffix in _CSV_SUFFIXES
            else _read_excel(p, sheet, lon_col, lat_col, what)
        )
        gdf, rows, names = _points_from_table(table, lon_col, lat_col, system, what)
        where = table.where
    else:
        gdf, rows, names = _points_from_layer(p, layer, system, what)
        where = _label(p, f"layer '{gdf.attrs.get('layer')}'")
    out = _drop_duplicates(gdf, rows, names, what, where)
    out.attrs["name_column"] = names
    return out


def _points_from_table(
    table: _Table, lon_col: str | None, lat_col: str | None, system: str, what: str
) -> tuple[gpd.GeoDataFrame, np.ndarray, str | None]:
    found = _find_header(table.rows, lon_col, lat_col)
    if found is None:
        first = next((cells for _, cells in table.rows if not all(map(_is_blank, cells))), [])
        seen = ", ".join(repr(str(c)) for c in first[:15] if not _is_blank(c)) or "nothing"
        wanted = (
            f"columns '{lon_col or 'auto'}' and '{lat_col or 'auto'}'"
            if lon_col or lat_col
            else f"columns named like {'/'.join(LON_NAMES)} and {'/'.join(LAT_NAMES)}"
        )
        raise InputError(
            f"{what} file {table.where}: cannot find the longitude/latitude columns (looked "
            f"for {wanted} in the first {_HEADER_SCAN_ROWS} rows; the first row holds {seen}). "
            "Name them with lon_col=NAME and lat_col=NAME.",
            option="lon_col",
        )
    pos, ilon, ilat = found
    header_row, header_cells = table.rows[pos]
    columns = _header_names(header_cells)
    width = len(columns)
    records: list[list[Any]] = []
    rownums: list[int] = []
    lons: list[float] = []
    lats: list[float] = []
    problems: list[str] = []
    for rownum, cells in table.rows[pos + 1 :]:
        if all(_is_blank(c) for c in cells):
            continue
        if any(not _is_blank(c) for c in cells[width:]):
            problems.append(
                f"row {rownum}: {len(cells)} cells but the header has {width} columns "
                "(a value probably contains an unquoted separator)"
            )
            continue
        cells = list(cells[:width]) + [None] * (width - len(cells))
        lon, lon_problem = _parse_coordinate(cells[ilon])
        lat, lat_problem = _parse_coordinate(cells[ilat])
        for col, problem in ((ilon, lon_problem), (ilat, lat_problem)):
            if problem:
                problems.append(f"row {rownum}: {columns[col]} {problem}")
        if lon is None or lat is None:
            continue
        records.append(cells)
        rownums.append(rownum)
        lons.append(lon)
        lats.append(lat)
    if problems:
        raise InputError(
            f"{what} file {table.where}: {len(problems)} problem(s) with the coordinates "
            f"(rows numbered as in Excel, header = row {header_row}): {_listing(problems)}. "
            "Fix or delete those rows and run again."
        )
    if not records:
        raise DataError(
            f"{what} file {table.where} has a header (row {header_row}) but no data rows."
        )
    lon_a, lat_a, rows_a = np.array(lons), np.array(lats), np.array(rownums)
    _check_ranges(lon_a, lat_a, rows_a, what, table.where, (columns[ilon], columns[ilat]))
    warn_outside_china(lon_a, lat_a, src=system, what=f"{what} file {table.where}", rows=rows_a.tolist())
    x, y = convert(lon_a, lat_a, src=system, dst="wgs84")
    frame = pd.DataFrame(records, columns=columns)
    frame["source_row"] = rows_a
    frame["geom_source"] = "lonlat"
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(x, y), crs="EPSG:4326")
    return gdf, rows_a, _name_column(columns)


def _points_from_layer(
    p: Path, layer: str | None, system: str, what: str
) -> tuple[gpd.GeoDataFrame, np.ndarray, str | None]:
    src = read_layer(p, layer=layer, what=what)
    where = _label(p, f"layer '{src.attrs.get('layer')}'")
    repaired = src.attrs.get("repaired", 0)
    geoms = src.geometry
    is_point = np.asarray(geoms.geom_type == "Point")
    single_multi = np.asarray(
        (geoms.geom_type == "MultiPoint")
        & (shapely.get_num_geometries(np.asarray(geoms.values)) == 1)
    )
    points = geoms.representative_point()  # a point's representative point is itself
    sources = np.where(is_point | single_multi, "point", "representative_point")
    points = gpd.GeoSeries(points, index=src.index, crs=src.crs).to_crs("EPSG:4326")
    rows = np.asarray(src.index) + 1 if _int_index(src) else np.arange(1, len(src) + 1)
    _check_ranges(points.x.to_numpy(), points.y.to_numpy(), rows, what, where, None)
    if system != "wgs84":
        warn_outside_china(points.x.to_numpy(), points.y.to_numpy(), src=system, what=f"{what} file {where}",
                           rows=rows.tolist())
        points = convert_geoseries(points, src=system, dst="wgs84")
    table = src.drop(columns=src.geometry.name)
    table = table.rename(columns={c: f"{c}_2" for c in ("source_row", "geom_source") if c in table})
    gdf = gpd.GeoDataFrame(table, geometry=points, crs="EPSG:4326")
    gdf = gdf.rename_geometry("geometry") if gdf.geometry.name != "geometry" else gdf
    gdf["source_row"] = rows
    gdf["geom_source"] = sources
    gdf.attrs.update(
        repaired=repaired, empty_dropped=src.attrs.get("empty_dropped", 0), layer=src.attrs["layer"]
    )
    columns = [str(c) for c in src.columns if c != src.geometry.name]
    return gdf, rows, _name_column(columns)


def _check_ranges(
    lon: np.ndarray,
    lat: np.ndarray,
    rows: np.ndarray,
    what: str,
    where: str,
    columns: tuple[str, str] | None,
) -> None:
    """Reject swapped, projected or out-of-range coordinates, naming rows and the fix."""
    lon0, lat0, lon1, lat1 = CHINA_BBOX
    lat_like = bool(np.all((lon >= lat0) & (lon <= lat1)))
    lon_like = bool(np.all((lat >= lon0) & (lat <= lon1)))
    generic = bool(np.all(np.abs(lat) > 90) and np.all(np.abs(lon) <= 90))
    if (lat_like and lon_like) or generic:
        if columns:
            a, b = columns
            fix = (
                f"Column '{a}' holds values like {lon[0]:g}, which look like latitudes, and "
                f"'{b}' values like {lat[0]:g}, which look like longitudes. If the header is "
                f"wrong, pass lon_col='{b}', lat_col='{a}'."
            )
        else:
            fix = (
                f"The x values (e.g. {lon[0]:g}) look like latitudes and the y values (e.g. "
                f"{lat[0]:g}) like longitudes: export the layer again with longitude as x."
            )
        raise InputError(
            f"{what} file {where}: longitude and latitude look swapped. {fix}",
            option="lon_col" if columns else None,
        )
    if np.all(np.abs(lon) > 180) or np.all(np.abs(lat) > 90):
        raise InputError(
            f"{what} file {where}: the coordinates (e.g. {lon[0]:g}, {lat[0]:g}) are not "
            "longitude/latitude degrees; they look like projected coordinates in metres. "
            "Give longitude/latitude in degrees, or a GIS file with its CRS."
        )
    bad = np.flatnonzero((np.abs(lon) > 180) | (np.abs(lat) > 90))
    if len(bad):
        a, b = columns or ("x", "y")
        items = [f"row {rows[i]}: {a} {lon[i]:g}, {b} {lat[i]:g}" for i in bad]
        raise InputError(
            f"{what} file {where}: {len(items)} point(s) outside the range of degrees "
            f"(longitude -180..180, latitude -90..90): {_listing(items)}. Fix those rows."
        )


def _drop_duplicates(
    gdf: gpd.GeoDataFrame, rows: np.ndarray, name_col: str | None, what: str, where: str
) -> gpd.GeoDataFrame:
    """Keep exact duplicates once, warning with their row numbers."""
    x = gdf.geometry.x.to_numpy()
    y = gdf.geometry.y.to_numpy()
    if name_col is not None:
        extra = [gdf[name_col].astype(str).to_numpy()]
        basis = "same coordinates and name"
    else:
        others = [c for c in gdf.columns if c not in (gdf.geometry.name, "source_row")]
        extra = [gdf[c].astype(str).to_numpy() for c in others]
        basis = "same coordinates and same values in every column"
    first_seen: dict[tuple[Any, ...], int] = {}
    keep = np.ones(len(gdf), dtype=bool)
    pairs: list[str] = []
    for i, key in enumerate(zip(x, y, *extra, strict=True)):
        if key in first_seen:
            keep[i] = False
            pairs.append(f"row {rows[i]} = row {rows[first_seen[key]]}")
        else:
            first_seen[key] = i
    out = gdf.loc[keep].copy() if not keep.all() else gdf
    out.attrs.update(gdf.attrs)
    out.attrs["duplicates_dropped"] = int((~keep).sum())
    out.attrs["duplicate_rows"] = [int(r) for r in rows[~keep]]
    if pairs:
        warnings.warn(
            f"{what} file {where}: {len(pairs)} exact duplicate(s) ({basis}) kept once: "
            f"{_listing(pairs)}. Delete the repeated rows from the file to silence this warning.",
            stacklevel=3,
        )
    return out


