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
two close stations are counted once; per-station rows overlap by design.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import DataError, InputError
from geo.engine import Catchments
from geo.isochrones import isochrones
from geo.access import per_feature
from geo.snapping import OffNetworkWarning, SnappedPoints, snap_points

from .population import Residents
from .result import AnalysisResult
from .standards import Standards, TodVariant
from .study import Study

BANDS = ("inner", "outer")
_EPS_MIN = 1e-9  # minutes: a node exactly at the band limit is inside (as in the engine)


def tod_station_areas(
    study: Study,
    standards: Standards,
    *,
    variants: Sequence[str] | None = None,
    residents: Residents | None = None,
    stations: gpd.GeoDataFrame | None = None,
    isochrone_method: str = "raster",
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

    Returns
    -------
    AnalysisResult
        ``name="tod"``. Layers ``stations`` (points with the default variant's figures as
        ``inner_*`` / ``outer_*`` columns) and ``catchments`` (one polygon per station,
        variant and band); table ``stations`` (one row per station x variant x band). Summary
        keys are listed in the README (``variants``, ``stations``, totals per variant and band
        of the union of catchments, ``population_source``, ``stations_off_network``...).

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
        raise InputError(f"tod.mode {tod.mode!r} is not supported yet (walk only); set mode = \"walk\" in your --standards file")
    if study.net.mode != "walk":
        raise InputError(f"the TOD analysis needs a walk network, the study's network is {study.net.mode!r}")
    vlist = _variants(standards, variants)
    default = tod.default_variant if tod.default_variant in [v.name for v in vlist] else vlist[0].name
    mpm = study.net.metres_per_minute
    band_mins = sorted({m for v in vlist for m in v.minutes})
    max_min = band_mins[-1]

    st = station_points(study, standards, stations)
    pop = _per_cell(study, residents)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OffNetworkWarning)
        snap, relinked = snap_stations(study, st)
    on = snap.on_network
    eng = study.engine
    cat = eng.catchments(snap, cutoff_min=max_min)
    buffer_m = float(standards.travel.isochrone_buffer_m.value)
    iso = isochrones(eng, snap, band_mins, per_source=True, buffer_m=buffer_m, method=isochrone_method)
    poly_of = {(int(s), float(m)): g for s, m, g in zip(iso["source"], iso["minutes"], iso.geometry)}

    # --- the measures per (station, band minutes) -----------------------------------------
    n = len(st)
    is_x = intersection_nodes(study)
    res_parts, res_tree, res_area = _residential(study)
    demand_cat = eng.point_catchments(study.demand_snap, snap, cutoff_min=max_min, catchments=cat)
    fac, fac_cat, kinds = _services(study, snap, tod.station_kind, cat, max_min)
    cell_pts = study.demand["point"].to_numpy() if "point" in study.demand else shapely.point_on_surface(study.demand.geometry.to_numpy())
    pts = st.geometry.to_numpy()
    # cell -> station straight-line distance, only for pairs within the largest band
    cell_tree = shapely.STRtree(cell_pts)
    bi, bc = cell_tree.query(pts, predicate="dwithin", distance=max_min * mpm)
    bdist = shapely.distance(pts[bi], cell_pts[bc])

    measures: dict[tuple[int, float], dict[str, Any]] = {}
    for b in band_mins:
        r = b * mpm
        circle_area = math.pi * r * r
        x_count = np.bincount(cat.source[(cat.minutes <= b + _EPS_MIN) & is_x[cat.node]], minlength=n)
        dsel = demand_cat.minutes <= b + _EPS_MIN
        res_in = None if pop is None else np.bincount(demand_cat.source[dsel], weights=pop[demand_cat.node[dsel]], minlength=n)
        bsel = bdist <= r
        buf_res = None if pop is None else np.bincount(bi[bsel], weights=pop[bc[bsel]], minlength=n)
        kind_counts = _kind_counts(fac, fac_cat, kinds, b, n)
        for i in range(n):
            row: dict[str, Any] = {"band_min": b, "band_m": r, "circle_area_m2": circle_area}
            circle = shapely.buffer(pts[i], r, quad_segs=64)
            row["buffer_residential_land_m2"] = _land(circle, res_parts, res_tree)
            row["buffer_residents"] = np.nan if buf_res is None else float(buf_res[i])
            if on[i]:
                poly = poly_of[(i, b)]
                area = float(poly.area)
                row.update(
                    geometry=poly,
                    catchment_area_m2=area,
                    ped_shed_ratio=area / circle_area,
                    intersections=int(x_count[i]),
                    intersection_density_per_km2=(x_count[i] / (area / 1e6)) if area > 0 else np.nan,
                    residential_land_m2=_land(poly, res_parts, res_tree),
                    residents=np.nan if res_in is None else float(res_in[i]),
                )
                row["residential_land_share"] = row["residential_land_m2"] / area if area > 0 else np.nan
                row["residents_per_km2"] = row["residents"] / (area / 1e6) if area > 0 else np.nan
                row["land_network_to_buffer_ratio"] = (
                    row["residential_land_m2"] / row["buffer_residential_land_m2"]
                    if row["buffer_residential_land_m2"] > 0 else np.nan
                )
                counts = {k: int(kind_counts[k][i]) for k in kinds}
                row.update({f"services_{k}": c for k, c in counts.items()})
                row["services_total"] = int(sum(counts.values()))
                row["service_kinds"] = int(sum(c > 0 for c in counts.values()))
                row["service_mix_index"] = mix_index(list(counts.values()), n_kinds=len(kinds))
            measures[(i, b)] = row

    # --- union totals per band (cells and land counted once) ------------------------------
    totals = _totals(st, on, poly_of, band_mins, demand_cat, pop, res_parts, res_tree, res_area, mpm, measures)

    # --- table and layers ----------------------------------------------------------------
    pop_source = None if residents is None else residents.source
    rows = []
    for v in vlist:
        for band, b in zip(BANDS, v.minutes):
            for i in range(n):
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
    table = table[[*lead, *figure_cols, "population_source", "geometry"]] if "geometry" in table else table[[*lead, *figure_cols, "population_source"]]
    geoms = table.pop("geometry") if "geometry" in table else pd.Series([None] * len(table))
    catchments = gpd.GeoDataFrame(
        table.loc[geoms.notna().to_numpy()].reset_index(drop=True),
        geometry=list(geoms[geoms.notna()]), crs=study.crs,
    )
    stations_layer = _stations_layer(st, table, default, figure_cols)

    dv = {v.name: v for v in vlist}
    summary = {
        "analysis": "TOD station areas",
        "walk_speed_kmh": study.net.speed_kmh,
        "metres_per_minute": round(mpm, 6),
        "isochrone_buffer_m": buffer_m,
        "station_kind": tod.station_kind,
        "station_source": "given" if stations is not None else f"study facilities of kind {tod.station_kind!r}",
        "default_variant": default,
        "variants": {
            v.name: {
                **_variant_def(v, mpm),
                "bands": {band: totals[b] for band, b in zip(BANDS, v.minutes)},
            }
            for v in vlist
        },
        "stations": int(n),
        "stations_on_network": int(on.sum()),
        "stations_off_network": [str(s) for s in st["station"].to_numpy()[~on]],
        "stations_relinked_to_main_network": relinked,
        "residential_area_m2": round(res_area, 1),
        "residents": None if pop is None else round(float(np.nansum(pop)), 1),
        "population_source": pop_source,
        "service_kinds_counted": kinds,
        "facilities_off_network": int(0 if fac is None else fac.attrs.get("off_network", 0)),
        "demand_cells": int(len(study.demand)),
        "demand_off_network": int(study.demand_snap.n_off_network),
        "warnings": [str(w.message) for w in caught],
    }
    result = AnalysisResult(
        name="tod",
        summary=summary,
        layers={"stations": stations_layer, "catchments": catchments},
        tables={"stations": table},
    )
    result.make_map = lambda **kw: _map(result, dv, default, **kw)
    return result


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


