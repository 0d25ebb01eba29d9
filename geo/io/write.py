"""Write outputs atomically: GeoPackage, CSV (Excel-safe), JSON and text.

Every writer goes through :func:`atomic_write`: it writes a hidden temporary file in the
target folder and then renames it over the target with :func:`os.replace`, which is atomic:
an interrupted run leaves either the previous file or the complete new one, never a partial
file. A failed write (full disk, read-only folder, file locked by another program) raises an
:class:`~geo.errors.InputError` giving the operating system's reason.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError
from ._common import PathLike

__all__ = ["CSV_DECIMALS", "CSV_DEFAULT_DECIMALS", "atomic_write", "csv_decimals", "write_csv", "write_gpkg",
           "write_json", "write_text"]

def atomic_write(path: PathLike, write_fn: Callable[[Path], None], *, suffix: str = "") -> Path:
    """Write a file atomically: ``write_fn(tmp)`` writes a hidden file, renamed over ``path``.

    The temporary file lies in the target's folder (so that :func:`os.replace` is a rename
    within one file system) and is flushed to disk before the rename: readers and an
    interrupted run see the previous file or the complete new one, never a partial file.
    On failure the temporary file (and SQLite's ``-wal``/``-shm``/``-journal`` companions)
    is removed. Missing parent folders are created.

    Parameters
    ----------
    path
        The file to write; replaced if it exists.
    write_fn
        Called once with the temporary path; writes the whole file there (e.g.
        ``lambda tmp: frame.to_file(tmp, driver="GPKG")``).
    suffix
        Ending of the temporary file's name, for writers that choose the format by it
        (``".gpkg"`` for GDAL).

    Returns
    -------
    pathlib.Path
        The target path.

    Raises
    ------
    InputError
        ``path`` is a folder, or the operating system (or GDAL) refused the write: full disk,
        read-only folder, file open in another program. The message gives the reason and
        what to do. Any other exception of ``write_fn`` (a programming error) propagates as
        it is.
    """
    target = Path(path).expanduser()
    if target.is_dir():
        raise InputError(f"cannot write '{target}': a folder of that name exists.")
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp{suffix}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_fn(tmp)
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

    return atomic_write(path, write, suffix=".gpkg")


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


def write_csv(df: pd.DataFrame, path: PathLike, *, index: bool = False,
              header: Sequence[str] | None = None) -> Path:
    """Write a table as CSV, atomically.

    Encoded as UTF-8 with a byte-order mark, so that Excel shows Chinese text correctly;
    geometries are written as WKT. ``index`` writes the frame's index as the first column.
    ``header`` gives the names written in the header row instead of the column names (one
    per column, e.g. translated names); the rounding still follows the column names.
    Text cells and column names that a spreadsheet would run as a formula (starting with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, e.g. a facility named
    ``=HYPERLINK(...)``) get a leading ``'`` so that they are shown as text; numbers are
    written as they are. Rows end in CRLF. Float columns are rounded by the unit their name
    carries (:func:`csv_decimals`: shares to 1e-4, minutes to 0.01, m² and m to 0.1, degrees to
    1e-6), with no ``-0.0``; infinite values (not reached) are left empty.
    """
    safe = _formula_safe_frame(_csv_ready(df), index=index)
    names: bool | list[str] = True
    if header is not None:
        if len(header) != df.shape[1]:
            raise ValueError(f"header gives {len(header)} names for {df.shape[1]} columns")
        names = [str(_formula_safe(str(h))) for h in header]

    def write(tmp: Path) -> None:
        # CRLF rows (as Excel writes them): the csv writer then also quotes a cell holding a
        # bare carriage return, which would otherwise end the row early
        safe.to_csv(tmp, index=index, header=names, encoding="utf-8-sig", lineterminator="\r\n")

    return atomic_write(path, write)


def csv_bytes(df: pd.DataFrame, *, index: bool = False, round_by_unit: bool = True) -> bytes:
    """The bytes :func:`write_csv` writes for ``df`` (UTF-8 with BOM, CRLF rows, formula-safe text).

    ``round_by_unit=False`` keeps floats at full precision (e.g. coordinates meant to be read
    back exactly); infinities are still left empty.
    """
    ready = _csv_ready(df) if round_by_unit else df.replace([np.inf, -np.inf], np.nan)
    text = _formula_safe_frame(ready, index=index).to_csv(index=index, lineterminator="\r\n")
    return "\ufeff".encode() + text.encode("utf-8")


def jsonable(obj: Any) -> Any:
    """``obj`` as plain JSON values, as :func:`write_json` writes it (numpy, pandas, dates, paths converted;
    NaN and infinities as None); raises TypeError for anything else."""
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (pd.Series, pd.Index)):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return jsonable(obj.item())
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
    text = json.dumps(jsonable(obj), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    return write_text(text, path)


def write_text(text: str, path: PathLike) -> Path:
    """Write ``text`` as UTF-8, atomically (see :func:`atomic_write`).

    Newlines are written as they are in ``text`` (no translation).

    Raises
    ------
    InputError
        If the file cannot be written.
    """

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)

    return atomic_write(path, write)

