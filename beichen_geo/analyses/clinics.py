"""Community health service centres (S-H-01): one per town / sub-district or per 30,000-100,000 residents.

The plan text (P3 L1338) reads 达到每个镇街或3~10万居民均规划设置1所社区卫生服务中心 (printed
"310万": the tilde was lost). We read it as two rules that both apply:

- every unit (镇街, or whatever polygons the planner gives) needs at least ``min_per_town``
  (1) centre; and
- a unit larger than ``residents_per_centre_max`` (100,000) residents needs one centre per
  100,000: ``required_centres = max(min_per_town, ceil(residents / residents_per_centre_max))``.

A unit *passes* when the centres located inside it reach ``required_centres``. A unit with
fewer than ``residents_per_centre_min`` (30,000) residents per centre is flagged
``below_min_catchment`` (more centres than the lower bound calls for): informational, not a
failure. The centre belongs to the 15-min community living circle, so the analysis also
measures which homes reach a centre within ``walk_minutes`` on the street network, and how
many residents each centre serves when every home goes to its NEAREST centre (no double
counting).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.areal import first_unit, unit_pairs
from geo.errors import InputError
from geo.isochrones import isochrones
from geo.snapping import SnappedPoints, snap_points

from ..lonlat import input_systems, with_lonlat
from ..population import Residents, estimate_residents, given_residents
from ..present import clinics as present
from ..present import messages
from ..present.messages import reasons_line
from ..reasons import off_network_land
from ..result import AnalysisResult
from ..standards import Clinics, Standards
from ..study import Study
from ..units import Grouping, assign_cells, attach, groupings, normalise_units

#: Name of the single unit used when no units are given.
STUDY_AREA_UNIT = messages.STUDY_AREA_UNIT

#: Centres per chunk of the per-centre catchment searches: memory holds one chunk's
#: (centre, cell) pairs, never all of them (100,000 centres would need many GB).
CHUNK_CENTRES = 1024


def clinics_per_community(
    study: Study,
    standards: Standards,
    *,
    residents: Residents | None = None,
    units: Grouping | None = None,
    zones: Grouping | None = None,
    chunk_centres: int = CHUNK_CENTRES,
) -> AnalysisResult:
    """Measure S-H-01: community health service centres per unit, their reach and their load.

    Parameters
    ----------
    study
        Loaded study (network at the standards' walking speed; its facilities of kind
        ``standards.clinics.kind`` are the centres).
    standards
        The standards; ``[clinics]`` gives the kind, ``min_per_town`` (count),
        ``residents_per_centre_min`` / ``_max`` (persons) and ``walk_minutes`` (min).
    residents
        Residents per demand cell. When None, residents are spread from the ``units``'
        population column if they have one, else ESTIMATED from residential buildings
        (labelled as an estimate).
    units
        The units (镇街 / communities): a :class:`~beichen_geo.units.Grouping` of polygons
        with names and optionally a population (``population``: then each unit's
        ``residents`` are as given). Without it, the units of the population layer that
        ``residents`` carries (see :func:`beichen_geo.population.residents_for`) are used;
        when neither gives units, the whole study area is ONE unit named ``"study area"``.
        A grouping also adds ``units_check`` to the summary and its warnings.
    zones
        A second grouping (e.g. inside / outside the Outer Ring Road): the same rows per zone
        as summary ``zones``, table and layer ``zones``, and ``zones_check``.
    chunk_centres
        Centres whose walking catchments are searched together (count, >= 1). Only the
        figures the results need are kept from each chunk (reachable residents per centre,
        reachable centres per unit), so memory is bounded by the chunk, not by the number of
        centres; the results do not depend on it.

    Returns
    -------
    AnalysisResult
        ``name="clinics"``. Layers ``units`` (polygons with the figures), ``centres`` (points
        with catchment residents), ``uncovered_cells`` (residential cells beyond
        ``walk_minutes``), ``walk_area`` (the street-based area within ``walk_minutes`` of a
        centre). Tables ``units`` and ``centres``. Summary keys are listed in the README; the
        summary's ``units`` is the list of unit rows (each with ``name`` and the ``reasons`` of
        its failures), ``units_count`` their number.

    Raises
    ------
    InputError
        For units without a CRS, without polygons, or with a non-numeric or negative
        population (the message names the row); a ``chunk_centres`` that is not a whole
        number >= 1.
    """
    spec = ClinicSpec.from_standards(standards, chunk_centres=chunk_centres)
    given = groupings(units, zones, study)
    notes: list[str] = []
    unit_gdf, units_source, residents = _resolve_units(study, standards, residents, units, notes)
    demand = _demand(study, unit_gdf, residents, units=units, single=units_source.startswith(STUDY_AREA_UNIT),
                     notes=notes)
    centres = _centre_frame(study.facilities_of(spec.kind), spec.kind, study.crs)
    zone_of = [demand.unit_of] + [g.cell_unit for g in given if g.kind == "zones"]
    access = _access(study, spec, centres, demand, notes, groups=zone_of)
    # (centre, unit) pairs where the unit covers the centre (boundary included)
    inside = unit_pairs(centres.geometry.to_numpy(), unit_gdf.geometry.to_numpy(), predicate="covered_by")
    rows = _unit_rows(spec, unit_gdf, demand, demand.unit_of, access, access.reach_keys[0], inside,
                      centres["name"].to_numpy(), residents, max_snap_m=study.max_snap_m)
    unit_table = _table(rows)
    units_layer = gpd.GeoDataFrame(unit_table.copy(), geometry=unit_gdf.geometry.to_numpy(), crs=study.crs)
    # every centre row carries WGS84 lon/lat (and GCJ-02/BD-09 when the planner's inputs were)
    centre_layer = with_lonlat(_centre_layer(spec, centres, unit_gdf, demand, access, inside),
                               systems=input_systems(study.log))
    uncovered = _uncovered_layer(study, unit_gdf, demand, access)
    summary = _summary(study, spec, rows, centres, centre_layer, demand, access, residents, units_source, notes)
    result = AnalysisResult(
        name="clinics",
        summary=summary,
        layers={"units": units_layer, "centres": centre_layer, "uncovered_cells": uncovered,
                "walk_area": access.walk_area},
        tables={"units": unit_table, "centres": pd.DataFrame(centre_layer.drop(columns="geometry"))},
    )
    for g in given:
        if g.kind == "units":  # the units are the rows above; the grouping adds its check
            summary["units_check"] = g.check
            summary["warnings"] = [*summary["warnings"], *messages.grouping_warnings("units", g.check)]
            continue
        z_inside = unit_pairs(centres.geometry.to_numpy(), g.gdf.geometry.to_numpy(), predicate="covered_by")
        z_rows = _unit_rows(spec, g.gdf, demand, g.cell_unit, access, access.reach_keys[1], z_inside,
                            centres["name"].to_numpy(), residents, max_snap_m=study.max_snap_m)
        attach(result, g, [{k: _plain(v) for k, v in r.items()} for r in z_rows], _flat)
    result.make_map = lambda **kw: present.make_map(result, study, standards, **kw)
    return result


# ------------------------------------------------------------------------------------ steps


@dataclasses.dataclass(frozen=True)
class ClinicSpec:
    """S-H-01 as measured: the kind, walk minutes, catchment bounds and the options.

    Attributes
    ----------
    cfg
        ``[clinics]`` of the standards.
    kind
        Facility kind of the centres.
    walk
        Walking time, minutes.
    lo, hi
        ``residents_per_centre_min`` / ``_max``, persons.
    min_per_town
        Centres every unit needs (count).
    reach_target
        Share of a unit's residents (land when unknown) to live within ``walk``.
    keys
        Column and key names carrying the values used (:func:`reach_keys`).
    chunk_centres
        Centres searched together (count, >= 1).
    buffer_m
        Street buffer of the walk-area isochrone, metres.
    """

    cfg: Clinics
    kind: str
    walk: float
    lo: float
    hi: float
    min_per_town: int
    reach_target: float
    keys: dict[str, str]
    chunk_centres: int
    buffer_m: float

    @classmethod
    def from_standards(cls, standards: Standards, *, chunk_centres: int) -> ClinicSpec:
        cfg = standards.clinics
        if isinstance(chunk_centres, bool) or not isinstance(chunk_centres, (int, np.integer)) or chunk_centres < 1:
            raise InputError(f"chunk_centres must be a whole number >= 1, got {chunk_centres!r}")
        walk = float(cfg.walk_minutes.value)
        hi = float(cfg.residents_per_centre_max.value)
        return cls(cfg=cfg, kind=cfg.kind, walk=walk, lo=float(cfg.residents_per_centre_min.value), hi=hi,
                   min_per_town=round(float(cfg.min_per_town.value)),
                   reach_target=float(cfg.reach_target_share.value), keys=reach_keys(walk, hi),
                   chunk_centres=int(chunk_centres), buffer_m=float(standards.travel.isochrone_buffer_m.value))


@dataclasses.dataclass(frozen=True)
class Demand:
    """Demand cells as the analysis reads them (arrays aligned with ``study.demand``).

    ``area`` (m²), ``pop`` (residents, NaN unknown), ``pop0`` (NaN as 0), ``pop_known``,
    ``unit_of`` (unit position, -1 in none), ``on_network`` (snapped within the snap distance).
    """

    area: np.ndarray
    pop: np.ndarray
    pop0: np.ndarray
    pop_known: bool
    unit_of: np.ndarray
    on_network: np.ndarray


@dataclasses.dataclass(frozen=True)
class Access:
    """What the walk search found.

    ``minutes`` / ``nearest`` per cell (inf / -1 beyond the walk), ``covered`` per cell,
    ``reach_res`` (residents each centre reaches), ``reach_keys`` (per grouping searched: the
    units, then the zones; sorted ``unit * n_centres + centre`` pairs), ``on_network`` per
    centre, ``walk_area`` (isochrone layer) and ``warnings`` (worded from the snap's
    off-network count).
    """

    minutes: np.ndarray
    nearest: np.ndarray
    covered: np.ndarray
    reach_res: np.ndarray
    reach_keys: list[np.ndarray]
    on_network: np.ndarray
    walk_area: gpd.GeoDataFrame
    warnings: list[str]


def _demand(study: Study, unit_gdf: gpd.GeoDataFrame, residents: Residents, *, units: Grouping | None,
            single: bool, notes: list[str]) -> Demand:
    """Cells' land, residents and units (the one unit of the whole area holds every cell)."""
    cells = study.demand
    n_cells = len(cells)
    pop = np.asarray(residents.per_cell, dtype=float)
    pop_known = bool(n_cells == 0 or np.isfinite(pop).any())
    if not pop_known:
        notes.append(messages.clinics_residents_unknown(residents.source))
    # the rule of every grouping and of given_residents: a unit's cells are those its population was spread over
    if units is not None:
        unit_of = units.cell_unit
    else:
        unit_of = np.zeros(n_cells, dtype=np.int64) if single else assign_cells(cells, unit_gdf.geometry.to_numpy())
    return Demand(area=cells["area_m2"].to_numpy(dtype=float), pop=pop, pop0=np.nan_to_num(pop, nan=0.0),
                  pop_known=pop_known, unit_of=unit_of,
                  on_network=study.demand_snap.on_network if n_cells else np.zeros(0, dtype=bool))