def station_points(
    study: Study, standards: Standards, stations: gpd.GeoDataFrame | None, *, hint: str | None = None
) -> gpd.GeoDataFrame:
    """Station points in the study CRS with ``station`` (name) and ``source_index``.

    ``stations`` None takes the study's facilities of ``[tod] station_kind``; polygons become
    a point on their surface. ``hint`` is the remedy named when there is no station.
    """
    kind = standards.tod.station_kind
    if stations is None:
        src = study.facilities_of(kind)
        what = f"the study's facilities of kind {kind!r}"
    else:
        if not isinstance(stations, gpd.GeoDataFrame):
            raise InputError(f"stations: expected a GeoDataFrame, got {type(stations).__name__}")
        if stations.crs is None:
            raise InputError("stations: the layer has no CRS; set one (EPSG:4326 for lon/lat)")
        src = stations.to_crs(study.crs)
        what = "the stations given"
    g = src.geometry.to_numpy() if len(src) else np.empty(0, dtype=object)
    keep = ~(shapely.is_missing(g) | shapely.is_empty(g)) if len(g) else np.zeros(0, bool)
    src, g = src.loc[keep], g[keep]
    if src.empty:
        raise DataError(
            f"no stations were found ({what} is empty), so there is no TOD station area to measure. "
            + (hint or f"Pass the station list with --facilities FILE --kind {kind}.")
        )
    not_pt = shapely.get_type_id(g) != 0
    if not_pt.any():
        g = g.copy()
        g[not_pt] = shapely.point_on_surface(g[not_pt])
    if "name" in src:
        names = [str(x).strip() if x is not None and pd.notna(x) and str(x).strip() else f"station {i + 1}"
                 for i, x in enumerate(src["name"])]
    else:
        names = [f"station {i + 1}" for i in range(len(src))]
    return gpd.GeoDataFrame({"station": names, "source_index": list(src.index)}, geometry=g, crs=study.crs)


