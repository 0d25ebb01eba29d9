"""The CSV tables in Chinese: one catalogue of column names, and the program's words in the cells.

An analysis's tables keep their English column names, which carry their units
(``walk_min_to_clinic``, ``residential_area_m2``, ``covered_share_residents``): they are the
names of the GeoPackage layers' fields and of the JSON keys, the API, in every language. With
``--lang zh`` each ``<command>_<table>.csv`` gets a Chinese header row instead, and the texts
the program itself wrote into the cells (verdicts, yes/no, reasons, statuses, methods, where
the residents come from, generated names such as ``site 4``) are written in Chinese; data
values (OSM names, the names of your units and files) stay as they are.

:func:`header` translates one column name: first the exact names of :data:`COLUMNS`, then the
rules for generated names (:data:`RULES`): ``walk_min_to_<kind>`` (步行至<kind's label>时间（分钟）),
``tier_<minutes>min_<measure>``, ``tier_<minutes>min_<kind>_<measure>``, ``services_<kind>``,
``meets_<tier>``, ``<variant>_<inner|outer>_<minutes>min_<measure>``, ``inner_*`` / ``outer_*``,
``min<band>_<measure>`` / ``<band>min_<measure>``, ``<measure>_before`` / ``_after``,
``<what>_within_<minutes>min``. A kind or TOD variant is named by its label in the standards
(:class:`~beichen_geo.present.messages.Labels`); a circles tier by its label in the summary.
A column no entry or rule translates keeps its English name and is said in a warning (never
silently; the tests run every analysis and find none).

:func:`csv_table` gives the cells to write and the header row of one table of a result.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .messages import MAP_WORDS, PASS_WORDS, Labels, Words, reasons_line, tier_reasons_line

if TYPE_CHECKING:
    from ..result import AnalysisResult

#: Exact column names -> Chinese (units in full-width brackets). Also the measures that the
#: rules put after a prefix (``tier_15min_`` + ``covered_share_land``).
COLUMNS: dict[str, str] = {
    # shared
    "name": "名称",
    "residential_area_m2": "居住用地面积（m²）",
    "residents": "居民（人）",
    "demand_cells": "需求单元格数",
    "target": "目标比例",
    "target_share": "目标比例",
    "passes": "是否达标",
    "reasons": "未达标原因",
    "kind": "设施类型",
    "kinds": "设施类型",
    "facilities": "设施数（处）",
    "minutes": "步行时间（分钟）",
    "distance_m": "步行距离（米）",
    "area_m2": "面积（m²）",
    "cells": "单元格数",
    "rank": "排名",
    "lon_wgs84": "经度（WGS84）",
    "lat_wgs84": "纬度（WGS84）",
    "on_network": "位于步行路网上",
    "snap_access_m": "接入路网距离（米）",
    "population_source": "人口来源",
    "geometry": "几何（WKT）",
    # circles
    "tier": "层级",
    "label_zh": "名称（中文）",
    "label_en": "名称（英文）",
    "covered_share_land": "覆盖率（用地）",
    "covered_share_residents": "覆盖率（居民）",
    "all_tiers_share_land": "满足全部层级的比例（用地）",
    "all_tiers_share_residents": "满足全部层级的比例（居民）",
    "meets_all_tiers": "满足全部层级",
    "tiers_met": "满足层级数",
    # parks
    "parent": "居住地块编号",
    "cell": "单元格编号",
    "euclidean_covered_fraction": "直线缓冲区内面积比例",
    "network_covered": "沿路网覆盖",
    "covered_share_euclidean": "覆盖率（用地，直线）",
    "covered_share_network": "覆盖率（用地，沿路网）",
    "covered_share_residents_euclidean": "覆盖率（居民，直线）",
    "covered_share_residents_network": "覆盖率（居民，沿路网）",
    "primary_method": "判定方法",
    "passes_euclidean": "是否达标（直线）",
    "passes_network": "是否达标（沿路网）",
    "uncovered_area_m2_euclidean": "未覆盖居住用地面积（m²，直线）",
    "uncovered_area_m2_network": "未覆盖居住用地面积（m²，沿路网）",
    # tod and stations
    "station_id": "站点编号",
    "station": "站点",
    "variant": "方案",
    "standard": "标准编号",
    "band": "圈层",
    "band_min": "步行时间（分钟）",
    "band_m": "步行距离（米）",
    "catchment_area_m2": "步行范围面积（m²）",
    "circle_area_m2": "同半径圆面积（m²）",
    "ped_shed_ratio": "步行可达比",
    "ped_shed_ratio_street": "步行可达比（道路）",
    "ped_shed_ratio_area": "步行可达比（面积）",
    "intersections": "交叉口数",
    "intersection_density_per_km2": "交叉口密度（个/km²）",
    "intersections_per_street_km": "每公里道路交叉口数",
    "street_length_m": "道路长度（米）",
    "circle_street_length_m": "圆内道路长度（米）",
    "residential_land_m2": "居住用地面积（m²）",
    "residential_land_share": "居住用地比例",
    "residential_land_reached_m2": "可达居住用地面积（m²）",
    "buffer_residential_land_m2": "圆内居住用地面积（m²）",
    "land_network_to_buffer_ratio": "步行范围与圆内居住用地面积之比",
    "residents_per_km2": "居民密度（人/km²）",
    "buffer_residents": "圆内居民（人）",
    "park_covered_land_m2": "公园覆盖的居住用地面积（m²）",
    "park_coverage_share": "公园覆盖比例",
    "services_total": "服务设施总数（处）",
    "service_kinds": "服务设施类型数",
    "service_mix_index": "设施混合度（0-1）",
    "score_band": "圈层得分",
    "score": "TOD综合得分（0-100）",
    "residential_land_in_any_m2": "任一站点范围内的居住用地面积（m²）",
    "residents_in_any": "任一站点范围内的居民（人）",
    "share_of_residential_land": "居住用地比例",
    "share_of_residents": "居民比例",
    "demand_cells_in_any": "任一站点范围内的需求单元格数",
    "stations_reaching": "可达的站点",
    # clinics
    "centre_id": "中心编号",
    "unit_name": "单元名称",
    "catchment_residents": "服务居民（人）",
    "catchment_cells": "服务需求单元格数",
    "catchment_land_m2": "服务居住用地面积（m²）",
    "reachable_residents": "可达居民（人）",
    "over_100k": "服务超过10万人",
    "residents_source": "人口来源",
    "centres_inside": "单元内中心数",
    "centre_names": "单元内中心名称",
    "centres_reachable": "可达中心数",
    "reachable_names": "可达中心名称",
    "residents_per_centre": "每所中心服务居民（人）",
    "required_centres": "需要中心数",
    "missing_centres": "缺少中心数",
    "passes_count": "数量达标",
    "passes_reach": "可达达标",
    "below_min_catchment": "低于最小服务人口",
    "result": "结果",
    "unit_area_m2": "单元面积（m²）",
    # gaps
    "gap_area": "缺口区编号",
    "covered_area_m2_after": "新增选址后覆盖的面积（m²）",
    "covered_residents_after": "新增选址后覆盖的居民（人）",
    "facility": "设施",
    "catchment_residents_before": "服务居民（现状，人）",
    "catchment_residents_after": "服务居民（新增选址后，人）",
    "residents_per_centre_before": "每所机构服务居民（现状，人）",
    "residents_per_centre_after": "每所机构服务居民（新增选址后，人）",
    "overloaded_before": "超负荷（现状）",
    "centres_per_100k_residents_before": "每10万人机构数（现状）",
    "centres_per_100k_residents_after": "每10万人机构数（新增选址后）",
    "status_before": "状态（现状）",
    "status_after": "状态（新增选址后）",
    "candidate": "候选点编号",
    "origin": "来源",
    "gain_residents": "新增覆盖居民（人）",
    "gain_area_m2": "新增覆盖居住用地面积（m²）",
    "gain_cells": "新增覆盖单元格数",
    "covered_share_land_after": "累计覆盖率（用地）",
    "covered_share_residents_after": "累计覆盖率（居民）",
    "walk_min_to_gap": "步行至缺口区时间（分钟）",
    "chosen_rank": "入选排名",
    "demand_cells_reached": "可达需求单元格数",
    "reachable_by_candidates": "候选点可达",
}

_MIN = r"(?P<m>\d+(?:_\d+)?)"  # minutes in a name: 15, 7_5 (see beichen_geo.units.minutes_tag)
_BANDS_ZH = {"inner": "内圈", "outer": "外圈"}


@dataclasses.dataclass(frozen=True)
class Context:
    """What the rules need besides the name: the standards' labels, the summary's tiers and TOD variants."""

    labels: Labels
    tiers: Mapping[str, str] = dataclasses.field(default_factory=dict)  # tier id -> label
    variants: Sequence[str] = ()  # TOD variant ids (they may hold "_")

    def kind(self, code: str) -> str | None:
        return self.labels.kinds.get(code)


def _minutes(tag: str) -> str:
    return tag.replace("_", ".")


def _kind_measure(rest: str, ctx: Context, depth: int) -> str | None:
    """``<kind>_<measure>``: the kind's label and the measure (longest kind code first)."""
    for code in sorted(ctx.labels.kinds, key=len, reverse=True):
        if rest.startswith(code + "_"):
            measure = _translate(rest[len(code) + 1:], ctx, depth + 1)
            if measure is not None:
                return f"{ctx.labels.kinds[code]}·{measure}"
    return None


