"""Recognise the columns of a table: longitude, latitude and name, and the header row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ._common import _is_blank, _norm

#: Column names recognised as longitude / latitude (compared lower-case, without spaces and
#: without a bracketed suffix such as ``经度(WGS84)``), best first.
LON_NAMES: Final = ("lon", "lng", "long", "longitude", "经度", "x")
LAT_NAMES: Final = ("lat", "latitude", "纬度", "y")
#: Column names recognised as a facility's name (for duplicate detection), best first.
NAME_NAMES: Final = ("name", "名称", "名字", "机构名称", "设施名称", "单位名称")
#: Rows searched for the header (title rows above it are skipped).
_HEADER_SCAN_ROWS: Final = 50

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
        if n.endswith(("名称", "name")):
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

