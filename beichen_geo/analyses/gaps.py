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
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components

from geo.coverage import minutes_by_kind, minutes_column
from geo.demand import share
from geo.errors import DataError, InputError
from geo.siting import (
    EXACT_MAX_CELLS,
    TIME_LIMIT_S,
    CoverageMatrix,
    SitingResult,
    candidate_sites,
    coverage_matrix,
    lscp,
    mclp,
)
from geo.snapping import SnappedPoints, snap_points

from ..lonlat import input_systems, with_lonlat
from ..population import Residents
from ..present import gaps as present
from ..present import messages
from ..result import AnalysisResult
from ..standards import LIMITS, CircleVariant, Standards, Tier
from ..study import Study
from ._fca import unit_fca

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
        ``areas`` (+ ``fca_units``, ``fca_facilities``); summary keys: module docstring; ``.siting``.
    """
    t0 = time.perf_counter()
    spec = GapSpec.from_options(standards, kind=kind, minutes=minutes, variant=variant, target_share=target_share,
                                n_new=n_new, method=method, candidate_where=candidate_where, thin_m=thin_m,
                                max_candidates=max_candidates, exact_max_cells=exact_max_cells,
                                time_limit_s=time_limit_s)
    pop = _residents_per_cell(study, residents)
    spec = dataclasses.replace(spec, objective=_resolve_objective(objective, pop, target_mode=n_new is None))
    timings: dict[str, float] = {}
    cov = _coverage(study, spec)  # 1. coverage by existing facilities
    timings["coverage"] = time.perf_counter() - t0
    gap_of = _gap_labels(study.demand, ~cov.covered)  # 2. gap areas
    sit = _siting(study, spec, candidates, cov.covered, pop, timings)  # 3.-4. candidates and solve
    cells = _cells_layer(study, spec, cov, sit, gap_of, pop)  # 5. outputs
    sites = _sites_frame(sit.cand, sit.res, cells["area_m2"].to_numpy(float), pop, cov.covered, study.crs, kind)
    sites = with_lonlat(sites, systems=input_systems(study.log,
                                                     None if candidates is None else candidates.attrs.get("coords")))
    areas = _areas_frame(cells, gap_of, pop, study.crs)
    fac = study.facilities_of(kind)
    t = time.perf_counter()
    fca_summary, fca_units, fca_fac = None, None, None
    if spec.clinic:
        fca_summary, fca_units, fca_fac = unit_fca(study, fac, sites, pop, residents, cells, gap_of,
                                                   minutes=spec.minutes, cap_residents=spec.cap_residents)
    timings["fca"] = time.perf_counter() - t
    summary = _summary(study, standards, spec, cov, sit, areas, sites, pop, residents, fca_summary, timings)
    layers, tables = _layers_tables(study, sit, cells, sites, areas, fac, fca_units, fca_fac)
    result = AnalysisResult(name="gaps", summary=summary, layers=layers, tables=tables)
    result.siting = sit.res  # type: ignore[attr-defined]
    result.make_map = lambda **kw: present.make_map(result, study, standards, **kw)
    return result


# ---------------------------------------------------------------------------- steps
@dataclasses.dataclass(frozen=True)
class GapSpec:
    """What is measured and asked: the kind, walk minutes and target, and the siting options.

    ``minutes`` (min) and ``target_share`` come from the tier of ``variant`` listing the kind
    unless given; ``objective`` is resolved once residents are known (see :func:`gap_analysis`).
    ``clinic``: the kind is the clinics' (2SFCA is added); ``cap_residents``: residents per
    centre above which a centre is overloaded (persons).
    """

    kind: str
    minutes: float
    variant: CircleVariant
    tier: Tier | None
    target_share: float
    n_new: int | None
    method: Literal["auto", "exact", "greedy"]
    candidate_where: Literal["nodes", "edges"]
    thin_m: float
    max_candidates: int
    exact_max_cells: int
    time_limit_s: float
    clinic: bool
    cap_residents: float
    objective: str = "land"

    @classmethod
    def from_options(cls, standards: Standards, *, kind: str, minutes: float | None, variant: str | None,
                     target_share: float | None, n_new: int | None, method: Literal["auto", "exact", "greedy"],
                     candidate_where: Literal["nodes", "edges"], thin_m: float, max_candidates: int,
                     exact_max_cells: int, time_limit_s: float) -> GapSpec:
        """Validate the options against the standards (messages name the CLI flags)."""
        if kind not in standards.kinds:
            raise InputError(f"unknown kind {kind!r}; known kinds: {', '.join(standards.kinds)}")
        v = standards.circle_variant(variant)
        mins, tier = _resolve_minutes(standards, v, kind, minutes)
        lim = LIMITS["circles.*.tiers.*.minutes"]
        if not (np.isfinite(mins) and lim.lo < mins <= lim.hi):
            raise InputError(f"walking minutes (--minutes) must be more than {lim.lo:g} and at most {lim.hi:g}, "
                             f"got {mins!r}")
        if target_share is None:
            target_share = float(tier.target_share.value) if tier is not None else float(v.target_share.value)
        if not 0 < target_share <= 1:
            raise InputError(f"target share must be in (0, 1], got {target_share!r}")
        if n_new is not None and (isinstance(n_new, bool) or not isinstance(n_new, (int, np.integer)) or n_new < 1):
            raise InputError(f"the number of new sites (--n) must be a whole number >= 1, got {n_new!r}")
        return cls(kind=kind, minutes=mins, variant=v, tier=tier, target_share=float(target_share),
                   n_new=None if n_new is None else int(n_new), method=method, candidate_where=candidate_where,
                   thin_m=thin_m, max_candidates=max_candidates, exact_max_cells=exact_max_cells,
                   time_limit_s=time_limit_s, clinic=_is_clinic(standards, kind),
                   cap_residents=float(standards.clinics.residents_per_centre_max.value))


@dataclasses.dataclass(frozen=True)
class Coverage:
    """Coverage by the existing facilities: minutes per cell (inf beyond, NaN off-network), covered, report."""

    minutes: np.ndarray
    covered: np.ndarray
    report: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Siting:
    """Candidates (and their snap, source sentence, coverage matrix) and the solver's result."""

    cand: gpd.GeoDataFrame
    cand_source: str
    cand_snap: SnappedPoints
    cover: CoverageMatrix
    res: SitingResult


