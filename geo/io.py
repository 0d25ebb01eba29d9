"""Read planners' files and write outputs atomically.

Reading
-------
:func:`read_layer` reads any GIS layer (GeoJSON, GeoPackage, Shapefile, anything GDAL reads)
and :func:`read_points` reads facility lists: CSV or Excel sheets with longitude/latitude
columns, or GIS layers of points (polygons become a point inside them). Every problem raises
an :class:`~geo._errors.InputError` or :class:`~geo._errors.DataError` naming the file, the
layer or sheet, the row as a planner sees it in Excel (header = row 1 when it is the first
line) and what to do. Nothing is dropped silently: repaired geometries, features without a
geometry and duplicate points are announced with :func:`warnings.warn` and counted in
``gdf.attrs``.

Writing
-------
Every writer first writes a hidden temporary file in the target folder and then renames it
over the target with :func:`os.replace`, which is atomic: an interrupted run leaves either the
previous file or the complete new one, never a partial file.
"""

from __future__ import annotations

import contextlib
import csv
import io as _stdio
import json
import math
import os
import re
import unicodedata
import uuid
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final
from xml.etree.ElementTree import ParseError

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pyogrio.errors
import shapely
from openpyxl.utils.exceptions import InvalidFileException

from ._errors import DataError, InputError
from .coords import CHINA_BBOX, convert, convert_geoseries, normalize_system, warn_outside_china

__all__ = [
    "GEOM_SOURCES",
    "prepare_out_dir",
    "read_layer",
    "read_points",
    "write_csv",
    "write_gpkg",
    "write_json",
    "write_text",
]

PathLike = str | os.PathLike[str]

#: Column names recognised as longitude / latitude (compared lower-case, without spaces and
#: without a bracketed suffix such as ``经度(WGS84)``), best first.
LON_NAMES: Final = ("lon", "lng", "long", "longitude", "经度", "x")
LAT_NAMES: Final = ("lat", "latitude", "纬度", "y")
#: Column names recognised as a facility's name (for duplicate detection), best first.
NAME_NAMES: Final = ("name", "名称", "名字", "机构名称", "设施名称", "单位名称")

#: Values of the ``geom_source`` column added by :func:`read_points`.
GEOM_SOURCES: Final = {
    "lonlat": "point from the longitude/latitude columns",
    "point": "point geometry of the GIS layer",
    "representative_point": "a point inside a polygon or on a line (shapely representative_point)",
}

_CSV_SUFFIXES: Final = {".csv", ".txt", ".tsv"}
_EXCEL_SUFFIXES: Final = {".xlsx", ".xlsm"}
_DELIMITERS: Final = (",", ";", "\t", "|")
_HEADER_SCAN_ROWS: Final = 50
_MAX_LISTED: Final = 10
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
_EXCEL_ERRORS: Final = (
    zipfile.BadZipFile,
    InvalidFileException,
    ParseError,
    KeyError,
    OSError,
    ValueError,
    TypeError,
    EOFError,
)


# =========================================================================== helpers
def _label(path: Path, part: str | None = None) -> str:
    """``'file.gpkg' (layer 'schools')`` - how messages name a file."""
    return f"'{path}'" + (f" ({part})" if part else "")


def _listing(items: Sequence[str]) -> str:
    shown = "; ".join(items[:_MAX_LISTED])
    more = len(items) - _MAX_LISTED
    return shown + (f"; ... and {more} more" if more > 0 else "")


def _existing(path: PathLike, what: str) -> Path:
    p = Path(path).expanduser()
    if not p.exists():
        raise InputError(
            f"{what} file not found: '{p}'. Check the spelling and the folder "
            f"(the current folder is '{Path.cwd()}')."
        )
    return p


def _norm(name: object) -> str:
    """Normalise a column name: full-width to ASCII, lower case, no spaces or bracketed suffix."""
    text = unicodedata.normalize("NFKC", str(name)).strip().lstrip("\ufeff").lower()
    text = re.sub(r"[(\[{].*?[)\]}]", "", text)
    return re.sub(r"[\s_]+", "", text)


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


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
                f"({', '.join(candidates) or 'none'}): say which one to use (--layer NAME)."
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


def _int_index(gdf: pd.DataFrame) -> bool:
    return pd.api.types.is_integer_dtype(gdf.index.dtype)


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


