"""Service gaps and where to build next: uncovered demand, gap areas, proposed sites, 2SFCA.

For one facility kind and walking time (e.g. clinics within 15 min, the 15-min community
circle), this analysis:

1. measures which residential demand cells reach an existing facility of the kind within
   the time (the same coverage as the living circles: :func:`geo.coverage.minutes_by_kind`);
2. groups the cells that do not into **gap areas** (cells sharing an edge or corner), each
   with its land area and residents;
3. proposes sites for new facilities, existing ones staying open: for ``n_new`` sites the
   maximal covering problem (MCLP), otherwise the fewest sites reaching the target share
   (set covering, LSCP), exact (PySAL spopt + CBC) when small and greedy with a stated bound
   when large (:mod:`geo.siting`). Candidates come from the planner's list or are generated
   on the walk network within reach of the gaps;
4. reports each site's marginal gain (residents and m² newly covered, in the order of gain)
   and the coverage before and after;
5. for clinics, the two-step floating catchment ratio (2SFCA) per population unit, before
   and after, so that overloaded centres show, not only missing ones.

A demand cell is *covered* when its walk to the facility is at most the cutoff (within the
engine's 1e-9 min tolerance). :func:`verify_after` adds the proposed sites to the study's
facilities and re-runs that coverage, reproducing the "after" figure.

Summary keys (``gaps.json``)
----------------------------
=============================  =========  =======================================================
key                            unit       meaning
=============================  =========  =======================================================
``kind``                       --         facility kind analysed (``[kinds.<kind>]``)
``minutes``                    min        walking-time standard (cutoff)
``distance_m``                 m          the same at the walking speed
``walk_speed_kmh``             km/h       walking speed of the network
``variant`` / ``tier``         --         living-circle variant / tier giving minutes and target
``target_share``               share      share to reach when ``n_requested`` is null
``objective``                  --         ``residents`` or ``land``: what the sites maximise
                                          (``n_requested`` set) or the target counts (null)
``population_source``          --         ``given: ...`` or ``estimate: ...`` (null: no residents)
``existing_facilities``        count      facilities of the kind (fixed, stay open)
``residential_area_m2``        m²         residential land (demand cells) in the area
``residents``                  persons    residents on it (null without population)
``demand_cells``               count      demand cells (50 m grid pieces of residential land)
``demand_off_network``         count      cells farther than the snap distance from any street
``before`` / ``after``         --         ``covered_share_land`` (share), ``covered_share_residents``
                                          (share), ``uncovered_area_m2`` (m²), ``uncovered_residents``
                                          (persons), without / with the proposed sites
``gap_areas``                  count      groups of touching uncovered cells
``gap_area_m2``                m²         uncovered residential land (= ``before.uncovered_area_m2``)
``gap_residents``              persons    residents on it
``largest_gap_area_m2``        m²         land of the largest gap area
``unreachable_area_m2``        m²         uncovered land no candidate can reach (stays uncovered)
``unreachable_residents``      persons    residents on it
``candidates``                 --         ``source`` (``planner list`` / ``generated: ...``), ``count``,
                                          ``off_network`` (count)
``n_requested``                count      sites asked for; null = as many as needed for the target
``n_proposed``                 count      sites proposed (fewer when more would add nothing)
``target_reached``             bool       with ``n_requested`` null: the target share is reached
``sites``                      --         per site in order of gain: ``rank``, ``name``,
                                          ``gain_residents`` (persons), ``gain_area_m2`` (m²),
                                          ``gain_cells`` (count), ``covered_share_land_after``
                                          and ``covered_share_residents_after`` (cumulative shares)
``solver``                     --         ``problem`` (MCLP/LSCP), ``method`` (exact/greedy),
                                          ``solver``, ``status``, ``optimal``, ``solve_time_s`` (s),
                                          ``bound`` (``kind``, ``ratio``, ``lp_bound``, ``gap``),
                                          ``greedy_gain``, ``model`` (sizes), ``notes``
``two_step_fca``               --         clinics only (else null): ``cutoff_min`` (min),
                                          ``supply_per_facility`` (centres), ``units_source``,
                                          ``residents_per_centre_max`` (persons),
                                          ``units_without_access_before/after`` (count),
                                          ``units_overloaded_before/after`` (count),
                                          ``facilities_overloaded`` (count)
``timings_s``                  s          ``coverage``, ``candidates``, ``matrix``, ``solve``, ``fca``
=============================  =========  =======================================================
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geo._errors import DataError, InputError
from geo.coverage import minutes_by_kind, minutes_column
from geo.demand import share
from geo.siting import (
    EXACT_MAX_CELLS, TIME_LIMIT_S, SitingResult, candidate_sites, coverage_matrix, lscp, mclp, two_step_fca,
)
from geo.snapping import OffNetworkWarning, snap_points

from .population import Residents
from .lonlat import input_systems, with_lonlat
from .result import AnalysisResult
from .standards import LIMITS, Standards
from .study import Study

Objective = Literal["residents", "land"]

#: Tolerance of "within the cutoff", minutes (the engine's own).
CUTOFF_TOL_MIN = 1e-9


def gap_analysis(
    study: Study,
    standards: Standards,
    *,
    kind: str = "clinic",
    minutes: float | None = None,
    variant: str | None = None,
    residents: Residents | None = None,
    n_new: int | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    method: Literal["auto", "exact", "greedy"] = "auto",
    objective: Objective | None = None,
    target_share: float | None = None,
    candidate_where: Literal["nodes", "edges"] = "nodes",
    thin_m: float = 100.0,
    max_candidates: int = 1000,
    exact_max_cells: int = EXACT_MAX_CELLS,
    time_limit_s: float = TIME_LIMIT_S,
) -> AnalysisResult:
    """Find demand that misses the standard, group it into gap areas and propose new sites.

    Parameters
    ----------
    study
        Loaded study (walk network at the standards' speed).
    standards
        The standards: the kind, and the living-circle tier giving minutes and target.
    kind
        Facility kind, e.g. ``"clinic"``, ``"park"``, ``"school"``.
    minutes
        Walking-time standard, minutes. Default: the minutes of the tier of ``variant``
        that lists ``kind`` (clinic: 15, the community circle).
    variant
        Living-circle variant for the default minutes and the target share (default: the
        standards' default variant).
    residents
        Residents per demand cell. Needed for resident figures and the 2SFCA.
    n_new
        Number of new sites (MCLP); None = as many as needed to reach the target (LSCP).
    candidates
        The planner's candidate sites (points, any CRS; polygons use a point inside). None =
        generated on the walk network within reach of the gaps.
    method
        ``"auto"`` (exact when small enough), ``"exact"`` or ``"greedy"``.
    objective
        What the sites maximise (``n_new`` given) or what the target share counts
        (``n_new`` None): ``"residents"`` or ``"land"`` (m² of residential land). Default:
        residents for ``n_new`` sites when residents are known, else land; for the target,
        land, the measure of the Beichen living-circle targets ("share of residential land").
    target_share
        Share of the objective to reach when ``n_new`` is None (default: the tier's target,
        1.0 for every Beichen circle).
    candidate_where
        Generated candidates at street ``"nodes"`` or every 100 m along ``"edges"``.
    thin_m
        Generated candidates: at most one per ``thin_m`` x ``thin_m`` square, metres.
    max_candidates
        Generated candidates: cap (the squares grow until it holds), count.
    exact_max_cells
        Largest presolved model (demand groups x candidates) solved exactly by ``"auto"``.
    time_limit_s
        CBC time limit, seconds.

    Returns
    -------
    AnalysisResult
        ``name="gaps"``. Layers ``gap_areas``, ``proposed_sites``, ``demand_cells``,
        ``candidates``, ``facilities`` (+ ``fca_units`` for clinics). Tables ``sites``,
        ``areas`` (+ ``fca_units``, ``fca_facilities``). Summary keys: module docstring.
        ``result.siting`` holds the :class:`geo.siting.SitingResult`.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if kind not in standards.kinds:
        raise InputError(f"unknown kind {kind!r}; known kinds: {', '.join(standards.kinds)}")
    v = standards.circle_variant(variant)
    minutes, tier = _resolve_minutes(standards, v, kind, minutes)
    lim = LIMITS["circles.*.tiers.*.minutes"]
    if not (np.isfinite(minutes) and lim.lo < minutes <= lim.hi):
        raise InputError(f"walking minutes (--minutes) must be more than {lim.lo:g} and at most {lim.hi:g}, got {minutes!r}")
    if target_share is None:
        target_share = float(tier.target_share.value) if tier is not None else float(v.target_share.value)
    if not 0 < target_share <= 1:
        raise InputError(f"target share must be in (0, 1], got {target_share!r}")
    if n_new is not None and (isinstance(n_new, bool) or not isinstance(n_new, (int, np.integer)) or n_new < 1):
        raise InputError(f"the number of new sites (--n) must be a whole number >= 1, got {n_new!r}")
    mode = study.net.mode
    col = minutes_column(mode, kind)
    cells = study.demand.drop(columns=["point"]).copy()
    area = cells["area_m2"].to_numpy(float)
    pop = None
    if residents is not None:
        if len(residents.per_cell) != len(cells):
            raise DataError(f"residents are given for {len(residents.per_cell)} cells, the study has {len(cells)}")
        pop = np.nan_to_num(np.asarray(residents.per_cell, dtype=float))
    objective = _resolve_objective(objective, pop, target_mode=n_new is None)
    weights = pop if objective == "residents" else area

    # ---- 1. coverage by existing facilities (the living circles' coverage)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OffNetworkWarning)
        table, report = minutes_by_kind(
            study.engine, study.demand.set_geometry("point"), study.facilities, kinds=[kind], cutoff_min=minutes,
            max_snap_m=study.max_snap_m, demand_snap=study.demand_snap,
            facility_snaps={kind: study.snapped_facilities(kind)} if len(study.facilities_of(kind)) else None,
        )
    mins_before = table[col].to_numpy(float)
    covered_before = np.isfinite(mins_before)  # inf beyond the cutoff, NaN off-network
    timings["coverage"] = time.perf_counter() - t0

    # ---- 2. gap areas
    uncovered = ~covered_before
    gap_of = _gap_labels(cells, uncovered)

    # ---- 3. candidates
    t = time.perf_counter()
    cand, cand_source = _candidates(study, candidates, uncovered, minutes, candidate_where, thin_m, max_candidates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OffNetworkWarning)
        cand_snap = snap_points(study.net, cand, max_snap_m=study.max_snap_m, what="candidate sites", warn=False)
    timings["candidates"] = time.perf_counter() - t
    t = time.perf_counter()
    cover = coverage_matrix(study.engine, study.demand_snap, cand_snap, cutoff_min=minutes, covered_before=covered_before)
    if candidates is None:  # thinning may have dropped the only places reaching some gap cells: add them back
        cand, cand_snap, cover = _repair(study, cand, cand_snap, cover, uncovered, minutes, thin_m)
    cand["on_network"] = cand_snap.on_network
    timings["matrix"] = time.perf_counter() - t

    # ---- 4. solve
    t = time.perf_counter()
    kw: dict[str, Any] = {"method": method, "exact_max_cells": exact_max_cells, "time_limit_s": time_limit_s}
    res = mclp(cover, weights, int(n_new), **kw) if n_new is not None else lscp(cover, weights, target_share=target_share, **kw)
    timings["solve"] = time.perf_counter() - t
    covered_after = res.covered_after

    # ---- 5. outputs
    site_rank = np.where(res.covered_by_site >= 0, res.covered_by_site + 1, 0)
    cells[col] = mins_before
    cells["covered_before"] = covered_before
    cells["covered_after"] = covered_after
    cells["new_site_rank"] = site_rank
    cells["gap_area"] = gap_of
    cells["reachable_by_candidates"] = cover.reachable
    if pop is not None:
        cells["residents"] = pop

    systems = input_systems(study.log, None if candidates is None else candidates.attrs.get("coords"))
    sites = with_lonlat(_sites_frame(cand, res, area, pop, covered_before, study.crs, kind), systems=systems)
    areas = _areas_frame(cells, gap_of, pop, study.crs)
    cand_out = cand.copy()
    rank = np.zeros(len(cand), dtype=np.int64)
    rank[res.sites] = np.arange(1, len(res.sites) + 1)
    cand_out["chosen_rank"] = rank
    cand_out["demand_cells_reached"] = np.diff(cover.a.indptr)

    fac = study.facilities_of(kind)
    fac_out = gpd.GeoDataFrame(fac[["kind", "geometry"]].assign(name=fac.get("name")), geometry="geometry", crs=study.crs)

    t = time.perf_counter()
    fca_summary, fca_units, fca_fac = None, None, None
    if _is_clinic(standards, kind):
        fca_summary, fca_units, fca_fac = _fca(study, standards, fac, sites, pop, residents, cells, gap_of, minutes)
    timings["fca"] = time.perf_counter() - t

    unreach = uncovered & ~cover.reachable
    summary = {
        "analysis": "service gaps and proposed sites",
        "kind": kind, "kind_label_en": standards.kinds[kind].label_en, "kind_label_zh": standards.kinds[kind].label_zh,
        "minutes": float(minutes), "distance_m": round(float(minutes) * study.net.metres_per_minute, 1),
        "walk_speed_kmh": study.net.speed_kmh,
        "variant": v.name, "tier": None if tier is None else tier.name,
        "target_share": float(target_share), "objective": objective,
        "population_source": None if residents is None else residents.source,
        "existing_facilities": int(report["facilities"].get(kind, 0)),
        "existing_off_network": int(report["facilities_off_network"].get(kind, 0)),
        "residential_area_m2": round(float(area.sum()), 1),
        "residents": None if pop is None else round(float(pop.sum()), 1),
        "demand_cells": int(len(cells)), "demand_off_network": int(report["demand_off_network"]),
        "before": _state(area, pop, covered_before),
        "after": _state(area, pop, covered_after),
        "gap_areas": int(len(areas)),
        "gap_area_m2": round(float(area[uncovered].sum()), 1),
        "gap_residents": None if pop is None else round(float(pop[uncovered].sum()), 1),
        "largest_gap_area_m2": round(float(areas["area_m2"].max()), 1) if len(areas) else 0.0,
        "unreachable_area_m2": round(float(area[unreach].sum()), 1),
        "unreachable_residents": None if pop is None else round(float(pop[unreach].sum()), 1),
        "candidates": {"source": cand_source, "count": int(len(cand)), "off_network": int((~cand_snap.on_network).sum())},
        "n_requested": None if n_new is None else int(n_new),
        "n_proposed": int(len(res.sites)),
        "target_reached": res.target_reached,
        "unreachable_share": round(share(weights, unreach), 6) if weights is not None and weights.sum() > 0 else 0.0,
        "unreachable_off_network_share": (round(share(weights, unreach & ~study.demand_snap.on_network), 6)
                                          if weights is not None and weights.sum() > 0 else 0.0),
        "sites": [
            {k: (None if isinstance(val, float) and np.isnan(val) else val) for k, val in row.items()}
            for row in pd.DataFrame(sites.drop(columns="geometry")).to_dict("records")
        ],
        "solver": {k: val for k, val in res.summary().items()
                   if k in ("problem", "method", "solver", "status", "optimal", "solve_time_s", "bound",
                            "greedy_gain", "model", "notes")},
        "two_step_fca": fca_summary,
        "timings_s": {k: round(val, 3) for k, val in timings.items()},
        "warnings": [str(w.message) for w in caught],
        "note": ("Coverage is along the walk network (a cell counts when its representative point is within the "
                 "time). Existing facilities stay open. Generated candidates are street nodes within reach of the "
                 "gaps: check that a site can actually be built there."),
    }
    layers = {"gap_areas": areas, "proposed_sites": sites, "demand_cells": cells, "candidates": cand_out,
              "facilities": fac_out}
    tables = {"sites": pd.DataFrame(sites.drop(columns="geometry")), "areas": pd.DataFrame(areas.drop(columns="geometry"))}
    if fca_units is not None:
        layers["fca_units"] = fca_units
        tables["fca_units"] = pd.DataFrame(fca_units.drop(columns="geometry"))
        tables["fca_facilities"] = fca_fac
    summary["headline"] = headline(summary)
    result = AnalysisResult(name="gaps", summary=summary, layers=layers, tables=tables)
    result.siting = res  # type: ignore[attr-defined]
    result.make_map = lambda **kw: _map(result, standards, **kw)
    return result


# ---------------------------------------------------------------------------- headline
def headline(s: dict[str, Any], *, lang: str = "en") -> str:
    """The result in one line, in the objective's own measure, honest about an unreachable target."""
    zh = lang == "zh"
    what = ("人口" if zh else "residents") if s["objective"] == "residents" else ("居住用地" if zh else "residential land")
    key = "covered_share_residents" if s["objective"] == "residents" else "covered_share_land"
    b, a = s["before"][key], s["after"][key]
    n = s["n_proposed"]
    if zh:
        text = f"{what}覆盖 {b:.1%} → {a:.1%}，新增 {n} 处"
    else:
        text = f"{what} covered {b:.1%} -> {a:.1%} with {n} new site{'s' if n != 1 else ''}"
    if s["n_requested"] is None:
        if s["target_reached"]:
            text += f"（达到目标 {s['target_share']:.0%}）" if zh else f" (target {s['target_share']:.0%} reached)"
        else:
            u, off = s["unreachable_share"], s["unreachable_off_network_share"]
            text += (f"；目标 {s['target_share']:.0%} 无法达到：{u:.1%} 的{what}在任何候选点 {s['minutes']:g} 分钟步行范围之外"
                     f"（其中 {off:.1%} 不在路网上）" if zh else
                     f"; the target {s['target_share']:.0%} cannot be reached: {u:.1%} of {what} is beyond "
                     f"{s['minutes']:g} min of every candidate site ({off:.1%} off the street network)")
    return text


# ---------------------------------------------------------------------------- helpers
def _resolve_minutes(standards: Standards, v, kind: str, minutes: float | None):
    tiers_with = [t for t in v.tiers if kind in t.kinds]
    if minutes is None:
        if tiers_with:
            return float(tiers_with[0].minutes.value), tiers_with[0]
        if kind == standards.clinics.kind:
            return float(standards.clinics.walk_minutes.value), None
        raise InputError(
            f"kind {kind!r} is in no tier of the living-circle variant {v.name!r}; give the walking time "
            "with --minutes N (or --circle N)"
        )
    if not np.isfinite(minutes) or minutes <= 0:
        raise InputError(f"the walking time must be a positive number of minutes, got {minutes!r}")
    same = [t for t in v.tiers if float(t.minutes.value) == float(minutes)]
    tier = next((t for t in same if kind in t.kinds), same[0] if same else None)
    return float(minutes), tier


def _resolve_objective(objective: str | None, pop: np.ndarray | None, *, target_mode: bool) -> str:
    """Default: the standard's own measure (residential land) when reaching a target share,
    residents (when known) when placing a fixed number of sites."""
    if objective is None:
        return "residents" if not target_mode and pop is not None and pop.sum() > 0 else "land"
    if objective not in ("residents", "land"):
        raise InputError(f"objective must be 'residents' or 'land', got {objective!r}")
    if objective == "residents" and (pop is None or pop.sum() <= 0):
        raise InputError("objective 'residents' needs residents per cell (give --population, or use objective 'land')")
    return objective


def _is_clinic(standards: Standards, kind: str) -> bool:
    return kind in (standards.clinics.kind, "clinic", "chsc")


def _state(area: np.ndarray, pop: np.ndarray | None, covered: np.ndarray) -> dict[str, Any]:
    return {
        "covered_share_land": round(share(area, covered), 6),
        "covered_share_residents": None if pop is None else round(share(pop, covered), 6),
        "uncovered_area_m2": round(float(area[~covered].sum()), 1),
        "uncovered_residents": None if pop is None else round(float(pop[~covered].sum()), 1),
    }


def _gap_labels(cells: gpd.GeoDataFrame, uncovered: np.ndarray) -> np.ndarray:
    """Gap-area id per cell (-1 when covered): connected groups of touching uncovered cells."""
    out = np.full(len(cells), -1, dtype=np.int64)
    idx = np.flatnonzero(uncovered)
    if len(idx) == 0:
        return out
    geoms = cells.geometry.to_numpy()[idx]
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms, predicate="intersects")  # shared edge or corner
    g = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(len(idx), len(idx)))
    _, lab = connected_components(g, directed=False)
    # number gap areas by size (land), largest first
    land = np.bincount(lab, weights=cells["area_m2"].to_numpy()[idx])
    order = np.argsort(-land, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    out[idx] = rank[lab] + 1
    return out


def _areas_frame(cells: gpd.GeoDataFrame, gap_of: np.ndarray, pop: np.ndarray | None, crs: Any) -> gpd.GeoDataFrame:
    rows = []
    geoms = cells.geometry.to_numpy()
    area = cells["area_m2"].to_numpy()
    after = cells["covered_after"].to_numpy()
    for gid in np.unique(gap_of[gap_of > 0]):
        m = gap_of == gid
        rows.append({
            "gap_area": int(gid), "area_m2": round(float(area[m].sum()), 1),
            "residents": None if pop is None else round(float(pop[m].sum()), 1),
            "cells": int(m.sum()),
            "covered_area_m2_after": round(float(area[m & after].sum()), 1),
            "covered_residents_after": None if pop is None else round(float(pop[m & after].sum()), 1),
            "geometry": shapely.union_all(geoms[m]),
        })
    if not rows:
        return gpd.GeoDataFrame({"gap_area": [], "area_m2": [], "residents": [], "cells": []}, geometry=[], crs=crs)
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs=crs)


