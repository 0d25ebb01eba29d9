"""The chunk work of station scoring: a picklable context and the figures of a chunk.

A chunk of stations is one engine pass (and one Dask task): every figure of every station
and band is computed vectorised from the chunk's catchments, with the kernels of
:mod:`geo.reach` (street intervals and their union, street length in circles) and
:mod:`geo.measures` (intersections, reached sums, services and their mix).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.access import AccessSnap, per_feature
from geo.engine import TravelTimeEngine
from geo.isochrones import isochrones
from geo.measures import (
    EPS_MIN,
    circle_area_m2,
    intersection_nodes,
    intersections_reached,
    land_in_polygon,
    mix_indices,
    ped_shed_ratio,
    per_km2,
    reached_sum,
    service_counts,
)
from geo.reach import (
    circle_street_length,
    merge_intervals,
    reachable_intervals,
    reached_edge_ends,
    segment_tree,
    street_segments,
    union_length,
)
from geo.snapping import SnappedPoints

from ..standards import Standards
from ..study import Study
from ._park_reach import network_reach, parks_frame
from ._stations_common import residential_land, services

#: Polygon figures (of the TOD analysis), on the rows of stations with a polygon.
POLY_COLS = ("catchment_area_m2", "ped_shed_ratio_area", "intersection_density_per_km2", "residential_land_m2")


@dataclasses.dataclass
class Context:
    """Everything a worker needs, compiled once and shipped once (picklable, ~ the network's size)."""

    engine: TravelTimeEngine
    bands: tuple[float, ...]
    buffer_m: float
    demand_snap: SnappedPoints
    cell_area_m2: np.ndarray
    pop: np.ndarray | None
    park_covered: np.ndarray  # bool per demand cell
    fac_snap: AccessSnap | None
    fac_kind: np.ndarray  # kind code per facility
    kinds: tuple[str, ...]
    is_x: np.ndarray  # intersection mask per node
    seg: np.ndarray  # (S, 4) street segments x0, y0, x1, y1
    res_parts: np.ndarray  # disjoint residential polygons (polygon figures)
    _cache: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_cache"] = {}  # trees are rebuilt where they are used
        return state

    @property
    def seg_tree(self) -> shapely.STRtree:
        """STRtree of the street segments (built once per process)."""
        if "seg_tree" not in self._cache:
            self._cache["seg_tree"] = segment_tree(self.seg)
        return self._cache["seg_tree"]

    @property
    def res_tree(self) -> shapely.STRtree:
        """STRtree of the residential parts (built once per process)."""
        if "res_tree" not in self._cache:
            self._cache["res_tree"] = shapely.STRtree(self.res_parts)
        return self._cache["res_tree"]


def make_context(study: Study, standards: Standards, bands: tuple[float, ...], pop: np.ndarray | None
                 ) -> tuple[Context, dict[str, Any]]:
    """The work context of a run and the park inputs for the summary."""
    svc = services(study, standards.tod.station_kind)
    p = standards.parks
    parks = parks_frame(study, p)
    reach = network_reach(study, p, parks)
    park_info = {"park_radius_m": float(p.radius_m.value) if p.size_rule == "none" else None,
                 "park_size_rule": p.size_rule, "parks_used": int(parks["radius_m"].notna().sum()),
                 "parks_off_network": reach.parks_off_network, "facilities_off_network": svc.n_off_network}
    covered = reach.covered
    parts, _, _ = residential_land(study)
    ctx = Context(
        engine=study.engine, bands=bands, buffer_m=float(standards.travel.isochrone_buffer_m.value),
        demand_snap=study.demand_snap, cell_area_m2=study.demand["area_m2"].to_numpy(float), pop=pop,
        park_covered=covered, fac_snap=svc.access, fac_kind=svc.kind_code, kinds=svc.kinds,
        is_x=intersection_nodes(study.engine), seg=street_segments(study.net.edges.geometry.to_numpy()),
        res_parts=parts,
    )
    return ctx, park_info


@dataclasses.dataclass
class Chunk:
    """A chunk of on-network stations: global ids, snapped positions, station coordinates (m)."""

    ids: np.ndarray
    snap: SnappedPoints
    xy: np.ndarray


@dataclasses.dataclass
class ChunkOut:
    """Figures of a chunk (one row per station and band) and what the union totals need."""

    rows: pd.DataFrame
    cells: dict[float, np.ndarray]  # demand cells reached by any station of the chunk
    streets: dict[float, np.ndarray]  # merged reachable street intervals (edge, start, end)


def score_chunk(ctx: Context, chunk: Chunk) -> ChunkOut:
    """All figures of a chunk of stations, vectorised (no per-station loop)."""
    eng = ctx.engine
    mpm = eng.mpm
    k = len(chunk.ids)
    bmax = ctx.bands[-1]
    cat = eng.catchments(chunk.snap, cutoff_min=bmax)
    dcat = eng.point_catchments(ctx.demand_snap, chunk.snap, cutoff_min=bmax, catchments=cat)
    fcat = None if ctx.fac_snap is None else per_feature(
        eng.point_catchments(ctx.fac_snap.points, chunk.snap, cutoff_min=bmax, catchments=cat), ctx.fac_snap)
    ends = reached_edge_ends(eng, cat)
    circle = circle_street_length(ctx.seg, ctx.seg_tree, chunk.xy, [b * mpm for b in ctx.bands])
    frames, cells, streets = [], {}, {}
    area = ctx.cell_area_m2
    for bi, b in enumerate(ctx.bands):
        src, e0, s0, t0 = reachable_intervals(eng, ends, chunk.snap, b)
        length = union_length(src, e0, s0, t0, k)
        streets[b] = merge_intervals(e0, s0, t0)
        n_x = intersections_reached(cat, ctx.is_x, b, n_sources=k)
        land = reached_sum(dcat, area, b, n_sources=k)
        park_land = reached_sum(dcat, area * ctx.park_covered, b, n_sources=k)
        res = np.full(k, np.nan) if ctx.pop is None else reached_sum(dcat, ctx.pop, b, n_sources=k)
        cells[b] = np.unique(dcat.node[dcat.minutes <= b + EPS_MIN])
        counts = service_counts(fcat, ctx.fac_kind, b, n_sources=k, n_kinds=len(ctx.kinds))
        r = b * mpm
        with np.errstate(invalid="ignore", divide="ignore"):
            df = pd.DataFrame({
                "station_id": chunk.ids.astype(np.int64),
                "band_min": b, "band_m": r, "circle_area_m2": circle_area_m2(r),
                "street_length_m": length,
                "circle_street_length_m": circle[:, bi],
                "ped_shed_ratio_street": np.where(circle[:, bi] > 0, length / circle[:, bi], np.nan),
                "intersections": n_x.astype(np.int64),
                "intersections_per_street_km": np.where(length > 0, n_x / (length / 1000.0), np.nan),
                "residential_land_reached_m2": land,
                "residents": res,
                "park_covered_land_m2": park_land,
                "park_coverage_share": np.where(land > 0, park_land / land, np.nan),
            })
        for j, kind in enumerate(ctx.kinds):
            df[f"services_{kind}"] = counts[:, j]
        df["services_total"] = counts.sum(axis=1)
        df["service_kinds"] = (counts > 0).sum(axis=1)
        df["service_mix_index"] = mix_indices(counts, n_kinds=len(ctx.kinds))
        frames.append(df)
    return ChunkOut(rows=pd.concat(frames, ignore_index=True), cells=cells, streets=streets)


def polygon_chunk(ctx: Context, chunk: Chunk) -> pd.DataFrame:
    """Isochrone polygons of a chunk of stations and the TOD analysis's polygon figures."""
    eng = ctx.engine
    iso = isochrones(eng, chunk.snap, list(ctx.bands), per_source=True, buffer_m=ctx.buffer_m)
    cat = eng.catchments(chunk.snap, cutoff_min=ctx.bands[-1])
    n_x: dict[float, np.ndarray] = {}
    rows = []
    for s, b, poly in zip(iso["source"].to_numpy(), iso["minutes"].to_numpy(), iso.geometry.to_numpy(), strict=True):
        area = float(poly.area)
        if float(b) not in n_x:
            n_x[float(b)] = intersections_reached(cat, ctx.is_x, float(b), n_sources=len(chunk.ids))
        rows.append({
            "station_id": int(chunk.ids[s]), "band_min": float(b), "geometry": poly,
            "catchment_area_m2": area,
            "ped_shed_ratio_area": ped_shed_ratio(area, b * eng.mpm),
            "intersection_density_per_km2": per_km2(int(n_x[float(b)][s]), area),
            "residential_land_m2": land_in_polygon(poly, ctx.res_parts, ctx.res_tree),
        })
    return pd.DataFrame(rows, columns=["station_id", "band_min", "geometry", *POLY_COLS])
