"""Living circles presented: the web map, its zh/en words, and the console lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from ..result import AnalysisResult
from ..standards import Standards, Tier
from .colours import kind_colors
from .context import add_study_context
from .messages import Words, brief_line, words
from .units import add_units_layer

if TYPE_CHECKING:
    from geo.maps import MapBuilder

    from ..study import Study


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def display_cells(cells: gpd.GeoDataFrame, tiers: Sequence[Tier], mode: str,
                  labels: dict[str, str] | None = None) -> gpd.GeoDataFrame:
    """Cells merged for the web map: one shape per residential polygon and outcome.

    A district has tens of thousands of 50 m cells; drawn one by one with their minutes they
    make a map of tens of MB. Merged by (parent polygon, tiers met, kinds missing per tier),
    the map keeps what a planner reads from it; the per-cell figures stay in the GeoPackage.
    ``labels`` names the kinds missing (default: the kinds' keys).
    """
    lab = labels or {}
    c = cells.copy()
    keys = ["parent", "tiers_met"]
    for t in tiers:
        tmin = float(t.minutes.value)
        miss = [c[f"{mode}_min_to_{k}"].fillna(np.inf).to_numpy() > tmin for k in t.kinds]
        c[f"missing_{t.name}"] = ([", ".join(lab.get(k, k) for k, m in zip(t.kinds, row, strict=True) if m) or "–"
                                   for row in zip(*miss, strict=True)] if miss else "–")
        keys.append(f"missing_{t.name}")
    out = c[[*keys, "area_m2", "geometry"]].dissolve(by=keys, aggfunc={"area_m2": "sum"}, as_index=False)
    out["area_m2"] = out["area_m2"].round(0)
    return out


def _subtitle(s: dict[str, Any], standards: Standards, W: Words) -> list[str]:
    v = standards.circle_variant(s["variant"])
    labels = W.kind_labels(standards)
    lines = [W("circles_standard", label=W.of(v, "label"), codes=", ".join(v.standards), source=W.of(v, "source")),
             W("circles_target", share=f"{s['target']:.0%}")]
    for t in s["tiers"]:
        res = ("" if t["covered_share_residents"] is None
               else W("circles_tier_res", share=f"{t['covered_share_residents']:.1%}"))
        why = ("" if not t["reasons"] else
               W("circles_tier_why", text=W("not_met", reasons=brief_line(t["reasons"], lang=W.lang, labels=labels))))
        lines.append(W("circles_tier", m=f"{t['minutes']:g}", land=f"{t['covered_share_land']:.1%}", res=res, why=why))
    return lines


def make_map(result: AnalysisResult, study: Study, standards: Standards, *, lang: str = "en",
             basemap: str = "positron") -> MapBuilder:
    """The living-circles map: cells by tiers met (kinds missing in the tooltip), tier areas as outlines, facilities.

    The cells are the one fill (whole-number classes 0 .. number of tiers); the area meeting
    each tier is drawn as an outline over them, so no colour mixes.
    """
    from geo.maps import IntegerClasses, MapBuilder

    s = result.summary
    W = words(lang)
    v = standards.circle_variant(s["variant"])
    tiers = list(v.tiers)
    labels = W.kind_labels(standards)
    m = MapBuilder(title=W("circles_title", name=v.name), subtitle_lines=_subtitle(s, standards, W),
                   basemap=basemap, lang=lang)
    cells = display_cells(result.layers["demand_cells"], tiers, study.net.mode, labels)
    tip = {W("circles_tiers_met"): "tiers_met", W("circles_land"): "area_m2"}
    tip.update({W("circles_missing", m=f"{t.minutes.value:g}"): f"missing_{t.name}" for t in tiers})
    m.add_choropleth(cells, value_col="tiers_met", name=W("circles_cells"),
                     legend_title=W("circles_cells_legend", n=len(tiers)), tooltip_cols=tip,
                     bins=IntegerClasses(0, len(tiers)), value_format="{:.0f}")
    areas = result.layers["tier_areas"]
    areas = areas.loc[~areas.geometry.is_empty]
    if len(areas):
        m.add_bands(areas, minutes_col="minutes", name=W("circles_areas"), draw="outlines",
                    legend_title=W("circles_areas_legend"),
                    labels={float(t.minutes.value): W("circles_area_row", m=f"{t.minutes.value:g}") for t in tiers})
    fac = result.layers["facilities"]
    if len(fac):
        # off by default: a dozen kinds of markers hide the coverage; the layer control shows them
        m.add_points(fac, kind_col="kind", name_col="name", kind_labels=labels, colors=kind_colors(standards),
                     legend_title=W("facilities"), show=False)
    add_units_layer(m, result, lang)
    return add_study_context(m, study)  # the offline Streets base layer