def _candidates(study: Study, candidates: gpd.GeoDataFrame | None, uncovered: np.ndarray, minutes: float,
                where: str, thin_m: float, max_candidates: int) -> tuple[gpd.GeoDataFrame, str]:
    if candidates is not None:
        if not isinstance(candidates, gpd.GeoDataFrame):
            raise InputError(f"candidate sites must be a GeoDataFrame, got {type(candidates).__name__}")
        if candidates.crs is None:
            raise InputError("candidate sites have no CRS; set one (EPSG:4326 for lon/lat)")
        if len(candidates) == 0:
            raise InputError("the candidate-site list is empty; give at least one site or leave it out to generate sites")
        c = candidates.to_crs(study.crs)
        g = c.geometry.to_numpy()
        bad = shapely.is_missing(g) | shapely.is_empty(g)
        if bad.any():
            raise InputError(f"candidate sites: {int(bad.sum())} row(s) have no geometry (e.g. row {int(np.flatnonzero(bad)[0]) + 1})")
        pts = np.where(shapely.get_type_id(g) == 0, g, shapely.point_on_surface(g))
        name_col = c.attrs.get("name_column") if c.attrs.get("name_column") in c else ("name" if "name" in c else None)
        names = (c[name_col].astype(str).to_numpy() if name_col else np.array([f"candidate {i + 1}" for i in range(len(c))]))
        out = gpd.GeoDataFrame({"candidate": np.arange(1, len(c) + 1), "name": names, "origin": "planner list"},
                               geometry=pts, crs=study.crs)
        return out, "planner list"
    dsnap = study.demand_snap.subset(uncovered & study.demand_snap.on_network)
    df = candidate_sites(study.engine, dsnap, cutoff_min=minutes, where=where, thin_m=thin_m, max_candidates=max_candidates)
    what = "street nodes" if where == "nodes" else "points every 100 m along streets"
    out = gpd.GeoDataFrame(
        {"candidate": np.arange(1, len(df) + 1), "name": [f"site {i + 1}" for i in range(len(df))],
         "origin": "generated", "walk_min_to_gap": df["walk_min_to_gap"].to_numpy(float)},
        geometry=gpd.points_from_xy(df["x"], df["y"]), crs=study.crs,
    )
    return out, f"generated: {what} within {minutes:g} min of the gaps, at most one per {thin_m:g} m square, cap {max_candidates}"