def _access(study: Study, spec: ClinicSpec, centres: gpd.GeoDataFrame, demand: Demand, notes: list[str], *,
            groups: list[np.ndarray]) -> Access:
    """Centres snapped (as points), each cell's nearest centre within the walk, each centre's reach.

    ``groups``: the unit of each cell in every grouping whose reachable centres are needed.
    """
    n_cells, n_c = len(demand.area), len(centres)
    minutes, nearest = np.full(n_cells, np.inf), np.full(n_cells, -1, dtype=np.int64)
    reach_res = np.zeros(n_c)
    reach_keys = [np.zeros(0, dtype=np.int64) for _ in groups]  # unit * n_c + centre, sorted, each pair once
    on_net = np.zeros(n_c, dtype=bool)
    walk_area = gpd.GeoDataFrame({"minutes": [], "area_m2": []}, geometry=[], crs=study.crs)
    warns: list[str] = []
    if n_c:
        cs = snap_points(study.net, centres, max_snap_m=study.max_snap_m, warn=False)
        on_net = cs.on_network
        if cs.n_off_network:
            warns.append(_off_network_text(centres, on_net, kind=spec.kind, max_snap_m=study.max_snap_m))
        near = study.engine.point_minutes(study.demand_snap, cs, cutoff_min=spec.walk)
        minutes, nearest = near.minutes, near.source
        reach_res, reach_keys = _reach(study, cs, groups, demand.pop0, walk=spec.walk,
                                       chunk_centres=spec.chunk_centres)
        if on_net.any():
            walk_area = isochrones(study.engine, cs, [spec.walk], buffer_m=spec.buffer_m)
    else:
        notes.append(messages.clinics_no_centres(spec.kind, spec.walk))
    covered = np.isfinite(minutes) & (minutes <= spec.walk + 1e-9)
    return Access(minutes=minutes, nearest=nearest, covered=covered, reach_res=reach_res, reach_keys=reach_keys,
                  on_network=on_net, walk_area=walk_area, warnings=warns)


