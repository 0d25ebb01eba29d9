"""The station-scoring map and console lines, and their words (zh/en).

:func:`make_map` colours the stations by score, draws the catchments drawn and a popup of
the best stations' figures.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..analyses._stations_table import band_prefix
from ..result import AnalysisResult
from ..standards import Standards
from ..study import Study
from .context import add_study_context

_TXT = {
    "en": {"title": "TOD potential of station areas", "score": "TOD score (0-100)", "stations": "Stations by score",
           "rank": "rank", "name": "station", "catch": "Walking catchments (top {n})", "legend": "Walking time (min)",
           "top": "Top {n} stations", "line1": "{n} stations scored on {b} min walks; composite score = weighted "
           "percentile ranks (see stations.json)", "line2": "Best: {best}", "res": "residents within {b:g} min",
           "land": "residential land within {b:g} min (ha)", "srv": "services within {b:g} min",
           "ped": "ped-shed ratio (streets), {b:g} min", "park": "residential land near a park, {b:g} min",
           "off": "{n} off the network"},
    "zh": {"title": "站点地区TOD潜力", "score": "TOD综合得分 (0-100)", "stations": "站点 (按得分)",
           "rank": "排名", "name": "站点", "catch": "步行范围 (前{n}名)", "legend": "步行时间（分钟）",
           "top": "前{n}名站点", "line1": "{n}个站点, 步行{b}分钟; 综合得分 = 各指标百分位排名加权 (见 stations.json)",
           "line2": "最佳: {best}", "res": "{b:g}分钟内居民", "land": "{b:g}分钟内居住用地 (公顷)",
           "srv": "{b:g}分钟内服务设施", "ped": "{b:g}分钟步行可达比 (道路)", "park": "{b:g}分钟内公园覆盖的居住用地",
           "off": "{n}个不在步行网络上"},
}


def _dash(fmt: str) -> Any:
    """A formatter showing ``–`` for a missing value."""
    return lambda v: "–" if pd.isna(v) else fmt.format(v)


def _top_points(m: Any, on: pd.DataFrame, s: dict[str, Any], T: dict[str, str]) -> None:
    """The best-ranked stations (those with polygons) as points with their figures' popup."""
    top = on.loc[on["rank"].astype(float) <= max(1, s["polygon_stations"])].copy()
    if not len(top):
        return
    bands = s["bands_min"]
    top["_kind"] = "top"
    b_out = bands[-1]
    p = band_prefix(b_out)
    cols = {T["rank"]: "rank", T["score"]: "score_txt", T["res"].format(b=b_out): "res_txt",
            T["land"].format(b=b_out): "land_txt", T["srv"].format(b=b_out): "srv_txt",
            T["ped"].format(b=b_out): "ped_txt", T["park"].format(b=b_out): "park_txt"}
    top["score_txt"] = top["score"].map(lambda v: f"{v:.1f}")
    top["res_txt"] = top[p + "residents"].map(_dash("{:,.0f}"))
    top["land_txt"] = (top[p + "residential_land_reached_m2"] / 1e4).map(_dash("{:,.1f}"))
    top["srv_txt"] = [("–" if pd.isna(a) else f"{int(a)} ({int(k)})")
                      for a, k in zip(top[p + "services_total"], top[p + "service_kinds"], strict=True)]
    top["ped_txt"] = top[p + "ped_shed_ratio_street"].map(_dash("{:.2f}"))
    top["park_txt"] = top[p + "park_coverage_share"].map(_dash("{:.0%}"))
    top["rank"] = top["rank"].astype(int)
    m.add_points(top, kind_col="_kind", name_col="station", popup_cols=cols, cluster=False,
                 kind_labels={"top": T["top"].format(n=len(top))}, colors={"top": "#d62728"},
                 legend_title=T["stations"])


def make_map(result: AnalysisResult, study: Study, standards: Standards, *,
             lang: str = "en", basemap: str = "positron") -> Any:
    """Stations coloured by score, the drawn catchments, and a popup with each station's figures.

    Everything drawn is read from ``result`` (``study`` gives the map context only; ``standards`` is not needed).
    """
    from geo.maps import MapBuilder

    T = _TXT["zh" if lang == "zh" else "en"]
    s = result.summary
    bands = s["bands_min"]
    best = ", ".join(f"{t['rank']}. {t['station']} ({t['score']:.0f})" for t in s["top_stations"][:3])
    lines = [T["line1"].format(n=s["stations"], b="/".join(f"{b:g}" for b in bands)), T["line2"].format(best=best)]
    if s["stations_off_network"]:
        lines.append(T["off"].format(n=len(s["stations_off_network"])))
    m = MapBuilder(title=T["title"], subtitle_lines=lines, basemap=basemap, lang=lang)
    cat = result.layers["catchments"]
    if len(cat):
        m.add_bands(cat, minutes_col="band_min", name=T["catch"].format(n=s["polygon_stations"]),
                    legend_title=T["legend"])
    st = result.layers["stations"]
    on = st.loc[st["on_network"].to_numpy(bool)].copy()
    if len(on):
        dots = on[["station", "rank", "score", "geometry"]].copy()
        dots["rank"] = dots["rank"].astype(float)
        dots = dots.set_geometry(on.geometry.buffer(40.0, quad_segs=8))
        m.add_choropleth(dots, value_col="score", name=T["stations"], legend_title=T["score"],
                         tooltip_cols={T["name"]: "station", T["rank"]: "rank"}, bins=[0, 20, 40, 60, 80, 100],
                         value_format="{:.0f}", fill_opacity=0.85)
        _top_points(m, on, s, T)
    return add_study_context(m, study)  # the offline Streets base layer