#: A connected piece of the walk network with at least this share of its nodes is "main".
MAIN_COMPONENT_SHARE = 0.05


def snap_stations(study: Study, st: gpd.GeoDataFrame) -> tuple[SnappedPoints, list[dict[str, Any]]]:
    """Snap stations (see :func:`_snap_stations`); a DataError when none reaches the network."""
    snap, relinked = _snap_stations(study, st)
    if not snap.on_network.any():
        raise DataError(
            f"none of the {len(st)} stations is within {study.max_snap_m:g} m of the walk network "
            f"(e.g. {st['station'].iloc[0]!r}). Check the station coordinates (GCJ-02/BD-09 points read as "
            "WGS84? give the file's coordinate system with --coords or --stations-coords) and that the stations lie inside the study area."
        )
    return snap, relinked


def _snap_stations(study: Study, st: gpd.GeoDataFrame) -> tuple[SnappedPoints, list[dict[str, Any]]]:
    """Snap stations to the main walk network; report those whose nearest street is isolated.

    A station's nearest footway is often an isolated piece (an underground platform or
    corridor mapped without its stairs). Such a station is linked instead to the nearest
    street of a main component (the largest, or any holding >= 5 % of the nodes) within the
    snap distance, and listed; otherwise it is off-network.
    """
    net = study.net
    full = snap_points(net, st, max_snap_m=study.max_snap_m, what="stations")
    comp = net.nodes["component"].to_numpy()
    sizes = np.bincount(comp)
    major = (np.arange(len(sizes)) == int(np.argmax(sizes))) | (sizes >= MAIN_COMPONENT_SHARE * sizes.sum())
    edge_comp = comp[net.edges["u"].to_numpy()]
    main_edges = np.flatnonzero(major[edge_comp])
    on = full.edge >= 0
    minor = on & ~major[edge_comp[np.maximum(full.edge, 0)]]
    if not minor.any():
        return full, []
    sub = dataclasses.replace(net, edges=net.edges.iloc[main_edges])
    alt = snap_points(sub, st, max_snap_m=study.max_snap_m, what="stations", warn=False)
    edge, offset, access = full.edge.copy(), full.offset_m.copy(), full.access_m.copy()
    relinked = []
    for i in np.flatnonzero(minor):
        ok = alt.edge[i] >= 0
        relinked.append({
            "station": str(st["station"].iloc[i]),
            "isolated_piece_nodes": int(sizes[edge_comp[full.edge[i]]]),
            "isolated_piece_access_m": round(float(full.access_m[i]), 1),
            "main_network_access_m": round(float(alt.access_m[i]), 1) if ok else None,
        })
        edge[i] = main_edges[alt.edge[i]] if ok else -1
        offset[i] = alt.offset_m[i] if ok else np.nan
        access[i] = alt.access_m[i] if ok else np.nan
    if any(r["main_network_access_m"] is None for r in relinked):
        names = ", ".join(r["station"] for r in relinked if r["main_network_access_m"] is None)
        warnings.warn(
            f"stations: {names} lie next to an isolated piece of the walk network only (no main street within "
            f"{study.max_snap_m:g} m) and are reported as off-network. Move the points to the station entrances.",
            OffNetworkWarning, stacklevel=3,
        )
    return dataclasses.replace(full, edge=edge, offset_m=offset, access_m=access), relinked