def _off_network_text(centres: gpd.GeoDataFrame, on_net: np.ndarray, *, kind: str, max_snap_m: float) -> str:
    """The summary's warning for centres beyond the snap distance, naming up to five of them."""
    off = np.flatnonzero(~on_net)
    names = ", ".join(repr(str(n)) for n in centres["name"].to_numpy()[off[:5]])
    return (f"{kind} centres: {len(off)} of {len(centres)} points are more than {max_snap_m:g} m from the street "
            f"network and are reported as off-network (e.g. {names}). Check their coordinates "
            "(GCJ-02/BD-09 given as WGS84?) or raise the snap distance.")


def _unit_rows(spec: ClinicSpec, unit_gdf: gpd.GeoDataFrame, demand: Demand, unit_of: np.ndarray, access: Access,
               reach_key: np.ndarray, inside: tuple[np.ndarray, np.ndarray], names: np.ndarray,
               residents: Residents, *, max_snap_m: float) -> list[dict[str, Any]]:
    """One row per unit (``unit_of``: the unit of each cell): residents, centres inside and reachable,
    the count and reach tests, and the reasons of a failure.

    A unit without residential land cannot be measured by the reach test: its shares and
    ``passes_reach`` are None, and ``passes`` is None unless the count test already fails.
    """
    keys, n_c = spec.keys, len(names)
    ci, ui_of = inside
    area, pop0, covered = demand.area, demand.pop0, access.covered
    reach_bounds = np.searchsorted(reach_key, np.arange(len(unit_gdf) + 1, dtype=np.int64) * max(n_c, 1))
    has_given = "population" in unit_gdf.columns
    rows = []
    for ui in range(len(unit_gdf)):
        sel = unit_of == ui
        in_c = np.sort(ci[ui_of == ui])
        reach = reach_key[reach_bounds[ui]:reach_bounds[ui + 1]] - ui * n_c
        land = float(area[sel].sum())
        cell_pop = float(pop0[sel].sum())
        given = float(unit_gdf["population"].iloc[ui]) if has_given else np.nan
        if has_given and np.isfinite(given):
            res, res_src = given, "given"
        elif demand.pop_known:
            res, res_src = cell_pop, ("estimate: sum of cell residents" if residents.is_estimate
                                      else "sum of cell residents")
        else:
            res, res_src = np.nan, "unknown"
        res_cov = float(pop0[sel & covered].sum())
        share_res = res_cov / cell_pop if (demand.pop_known and cell_pop > 0) else np.nan
        share_land = float(area[sel & covered].sum()) / land if land > 0 else np.nan
        n_in = len(in_c)
        rpc = res / n_in if (n_in > 0 and np.isfinite(res)) else np.nan
        need = max(spec.min_per_town, math.ceil(res / spec.hi - 1e-9)) if np.isfinite(res) else spec.min_per_town
        passes_count = n_in >= need
        reach_share = share_res if np.isfinite(share_res) else share_land  # land when residents are unknown
        passes_reach = (bool(reach_share >= spec.reach_target - 1e-12) if np.isfinite(reach_share) else None)
        passes = False if not passes_count else passes_reach
        name = unit_gdf["unit_name"].iloc[ui]
        rows.append({
            "unit_name": name,
            "name": name,
            "residents": res,
            "residents_source": res_src,
            "residential_area_m2": round(land, 1),
            "demand_cells": int(sel.sum()),
            "centres_inside": n_in,
            "centre_names": "; ".join(map(str, names[in_c])),
            "centres_reachable": len(reach),
            "reachable_names": "; ".join(map(str, names[reach])),
            keys["residents"]: res_cov if demand.pop_known and land > 0 else np.nan,
            keys["share_residents"]: share_res,
            keys["share_land"]: share_land,
            "residents_per_centre": rpc,
            "required_centres": int(need),
            "missing_centres": int(max(0, need - n_in)),
            "passes_count": bool(passes_count),
            "passes_reach": passes_reach,
            "passes": passes,
            "below_min_catchment": bool(np.isfinite(rpc) and rpc < spec.lo),
            "result": _result_word(passes_count, passes_reach),
            "unit_area_m2": round(float(unit_gdf.geometry.iloc[ui].area), 1),
            "reasons": _reasons(spec, n_in, int(need), share_res, share_land, n_c,
                                off_share=off_network_land(area[sel], demand.on_network[sel]),
                                max_snap_m=max_snap_m),
        })
    return rows


