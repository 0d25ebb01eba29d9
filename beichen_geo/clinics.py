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

import math
import warnings
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError
from geo.isochrones import isochrones
from geo.snapping import OffNetworkWarning, SnappedPoints, snap_points

from .population import NAME_COLUMNS, POP_COLUMNS, Residents, _find_col, estimate_residents, given_residents
from .result import AnalysisResult
from .standards import Standards
from .study import Study

#: Name of the single unit used when no units are given.
STUDY_AREA_UNIT = "study area"

#: Centres per chunk of the per-centre catchment searches: memory holds one chunk's
#: (centre, cell) pairs, never all of them (100,000 centres would need many GB).
CHUNK_CENTRES = 1024


def clinics_per_community(
    study: Study,
    standards: Standards,
    *,
    residents: Residents | None = None,
    units: gpd.GeoDataFrame | None = None,
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
        Residents per demand cell. When it carries ``units`` (a planner's population layer,
        see :func:`beichen_geo.population.residents_for`) those polygons are the units and
        their populations are used as given. When None, residents are spread from the
        ``units`` argument's population column if it has one, else ESTIMATED from
        residential buildings (labelled as an estimate).
    units
        Units (镇街 / communities) as polygons with a name column (``unit_name``, ``name``,
        ``街道``...) and optionally a population column (``population``, ``人口``...). Used only
        when ``residents`` carries no units. When neither gives units, the whole study area is
        ONE unit named ``"study area"``.
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
        centre). Tables ``units`` and ``centres``. Summary keys are listed in the README.

    Raises
    ------
    InputError
        For a ``units`` layer without a CRS, without polygons, or with a non-numeric or
        negative population (the message names the row); a ``chunk_centres`` that is not a
        whole number >= 1.
    """
    cfg = standards.clinics
    kind = cfg.kind
    walk = float(cfg.walk_minutes.value)
    lo = float(cfg.residents_per_centre_min.value)
    hi = float(cfg.residents_per_centre_max.value)
    min_per_town = int(round(float(cfg.min_per_town.value)))
    reach_target = float(cfg.reach_target_share.value)
    keys = reach_keys(walk, hi)
    if isinstance(chunk_centres, bool) or not isinstance(chunk_centres, (int, np.integer)) or chunk_centres < 1:
        raise InputError(f"chunk_centres must be a whole number >= 1, got {chunk_centres!r}")
    notes: list[str] = []

    # ---- units and residents
    unit_gdf, units_source, residents = _resolve_units(study, standards, residents, units, notes)
    cells = study.demand
    n_cells = len(cells)
    area = cells["area_m2"].to_numpy(dtype=float)
    pop = np.asarray(residents.per_cell, dtype=float)
    pop_known = bool(n_cells == 0 or np.isfinite(pop).any())
    if not pop_known:
        notes.append(f"residents are unknown ({residents.source}); only land shares and the one-centre-per-unit rule are measured")
    unit_of = _cell_units(cells, unit_gdf, single=units_source.startswith(STUDY_AREA_UNIT))

    pop0 = np.nan_to_num(pop, nan=0.0)

    # ---- centres: snap, nearest within the walk, reach of each centre (chunk by chunk)
    fac = study.facilities_of(kind)
    centres = _centre_frame(fac, kind, study.crs)
    n_c = len(centres)
    caught: list[str] = []
    minutes = np.full(n_cells, np.inf)
    nearest = np.full(n_cells, -1, dtype=np.int64)
    reach_res = np.zeros(n_c)
    reach_key = np.zeros(0, dtype=np.int64)  # unit * n_c + centre, sorted, each pair once
    on_net = np.zeros(n_c, dtype=bool)
    walk_area = gpd.GeoDataFrame({"minutes": [], "area_m2": []}, geometry=[], crs=study.crs)
    if n_c:
        with warnings.catch_warnings(record=True) as cw:
            warnings.simplefilter("always", OffNetworkWarning)
            cs = snap_points(study.net, centres, max_snap_m=study.max_snap_m, what=f"{kind} centres")
        caught = [str(w.message) for w in cw]
        on_net = cs.on_network
        near = study.engine.point_minutes(study.demand_snap, cs, cutoff_min=walk)
        minutes, nearest = near.minutes, near.source
        reach_res, reach_key = _reach(study, cs, unit_of, pop0, walk=walk, chunk_centres=chunk_centres)
        if on_net.any():
            buf = float(standards.travel.isochrone_buffer_m.value)
            walk_area = isochrones(study.engine, cs, [walk], buffer_m=buf)
    else:
        notes.append(
            f"no facilities of kind {kind!r} in the study: every unit fails and no home is within {walk:g} min. "
            "Give the official CHSC list with --facilities FILE --kind chsc (it then replaces the OSM proxy)."
        )
    covered = np.isfinite(minutes) & (minutes <= walk + 1e-9)
    cell_on = study.demand_snap.on_network if n_cells else np.zeros(0, dtype=bool)

    # ---- centres inside each unit
    cpts = centres.geometry.to_numpy()
    inside = _inside(unit_gdf.geometry.to_numpy(), cpts)  # (unit, centre) pairs
    centre_unit = np.full(n_c, None, dtype=object)
    if len(inside[0]):
        first_unit = pd.Series(inside[0]).groupby(inside[1]).min()  # first unit by position
        centre_unit[first_unit.index.to_numpy()] = unit_gdf["unit_name"].to_numpy()[first_unit.to_numpy()]

    # ---- per-unit figures
    rows = []
    names = centres["name"].to_numpy()
    reach_bounds = np.searchsorted(reach_key, np.arange(len(unit_gdf) + 1, dtype=np.int64) * max(n_c, 1))
    has_given = "population" in unit_gdf.columns
    for ui in range(len(unit_gdf)):
        sel = unit_of == ui
        in_c = np.sort(inside[1][inside[0] == ui])
        reach = reach_key[reach_bounds[ui]:reach_bounds[ui + 1]] - ui * n_c
        land = float(area[sel].sum())
        cell_pop = float(pop0[sel].sum())
        given = float(unit_gdf["population"].iloc[ui]) if has_given else np.nan
        if has_given and np.isfinite(given):
            res, res_src = given, "given"
        elif pop_known:
            res, res_src = cell_pop, ("estimate: sum of cell residents" if residents.is_estimate else "sum of cell residents")
        else:
            res, res_src = np.nan, "unknown"
        res_cov = float(pop0[sel & covered].sum())
        share_res = res_cov / cell_pop if (pop_known and cell_pop > 0) else np.nan
        share_land = float(area[sel & covered].sum()) / land if land > 0 else np.nan
        n_in = int(len(in_c))
        rpc = res / n_in if (n_in > 0 and np.isfinite(res)) else np.nan
        need = max(min_per_town, math.ceil(res / hi - 1e-9)) if np.isfinite(res) else min_per_town
        passes_count = n_in >= need
        reach_share = share_res if np.isfinite(share_res) else share_land  # land when residents are unknown
        passes_reach = bool(np.isfinite(reach_share) and reach_share >= reach_target - 1e-12)
        passes = passes_count and passes_reach
        rows.append({
            "unit_name": unit_gdf["unit_name"].iloc[ui],
            "residents": res,
            "residents_source": res_src,
            "residential_area_m2": round(land, 1),
            "demand_cells": int(sel.sum()),
            "centres_inside": n_in,
            "centre_names": "; ".join(map(str, names[in_c])),
            "centres_reachable": int(len(reach)),
            "reachable_names": "; ".join(map(str, names[reach])),
            keys["residents"]: res_cov if pop_known and land > 0 else np.nan,
            keys["share_residents"]: share_res,
            keys["share_land"]: share_land,
            "residents_per_centre": rpc,
            "required_centres": int(need),
            "missing_centres": int(max(0, need - n_in)),
            "passes_count": bool(passes_count),
            "passes_reach": bool(passes_reach),
            "passes": bool(passes),
            "below_min_catchment": bool(np.isfinite(rpc) and rpc < lo),
            "result": _result_word(passes_count, passes_reach),
            "unit_area_m2": round(float(unit_gdf.geometry.iloc[ui].area), 1),
        })
    unit_cols = list(rows[0]) if rows else []
    unit_table = pd.DataFrame(rows, columns=unit_cols)
    units_layer = gpd.GeoDataFrame(unit_table.copy(), geometry=unit_gdf.geometry.to_numpy(), crs=study.crs)

    # ---- per-centre catchments (each covered cell counts once, for its nearest centre)
    ok = nearest >= 0
    catch_res = np.bincount(nearest[ok], weights=pop0[ok], minlength=n_c) if n_c else np.zeros(0)
    catch_land = np.bincount(nearest[ok], weights=area[ok], minlength=n_c) if n_c else np.zeros(0)
    catch_cells = np.bincount(nearest[ok], minlength=n_c) if n_c else np.zeros(0, dtype=np.int64)
    centre_layer = gpd.GeoDataFrame(
        {
            "centre_id": np.arange(n_c, dtype=np.int64),
            "name": names,
            "kind": centres["kind"].to_numpy(),
            "unit_name": centre_unit,
            "on_network": on_net.astype(bool),
            "catchment_residents": catch_res if pop_known else np.full(n_c, np.nan),
            "catchment_cells": catch_cells.astype(np.int64),
            "catchment_land_m2": np.round(catch_land, 1),
            "reachable_residents": reach_res if pop_known else np.full(n_c, np.nan),
            keys["over_cap"]: (catch_res > hi) if pop_known else np.zeros(n_c, dtype=bool),
        },
        geometry=cpts, crs=study.crs,
    )

    # ---- uncovered residential cells
    unc = ~covered
    un_names = unit_gdf["unit_name"].to_numpy()
    uncovered = gpd.GeoDataFrame(
        {
            "unit_name": np.where(unit_of[unc] >= 0, un_names[np.maximum(unit_of[unc], 0)], None) if len(un_names) else np.full(int(unc.sum()), None),
            "area_m2": area[unc],
            "residents": pop[unc],
            "off_network": ~cell_on[unc],
        },
        geometry=cells.geometry.to_numpy()[unc], crs=study.crs,
    )

    # ---- district-wide figures
    in_area = shapely.covers(study.area, cpts) if n_c else np.zeros(0, dtype=bool)
    n_area = int(in_area.sum())
    total_res = float(np.nansum(pop) + residents.unplaced) if pop_known else None
    land_total = float(area.sum())
    share_res_all = float(pop0[covered].sum() / pop0.sum()) if pop_known and pop0.sum() > 0 else None
    share_land_all = float(area[covered].sum() / land_total) if land_total > 0 else None
    compact = [
        {k: _plain(r[k]) for k in ("unit_name", "residents", "residents_source", "centres_inside", "centres_reachable",
                                   "required_centres", "residents_per_centre", keys["share_residents"],
                                   keys["share_land"], "passes_count", "passes_reach", "passes", "below_min_catchment")}
        for r in rows
    ]
    garbled = cfg.residents_per_centre_min.note or cfg.residents_per_centre_max.note
    summary: dict[str, Any] = {
        "analysis": "community health service centres (S-H-01)",
        "standard": cfg.standard,
        "source": cfg.source,
        "plan_text": cfg.plan_text,
        "garbled_number_note": garbled,
        "rule": (
            f"every unit needs at least {min_per_town} centre(s) (每个镇街1所); a unit of more than "
            f"{hi:,.0f} residents needs one per {hi:,.0f}: required_centres = max({min_per_town}, "
            f"ceil(residents / {hi:,.0f})). The count test (passes_count) asks that the centres inside a unit "
            f"reach required_centres; the reach test (passes_reach) that at least {reach_target:.0%} of its residents "
            f"(of its land when residents are unknown) live within {walk:g} min of a centre; a unit passes when both hold. "
            f"Fewer than {lo:,.0f} residents per centre is flagged below_min_catchment (informational)."
        ),
        "kind": kind,
        "walk_minutes": walk,
        "walk_speed_kmh": study.net.speed_kmh,
        "walk_distance_m": round(walk * study.net.metres_per_minute, 1),
        "min_per_town": min_per_town,
        "residents_per_centre_min": lo,
        "residents_per_centre_max": hi,
        "units_source": units_source,
        "units": int(len(rows)),
        "reach_target_share": reach_target,
        "keys": keys,
        "units_passing": int(sum(r["passes"] for r in rows)),
        "units_passing_count": int(sum(r["passes_count"] for r in rows)),
        "units_passing_reach": int(sum(r["passes_reach"] for r in rows)),
        "passes_count": bool(rows) and all(r["passes_count"] for r in rows),
        "passes_reach": bool(rows) and all(r["passes_reach"] for r in rows),
        "passes": bool(rows) and all(r["passes"] for r in rows),
        "units_below_min_catchment": int(sum(r["below_min_catchment"] for r in rows)),
        "centres": int(n_c),
        "centres_in_area": n_area,
        "centres_off_network": int((~on_net).sum()),
        f"centres_{keys['over_cap']}": int(centre_layer[keys["over_cap"]].sum()),
        "plan_counts": {
            "existing_centres": None if cfg.existing_centres is None else int(round(float(cfg.existing_centres.value))),
            "towns": None if cfg.towns is None else int(round(float(cfg.towns.value))),
        },
        "residents": None if total_res is None else round(total_res, 0),
        "residents_unplaced": round(float(residents.unplaced), 0),
        "population_source": residents.source,
        "population_is_estimate": bool(residents.is_estimate),
        "residential_area_m2": round(land_total, 1),
        keys["share_residents"]: None if share_res_all is None else round(share_res_all, 6),
        keys["share_land"]: None if share_land_all is None else round(share_land_all, 6),
        "residents_per_centre": (round(total_res / n_area, 1) if (total_res is not None and n_area) else None),
        "unit_table": compact,
        "demand_cells": int(n_cells),
        "demand_off_network": int((~cell_on).sum()),
        "notes": notes,
        "warnings": caught,
    }
    result = AnalysisResult(
        name="clinics",
        summary=summary,
        layers={"units": units_layer, "centres": centre_layer, "uncovered_cells": uncovered, "walk_area": walk_area},
        tables={"units": unit_table, "centres": pd.DataFrame(centre_layer.drop(columns="geometry"))},
    )
    result.make_map = lambda **kw: _map(result, standards, **kw)
    return result


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
    study: Study, cs: SnappedPoints, unit_of: np.ndarray, pop0: np.ndarray, *, walk: float, chunk_centres: int
) -> tuple[np.ndarray, np.ndarray]:
    """Residents each centre reaches within ``walk`` min, and the (unit, centre) reach pairs.

    The centres' catchments are searched ``chunk_centres`` at a time and each chunk is
    reduced at once, so no more than one chunk's (centre, cell) pairs is ever held.

    Returns
    -------
    reach_res, reach_key
        ``reach_res[c]``: sum of ``pop0`` (persons) over the cells centre ``c`` reaches;
        ``reach_key``: sorted unique ``unit * n_centres + centre`` for every unit with a cell
        the centre reaches (cells outside every unit, ``unit_of == -1``, are left out).
    """
    n_c = len(cs)
    reach_res = np.zeros(n_c)
    keys: list[np.ndarray] = []
    for cat in study.engine.point_catchment_chunks(study.demand_snap, cs, cutoff_min=walk, chunk_sources=chunk_centres):
        # a centre's pairs all sit in one chunk, in cell order: the sums equal one bincount over all pairs
        reach_res += np.bincount(cat.source, weights=pop0[cat.node], minlength=n_c)
        u = unit_of[cat.node]
        keep = u >= 0
        keys.append(np.unique(u[keep] * np.int64(n_c) + cat.source[keep]))
    reach_key = np.unique(np.concatenate(keys)) if keys else np.zeros(0, dtype=np.int64)
    return reach_res, reach_key.astype(np.int64)


def _resolve_units(
    study: Study, standards: Standards, residents: Residents | None, units: gpd.GeoDataFrame | None, notes: list[str]
) -> tuple[gpd.GeoDataFrame, str, Residents]:
    """(units with ``unit_name`` [+ ``population``], a sentence saying where they come from, residents)."""
    if residents is not None and residents.units is not None:
        if units is not None:
            notes.append("the units argument was ignored: the population layer's units are used")
        u = _normalise_units(residents.units, study.crs, what="population layer")
        return u, f"population layer ({residents.source})", residents
    if units is not None:
        u = _normalise_units(units, study.crs, what="units")
        if residents is None:
            if "population" in u.columns:
                residents = given_residents(study, u, source="given: units argument (population)")
            else:
                residents = estimate_residents(study, standards.population)
        return u, "units argument", residents
    if residents is None:
        residents = estimate_residents(study, standards.population)
    u = gpd.GeoDataFrame({"unit_name": [STUDY_AREA_UNIT]}, geometry=[study.area], crs=study.crs)
    return u, f"{STUDY_AREA_UNIT}: no units given, the whole area is one unit", residents


def _normalise_units(units: gpd.GeoDataFrame, crs: Any, *, what: str) -> gpd.GeoDataFrame:
    """Units in ``crs`` with ``unit_name`` (text) and, if the layer has one, ``population`` (float)."""
    if not isinstance(units, gpd.GeoDataFrame):
        raise InputError(f"{what}: expected a GeoDataFrame of polygons, got {type(units).__name__}")
    if units.crs is None:
        raise InputError(f"{what}: the layer has no CRS; set one (e.g. units.set_crs(4326) for lon/lat)")
    poly = units.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if not poly.any():
        raise InputError(f"{what}: the layer holds no polygons (give 镇街 or community boundaries)")
    if not poly.all():
        i = int(np.flatnonzero(~poly)[0])
        raise InputError(
            f"{what}: row {i + 1} is a {units.geometry.iloc[i].geom_type if units.geometry.iloc[i] is not None else 'missing geometry'}; "
            "every unit must be a polygon"
        )
    nc = "unit_name" if "unit_name" in units.columns else _find_col(units, NAME_COLUMNS)
    names = units[nc].astype(str).to_numpy() if nc else np.array([f"unit {i + 1}" for i in range(len(units))])
    data: dict[str, Any] = {"unit_name": names}
    pc = "population" if "population" in units.columns else _find_col(units, POP_COLUMNS)
    if pc is not None:
        raw = units[pc]
        val = pd.to_numeric(raw.astype(str).str.replace(",", "").str.strip(), errors="coerce")
        bad = (val.isna() | (val < 0)).to_numpy()
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{what}: population column {pc!r} has {int(bad.sum())} non-numeric or negative value(s), "
                f"e.g. {raw.iloc[i]!r} in row {i + 1} ({names[i]}). Fix the value or leave the unit out."
            )
        data["population"] = val.to_numpy(dtype=float)
    return gpd.GeoDataFrame(data, geometry=units.geometry.to_numpy(), crs=units.crs).to_crs(crs)


def _cell_units(cells: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, single: bool) -> np.ndarray:
    """Position of the unit holding each cell's point (first unit by position), -1 when none.

    Same rule as :func:`beichen_geo.population.given_residents`, so a unit's cells are the
    cells its population was spread over.
    """
    n = len(cells)
    if single:
        return np.zeros(n, dtype=np.int64)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    pts = cells["point"].to_numpy() if "point" in cells else shapely.point_on_surface(cells.geometry.to_numpy())
    tree = shapely.STRtree(units.geometry.to_numpy())
    ci, ui = tree.query(pts, predicate="within")
    out = np.full(n, -1, dtype=np.int64)
    if len(ci):
        first = pd.Series(ui).groupby(ci).min()
        out[first.index.to_numpy()] = first.to_numpy()
    return out


def _inside(unit_geoms: np.ndarray, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit, centre) position pairs where the unit polygon covers the centre (boundary included)."""
    if len(pts) == 0 or len(unit_geoms) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    tree = shapely.STRtree(pts)
    ui, ci = tree.query(unit_geoms, predicate="covers")
    return ui.astype(np.int64), ci.astype(np.int64)