def _repair(study: Study, cand: gpd.GeoDataFrame, cand_snap, cover, uncovered: np.ndarray, minutes: float, thin_m: float):
    """Add a candidate at the street node nearest each on-network gap cell no candidate reaches.

    Returns the extended (candidates, snapped candidates, coverage matrix).
    """
    ds = study.demand_snap
    lost = np.flatnonzero(uncovered & ds.on_network & ~cover.reachable)
    if len(lost) == 0:
        return cand, cand_snap, cover
    eng = study.engine
    e = ds.edge[lost]
    node = np.where(ds.offset_m[lost] <= eng.length_m[e] / 2, eng.u[e], eng.v[e])
    node = np.unique(node)
    xy = study.net.nodes.geometry.to_numpy()[node]
    df = pd.DataFrame({"x": shapely.get_x(xy), "y": shapely.get_y(xy), "node": node})
    if thin_m > 0:
        gx, gy = np.floor(df["x"] / thin_m), np.floor(df["y"] / thin_m)
        df = df.loc[~pd.DataFrame({"gx": gx, "gy": gy}).duplicated()]
    k0 = len(cand)
    extra = gpd.GeoDataFrame(
        {"candidate": np.arange(k0 + 1, k0 + len(df) + 1), "name": [f"site {k0 + i + 1}" for i in range(len(df))],
         "origin": "generated (nearest node of an unreached gap cell)", "walk_min_to_gap": np.nan},
        geometry=gpd.points_from_xy(df["x"], df["y"]), crs=study.crs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OffNetworkWarning)
        es = snap_points(study.net, extra, max_snap_m=study.max_snap_m, warn=False)
    more = coverage_matrix(eng, ds, es, cutoff_min=minutes, covered_before=cover.covered_before)
    cand2 = gpd.GeoDataFrame(pd.concat([cand, extra], ignore_index=True), geometry="geometry", crs=study.crs)
    snap2 = snap_points(study.net, cand2, max_snap_m=study.max_snap_m, warn=False)
    tab = pd.concat([cover.minutes, more.minutes.assign(candidate=more.minutes["candidate"] + k0)], ignore_index=True)
    a2 = sp.csr_matrix(sp.vstack([cover.a, more.a], format="csr"), dtype=bool)
    return cand2, snap2, dataclasses.replace(cover, a=a2, minutes=tab)