def _reasons(spec: ClinicSpec, n_in: int, need: int, share_res: float, share_land: float, n_centres: int, *,
             off_share: float, max_snap_m: float) -> list[dict[str, Any]]:
    """Why a unit fails S-H-01, most basic first: no centre at all, too few inside, homes beyond the walk."""
    out: list[dict[str, Any]] = []
    if not n_centres:
        out.append({"code": "no_facilities", "kind": spec.kind})
    if n_in < need:
        out.append({"code": "too_few_centres", "kind": spec.kind, "centres_inside": n_in, "required_centres": need})
    if n_centres and off_share > 0.005 and (np.isfinite(share_res) or np.isfinite(share_land)):
        reach = share_res if np.isfinite(share_res) else share_land
        if reach < spec.reach_target - 1e-12:
            out.append({"code": "off_network_land", "share_land": round(off_share, 4), "max_snap_m": max_snap_m})
    if n_centres and np.isfinite(share_res) and share_res < spec.reach_target - 1e-12:
        out.append({"code": "residents_beyond_minutes", "kind": spec.kind, "minutes": spec.walk,
                    "covered_share_residents": round(float(share_res), 4)})
    elif (n_centres and not np.isfinite(share_res) and np.isfinite(share_land)
          and share_land < spec.reach_target - 1e-12):
        out.append({"code": "beyond_minutes", "kind": spec.kind, "minutes": spec.walk,
                    "covered_share_land": round(float(share_land), 4)})
    return out


