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
from .colours import kind_colors
from .context import add_study_context
from .messages import Words, words
from .units import add_units_layer


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.0%}"


def _subtitle(s: dict[str, Any], variants: dict[str, TodVariant], W: Words) -> list[str]:
    """The map's subtitle: each variant's definition, the target, the measured shares, the stations."""
    lines = []
    for v in variants.values():
        a, b = v.minutes
        src = (v.inner_minutes.source if v.inner_minutes.source == v.outer_minutes.source
               else f"{v.inner_minutes.source}; {v.outer_minutes.source}")
        lines.append(W("tod_variant", std=v.standard, a=f"{a:g}", b=f"{b:g}", source=src, label=W.of(v, "label")))
    lines.append(W("tod_target"))
    for name, v in variants.items():
        a, b = v.minutes
        ta, tb = s["variants"][name]["bands"]["inner"], s["variants"][name]["bands"]["outer"]
        res = ("" if ta["residents_in_any"] is None
               else W("tod_res", ra=f"{ta['residents_in_any']:,.0f}", rb=f"{tb['residents_in_any']:,.0f}"))
        lines.append(W("tod_measured", std=v.standard, a=f"{a:g}", b=f"{b:g}", la=_pct(ta["share_of_residential_land"]),
                       lb=_pct(tb["share_of_residential_land"]), res=res))
    st_line = W("tod_stations", n=s["stations"])
    if s["stations_off_network"]:
        st_line += "; " + W("tod_off", n=len(s["stations_off_network"]))
    if s["population_source"]:
        st_line += W("tod_pop", source=population_source(s, W))
    lines.append(st_line)
    return lines


def population_source(s: dict[str, Any], W: Words) -> str:
    """Where the residents come from, in the map's language."""
    return str(s.get("population_source_zh") or s["population_source"]) if W.zh else str(s["population_source"])


def _popups(result: AnalysisResult, variants: dict[str, TodVariant], W: Words
            ) -> tuple[gpd.GeoDataFrame, dict[str, str]]:
    """Station points with the score table of every distinct band, and the popup's rows."""
    s = result.summary
    stl = result.layers["stations"]
    table = result.tables["stations"]
    pop = stl[["station", "geometry"]].copy()
    pop["_kind"] = "station"
    cols: dict[str, str] = {W("tod_onnet"): "on_network"}
    pop["on_network"] = [W("yes") if v else W("no") for v in stl["on_network"].to_numpy(bool)]
    for b in sorted(table["band_min"].unique()):
        tb = table.loc[table["band_min"] == b].drop_duplicates("station_id").set_index("station_id")

        def get(c: str, tb: pd.DataFrame = tb) -> np.ndarray:
            return tb[c].reindex(stl["station_id"]).to_numpy() if c in tb else np.full(len(stl), np.nan)

        k = f"{b:g}"
        lbl = W("tod_band", m=k, std="/".join(v.standard or n for n, v in variants.items() if b in v.minutes))
        pop[f"area_{k}"] = np.round(get("catchment_area_m2").astype(float) / 1e4, 1)
        pop[f"ratio_{k}"] = np.round(get("ped_shed_ratio").astype(float), 2)
        pop[f"xd_{k}"] = np.round(get("intersection_density_per_km2").astype(float), 0)
        pop[f"land_{k}"] = np.round(get("residential_land_m2").astype(float) / 1e4, 1)
        cols.update({W("tod_area", m=lbl): f"area_{k}", W("tod_ratio", m=lbl): f"ratio_{k}",
                     W("tod_xd", m=lbl): f"xd_{k}", W("tod_land", m=lbl): f"land_{k}"})
        if s["population_source"] is not None:
            pop[f"res_{k}"] = np.round(get("residents").astype(float), 0)
            cols[W("tod_res_row", m=lbl)] = f"res_{k}"
        tot, kinds = get("services_total"), get("service_kinds")
        pop[f"srv_{k}"] = [("–" if pd.isna(t) else f"{int(t)} ({int(q)})") for t, q in zip(tot, kinds, strict=True)]
        pop[f"mix_{k}"] = np.round(get("service_mix_index").astype(float), 2)
        cols.update({W("tod_srv", m=lbl): f"srv_{k}", W("tod_mix", m=lbl): f"mix_{k}"})
    return pop, cols


def make_map(result: AnalysisResult, study: Study, standards: Standards, *,
             lang: str = "en", basemap: str = "positron") -> Any:
    """The TOD map: catchment bands per variant, straight-line circles, station score popups.

    Each variant's bands are drawn as non-overlapping rings of the union of all stations'
    catchments, with each station's catchment as an outline; the straight-line circles are
    dashed outlines. The variants drawn are those of ``result.summary["variants"]`` (read
    from ``standards``); ``study`` gives the map context (streets, water, railways) only.
    """
    from geo.maps import MapBuilder, palette

    W = words(lang)
    s = result.summary
    variants = {name: standards.tod_variant(name) for name in s["variants"]}
    default = s["default_variant"]
    m = MapBuilder(title=W("tod_title"), subtitle_lines=_subtitle(s, variants, W), basemap=basemap, lang=lang)
    cat = result.layers["catchments"]
    for name, v in variants.items():
        a, b = v.minutes
        sub = cat.loc[(cat["variant"] == name) & ~cat.geometry.is_empty]
        if len(sub):
            m.add_bands(sub, minutes_col="band_min", source_col="station",
                        name=W("tod_catch", std=v.standard or name, a=f"{a:g}", b=f"{b:g}"),
                        legend_title=W("tod_legend", std=v.standard or name), show=name == default,
                        each_label=W("each_station", band="{band}"))
    stl = result.layers["stations"]
    dvar = variants[default]
    r = dvar.minutes[1] * s["metres_per_minute"]
    circles = gpd.GeoDataFrame({"station": stl["station"]}, geometry=stl.geometry.buffer(r, quad_segs=32), crs=stl.crs)
    m.add_polygons(circles, name=W("tod_circle", r=f"{r:,.0f}", std=dvar.standard or default, m=f"{dvar.minutes[1]:g}"),
                   color=palette.BUFFER, fill_opacity=0, dash=True, weight=1.5,
                   tooltip_cols={W("tod_station"): "station"}, show=False)
    pop, cols = _popups(result, variants, W)
    kind = standards.tod.station_kind
    m.add_points(pop, kind_col="_kind", name_col="station", popup_cols=cols, kind_labels={"station": W("tod_station")},
                 colors={"station": kind_colors(standards)[kind]}, cluster=False, legend_title=W("tod_stations_legend"))
    add_units_layer(m, result, lang)
    return add_study_context(m, study)  # the offline Streets base layer
