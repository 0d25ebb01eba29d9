"""The TOD map and console lines, and their words (zh/en).

:func:`make_map` draws the catchment bands per variant, the straight-line circles and a
popup with each station's figures.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..result import AnalysisResult
from ..standards import Standards, TodVariant
from ..study import Study
from .context import add_study_context

_TXT = {
    "en": {
        "title": "TOD station areas", "target": "Target: high-density, mixed-use development within the band "
        "(the plan sets no numeric share)", "stations": "{n} stations", "off": "{n} off the network",
        "measured": "{std} {a:g} / {b:g} min: {la} / {lb} of residential land{res} within any station's band",
        "res": ", {ra} / {rb} residents", "catch": "{std} {a:g}-{b:g} min walk: station catchments",
        "circle": "Straight-line circle {r:,.0f} m ({std} {m:g} min)", "station": "TOD station",
        "area": "{m}: catchment (ha)", "ratio": "{m}: ped-shed ratio", "res_row": "{m}: residents",
        "land": "{m}: residential land (ha)", "srv": "{m}: services (kinds)",
        "xd": "{m}: intersections per km²", "onnet": "On the walk network", "band": "{m:g} min ({std})",
        "mix": "{m}: service mix (0-1)",
        "legend": "{std} walking time (min)", "stations_legend": "Stations", "pop": "; residents: ",
    },
    "zh": {
        "title": "TOD站点地区", "target": "目标: 步行范围内高密度、多功能开发 (规划未给出量化比例)",
        "stations": "{n}个站点", "off": "{n}个不在步行网络上",
        "measured": "{std} {a:g} / {b:g} 分钟: 居住用地 {la} / {lb}{res} 在任一站点范围内",
        "res": ", 人口 {ra} / {rb}", "catch": "{std} 步行{a:g}-{b:g}分钟: 站点服务范围",
        "circle": "直线半径 {r:,.0f} 米 ({std} {m:g} 分钟)", "station": "TOD站点",
        "area": "{m}: 服务范围 (公顷)", "ratio": "{m}: 步行可达比", "res_row": "{m}: 居民",
        "land": "{m}: 居住用地 (公顷)", "srv": "{m}: 服务设施 (类)",
        "xd": "{m}: 交叉口/平方公里", "onnet": "位于步行网络上", "band": "{m:g}分钟 ({std})",
        "mix": "{m}: 设施混合度 (0-1)",
        "legend": "{std} 步行时间（分钟）", "stations_legend": "站点", "pop": "; 人口: ",
    },
}


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _subtitle(s: dict[str, Any], variants: dict[str, TodVariant], T: dict[str, str], lang: str) -> list[str]:
    """The map's subtitle: each variant's definition, the target, the measured shares, the stations."""
    lines = []
    for v in variants.values():
        a, b = v.minutes
        src = (v.inner_minutes.source if v.inner_minutes.source == v.outer_minutes.source
               else f"{v.inner_minutes.source}; {v.outer_minutes.source}")
        lines.append(f"{v.standard} {a:g}-{b:g} min ({src}): {v.label_zh if lang == 'zh' else v.label_en}")
    lines.append(T["target"])
    for name, v in variants.items():
        a, b = v.minutes
        ta, tb = s["variants"][name]["bands"]["inner"], s["variants"][name]["bands"]["outer"]
        res = ("" if ta["residents_in_any"] is None
               else T["res"].format(ra=f"{ta['residents_in_any']:,.0f}", rb=f"{tb['residents_in_any']:,.0f}"))
        lines.append(T["measured"].format(std=v.standard, a=a, b=b, la=_pct(ta["share_of_residential_land"]),
                                          lb=_pct(tb["share_of_residential_land"]), res=res))
    st_line = T["stations"].format(n=s["stations"])
    if s["stations_off_network"]:
        st_line += "; " + T["off"].format(n=len(s["stations_off_network"]))
    if s["population_source"]:
        st_line += T["pop"] + str(s["population_source"])
    lines.append(st_line)
    return lines


def _popups(result: AnalysisResult, variants: dict[str, TodVariant], T: dict[str, str]
            ) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Station points with the score table of every distinct band, and the popup's rows."""
    s = result.summary
    stl = result.layers["stations"]
    table = result.tables["stations"]
    pop = stl[["station", "geometry"]].copy()
    pop["_kind"] = "station"
    cols: dict[str, str] = {T["onnet"]: "on_network"}
    pop["on_network"] = stl["on_network"].to_numpy()
    for b in sorted(table["band_min"].unique()):
        tb = table.loc[table["band_min"] == b].drop_duplicates("station_id").set_index("station_id")

        def get(c: str, tb: pd.DataFrame = tb) -> np.ndarray:
            return tb[c].reindex(stl["station_id"]).to_numpy() if c in tb else np.full(len(stl), np.nan)

        k = f"{b:g}"
        lbl = T["band"].format(m=b, std="/".join(v.standard or n for n, v in variants.items() if b in v.minutes))
        pop[f"area_{k}"] = np.round(get("catchment_area_m2").astype(float) / 1e4, 1)
        pop[f"ratio_{k}"] = np.round(get("ped_shed_ratio").astype(float), 2)
        pop[f"xd_{k}"] = np.round(get("intersection_density_per_km2").astype(float), 0)
        pop[f"land_{k}"] = np.round(get("residential_land_m2").astype(float) / 1e4, 1)
        cols.update({T["area"].format(m=lbl): f"area_{k}", T["ratio"].format(m=lbl): f"ratio_{k}",
                     T["xd"].format(m=lbl): f"xd_{k}", T["land"].format(m=lbl): f"land_{k}"})
        if s["population_source"] is not None:
            pop[f"res_{k}"] = np.round(get("residents").astype(float), 0)
            cols[T["res_row"].format(m=lbl)] = f"res_{k}"
        tot, kinds = get("services_total"), get("service_kinds")
        pop[f"srv_{k}"] = [("–" if pd.isna(t) else f"{int(t)} ({int(q)})") for t, q in zip(tot, kinds, strict=True)]
        pop[f"mix_{k}"] = np.round(get("service_mix_index").astype(float), 2)
        cols.update({T["srv"].format(m=lbl): f"srv_{k}", T["mix"].format(m=lbl): f"mix_{k}"})
    return pop, cols


