"""Community health service centres presented: the web map, its zh/en words, and the console line."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..result import AnalysisResult
from ..standards import Standards
from .context import add_study_context

if TYPE_CHECKING:
    from geo.maps import MapBuilder

    from ..study import Study


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


#: Unit results in Chinese.
ZH_RESULT: Mapping[str, str] = {"pass": "达标", "fail: count": "未达标(数量)", "fail: reach": "未达标(可达)",
                                  "fail: count and reach": "未达标(数量与可达)"}


def make_map(result: AnalysisResult, study: Study, standards: Standards, *, lang: str = "en",
             basemap: str = "positron") -> MapBuilder:
    """The clinics map: units by share of residents within the walk, the walk area, land beyond it, centres."""
    from geo.maps import MapBuilder

    s = result.summary
    zh = lang == "zh"
    cfg = standards.clinics

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:.1%}"

    rpc = s["residents_per_centre"]
    if zh:
        lines = [
            f"标准: {s['standard']} {cfg.plan_text} ({s['source']})",
            (f"目标: 每个镇街≥{s['min_per_town']}所, 每{s['residents_per_centre_max'] / 1e4:g}万人1所; "
             f"步行{s['walk_minutes']:g}分钟可达"),
            (f"实测: 数量达标 {s['units_passing_count']}/{s['units']} 个单元, "
            f"可达达标 {s['units_passing_reach']}/{s['units']} "
            f"(目标 {pct(s['reach_target_share'])}); "
            f"{pct(s[s['keys']['share_residents']])} 居民{s['walk_minutes']:g}分钟内可达; "
            f"每所服务 {'–' if rpc is None else f'{rpc:,.0f}'} 人 ({s['centres_in_area']} 所)"),
            f"人口: {s['population_source']}",
        ]
    else:
        lines = [
            f"Standard: {s['standard']} one CHSC per town/sub-district or per 30,000–100,000 residents ({s['source']})",
            (f"Target: ≥{s['min_per_town']} per unit and 1 per {s['residents_per_centre_max']:,.0f} residents; "
             f"within {s['walk_minutes']:g} min walk"),
            (f"Measured: count test {s['units_passing_count']} of {s['units']} units, "
            f"reach test {s['units_passing_reach']} of "
            f"{s['units']} (target {pct(s['reach_target_share'])}); "
            f"{pct(s[s['keys']['share_residents']])} of residents within "
            f"{s['walk_minutes']:g} min; {'–' if rpc is None else f'{rpc:,.0f}'} residents per centre "
            f"({s['centres_in_area']} centres)"),
            f"Residents: {s['population_source']}",
        ]
    m = MapBuilder(title="社区卫生服务中心 S-H-01" if zh else "Community health service centres (S-H-01)",
                   subtitle_lines=lines, basemap=basemap, lang=lang)
    units = result.layers["units"].copy()
    units["_result"] = units["result"].map(ZH_RESULT) if zh else units["result"]
    tip = (
        {"单元": "unit_name", "居民": "residents", "单元内中心数": "centres_inside", "需要中心数": "required_centres",
         "每所服务人数": "residents_per_centre", "结果": "_result"}
        if zh else
        {"unit": "unit_name", "residents": "residents", "centres inside": "centres_inside",
         "centres required": "required_centres", "residents per centre": "residents_per_centre", "result": "_result"}
    )
    legend = f"{s['walk_minutes']:g}分钟内居民比例" if zh else f"Residents within {s['walk_minutes']:g} min"
    m.add_choropleth(units, value_col=s["keys"]["share_residents"], name="单元" if zh else "Units",
                     legend_title=legend, tooltip_cols=tip, bins=[0.0, 0.25, 0.5, 0.75, 1.0], value_format="{:.0%}")
    area = result.layers["walk_area"]
    area = area.loc[~area.geometry.is_empty] if len(area) else area
    if len(area):
        m.add_bands(area, minutes_col="minutes", name=(f"中心{s['walk_minutes']:g}分钟步行范围" if zh
                                                       else f"{s['walk_minutes']:g}-min walk to a centre"))
    unc = result.layers["uncovered_cells"]
    if len(unc):
        # one shape per unit for the web map (the GeoPackage keeps every 50 m cell)
        unc = unc[["unit_name", "residents", "geometry"]].dissolve(by="unit_name", aggfunc={"residents": "sum"},
                                                                   as_index=False)
        unc["residents"] = unc["residents"].round(0)
        m.add_polygons(unc, name=(f"{s['walk_minutes']:g}分钟外的居住用地" if zh
                                  else f"Residential land beyond {s['walk_minutes']:g} min"),
                       color="#d7191c", hatch=True,
                       tooltip_cols={("单元" if zh else "unit"): "unit_name",
                                     ("居民" if zh else "residents"): "residents"})
    cen = result.layers["centres"]
    if len(cen):
        cen = cen.copy()
        label = standards.kinds[cfg.kind].label_zh if zh else standards.kinds[cfg.kind].label_en
        pop = ({"服务居民(最近中心)": "catchment_residents",
                f"超过{s['residents_per_centre_max'] / 1e4:g}万": s["keys"]["over_cap"], "所在单元": "unit_name"} if zh
               else {"catchment residents (nearest centre)": "catchment_residents",
                     f"over {s['residents_per_centre_max']:,.0f}": s["keys"]["over_cap"],
                     "unit": "unit_name"})
        m.add_points(cen, kind_col="kind", name_col="name", popup_cols=pop, kind_labels={cfg.kind: label})
    return add_study_context(m, study)  # the offline Streets base layer
