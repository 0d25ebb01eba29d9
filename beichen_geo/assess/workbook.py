"""``assess.xlsx``: the assessment as a workbook (openpyxl).

Sheets, in order:

1. the summary (``汇总`` / ``Summary``): one row per place (the whole area first, then every
   unit), two columns per standard: 达标/未达标 (pass/fail) and the measured value; green and
   red fills by conditional formatting rules on the verdict columns; the header row and the
   first column frozen; units in the header names (%, 人, m²);
2. one sheet per standard: its full per-place table (verdict, value, target, details,
   reasons), under its name, plan source and target;
3. ``数据与假设`` / ``Data and assumptions``: the data sources, the population method, the
   walking speed, the CRS and every value of the standards with its plan source.

Every text cell is written as a string (``data_type = "s"``): a unit named ``=1+1`` stays the
text ``=1+1``, never a formula. Shares are numbers 0-1 shown as percentages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from geo.io import atomic_write

from . import tables
from .tables import Table
from .words import word

#: number formats by value unit
FORMATS: Final = {"share": "0.0%", "persons": "#,##0", "m2": "#,##0", "count": "0", "min": "0.##", "m": "#,##0"}
GREEN: Final = "C6EFCE"
RED: Final = "FFC7CE"
MAX_CELL_CHARS: Final = 32767  # Excel's limit of one cell
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def _text(value: Any) -> str:
    """Text as a cell may hold it: characters XML cannot carry replaced, cut at Excel's cell limit."""
    s = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    return s if len(s) <= MAX_CELL_CHARS else s[: MAX_CELL_CHARS - 1] + "…"


def put(ws: Worksheet, row: int, col: int, value: Any, *, unit: str = "text") -> None:
    """Write one cell: numbers as numbers with the unit's format, everything else as a string cell."""
    cell = ws.cell(row=row, column=col)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        cell.value = _text(value)
        cell.data_type = "s"  # never a formula, whatever the text starts with
        return
    if value != value or value in (float("inf"), float("-inf")):  # NaN / inf: no figure
        return
    cell.value = value
    fmt = FORMATS.get(unit)
    if fmt:
        cell.number_format = fmt


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name: no ``[]:*?/\\``, at most 31 characters, not starting with an apostrophe."""
    base = _SHEET_BAD.sub("_", ILLEGAL_CHARACTERS_RE.sub("_", name)).strip().strip("'") or "sheet"
    base = base[:31]
    title, i = base, 2
    while title.lower() in taken:
        tag = f"~{i}"
        title = base[: 31 - len(tag)] + tag
        i += 1
    taken.add(title.lower())
    return title


def _write_table(ws: Worksheet, table: Table, *, top: int, lang: str) -> None:
    """Header at row ``top``, rows below; verdict columns coloured by conditional formatting rules."""
    bold = Font(bold=True)
    for j, col in enumerate(table.columns, start=1):
        put(ws, top, j, col.header)
        ws.cell(row=top, column=j).font = bold
        ws.cell(row=top, column=j).alignment = Alignment(wrap_text=True, vertical="top")
    for i, row in enumerate(table.rows, start=top + 1):
        for j, (col, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            put(ws, i, j, value, unit=col.unit if col.kind == "number" else "text")
    last = top + max(len(table.rows), 1)
    for j, col in enumerate(table.columns, start=1):
        letter = get_column_letter(j)
        width = max([len(str(col.header)) * (1.6 if lang == "zh" else 1.0)] + [12.0])
        ws.column_dimensions[letter].width = min(width, 40)
        if col.kind == "verdict" and table.rows:
            rng = f"{letter}{top + 1}:{letter}{last}"
            for text, color in ((word("pass", lang), GREEN), (word("fail", lang), RED)):
                fill = PatternFill(start_color=color, end_color=color, fill_type="solid", bgColor=color)
                ws.conditional_formatting.add(rng, CellIsRule(operator="equal", formula=[f'"{text}"'], fill=fill))


def _summary_sheet(ws: Worksheet, doc: Mapping[str, Any], lang: str) -> None:
    _write_table(ws, tables.summary_table(doc, lang), top=1, lang=lang)
    ws.freeze_panes = "B2"  # the header row and the place names stay in view
    ws.row_dimensions[1].height = 45


def _standard_sheet(ws: Worksheet, doc: Mapping[str, Any], d: Mapping[str, Any], lang: str) -> None:
    put(ws, 1, 1, tables.label(d, lang))
    ws.cell(row=1, column=1).font = Font(bold=True, size=12)
    put(ws, 2, 1, f"{word('code', lang)}: {d.get('code') or '–'}; {word('plan_source', lang)}: "
                  f"{tables.plan_source(d, lang) or '–'}")
    target = "–" if d.get("target") is None else (f"{d['target']:.0%}" if d["unit"] == "share" else f"{d['target']:g}")
    note = word("primary_note" if d.get("primary", True) else "secondary_note", lang)
    put(ws, 3, 1, f"{word('target', lang)}: {target} ({note})" if d.get("target") is not None
        else f"{word('target', lang)}: {word('no_target', lang)}")
    _write_table(ws, tables.standard_table(doc, d, lang), top=5, lang=lang)
    ws.freeze_panes = "B6"


def _assumptions_sheet(ws: Worksheet, doc: Mapping[str, Any], lang: str) -> None:
    items = tables.assumption_items(doc, lang)
    _write_table(ws, items, top=1, lang=lang)
    top = len(items.rows) + 3
    _write_table(ws, tables.parameter_table(doc, lang), top=top, lang=lang)
    ws.freeze_panes = "B2"
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 48
    ws.column_dimensions["E"].width = 40


def workbook(doc: Mapping[str, Any], *, lang: str) -> Workbook:
    """The assessment workbook (see the module docstring), not yet saved."""
    wb = Workbook()
    taken: set[str] = set()
    ws = wb.active
    assert ws is not None
    ws.title = sheet_title(word("summary", lang), taken)
    _summary_sheet(ws, doc, lang)
    for d in doc["standards"]:
        _standard_sheet(wb.create_sheet(sheet_title(tables.short(d, lang), taken)), doc, d, lang)
    _assumptions_sheet(wb.create_sheet(sheet_title(word("assumptions", lang), taken)), doc, lang)
    return wb


def write_workbook(doc: Mapping[str, Any], path: str | os.PathLike, *, lang: str) -> Path:
    """Write ``assess.xlsx`` from the assessment document; returns the path.

    Parameters
    ----------
    doc
        The document of :func:`beichen_geo.assess.document.build_document`.
    path
        Where to write (atomically: a temporary file, then renamed).
    lang
        ``"zh"`` or ``"en"``: every header, verdict and sheet name in that language.
    """
    wb = workbook(doc, lang=lang)
    return atomic_write(path, lambda tmp: wb.save(tmp), suffix=".xlsx")
