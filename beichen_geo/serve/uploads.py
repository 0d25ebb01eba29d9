"""Facility lists uploaded to the workbench: size-capped, read with the command line's readers and errors.

The file is written to a private temporary folder under its own base name (the suffix picks
the reader: CSV/TXT/TSV, Excel ``.xlsx``/``.xlsm``, or a GIS layer) and read by
:func:`beichen_geo.study._read_planner_file`, the function ``--facilities`` goes through: the same
column recognition, GCJ-02/BD-09 conversion, duplicate and swapped-coordinate checks, and the
same messages (which name the uploaded file, never the temporary folder). Points beyond the
study area's reach are left out and named, as the command line does.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import GeoError, InputError
from geo.projection import WEB_CRS

#: Largest upload, bytes (5 MiB: tens of thousands of rows).
MAX_UPLOAD_BYTES = 5 * 2**20
#: Suffixes the readers know.
SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".geojson", ".json", ".gpkg")


class UploadTooLarge(InputError):
    """The upload is larger than the cap."""


def safe_filename(name: str | None) -> str:
    """The base name of an uploaded file, reduced to safe characters; its suffix must be a known one."""
    base = os.path.basename(str(name or "").replace("\\", "/")).strip()
    base = re.sub(r"[^\w.\- ]", "_", base)[:120].lstrip(".")
    suffix = Path(base).suffix.lower()
    if not base or suffix not in SUFFIXES:
        raise InputError(f"give the file name with its type (?filename=NAME.csv); the workbench reads "
                         f"{', '.join(SUFFIXES)}, got {name!r}")
    return base


def read_upload(data: bytes, filename: str, *, kind: str, coords: str, zone_wgs84: shapely.Geometry,
                reach_m: float, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Facility points of an uploaded file, as the command line reads ``--facilities FILE --kind K``.

    Parameters
    ----------
    data
        The file's bytes (at most :data:`MAX_UPLOAD_BYTES`).
    filename
        Its name as uploaded (from :func:`safe_filename`).
    kind
        The facility kind of the rows.
    coords
        ``wgs84``, ``gcj02`` (Gaode, Tencent) or ``bd09`` (Baidu).
    zone_wgs84
        The study area grown by its reach, WGS84: points outside it are left out (and named).
    reach_m
        That reach, metres (for the message).
    options
        ``sheet``, ``layer``, ``lon_col``, ``lat_col`` as for ``--facilities``.

    Returns
    -------
    dict
        ``file``, ``kind``, ``coords``, ``rows`` (points read), ``points`` (``[lon, lat]`` WGS84 of
        the points kept), ``names``, ``source_rows``, ``left_out_rows`` (outside the reach) and
        ``warnings`` (the reader's, e.g. duplicates kept once or GCJ-02 points declared WGS84).
    """
    from ..study import _read_planner_file

    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(f"the upload is larger than {MAX_UPLOAD_BYTES // 2**20} MiB: split the list")
    if not data:
        raise InputError(f"{filename}: the upload is empty")
    with tempfile.TemporaryDirectory(prefix="beichen-upload-") as tmp:
        path = Path(tmp) / filename
        path.write_bytes(data)
        log: dict[str, Any] = {}
        west, south, east, north = (float(v) for v in gpd.GeoSeries([zone_wgs84], crs=WEB_CRS).total_bounds)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # they are collected in the log by the reader
                pts = _read_planner_file(path, kind, coords, (west, south, east, north), log, opts=options or {})
        except GeoError as exc:
            raise type(exc)(str(exc).replace(str(path), filename).replace(tmp + os.sep, ""),
                            option=getattr(exc, "option", None)) from None
    g = pts.geometry.to_crs(WEB_CRS).to_numpy()
    inside = shapely.covers(zone_wgs84, g)
    rows = pts["source_row"].to_numpy() if "source_row" in pts else np.arange(1, len(pts) + 1)
    name_col = pts.attrs.get("name_column")
    names = (pts[name_col].astype(str).tolist() if name_col and name_col in pts
             else [f"{filename} row {r}" for r in rows])
    warns = [w.replace(str(path), filename) for w in log.get("warnings", [])]
    left = [int(r) for r in rows[~inside]]
    if left:
        warns.append(f"{filename}: {len(left)} of {len(pts)} points lie outside the study area and its "
                     f"{reach_m:,.0f} m reach and are left out (rows {', '.join(map(str, left[:10]))}"
                     f"{'...' if len(left) > 10 else ''}): check those rows and the coordinate system")
    keep = np.flatnonzero(inside)
    return {"file": filename, "kind": kind, "coords": coords, "rows": len(pts),
            "points": [[float(shapely.get_x(g[i])), float(shapely.get_y(g[i]))] for i in keep],
            "names": [names[i] for i in keep], "source_rows": [int(rows[i]) for i in keep],
            "left_out_rows": left, "warnings": warns}