def _table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """The ``units`` table: the rows, with the reasons in words."""
    flat = [_flat(r) for r in rows]
    return pd.DataFrame(flat, columns=list(flat[0]) if flat else [])


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """One unit's table row: ``name`` first, the reasons in words."""
    return {"name": row["name"], **{k: v for k, v in row.items() if k not in ("name", "reasons")},
            "reasons": reasons_line(row["reasons"])}


def _centre_layer(spec: ClinicSpec, centres: gpd.GeoDataFrame, unit_gdf: gpd.GeoDataFrame, demand: Demand,
                  access: Access, inside: tuple[np.ndarray, np.ndarray]) -> gpd.GeoDataFrame:
    """Centres with their unit and catchment (each covered cell counts once, for its nearest centre)."""
    n_c = len(centres)
    first = first_unit(inside[0], inside[1], n_c)  # first unit by position
    centre_unit = np.full(n_c, None, dtype=object)
    centre_unit[first >= 0] = unit_gdf["unit_name"].to_numpy()[first[first >= 0]]
    nearest, ok = access.nearest, access.nearest >= 0
    catch_res = np.bincount(nearest[ok], weights=demand.pop0[ok], minlength=n_c) if n_c else np.zeros(0)
    catch_land = np.bincount(nearest[ok], weights=demand.area[ok], minlength=n_c) if n_c else np.zeros(0)
    catch_cells = np.bincount(nearest[ok], minlength=n_c) if n_c else np.zeros(0, dtype=np.int64)
    known = demand.pop_known
    return gpd.GeoDataFrame(
        {
            "centre_id": np.arange(n_c, dtype=np.int64),
            "name": centres["name"].to_numpy(),
            "kind": centres["kind"].to_numpy(),
            "unit_name": centre_unit,
            "on_network": access.on_network.astype(bool),
            "catchment_residents": catch_res if known else np.full(n_c, np.nan),
            "catchment_cells": catch_cells.astype(np.int64),
            "catchment_land_m2": np.round(catch_land, 1),
            "reachable_residents": access.reach_res if known else np.full(n_c, np.nan),
            spec.keys["over_cap"]: (catch_res > spec.hi) if known else np.zeros(n_c, dtype=bool),
        },
        geometry=centres.geometry.to_numpy(), crs=centres.crs,
    )


