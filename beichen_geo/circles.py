"""Living circles (5-15-30 / 5-10-15 / 15-min commerce): which homes reach every required kind.

For each tier of the chosen variant (``[circles.<variant>]`` in the standards), a demand cell
*meets* the tier when every kind the tier lists is within the tier's walking minutes. Shares
are of residential land area and, where known, of residents (estimates are labelled).
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError
from geo.coverage import minutes_by_kind, minutes_column
from geo.demand import share
from geo.snapping import OffNetworkWarning

from .reasons import kind_reasons, off_network_land, reasons_line
from .population import Residents
from .result import AnalysisResult
from .standards import Standards
from .study import Study


def living_circles(
    study: Study, standards: Standards, *, variant: str | None = None, residents: Residents | None = None
) -> AnalysisResult:
    """Measure one living-circle variant on a study area.

    Parameters
    ----------
    study
        Loaded study (network at the standards' walking speed).
    standards
        The standards; ``variant`` picks ``[circles.<variant>]`` (default: its default variant).
    residents
        Residents per demand cell (optional; shares by population are added when given).

    Returns
    -------
    AnalysisResult
        Summary keys: ``variant``, ``walk_speed_kmh``, ``residential_area_m2``, ``residents``,
        ``population_source``, ``tiers`` (per tier: ``minutes``, ``distance_m``, ``kinds``,
        ``covered_share_land``, ``covered_share_residents``, ``target``, ``passes``,
        ``kinds_coverage``), ``all_tiers_share_land``, ``all_tiers_share_residents``,
        ``passes``, ``kinds_without_facilities``, ``demand_off_network``.
    """
    v = standards.circle_variant(variant)
    for t in v.tiers:
        if t.mode != "walk":
            raise InputError(
                f"circles.{v.name}.tiers.{t.name}: mode {t.mode!r} is not supported yet (walk only); "
                "set mode = \"walk\" in your --standards file"
            )
    tiers = list(v.tiers)
    kinds = list(v.kinds)
    max_min = max(float(t.minutes.value) for t in tiers)
    mode = study.net.mode
    demand_pts = study.demand.set_geometry("point")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OffNetworkWarning)
        table, report = minutes_by_kind(
            study.engine, demand_pts, study.facilities, kinds=kinds, cutoff_min=max_min,
            max_snap_m=study.max_snap_m, demand_snap=study.demand_snap,
            facility_snaps={k: study.snapped_facilities(k) for k in kinds if len(study.facilities_of(k))},
        )
    area = study.demand["area_m2"].to_numpy()
    pop = residents.per_cell if residents is not None else None
    cells = study.demand.drop(columns=["point"]).copy()
    for k in kinds:
        cells[minutes_column(mode, k)] = table[minutes_column(mode, k)].to_numpy()
    off_share = off_network_land(area, study.demand_snap.on_network)
    tier_rows, kind_rows, tier_summ = [], [], []
    met_all = np.ones(len(cells), dtype=bool)
    for t in tiers:
        tmin = float(t.minutes.value)
        met = np.ones(len(cells), dtype=bool)
        kinds_cov = {}
        for k in t.kinds:
            m = table[minutes_column(mode, k)].to_numpy(dtype=float)
            ok = np.nan_to_num(m, nan=np.inf) <= tmin
            met &= ok
            kinds_cov[k] = {
                "facilities": report["facilities"].get(k, 0),
                "covered_share_land": round(share(area, ok), 6),
                "covered_share_residents": None if pop is None else round(share(pop, ok), 6),
            }
            kind_rows.append({"tier": t.name, "minutes": tmin, "kind": k, **kinds_cov[k]})
        cells[f"meets_{t.name}"] = met
        met_all &= met
        target = float(t.target_share.value)
        sl = share(area, met)
        sr = None if pop is None else share(pop, met)
        row = {
            "tier": t.name, "label_zh": t.label_zh, "label_en": t.label_en, "minutes": tmin,
            "distance_m": round(tmin * study.net.metres_per_minute, 1), "kinds": list(t.kinds),
            "covered_share_land": round(sl, 6), "covered_share_residents": None if sr is None else round(sr, 6),
            "target": target, "passes": bool(sl >= target - 1e-12),
        }
        row["reasons"] = [] if row["passes"] else kind_reasons(
            kinds_cov, minutes=tmin, target=target, off_network_share=off_share, max_snap_m=study.max_snap_m)
        tier_rows.append({**row, "kinds": ", ".join(t.kinds), "reasons": reasons_line(row["reasons"])})
        tier_summ.append({**row, "kinds_coverage": kinds_cov})
    cells["meets_all_tiers"] = met_all
    cells["tiers_met"] = np.sum([cells[f"meets_{t.name}"].to_numpy() for t in tiers], axis=0)
    if pop is not None:
        cells["residents"] = pop
    summary = {
        "analysis": "living circles",
        "variant": v.name, "label_zh": v.label_zh, "label_en": v.label_en,
        "standards": list(v.standards), "source": v.source,
        "walk_speed_kmh": study.net.speed_kmh,
        "residential_area_m2": round(float(area.sum()), 1),
        "residents": None if pop is None else round(float(np.nansum(pop)), 0),
        "population_source": None if residents is None else residents.source,
        "tiers": tier_summ,
        "all_tiers_share_land": round(share(area, met_all), 6),
        "all_tiers_share_residents": None if pop is None else round(share(pop, met_all), 6),
        "target": float(v.target_share.value),
        "passes": bool(all(r["passes"] for r in tier_summ)),
        "kinds_without_facilities": report["kinds_without_facilities"],
        "facilities": report["facilities"],
        "facilities_off_network": report["facilities_off_network"],
        "demand_cells": int(len(cells)),
        "demand_off_network": report["demand_off_network"],
        "demand_off_network_share_land": round(off_share, 6),
        "warnings": [str(w.message) for w in caught] + [
            f"{k} facilities: {n} more than {study.max_snap_m:g} m from the street network (they serve nobody here)"
            for k, n in report["facilities_off_network"].items() if n
        ],
    }
    fac = study.facilities.loc[study.facilities["kind"].isin(kinds), ["kind", "name", "geometry"]].copy()
    met_polys = _tier_areas(study, tiers, fac, buffer_m=float(standards.travel.isochrone_buffer_m.value))
    result = AnalysisResult(
        name="circles",
        summary=summary,
        layers={"demand_cells": cells, "facilities": fac, "tier_areas": met_polys},
        tables={"tiers": pd.DataFrame(tier_rows), "kinds": pd.DataFrame(kind_rows)},
    )
    result.make_map = lambda **kw: _map(result, study, v, tiers, standards, **kw)
    return result


def _tier_areas(study: Study, tiers, fac: gpd.GeoDataFrame, *, buffer_m: float) -> gpd.GeoDataFrame:
    """Street-based area where each tier is met: the intersection of its kinds' isochrones."""
    rows = []
    present = set(fac["kind"])
    for t in tiers:
        tmin = float(t.minutes.value)
        poly = shapely.Polygon()
        if all(k in present for k in t.kinds):  # a kind with no facility: the tier is met nowhere
            for i, k in enumerate(t.kinds):
                iso = study.kind_isochrone(k, tmin, buffer_m=buffer_m)
                poly = iso if i == 0 else shapely.intersection(poly, iso)
        rows.append({"tier": t.name, "minutes": tmin, "geometry": poly})
    gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=study.crs)
    gdf["area_m2"] = gdf.area
    return gdf