def _residents_per_cell(study: Study, residents: Residents | None) -> np.ndarray | None:
    """Residents per cell (NaN as 0), None without residents; a length mismatch is a DataError."""
    if residents is None:
        return None
    if len(residents.per_cell) != len(study.demand):
        raise DataError(f"residents are given for {len(residents.per_cell)} cells, the study has {len(study.demand)}")
    return np.nan_to_num(np.asarray(residents.per_cell, dtype=float))


def _coverage(study: Study, spec: GapSpec) -> Coverage:
    """The living circles' coverage for one kind, on the study's cached snaps."""
    kind = spec.kind
    table, report = minutes_by_kind(
        study.engine, study.demand.set_geometry("point"), study.facilities, kinds=[kind], cutoff_min=spec.minutes,
        max_snap_m=study.max_snap_m, demand_snap=study.demand_snap,
        facility_snaps={kind: study.snapped_facilities(kind)} if len(study.facilities_of(kind)) else None,
    )
    mins = table[minutes_column(study.net.mode, kind)].to_numpy(float)
    return Coverage(minutes=mins, covered=np.isfinite(mins), report=report)  # inf beyond the cutoff, NaN off-network


def _siting(study: Study, spec: GapSpec, candidates: gpd.GeoDataFrame | None, covered_before: np.ndarray,
            pop: np.ndarray | None, timings: dict[str, float]) -> Siting:
    """Candidates (given or generated near the gaps), their coverage matrix, and the MCLP / LSCP solution."""
    uncovered = ~covered_before
    t = time.perf_counter()
    cand, cand_source = _candidates(study, candidates, uncovered, spec.minutes, spec.candidate_where, spec.thin_m,
                                    spec.max_candidates)
    cand_snap = snap_points(study.net, cand, max_snap_m=study.max_snap_m, what="candidate sites", warn=False)
    timings["candidates"] = time.perf_counter() - t
    t = time.perf_counter()
    cover = coverage_matrix(study.engine, study.demand_snap, cand_snap, cutoff_min=spec.minutes,
                            covered_before=covered_before)
    if candidates is None:  # thinning may have dropped the only places reaching some gap cells: add them back
        cand, cand_snap, cover = _repair(study, cand, cand_snap, cover, uncovered, spec.minutes, spec.thin_m)
    cand["on_network"] = cand_snap.on_network
    timings["matrix"] = time.perf_counter() - t
    t = time.perf_counter()
    weights = pop if spec.objective == "residents" else study.demand["area_m2"].to_numpy(float)
    kw: dict[str, Any] = {"method": spec.method, "exact_max_cells": spec.exact_max_cells,
                          "time_limit_s": spec.time_limit_s}
    res = (mclp(cover, weights, int(spec.n_new), **kw) if spec.n_new is not None
           else lscp(cover, weights, target_share=spec.target_share, **kw))
    timings["solve"] = time.perf_counter() - t
    return Siting(cand=cand, cand_source=cand_source, cand_snap=cand_snap, cover=cover, res=res)