def _per_cell(study: Study, residents: Residents | None) -> np.ndarray | None:
    """Residents per demand cell (NaN as 0), or None when unknown."""
    if residents is None:
        return None
    pop = np.asarray(residents.per_cell, dtype=float)
    if len(pop) != len(study.demand):
        raise InputError(
            f"residents: {len(pop)} values for {len(study.demand)} demand cells; compute them for this study "
            "(beichen_geo.population.residents_for)"
        )
    if np.isnan(pop).all():
        return None
    return np.nan_to_num(pop, nan=0.0)


def intersection_nodes(study: Study) -> np.ndarray:
    """Boolean mask of street intersections: nodes with >= 3 distinct neighbours.

    Parallel edges and self-loops do not count; direction is ignored. A node where a way
    only bends (2 neighbours) or ends (1) is not an intersection.
    """
    e = study.engine
    keep = e.u != e.v
    a = np.minimum(e.u[keep], e.v[keep])
    b = np.maximum(e.u[keep], e.v[keep])
    pairs = np.unique(np.stack([a, b], axis=1), axis=0) if len(a) else np.zeros((0, 2), np.int64)
    deg = np.bincount(pairs.ravel(), minlength=e.n)
    return deg >= 3


def _residential(study: Study) -> tuple[np.ndarray, shapely.STRtree, float]:
    """Dissolved residential land as disjoint polygon parts, their tree and total area (m²)."""
    g = study.residential.geometry.to_numpy()
    g = g[np.isin(shapely.get_type_id(g), [3, 6])]
    if len(g) == 0:
        parts = np.empty(0, dtype=object)
    else:
        merged = shapely.union_all(shapely.make_valid(g))
        parts = np.array([p for p in shapely.get_parts(merged) if shapely.get_type_id(p) == 3], dtype=object)
    return parts, shapely.STRtree(parts), float(shapely.area(parts).sum())


def _land(poly: shapely.Geometry, parts: np.ndarray, tree: shapely.STRtree) -> float:
    """Residential land inside ``poly``, m² (parts are disjoint, so areas add up)."""
    if poly is None or poly.is_empty or len(parts) == 0:
        return 0.0
    idx = tree.query(poly, predicate="intersects")
    if len(idx) == 0:
        return 0.0
    return float(shapely.area(shapely.intersection(parts[idx], poly)).sum())


def _services(
    study: Study, snap: SnappedPoints, station_kind: str, cat: Catchments, max_min: float
) -> tuple[gpd.GeoDataFrame | None, Catchments | None, list[str]]:
    """Service facilities (every kind but the stations'), their per-station catchments and kinds."""
    service_kinds = [k for k in pd.unique(study.facilities["kind"]) if k != station_kind]
    fac, access = study.snapped_access(service_kinds)
    kinds = sorted(map(str, fac["kind"].unique()))
    if fac.empty:
        return None, None, kinds
    fac = fac.copy()
    fac.attrs["off_network"] = access.n_off_network
    # reached through entrances / outline points; each facility counted once per station
    fcat = per_feature(study.engine.point_catchments(access.points, snap, cutoff_min=max_min, catchments=cat), access)
    return fac, fcat, kinds