def _rule_before_after(hit: re.Match[str], ctx: Context, depth: int) -> str | None:
    base = _translate(hit["base"], ctx, depth + 1)
    return None if base is None else f"{base}（{'现状' if hit['when'] == 'before' else '新增选址后'}）"


def _rule_tier(hit: re.Match[str], ctx: Context, depth: int) -> str | None:
    rest = hit["rest"]
    measure = _translate(rest, ctx, depth + 1) or _kind_measure(rest, ctx, depth)
    return None if measure is None else f"{_minutes(hit['m'])}分钟层级·{measure}"


def _rule_tier_id(hit: re.Match[str], ctx: Context, depth: int) -> str | None:
    for tier in sorted(ctx.tiers, key=len, reverse=True):
        if hit["rest"].startswith(tier + "_"):
            rest = hit["rest"][len(tier) + 1:]
            measure = _translate(rest, ctx, depth + 1) or _kind_measure(rest, ctx, depth)
            if measure is not None:
                return f"{ctx.tiers[tier]}·{measure}"
    return None


def _rule_band_minutes(hit: re.Match[str], ctx: Context, depth: int) -> str | None:
    measure = _translate(hit["rest"], ctx, depth + 1)
    return None if measure is None else f"{_minutes(hit['m'])}分钟·{measure}"


