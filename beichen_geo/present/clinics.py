"""Community health service centres presented: the web map, its zh/en words, and the console line."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..result import AnalysisResult
from ..standards import Standards
from .colours import kind_colors
from .context import add_study_context
from .messages import MAP_WORDS, STUDY_AREA_UNIT, Words, words
from .units import add_units_layer

if TYPE_CHECKING:
    from geo.maps import MapBuilder

    from ..study import Study


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def unit_classes(share: np.ndarray, target: float) -> tuple[np.ndarray, list[float]]:
    """Class of each unit's reach share: below 50 %, 50-75 %, above 75 % but below target, target met.

    Returns the class codes (NaN where the share is unknown) and the cut points below the
    target that were used (cuts at or above the target are dropped).
    """
    cuts = [c for c in (0.5, 0.75) if c < target]
    v = np.asarray(share, dtype=float)
    code = np.searchsorted(np.array(cuts), v, side="right").astype(float)
    code[v >= target - 1e-12] = len(cuts) + 1
    code[np.isnan(v)] = np.nan
    return code, cuts


def _class_labels(cuts: list[float], target: float, W: Words) -> dict[int, str]:
    edges = [0.0, *cuts, target]
    out = {}
    for k in range(len(cuts) + 1):
        a, b = f"{edges[k]:.0%}", f"{edges[k + 1]:.0%}"
        if k == 0 and cuts:
            out[k] = W("clinics_class_low", a=f"{cuts[0]:.0%}")
        elif k == len(cuts):
            out[k] = W("clinics_class_high", a=a, b=b)
        else:
            out[k] = W("clinics_class_mid", a=a, b=b)
    out[len(cuts) + 1] = W("clinics_class_pass", t=f"{target:.0%}")
    return out


def make_map(result: AnalysisResult, study: Study, standards: Standards, *, lang: str = "en",
             basemap: str = "positron") -> MapBuilder:
    """The clinics map: units by share of residents within the walk, the walk area, land beyond it, centres.

    Units are coloured from failing (red) to target met (blue). When no units were given,
    the one unit is the whole study area: it is drawn as an outline only (a fill would be
    one large blob) and the walk area is filled; with units, the units are filled and the
    walk area is an outline, so no two fills mix.
    """
    from geo.maps import IntegerClasses, MapBuilder, palette

    s = result.summary
    W = words(lang)
    cfg = standards.clinics

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:.1%}"

    rpc = s["residents_per_centre"]
    mins = f"{s['walk_minutes']:g}"
    cap = (f"{s['residents_per_centre_max'] / 1e4:g}万" if W.zh else f"{s['residents_per_centre_max']:,.0f}")
    source = str(s.get("population_source_zh") or s["population_source"]) if W.zh else str(s["population_source"])
    lines = [
        W("clinics_standard", std=s["standard"], plan=W.of(cfg, "plan_text"), source=W.of(cfg, "source")),
        W("clinics_target", n=s["min_per_town"], cap=cap, m=mins),
        W("clinics_measured", count=s["units_passing_count"], units=s["units_count"], reach=s["units_passing_reach"],
          target=pct(s["reach_target_share"]), share=pct(s[s["keys"]["share_residents"]]), m=mins,
          rpc="–" if rpc is None else f"{rpc:,.0f}", centres=s["centres_in_area"]),
        W("residents_line", source=source),
    ]
    m = MapBuilder(title=W("clinics_title", std=s["standard"]), subtitle_lines=lines, basemap=basemap, lang=lang)
    whole_area = str(s.get("units_source", "")).startswith(STUDY_AREA_UNIT)
    units = result.layers["units"].copy()
    units["_result"] = [W(f"result_{r}") if f"result_{r}" in MAP_WORDS["en"] else str(r) for r in units["result"]]
    if whole_area:
        units["unit_name"] = W("study_area")
    target = float(s["reach_target_share"])
    units["_class"], cuts = unit_classes(units[s["keys"]["share_residents"]].to_numpy(dtype=float), target)
    shares = units[s["keys"]["share_residents"]].to_numpy(dtype=float)
    units["_share"] = [("–" if np.isnan(v) else f"{v:.0%}") for v in shares]
    tip = {W("unit"): "unit_name", W("residents"): "residents", W("clinics_centres_in"): "centres_inside",
           W("clinics_required"): "required_centres", W("clinics_per_centre"): "residents_per_centre",
           W("clinics_units_legend", m=mins): "_share", W("clinics_result"): "_result"}
    n_cls = len(cuts) + 2
    m.add_choropleth(units, value_col="_class", name=W("clinics_units"), legend_title=W("clinics_units_legend", m=mins),
                     tooltip_cols=tip, bins=IntegerClasses(0, n_cls - 1, labels=_class_labels(cuts, target, W)),
                     colors=palette.diverging_colors(n_cls), fill_opacity=0.55, outline_only=whole_area)
    area = result.layers["walk_area"]
    area = area.loc[~area.geometry.is_empty] if len(area) else area
    if len(area):
        m.add_bands(area, minutes_col="minutes", name=W("clinics_walk", m=mins), colors=[palette.COVERED],
                    labels={float(s["walk_minutes"]): W("clinics_walk_row", m=mins)},
                    draw="rings" if whole_area else "outlines")
    unc = result.layers["uncovered_cells"]
    if len(unc):
        # one shape per unit for the web map (the GeoPackage keeps every 50 m cell)
        unc = unc[["unit_name", "residents", "geometry"]].dissolve(by="unit_name", aggfunc={"residents": "sum"},
                                                                   as_index=False)
        unc["residents"] = unc["residents"].round(0)
        if whole_area:
            unc["unit_name"] = W("study_area")
        m.add_polygons(unc, name=W("clinics_beyond", m=mins), color=palette.NOT_COVERED, hatch=True,
                       tooltip_cols={W("unit"): "unit_name", W("residents"): "residents"})
    cen = result.layers["centres"]
    if len(cen):
        cen = cen.copy()
        if whole_area and "unit_name" in cen:
            cen["unit_name"] = W("study_area")
        over = s["keys"]["over_cap"]
        if over in cen:
            cen[over] = [W("yes") if bool(v) else W("no") for v in cen[over].fillna(False)]
        pop = {W("clinics_catchment"): "catchment_residents", W("clinics_over", cap=cap): over, W("unit"): "unit_name"}
        m.add_points(cen, kind_col="kind", name_col="name", popup_cols=pop,
                     kind_labels={cfg.kind: W.of(standards.kinds[cfg.kind], "label")},
                     colors=kind_colors(standards), legend_title=W("facilities"))
    add_units_layer(m, result, lang, kinds=("zones",))
    return add_study_context(m, study)  # the offline Streets base layer