def _cells_layer(study: Study, spec: GapSpec, cov: Coverage, sit: Siting, gap_of: np.ndarray,
                 pop: np.ndarray | None) -> gpd.GeoDataFrame:
    """Demand cells with minutes, covered before / after, the site covering them and their gap area."""
    cells = study.demand.drop(columns=["point"]).copy()
    res = sit.res
    cells[minutes_column(study.net.mode, spec.kind)] = cov.minutes
    cells["covered_before"] = cov.covered
    cells["covered_after"] = res.covered_after
    cells["new_site_rank"] = np.where(res.covered_by_site >= 0, res.covered_by_site + 1, 0)
    cells["gap_area"] = gap_of
    cells["reachable_by_candidates"] = sit.cover.reachable
    if pop is not None:
        cells["residents"] = pop
    return cells


def _layers_tables(study: Study, sit: Siting, cells: gpd.GeoDataFrame, sites: gpd.GeoDataFrame,
                   areas: gpd.GeoDataFrame, fac: gpd.GeoDataFrame, fca_units: gpd.GeoDataFrame | None,
                   fca_fac: pd.DataFrame | None) -> tuple[dict[str, gpd.GeoDataFrame], dict[str, pd.DataFrame]]:
    """The GeoPackage layers and CSV tables of the result."""
    cand_out = sit.cand.copy()
    rank = np.zeros(len(sit.cand), dtype=np.int64)
    rank[sit.res.sites] = np.arange(1, len(sit.res.sites) + 1)
    cand_out["chosen_rank"] = rank
    cand_out["demand_cells_reached"] = np.diff(sit.cover.a.indptr)
    fac_out = gpd.GeoDataFrame(fac[["kind", "geometry"]].assign(name=fac.get("name")), geometry="geometry",
                               crs=study.crs)
    layers = {"gap_areas": areas, "proposed_sites": sites, "demand_cells": cells, "candidates": cand_out,
              "facilities": fac_out}
    tables = {"sites": pd.DataFrame(sites.drop(columns="geometry")),
              "areas": pd.DataFrame(areas.drop(columns="geometry"))}
    if fca_units is not None and fca_fac is not None:
        layers["fca_units"] = fca_units
        tables["fca_units"] = pd.DataFrame(fca_units.drop(columns="geometry"))
        tables["fca_facilities"] = fca_fac
    return layers, tables