def _kind_counts(
    fac: gpd.GeoDataFrame | None, fcat: Catchments | None, kinds: list[str], b: float, n: int
) -> dict[str, np.ndarray]:
    """Facilities of each kind within ``b`` minutes of each of the ``n`` stations."""
    if fac is None or fcat is None:
        return {}
    sel = fcat.minutes <= b + _EPS_MIN
    fk = fac["kind"].astype(str).to_numpy()[fcat.node[sel]]
    src = fcat.source[sel]
    return {k: np.bincount(src[fk == k], minlength=n) for k in kinds}


def mix_index(counts: Sequence[int], *, n_kinds: int) -> float:
    """Service mix: Shannon entropy of kind shares normalised to 0-1.

    ``H = -sum(p_k ln p_k)`` over kinds with ``p_k = count_k / total``, divided by
    ``ln(n_kinds)`` (its largest value, every kind in equal numbers). 0 when there are no
    services, a single kind, or fewer than 2 kinds to choose from.

    Examples
    --------
    >>> round(mix_index([2, 1, 1, 0], n_kinds=4), 6)   # 1.5 ln 2 / ln 4
    0.75
    """
    c = np.asarray(counts, dtype=float)
    tot = c.sum()
    if tot <= 0 or n_kinds < 2:
        return 0.0
    p = c[c > 0] / tot
    return float(-(p * np.log(p)).sum() / math.log(n_kinds))


def _totals(
    st: gpd.GeoDataFrame,
    on: np.ndarray,
    poly_of: dict[tuple[int, float], shapely.Geometry],
    band_mins: list[float],
    demand_cat: Catchments,
    pop: np.ndarray | None,
    res_parts: np.ndarray,
    res_tree: shapely.STRtree,
    res_area: float,
    mpm: float,
    measures: dict[tuple[int, float], dict[str, Any]],
) -> dict[float, dict[str, Any]]:
    """District totals per band: the union of station catchments (land and cells counted once)
    next to the sums of the per-station figures (which double count overlaps)."""
    n = len(st)
    on_idx = np.flatnonzero(on)
    pts = st.geometry.to_numpy()
    out: dict[float, dict[str, Any]] = {}
    for b in band_mins:
        union = shapely.union_all([poly_of[(i, b)] for i in on_idx])
        land_any = _land(union, res_parts, res_tree)
        sel = demand_cat.minutes <= b + _EPS_MIN
        cells = np.unique(demand_cat.node[sel])
        r = b * mpm
        circles = shapely.union_all(shapely.buffer(pts, r, quad_segs=64))
        buf_land = _land(circles, res_parts, res_tree)
        rows = [measures[(i, b)] for i in range(n)]
        per_on = [measures[(i, b)] for i in on_idx]
        res_any = None if pop is None else float(pop[cells].sum())
        total_pop = None if pop is None else float(pop.sum())
        out[b] = {
            "minutes": b,
            "distance_m": round(r, 1),
            "union_catchment_area_m2": round(float(union.area), 1),
            "residential_land_in_any_m2": round(land_any, 1),
            "residents_in_any": None if res_any is None else round(res_any, 1),
            "share_of_residential_land": round(land_any / res_area, 6) if res_area > 0 else None,
            "share_of_residents": None if res_any is None or not total_pop else round(res_any / total_pop, 6),
            "demand_cells_in_any": int(len(cells)),
            "sum_station_residential_land_m2": round(float(sum(m["residential_land_m2"] for m in per_on)), 1),
            "sum_station_residents": None if pop is None else round(float(sum(m["residents"] for m in per_on)), 1),
            "buffer_residential_land_in_any_m2": round(buf_land, 1),
            "buffer_share_of_residential_land": round(buf_land / res_area, 6) if res_area > 0 else None,
            "sum_station_buffer_residential_land_m2": round(float(sum(m["buffer_residential_land_m2"] for m in rows)), 1),
            "mean_ped_shed_ratio": round(float(np.mean([m["ped_shed_ratio"] for m in per_on])), 6),
            "mean_intersection_density_per_km2": round(float(np.nanmean([m["intersection_density_per_km2"] for m in per_on])), 3),
        }
    return out