def _rule_variant_band(hit: re.Match[str], ctx: Context, depth: int) -> str | None:
    measure = _translate(hit["rest"], ctx, depth + 1)
    if measure is None:
        return None
    band = _BANDS_ZH[hit["band"]] + (f"{_minutes(hit['m'])}分钟" if hit["m"] else "")
    variant = hit["variant"]
    if not variant:
        return f"{band}·{measure}"
    if variant not in ctx.variants and variant not in ctx.labels.tod_variants:
        return None  # not a TOD variant: no rule of this kind
    return f"{ctx.labels.tod_variant(variant)}·{band}·{measure}"


def _rule_services(hit: re.Match[str], ctx: Context, depth: int) -> str | None:  # noqa: ARG001
    kind = ctx.kind(hit["kind"])
    return None if kind is None else f"服务设施·{kind}（处）"


def _rule_walk_to(hit: re.Match[str], ctx: Context, depth: int) -> str | None:  # noqa: ARG001
    target = ctx.kind(hit["kind"]) or {"park": "公园", "gap": "缺口区", "station": "站点"}.get(hit["kind"])
    if target is None:
        return None
    return f"步行至{target}时间（分钟）" if hit["unit"] == "min" else f"步行至{target}距离（米）"


def _rule_meets(hit: re.Match[str], ctx: Context, depth: int) -> str | None:  # noqa: ARG001
    label = ctx.tiers.get(hit["tier"])
    return None if label is None else f"满足{label}"


_WITHIN = {"residents": "居民（人）", "share_residents": "居民比例", "share_land": "居住用地比例"}


def _rule_within(hit: re.Match[str], ctx: Context, depth: int) -> str | None:  # noqa: ARG001
    return f"步行{_minutes(hit['m'])}分钟内可达的{_WITHIN[hit['what']]}"


def _rule_kind(hit: re.Match[str], ctx: Context, depth: int) -> str | None:
    return _kind_measure(hit["name"], ctx, depth)


Rule = Callable[[re.Match[str], Context, int], "str | None"]
#: The rules for generated names, tried in order after :data:`COLUMNS`.
RULES: tuple[tuple[re.Pattern[str], Rule], ...] = (
    (re.compile(r"(?P<what>residents|share_residents|share_land)_within_" + _MIN + "min"), _rule_within),
    (re.compile(r"walk_(?P<unit>min|m)_to_(?P<kind>.+)"), _rule_walk_to),
    (re.compile(r"services_(?P<kind>.+)"), _rule_services),
    (re.compile(r"meets_(?P<tier>.+)"), _rule_meets),
    (re.compile(r"tier_" + _MIN + r"min_(?P<rest>.+)"), _rule_tier),
    (re.compile(r"tier_(?P<rest>.+)"), _rule_tier_id),
    (re.compile(r"(?:(?P<variant>.+)_)?(?P<band>inner|outer)(?:_" + _MIN + r"min)?_(?P<rest>.+)"),
     _rule_variant_band),
    (re.compile(r"min" + _MIN + r"_(?P<rest>.+)"), _rule_band_minutes),
    (re.compile(_MIN + r"min_(?P<rest>.+)"), _rule_band_minutes),
    (re.compile(r"(?P<base>.+)_(?P<when>before|after)"), _rule_before_after),
    (re.compile(r"(?P<name>.+)"), _rule_kind),
)


