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
import re
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
    """The whole area first, then every unit, then every zone."""
    return [doc["whole_area"], *doc.get("units", []), *(doc.get("zones") or [])]


def place_name(doc: Doc, place: Mapping[str, Any], lang: str) -> str:
    """A place's name: 全域 / Whole area for the whole area, the unit's name (data), ``分区: `` / ``zone: `` + a
    zone's name."""
    if place is doc["whole_area"]:
        return word("whole_area", lang)
    return (f"{word('zone', lang)}: " if place.get("grouping") == "zones" else "") + str(place["name"])


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
        vals += [reasons_of(doc, r, lang) or None, note_text(r.get("note"), lang)]
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
    for key in ("units_check", "zones_check"):
        rows += check_items(doc.get(key), lang, title=word(key, lang))
    cols = (Column(word("item", lang)), Column(word("value", lang)), Column(word("source", lang)))
    return Table(cols, tuple(rows))


#: the units check's keys (beichen_geo.units.Grouping.check) -> (zh, en)
CHECK_WORDS: Mapping[str, tuple[str, str]] = {
    "rule": ("归属规则", "assignment rule"),
    "source": ("文件", "file"),
    "units": ("单元数", "units"),
    "overlaps": ("重叠的单元", "overlapping units"),
    "overlaps_count": ("重叠对数", "overlapping pairs"),
    "overlap_area_m2": ("重叠面积 (m²)", "overlap area (m²)"),
    "cells_outside_units": ("不在任何单元内的需求单元格", "demand cells in no unit"),
    "residential_area_m2_outside_units": ("不在任何单元内的居住用地 (m²)", "residential land in no unit (m²)"),
    "residents_outside_units": ("不在任何单元内的人口 (人)", "residents in no unit (persons)"),
    "units_without_residential_land": ("无居住用地的单元", "units without residential land"),
    "duplicate_names": ("重名的单元", "repeated names"),
}
RULE_ZH = ("需求单元格属于覆盖其需求点(接入路网的点)的单元,边界上的点属于该单元;单元重叠时按文件顺序取第一个,"
           "每个单元格只计一次")


def check_items(check: Any, lang: str, *, title: str) -> list[tuple[Any, ...]]:
    """The units (or zones) check as (item, value, source) rows: overlaps, land and residents in no unit..."""
    if not isinstance(check, Mapping):
        return []
    zh = lang == "zh"
    rows: list[tuple[Any, ...]] = []
    for k, v in check.items():
        label = CHECK_WORDS.get(k, (k, k))[0 if zh else 1]
        if k == "rule" and zh:
            v = RULE_ZH
        elif k == "overlaps" and isinstance(v, list):
            v = ("；" if zh else "; ").join(
                f"{o.get('a')} {'与' if zh else '/'} {o.get('b')} {o.get('area_m2', 0):,.0f} m²" for o in v) or "–"
        elif isinstance(v, list):
            v = ("、" if zh else ", ").join(map(str, v)) or "–"
        elif isinstance(v, Mapping):
            v = json.dumps(v, ensure_ascii=False)
        rows.append((f"{title}: {label}", "–" if v is None else v, ""))
    return rows


def note_text(note: Any, lang: str) -> str | None:
    """A row's note as shown: in Chinese, a note the program wrote in English (why a standard could not be
    measured: the analysis's error) comes after a heading that says so."""
    if not note:
        return None
    text = str(note)
    if lang == "zh" and not re.search(r"[\u4e00-\u9fff]", text):
        return word("english_original", lang, text=text)
    return text


def parameter_table(doc: Doc, lang: str) -> Table:
    """Every value the standards measure with: standard, item, value, unit, plan source and note.

    In Chinese the note is the standards' ``note_zh``; a note given only in English (an
    override's) is shown after a heading that says so.
    """
    zh = lang == "zh"
    cols = [Column(word("standard", lang)), Column(word("item", lang)), Column(word("value", lang), "number", "number"),
            Column(word("value_unit", lang)), Column(word("plan_source", lang)), Column(word("note", lang))]
    rows = []
    for p in doc["assumptions"].get("parameters", []):
        vals: list[Any] = [p["group_zh" if zh else "group_en"], p["label_zh" if zh else "label_en"],
                           p["value"], unit_word(p["unit"], lang), p["source_zh" if zh else "source_en"]]
        note = p.get("note")
        if zh:
            note = p.get("note_zh") or (word("english_original", lang, text=note) if note else None)
        vals.append(note)
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