def _figure_columns(kinds: list[str]) -> list[str]:
    return [
        "catchment_area_m2", "circle_area_m2", "ped_shed_ratio", "intersections", "intersection_density_per_km2",
        "residential_land_m2", "residential_land_share", "buffer_residential_land_m2", "land_network_to_buffer_ratio",
        "residents", "residents_per_km2", "buffer_residents",
        *[f"services_{k}" for k in kinds], "services_total", "service_kinds", "service_mix_index",
    ]


def _stations_layer(st: gpd.GeoDataFrame, table: pd.DataFrame, default: str, figure_cols: list[str]) -> gpd.GeoDataFrame:
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
    inner, outer = v.minutes
    return {
        "label_zh": v.label_zh, "label_en": v.label_en, "standard": v.standard, "source": v.source,
        "plan_text": v.plan_text, "note": v.note,
        "inner_minutes": inner, "outer_minutes": outer,
        "inner_source": v.inner_minutes.source, "outer_source": v.outer_minutes.source,
        "inner_m": round(inner * mpm, 1), "outer_m": round(outer * mpm, 1),
    }


# ------------------------------------------------------------------------------ map
_TXT = {
    "en": {
        "title": "TOD station areas", "target": "Target: high-density, mixed-use development within the band "
        "(the plan sets no numeric share)", "stations": "{n} stations", "off": "{n} off the network",
        "measured": "{std} {a:g} / {b:g} min: {la} / {lb} of residential land{res} within any station's band",
        "res": ", {ra} / {rb} residents", "catch": "{std} {a:g}-{b:g} min walk: station catchments",
        "circle": "Straight-line circle {r:,.0f} m ({std} {m:g} min)", "station": "TOD station",
        "area": "{m}: catchment (ha)", "ratio": "{m}: ped-shed ratio", "res_row": "{m}: residents",
        "land": "{m}: residential land (ha)", "srv": "{m}: services (kinds)",
        "xd": "{m}: intersections per km²", "onnet": "On the walk network", "band": "{m:g} min ({std})", "mix": "{m}: service mix (0-1)",
        "legend": "{std} walking time (min)", "stations_legend": "Stations",
    },
    "zh": {
        "title": "TOD站点地区", "target": "目标: 步行范围内高密度、多功能开发 (规划未给出量化比例)",
        "stations": "{n}个站点", "off": "{n}个不在步行网络上",
        "measured": "{std} {a:g} / {b:g} 分钟: 居住用地 {la} / {lb}{res} 在任一站点范围内",
        "res": ", 人口 {ra} / {rb}", "catch": "{std} 步行{a:g}-{b:g}分钟: 站点服务范围",
        "circle": "直线半径 {r:,.0f} 米 ({std} {m:g} 分钟)", "station": "TOD站点",
        "area": "{m}: 服务范围 (公顷)", "ratio": "{m}: 步行可达比", "res_row": "{m}: 居民",
        "land": "{m}: 居住用地 (公顷)", "srv": "{m}: 服务设施 (类)",
        "xd": "{m}: 交叉口/平方公里", "onnet": "位于步行网络上", "band": "{m:g}分钟 ({std})", "mix": "{m}: 设施混合度 (0-1)",
        "legend": "{std} 步行时间（分钟）", "stations_legend": "站点",
    },
}