def _uncovered_layer(study: Study, unit_gdf: gpd.GeoDataFrame, demand: Demand, access: Access) -> gpd.GeoDataFrame:
    """Residential cells beyond the walk, with their unit, land, residents and whether they are off the network."""
    unc = ~access.covered
    un_names = unit_gdf["unit_name"].to_numpy()
    u = demand.unit_of[unc]
    return gpd.GeoDataFrame(
        {
            "unit_name": (np.where(u >= 0, un_names[np.maximum(u, 0)], None) if len(un_names)
                          else np.full(int(unc.sum()), None)),
            "area_m2": demand.area[unc],
            "residents": demand.pop[unc],
            "off_network": ~demand.on_network[unc],
        },
        geometry=study.demand.geometry.to_numpy()[unc], crs=study.crs,
    )


def _rule_text(spec: ClinicSpec) -> str:
    """The rule measured, in words (summary ``rule``)."""
    return messages.clinics_rule(min_per_town=spec.min_per_town, cap=spec.hi, reach_target=spec.reach_target,
                                 walk_min=spec.walk, floor=spec.lo)


def _district(study: Study, spec: ClinicSpec, centres: gpd.GeoDataFrame, demand: Demand, access: Access,
              residents: Residents) -> dict[str, Any]:
    """District-wide figures of the summary: residents, shares within the walk, residents per centre."""
    keys, area, pop0, covered = spec.keys, demand.area, demand.pop0, access.covered
    cpts = centres.geometry.to_numpy()
    n_area = int(shapely.covers(study.area, cpts).sum()) if len(cpts) else 0
    total_res = float(np.nansum(demand.pop) + residents.unplaced) if demand.pop_known else None
    land_total = float(area.sum())
    share_res_all = float(pop0[covered].sum() / pop0.sum()) if demand.pop_known and pop0.sum() > 0 else None
    share_land_all = float(area[covered].sum() / land_total) if land_total > 0 else None
    return {
        "centres": len(centres),
        "centres_in_area": n_area,
        "centres_off_network": int((~access.on_network).sum()),
        "residents": None if total_res is None else round(total_res, 0),
        "residents_unplaced": round(float(residents.unplaced), 0),
        "population_source": residents.source,
        "population_is_estimate": bool(residents.is_estimate),
        "residential_area_m2": round(land_total, 1),
        keys["share_residents"]: None if share_res_all is None else round(share_res_all, 6),
        keys["share_land"]: None if share_land_all is None else round(share_land_all, 6),
        "residents_per_centre": (round(total_res / n_area, 1) if (total_res is not None and n_area) else None),
        "demand_cells": len(area),
        "demand_off_network": int((~demand.on_network).sum()),
    }