def _sites_frame(cand: gpd.GeoDataFrame, res: SitingResult, area: np.ndarray, pop: np.ndarray | None,
                 covered_before: np.ndarray, crs: Any, kind: str) -> gpd.GeoDataFrame:
    g_area = res.gains(area)
    g_pop = res.gains(pop) if pop is not None else np.full(len(res.sites), np.nan)
    c_area = area[covered_before].sum() + np.cumsum(g_area)
    c_pop = (pop[covered_before].sum() + np.cumsum(g_pop)) if pop is not None else np.full(len(res.sites), np.nan)
    tot_a, tot_p = area.sum(), (pop.sum() if pop is not None else np.nan)
    sel = cand.iloc[res.sites]
    df = pd.DataFrame({
        "rank": np.arange(1, len(res.sites) + 1),
        "name": sel["name"].to_numpy(),
        "candidate": sel["candidate"].to_numpy(),
        "origin": sel["origin"].to_numpy(),
        "kind": kind,
        "gain_residents": np.round(g_pop, 1),
        "gain_area_m2": np.round(g_area, 1),
        "gain_cells": res.gain_points,
        "covered_share_land_after": np.round(c_area / tot_a, 6) if tot_a > 0 else 0.0,
        "covered_share_residents_after": np.round(c_pop / tot_p, 6) if pop is not None and tot_p > 0 else np.nan,
    })
    return gpd.GeoDataFrame(df, geometry=sel.geometry.to_numpy(), crs=crs)