def _summary(study: Study, standards: Standards, spec: GapSpec, cov: Coverage, sit: Siting, areas: gpd.GeoDataFrame,
             sites: gpd.GeoDataFrame, pop: np.ndarray | None, residents: Residents | None,
             fca_summary: dict[str, Any] | None, timings: dict[str, float]) -> dict[str, Any]:
    """The JSON summary (keys in the module docstring); off-network figures are counts, not warnings."""
    kind, res, report = spec.kind, sit.res, cov.report
    area = study.demand["area_m2"].to_numpy(float)
    uncovered = ~cov.covered
    unreach = uncovered & ~sit.cover.reachable
    weights = pop if spec.objective == "residents" else area
    w = weights if weights is not None and weights.sum() > 0 else None
    summary = {
        "analysis": "service gaps and proposed sites",
        "kind": kind, "kind_label_en": standards.kinds[kind].label_en, "kind_label_zh": standards.kinds[kind].label_zh,
        "minutes": float(spec.minutes), "distance_m": round(float(spec.minutes) * study.net.metres_per_minute, 1),
        "walk_speed_kmh": study.net.speed_kmh,
        "variant": spec.variant.name, "tier": None if spec.tier is None else spec.tier.name,
        "target_share": float(spec.target_share), "objective": spec.objective,
        "population_source": None if residents is None else residents.source,
        "existing_facilities": int(report["facilities"].get(kind, 0)),
        "existing_off_network": int(report["facilities_off_network"].get(kind, 0)),
        "residential_area_m2": round(float(area.sum()), 1),
        "residents": None if pop is None else round(float(pop.sum()), 1),
        "demand_cells": len(area), "demand_off_network": int(report["demand_off_network"]),
        "before": _state(area, pop, cov.covered),
        "after": _state(area, pop, res.covered_after),
        "gap_areas": len(areas),
        "gap_area_m2": round(float(area[uncovered].sum()), 1),
        "gap_residents": None if pop is None else round(float(pop[uncovered].sum()), 1),
        "largest_gap_area_m2": round(float(areas["area_m2"].max()), 1) if len(areas) else 0.0,
        "unreachable_area_m2": round(float(area[unreach].sum()), 1),
        "unreachable_residents": None if pop is None else round(float(pop[unreach].sum()), 1),
        "candidates": {"source": sit.cand_source, "count": len(sit.cand),
                       "off_network": int((~sit.cand_snap.on_network).sum())},
        "n_requested": spec.n_new,
        "n_proposed": len(res.sites),
        "target_reached": res.target_reached,
        "unreachable_share": round(share(w, unreach), 6) if w is not None else 0.0,
        "unreachable_off_network_share": (round(share(w, unreach & ~study.demand_snap.on_network), 6)
                                          if w is not None else 0.0),
        "sites": [
            {k: (None if isinstance(val, float) and np.isnan(val) else val) for k, val in row.items()}
            for row in pd.DataFrame(sites.drop(columns="geometry")).to_dict("records")
        ],
        "solver": {k: val for k, val in res.summary().items()
                   if k in ("problem", "method", "solver", "status", "optimal", "solve_time_s", "bound",
                            "greedy_gain", "model", "notes")},
        "two_step_fca": fca_summary,
        "timings_s": {k: round(val, 3) for k, val in timings.items()},
        # every snap here is the study's cached one or made with warn=False: what lies off the
        # network is in the counts above (existing_off_network, demand_off_network, candidates)
        "warnings": [],
        "note": messages.GAPS_NOTE,
    }
    summary["headline"] = present.headline(summary)
    return summary


