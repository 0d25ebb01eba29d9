"""Living circles presented: the web map, its zh/en words, and the console lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from ..result import AnalysisResult
from ..standards import Standards, Tier
from .context import add_study_context
from .messages import brief_line

if TYPE_CHECKING:
    from geo.maps import MapBuilder

    from ..study import Study


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def display_cells(cells: gpd.GeoDataFrame, tiers: Sequence[Tier], mode: str) -> gpd.GeoDataFrame:
    """Cells merged for the web map: one shape per residential polygon and outcome.

    A district has tens of thousands of 50 m cells; drawn one by one with their minutes they
    make a map of tens of MB. Merged by (parent polygon, tiers met, kinds missing per tier),
    the map keeps what a planner reads from it; the per-cell figures stay in the GeoPackage.
    """
    c = cells.copy()
    keys = ["parent", "tiers_met"]
    for t in tiers:
        tmin = float(t.minutes.value)
        miss = [c[f"{mode}_min_to_{k}"].fillna(np.inf).to_numpy() > tmin for k in t.kinds]
        c[f"missing_{t.name}"] = ([", ".join(k for k, m in zip(t.kinds, row, strict=True) if m) or "–"
                                   for row in zip(*miss, strict=True)] if miss else "–")
        keys.append(f"missing_{t.name}")
    out = c[[*keys, "area_m2", "geometry"]].dissolve(by=keys, aggfunc={"area_m2": "sum"}, as_index=False)
    out["area_m2"] = out["area_m2"].round(0)
    return out


def _subtitle(s: dict[str, Any], standards: Standards, *, lang: str) -> list[str]:
    zh = lang == "zh"
    v = standards.circle_variant(s["variant"])
    labels = {k: (kd.label_zh if zh else kd.label_en) for k, kd in standards.kinds.items()}
    return [
        f"{'标准' if zh else 'Standard'}: {v.label_zh if zh else v.label_en} ({', '.join(v.standards)}; {v.source})",
        f"{'目标' if zh else 'Target'}: {s['target']:.0%} {'居住用地' if zh else 'of residential land'}",
    ] + [
        f"{t['minutes']:g} min: {t['covered_share_land']:.1%} {'用地' if zh else 'of land'}"
        + ("" if t["covered_share_residents"] is None
           else f", {t['covered_share_residents']:.1%} {'人口' if zh else 'of residents'}")
        + ("" if not t["reasons"]
           else f" ({'未达标' if zh else 'not met'}: {brief_line(t['reasons'], lang=lang, labels=labels)})")
        for t in s["tiers"]
    ]


def make_map(result: AnalysisResult, study: Study, standards: Standards, *, lang: str = "en",
             basemap: str = "positron") -> MapBuilder:
    """The living-circles map: tier areas, cells by tiers met (kinds missing in the tooltip), facilities."""
    from geo.maps import MapBuilder

    s = result.summary
    zh = lang == "zh"
    v = standards.circle_variant(s["variant"])
    tiers = list(v.tiers)
    m = MapBuilder(title=("生活圈覆盖" if zh else "Living circles") + f" {v.name}",
                   subtitle_lines=_subtitle(s, standards, lang=lang), basemap=basemap, lang=lang)
    areas = result.layers["tier_areas"]
    areas = areas.loc[~areas.geometry.is_empty]
    if len(areas):
        m.add_bands(areas, minutes_col="minutes", name="满足各层级的区域" if zh else "Area meeting each tier")
    cells = display_cells(result.layers["demand_cells"], tiers, study.net.mode)
    tip = {("满足层级数" if zh else "tiers met"): "tiers_met", ("居住用地 m²" if zh else "land m²"): "area_m2"}
    tip.update({(f"{t.minutes.value:g}分钟内缺少" if zh else f"missing within {t.minutes.value:g} min"):
                f"missing_{t.name}" for t in tiers})
    m.add_choropleth(cells, value_col="tiers_met", name="满足层级数" if zh else "Tiers met per cell",
                     legend_title="满足层级数" if zh else "Tiers met", tooltip_cols=tip,
                     bins=list(range(len(tiers) + 2)), value_format="{:.0f}")
    fac = result.layers["facilities"]
    if len(fac):
        labels = {k: (standards.kinds[k].label_zh if zh else standards.kinds[k].label_en) for k in fac["kind"].unique()}
        # off by default: a dozen kinds of markers hide the coverage; the layer control shows them
        m.add_points(fac, kind_col="kind", name_col="name", kind_labels=labels, show=False)
    return add_study_context(m, study)  # the offline Streets base layer