def _translate(name: str, ctx: Context, depth: int = 0) -> str | None:
    if name in COLUMNS:
        return COLUMNS[name]
    if depth > 4:
        return None
    for pattern, rule in RULES:
        hit = pattern.fullmatch(name)
        if hit is not None:
            text = rule(hit, ctx, depth)
            if text is not None:
                return text
    return None


def header(column: str, *, labels: Labels, tiers: Mapping[str, str] | None = None,
           variants: Sequence[str] = ()) -> str | None:
    """The Chinese name of column ``column``, or None when no entry or rule translates it.

    Parameters
    ----------
    column
        An English column name (``walk_min_to_clinic``, ``tier_15min_bus_stop_covered_share_land``).
    labels
        The Chinese names of the standards' kinds and TOD variants.
    tiers
        The Chinese names of the living-circle tiers by id (``community`` -> ``15分钟社区生活圈``).
    variants
        The TOD variant ids the columns may start with.
    """
    return _translate(str(column), Context(labels=labels, tiers=dict(tiers or {}), variants=tuple(variants)))


# ------------------------------------------------------------------------------ cells
_METHODS_ZH = {"euclidean": "直线", "network": "沿路网"}
_RESIDENTS_SOURCE_ZH = {"given": "给定", "estimate: sum of cell residents": "估算：各单元格居民之和",
                        "sum of cell residents": "各单元格居民之和", "unknown": "未知"}
_ORIGIN_ZH = {"planner list": "规划选址清单", "generated": "自动生成",
              "generated (nearest node of an unreached gap cell)": "自动生成（未覆盖缺口单元格的最近路网节点）"}
_YES_NO = {True: "是", False: "否"}


