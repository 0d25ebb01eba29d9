"""Park coverage (S-PG-01): park green space within 500 m of 100% of residential land.

Measured two ways, side by side:

- **euclidean**: residential land inside a straight-line buffer of the parks (what the
  standard literally says: "500米半径");
- **network**: residential land whose walk to a park along the street network is at most
  the same distance (what residents experience: rivers, railways and walls count).

Parks are reached through their outline (points every 25 m, since park gates are rarely
mapped). The network share is measured on the demand cells (50 m grid pieces of
residential land): a cell counts when its representative point is within reach.
"""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.demand import share
from geo.access import access_points
from geo.snapping import OffNetworkWarning, snap_points

from .population import Residents
from .result import AnalysisResult
from .standards import Standards
from .study import Study

ACCESS_SPACING_M = 25.0


def park_coverage(study: Study, standards: Standards, *, residents: Residents | None = None) -> AnalysisResult:
    """Share of residential land (and residents) within the park radius, straight-line and network.

    Returns
    -------
    AnalysisResult
        Summary keys: ``residential_area_m2``, ``covered_share_euclidean``,
        ``covered_share_network``, ``target``, ``passes`` (by the primary method, the literal
        straight-line reading unless the standards say otherwise), ``passes_network``,
        ``radius_m``, ``parks_used``, ``parks_too_small``, ``uncovered_area_m2_euclidean``,
        ``uncovered_area_m2_network``, ``covered_share_residents_*`` and ``population_source``.
    """
    p = standards.parks
    target = float(p.target_share.value)
    parks = study.facilities_of(p.kind).copy()
    area_m2 = np.where(parks.geom_type.isin(["Polygon", "MultiPolygon"]), parks.geometry.area, 0.0)
    parks["park_area_m2"] = area_m2
    parks["radius_m"] = [p.radius_for_area(a) for a in area_m2]
    used = parks.loc[parks["radius_m"].notna()].copy()
    too_small = int(parks["radius_m"].isna().sum())

    res_geom = shapely.union_all(study.residential.geometry.to_numpy()) if len(study.residential) else shapely.Polygon()
    res_area = float(res_geom.area)
    cells = study.demand.drop(columns=["point"]).copy()
    pop = residents.per_cell if residents is not None else None

    # --- straight-line buffer (the literal reading)
    if len(used):
        reach = shapely.union_all(shapely.buffer(used.geometry.to_numpy(), used["radius_m"].to_numpy(float)))
    else:
        reach = shapely.Polygon()
    covered_geom = shapely.intersection(res_geom, reach)
    share_euc = float(covered_geom.area / res_area) if res_area > 0 else 0.0
    uncovered_euc = shapely.difference(res_geom, reach)
    cell_frac = shapely.area(shapely.intersection(cells.geometry.to_numpy(), reach)) / np.maximum(cells["area_m2"].to_numpy(), 1e-12)
    cells["euclidean_covered_fraction"] = np.clip(cell_frac, 0, 1)

    # --- along the network
    mpm = study.net.metres_per_minute
    dist = np.full(len(cells), np.inf)
    covered_net = np.zeros(len(cells), dtype=bool)
    off_net = 0
    if len(used):
        # entrances where OSM maps them, else outline points: the way every analysis reaches a park
        gates = access_points(used[["radius_m", "geometry"]], spacing_m=ACCESS_SPACING_M, entrances=study.entrances)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OffNetworkWarning)
            for radius, grp in gates.groupby("radius_m"):
                s = snap_points(study.net, grp, max_snap_m=study.max_snap_m, warn=False)
                feat = grp["feature"].to_numpy()
                off_net += len(set(feat) - set(feat[s.on_network]))  # parks with no access point near a street
                r = study.engine.point_minutes(study.demand_snap, s, cutoff_min=radius / mpm)
                d = r.minutes * mpm
                dist = np.minimum(dist, d)
                covered_net |= d <= radius + 1e-6
    cells["walk_m_to_park"] = np.where(study.demand_snap.on_network, dist, np.nan)
    cells["network_covered"] = covered_net
    area = cells["area_m2"].to_numpy()
    share_net = share(area, covered_net) if res_area > 0 else 0.0
    if pop is not None:
        cells["residents"] = pop

    primary = p.primary_method
    share_primary = share_euc if primary == "euclidean" else share_net
    radius_txt = f"{float(p.radius_m.value):g}" if p.size_rule == "none" else "by park size"
    summary = {
        "analysis": "park coverage",
        "standard": p.standard, "source": p.source, "plan_text": p.plan_text,
        "radius_m": float(p.radius_m.value) if p.size_rule == "none" else None,
        "size_rule": p.size_rule,
        "residential_area_m2": round(res_area, 1),
        "covered_share_euclidean": round(share_euc, 6),
        "covered_share_network": round(share_net, 6),
        "target": target,
        "primary_method": primary,
        "passes": bool(share_primary >= target - 1e-9),
        "passes_euclidean": bool(share_euc >= target - 1e-9),
        "passes_network": bool(share_net >= target - 1e-9),
        "uncovered_area_m2_euclidean": round(float(uncovered_euc.area), 1),
        "uncovered_area_m2_network": round(float(area[~covered_net].sum()), 1),
        "parks_found": int(len(parks)),
        "parks_used": int(len(used)),
        "parks_too_small": too_small,
        "parks_off_network": off_net,
        "residents": None if pop is None else round(float(np.nansum(pop)), 0),
        "covered_share_residents_euclidean": None if pop is None else round(float(np.nansum(pop * cells["euclidean_covered_fraction"]) / max(np.nansum(pop), 1e-12)), 6),
        "covered_share_residents_network": None if pop is None else round(share(pop, covered_net), 6),
        "population_source": None if residents is None else residents.source,
        "walk_speed_kmh": study.net.speed_kmh,
        "note": "Straight-line buffers overstate access across rivers, railways and walls; the network figure is what residents walk.",
    }
    layers = {
        "parks": used.drop(columns=[c for c in used.columns if c not in ("kind", "name", "park_area_m2", "radius_m", "geometry")]),
        "residential_cells": cells,
        "uncovered_euclidean": gpd.GeoDataFrame({"method": ["euclidean"], "area_m2": [uncovered_euc.area]}, geometry=[uncovered_euc], crs=study.crs),
        "uncovered_network": gpd.GeoDataFrame(
            {"method": ["network"], "area_m2": [float(area[~covered_net].sum())]},
            geometry=[shapely.union_all(cells.geometry.to_numpy()[~covered_net]) if (~covered_net).any() else shapely.Polygon()],
            crs=study.crs,
        ),
        "buffer": gpd.GeoDataFrame({"radius": [radius_txt]}, geometry=[reach], crs=study.crs),
    }
    result = AnalysisResult(name="parks", summary=summary, layers=layers,
                            tables={"cells": pd.DataFrame(cells.drop(columns="geometry"))})
    result.make_map = lambda **kw: _map(result, study, **kw)
    return result


