"""Read planners' files and write outputs atomically.

Reading
-------
:func:`read_layer` reads any GIS layer (GeoJSON, GeoPackage, Shapefile, anything GDAL reads)
and :func:`read_points` reads facility lists: CSV or Excel sheets with longitude/latitude
columns, or GIS layers of points (polygons become a point inside them); :func:`read_table`
reads a plain table. Every problem raises an :class:`~geo.errors.InputError` or
:class:`~geo.errors.DataError` naming the file, the layer or sheet, the row as a planner
sees it in Excel (header = row 1 when it is the first line) and what to do; when the fix is
an argument (``layer``, ``sheet``, ``lon_col``...) the error's ``option`` attribute names it.
Nothing is dropped silently: repaired geometries, features without a geometry and duplicate
points are announced with :func:`warnings.warn` and counted in ``gdf.attrs``.

Writing
-------
Every writer goes through :func:`atomic_write` (a hidden temporary file in the target folder,
renamed over the target with :func:`os.replace`): an interrupted run leaves either the
previous file or the complete new one, never a partial file.

Modules
-------
- :mod:`geo.io.layers`: :func:`read_layer` (layer choice, CRS checks, geometry repairs);
- :mod:`geo.io.points`: :func:`read_points` (lon/lat tables and point layers to WGS84 points);
- :mod:`geo.io.tables`: :func:`read_table`, CSV and Excel reading;
- :mod:`geo.io.encoding`: decoding of CSV bytes (UTF-8, UTF-16, GBK; mixed files refused);
- :mod:`geo.io.columns`: recognition of the longitude, latitude and name columns;
- :mod:`geo.io.write`: :func:`atomic_write` and the GeoPackage, CSV, JSON and text writers.
"""

from __future__ import annotations

from .columns import LAT_NAMES, LON_NAMES, NAME_NAMES
from .layers import read_layer
from .points import GEOM_SOURCES, read_points
from .tables import read_table
from .write import (
    CSV_DECIMALS,
    CSV_DEFAULT_DECIMALS,
    atomic_write,
    csv_bytes,
    csv_decimals,
    jsonable,
    write_csv,
    write_gpkg,
    write_json,
    write_text,
)

__all__ = [
    "CSV_DECIMALS",
    "CSV_DEFAULT_DECIMALS",
    "GEOM_SOURCES",
    "LAT_NAMES",
    "LON_NAMES",
    "NAME_NAMES",
    "atomic_write",
    "csv_bytes",
    "csv_decimals",
    "jsonable",
    "read_layer",
    "read_points",
    "read_table",
    "write_csv",
    "write_gpkg",
    "write_json",
    "write_text",
]