# =========================================================================== read_points
@dataclass
class _Table:
    """Rows of a sheet or CSV file, each with its 1-based row number as Excel shows it."""

    rows: list[tuple[int, list[Any]]]
    where: str


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


# --------------------------------------------------------------------------- CSV
def _read_csv(p: Path, what: str) -> _Table:
    where = _label(p)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot open {what} file {where}: {exc.strerror}.") from exc
    if not data.strip():
        raise InputError(f"{what} file {where} is empty. Export it again.")
    if data.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{what} file {where} is an Excel workbook (or another zip file) with a text "
            "extension: rename it to .xlsx, or save it from Excel as CSV UTF-8."
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{what} file {where} is an old Excel .xls workbook with a text extension: open it "
            "in Excel or WPS and save it as .xlsx or CSV UTF-8."
        )
    text = _decode(data, what, where)
    first_line = text.split("\n", 1)[0].strip()
    if re.fullmatch(r"sep=.", first_line):
        # Excel's separator hint line; Excel hides it, so row numbers start after it.
        delimiter = first_line[4]
        text = text.split("\n", 1)[1] if "\n" in text else ""
    else:
        delimiter = _sniff_delimiter(text)
    try:
        records = list(csv.reader(_stdio.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise InputError(
            f"{what} file {where} is not a valid CSV file ({exc}). Open it in Excel and save "
            "it again as CSV UTF-8."
        ) from exc
    return _Table([(i + 1, list(r)) for i, r in enumerate(records)], where)


def _decode(data: bytes, what: str, where: str) -> str:
    """The file's text: UTF-16 (with its BOM), UTF-8 (with or without BOM) or GB18030/GBK.

    The file must be in ONE encoding throughout. Nearly any bytes decode as GB18030, so a
    UTF-8 file with a few GBK rows (pasted from another export) would come out garbled
    without a word (北辰诊所 as 鍖楄景璇婃墍). So: when UTF-8 decoding fails at line k
    while the text before it already holds UTF-8 multi-byte characters (or a UTF-8 BOM), the
    file is refused as mixed, naming line k. When the first non-ASCII text is not UTF-8, the
    file is read as GB18030, strictly.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        bom = data.startswith(b"\xef\xbb\xbf")
        body = data[3:] if bom else data
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad = exc.start
        if bom or any(b >= 0x80 for b in body[:bad]):
            line = _line_number(body, bad)
            earlier = "the file starts with a UTF-8 byte-order mark" if bom and body[:bad].isascii() else "earlier lines are"
            raise InputError(
                f"{what} file {where}: line {line} is not UTF-8 while {earlier} (mixed "
                "encodings, e.g. rows pasted from a GBK file); fix the garbled rows from that "
                "line on, then save the file as 'CSV UTF-8' from Excel or WPS."
            )
        try:
            text = body.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{what} file {where}: line {_line_number(body, exc.start)} is neither UTF-8 "
                "nor GBK/GB18030 text. Open it in Excel or WPS and save it as 'CSV UTF-8', or "
                "as .xlsx."
            ) from None
        line = _utf8_line_in_gbk(body)
        if line is not None:
            raise InputError(
                f"{what} file {where}: line {line} is UTF-8 Chinese text while earlier lines are "
                "GBK (mixed encodings); fix the rows of the other encoding, then save the file "
                "as 'CSV UTF-8' from Excel or WPS."
            )
        return text
    raise InputError(
        f"{what} file {where} is not a text file in UTF-8, UTF-16 or GBK/GB18030 encoding. "
        "Open it in Excel or WPS and save it as 'CSV UTF-8', or as .xlsx."
    )


def _utf8_line_in_gbk(body: bytes) -> int | None:
    """First line of a GBK file that is clearly UTF-8 Chinese text instead, or None.

    "Clearly": the line is valid UTF-8, holds at least two CJK ideographs and no other
    non-ASCII characters except CJK and full-width punctuation. GBK text that happens to be
    valid UTF-8 almost never decodes to ideographs only (every run of Chinese characters
    would have to split into 3-byte UTF-8 sequences), so a GBK file is not refused by chance.
    """
    for k, raw in enumerate(body.split(b"\n"), 1):
        if raw.isascii():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        wide = [c for c in line if ord(c) >= 0x80]
        ideographs = sum("\u4e00" <= c <= "\u9fff" for c in wide)
        if ideographs >= 2 and all(
            "\u4e00" <= c <= "\u9fff" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef" for c in wide
        ):
            return k
    return None


def _line_number(data: bytes, offset: int) -> int:
    """1-based line (as a text editor counts them) holding byte ``offset`` of ``data``."""
    return data.count(b"\n", 0, offset) + 1


def _sniff_delimiter(text: str) -> str:
    """The candidate delimiter that splits most of the first lines into the same >1 fields."""
    sample = [line for line in text.splitlines()[:100] if line.strip()]
    best, best_score = ",", (0, 0)
    for delim in _DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=delim)]
        except csv.Error:
            continue
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = (counts.count(mode), mode)
        if score > best_score:
            best, best_score = delim, score
    return best


# --------------------------------------------------------------------------- Excel
def _read_excel(
    p: Path, sheet: str | int | None, lon_col: str | None, lat_col: str | None, what: str
) -> _Table:
    try:
        book = openpyxl.load_workbook(p, read_only=True, data_only=True)
    except _EXCEL_ERRORS as exc:
        raise InputError(
            f"cannot open {what} file '{p}' as an Excel .xlsx workbook ({exc!s:.200}). If it is "
            "password-protected remove the password; otherwise save it again from Excel/WPS."
        ) from exc
    try:
        titles = list(book.sheetnames)
        if sheet is None:
            chosen = titles
        elif isinstance(sheet, int) and not isinstance(sheet, bool):
            if not 1 <= sheet <= len(titles):
                raise InputError(
                    f"{what} file '{p}' has {len(titles)} sheet(s), so there is no sheet {sheet} "
                    f"(1 = first); its sheets are: {', '.join(titles)}."
                )
            chosen = [titles[sheet - 1]]
        else:
            match = [t for t in titles if t == str(sheet)] or [
                t for t in titles if t.strip().lower() == str(sheet).strip().lower()
            ]
            if not match:
                raise InputError(
                    f"{what} file '{p}' has no sheet '{sheet}'; "
                    f"its sheets are: {', '.join(titles)}."
                )
            chosen = match[:1]
        for title in chosen:
            rows = [
                (i, list(r))
                for i, r in enumerate(book[title].iter_rows(min_row=1, values_only=True), 1)
            ]
            table = _Table(rows, _label(p, f"sheet '{title}'"))
            if len(chosen) == 1 or _find_header(rows, lon_col, lat_col) is not None:
                return table
    except _EXCEL_ERRORS as exc:
        raise InputError(
            f"cannot read {what} file '{p}': the workbook is damaged ({exc!s:.200}). "
            "Save it again from Excel/WPS."
        ) from exc
    finally:
        book.close()
    raise InputError(
        f"no sheet of {what} file '{p}' ({', '.join(titles)}) has longitude/latitude columns "
        f"named like {'/'.join(LON_NAMES)} and {'/'.join(LAT_NAMES)}: name the sheet "
        "(--sheet) and the columns (--lon-col/--lat-col)."
    )


# --------------------------------------------------------------------------- table -> points
def _find_header(
    rows: list[tuple[int, list[Any]]], lon_col: str | None, lat_col: str | None
) -> tuple[int, int, int] | None:
    """Return ``(position in rows, lon index, lat index)`` of the first header-like row."""
    for pos, (_, cells) in enumerate(rows[:_HEADER_SCAN_ROWS]):
        names = ["" if c is None else str(c) for c in cells]
        lon = _pick(names, lon_col, LON_NAMES)
        lat = _pick(names, lat_col, LAT_NAMES)
        if lon is not None and lat is not None and lon != lat:
            return pos, lon, lat
    return None


def _pick(names: list[str], explicit: str | None, known: Sequence[str]) -> int | None:
    if explicit is not None:
        for matches in (
            lambda n: n == explicit,
            lambda n: n.strip() == explicit.strip(),
            lambda n: _norm(n) == _norm(explicit),
        ):
            hits = [i for i, n in enumerate(names) if matches(n)]
            if hits:
                return hits[0]
        return None
    normed = [_norm(n) for n in names]
    for candidate in known:
        if candidate in normed:
            return normed.index(candidate)
    return None


def _name_column(columns: Sequence[str]) -> str | None:
    normed = [_norm(c) for c in columns]
    for candidate in NAME_NAMES:
        if candidate in normed:
            return columns[normed.index(candidate)]
    for c, n in zip(columns, normed, strict=True):
        if n.endswith("名称") or n.endswith("name"):
            return c
    return None


def _header_names(cells: list[Any]) -> list[str]:
    names: list[str] = []
    for j, cell in enumerate(cells):
        name = "" if _is_blank(cell) else str(cell).strip().lstrip("\ufeff")
        name = name or f"column_{j + 1}"
        base, k = name, 1
        while name in names or name in ("geometry", "source_row", "geom_source"):
            k += 1
            name = f"{base}_{k}"
        names.append(name)
    return names


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
            "Name them with --lon-col and --lat-col."
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
    warn_outside_china(lon_a, lat_a, src=system, what=f"{what} file {table.where}", rows=rows_a)
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
        warn_outside_china(points.x.to_numpy(), points.y.to_numpy(), src=system, what=f"{what} file {where}", rows=rows)
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
                f"wrong, pass --lon-col '{b}' --lat-col '{a}'."
            )
        else:
            fix = (
                f"The x values (e.g. {lon[0]:g}) look like latitudes and the y values (e.g. "
                f"{lat[0]:g}) like longitudes: export the layer again with longitude as x."
            )
        raise InputError(f"{what} file {where}: longitude and latitude look swapped. {fix}")
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


# =========================================================================== writers
def _atomic_write(path: PathLike, write: Callable[[Path], None], *, suffix: str = "") -> Path:
    """Run ``write(tmp)`` on a hidden file next to ``path``, then rename it over ``path``."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise InputError(f"cannot write '{target}': a folder of that name exists.")
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp{suffix}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        reason = _write_failure(exc, target.parent)
        for leftover in (tmp, *(tmp.with_name(tmp.name + s) for s in ("-wal", "-shm", "-journal"))):
            with contextlib.suppress(OSError):
                leftover.unlink()
        if reason is not None:
            raise InputError(
                f"cannot write '{target}': {reason}. Check that the folder is writable, that the "
                "disk has free space and that the file is not open in another program, or choose "
                "another output folder."
            ) from exc
        raise
    return target


def _write_failure(exc: BaseException, folder: Path) -> str | None:
    """The operating system's reason a write into ``folder`` failed, or None for a programming error.

    GDAL reports a full disk or an unopenable file as a pyogrio error, not an OSError (often
    only as "Failed to commit transaction"); when the folder's file system has less than
    1 MiB free at that moment the reason given is ``No space left on device``.
    """
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    try:
        from pyogrio.errors import DataLayerError, DataSourceError, FeatureError
    except ImportError:  # pragma: no cover - pyogrio is a dependency
        return None
    if not isinstance(exc, (DataLayerError, DataSourceError, FeatureError)):
        return None
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    try:
        st = os.statvfs(folder)
        free = st.f_bavail * st.f_frsize
    except OSError:
        free = None
    if "disk is full" in text or "No space left" in text or (free is not None and free < 1 << 20):
        where = "" if free is None else f", {free // 1024} KiB free"
        return f"No space left on device (GDAL: {text}{where})"
    return f"GDAL could not write the file ({text})"


def write_gpkg(layers: Mapping[str, gpd.GeoDataFrame], path: PathLike) -> Path:
    """Write several layers to one GeoPackage, atomically.

    Parameters
    ----------
    layers
        Layer name -> GeoDataFrame, written in order. Coordinates are written as they are,
        in each frame's CRS.
    path
        The ``.gpkg`` file; replaced as a whole if it exists (layers it held that are not in
        ``layers`` are gone).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    InputError
        No layers, a value that is not a GeoDataFrame, or the file cannot be written.
    """
    if not layers:
        raise InputError(f"nothing to write to '{path}': no layers were given.")
    for name, frame in layers.items():
        if not isinstance(name, str) or not name:
            raise InputError(f"layer names must be non-empty text, not {name!r}.")
        if not isinstance(frame, gpd.GeoDataFrame):
            raise InputError(f"layer '{name}' is a {type(frame).__name__}, not a GeoDataFrame.")

    def write(tmp: Path) -> None:
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")

    return _atomic_write(path, write, suffix=".gpkg")


#: First characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
#: A plain number such as ``-1.5`` or ``+3e2``: a spreadsheet reads it as a number, not a formula.
_PLAIN_NUMBER: Final = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _formula_safe(value: Any) -> Any:
    """``value`` with a leading ``'`` if a spreadsheet would run it as a formula.

    Only text is changed (numbers, missing values and dates are returned as they are); other
    objects are judged by the text ``to_csv`` writes for them. Text that is a plain number
    (``"-1.5"``) is kept: Excel reads it as that number.
    """
    if value is None or isinstance(value, (int, float, np.number, np.bool_, date, datetime, pd.Timestamp)):
        return value
    if isinstance(value, tuple):  # a MultiIndex label
        return tuple(_formula_safe(v) for v in value)
    text = value if isinstance(value, str) else str(value)
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return value


def _formula_safe_frame(df: pd.DataFrame, *, index: bool) -> pd.DataFrame:
    """A copy of ``df`` whose text cells, column names and (if written) index are formula-safe.

    Numeric, boolean, datetime and geometry columns are left untouched, so a negative number
    stays a number.
    """
    out = df.copy()
    for pos in range(out.shape[1]):
        col = out.iloc[:, pos]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        elif not (pd.api.types.is_object_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype)):
            continue
        out.isetitem(pos, col.map(_formula_safe, na_action="ignore"))
    out.columns = out.columns.map(_formula_safe)
    out.columns.names = [_formula_safe(n) for n in out.columns.names]
    if index:
        if pd.api.types.is_object_dtype(out.index.dtype) or pd.api.types.is_string_dtype(out.index.dtype):
            out.index = out.index.map(_formula_safe)
        out.index.names = [_formula_safe(n) for n in out.index.names]
    return out


#: Decimals of a CSV column by the unit its name carries (first match wins); see :func:`csv_decimals`.
CSV_DECIMALS: Final = (
    (re.compile(r"(^|_)(lon|lat)(_|$)"), 6),                       # degrees: ~0.1 m
    (re.compile(r"(share|ratio|fraction|index|score)"), 4),       # 0-1 figures: 0.01 %
    (re.compile(r"(_min(_|$)|minutes)"), 2),                       # minutes
    (re.compile(r"(_m2$|_m2_|_km2)"), 1),                          # areas
    (re.compile(r"(_m$|_m_|_km$|_kmh$)"), 1),                      # distances, speeds
    (re.compile(r"(resident|population|persons|people)"), 1),     # persons (estimates are fractional)
)
#: Decimals of any other float column.
CSV_DEFAULT_DECIMALS: Final = 4


def csv_decimals(column: object) -> int:
    """Decimals a float column is written with, from the unit in its name."""
    name = str(column).lower()
    for pattern, decimals in CSV_DECIMALS:
        if pattern.search(name):
            return decimals
    return CSV_DEFAULT_DECIMALS


def _csv_ready(df: pd.DataFrame) -> pd.DataFrame:
    """Float columns rounded by unit, ``-0.0`` made ``0.0`` and infinities (unreached) left empty."""
    out = df.copy()
    for pos in range(out.shape[1]):
        col = out.iloc[:, pos]
        if not pd.api.types.is_float_dtype(col.dtype):
            continue
        values = col.to_numpy(dtype=float, copy=True)
        values[~np.isfinite(values)] = np.nan
        values = np.round(values, csv_decimals(out.columns[pos])) + 0.0  # + 0.0 turns -0.0 into 0.0
        out.iloc[:, pos] = values
    return out


def write_csv(df: pd.DataFrame, path: PathLike, *, index: bool = False) -> Path:
    """Write a table as CSV, atomically.

    Encoded as UTF-8 with a byte-order mark, so that Excel shows Chinese text correctly;
    geometries are written as WKT. ``index`` writes the frame's index as the first column.
    Text cells and column names that a spreadsheet would run as a formula (starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, e.g. a facility named
    ``=HYPERLINK(...)``) get a leading ``'`` so that they are shown as text; numbers are
    written as they are. Rows end in CRLF. Float columns are rounded by the unit their name
    carries (:func:`csv_decimals`: shares to 1e-4, minutes to 0.01, m² and m to 0.1, degrees to
    1e-6), with no ``-0.0``; infinite values (not reached) are left empty.
    """
    safe = _formula_safe_frame(_csv_ready(df), index=index)

    def write(tmp: Path) -> None:
        # CRLF rows (as Excel writes them): the csv writer then also quotes a cell holding a
        # bare carriage return, which would otherwise end the row early
        safe.to_csv(tmp, index=index, encoding="utf-8-sig", lineterminator="\r\n")

    return _atomic_write(path, write)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (pd.Series, pd.Index)):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return _jsonable(obj.item())
    if obj is None or obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, (str, int)):
        return obj
    if isinstance(obj, (datetime, date, pd.Timestamp)):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write a {type(obj).__name__} to JSON: {obj!r:.80}")