def _is_bool_column(col: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(col.dtype):
        return True
    if not pd.api.types.is_object_dtype(col.dtype):
        return False
    values = col.dropna()
    return len(values) > 0 and all(isinstance(v, (bool, np.bool_)) for v in values)


def _passes_column(name: str) -> bool:
    return name == "passes" or name.startswith("passes_") or name.endswith("_passes")


def _map(col: pd.Series, fn: Callable[[Any], Any]) -> pd.Series:
    return col.astype(object).map(lambda v: v if v is None or (isinstance(v, float) and np.isnan(v)) else fn(v))


def _reason_texts(result: AnalysisResult, table_name: str, n_rows: int, labels: Labels) -> list[str] | None:
    """The ``reasons`` cells of a table in Chinese, worded again from the summary's reasons as data."""
    s = result.summary
    kinds = dict(labels.kinds)
    rows = s.get("tiers") if table_name == "tiers" else s.get(table_name)
    if not isinstance(rows, list) or len(rows) != n_rows:
        return None
    if result.name.startswith("circles") and table_name != "tiers":
        return [tier_reasons_line(r.get("tiers") or [], lang="zh", labels=kinds) for r in rows]
    return [reasons_line(r.get("reasons") or [], lang="zh", labels=kinds) for r in rows]


def _cells(result: AnalysisResult, table_name: str, table: pd.DataFrame, labels: Labels,
           tiers: Mapping[str, str]) -> pd.DataFrame:
    """The table with the program's own words in its cells in Chinese (data values unchanged)."""
    from .gaps import fca_status

    s = result.summary
    W = Words("zh")
    out = table.copy()
    for name in out.columns:
        col = out[name]
        if name == "reasons":
            texts = _reason_texts(result, table_name, len(out), labels)
            if texts is None:
                raise ValueError(f"{result.name}_{table_name}: the reasons of the summary do not match the table's "
                                 f"{len(out)} rows")
            out[name] = texts
        elif _is_bool_column(col):
            words = PASS_WORDS["zh"] if _passes_column(str(name)) else _YES_NO
            out[name] = _map(col, lambda v, w=words: w[bool(v)])  # type: ignore[misc]
        elif name == "kind":
            out[name] = _map(col, labels.kind)
        elif name == "kinds":
            out[name] = _map(col, lambda v: "、".join(labels.kind(k.strip()) for k in str(v).split(",")))
        elif name == "tier":
            out[name] = _map(col, lambda v: tiers.get(str(v), v))
        elif name == "variant" and result.name == "tod":
            out[name] = _map(col, lambda v: labels.tod_variant(str(v)))
        elif name == "band":
            out[name] = _map(col, lambda v: _BANDS_ZH.get(str(v), v))
        elif name == "primary_method":
            out[name] = _map(col, lambda v: _METHODS_ZH.get(str(v), v))
        elif name == "result":
            out[name] = _map(col, lambda v: MAP_WORDS["zh"].get(f"result_{v}", v))
        elif str(name).startswith("status_"):
            out[name] = _map(col, lambda v: fca_status(str(v), W))
        elif name == "population_source" and s.get("population_source_zh"):
            out[name] = _map(col, lambda v: s["population_source_zh"] if v == s.get("population_source") else v)
        elif name == "residents_source":
            out[name] = _map(col, lambda v: _RESIDENTS_SOURCE_ZH.get(str(v), v))
        elif name == "origin":
            out[name] = _map(col, lambda v: _ORIGIN_ZH.get(str(v), v))
    return _generated_names(result, table_name, table, out, W)


def _generated_names(result: AnalysisResult, table_name: str, table: pd.DataFrame, out: pd.DataFrame,
                     W: Words) -> pd.DataFrame:
    """Names the program made up (``site 4``, ``study area``, ``gap area 2``, ``existing 1``) in Chinese."""
    s = result.summary
    if result.name == "gaps" and table_name == "sites" and {"name", "candidate", "origin"} <= set(table):
        made = [str(o).startswith("generated") or n == f"candidate {c}"
                for n, c, o in zip(table["name"], table["candidate"], table["origin"], strict=True)]
        out["name"] = [W("gaps_site", n=c) if m and n in (f"site {c}", f"candidate {c}") else n
                       for n, c, m in zip(table["name"], table["candidate"], made, strict=True)]
    if result.name == "gaps" and table_name == "fca_units" and "unit_name" in table:
        if str((s.get("two_step_fca") or {}).get("units_source", "")).startswith("gap areas"):
            out["unit_name"] = [W("study_area") if v == "study area"
                                else re.sub(r"^gap area (\d+)$", r"缺口区 \1", str(v)) for v in table["unit_name"]]
    if result.name == "gaps" and table_name == "fca_facilities" and "facility" in table:
        out["facility"] = [re.sub(r"^proposed #(\d+)$", r"新增选址 #\1",
                                  re.sub(r"^existing (\d+)$", r"现有 \1", str(v))) for v in table["facility"]]
    if result.name == "clinics" and str(s.get("units_source", "")).startswith("study area"):
        for col in ("name", "unit_name"):
            if col in out:
                out[col] = [W("study_area") if v == "study area" else v for v in table[col]]
    return out


def csv_table(result: AnalysisResult, table_name: str, *, lang: str = "en",
              labels: Labels | None = None) -> tuple[pd.DataFrame, list[str] | None]:
    """The cells and header row of ``result.tables[table_name]`` as its CSV is written in ``lang``.

    In English the table itself and None (its column names are the header). In Chinese a
    copy with the program's words in Chinese, and the Chinese header row (:func:`header`);
    a column without a translation keeps its English name, with a warning.

    Parameters
    ----------
    result
        The analysis result (its summary words the reasons again, names the tiers and variants).
    table_name
        The table (``units``, ``tiers``...).
    labels
        The Chinese names of the standards' kinds and TOD variants (default: the built-in
        standards').
    """
    table = result.tables[table_name]
    if lang != "zh":
        return table, None
    if labels is None:
        from .messages import default_labels

        labels = default_labels("zh")
    s = result.summary
    tiers = {str(t["tier"]): str(t.get("label_zh") or t["tier"]) for t in s.get("tiers") or [] if "tier" in t}
    variants = list((s.get("variants") or {}) if isinstance(s.get("variants"), dict) else [])
    names: list[str] = []
    missing: list[str] = []
    for c in table.columns:
        zh = header(str(c), labels=labels, tiers=tiers, variants=variants)
        if zh is None:
            missing.append(str(c))
        names.append(zh or str(c))
    if missing:
        warnings.warn(f"{result.name}_{table_name}.csv: no Chinese name for column(s) {', '.join(missing)}; "
                      "written in English", stacklevel=2)
    return _cells(result, table_name, table, labels, tiers), names