def reach_keys(walk_minutes: float, cap_residents: float) -> dict[str, str]:
    """Column and key names that carry the values used (e.g. 15 min, 100,000 residents)."""
    tag = f"{walk_minutes:g}min".replace(".", "_")
    return {
        "residents": f"residents_within_{tag}",
        "share_residents": f"share_residents_within_{tag}",
        "share_land": f"share_land_within_{tag}",
        "over_cap": f"over_{cap_residents / 1000:g}k".replace(".", "_"),
    }


def _result_word(passes_count: bool, passes_reach: bool) -> str:
    """``pass``, or which test failed."""
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


_ZH_RESULT: Mapping[str, str] = {"pass": "达标", "fail: count": "未达标(数量)", "fail: reach": "未达标(可达)",
                                  "fail: count and reach": "未达标(数量与可达)"}


def _map(result: AnalysisResult, standards: Standards, *, lang: str = "en", basemap: str = "positron"):
    from geo.maps import MapBuilder

    s = result.summary
    zh = lang == "zh"
    cfg = standards.clinics

    def pct(v: float | None) -> str:
        return "–" if v is None else f"{v:.1%}"

    rpc = s["residents_per_centre"]
    if zh:
        lines = [
            f"标准: {s['standard']} {cfg.plan_text} ({s['source']})",
            f"目标: 每个镇街≥{s['min_per_town']}所, 每{s['residents_per_centre_max'] / 1e4:g}万人1所; 步行{s['walk_minutes']:g}分钟可达",
            f"实测: 数量达标 {s['units_passing_count']}/{s['units']} 个单元, 可达达标 {s['units_passing_reach']}/{s['units']} "
            f"(目标 {pct(s['reach_target_share'])}); {pct(s[s['keys']['share_residents']])} 居民{s['walk_minutes']:g}分钟内可达; "
            f"每所服务 {'–' if rpc is None else f'{rpc:,.0f}'} 人 ({s['centres_in_area']} 所)",
            f"人口: {s['population_source']}",
        ]
    else:
        lines = [
            f"Standard: {s['standard']} one CHSC per town/sub-district or per 30,000–100,000 residents ({s['source']})",
            f"Target: ≥{s['min_per_town']} per unit and 1 per {s['residents_per_centre_max']:,.0f} residents; within {s['walk_minutes']:g} min walk",
            f"Measured: count test {s['units_passing_count']} of {s['units']} units, reach test {s['units_passing_reach']} of "
            f"{s['units']} (target {pct(s['reach_target_share'])}); {pct(s[s['keys']['share_residents']])} of residents within "
            f"{s['walk_minutes']:g} min; {'–' if rpc is None else f'{rpc:,.0f}'} residents per centre ({s['centres_in_area']} centres)",
            f"Residents: {s['population_source']}",
        ]
    m = MapBuilder(title="社区卫生服务中心 S-H-01" if zh else "Community health service centres (S-H-01)",
                   subtitle_lines=lines, basemap=basemap, lang=lang)
    units = result.layers["units"].copy()
    units["_result"] = units["result"].map(_ZH_RESULT) if zh else units["result"]
    tip = (
        {"单元": "unit_name", "居民": "residents", "单元内中心数": "centres_inside", "需要中心数": "required_centres",
         "每所服务人数": "residents_per_centre", "结果": "_result"}
        if zh else
        {"unit": "unit_name", "residents": "residents", "centres inside": "centres_inside",
         "centres required": "required_centres", "residents per centre": "residents_per_centre", "result": "_result"}
    )
    legend = f"{s['walk_minutes']:g}分钟内居民比例" if zh else f"Residents within {s['walk_minutes']:g} min"
    m.add_choropleth(units, value_col=s["keys"]["share_residents"], name="单元" if zh else "Units",
                     legend_title=legend, tooltip_cols=tip, bins=[0.0, 0.25, 0.5, 0.75, 1.0], value_format="{:.0%}")
    area = result.layers["walk_area"]
    area = area.loc[~area.geometry.is_empty] if len(area) else area
    if len(area):
        m.add_bands(area, minutes_col="minutes", name=(f"中心{s['walk_minutes']:g}分钟步行范围" if zh
                                                       else f"{s['walk_minutes']:g}-min walk to a centre"))
    unc = result.layers["uncovered_cells"]
    if len(unc):
        # one shape per unit for the web map (the GeoPackage keeps every 50 m cell)
        unc = unc[["unit_name", "residents", "geometry"]].dissolve(by="unit_name", aggfunc={"residents": "sum"}, as_index=False)
        unc["residents"] = unc["residents"].round(0)
        m.add_polygons(unc, name=(f"{s['walk_minutes']:g}分钟外的居住用地" if zh else f"Residential land beyond {s['walk_minutes']:g} min"),
                       color="#d7191c", hatch=True,
                       tooltip_cols={("单元" if zh else "unit"): "unit_name", ("居民" if zh else "residents"): "residents"})
    cen = result.layers["centres"]
    if len(cen):
        cen = cen.copy()
        label = standards.kinds[cfg.kind].label_zh if zh else standards.kinds[cfg.kind].label_en
        pop = ({"服务居民(最近中心)": "catchment_residents", f"超过{s['residents_per_centre_max'] / 1e4:g}万": s["keys"]["over_cap"], "所在单元": "unit_name"} if zh
               else {"catchment residents (nearest centre)": "catchment_residents", f"over {s['residents_per_centre_max']:,.0f}": s["keys"]["over_cap"],
                     "unit": "unit_name"})
        m.add_points(cen, kind_col="kind", name_col="name", popup_cols=pop, kind_labels={cfg.kind: label})
    return m