def make_map(result: AnalysisResult, study: Study, standards: Standards, *,
             lang: str = "en", basemap: str = "positron") -> Any:
    """The TOD map: catchment bands per variant, straight-line circles, station score popups.

    The variants drawn are those of ``result.summary["variants"]`` (read from ``standards``);
    ``study`` gives the map context (streets, water, railways) only.
    """
    from geo.maps import MapBuilder

    T = _TXT["zh" if lang == "zh" else "en"]
    s = result.summary
    variants = {name: standards.tod_variant(name) for name in s["variants"]}
    default = s["default_variant"]
    m = MapBuilder(title=T["title"], subtitle_lines=_subtitle(s, variants, T, lang), basemap=basemap, lang=lang)
    cat = result.layers["catchments"]
    for name, v in variants.items():
        a, b = v.minutes
        sub = cat.loc[(cat["variant"] == name) & ~cat.geometry.is_empty]
        if len(sub):
            m.add_bands(sub, minutes_col="band_min", name=T["catch"].format(std=v.standard or name, a=a, b=b),
                        legend_title=T["legend"].format(std=v.standard or name), show=name == default)
    stl = result.layers["stations"]
    dvar = variants[default]
    r = dvar.minutes[1] * s["metres_per_minute"]
    circles = gpd.GeoDataFrame({"station": stl["station"]}, geometry=stl.geometry.buffer(r, quad_segs=32), crs=stl.crs)
    m.add_polygons(circles, name=T["circle"].format(r=r, std=dvar.standard or default, m=dvar.minutes[1]),
                   color="#555555", fill_opacity=0.03, tooltip_cols={T["station"]: "station"},
                   show=False)
    pop, cols = _popups(result, variants, T)
    m.add_points(pop, kind_col="_kind", name_col="station", popup_cols=cols, kind_labels={"station": T["station"]},
                 colors={"station": "#d62728"}, cluster=False, legend_title=T["stations_legend"])
    return add_study_context(m, study)  # the offline Streets base layer