def write_json(obj: Any, path: PathLike) -> Path:
    """Write ``obj`` as indented UTF-8 JSON (Chinese kept readable), atomically.

    numpy scalars and arrays, pandas Series, dates and paths are converted; NaN and
    infinities become ``null``, so the file is strict JSON.

    Raises
    ------
    TypeError
        For an object that has no JSON form (a programming error).
    InputError
        If the file cannot be written.
    """
    text = json.dumps(_jsonable(obj), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    return write_text(text, path)


def write_text(text: str, path: PathLike) -> Path:
    """Write ``text`` as UTF-8, atomically."""

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)

    return _atomic_write(path, write)


def prepare_out_dir(path: PathLike, *, overwrite: bool, owned_marker: str | None = None) -> Path:
    """Create the output folder, refusing to mix results into a folder of other files.

    Parameters
    ----------
    path
        The folder; created with its parents if missing.
    overwrite
        Allow a folder that already holds files. Nothing is deleted: files of the same
        names are replaced when the outputs are written.
    owned_marker
        Name of a marker file written into the folder. A folder holding that marker was made
        by this program and is reused without ``overwrite``.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    InputError
        If ``path`` is a file, cannot be created, or holds files (hidden files aside) while
        ``overwrite`` is False and it carries no ``owned_marker``.
    """
    out = Path(path).expanduser()
    if out.exists() and not out.is_dir():
        raise InputError(f"output folder '{out}' is a file: choose a folder name with --out.")
    try:
        out.mkdir(parents=True, exist_ok=True)
        present = sorted(e.name for e in out.iterdir() if not e.name.startswith("."))
    except OSError as exc:
        raise InputError(
            f"cannot create output folder '{out}': {exc.strerror or exc}. Choose another "
            "folder with --out."
        ) from exc
    ours = owned_marker is not None and (out / owned_marker).exists()
    if present and not overwrite and not ours:
        raise InputError(
            f"output folder '{out}' already holds {len(present)} file(s) "
            f"({_listing(present)}). Pass --overwrite to write into it anyway (files of the same "
            "names are replaced), or choose an empty or new folder with --out."
        )
    if owned_marker is not None and not ours:
        write_text(
            "This folder was created by beichen-geo; its files are replaced on the next run.\n",
            out / owned_marker,
        )
    return out


