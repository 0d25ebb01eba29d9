"""``assess.html``: the assessment as one self-contained, printable report.

A Jinja2 template shipped with the package (``templates/assess.html.j2``) rendered with
autoescaping on, so every name and figure of the data is escaped text; no data is ever used
as template source. Images are ``data:`` URIs and a Content-Security-Policy allows nothing
else, so the page makes no network request. Print CSS: A4, each standard on a new page.

Contents: a summary table (standards x places, 达标/未达标 with the measured value), then
per standard its static map (a PNG given by the caller, e.g. the print maps of the analyses'
map builders), a bar chart of the value per unit against the target
(:mod:`beichen_geo.assess.charts`), its per-place table and the reasons where it is not met,
and the data and assumptions page.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Final

from geo.errors import InputError
from geo.io import write_text

from ..present.messages import warning_text
from . import charts, tables
from .words import fmt_value, word

#: a PNG for a standard: bytes, a file, or None (no map)
Image = bytes | str | os.PathLike | None
#: the caller's maps: by ``standard_id`` or by analysis (summary name), or a function of the standard's definition
MapSource = Mapping[str, Image] | Callable[[Mapping[str, Any]], Image] | None

PLACES_PER_TABLE: Final = 6  # places per summary table on an A4 page (the table repeats for more)
_PNG = b"\x89PNG\r\n\x1a\n"


def png_uri(image: Image, *, what: str) -> str | None:
    """A PNG (bytes or file) as a ``data:`` URI; anything that is not a PNG is refused."""
    if image is None:
        return None
    data = image if isinstance(image, bytes) else Path(image).read_bytes()
    if not data.startswith(_PNG):
        raise InputError(f"{what}: not a PNG image (expected the PNG signature); give a PNG file")
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _map_for(maps: MapSource, d: Mapping[str, Any]) -> Image:
    if maps is None:
        return None
    if callable(maps):
        return maps(d)
    return maps.get(d["standard_id"], maps.get(d["analysis"]))


def _cell(value: Any, col: tables.Column, lang: str) -> dict[str, str]:
    if col.kind == "verdict":
        css = {word("pass", lang): "pass", word("fail", lang): "fail"}.get(str(value), "none")
        return {"text": str(value), "css": css}
    if col.kind == "number":
        return {"text": fmt_value(value, col.unit, lang), "css": "num"}
    return {"text": "" if value is None else str(value), "css": ""}


def _view(table: tables.Table, lang: str, *, keep: Sequence[int] | None = None) -> dict[str, Any]:
    idx = list(range(len(table.columns))) if keep is None else list(keep)
    return {"headers": [table.columns[i].header for i in idx],
            "rows": [[_cell(row[i], table.columns[i], lang) for i in idx] for row in table.rows]}


def _summary_blocks(doc: Mapping[str, Any], lang: str) -> list[dict[str, Any]]:
    """Standards down, places across, at most :data:`PLACES_PER_TABLE` places per table."""
    places = tables.places(doc)
    blocks = []
    for start in range(0, len(places), PLACES_PER_TABLE):
        chunk = places[start:start + PLACES_PER_TABLE]
        rows = []
        for d in doc["standards"]:
            cells = []
            for p in chunk:
                r = tables.row_of(p, d["standard_id"])
                v = tables.verdict_of(r, lang)
                css = {word("pass", lang): "pass", word("fail", lang): "fail"}.get(v, "none")
                cells.append({"verdict": v, "value": fmt_value(r.get("value"), d["unit"], lang), "css": css})
            rows.append({"label": tables.short(d, lang), "cells": cells})
        blocks.append({"headers": [tables.place_name(doc, p, lang) for p in chunk], "rows": rows})
    return blocks


def _section(doc: Mapping[str, Any], d: Mapping[str, Any], i: int, lang: str, maps: MapSource,
             shown: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """One standard's page. ``shown`` maps each map image already on the page to (anchor, label) of the
    section showing it: a map shared by several standards (the tiers of one circle variant) is embedded
    once, the later sections point to it."""
    table = tables.standard_table(doc, d, lang)
    anchor, label = f"standard-{i}", tables.label(d, lang)
    uri = png_uri(_map_for(maps, d), what=f"map of {d['standard_id']}")
    same_as = None
    if uri is not None:
        digest = hashlib.sha256(uri.encode("ascii")).hexdigest()
        if digest in shown:
            same_as, uri = shown[digest], None
        else:
            shown[digest] = (anchor, label)
    n_details = len(d.get("details", []))
    keep = list(range(6)) + list(range(6, 6 + (n_details if n_details <= 3 else 1)))
    chart = charts.bars(doc, d, lang=lang)
    target = d.get("target")
    if target is None:
        target_txt = f"{word('target', lang)}: {word('no_target', lang)}"
    else:
        target_txt = (f"{word('target', lang)}: {fmt_value(target, d['unit'], lang)} "
                      f"({word('primary_note' if d.get('primary', True) else 'secondary_note', lang)})")
    meta = " · ".join(x for x in (d.get("code"), tables.plan_source(d, lang), target_txt) if x)
    return {
        "anchor": anchor,
        "label": label,
        "meta": meta,
        "map_uri": uri,
        "map_same_as": None if same_as is None else {"anchor": same_as[0], "text": word("map_above", lang),
                                                      "label": same_as[1]},
        "no_map": word("no_map", lang, file=f"{d['analysis']}.html"),
        "chart_uri": None if chart is None else png_uri(chart[0], what="chart"),
        "chart_caption": None if chart is None else chart[1],
        **_view(table, lang, keep=keep),
        "reasons": tables.reason_rows(doc, d, lang),
        "no_reasons": word("none_fail", lang),
    }


def _cover(doc: Mapping[str, Any], lang: str) -> list[str]:
    a = doc["assumptions"]
    data = a.get("data")
    lines = [f"{word('data_source', lang)}: {os.path.basename(str(data)) if data else '–'}",
             f"{word('units_source', lang)}: "
             + (word("units_count", lang, n=len(doc["units"])) if doc.get("units") else word("no_units", lang)),
             f"{word('population_method', lang)}: {tables.population_line(doc['assumptions'], lang)}",
             f"{word('generated', lang)}: {doc.get('run_id') or '–'}"]
    return lines


def render(doc: Mapping[str, Any], *, lang: str, maps: MapSource = None) -> str:
    """The report's HTML (see the module docstring)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("beichen_geo.assess", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    css = resources.files("beichen_geo.assess").joinpath("templates/assess.css").read_text(encoding="utf-8")
    c = doc["counts"]
    shown: dict[str, tuple[str, str]] = {}
    warnings_list = list(doc["assumptions"].get("warnings") or [])
    if lang == "zh" and warnings_list:  # the program's sentences in Chinese, any other under an English heading
        labels = tables.kind_labels(doc, lang)
        worded = [warning_text(w, lang="zh", labels=labels) for w in warnings_list]
        warnings_list = [word("warnings_zh", lang, n=len(worded)),
                         *(t if ok else word("english_original", lang, text=t) for t, ok in worded)]
    return env.get_template("assess.html.j2").render(
        html_lang="zh-CN" if lang == "zh" else "en",
        title=word("title", lang),
        css=css,
        w={k: word(k, lang) for k in ("summary", "standard", "map", "chart", "reasons", "assumptions")},
        cover_lines=_cover(doc, lang),
        counts_line=word("standards_count", lang, n=c["standards"], ok=c["met"], bad=c["not_met"], nt=c["no_target"],
                         nm=c["not_measured"]),
        summary_blocks=_summary_blocks(doc, lang),
        sections=[_section(doc, d, i, lang, maps, shown) for i, d in enumerate(doc["standards"])],
        assumption_tables=[_view(tables.assumption_items(doc, lang), lang),
                           _view(tables.parameter_table(doc, lang), lang)],
        warnings=warnings_list,
    )


def write_report(doc: Mapping[str, Any], path: str | os.PathLike, *, lang: str,
                 maps: MapSource = None) -> Path:
    """Write ``assess.html`` from the assessment document; returns the path.

    Parameters
    ----------
    doc
        The document of :func:`beichen_geo.assess.document.build_document`.
    path
        Where to write (atomically).
    lang
        ``"zh"`` or ``"en"``: every fixed word in that language.
    maps
        Static map PNGs: a mapping from ``standard_id`` (or the analysis's summary name, e.g.
        ``circles_5-10-15``, for all its standards) to PNG bytes or a PNG file, or a callable
        taking a standard's definition and returning one (or None: the report then names the
        interactive map instead).

    Raises
    ------
    InputError
        A map that is not a PNG, or the file cannot be written.
    """
    return write_text(render(doc, lang=lang, maps=maps), path)
