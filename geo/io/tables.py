"""Read tables: CSV files of any common encoding and separator, and Excel .xlsx sheets."""

from __future__ import annotations

import csv
import io as _stdio
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from xml.etree.ElementTree import ParseError

import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

from ..errors import InputError
from ._common import PathLike, _existing, _is_blank, _label
from .columns import LAT_NAMES, LON_NAMES, _find_header
from .encoding import _decode

__all__ = ["read_table"]

_CSV_SUFFIXES: Final = {".csv", ".txt", ".tsv"}
_EXCEL_SUFFIXES: Final = {".xlsx", ".xlsm"}
_DELIMITERS: Final = (",", ";", "\t", "|")
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

@dataclass
class _Table:
    """Rows of a sheet or CSV file, each with its 1-based row number as Excel shows it."""

    rows: list[tuple[int, list[Any]]]
    where: str


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
        "(sheet=NAME) and the columns (lon_col=NAME, lat_col=NAME).",
        option="sheet",
    )


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
            raise InputError(f"{what} file '{p}' has no sheet {sheet!r}; "
                             f"its sheets are: {', '.join(book.sheetnames)}.") from exc
        finally:
            book.close()
        where = _label(p)
    elif suffix in (".csv", ".txt", ".tsv"):
        table = _read_csv(p, what)
        rows, where = table.rows, table.where
    else:
        raise InputError(f"{what} file {_label(p)}: expected a .csv or .xlsx table")
    for pos, (_num, cells) in enumerate(rows):
        if sum(not _is_blank(c) for c in cells) >= 2:
            header = ["" if c is None else str(c).strip() for c in cells]
            body = [(n, c) for n, c in rows[pos + 1:] if any(not _is_blank(x) for x in c)]
            if not body:
                break
            data = [[None if _is_blank(x) else str(x).strip() for x in c[: len(header)]]
                    + [None] * (len(header) - len(c))
                    for _, c in body]
            df = pd.DataFrame(data, columns=header)
            df.attrs["first_row"] = body[0][0]
            df.attrs["rows"] = [n for n, _ in body]
            return df
    raise InputError(f"{what} file {where} holds no table (a header row and data rows). Export it again.")
