"""The assessment document as plain tables in one language, shared by the workbook and the report.

Each table is a list of :class:`Column` (header with its unit, and what the cells hold) and
rows of raw values: numbers stay numbers (shares 0-1, persons, m²), verdicts are the words
达标/未达标 (pass/fail). The workbook writes them as cells with number formats, the report
as escaped text, so both show the same figures.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from typing import Any

from .words import fmt_value, plan_ref, reasons_text, unit_word, verdict, word

Doc = Mapping[str, Any]


@dataclasses.dataclass(frozen=True)
class Column:
    """A column: ``header`` (its unit included), ``unit`` of its numbers, ``kind`` text/number/verdict."""

    header: str
    unit: str = "text"
    kind: str = "text"


@dataclasses.dataclass(frozen=True)
class Table:
    """Columns and rows of raw values (``None`` for an empty cell)."""

    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]


def _with_unit(header: str, unit: str, lang: str) -> str:
    u = unit_word(unit, lang)
    return f"{header} ({u})" if u else header


def short(definition: Mapping[str, Any], lang: str) -> str:
    """A standard's short name for a header; comparison readings are marked."""
    s = str(definition["short_zh" if lang == "zh" else "short_en"])
    if not definition.get("primary", True):
        s += "(对照)" if lang == "zh" else " (comparison)"
    return s


def label(definition: Mapping[str, Any], lang: str) -> str:
    """A standard's full name."""
    return str(definition["label_zh" if lang == "zh" else "label_en"])


def places(doc: Doc) -> list[Mapping[str, Any]]:
    """The whole area first, then every unit."""
    return [doc["whole_area"], *doc.get("units", [])]


def place_name(doc: Doc, place: Mapping[str, Any], lang: str) -> str:
    """A place's name: 全域 / Whole area for the whole area, else the unit's name (data)."""
    return word("whole_area", lang) if place is doc["whole_area"] else str(place["name"])


def kind_labels(doc: Doc, lang: str) -> dict[str, str]:
    """The facility kinds' names in ``lang``."""
    return {k: v["label_zh" if lang == "zh" else "label_en"] for k, v in (doc.get("kinds") or {}).items()}


def reasons_of(doc: Doc, row: Mapping[str, Any], lang: str) -> str:
    """A row's reasons worded in ``lang`` (from the reasons as data, whatever the document's language)."""
    return reasons_text(row.get("reasons") or [], lang=lang, labels=kind_labels(doc, lang))


def row_of(place: Mapping[str, Any], standard_id: str) -> Mapping[str, Any]:
    """The row of one standard of a place (the whole area or a unit)."""
    for r in place["rows"]:
        if r["standard_id"] == standard_id:
            return r
    raise KeyError(standard_id)


def verdict_of(row: Mapping[str, Any], lang: str) -> str:
    """达标/未达标/无目标/未测量 (pass/fail/no target/not measured) of a row."""
    return verdict(row.get("passes"), str(row.get("status", "measured")), lang)


def _place_columns(lang: str) -> tuple[Column, ...]:
    """The place's name, residents (persons) and residential land (m²)."""
    return (Column(word("unit", lang)),
            Column(_with_unit(word("residents", lang), "persons", lang), "persons", "number"),
            Column(_with_unit(word("residential_land", lang), "m2", lang), "m2", "number"))


def summary_table(doc: Doc, lang: str) -> Table:
    """One row per place (whole area first), two columns per standard: the verdict and the measured value."""
    cols = list(_place_columns(lang))
    defs = doc["standards"]
    for d in defs:
        cols.append(Column(f"{short(d, lang)} {word('result', lang)}", kind="verdict"))
        cols.append(Column(_with_unit(short(d, lang), d["unit"], lang), d["unit"], "number"))
    rows = []
    for p in places(doc):
        vals: list[Any] = [place_name(doc, p, lang), p.get("residents"), p.get("residential_area_m2")]
        for d in defs:
            r = row_of(p, d["standard_id"])
            vals += [verdict_of(r, lang), r.get("value")]
        rows.append(tuple(vals))
    return Table(tuple(cols), tuple(rows))


def standard_table(doc: Doc, definition: Mapping[str, Any], lang: str) -> Table:
    """The full per-place table of one standard: verdict, value, target, details, reasons, note."""
    unit = definition["unit"]
    cols = [*_place_columns(lang), Column(word("result", lang).capitalize(), kind="verdict"),
            Column(_with_unit(word("measured", lang).capitalize(), unit, lang), unit, "number"),
            Column(_with_unit(word("target", lang).capitalize(), unit, lang), unit, "number")]
    details = definition.get("details", [])
    cols += [Column(_with_unit(d["label_zh" if lang == "zh" else "label_en"], d["unit"], lang), d["unit"], "number")
             for d in details]
    cols += [Column(word("reasons", lang)), Column(word("note", lang))]
    rows = []
    for p in places(doc):
        r = row_of(p, definition["standard_id"])
        vals: list[Any] = [place_name(doc, p, lang), p.get("residents"), p.get("residential_area_m2"),
                           verdict_of(r, lang),
                           r.get("value"), r.get("target")]
        vals += [r.get("details", {}).get(d["key"]) for d in details]
        vals += [reasons_of(doc, r, lang) or None, r.get("note")]
        rows.append(tuple(vals))
    return Table(tuple(cols), tuple(rows))


