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
from .colours import kind_colors
from .context import add_study_context
from .messages import Words, words


def _dash(fmt: str) -> Any:
    """A formatter showing ``–`` for a missing value."""
    return lambda v: "–" if pd.isna(v) else fmt.format(v)


def _top_points(m: Any, on: pd.DataFrame, s: dict[str, Any], W: Words, color: str) -> None:
    """The best-ranked stations (those with polygons) as points with their figures' popup."""
    top = on.loc[on["rank"].astype(float) <= max(1, s["polygon_stations"])].copy()
    if not len(top):
        return
    bands = s["bands_min"]
    top["_kind"] = "top"
    b_out = bands[-1]
    p = band_prefix(b_out)
    bo = f"{b_out:g}"
    cols = {W("st_rank"): "rank", W("st_score"): "score_txt", W("st_res", b=bo): "res_txt",
            W("st_land", b=bo): "land_txt", W("st_srv", b=bo): "srv_txt",
            W("st_ped", b=bo): "ped_txt", W("st_park", b=bo): "park_txt"}
    top["score_txt"] = top["score"].map(lambda v: f"{v:.1f}")
    top["res_txt"] = top[p + "residents"].map(_dash("{:,.0f}"))
    top["land_txt"] = (top[p + "residential_land_reached_m2"] / 1e4).map(_dash("{:,.1f}"))
    top["srv_txt"] = [("–" if pd.isna(a) else f"{int(a)} ({int(k)})")
                      for a, k in zip(top[p + "services_total"], top[p + "service_kinds"], strict=True)]
    top["ped_txt"] = top[p + "ped_shed_ratio_street"].map(_dash("{:.2f}"))
    top["park_txt"] = top[p + "park_coverage_share"].map(_dash("{:.0%}"))
    top["rank"] = top["rank"].astype(int)
    m.add_points(top, kind_col="_kind", name_col="station", popup_cols=cols, cluster=False,
                 kind_labels={"top": W("st_top", n=len(top))}, colors={"top": color},
                 legend_title=W("st_stations"))


def make_map(result: AnalysisResult, study: Study, standards: Standards, *,
             lang: str = "en", basemap: str = "positron") -> Any:
    """Stations coloured by score, the drawn catchments, and a popup with each station's figures.

    The catchments are non-overlapping rings of the union of the stations' catchments, with
    each station's catchment as an outline. Everything drawn is read from ``result``;
    ``standards`` gives the station kind's colour, ``study`` gives the map context (streets, water, railways) only.
    """
    from geo.maps import MapBuilder

    W = words(lang)
    s = result.summary
    bands = s["bands_min"]
    best = ", ".join(f"{t['rank']}. {t['station']} ({t['score']:.0f})" for t in s["top_stations"][:3])
    lines = [W("st_line1", n=s["stations"], b="/".join(f"{b:g}" for b in bands)), W("st_line2", best=best)]
    if s["stations_off_network"]:
        lines.append(W("st_off", n=len(s["stations_off_network"])))
    m = MapBuilder(title=W("st_title"), subtitle_lines=lines, basemap=basemap, lang=lang)
    cat = result.layers["catchments"]
    if len(cat):
        m.add_bands(cat, minutes_col="band_min", source_col="station", name=W("st_catch", n=s["polygon_stations"]),
                    legend_title=W("st_legend"), each_label=W("each_station", band="{band}"))
    st = result.layers["stations"]
    on = st.loc[st["on_network"].to_numpy(bool)].copy()
    if len(on):
        dots = on[["station", "rank", "score", "geometry"]].copy()
        dots["rank"] = dots["rank"].astype(float)
        dots = dots.set_geometry(on.geometry.buffer(40.0, quad_segs=8))
        m.add_choropleth(dots, value_col="score", name=W("st_stations"), legend_title=W("st_score"),
                         tooltip_cols={W("st_name"): "station", W("st_rank"): "rank"}, bins=[0, 20, 40, 60, 80, 100],
                         value_format="{:.0f}", fill_opacity=0.85)
        _top_points(m, on, s, W, kind_colors(standards)[standards.tod.station_kind])
    return add_study_context(m, study)  # the offline Streets base layer