# ---------------------------------------------------------------------------- 2SFCA
def _fca(study: Study, standards: Standards, fac: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, pop: np.ndarray | None,
         residents: Residents | None, cells: gpd.GeoDataFrame, gap_of: np.ndarray, minutes: float):
    """2SFCA per population unit, before and after the proposed sites (1 centre per facility)."""
    if pop is None or pop.sum() <= 0:
        return {"note": "2SFCA needs residents per cell (none given)"}, None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OffNetworkWarning)
        fs_before = snap_points(study.net, fac, max_snap_m=study.max_snap_m, warn=False)
        both = pd.concat([fac[["geometry"]], sites[["geometry"]]], ignore_index=True)
        fs_after = snap_points(study.net, gpd.GeoDataFrame(both, geometry="geometry", crs=study.crs),
                               max_snap_m=study.max_snap_m, warn=False)
    before = two_step_fca(study.engine, fs_before, study.demand_snap, demand_weights=pop, cutoff_min=minutes)
    after = two_step_fca(study.engine, fs_after, study.demand_snap, demand_weights=pop, cutoff_min=minutes)
    cap = float(standards.clinics.residents_per_centre_max.value)

    # units: the planner's population units, else the gap areas plus the whole study area
    if residents is not None and residents.units is not None and len(residents.units):
        units = residents.units.to_crs(study.crs)
        names = units["unit_name"].astype(str).to_numpy()
        pts = shapely.point_on_surface(cells.geometry.to_numpy())
        ci, ui = shapely.STRtree(units.geometry.to_numpy()).query(pts, predicate="within")
        first = pd.Series(ui).groupby(ci).min()
        unit_of = np.full(len(cells), -1)
        unit_of[first.index.to_numpy()] = first.to_numpy()
        members = [unit_of == u for u in range(len(units))]
        geoms = units.geometry.to_numpy()
        source = "population units (given)"
    else:
        gids = np.unique(gap_of[gap_of > 0])
        names = np.array(["study area"] + [f"gap area {g}" for g in gids])
        members = [np.ones(len(cells), dtype=bool)] + [gap_of == g for g in gids]
        all_geoms = cells.geometry.to_numpy()
        geoms = np.array([shapely.union_all(all_geoms[m]) for m in members], dtype=object)
        source = "gap areas and the whole study area (no population units given)"
    rows = []
    for name, m, geom in zip(names, members, geoms):
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
    names_f = fac.get("name", pd.Series([None] * len(fac), index=fac.index)).to_numpy()
    fac_tab = pd.DataFrame({
        "facility": [f"existing {i + 1}" for i in range(len(fac))] + [f"proposed #{r}" for r in sites["rank"]],
        "name": list(names_f) + list(sites["name"]),
        "catchment_residents_before": list(np.round(before.catchment_demand, 1)) + [None] * len(sites),
        "catchment_residents_after": np.round(after.catchment_demand, 1),
        "residents_per_centre_before": [(round(1 / x, 1) if np.isfinite(x) and x > 0 else None) for x in before.facility_ratio] + [None] * len(sites),
        "residents_per_centre_after": [(round(1 / x, 1) if np.isfinite(x) and x > 0 else None) for x in after.facility_ratio],
    })
    fac_tab["overloaded_before"] = [bool(v is not None and v > cap) for v in fac_tab["residents_per_centre_before"]]
    summary = {
        "method": "two-step floating catchment area (Luo & Wang 2003), walk minutes on the network",
        "cutoff_min": float(minutes), "supply_per_facility": 1.0, "units_source": source,
        "residents_per_centre_max": cap,
        "units": int(len(units_gdf)),
        "units_without_access_before": int((units_gdf["status_before"] == "no centre within reach").sum()),
        "units_without_access_after": int((units_gdf["status_after"] == "no centre within reach").sum()),
        "units_overloaded_before": int(units_gdf["status_before"].str.startswith("overloaded").sum()),
        "units_overloaded_after": int(units_gdf["status_after"].str.startswith("overloaded").sum()),
        "facilities_overloaded": int(fac_tab["overloaded_before"].sum()),
    }
    return summary, units_gdf, fac_tab