def _map(result: AnalysisResult, variants: dict[str, TodVariant], default: str, *,
         lang: str = "en", basemap: str = "positron") -> Any:
    """The TOD map: catchment bands per variant, straight-line circles, station score popups."""
    from geo.maps import MapBuilder

    T = _TXT["zh" if lang == "zh" else "en"]
    s = result.summary
    lines = []
    for name, v in variants.items():
        a, b = v.minutes
        src = v.inner_minutes.source if v.inner_minutes.source == v.outer_minutes.source else f"{v.inner_minutes.source}; {v.outer_minutes.source}"
        lines.append(f"{v.standard} {a:g}-{b:g} min ({src}): {v.label_zh if lang == 'zh' else v.label_en}")
    lines.append(T["target"])
    for name, v in variants.items():
        a, b = v.minutes
        ta, tb = s["variants"][name]["bands"]["inner"], s["variants"][name]["bands"]["outer"]
        pct = lambda x: "–" if x is None else f"{x:.0%}"  # noqa: E731
        res = "" if ta["residents_in_any"] is None else T["res"].format(ra=f"{ta['residents_in_any']:,.0f}", rb=f"{tb['residents_in_any']:,.0f}")
        lines.append(T["measured"].format(std=v.standard, a=a, b=b, la=pct(ta["share_of_residential_land"]),
                                          lb=pct(tb["share_of_residential_land"]), res=res))
    st_line = T["stations"].format(n=s["stations"])
    if s["stations_off_network"]:
        st_line += "; " + T["off"].format(n=len(s["stations_off_network"]))
    if s["population_source"]:
        st_line += ("; 人口: " if lang == "zh" else "; residents: ") + str(s["population_source"])
    lines.append(st_line)
    m = MapBuilder(title=T["title"], subtitle_lines=lines, basemap=basemap, lang=lang)
    cat = result.layers["catchments"]
    for name, v in variants.items():
        a, b = v.minutes
        sub = cat.loc[(cat["variant"] == name) & ~cat.geometry.is_empty]
        if len(sub):
            m.add_bands(sub, minutes_col="band_min", name=T["catch"].format(std=v.standard or name, a=a, b=b),
                        legend_title=T["legend"].format(std=v.standard or name), show=name == default)
    stl = result.layers["stations"]
    dvar = variants[default]
    r = dvar.minutes[1] * s["metres_per_minute"]
    circles = gpd.GeoDataFrame({"station": stl["station"]}, geometry=stl.geometry.buffer(r, quad_segs=32), crs=stl.crs)
    m.add_polygons(circles, name=T["circle"].format(r=r, std=dvar.standard or default, m=dvar.minutes[1]),
                   color="#555555", fill_opacity=0.03, tooltip_cols={T["station"]: "station"},
                   show=False)
    # popup: the score table for every band of every variant (each distinct band once)
    table = result.tables["stations"]
    pop = stl[["station", "geometry"]].copy()
    pop["_kind"] = "station"
    cols: dict[str, str] = {T["onnet"]: "on_network"}
    pop["on_network"] = stl["on_network"].to_numpy()
    for b in sorted(table["band_min"].unique()):
        tb = table.loc[table["band_min"] == b].drop_duplicates("station_id").set_index("station_id")
        get = lambda c: tb[c].reindex(stl["station_id"]).to_numpy() if c in tb else np.full(len(stl), np.nan)  # noqa: E731
        k = f"{b:g}"
        lbl = T["band"].format(m=b, std="/".join(v.standard or n for n, v in variants.items() if b in v.minutes))
        pop[f"area_{k}"] = np.round(get("catchment_area_m2").astype(float) / 1e4, 1)
        pop[f"ratio_{k}"] = np.round(get("ped_shed_ratio").astype(float), 2)
        pop[f"xd_{k}"] = np.round(get("intersection_density_per_km2").astype(float), 0)
        pop[f"land_{k}"] = np.round(get("residential_land_m2").astype(float) / 1e4, 1)
        cols.update({T["area"].format(m=lbl): f"area_{k}", T["ratio"].format(m=lbl): f"ratio_{k}",
                     T["xd"].format(m=lbl): f"xd_{k}", T["land"].format(m=lbl): f"land_{k}"})
        if s["population_source"] is not None:
            pop[f"res_{k}"] = np.round(get("residents").astype(float), 0)
            cols[T["res_row"].format(m=lbl)] = f"res_{k}"
        tot, kinds = get("services_total"), get("service_kinds")
        pop[f"srv_{k}"] = [("–" if pd.isna(t) else f"{int(t)} ({int(q)})") for t, q in zip(tot, kinds)]
        pop[f"mix_{k}"] = np.round(get("service_mix_index").astype(float), 2)
        cols.update({T["srv"].format(m=lbl): f"srv_{k}", T["mix"].format(m=lbl): f"mix_{k}"})
    m.add_points(pop, kind_col="_kind", name_col="station", popup_cols=cols, kind_labels={"station": T["station"]},
                 colors={"station": "#d62728"}, cluster=False, legend_title=T["stations_legend"])
    return m