def _display_cells(cells: gpd.GeoDataFrame, tiers, mode: str) -> gpd.GeoDataFrame:
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
        c[f"missing_{t.name}"] = [", ".join(k for k, m in zip(t.kinds, row) if m) or "–" for row in zip(*miss)] if miss else "–"
        keys.append(f"missing_{t.name}")
    out = c[[*keys, "area_m2", "geometry"]].dissolve(by=keys, aggfunc={"area_m2": "sum"}, as_index=False)
    out["area_m2"] = out["area_m2"].round(0)
    return out


def _map(result: AnalysisResult, study: Study, v, tiers, standards: Standards, *, lang: str = "en", basemap: str = "positron"):
    from geo.maps import MapBuilder

    s = result.summary
    zh = lang == "zh"
    labels = {k: (kd.label_zh if zh else kd.label_en) for k, kd in standards.kinds.items()}
    lines = [
        f"{'标准' if zh else 'Standard'}: {v.label_zh if zh else v.label_en} ({', '.join(v.standards)}; {v.source})",
        f"{'目标' if zh else 'Target'}: {s['target']:.0%} {'居住用地' if zh else 'of residential land'}",
    ] + [
        f"{t['minutes']:g} min: {t['covered_share_land']:.1%} {'用地' if zh else 'of land'}"
        + ("" if t["covered_share_residents"] is None else f", {t['covered_share_residents']:.1%} {'人口' if zh else 'of residents'}")
        + ("" if not t["reasons"] else f" ({'未达标' if zh else 'not met'}: {reasons_line(t['reasons'], lang=lang, labels=labels)})")
        for t in s["tiers"]
    ]
    m = MapBuilder(title=("生活圈覆盖" if zh else "Living circles") + f" {v.name}", subtitle_lines=lines, basemap=basemap, lang=lang)
    areas = result.layers["tier_areas"]
    areas = areas.loc[~areas.geometry.is_empty]
    if len(areas):
        m.add_bands(areas, minutes_col="minutes", name="满足各层级的区域" if zh else "Area meeting each tier")
    cells = _display_cells(result.layers["demand_cells"], tiers, study.net.mode)
    tip = {("满足层级数" if zh else "tiers met"): "tiers_met", ("居住用地 m²" if zh else "land m²"): "area_m2"}
    tip.update({(f"{t.minutes.value:g}分钟内缺少" if zh else f"missing within {t.minutes.value:g} min"): f"missing_{t.name}"
                for t in tiers})
    m.add_choropleth(cells, value_col="tiers_met", name="满足层级数" if zh else "Tiers met per cell",
                     legend_title="满足层级数" if zh else "Tiers met", tooltip_cols=tip,
                     bins=list(range(len(tiers) + 2)), value_format="{:.0f}")
    fac = result.layers["facilities"]
    if len(fac):
        labels = {k: (standards.kinds[k].label_zh if zh else standards.kinds[k].label_en) for k in fac["kind"].unique()}
        # off by default: a dozen kinds of markers hide the coverage; the layer control shows them
        m.add_points(fac, kind_col="kind", name_col="name", kind_labels=labels, show=False)
    return m