# ---------------------------------------------------------------------------- verification
def verify_after(study: Study, standards: Standards, result: AnalysisResult, *, measure: Objective = "land",
                 residents: Residents | None = None) -> float:
    """Add the proposed sites to the study's facilities and re-run the plain coverage.

    Parameters
    ----------
    study
        The study the gap analysis ran on.
    standards
        The standards (the kind must exist).
    result
        A :func:`gap_analysis` result (its ``proposed_sites`` layer, ``kind`` and ``minutes``).
    measure
        ``"land"``: share of residential land covered; ``"residents"``: share of residents
        (needs ``residents``).
    residents
        Residents per cell, for ``measure="residents"``.

    Returns
    -------
    float
        The covered share with the proposed sites open (unrounded); equals
        ``result.summary["after"]["covered_share_land"]`` (resp. ``_residents``) to its
        6 decimals.
    """
    kind = result.summary["kind"]
    minutes = float(result.summary["minutes"])
    if kind not in standards.kinds:
        raise InputError(f"unknown kind {kind!r}")
    sites = result.layers["proposed_sites"]
    added = gpd.GeoDataFrame({"kind": kind, "name": sites["name"].to_numpy()}, geometry=sites.geometry.to_numpy(),
                             crs=sites.crs).to_crs(study.crs)
    with_sites = dataclasses.replace(
        study, facilities=gpd.GeoDataFrame(pd.concat([study.facilities, added], ignore_index=True), geometry="geometry", crs=study.crs)
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OffNetworkWarning)
        table, _ = minutes_by_kind(
            with_sites.engine, with_sites.demand.set_geometry("point"), with_sites.facilities, kinds=[kind],
            cutoff_min=minutes, max_snap_m=with_sites.max_snap_m, demand_snap=with_sites.demand_snap,
        )
    covered = np.isfinite(table[minutes_column(with_sites.net.mode, kind)].to_numpy(float))
    if measure == "land":
        return share(with_sites.demand["area_m2"].to_numpy(), covered)
    if measure == "residents":
        if residents is None:
            raise InputError("measure 'residents' needs the residents per cell")
        return share(np.nan_to_num(residents.per_cell), covered)
    raise InputError(f"measure must be 'land' or 'residents', got {measure!r}")


