"""Service gaps presented: the headline, the web map, their zh/en words, and the console line."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ..result import AnalysisResult
from ..standards import Standards
from .colours import kind_colors
from .context import add_study_context
from .messages import MAP_WORDS, Words, words

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
def _site_label(rank: int, name: str, candidate: Any, W: Words) -> str:
    """``#1 site 4``: generated names ("site 4", "candidate 4") in the map's language."""
    if candidate is not None and name in (f"site {candidate}", f"candidate {candidate}"):
        name = W("gaps_site", n=candidate)
    return f"#{rank} {name}"


def fca_status(status: str, W: Words) -> str:
    """A 2SFCA unit status ("ok", "no centre within reach", "overloaded (> N residents per centre)") in words."""
    hit = re.match(r"overloaded \(> ([\d,]+) residents per centre\)$", status)
    if hit:
        return W("fca_overloaded", cap=hit.group(1))
    key = f"fca_{status}"
    return W(key) if key in MAP_WORDS["en"] else status


def make_map(result: AnalysisResult, study: Study, standards: Standards, *, lang: str = "en",
             basemap: str = "positron") -> MapBuilder:
    """The gaps map: covered today, newly covered by the proposed sites, still not covered, gap outlines, sites.

    The three fills are disjoint sets of demand cells (covered today in blue, newly covered
    in the colour of the proposals, still not covered in red hatching), so no fill lies over
    another; the gap areas of today are outlines with their figures in the tooltip.
    """
    from geo.maps import MapBuilder, palette

    s = result.summary
    W = words(lang)
    label = s["kind_label_zh"] if W.zh else s["kind_label_en"]

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    b, a = s["before"], s["after"]
    sol = s["solver"]
    bound = sol["bound"]
    method = W(f"method_{sol['method']}") if f"method_{sol['method']}" in MAP_WORDS["en"] else str(sol["method"])
    sep = "，" if W.zh else ", "
    how = (f"{sol['problem']} {method}" + (sep + W("gaps_optimal") if sol["optimal"] else
           (sep + W("gaps_greedy_mclp", r=f"{bound['ratio']:.0%}") if bound["kind"] == "greedy MCLP" else
            sep + W("gaps_greedy_lscp", r=f"{bound['ratio']:.2f}") if bound["kind"] == "greedy LSCP" else "")))
    lines = [
        headline(s, lang=lang),
        W("gaps_walk", m=f"{s['minutes']:g}", d=f"{s['distance_m']:,.0f}", label=label),
        W("gaps_land", b=pct(b["covered_share_land"]), a=pct(a["covered_share_land"]))
        + ("" if b["covered_share_residents"] is None else
           W("gaps_res", b=pct(b["covered_share_residents"]), a=pct(a["covered_share_residents"]))),
        W("gaps_areas_line", n=s["gap_areas"], how=how),
    ]
    m = MapBuilder(title=W("gaps_title"), subtitle_lines=lines, basemap=basemap, lang=lang)
    cells = result.layers["demand_cells"]
    before = cells.loc[cells["covered_before"]]
    newly = cells.loc[cells["covered_after"] & ~cells["covered_before"]]
    still = cells.loc[~cells["covered_after"]]
    if len(before):
        m.add_polygons(before, name=W("gaps_covered"), color=palette.COVERED, fill_opacity=0.35, weight=0)
    if len(newly):
        m.add_polygons(newly, name=W("gaps_newly"), color=palette.PROPOSED, fill_opacity=0.45, weight=0,
                       tooltip_cols={W("gaps_by_site"): "new_site_rank"})
    if len(still):
        m.add_polygons(still[["geometry"]].dissolve(), name=W("gaps_still"), color=palette.NOT_COVERED, hatch=True)
    gaps = result.layers["gap_areas"]
    if len(gaps):
        tip = {W("gaps_area_m2"): "area_m2", W("gaps_cells"): "cells"}
        if gaps["residents"].notna().any():
            tip[W("residents")] = "residents"
        m.add_polygons(gaps, name=W("gaps_areas"), color=palette.NOT_COVERED, fill_opacity=0, weight=2,
                       tooltip_cols={W("gaps_gap_area"): "gap_area", **tip})
    units = result.layers.get("fca_units")
    if units is not None and len(units) and units["residents"].sum() > 0:
        units = units.assign(_status=[fca_status(str(v), W) for v in units["status_before"]])
        m.add_choropleth(units, value_col="centres_per_100k_residents_before", name=W("gaps_fca"),
                         legend_title=W("gaps_fca_legend"),
                         tooltip_cols={W("unit"): "unit_name", W("gaps_status"): "_status"},
                         value_format="{:.1f}", show=False)
    fac = result.layers["facilities"]
    if len(fac):
        f = fac.assign(name=fac["name"].fillna("").astype(str), layer=W("gaps_existing"))
        m.add_points(f, kind_col="layer", name_col="name", colors={W("gaps_existing"): kind_colors(standards).get(
                     str(s.get("kind")), palette.qualitative()[0])}, legend_title=W("facilities"))
    sites = result.layers["proposed_sites"]
    if len(sites):
        cand = sites["candidate"].tolist() if "candidate" in sites else [None] * len(sites)
        p = sites.assign(
            layer=W("gaps_proposed"),
            label=[_site_label(r, str(n), c, W) for r, n, c in zip(sites["rank"], sites["name"], cand, strict=True)],
        )
        pc = {W("gaps_rank"): "rank", W("gaps_gain_land"): "gain_area_m2", W("gaps_after"): "covered_share_land_after"}
        if p["gain_residents"].notna().any():
            pc[W("gaps_gain_res")] = "gain_residents"
        m.add_points(p, kind_col="layer", name_col="label", popup_cols=pc, cluster=False,
                     colors={W("gaps_proposed"): palette.PROPOSED}, legend_title=W("gaps_proposals"))
    return add_study_context(m, study)  # the offline Streets base layer
