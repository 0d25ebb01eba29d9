"""Park coverage (S-PG-01): park green space within 500 m of 100% of residential land.

Measured two ways, side by side:

- **euclidean**: residential land inside a straight-line buffer of the parks (what the
  standard literally says: "500米半径");
- **network**: residential land whose walk to a park along the street network is at most
  the same distance (what residents experience: rivers, railways and walls count).

Parks are reached through their access points (mapped entrances, else points every 25 m
along the outline: the study's cached :meth:`Study.snapped_facilities`). The network share
is measured on the demand cells (50 m grid pieces of residential land): a cell counts when
its representative point is within reach.

The steps: :class:`ParkSpec` -> :func:`_parks_used` -> :func:`_euclidean` and
:func:`_network` -> :func:`_summary`; the map lives in :mod:`beichen_geo.present.parks`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.demand import share

from ..population import Residents
from ..present import messages
from ..present import parks as present
from ..reasons import distance_reasons
from ..result import AnalysisResult
from ..standards import Parks, Standards
from ..study import Study
from ._park_reach import Network, network_reach, parks_frame


@dataclasses.dataclass(frozen=True)
class ParkSpec:
    """The park standard as measured: kind, target, primary method and the radius rule."""

    parks: Parks
    target: float
    primary: str

    @classmethod
    def from_standards(cls, standards: Standards) -> ParkSpec:
        p = standards.parks
        return cls(parks=p, target=float(p.target_share.value), primary=p.primary_method)


@dataclasses.dataclass(frozen=True)
class Euclidean:
    """Straight-line reading: the buffer, its share of residential land and what it misses."""

    reach: shapely.Geometry
    share: float
    uncovered: shapely.Geometry
    cell_fraction: np.ndarray


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
    spec = ParkSpec.from_standards(standards)
    parks = parks_frame(study, spec.parks)
    used = parks.loc[parks["radius_m"].notna()].copy()
    res_geom = shapely.union_all(study.residential.geometry.to_numpy()) if len(study.residential) else shapely.Polygon()
    cells = study.demand.drop(columns=["point"]).copy()
    euc = _euclidean(used, res_geom, cells)
    net = network_reach(study, spec.parks, parks)
    cells["euclidean_covered_fraction"] = np.clip(euc.cell_fraction, 0, 1)
    cells["walk_m_to_park"] = np.where(study.demand_snap.on_network, net.dist_m, np.nan)
    cells["network_covered"] = net.covered
    pop = residents.per_cell if residents is not None else None
    if pop is not None:
        cells["residents"] = pop
    summary = _summary(study, spec, parks, used, res_geom, cells, euc, net, residents)
    result = AnalysisResult(name="parks", summary=summary, layers=_layers(study, spec, used, cells, euc, net),
                            tables={"cells": pd.DataFrame(cells.drop(columns="geometry"))})
    result.make_map = lambda **kw: present.make_map(result, study, standards, **kw)
    return result


def _euclidean(used: gpd.GeoDataFrame, res_geom: shapely.Geometry, cells: gpd.GeoDataFrame) -> Euclidean:
    """Residential land inside the straight-line buffers (the literal reading)."""
    if len(used):
        reach = shapely.union_all(shapely.buffer(used.geometry.to_numpy(), used["radius_m"].to_numpy(float)))
    else:
        reach = shapely.Polygon()
    res_area = float(res_geom.area)
    covered_geom = shapely.intersection(res_geom, reach)
    share_euc = float(covered_geom.area / res_area) if res_area > 0 else 0.0
    frac = (shapely.area(shapely.intersection(cells.geometry.to_numpy(), reach))
            / np.maximum(cells["area_m2"].to_numpy(), 1e-12))
    return Euclidean(reach=reach, share=share_euc, uncovered=shapely.difference(res_geom, reach), cell_fraction=frac)


def _summary(study: Study, spec: ParkSpec, parks: gpd.GeoDataFrame, used: gpd.GeoDataFrame, res_geom: shapely.Geometry,
             cells: gpd.GeoDataFrame, euc: Euclidean, net: Network, residents: Residents | None) -> dict[str, Any]:
    p, target = spec.parks, spec.target
    res_area = float(res_geom.area)
    area = cells["area_m2"].to_numpy()
    pop = residents.per_cell if residents is not None else None
    share_net = share(area, net.covered) if res_area > 0 else 0.0
    share_primary = euc.share if spec.primary == "euclidean" else share_net
    return {
        "analysis": "park coverage",
        "standard": p.standard, "source": p.source, "plan_text": p.plan_text,
        "radius_m": float(p.radius_m.value) if p.size_rule == "none" else None,
        "size_rule": p.size_rule,
        "residential_area_m2": round(res_area, 1),
        "covered_share_euclidean": round(euc.share, 6),
        "covered_share_network": round(share_net, 6),
        "target": target,
        "primary_method": spec.primary,
        "passes": bool(share_primary >= target - 1e-9),
        "passes_euclidean": bool(euc.share >= target - 1e-9),
        "passes_network": bool(share_net >= target - 1e-9),
        # why the primary reading falls short (no park, land off the network, beyond the radius)
        "reasons": distance_reasons(
            p.kind, facilities=len(used), share=share_primary, target=target,
            distance_m=float(p.radius_m.value) if p.size_rule == "none" else None, method=spec.primary,
            off_network_share=study.off_network_share_land, max_snap_m=study.max_snap_m),
        "uncovered_area_m2_euclidean": round(float(euc.uncovered.area), 1),
        "uncovered_area_m2_network": round(float(area[~net.covered].sum()), 1),
        "parks_found": len(parks),
        "parks_used": len(used),
        "parks_too_small": int(parks["radius_m"].isna().sum()),
        "parks_off_network": net.parks_off_network,
        "residents": None if pop is None else round(float(np.nansum(pop)), 0),
        "covered_share_residents_euclidean": None if pop is None else round(
            float(np.nansum(pop * cells["euclidean_covered_fraction"]) / max(np.nansum(pop), 1e-12)), 6),
        "covered_share_residents_network": None if pop is None else round(share(pop, net.covered), 6),
        "population_source": None if residents is None else residents.source,
        "walk_speed_kmh": study.net.speed_kmh,
        "note": messages.PARKS_NOTE,
    }


def _layers(study: Study, spec: ParkSpec, used: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, euc: Euclidean,
            net: Network) -> dict[str, gpd.GeoDataFrame]:
    p = spec.parks
    area = cells["area_m2"].to_numpy()
    unc = ~net.covered
    radius_txt = f"{float(p.radius_m.value):g}" if p.size_rule == "none" else "by park size"
    return {
        "parks": used.drop(columns=[c for c in used.columns
                                    if c not in ("kind", "name", "park_area_m2", "radius_m", "geometry")]),
        "residential_cells": cells,
        "uncovered_euclidean": gpd.GeoDataFrame({"method": ["euclidean"], "area_m2": [euc.uncovered.area]},
                                                geometry=[euc.uncovered], crs=study.crs),
        "uncovered_network": gpd.GeoDataFrame(
            {"method": ["network"], "area_m2": [float(area[unc].sum())]},
            geometry=[shapely.union_all(cells.geometry.to_numpy()[unc]) if unc.any() else shapely.Polygon()],
            crs=study.crs,
        ),
        "buffer": gpd.GeoDataFrame({"radius": [radius_txt]}, geometry=[euc.reach], crs=study.crs),
    }