# ---------------------------------------------------------------------------- map
def _map(result: AnalysisResult, standards: Standards, *, lang: str = "en", basemap: str = "positron"):
    from geo.maps import MapBuilder

    s = result.summary
    zh = lang == "zh"
    label = s["kind_label_zh"] if zh else s["kind_label_en"]

    def pct(x: float | None) -> str:
        return "n/a" if x is None else f"{x:.1%}"

    b, a = s["before"], s["after"]
    sol = s["solver"]
    bound = sol["bound"]
    how = (f"{sol['problem']} {sol['method']}" + (", optimal" if sol["optimal"] else
           (f", greedy ≥ {bound['ratio']:.0%} of optimum" if bound["kind"] == "greedy MCLP" else
            f", ≤ {bound['ratio']:.2f}× optimum" if bound["kind"] == "greedy LSCP" else "")))
    lines = [
        headline(s, lang=lang),
        f"{'步行' if zh else 'Walk'} {s['minutes']:g} min ({s['distance_m']:,.0f} m) — {label}",
        (f"居住用地覆盖: {pct(b['covered_share_land'])} → {pct(a['covered_share_land'])}" if zh else
         f"Residential land covered: {pct(b['covered_share_land'])} → {pct(a['covered_share_land'])}")
        + ("" if b["covered_share_residents"] is None else
           (f"; 人口 {pct(b['covered_share_residents'])} → {pct(a['covered_share_residents'])}" if zh else
            f"; residents {pct(b['covered_share_residents'])} → {pct(a['covered_share_residents'])}")),
        f"{s['gap_areas']} {'个缺口区' if zh else 'gap areas'} ({how})",
    ]
    m = MapBuilder(title=("设施缺口与新增选址" if zh else "Service gaps and proposed sites"), subtitle_lines=lines,
                   basemap=basemap, lang=lang)
    cells = result.layers["demand_cells"]
    before = cells.loc[cells["covered_before"]]
    newly = cells.loc[cells["covered_after"] & ~cells["covered_before"]]
    if len(before):
        m.add_polygons(before, name="现状已覆盖" if zh else "Covered today", color="#1a9850", fill_opacity=0.3)
    gaps = result.layers["gap_areas"]
    if len(gaps):
        tip = {("面积 (m²)" if zh else "area (m²)"): "area_m2", ("单元格" if zh else "cells"): "cells"}
        if gaps["residents"].notna().any():
            tip[("人口" if zh else "residents")] = "residents"
        m.add_polygons(gaps, name="缺口区(未覆盖)" if zh else "Gap areas (not covered)", color="#d7191c", hatch=True,
                       tooltip_cols={("缺口区" if zh else "gap area"): "gap_area", **tip})
    if len(newly):
        m.add_polygons(newly, name="新增选址后覆盖" if zh else "Covered after the proposed sites", color="#2c7bb6",
                       fill_opacity=0.45, tooltip_cols={("由选址" if zh else "by site #"): "new_site_rank"})
    units = result.layers.get("fca_units")
    if units is not None and len(units) and units["residents"].sum() > 0:
        m.add_choropleth(units, value_col="centres_per_100k_residents_before",
                         name="2SFCA 每10万人机构数(现状)" if zh else "2SFCA centres per 100,000 residents (today)",
                         legend_title="每10万人机构数" if zh else "Centres per 100k residents",
                         tooltip_cols={("单元" if zh else "unit"): "unit_name", ("状态" if zh else "status"): "status_before"},
                         value_format="{:.1f}", show=False)
    fac = result.layers["facilities"]
    if len(fac):
        f = fac.assign(name=fac["name"].fillna("").astype(str), layer="现有" if zh else "Existing")
        m.add_points(f, kind_col="layer", name_col="name", colors={f["layer"].iloc[0]: "#1a9850"},
                     legend_title="设施" if zh else "Facilities")
    sites = result.layers["proposed_sites"]
    if len(sites):
        p = sites.assign(
            layer="新增选址(按增益排序)" if zh else "Proposed sites (numbered by gain)",
            label=[f"#{r} {n}" for r, n in zip(sites["rank"], sites["name"])],
        )
        pc = {("排序" if zh else "rank"): "rank", ("新增覆盖用地 (m²)" if zh else "land newly covered (m²)"): "gain_area_m2",
              ("累计覆盖率(用地)" if zh else "land covered after"): "covered_share_land_after"}
        if p["gain_residents"].notna().any():
            pc[("新增覆盖人口" if zh else "residents newly covered")] = "gain_residents"
        m.add_points(p, kind_col="layer", name_col="label", popup_cols=pc, cluster=False,
                     colors={p["layer"].iloc[0]: "#7b3294"}, legend_title="选址" if zh else "Proposals")
    return m
