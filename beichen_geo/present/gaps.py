"""Service gaps presented: the headline, the web map, their zh/en words, and the console line."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..result import AnalysisResult
from ..standards import Standards
from .context import add_study_context

if TYPE_CHECKING:
    from geo.maps import MapBuilder

    from ..study import Study


# ---------------------------------------------------------------------------- headline
def headline(s: dict[str, Any], *, lang: str = "en") -> str:
    """The result in one line, in the objective's own measure, honest about an unreachable target."""
    zh = lang == "zh"
    what = (("人口" if zh else "residents") if s["objective"] == "residents"
            else ("居住用地" if zh else "residential land"))
    key = "covered_share_residents" if s["objective"] == "residents" else "covered_share_land"
    b, a = s["before"][key], s["after"][key]
    n = s["n_proposed"]
    if zh:
        text = f"{what}覆盖 {b:.1%} → {a:.1%}，新增 {n} 处"
    else:
        text = f"{what} covered {b:.1%} -> {a:.1%} with {n} new site{'s' if n != 1 else ''}"
    if s["n_requested"] is None:
        if s["target_reached"]:
            text += f"（达到目标 {s['target_share']:.0%}）" if zh else f" (target {s['target_share']:.0%} reached)"
        else:
            u, off = s["unreachable_share"], s["unreachable_off_network_share"]
            text += (f"；目标 {s['target_share']:.0%} 无法达到："
                     f"{u:.1%} 的{what}在任何候选点 {s['minutes']:g} 分钟步行范围之外"
                     f"（其中 {off:.1%} 不在路网上）" if zh else
                     f"; the target {s['target_share']:.0%} cannot be reached: {u:.1%} of {what} is beyond "
                     f"{s['minutes']:g} min of every candidate site ({off:.1%} off the street network)")
    return text



# ---------------------------------------------------------------------------- map
def make_map(result: AnalysisResult, study: Study, standards: Standards, *, lang: str = "en",
             basemap: str = "positron") -> MapBuilder:
    """The gaps map: covered today, gap areas, newly covered, 2SFCA units, existing and proposed sites."""
    from geo.maps import MapBuilder

    s = result.summary
    zh = lang == "zh"
    label = s["kind_label_zh"] if zh else s["kind_label_en"]

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    b, a = s["before"], s["after"]
    sol = s["solver"]
    bound = sol["bound"]
    how = (f"{sol['problem']} {sol['method']}" + (", optimal" if sol["optimal"] else
           (f", greedy ≥ {bound['ratio']:.0%} of optimum" if bound["kind"] == "greedy MCLP" else
            f", ≤ {bound['ratio']:.2f}× optimum" if bound["kind"] == "greedy LSCP" else "")))
    lines = [
        headline(s, lang=lang),
        f"{'步行' if zh else 'Walk'} {s['minutes']:g} min ({s['distance_m']:,.0f} m) — {label}",
        (f"居住用地覆盖: {pct(b['covered_share_land'])} → {pct(a['covered_share_land'])}" if zh else
         f"Residential land covered: {pct(b['covered_share_land'])} → {pct(a['covered_share_land'])}")
        + ("" if b["covered_share_residents"] is None else
           (f"; 人口 {pct(b['covered_share_residents'])} → {pct(a['covered_share_residents'])}" if zh else
            f"; residents {pct(b['covered_share_residents'])} → {pct(a['covered_share_residents'])}")),
        f"{s['gap_areas']} {'个缺口区' if zh else 'gap areas'} ({how})",
    ]
    m = MapBuilder(title=("设施缺口与新增选址" if zh else "Service gaps and proposed sites"), subtitle_lines=lines,
                   basemap=basemap, lang=lang)
    cells = result.layers["demand_cells"]
    before = cells.loc[cells["covered_before"]]
    newly = cells.loc[cells["covered_after"] & ~cells["covered_before"]]
    if len(before):
        m.add_polygons(before, name="现状已覆盖" if zh else "Covered today", color="#1a9850", fill_opacity=0.3)
    gaps = result.layers["gap_areas"]
    if len(gaps):
        tip = {("面积 (m²)" if zh else "area (m²)"): "area_m2", ("单元格" if zh else "cells"): "cells"}
        if gaps["residents"].notna().any():
            tip[("人口" if zh else "residents")] = "residents"
        m.add_polygons(gaps, name="缺口区(未覆盖)" if zh else "Gap areas (not covered)", color="#d7191c", hatch=True,
                       tooltip_cols={("缺口区" if zh else "gap area"): "gap_area", **tip})
    if len(newly):
        m.add_polygons(newly, name="新增选址后覆盖" if zh else "Covered after the proposed sites", color="#2c7bb6",
                       fill_opacity=0.45, tooltip_cols={("由选址" if zh else "by site #"): "new_site_rank"})
    units = result.layers.get("fca_units")
    if units is not None and len(units) and units["residents"].sum() > 0:
        m.add_choropleth(units, value_col="centres_per_100k_residents_before",
                         name="2SFCA 每10万人机构数(现状)" if zh else "2SFCA centres per 100,000 residents (today)",
                         legend_title="每10万人机构数" if zh else "Centres per 100k residents",
                         tooltip_cols={("单元" if zh else "unit"): "unit_name",
                                       ("状态" if zh else "status"): "status_before"},
                         value_format="{:.1f}", show=False)
    fac = result.layers["facilities"]
    if len(fac):
        f = fac.assign(name=fac["name"].fillna("").astype(str), layer="现有" if zh else "Existing")
        m.add_points(f, kind_col="layer", name_col="name", colors={f["layer"].iloc[0]: "#1a9850"},
                     legend_title="设施" if zh else "Facilities")
    sites = result.layers["proposed_sites"]
    if len(sites):
        p = sites.assign(
            layer="新增选址(按增益排序)" if zh else "Proposed sites (numbered by gain)",
            label=[f"#{r} {n}" for r, n in zip(sites["rank"], sites["name"], strict=True)],
        )
        pc = {("排序" if zh else "rank"): "rank",
              ("新增覆盖用地 (m²)" if zh else "land newly covered (m²)"): "gain_area_m2",
              ("累计覆盖率(用地)" if zh else "land covered after"): "covered_share_land_after"}
        if p["gain_residents"].notna().any():
            pc[("新增覆盖人口" if zh else "residents newly covered")] = "gain_residents"
        m.add_points(p, kind_col="layer", name_col="label", popup_cols=pc, cluster=False,
                     colors={p["layer"].iloc[0]: "#7b3294"}, legend_title="选址" if zh else "Proposals")
    return add_study_context(m, study)  # the offline Streets base layer