def _facility_line(src: Mapping[str, Any], lang: str) -> str:
    n = int(src.get("count", 0))
    if src.get("source") == "file":
        return f"{word('file', lang)}: {', '.join(map(str, src.get('files', [])))} ({word('facilities_n', lang, n=n)})"
    return f"{word('osm', lang)} ({word('facilities_n', lang, n=n)})"


def population_line(a: Mapping[str, Any], lang: str) -> str:
    """How the residents were counted, in words (the assumptions' ``population_*`` keys)."""
    if a.get("population_is_estimate"):
        m2 = next((p["value"] for p in a.get("parameters", []) if p["key"] == "floor_area_per_person_m2"), 35)
        return word("estimate", lang, m2=float(m2))
    if lang == "zh":
        return word("given", lang)
    return str(a.get("population_source") or word("given", lang))


def assumption_items(doc: Doc, lang: str) -> Table:
    """The data and general assumptions, one item per row: item, value, source."""
    a = doc["assumptions"]
    net = a.get("network") or {}
    speed = next((p for p in a.get("parameters", []) if p["key"] == "walk_speed_kmh"), None)
    data = a.get("data")
    data_txt = (f"OpenStreetMap — {os.path.basename(str(data))}" if data and os.path.sep in str(data) else str(data))
    units = doc.get("units", [])
    if not units:
        units_txt = word("no_units", lang)
    elif lang == "zh":
        units_txt = word("units_count", lang, n=len(units))
    else:
        units_txt = f"{word('units_count', lang, n=len(units))}: {doc.get('units_source') or ''}".rstrip(": ")
    rows: list[tuple[Any, ...]] = [
        (word("document", lang), a.get("document") if lang == "zh" else a.get("document_en") or a.get("document"), ""),
        (word("data_source", lang), data_txt, ""),
        (word("area", lang), f"{a.get('area_km2', 0) or 0:,.3f} km²", ""),
        (word("crs", lang), str(a.get("crs") or ""), ""),
        (word("walk_speed", lang), f"{a.get('walk_speed_kmh'):g} km/h",
         "" if speed is None else speed["source_zh" if lang == "zh" else "source_en"]),
        (word("network", lang), word("network_size", lang, nodes=int(net.get("nodes", 0)),
                                      edges=int(net.get("edges", 0)), km=float(net.get("length_km", 0.0))), ""),
        (word("population_method", lang), population_line(a, lang), ""),
        (_with_unit(word("residents", lang), "persons", lang), fmt_value(a.get("residents_total"), "persons", lang),
         ""),
        (_with_unit(word("unplaced", lang), "persons", lang), fmt_value(a.get("residents_unplaced"), "persons", lang),
         ""),
        (word("land_without_residents", lang),
         fmt_value(a.get("residential_land_share_without_residents"), "share", lang), ""),
        (word("units_source", lang), units_txt, ""),
    ]
    labels = kind_labels(doc, lang)
    for kind, src in (a.get("facility_sources") or {}).items():
        rows.append((f"{word('facility_sources', lang)}: {labels.get(kind, kind)}", _facility_line(src, lang), ""))
    for f in a.get("standards_files") or []:
        rows.append((word("standards_files", lang), str(f), ""))
    check = doc.get("units_check")
    if isinstance(check, Mapping):
        for k, v in check.items():
            rows.append((f"{word('units_check', lang)}: {k}",
                         v if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False), ""))
    cols = (Column(word("item", lang)), Column(word("value", lang)), Column(word("source", lang)))
    return Table(cols, tuple(rows))


def parameter_table(doc: Doc, lang: str) -> Table:
    """Every value the standards measure with: standard, item, value, unit, plan source (and note in English)."""
    zh = lang == "zh"
    cols = [Column(word("standard", lang)), Column(word("item", lang)), Column(word("value", lang), "number", "number"),
            Column(word("value_unit", lang)), Column(word("plan_source", lang))]
    if not zh:  # the standards' notes are written in English
        cols.append(Column(word("note", lang)))
    rows = []
    for p in doc["assumptions"].get("parameters", []):
        vals: list[Any] = [p["group_zh" if zh else "group_en"], p["label_zh" if zh else "label_en"],
                           p["value"], unit_word(p["unit"], lang), p["source_zh" if zh else "source_en"]]
        if not zh:
            vals.append(p.get("note"))
        rows.append(tuple(vals))
    return Table(tuple(cols), tuple(rows))


def reason_rows(doc: Doc, definition: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """(place, reasons) for every place where the standard is not met, whole area first."""
    out = []
    for p in places(doc):
        r = row_of(p, definition["standard_id"])
        if r.get("passes") is False:
            out.append((place_name(doc, p, lang), reasons_of(doc, r, lang)))
    return out


def plan_source(definition: Mapping[str, Any], lang: str) -> str:
    """A standard's plan source as shown (short form)."""
    return plan_ref(str(definition.get("source", "")), lang)