def _summary(study: Study, spec: ClinicSpec, rows: list[dict[str, Any]], centres: gpd.GeoDataFrame,
             centre_layer: gpd.GeoDataFrame, demand: Demand, access: Access, residents: Residents,
             units_source: str, notes: list[str]) -> dict[str, Any]:
    """The JSON summary (keys listed in the README).

    A test passes for the area when it passes in every unit where it is measured (and is
    measured in one at least); the reach test is not measured in units without residential land.
    """

    def every(key: str) -> bool:
        measured = [r[key] for r in rows if r[key] is not None]
        return bool(measured) and all(measured)

    return {
        "analysis": "community health service centres (S-H-01)",
        **_standard_part(study, spec),
        "units_source": units_source,
        "units_count": len(rows),
        "reach_target_share": spec.reach_target,
        "keys": spec.keys,
        "units_passing": int(sum(r["passes"] is True for r in rows)),
        "units_passing_count": int(sum(r["passes_count"] for r in rows)),
        "units_passing_reach": int(sum(r["passes_reach"] is True for r in rows)),
        "units_not_measured_reach": int(sum(r["passes_reach"] is None for r in rows)),
        "passes_count": every("passes_count"),
        "passes_reach": every("passes_reach"),
        "passes": every("passes_count") and every("passes_reach"),
        "units_below_min_catchment": int(sum(r["below_min_catchment"] for r in rows)),
        f"centres_{spec.keys['over_cap']}": int(centre_layer[spec.keys["over_cap"]].sum()),
        **_district(study, spec, centres, demand, access, residents),
        "units": [{k: _plain(v) for k, v in r.items()} for r in rows],
        "notes": notes,
        "warnings": access.warnings,
    }


def _standard_part(study: Study, spec: ClinicSpec) -> dict[str, Any]:
    """The summary's account of the standard: its text, the rule and the values used."""
    cfg = spec.cfg
    return {
        "standard": cfg.standard,
        "source": cfg.source,
        "plan_text": cfg.plan_text,
        "garbled_number_note": cfg.residents_per_centre_min.note or cfg.residents_per_centre_max.note,
        "rule": _rule_text(spec),
        "kind": spec.kind,
        "walk_minutes": spec.walk,
        "walk_speed_kmh": study.net.speed_kmh,
        "walk_distance_m": round(spec.walk * study.net.metres_per_minute, 1),
        "min_per_town": spec.min_per_town,
        "residents_per_centre_min": spec.lo,
        "residents_per_centre_max": spec.hi,
        "plan_counts": {
            "existing_centres": None if cfg.existing_centres is None else round(float(cfg.existing_centres.value)),
            "towns": None if cfg.towns is None else round(float(cfg.towns.value)),
        },
    }


# ------------------------------------------------------------------------------------ helpers