# ---------------------------------------------------------------------------- helpers
def _resolve_minutes(standards: Standards, v: CircleVariant, kind: str, minutes: float | None
                     ) -> tuple[float, Tier | None]:
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
                where: Literal["nodes", "edges"], thin_m: float, max_candidates: int) -> tuple[gpd.GeoDataFrame, str]:
    if candidates is not None:
        if not isinstance(candidates, gpd.GeoDataFrame):
            raise InputError(f"candidate sites must be a GeoDataFrame, got {type(candidates).__name__}")
        if candidates.crs is None:
            raise InputError("candidate sites have no CRS; set one (EPSG:4326 for lon/lat)")
        if len(candidates) == 0:
            raise InputError("the candidate-site list is empty; "
                             "give at least one site or leave it out to generate sites")
        c = candidates.to_crs(study.crs)
        g = c.geometry.to_numpy()
        bad = shapely.is_missing(g) | shapely.is_empty(g)
        if bad.any():
            raise InputError(f"candidate sites: {int(bad.sum())} row(s) have no geometry "
                             f"(e.g. row {int(np.flatnonzero(bad)[0]) + 1})")
        pts = np.where(shapely.get_type_id(g) == 0, g, shapely.point_on_surface(g))
        name_col = (c.attrs.get("name_column") if c.attrs.get("name_column") in c
                    else ("name" if "name" in c else None))
        names = (c[name_col].astype(str).to_numpy() if name_col
                 else np.array([f"candidate {i + 1}" for i in range(len(c))]))
        out = gpd.GeoDataFrame({"candidate": np.arange(1, len(c) + 1), "name": names, "origin": "planner list"},
                               geometry=pts, crs=study.crs)
        return out, "planner list"
    dsnap = study.demand_snap.subset(uncovered & study.demand_snap.on_network)
    df = candidate_sites(study.engine, dsnap, cutoff_min=minutes, where=where, thin_m=thin_m,
                         max_candidates=max_candidates)
    what = "street nodes" if where == "nodes" else "points every 100 m along streets"
    out = gpd.GeoDataFrame(
        {"candidate": np.arange(1, len(df) + 1), "name": [f"site {i + 1}" for i in range(len(df))],
         "origin": "generated", "walk_min_to_gap": df["walk_min_to_gap"].to_numpy(float)},
        geometry=gpd.points_from_xy(df["x"], df["y"]), crs=study.crs,
    )
    return out, (f"generated: {what} within {minutes:g} min of the gaps, "
                 f"at most one per {thin_m:g} m square, cap {max_candidates}")


def _repair(study: Study, cand: gpd.GeoDataFrame, cand_snap: SnappedPoints, cover: CoverageMatrix,
            uncovered: np.ndarray, minutes: float, thin_m: float
            ) -> tuple[gpd.GeoDataFrame, SnappedPoints, CoverageMatrix]:
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
    es = snap_points(study.net, extra, max_snap_m=study.max_snap_m, warn=False)
    more = coverage_matrix(eng, ds, es, cutoff_min=minutes, covered_before=cover.covered_before)
    cand2 = gpd.GeoDataFrame(pd.concat([cand, extra], ignore_index=True), geometry="geometry", crs=study.crs)
    snap2 = snap_points(study.net, cand2, max_snap_m=study.max_snap_m, warn=False)
    more_min = (more.minutes if more.minutes is not None
                else pd.DataFrame({"candidate": [], "demand": [], "minutes": []}))
    tab = pd.concat([cover.minutes, more_min.assign(candidate=more_min["candidate"] + k0)], ignore_index=True)
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
        study, facilities=gpd.GeoDataFrame(pd.concat([study.facilities, added], ignore_index=True), geometry="geometry",
                                           crs=study.crs)
    )
    fac = with_sites.facilities_of(kind)  # snapped as points, as minutes_by_kind would, without a warning
    snaps = {kind: snap_points(with_sites.net, fac, max_snap_m=with_sites.max_snap_m, warn=False)} if len(fac) else None
    table, _ = minutes_by_kind(
        with_sites.engine, with_sites.demand.set_geometry("point"), with_sites.facilities, kinds=[kind],
        cutoff_min=minutes, max_snap_m=with_sites.max_snap_m, demand_snap=with_sites.demand_snap, facility_snaps=snaps,
    )
    covered = np.isfinite(table[minutes_column(with_sites.net.mode, kind)].to_numpy(float))
    if measure == "land":
        return share(with_sites.demand["area_m2"].to_numpy(), covered)
    if measure == "residents":
        if residents is None:
            raise InputError("measure 'residents' needs the residents per cell")
        return share(np.nan_to_num(residents.per_cell), covered)
    raise InputError(f"measure must be 'land' or 'residents', got {measure!r}")
