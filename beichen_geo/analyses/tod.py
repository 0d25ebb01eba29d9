"""TOD station areas (S-TOD-01 8-15 min, P1 L253 / S-TOD-02 5-10 min, P1 L426).

For every station and every band of every TOD variant (inner and outer walking minutes),
the walking catchment is measured along the street network and compared with the
straight-line circle of the same distance. The variants conflict in the plan and are
reported side by side, never merged.

Measures per station and band
-----------------------------
catchment_area_m2
    Area of the station's walking isochrone (reachable street pieces buffered by
    ``[travel] isochrone_buffer_m``, small holes filled; see :mod:`geo.isochrones`), m².
ped_shed_ratio
    ``catchment_area_m2 / (pi * r**2)`` with ``r = band minutes * metres per minute``: the
    share of the straight-line circle that the street network actually serves (the
    "pedestrian shed" ratio). 1 = as good as walking in straight lines; a street grid gives
    about 0.6-0.8, cul-de-sacs, rivers and rail lines much less. The street-frontage buffer
    of the isochrone can lift it slightly above 1 in very dense networks.
intersection_density_per_km2
    Street intersections (network nodes with at least 3 distinct neighbours, each counted
    once) reached within the band, divided by the catchment area in km². Separately mapped
    sidewalks and dual carriageways add nodes, so compare stations of one data source.
residential_land_m2
    Residential land (``study.residential`` dissolved) inside the catchment polygon, m².
residents
    Residents of demand cells whose network walk to THIS station is within the band.
services_<kind>, services_total, service_kinds, service_mix_index
    Facilities (all kinds but the station kind) whose snapped position is within the band.
    ``service_mix_index`` is the Shannon entropy of the kind shares,
    ``-sum(p_k ln p_k)``, divided by ``ln K`` where K is the number of service kinds present
    in the study: 0 = one kind only (or none), 1 = every kind in equal numbers.
buffer_residential_land_m2, buffer_residents
    The same on the straight-line circle of radius ``r`` around the station (the literal
    "radius" reading), so that the network penalty shows.

District totals (summary) use the UNION of station catchments, so land and residents near
two close stations are counted once; per-station rows overlap by design. The land in the
union is measured per demand cell (the area of the cell inside it), so that the figures of
units (``units=``) add up to the whole area's.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.areal import areas_inside
from geo.engine import Catchments
from geo.errors import InputError
from geo.isochrones import Method, isochrones
from geo.measures import (
    EPS_MIN,
    circle_area_m2,
    intersections_reached,
    land_in_polygon,
    mix_index,
    per_km2,
    reached_sum,
    service_counts,
)
from geo.measures import intersection_nodes as _network_intersections
from geo.snapping import SnappedPoints

from ..population import Residents
from ..present import tod as present
from ..result import AnalysisResult
from ..standards import Standards, TodVariant
from ..study import Study
from ..units import Grouping, attach, groupings, minutes_tag, rounded, share_of, unit_rows
from ._stations_common import (
    Services,
    StationSnap,
    residential_land,
    residents_per_cell,
    services,
    services_catchments,
    snap_stations,
    station_points,
)

BANDS = ("inner", "outer")


def tod_station_areas(
    study: Study,
    standards: Standards,
    *,
    variants: Sequence[str] | None = None,
    residents: Residents | None = None,
    stations: gpd.GeoDataFrame | None = None,
    isochrone_method: Method = "raster",
    units: Grouping | None = None,
    zones: Grouping | None = None,
) -> AnalysisResult:
    """Measure the walking catchments of TOD stations for each TOD variant.

    Parameters
    ----------
    study
        Loaded study (walk network at the standards' walking speed).
    standards
        The standards: ``[tod]`` gives the variants (inner and outer minutes) and the
        station kind; ``[travel] isochrone_buffer_m`` the street-frontage buffer, metres.
    variants
        Names of ``[tod.<variant>]`` to measure; default ALL variants, reported side by side
        (never merged).
    residents
        Residents per demand cell; without it the resident figures are None / NaN.
    stations
        Station points (any CRS; polygons are replaced by a representative point; a ``name``
        column is used when present). Default: the study's facilities of
        ``[tod] station_kind``. Every station gets its polygons.
    isochrone_method
        ``"raster"`` (default, ~10 ms per station) or ``"exact"`` (the vector union of
        buffered street pieces, ~0.1-0.3 s per station); see :func:`geo.isochrones.isochrones`.
    units, zones
        Groupings (:func:`beichen_geo.units.grouping_for`): the summary then gets ``units`` /
        ``zones``, per unit ``variants.<v>.bands.<band>`` with the whole area's
        ``residential_land_in_any_m2``, ``share_of_residential_land``, ``residents_in_any``,
        ``share_of_residents``, ``demand_cells_in_any`` measured by the same code on the unit's
        cells, and ``stations_reaching`` (stations whose band reaches a cell of the unit);
        and ``units_check`` / ``zones_check``.

    Returns
    -------
    AnalysisResult
        ``name="tod"``. Layers ``stations`` (points with the default variant's figures as
        ``inner_*`` / ``outer_*`` columns) and ``catchments`` (one polygon per station,
        variant and band); table ``stations`` (one row per station x variant x band). Summary
        keys are listed in the README (``variants``, ``stations``, totals per variant and band
        of the union of catchments, ``population_source``, ``stations_off_network``...).
        ``make_map`` draws :func:`beichen_geo.present.tod.make_map`.

    Raises
    ------
    DataError
        No stations, or none within the snap distance of the walk network.
    InputError
        Unknown variant, a mode other than walk, residents not aligned with the demand cells,
        or a stations layer without CRS.
    """
    tod = standards.tod
    if tod.mode != "walk":
        raise InputError(f"tod.mode {tod.mode!r} is not supported yet (walk only); "
                         "set mode = \"walk\" in your --standards file")
    if study.net.mode != "walk":
        raise InputError(f"the TOD analysis needs a walk network, the study's network is {study.net.mode!r}")
    vlist = _variants(standards, variants)
    given = groupings(units, zones, study)
    default = tod.default_variant if tod.default_variant in [v.name for v in vlist] else vlist[0].name
    st = station_points(study, standards, stations)
    pop = residents_per_cell(study, residents)
    snapped = snap_stations(study, st)
    buffer_m = float(standards.travel.isochrone_buffer_m.value)
    ctx = _prepare(study, st, snapped.snap, sorted({m for v in vlist for m in v.minutes}), pop,
                   station_kind=tod.station_kind, buffer_m=buffer_m, isochrone_method=isochrone_method)
    measures = {key: row for b in ctx.band_mins for key, row in _band_measures(ctx, b).items()}
    reach = {b: _band_reach(ctx, b) for b in ctx.band_mins}
    totals = _totals(ctx, measures, reach)
    pop_source = None if residents is None else residents.source
    table = _table(st, snapped.snap, vlist, measures, list(ctx.svc.kinds), pop_source)
    geoms = table.pop("geometry") if "geometry" in table else pd.Series([None] * len(table))
    catchments = gpd.GeoDataFrame(
        table.loc[geoms.notna().to_numpy()].reset_index(drop=True),
        geometry=list(geoms[geoms.notna()]), crs=study.crs,
    )
    stations_layer = _stations_layer(st, table, default, _figure_columns(list(ctx.svc.kinds)))
    summary = _summary(study, standards, ctx, snapped, vlist, totals, default=default, buffer_m=buffer_m,
                       residents=residents, given=stations is not None)
    result = AnalysisResult(
        name="tod",
        summary=summary,
        layers={"stations": stations_layer, "catchments": catchments},
        tables={"stations": table},
    )
    _attach_groupings(result, given, study, ctx, reach, vlist, st["station"].astype(str).to_numpy(), pop)
    result.make_map = lambda **kw: present.make_map(result, study, standards, **kw)
    return result


def _attach_groupings(result: AnalysisResult, given: Sequence[Grouping], study: Study, ctx: _Prepared,
                      reach: dict[float, BandReach], vlist: list[TodVariant], names: np.ndarray,
                      pop: np.ndarray | None) -> None:
    """Per unit (and zone): each variant's bands measured on the unit's cells, as the whole area's."""
    area = study.demand["area_m2"].to_numpy()

    def figures(sel: np.ndarray) -> dict[str, Any]:
        return {"variants": {v.name: {"bands": {
            band: {"minutes": b, **_reach_figures(ctx, reach[b], sel),
                   "stations_reaching": reach[b].stations(sel, names)}
            for band, b in zip(BANDS, v.minutes, strict=True)}} for v in vlist}}

    for g in given:
        attach(result, g, unit_rows(g, figures, area_m2=area, residents=pop), _flat)


def intersection_nodes(study: Study) -> np.ndarray:
    """Street intersections of the study's walk network (:func:`geo.measures.intersection_nodes`)."""
    return _network_intersections(study.engine)


# ------------------------------------------------------------------------------ helpers
def _variants(standards: Standards, names: Sequence[str] | None) -> list[TodVariant]:
    """The selected variants (all by default), validated, in the given order."""
    if names is None:
        return list(standards.tod.variants.values())
    if isinstance(names, str):
        names = [names]
    names = list(dict.fromkeys(names))
    if not names:
        raise InputError(f"no TOD variant selected; variants: {', '.join(standards.tod.variants)}")
    return [standards.tod_variant(n) for n in names]


@dataclasses.dataclass
class _Prepared:
    """What the per-band measures need: catchments, polygons, land, services, cell distances."""

    st: gpd.GeoDataFrame
    snap: SnappedPoints
    band_mins: list[float]
    mpm: float
    pop: np.ndarray | None
    cat: Catchments
    demand_cat: Catchments
    poly_of: dict[tuple[int, float], shapely.Geometry]
    is_x: np.ndarray
    res_parts: np.ndarray
    res_tree: shapely.STRtree
    res_area: float
    svc: Services
    fac_cat: Catchments | None
    buf_station: np.ndarray  # station of each (station, cell) pair within the largest band's circle
    buf_cell: np.ndarray
    buf_dist: np.ndarray  # their straight-line distance, m
    cells: np.ndarray  # demand cell polygons
    cell_tree: shapely.STRtree
    cell_area: np.ndarray  # m²


def _prepare(study: Study, st: gpd.GeoDataFrame, snap: SnappedPoints, band_mins: list[float],
             pop: np.ndarray | None, *, station_kind: str, buffer_m: float, isochrone_method: Method) -> _Prepared:
    """Catchments of the stations up to the largest band, their polygons and the inputs to count."""
    eng = study.engine
    max_min = band_mins[-1]
    mpm = study.net.metres_per_minute
    cat = eng.catchments(snap, cutoff_min=max_min)
    iso = isochrones(eng, snap, band_mins, per_source=True, buffer_m=buffer_m, method=isochrone_method)
    poly_of = {(int(s), float(m)): g for s, m, g in zip(iso["source"], iso["minutes"], iso.geometry, strict=True)}
    res_parts, res_tree, res_area = residential_land(study)
    demand_cat = eng.point_catchments(study.demand_snap, snap, cutoff_min=max_min, catchments=cat)
    svc = services(study, station_kind)
    fac_cat = services_catchments(eng, svc, snap, cat, max_min)
    cell_pts = (study.demand["point"].to_numpy() if "point" in study.demand
                else shapely.point_on_surface(study.demand.geometry.to_numpy()))
    pts = st.geometry.to_numpy()
    # cell -> station straight-line distance, only for pairs within the largest band
    bi, bc = shapely.STRtree(cell_pts).query(pts, predicate="dwithin", distance=max_min * mpm)
    return _Prepared(
        st=st, snap=snap, band_mins=band_mins, mpm=mpm, pop=pop, cat=cat, demand_cat=demand_cat, poly_of=poly_of,
        is_x=_network_intersections(eng), res_parts=res_parts, res_tree=res_tree, res_area=res_area, svc=svc,
        fac_cat=fac_cat, buf_station=bi, buf_cell=bc, buf_dist=shapely.distance(pts[bi], cell_pts[bc]),
        cells=study.demand.geometry.to_numpy(), cell_tree=shapely.STRtree(study.demand.geometry.to_numpy()),
        cell_area=study.demand["area_m2"].to_numpy(dtype=float),
    )


def _band_measures(ctx: _Prepared, b: float) -> dict[tuple[int, float], dict[str, Any]]:
    """The figures of every station for band ``b`` minutes, keyed by (station, band)."""
    n = len(ctx.st)
    on = ctx.snap.on_network
    pts = ctx.st.geometry.to_numpy()
    r = b * ctx.mpm
    circle_area = circle_area_m2(r)
    x_count = intersections_reached(ctx.cat, ctx.is_x, b, n_sources=n)
    res_in = None if ctx.pop is None else reached_sum(ctx.demand_cat, ctx.pop, b, n_sources=n)
    bsel = ctx.buf_dist <= r
    buf_res = (None if ctx.pop is None
               else np.bincount(ctx.buf_station[bsel], weights=ctx.pop[ctx.buf_cell[bsel]], minlength=n))
    kinds = list(ctx.svc.kinds)
    counts = service_counts(ctx.fac_cat, ctx.svc.kind_code, b, n_sources=n, n_kinds=len(kinds))
    out: dict[tuple[int, float], dict[str, Any]] = {}
    for i in range(n):
        row: dict[str, Any] = {"band_min": b, "band_m": r, "circle_area_m2": circle_area}
        circle = shapely.buffer(pts[i], r, quad_segs=64)
        row["buffer_residential_land_m2"] = land_in_polygon(circle, ctx.res_parts, ctx.res_tree)
        row["buffer_residents"] = np.nan if buf_res is None else float(buf_res[i])
        if on[i]:
            row.update(_catchment_figures(ctx, ctx.poly_of[(i, b)], circle_area, int(x_count[i]),
                                          np.nan if res_in is None else float(res_in[i]),
                                          row["buffer_residential_land_m2"]))
            c = {k: int(counts[i, j]) for j, k in enumerate(kinds)}
            row.update({f"services_{k}": v for k, v in c.items()})
            row["services_total"] = int(sum(c.values()))
            row["service_kinds"] = int(sum(v > 0 for v in c.values()))
            row["service_mix_index"] = mix_index(list(c.values()), n_kinds=len(kinds))
        out[(i, b)] = row
    return out


def _catchment_figures(ctx: _Prepared, poly: shapely.Geometry, circle_area: float, x_count: int, residents: float,
                       buffer_land: float) -> dict[str, Any]:
    """Figures of one station's catchment polygon (areas m², densities per km²)."""
    area = float(poly.area)
    land = land_in_polygon(poly, ctx.res_parts, ctx.res_tree)
    return {
        "geometry": poly,
        "catchment_area_m2": area,
        "ped_shed_ratio": area / circle_area,
        "intersections": x_count,
        "intersection_density_per_km2": per_km2(x_count, area),
        "residential_land_m2": land,
        "residents": residents,
        "residential_land_share": land / area if area > 0 else np.nan,
        "residents_per_km2": per_km2(residents, area),
        "land_network_to_buffer_ratio": land / buffer_land if buffer_land > 0 else np.nan,
    }


@dataclasses.dataclass(frozen=True)
class BandReach:
    """What the stations reach within one band, per demand cell.

    ``land_m2``: the area of each cell inside the union of the stations' catchment polygons
    (so that land adds up over units to the whole area); ``reached``: cells whose demand point
    walks to some station within the band (residents and cells counted once); ``pair_station``
    / ``pair_cell``: every (station, cell) pair within the band.
    """

    union: shapely.Geometry
    land_m2: np.ndarray
    reached: np.ndarray
    pair_station: np.ndarray
    pair_cell: np.ndarray

    def stations(self, sel: np.ndarray, names: np.ndarray) -> list[str]:
        """Names of the stations (in station order) whose band reaches a cell of ``sel``."""
        return [str(n) for n in names[np.unique(self.pair_station[sel[self.pair_cell]])]]


def _band_reach(ctx: _Prepared, b: float) -> BandReach:
    """The union of the catchments of band ``b`` and what it holds, per cell."""
    on_idx = [int(i) for i in np.flatnonzero(ctx.snap.on_network)]
    union = shapely.union_all([ctx.poly_of[(i, b)] for i in on_idx])
    within = ctx.demand_cat.minutes <= b + EPS_MIN
    reached = np.zeros(len(ctx.cells), dtype=bool)
    reached[ctx.demand_cat.node[within]] = True
    return BandReach(union=union, land_m2=areas_inside(ctx.cells, union, tree=ctx.cell_tree), reached=reached,
                     pair_station=ctx.demand_cat.source[within], pair_cell=ctx.demand_cat.node[within])


def _reach_figures(ctx: _Prepared, br: BandReach, sel: np.ndarray) -> dict[str, Any]:
    """The measured figures of one band on the cells ``sel`` (the whole area: every cell; a unit: its cells)."""
    land_any = float(br.land_m2[sel].sum())
    land = float(ctx.cell_area[sel].sum())
    pop = None if ctx.pop is None else ctx.pop[sel]
    res_any = None if pop is None else float(pop[br.reached[sel]].sum())
    return {
        "residential_land_in_any_m2": round(land_any, 1),
        "residents_in_any": None if res_any is None else round(res_any, 1),
        "share_of_residential_land": round(land_any / land, 6) if land > 0 else None,
        "share_of_residents": rounded(share_of(pop, br.reached[sel])),
        "demand_cells_in_any": int(br.reached[sel].sum()),
    }


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """One unit's row of the ``<kind>`` table: ``<variant>_<band>_<minutes>min_<figure>`` columns."""
    out = {k: row[k] for k in ("name", "residential_area_m2", "residents", "demand_cells")}
    for v, vd in row["variants"].items():
        for band, f in vd["bands"].items():
            tag = f"{v}_{band}_{minutes_tag(f['minutes'])}"
            out.update({f"{tag}_{k}": x for k, x in f.items() if k not in ("minutes", "stations_reaching")})
            out[f"{tag}_stations_reaching"] = "; ".join(f["stations_reaching"])
    return out


def _totals(ctx: _Prepared, measures: dict[tuple[int, float], dict[str, Any]],
            reach: dict[float, BandReach]) -> dict[float, dict[str, Any]]:
    """District totals per band: the union of station catchments (land and cells counted once)
    next to the sums of the per-station figures (which double count overlaps)."""
    n = len(ctx.st)
    on_idx = [int(i) for i in np.flatnonzero(ctx.snap.on_network)]
    pts = ctx.st.geometry.to_numpy()
    pop, res_area = ctx.pop, ctx.res_area
    every = np.ones(len(ctx.cells), dtype=bool)
    out: dict[float, dict[str, Any]] = {}
    for b in ctx.band_mins:
        r = b * ctx.mpm
        circles = shapely.union_all(shapely.buffer(pts, r, quad_segs=64))
        buf_land = land_in_polygon(circles, ctx.res_parts, ctx.res_tree)
        rows = [measures[(i, b)] for i in range(n)]
        per_on = [measures[(i, b)] for i in on_idx]
        out[b] = {
            "minutes": b,
            "distance_m": round(r, 1),
            "union_catchment_area_m2": round(float(reach[b].union.area), 1),
            **_reach_figures(ctx, reach[b], every),
            "sum_station_residential_land_m2": round(float(sum(m["residential_land_m2"] for m in per_on)), 1),
            "sum_station_residents": None if pop is None else round(float(sum(m["residents"] for m in per_on)), 1),
            "buffer_residential_land_in_any_m2": round(buf_land, 1),
            "buffer_share_of_residential_land": round(buf_land / res_area, 6) if res_area > 0 else None,
            "sum_station_buffer_residential_land_m2": round(float(sum(m["buffer_residential_land_m2"]
                                                                      for m in rows)), 1),
            "mean_ped_shed_ratio": round(float(np.mean([m["ped_shed_ratio"] for m in per_on])), 6),
            "mean_intersection_density_per_km2": round(float(np.nanmean([m["intersection_density_per_km2"]
                                                                         for m in per_on])), 3),
        }
    return out


def _table(st: gpd.GeoDataFrame, snap: SnappedPoints, vlist: list[TodVariant],
           measures: dict[tuple[int, float], dict[str, Any]], kinds: list[str], pop_source: str | None) -> pd.DataFrame:
    """One row per station x variant x band (with a ``geometry`` column of catchment polygons)."""
    on = snap.on_network
    rows = []
    for v in vlist:
        for band, b in zip(BANDS, v.minutes, strict=True):
            for i in range(len(st)):
                rows.append({
                    "station_id": i, "station": st["station"].iloc[i], "variant": v.name, "standard": v.standard,
                    "band": band, "on_network": bool(on[i]),
                    "snap_access_m": float(snap.access_m[i]) if on[i] else np.nan,
                    **measures[(i, b)], "population_source": pop_source,
                })
    table = pd.DataFrame(rows)
    figure_cols = _figure_columns(kinds)
    for c in figure_cols:
        if c not in table:
            table[c] = np.nan
    for c in ["intersections", "services_total", "service_kinds", *[f"services_{k}" for k in kinds]]:
        table[c] = table[c].astype("Int64")
    lead = ["station_id", "station", "variant", "standard", "band", "band_min", "band_m", "on_network", "snap_access_m"]
    tail = ["population_source", "geometry"] if "geometry" in table else ["population_source"]
    return table[[*lead, *figure_cols, *tail]]


def _summary(study: Study, standards: Standards, ctx: _Prepared, snapped: StationSnap, vlist: list[TodVariant],
             totals: dict[float, dict[str, Any]], *, default: str, buffer_m: float, residents: Residents | None,
             given: bool) -> dict[str, Any]:
    """The JSON summary (keys listed in the README)."""
    return {
        "analysis": "TOD station areas",
        "walk_speed_kmh": study.net.speed_kmh,
        "metres_per_minute": round(ctx.mpm, 6),
        "isochrone_buffer_m": buffer_m,
        "station_kind": standards.tod.station_kind,
        "station_source": "given" if given else f"study facilities of kind {standards.tod.station_kind!r}",
        "default_variant": default,
        "variants": {
            v.name: {**_variant_def(v, ctx.mpm),
                     "bands": {band: totals[b] for band, b in zip(BANDS, v.minutes, strict=True)}}
            for v in vlist
        },
        **_station_counts(ctx.st, snapped.snap, snapped.relinked),
        "residential_area_m2": round(ctx.res_area, 1),
        "residents": None if ctx.pop is None else round(float(np.nansum(ctx.pop)), 1),
        "population_source": None if residents is None else residents.source,
        "service_kinds_counted": list(ctx.svc.kinds),
        "facilities_off_network": ctx.svc.n_off_network,
        "demand_cells": len(study.demand),
        "demand_off_network": int(study.demand_snap.n_off_network),
        "warnings": list(snapped.warnings),
    }


def _station_counts(st: gpd.GeoDataFrame, snap: SnappedPoints, relinked: list[dict[str, Any]]) -> dict[str, Any]:
    """Summary keys on the stations: how many, which are off the network, which were relinked."""
    on = snap.on_network
    return {
        "stations": len(st),
        "stations_on_network": int(on.sum()),
        "stations_off_network": [str(s) for s in st["station"].to_numpy()[~on]],
        "stations_relinked_to_main_network": relinked,
    }


def _figure_columns(kinds: list[str]) -> list[str]:
    """The figure columns of the station table, in order."""
    return [
        "catchment_area_m2", "circle_area_m2", "ped_shed_ratio", "intersections", "intersection_density_per_km2",
        "residential_land_m2", "residential_land_share", "buffer_residential_land_m2", "land_network_to_buffer_ratio",
        "residents", "residents_per_km2", "buffer_residents",
        *[f"services_{k}" for k in kinds], "services_total", "service_kinds", "service_mix_index",
    ]


def _stations_layer(st: gpd.GeoDataFrame, table: pd.DataFrame, default: str,
                    figure_cols: list[str]) -> gpd.GeoDataFrame:
    """Station points with the default variant's figures as ``inner_*`` / ``outer_*`` columns."""
    out = st[["station", "geometry"]].copy()
    out.insert(0, "station_id", np.arange(len(st)))
    t = table.loc[table["variant"] == default]
    out["variant"] = default
    on = t.loc[t["band"] == "inner"].set_index("station_id")
    out["on_network"] = on["on_network"].reindex(out["station_id"]).to_numpy()
    out["snap_access_m"] = on["snap_access_m"].reindex(out["station_id"]).to_numpy()
    for band in BANDS:
        tb = t.loc[t["band"] == band].set_index("station_id")
        out[f"{band}_min"] = tb["band_min"].reindex(out["station_id"]).to_numpy()
        for c in figure_cols:
            out[f"{band}_{c}"] = tb[c].reindex(out["station_id"]).to_numpy()
    return gpd.GeoDataFrame(out, geometry="geometry", crs=st.crs)


def _variant_def(v: TodVariant, mpm: float) -> dict[str, Any]:
    """A variant's definition in the summary (minutes, metres, sources)."""
    inner, outer = v.minutes
    return {
        "label_zh": v.label_zh, "label_en": v.label_en, "standard": v.standard, "source": v.source,
        "plan_text": v.plan_text, "note": v.note,
        "inner_minutes": inner, "outer_minutes": outer,
        "inner_source": v.inner_minutes.source, "outer_source": v.outer_minutes.source,
        "inner_m": round(inner * mpm, 1), "outer_m": round(outer * mpm, 1),
    }