def _plain(v: Any) -> Any:
    if isinstance(v, (float, np.floating)):
        return None if not np.isfinite(v) else round(float(v), 6)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def _reach(
    study: Study, cs: SnappedPoints, groups: list[np.ndarray], pop0: np.ndarray, *, walk: float, chunk_centres: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Residents each centre reaches within ``walk`` min, and the (unit, centre) reach pairs of each grouping.

    The centres' catchments are searched ``chunk_centres`` at a time and each chunk is
    reduced at once, so no more than one chunk's (centre, cell) pairs is ever held.

    Returns
    -------
    reach_res, reach_keys
        ``reach_res[c]``: sum of ``pop0`` (persons) over the cells centre ``c`` reaches;
        ``reach_keys[g]``: sorted unique ``unit * n_centres + centre`` for every unit of
        grouping ``groups[g]`` (the unit of each cell) with a cell the centre reaches (cells
        outside every unit, ``-1``, are left out).
    """
    n_c = len(cs)
    reach_res = np.zeros(n_c)
    keys: list[list[np.ndarray]] = [[] for _ in groups]
    for cat in study.engine.point_catchment_chunks(study.demand_snap, cs, cutoff_min=walk, chunk_sources=chunk_centres):
        # a centre's pairs all sit in one chunk, in cell order: the sums equal one bincount over all pairs
        reach_res += np.bincount(cat.source, weights=pop0[cat.node], minlength=n_c)
        for g, unit_of in enumerate(groups):
            u = unit_of[cat.node]
            keep = u >= 0
            keys[g].append(np.unique(u[keep] * np.int64(n_c) + cat.source[keep]))
    reach_keys = [(np.unique(np.concatenate(k)) if k else np.zeros(0, dtype=np.int64)).astype(np.int64) for k in keys]
    return reach_res, reach_keys


def _resolve_units(
    study: Study, standards: Standards, residents: Residents | None, units: Grouping | None, notes: list[str]
) -> tuple[gpd.GeoDataFrame, str, Residents]:
    """(units with ``unit_name`` [+ ``population``], a sentence saying where they come from, residents)."""
    if units is not None:
        u = units.gdf
        if residents is not None and residents.units is not None:
            notes.append(messages.CLINICS_UNITS_OVER_POPULATION)
        if residents is None:
            if "population" in u.columns:
                residents = given_residents(study, u, source="given: units argument (population)",
                                           source_zh="给定：units 参数（population 列）")
            else:
                residents = estimate_residents(study, standards.population)
        src = units.check.get("source")
        return u, "units argument" + (f" ({src})" if src else ""), residents
    if residents is not None and residents.units is not None:
        u = normalise_units(residents.units, study.crs, what="population layer")
        return u, f"population layer ({residents.source})", residents
    if residents is None:
        residents = estimate_residents(study, standards.population)
    u = gpd.GeoDataFrame({"unit_name": [STUDY_AREA_UNIT]}, geometry=[study.area], crs=study.crs)
    return u, f"{STUDY_AREA_UNIT}: no units given, the whole area is one unit", residents


def reach_keys(walk_minutes: float, cap_residents: float) -> dict[str, str]:
    """Column and key names that carry the values used (e.g. 15 min, 100,000 residents)."""
    tag = f"{walk_minutes:g}min".replace(".", "_")
    return {
        "residents": f"residents_within_{tag}",
        "share_residents": f"share_residents_within_{tag}",
        "share_land": f"share_land_within_{tag}",
        "over_cap": f"over_{cap_residents / 1000:g}k".replace(".", "_"),
    }


def _result_word(passes_count: bool, passes_reach: bool | None) -> str:
    """``pass``, which test failed, or that the reach test could not be measured (no residential land)."""
    if passes_reach is None:
        return "fail: count" if not passes_count else "not measured: no residential land"
    if passes_count and passes_reach:
        return "pass"
    failed = [name for name, ok in (("count", passes_count), ("reach", passes_reach)) if not ok]
    return "fail: " + " and ".join(failed)


def _centre_frame(fac: gpd.GeoDataFrame, kind: str, crs: Any) -> gpd.GeoDataFrame:
    """Centres as points (a point inside polygons) with a display name."""
    geoms = fac.geometry.to_numpy()
    if len(geoms):
        not_pt = shapely.get_type_id(geoms) != 0
        if not_pt.any():
            geoms = geoms.copy()
            geoms[not_pt] = shapely.point_on_surface(geoms[not_pt])
    raw = fac["name"].to_numpy() if "name" in fac.columns else np.full(len(fac), None)
    names = [str(v).strip() if isinstance(v, str) and v.strip() else f"{kind} #{i + 1}" for i, v in enumerate(raw)]
    return gpd.GeoDataFrame({"name": names, "kind": [kind] * len(fac)}, geometry=geoms, crs=crs)
