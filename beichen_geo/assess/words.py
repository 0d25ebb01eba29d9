"""Every fixed word of the assessment's workbook and report, in Chinese and English.

``word(key, lang)`` gives one entry of :data:`WORDS`; the reasons a standard is not met are
worded by :func:`reason_text` (the analyses' codes through :mod:`beichen_geo.present.messages`,
plus the codes the clinics extractor adds). Nothing here is data: names of units, stations and
facilities are inserted by the writers, escaped or as plain text cells.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..present.messages import reason_text as analysis_reason_text

Lang = str

#: key -> (zh, en)
WORDS: Final[Mapping[str, tuple[str, str]]] = {
    "title": ("公共服务设施可达性评估", "Public service accessibility assessment"),
    "whole_area": ("全域", "Whole area"),
    "unit": ("单元", "Unit"),
    "residents": ("常住人口", "Residents"),
    "residential_land": ("居住用地", "Residential land"),
    "pass": ("达标", "pass"),
    "fail": ("未达标", "fail"),
    "no_target": ("无目标", "no target"),
    "not_measured": ("未测量", "not measured"),
    "not_per_unit": ("无分单元数据", "no per-unit figure"),
    "result": ("结果", "result"),
    "measured": ("测量值", "measured"),
    "target": ("目标", "target"),
    "reasons": ("未达标原因", "Why not met"),
    "standard": ("标准", "Standard"),
    "plan_source": ("规划出处", "Plan source"),
    "code": ("编号", "Code"),
    "summary": ("汇总", "Summary"),
    "assumptions": ("数据与假设", "Data and assumptions"),
    "map": ("地图", "Map"),
    "chart": ("各单元测量值与目标", "Measured value per unit against the target"),
    "no_map": ("此版本未生成静态地图;交互地图见 {file}",
               "No static map in this version; the interactive map is {file}"),
    "map_above": ("地图同:", "Same map as:"),
    "item": ("项目", "Item"),
    "value": ("取值", "Value"),
    "value_unit": ("单位", "Unit"),
    "source": ("来源", "Source"),
    "note": ("说明", "Note"),
    "data_source": ("数据来源", "Data source"),
    "facility_sources": ("设施来源", "Facility sources"),
    "population_method": ("人口方法", "Population method"),
    "walk_speed": ("步行速度", "Walking speed"),
    "crs": ("坐标参照系(量测)", "CRS (measurements)"),
    "network": ("步行路网", "Walk network"),
    "area": ("研究区面积", "Study area"),
    "standards_files": ("标准文件", "Standards files"),
    "document": ("规划文件", "Plan document"),
    "units_source": ("单元来源", "Units"),
    "units_check": ("单元检查", "Units check"),
    "zones_check": ("分区检查", "Zones check"),
    "zone": ("分区", "zone"),
    "no_units": ("未提供单元(--units),只评估全域", "no units given (--units): the whole area only"),
    "osm": ("OpenStreetMap", "OpenStreetMap"),
    "file": ("规划文件", "planner's file"),
    "facilities_n": ("{n}处", "{n}"),
    "estimate": ("估算:居住用地上建筑的建筑面积 ÷ 每人{m2:g} m²(未提供 --population)",
                 "estimate: floor area of the buildings on residential land / {m2:g} m² per person "
                 "(no --population given)"),
    "given": ("提供的人口数据", "given population"),
    "unplaced": ("不在居住用地上的人口", "residents on no residential land"),
    "land_without_residents": ("无人口的居住用地比例", "residential land without residents"),
    "network_size": ("{nodes:,}个节点、{edges:,}条边、{km:,.1f} km", "{nodes:,} nodes, {edges:,} edges, {km:,.1f} km"),
    "contents": ("目录", "Contents"),
    "generated": ("运行编号", "Run"),
    "standards_count": ("共{n}项标准:达标{ok}项,未达标{bad}项,无目标{nt}项,未测量{nm}项",
                        "{n} standards: {ok} met, {bad} not met, {nt} without target, {nm} not measured"),
    "units_count": ("{n}个单元", "{n} units"),
    "chart_top": ("显示测量值最低的{k}个单元(共{n}个)", "the {k} units with the lowest values are shown (of {n})"),
    "primary_note": ("规划原文的判定方法", "the plan's reading, which decides pass/fail"),
    "secondary_note": ("对照:不决定达标", "for comparison: does not decide pass/fail"),
    "external": ("外部取值", "external"),
    "override": ("用户覆盖", "override"),
    "pdf_unavailable": ("未生成 PDF:{why}", "no PDF written: {why}"),
    "kinds": ("设施类型", "Facility kinds"),
    "none_fail": ("没有未达标的单元", "no place fails this standard"),
    "warnings_zh": ("数据警告{n}条(英文原文见 assess.json 的 assumptions.warnings):", "{n} warnings"),
    "english_original": ("(程序的英文原文) {text}", "{text}"),
}

#: value units -> (zh, en) as shown after a header or a value
UNIT_WORDS: Final[Mapping[str, tuple[str, str]]] = {
    "share": ("%", "%"),
    "persons": ("人", "persons"),
    "m2": ("m²", "m²"),
    "count": ("个", "count"),
    "min": ("分钟", "min"),
    "m": ("米", "m"),
    "km/h": ("km/h", "km/h"),
    "m2/person": ("m²/人", "m²/person"),
    "levels": ("层", "levels"),
    "text": ("", ""),
}


def word(key: str, lang: Lang, **fmt: Any) -> str:
    """The word ``key`` in ``lang`` (``"zh"`` or ``"en"``), formatted with ``fmt``."""
    zh, en = WORDS[key]
    text = zh if lang == "zh" else en
    return text.format(**fmt) if fmt else text


def unit_word(unit: str, lang: Lang) -> str:
    """A value unit as shown (``%``, ``人``/``persons``, ``m²``...); unknown units as given."""
    pair = UNIT_WORDS.get(unit)
    if pair is None:
        return unit
    return pair[0] if lang == "zh" else pair[1]


def verdict(passes: bool | None, status: str, lang: Lang) -> str:
    """达标/未达标 (pass/fail), 无目标 for a figure without target, 未测量 when not measured."""
    if status == "not measured":
        return word("not_measured", lang)
    if status == "not per unit":
        return word("not_per_unit", lang)
    if passes is None:
        return word("no_target", lang)
    return word("pass" if passes else "fail", lang)


def fmt_value(value: Any, unit: str, lang: Lang) -> str:
    """A measured value as text: shares as percentages, persons and m² with thousands separators."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return word("pass" if value else "fail", lang)
    if isinstance(value, (int, float)):
        if unit == "share":
            return f"{value:.1%}"
        if unit in ("persons", "m2"):
            return f"{value:,.0f}"
        return f"{value:,.6g}" if isinstance(value, float) else f"{value:,}"
    return str(value)