def read_table(path: PathLike, *, sheet: str | int | None = None, what: str = "table") -> pd.DataFrame:
    """Read a plain table (CSV with encoding detection, or Excel .xlsx) into a DataFrame.

    The header is the first row with at least two non-empty cells (Excel exports often carry
    title rows above it); values stay text so codes like ``"001"`` survive. The frame's
    ``attrs["first_row"]`` is the spreadsheet row number of its first data row.
    """
    p = _existing(path, what)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        try:
            book = openpyxl.load_workbook(p, read_only=True, data_only=True)
        except _EXCEL_ERRORS as exc:
            raise InputError(f"cannot open {what} file '{p}' as an Excel .xlsx workbook ({exc!s:.200}).") from exc
        try:
            ws = book[sheet] if isinstance(sheet, str) else book.worksheets[(sheet or 1) - 1]
            rows = [(i + 1, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True))]
        except (KeyError, IndexError) as exc:
            raise InputError(f"{what} file '{p}' has no sheet {sheet!r}; its sheets are: {', '.join(book.sheetnames)}.") from exc
        finally:
            book.close()
        where = _label(p)
    elif suffix in (".csv", ".txt", ".tsv"):
        table = _read_csv(p, what)
        rows, where = table.rows, table.where
    else:
        raise InputError(f"{what} file {_label(p)}: expected a .csv or .xlsx table")
    for pos, (num, cells) in enumerate(rows):
        if sum(not _is_blank(c) for c in cells) >= 2:
            header = ["" if c is None else str(c).strip() for c in cells]
            body = [(n, c) for n, c in rows[pos + 1:] if any(not _is_blank(x) for x in c)]
            if not body:
                break
            data = [[None if _is_blank(x) else str(x).strip() for x in c[: len(header)]] + [None] * (len(header) - len(c))
                    for _, c in body]
            df = pd.DataFrame(data, columns=header)
            df.attrs["first_row"] = body[0][0]
            df.attrs["rows"] = [n for n, _ in body]
            return df
    raise InputError(f"{what} file {where} holds no table (a header row and data rows). Export it again.")
