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

The steps: :class:`ParkSpec` -> :func:`_euclidean` and
:func:`~beichen_geo.analyses._park_reach.network_reach` (per cell: the covered fraction of the
straight-line buffers, the walk to a park) -> :func:`_figures` (shares, passes and reasons of
a set of cells: the whole area, or one unit) -> :func:`_summary`; the map lives in :mod:`beichen_geo.present.parks`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..population import Residents
from ..present import messages
from ..present import parks as present
from ..present.messages import reasons_line
from ..reasons import distance_reasons, off_network_land
from ..result import AnalysisResult
from ..standards import Parks, Standards
from ..study import Study
from ..units import Grouping, attach, groupings, rounded, share_of, unit_rows
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
    """Straight-line reading: the buffer, the covered fraction of each cell and the land it misses."""

    reach: shapely.Geometry
    uncovered: shapely.Geometry
    cell_fraction: np.ndarray


def park_coverage(study: Study, standards: Standards, *, residents: Residents | None = None,
                  units: Grouping | None = None, zones: Grouping | None = None) -> AnalysisResult:
    """Share of residential land (and residents) within the park radius, straight-line and network.

    Parameters
    ----------
    study, standards
        The study and the standards (``[parks]``).
    residents
        Residents per demand cell (optional; shares by population are added when given).
    units, zones
        Groupings (:func:`beichen_geo.units.grouping_for`): the summary then gets ``units`` /
        ``zones`` with the figures of the whole area measured by the same code on each unit's
        cells (the straight-line share from each cell's covered fraction, so that the units
        add up to the whole area), and ``units_check`` / ``zones_check``.

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
    given = groupings(units, zones, study)
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

    def figures(sel: np.ndarray) -> dict[str, Any]:
        return _figures(study, spec, cells, pop, n_parks=len(used), sel=sel)

    summary = _summary(study, spec, parks, used, figures(np.ones(len(cells), dtype=bool)), net, residents)
    result = AnalysisResult(name="parks", summary=summary, layers=_layers(study, spec, used, cells, euc, net),
                            tables={"cells": pd.DataFrame(cells.drop(columns="geometry"))})
    area = cells["area_m2"].to_numpy()
    for g in given:
        attach(result, g, unit_rows(g, figures, area_m2=area, residents=pop), _flat)
    result.make_map = lambda **kw: present.make_map(result, study, standards, **kw)
    return result


def _euclidean(used: gpd.GeoDataFrame, res_geom: shapely.Geometry, cells: gpd.GeoDataFrame) -> Euclidean:
    """Residential land inside the straight-line buffers (the literal reading)."""
    if len(used):
        reach = shapely.union_all(shapely.buffer(used.geometry.to_numpy(), used["radius_m"].to_numpy(float)))
    else:
        reach = shapely.Polygon()
    frac = (shapely.area(shapely.intersection(cells.geometry.to_numpy(), reach))
            / np.maximum(cells["area_m2"].to_numpy(), 1e-12))
    return Euclidean(reach=reach, uncovered=shapely.difference(res_geom, reach), cell_fraction=frac)


def _figures(study: Study, spec: ParkSpec, cells: gpd.GeoDataFrame, pop: np.ndarray | None, *, n_parks: int,
             sel: np.ndarray) -> dict[str, Any]:
    """The measured figures of the cells ``sel`` (the whole area: every cell; a unit: its cells).

    The straight-line share is the land-weighted mean of each cell's covered fraction (the
    area of the cell inside the buffers over its area), so that it adds up over units to the
    whole area's exact overlay of residential land and buffers; the network share counts a
    cell when its demand point walks to a park within the radius. No residential land in
    ``sel``: shares and passes are None (not measured).
    """
    p, target = spec.parks, spec.target
    area = cells["area_m2"].to_numpy()[sel]
    frac = cells["euclidean_covered_fraction"].to_numpy()[sel]
    covered = cells["network_covered"].to_numpy()[sel]
    w = None if pop is None else pop[sel]
    share_euc, share_net = share_of(area, frac), share_of(area, covered)
    share_primary = share_euc if spec.primary == "euclidean" else share_net

    def passes(x: float | None) -> bool | None:
        return None if x is None else bool(x >= target - 1e-9)

    return {
        "covered_share_euclidean": rounded(share_euc),
        "covered_share_network": rounded(share_net),
        "covered_share_residents_euclidean": rounded(share_of(w, frac)),
        "covered_share_residents_network": rounded(share_of(w, covered)),
        "target": target,
        "primary_method": spec.primary,
        "passes": passes(share_primary),
        "passes_euclidean": passes(share_euc),
        "passes_network": passes(share_net),
        # why the primary reading falls short (no park, land off the network, beyond the radius)
        "reasons": [] if share_primary is None else distance_reasons(
            p.kind, facilities=n_parks, share=share_primary, target=target,
            distance_m=float(p.radius_m.value) if p.size_rule == "none" else None, method=spec.primary,
            off_network_share=off_network_land(area, study.demand_snap.on_network[sel]),
            max_snap_m=study.max_snap_m),
        "uncovered_area_m2_euclidean": round(float((area * (1.0 - frac)).sum()), 1),
        "uncovered_area_m2_network": round(float(area[~covered].sum()), 1),
    }


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """One unit's row of the ``<kind>`` table (reasons in words)."""
    out = {k: v for k, v in row.items() if k not in ("reasons", "target")}
    out["target_share"] = row["target"]
    out["reasons"] = reasons_line(row["reasons"])
    return out


def _summary(study: Study, spec: ParkSpec, parks: gpd.GeoDataFrame, used: gpd.GeoDataFrame, whole: dict[str, Any],
             net: Network, residents: Residents | None) -> dict[str, Any]:
    p = spec.parks
    area = study.demand["area_m2"].to_numpy()
    pop = residents.per_cell if residents is not None else None
    return {
        "analysis": "park coverage",
        "standard": p.standard, "source": p.source, "plan_text": p.plan_text,
        "radius_m": float(p.radius_m.value) if p.size_rule == "none" else None,
        "size_rule": p.size_rule,
        "residential_area_m2": round(float(area.sum()), 1),
        **whole,
        "parks_found": len(parks),
        "parks_used": len(used),
        "parks_too_small": int(parks["radius_m"].isna().sum()),
        "parks_off_network": net.parks_off_network,
        "residents": None if pop is None else round(float(np.nansum(pop)), 0),
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