def _map(result: AnalysisResult, study: Study, *, lang: str = "en", basemap: str = "positron"):
    from geo.maps import MapBuilder

    s = result.summary
    zh = lang == "zh"
    lines = [
        f"{'标准' if zh else 'Standard'}: {s['plan_text']} ({s['standard']}, {s['source']})",
        f"{'目标' if zh else 'Target'}: {s['target']:.0%} {'居住用地覆盖' if zh else 'of residential land covered'}",
        f"{'直线500米' if zh else 'Straight-line'}: {s['covered_share_euclidean']:.1%}; "
        f"{'沿路网' if zh else 'along the network'}: {s['covered_share_network']:.1%}",
    ]
    m = MapBuilder(title="公园绿地500米覆盖" if zh else "Parks within 500 m of homes", subtitle_lines=lines, basemap=basemap, lang=lang)
    buf = result.layers["buffer"]
    if not buf.geometry.iloc[0].is_empty:
        m.add_polygons(buf, name="直线缓冲区" if zh else "Straight-line buffer", color="#74a9cf", fill_opacity=0.08)
    cells = result.layers["residential_cells"]
    # one shape per residential polygon and outcome for the web map (cells stay in the GeoPackage)
    merged = cells[["parent", "network_covered", "walk_m_to_park", "geometry"]].dissolve(
        by=["parent", "network_covered"], aggfunc={"walk_m_to_park": "max"}, as_index=False)
    merged["walk_m_to_park"] = merged["walk_m_to_park"].round(0)
    cov = merged.loc[merged["network_covered"]]
    unc = merged.loc[~merged["network_covered"]]
    tip = {("最远步行距离(米)" if zh else "longest walk to a park (m)"): "walk_m_to_park"}
    m.add_coverage(cov, unc, tooltip_cols=tip)
    parks = result.layers["parks"]
    if len(parks):
        m.add_polygons(parks.loc[parks.geom_type.isin(["Polygon", "MultiPolygon"])], name="公园" if zh else "Parks",
                       color="#1a9850", tooltip_cols={("名称" if zh else "name"): "name", "m²": "park_area_m2"})
    return m