def plan_ref(source: str, lang: Lang) -> str:
    """A source string in short: ``P4 ... L1947; tiers also in P1 ..., L259`` -> ``P4 L1947; P1 L259``.

    Sources that are not the plan (``external: GB 50180-2018 ...``, ``override in x.toml``)
    keep their kind and the standard or file they name.
    """
    s = source.strip()
    if s.startswith("external:"):
        refs = sorted(set(re.findall(r"\b(?:GB|GB/T|CJJ)\s?[\d.]+-\d{4}", s)))
        if lang == "zh" or refs:
            return word("external", lang) + (f" ({', '.join(refs)})" if refs else "")
        return s  # in English the source itself says what was assumed
    if s.startswith("override in "):
        return f"{word('override', lang)} ({s[len('override in '):]})" if lang == "zh" else s
    parts = []
    for part in re.split(r"[;/]", s):
        plan = re.search(r"\bP\d\b", part)
        lines = re.findall(r"\bL\d+(?:-L?\d+)?\b", part)
        if plan or lines:
            parts.append(" ".join(([plan.group(0)] if plan else []) + lines))
    return "; ".join(parts) if parts else s


def reason_text(reason: Mapping[str, Any], *, lang: Lang, labels: Mapping[str, str]) -> str:
    """One reason in words: the analyses' codes (worded by :mod:`beichen_geo.present.messages` when it knows
    them), the clinics' ``too_few_centres`` and ``residents_beyond_minutes``, and ``units_failing`` of the
    whole area's clinics rows. An unknown code is shown with its figures."""
    code = reason.get("code")
    zh = lang == "zh"
    kind = labels.get(str(reason.get("kind", "")), str(reason.get("kind", "")))
    if code == "units_failing":
        names = list(reason["units"])
        shown = ("、" if zh else ", ").join(names[:8]) + ("…" if len(names) > 8 else "")
        return f"{len(names)}个单元未达标:{shown}" if zh else f"{len(names)} unit(s) fail: {shown}"
    try:
        return analysis_reason_text(dict(reason), lang=lang, labels=dict(labels))
    except (KeyError, ValueError, TypeError):
        pass
    if code == "too_few_centres":
        have, need = reason["centres_inside"], reason["required_centres"]
        return f"单元内{kind}{have}所, 需要{need}所" if zh else f"{have} {kind} inside the unit, {need} required"
    if code == "residents_beyond_minutes":
        pct = f"{reason['covered_share_residents']:.1%}"
        return (f"仅{pct}的居民{reason['minutes']:g}分钟内可达{kind}" if zh
                else f"only {pct} of residents reach {kind} within {reason['minutes']:g} min")
    figures = ", ".join(f"{k}={v}" for k, v in reason.items() if k != "code")
    return f"{code} ({figures})" if figures else str(code)


def reasons_text(reasons: Sequence[Mapping[str, Any]], *, lang: Lang, labels: Mapping[str, str]) -> str:
    """Reasons joined into one line ('' when there are none)."""
    return ("；" if lang == "zh" else "; ").join(reason_text(r, lang=lang, labels=labels) for r in reasons)
