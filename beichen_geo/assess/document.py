"""The ``assess.json`` document: every standard for the whole area and for each unit, with the data and assumptions.

Layout (every figure copied from the analyses' summaries by :mod:`beichen_geo.assess.rows`):

``standards``
    one definition per standard (id, labels, plan source, unit, target, details' labels);
``whole_area``
    ``{name, residents, residential_area_m2, rows}``; ``rows`` holds one entry per standard
    (``standard_id``, ``status``, ``value``, ``target``, ``passes``, ``reasons``,
    ``reasons_text``, ``details``);
``units``
    the same per unit, in the units' order (empty without ``--units``); ``units_check`` (the
    analyses' account of overlaps, gaps and empty units) when they give one;
``zones``, ``zones_check``
    the same for the second grouping (``--zones``: e.g. inside / outside the Outer Ring Road);
``counts``
    standards met, not met, without target and not measured, for the whole area;
``kinds``
    the facility kinds' names (zh, en), with which the writers word the reasons in their language;
``assumptions``
    data sources, facility sources, population method, every standard's values with their
    plan sources, walking speed, snap distance and CRS.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ..standards import Quantity, Standards
from . import rows as rows_mod
from .rows import StandardRow, Summary
from .words import plan_ref, reasons_text, word


def build_document(summaries: Mapping[str, Summary], standards: Standards, *, lang: str,
                   run_id: str | None = None) -> dict[str, Any]:
    """The assessment document of a run's summaries.

    Parameters
    ----------
    summaries
        The analyses' summaries by file stem (``circles``, ``circles_5-10-15``, ``parks``,
        ``tod``, ``clinics``), as written to their JSON files (stubs of analyses that could not
        run included).
    standards
        The standards the analyses ran with (labels and plan sources).
    lang
        ``"zh"`` or ``"en"``: the language of ``reasons_text`` and of the names the document
        gives (the whole area's).
    run_id
        The run's id, recorded in the document.

    Returns
    -------
    dict
        JSON-ready; see the module docstring.
    """
    labels = _labels(standards, lang)
    names = [n for n in summaries if rows_mod.analysis_of(n) in rows_mod.ANALYSES]
    whole_rows: dict[str, list[StandardRow]] = {}
    per: dict[str, dict[str, list[tuple[str, Mapping[str, Any], list[StandardRow]]]]] = {"units": {}, "zones": {}}
    for name in names:
        s = summaries[name]
        whole_rows[name] = rows_mod.standard_rows(name, s, whole=s, standards=standards)
        for kind, table in per.items():
            entries = rows_mod.unit_entries(name, s, kind=kind)
            if entries is not None:
                table[name] = [(rows_mod.unit_name(u), u, rows_mod.standard_rows(name, u, whole=s, standards=standards))
                               for u in entries]
    defs = [r for name in names for r in whole_rows[name]]
    first = next((summaries[n] for n in names if summaries[n].get("status") != "not measured"),
                 next(iter(summaries.values()), {}))
    whole = {"name": word("whole_area", lang), "residents": first.get("residents_total", first.get("residents")),
             "residential_area_m2": first.get("residential_area_m2"),
             "rows": [_figures(r, lang, labels) for r in defs]}
    return {
        "analysis": "assessment",
        "lang": lang,
        "run_id": run_id,
        "standards": [r.definition() for r in defs],
        "whole_area": whole,
        "units": _units(names, whole_rows, per["units"], lang, labels, grouping="units"),
        "units_source": _units_source(summaries, names, per["units"]),
        "units_check": next((summaries[n]["units_check"] for n in names if summaries[n].get("units_check")), None),
        "zones": _units(names, whole_rows, per["zones"], lang, labels, grouping="zones"),
        "zones_check": next((summaries[n]["zones_check"] for n in names if summaries[n].get("zones_check")), None),
        "counts": _counts(defs),
        "kinds": {k: {"label_zh": kd.label_zh, "label_en": kd.label_en} for k, kd in standards.kinds.items()},
        "assumptions": assumptions(summaries, standards, first),
        "study": first.get("study"),
    }


def _labels(standards: Standards, lang: str) -> dict[str, str]:
    return {k: (kd.label_zh if lang == "zh" else kd.label_en) for k, kd in standards.kinds.items()}


def _figures(row: StandardRow, lang: str, labels: Mapping[str, str]) -> dict[str, Any]:
    out = row.figures()
    out["reasons_text"] = reasons_text(row.reasons, lang=lang, labels=labels)
    return out


def _units(names: Sequence[str], whole_rows: Mapping[str, list[StandardRow]],
           per_unit: Mapping[str, list[tuple[str, Mapping[str, Any], list[StandardRow]]]], lang: str,
           labels: Mapping[str, str], *, grouping: str) -> list[dict[str, Any]]:
    """Every unit (or zone) with every standard's row; an analysis that gives no per-unit figures says so in
    each row.

    Units are matched between analyses by name (the k-th unit of a name in one analysis with
    the k-th of that name in another), in the order of the first analysis that gives units.
    """
    if not per_unit:
        return []
    lookup: dict[str, dict[tuple[str, int], tuple[Mapping[str, Any], list[StandardRow]]]] = {}
    order: list[tuple[str, int]] = []
    for name, entries in per_unit.items():
        seen: dict[str, int] = defaultdict(int)
        table = {}
        for uname, u, rws in entries:
            key = (uname, seen[uname])
            seen[uname] += 1
            table[key] = (u, rws)
            if key not in order:
                order.append(key)
        lookup[name] = table
    out = []
    for key in order:
        rows: list[StandardRow] = []
        residents = land = None
        for name in names:
            hit = lookup.get(name, {}).get(key)
            if hit is None:
                why = "not per unit" if name not in per_unit else "not measured"
                rows += [r.without_figures(why) for r in whole_rows[name]]
                continue
            u, rws = hit
            rows += rws
            residents = u.get("residents") if residents is None else residents
            land = u.get("residential_area_m2") if land is None else land
        out.append({"name": key[0], "grouping": grouping, "residents": residents, "residential_area_m2": land,
                    "rows": [_figures(r, lang, labels) for r in rows]})
    return out


def _units_source(summaries: Mapping[str, Summary], names: Sequence[str],
                  per_unit: Mapping[str, Any]) -> str | None:
    if not per_unit:
        return None
    for n in names:
        if rows_mod.analysis_of(n) == "clinics" and summaries[n].get("units_source"):
            return str(summaries[n]["units_source"])
    return next((str(summaries[n]["units_source"]) for n in per_unit if summaries[n].get("units_source")), None)


def _counts(defs: Sequence[StandardRow]) -> dict[str, int]:
    """Whole-area standards met, not met, without target, not measured (comparison readings left out)."""
    main = [r for r in defs if r.primary]
    return {
        "standards": len(main),
        "met": sum(r.passes is True for r in main),
        "not_met": sum(r.passes is False for r in main),
        "no_target": sum(r.passes is None and r.status == "measured" for r in main),
        "not_measured": sum(r.status != "measured" for r in main),
    }


# ------------------------------------------------------------------------------- assumptions
def _q(group: tuple[str, str, str], key: str, label_zh: str, label_en: str, q: Quantity) -> dict[str, Any]:
    gid, g_zh, g_en = group
    return {"standard_id": gid, "group_zh": g_zh, "group_en": g_en, "key": key, "label_zh": label_zh,
            "label_en": label_en, "value": q.value, "unit": q.unit, "source": q.source,
            "source_zh": plan_ref(q.source, "zh"), "source_en": plan_ref(q.source, "en"), "note": q.note,
            "note_zh": q.note_zh}


def parameters(standards: Standards) -> list[dict[str, Any]]:
    """Every value the standards measure with, with its unit and plan source (one entry each).

    ``standard_id`` names the group (``travel``, ``circles:<variant>``, ``parks``,
    ``tod:<variant>``, ``clinics``, ``population``), ``group_zh``/``group_en`` its name.
    """
    t = standards.travel
    travel = ("travel", "出行", "travel")
    out = [
        _q(travel, "walk_speed_kmh", "步行速度", "walking speed", t.walk_speed_kmh),
        _q(travel, "max_snap_m", "最大接入距离(超出视为不在路网上)", "snap distance (beyond it: off the network)",
           t.max_snap_m),
        _q(travel, "isochrone_buffer_m", "等时圈道路缓冲", "isochrone street buffer", t.isochrone_buffer_m),
    ]
    for v in standards.circles.variants.values():
        g = (f"circles:{v.name}", f"{'/'.join(v.standards)} {v.label_zh}", f"{'/'.join(v.standards)} {v.label_en}")
        out.append(_q(g, "target_share", "目标覆盖率", "target share", v.target_share))
        out += [_q(g, f"tiers.{tier.name}.minutes", tier.label_zh, tier.label_en, tier.minutes) for tier in v.tiers]
    p = standards.parks
    g = ("parks", f"{p.standard} 公园绿地", f"{p.standard} park green space")
    out += [_q(g, "radius_m", "服务半径", "radius", p.radius_m),
            _q(g, "target_share", "覆盖率目标", "target share", p.target_share),
            _q(g, "min_area_m2", "公园最小面积", "smallest park counted", p.min_area_m2)]
    for tv in standards.tod.variants.values():
        g = (f"tod:{tv.name}", f"{tv.standard} {tv.label_zh}", f"{tv.standard} {tv.label_en}")
        out += [_q(g, "inner_minutes", "内圈", "inner band", tv.inner_minutes),
                _q(g, "outer_minutes", "外圈", "outer band", tv.outer_minutes)]
    c = standards.clinics
    g = ("clinics", f"{c.standard} 社区卫生服务中心", f"{c.standard} community health centres")
    out += [_q(g, "min_per_town", "每单元最少中心数", "centres every unit needs", c.min_per_town),
            _q(g, "residents_per_centre_min", "每中心服务人口下限", "residents per centre, lower bound",
               c.residents_per_centre_min),
            _q(g, "residents_per_centre_max", "每中心服务人口上限", "residents per centre, upper bound",
               c.residents_per_centre_max),
            _q(g, "walk_minutes", "步行可达时间", "walking time", c.walk_minutes),
            _q(g, "reach_target_share", "可达人口比例目标", "target share within the walk", c.reach_target_share)]
    pop = standards.population
    out.append(_q(("population", "人口估算", "population estimate"), "floor_area_per_person_m2", "人均住房建筑面积",
                  "floor area per person", pop.floor_area_per_person_m2))
    return out


def assumptions(summaries: Mapping[str, Summary], standards: Standards, first: Summary) -> dict[str, Any]:
    """Data, facility sources, population method, walking speed, CRS and every standard's values."""
    study = first.get("study") or {}
    net = study.get("network") or {}
    clinics = next((s for n, s in summaries.items() if n == "clinics"), {})
    return {
        "data": study.get("data"),
        "area_km2": study.get("area_km2"),
        "facility_sources": study.get("facility_sources"),
        "clinics_kind": study.get("clinics_kind"),
        "population_source": first.get("population_source"),
        "population_is_estimate": bool(clinics.get("population_is_estimate",
                                                   str(first.get("population_source", "")).startswith("estimate"))),
        "residents_total": first.get("residents_total"),
        "residents_unplaced": first.get("residents_unplaced"),
        "residential_land_share_without_residents": first.get("residential_land_share_without_residents"),
        "walk_speed_kmh": net.get("speed_kmh", float(standards.travel.walk_speed_kmh.value)),
        "crs": net.get("crs"),
        "network": net,
        "standards_files": study.get("standards_files", list(standards.files)),
        "document": standards.meta.document,
        "document_en": standards.meta.document_en,
        "parameters": parameters(standards),
        "warnings": list(first.get("warnings") or []),
    }
