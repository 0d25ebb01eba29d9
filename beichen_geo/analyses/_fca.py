"""Two-step floating catchment (2SFCA) per population unit, before and after proposed sites.

Used by :mod:`beichen_geo.analyses.gaps` for clinics: the overloaded centres show, not only the
missing ones. The units are the planner's population units, else the gap areas plus the whole
study area; the ratios themselves come from :func:`geo.siting.two_step_fca`.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.siting import two_step_fca
from geo.snapping import snap_points

from ..population import Residents
from ..present import messages
from ..study import Study
from ..units import assign_cells


def unit_fca(study: Study, fac: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, pop: np.ndarray | None,
             residents: Residents | None, cells: gpd.GeoDataFrame, gap_of: np.ndarray, *, minutes: float,
             cap_residents: float) -> tuple[dict[str, Any], gpd.GeoDataFrame | None, pd.DataFrame | None]:
    """2SFCA per population unit, before and after the proposed sites (1 centre per facility).

    ``minutes``: the catchment cutoff (min); ``cap_residents``: residents per centre above which a
    unit or centre is overloaded (persons). Returns the summary entry, the units layer and the
    per-facility table (None, None without residents).

    Facilities and sites are snapped as points here (one supply point each), not through the
    study's access snap (outline points of polygons), so the ratios count each centre once.
    """
    if pop is None or pop.sum() <= 0:
        return {"note": messages.FCA_NEEDS_RESIDENTS}, None, None
    cap = cap_residents
    fs_before = snap_points(study.net, fac, max_snap_m=study.max_snap_m, warn=False)
    both = pd.concat([fac[["geometry"]], sites[["geometry"]]], ignore_index=True)
    fs_after = snap_points(study.net, gpd.GeoDataFrame(both, geometry="geometry", crs=study.crs),
                           max_snap_m=study.max_snap_m, warn=False)
    before = two_step_fca(study.engine, fs_before, study.demand_snap, demand_weights=pop, cutoff_min=minutes)
    after = two_step_fca(study.engine, fs_after, study.demand_snap, demand_weights=pop, cutoff_min=minutes)
    names, members, geoms, source = _fca_units(study, residents, cells, gap_of)
    rows = []
    for name, m, geom in zip(names, members, geoms, strict=True):
        p = float(pop[m].sum())
        row: dict[str, Any] = {"unit_name": str(name), "residents": round(p, 1)}
        for tag, r in (("before", before), ("after", after)):
            acc = float((pop[m] * r.access[m]).sum() / p) if p > 0 else np.nan  # centres per resident
            row[f"centres_per_100k_residents_{tag}"] = round(acc * 1e5, 4) if np.isfinite(acc) else None
            row[f"residents_per_centre_{tag}"] = round(1.0 / acc, 1) if np.isfinite(acc) and acc > 0 else None
            row[f"status_{tag}"] = ("no residents" if p <= 0 else "no centre within reach" if not acc > 0
                                    else f"overloaded (> {cap:,.0f} residents per centre)" if 1.0 / acc > cap else "ok")
        row["geometry"] = geom
        rows.append(row)
    units_gdf = gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=study.crs)
    fac_tab = _fca_facilities(fac, sites, before, after, cap)
    summary = {
        "method": "two-step floating catchment area (Luo & Wang 2003), walk minutes on the network",
        "cutoff_min": float(minutes), "supply_per_facility": 1.0, "units_source": source,
        "residents_per_centre_max": cap,
        "units": len(units_gdf),
        "units_without_access_before": int((units_gdf["status_before"] == "no centre within reach").sum()),
        "units_without_access_after": int((units_gdf["status_after"] == "no centre within reach").sum()),
        "units_overloaded_before": int(units_gdf["status_before"].str.startswith("overloaded").sum()),
        "units_overloaded_after": int(units_gdf["status_after"].str.startswith("overloaded").sum()),
        "facilities_overloaded": int(fac_tab["overloaded_before"].sum()),
    }
    return summary, units_gdf, fac_tab


def _fca_units(study: Study, residents: Residents | None, cells: gpd.GeoDataFrame, gap_of: np.ndarray
               ) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, str]:
    """Units of the 2SFCA: the planner's population units, else the gap areas plus the whole study area.

    Returns names, member masks over cells, geometries and a sentence naming the source. A
    cell belongs to the first unit (by position) covering its representative point, the rule
    of :func:`beichen_geo.population.given_residents` (:func:`beichen_geo.units.assign_cells`).
    """
    if residents is not None and residents.units is not None and len(residents.units):
        units = residents.units.to_crs(study.crs)
        unit_of = assign_cells(cells, units.geometry.to_numpy())
        members = [unit_of == u for u in range(len(units))]
        return (units["unit_name"].astype(str).to_numpy(), members, units.geometry.to_numpy(),
                "population units (given)")
    gids = np.unique(gap_of[gap_of > 0])
    members = [np.ones(len(cells), dtype=bool)] + [gap_of == g for g in gids]
    all_geoms = cells.geometry.to_numpy()
    geoms = np.array([shapely.union_all(all_geoms[m]) for m in members], dtype=object)
    return (np.array(["study area"] + [f"gap area {g}" for g in gids]), members, geoms,
            "gap areas and the whole study area (no population units given)")


def _fca_facilities(fac: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, before: Any, after: Any,
                    cap: float) -> pd.DataFrame:
    """Per existing facility and proposed site: residents in its catchment and per centre, before / after."""
    names_f = fac.get("name", pd.Series([None] * len(fac), index=fac.index)).to_numpy()
    fac_tab = pd.DataFrame({
        "facility": [f"existing {i + 1}" for i in range(len(fac))] + [f"proposed #{r}" for r in sites["rank"]],
        "name": list(names_f) + list(sites["name"]),
        "catchment_residents_before": list(np.round(before.catchment_demand, 1)) + [None] * len(sites),
        "catchment_residents_after": np.round(after.catchment_demand, 1),
        "residents_per_centre_before": [(round(1 / x, 1) if np.isfinite(x) and x > 0 else None)
                                        for x in before.facility_ratio] + [None] * len(sites),
        "residents_per_centre_after": [(round(1 / x, 1) if np.isfinite(x) and x > 0 else None)
                                       for x in after.facility_ratio],
    })
    fac_tab["overloaded_before"] = [bool(v is not None and v > cap) for v in fac_tab["residents_per_centre_before"]]
    return fac_tab
