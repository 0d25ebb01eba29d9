"""Score many station areas at once and rank their TOD potential (issue #6).

For every station (all metro and intercity stations of a city, or a planner's list of
proposed stations) and every walking band (default 5, 10 and 15 minutes), the walking
catchment is measured along the street network, the figures are turned into one composite
score, and the stations are ranked. The work is vectorised on the compiled CSR engine and
runs in memory-bounded chunks of stations, locally or on a dask.distributed cluster
(``scheduler="tcp://host:port"`` or ``workers=N``); both give identical numbers.

What is measured, and why not the isochrone polygon for everything
------------------------------------------------------------------
:func:`beichen_geo.tod.tod_station_areas` measures a catchment as a *polygon* (reachable
street pieces buffered 30 m, small holes filled). The default raster construction of
:mod:`geo.isochrones` draws it in about 10 ms per station and band set (the exact vector
union, ``method="exact"``, took about 0.1-0.3 s); the polygon is still an approximation of
the street set within a fraction of its 10 m grid cell. So the SCORE uses figures that are
exact on the street network and cost almost nothing (no geometry per station):

``street_length_m``
    Length of street centre-line reachable within the band, metres: whole edges whose far
    end is reached, the reached parts of frontier edges and of the station's own edge (the
    centre lines of the isochrone, exactly; see :func:`geo.isochrones.reachable_pieces`).
``circle_street_length_m``
    Street centre-line length (every street of the walk network) inside the straight-line
    circle of radius ``r = band minutes x metres per minute`` around the station, metres
    (exact segment-circle clipping).
``ped_shed_ratio_street``
    ``street_length_m / circle_street_length_m``: the share of the streets within the
    straight-line radius that can be walked to within the band (the street-length form of
    the pedestrian-shed ratio; 0-1, since walking distance is never shorter than the
    straight line). A street grid gives about 0.6-0.7, cul-de-sacs, rivers and rail lines less.
``intersections``, ``intersections_per_street_km``
    Street intersections (nodes with >= 3 distinct neighbours,
    :func:`beichen_geo.tod.intersection_nodes`) reached within the band, and per km of
    reachable street: a block-size measure independent of the catchment's size (a grid of
    100 m blocks gives 5 per km).
``residential_land_reached_m2``, ``residents``
    Area (and residents) of the residential demand cells (50 m grid pieces of residential
    land) whose network walk to the station is within the band, access walks included.
    The same cells as the residents of the TOD analysis.
``park_covered_land_m2``, ``park_coverage_share``
    Of that residential land, the part within the park radius (``[parks] radius_m``, 500 m)
    of a park along the network (the network method of :func:`beichen_geo.parks.park_coverage`),
    and its share (NaN when the band reaches no residential land).
``services_<kind>``, ``services_total``, ``service_kinds``, ``service_mix_index``
    Facilities of every kind but the stations' within the band; the mix index is the
    normalised Shannon entropy of :func:`beichen_geo.tod.mix_index`.

The isochrone POLYGONS are drawn, for the map and the GeoPackage, for every station by
default (``polygons="all"``) or for the ``polygons`` best-ranked ones. Rows with a polygon also
carry the polygon figures of the TOD analysis, computed by the same functions and therefore
equal to :func:`~beichen_geo.tod.tod_station_areas`: ``catchment_area_m2``,
``ped_shed_ratio_area`` (its ``ped_shed_ratio``), ``intersection_density_per_km2`` and
``residential_land_m2`` (residential land inside the polygon).

Composite score
---------------
Each component ``c`` (a column, "higher is better") is turned into a percentile rank among
the on-network stations, per band: ``p = (rank - 1) / (n - 1)`` with ties sharing their
average rank (0 = lowest, 1 = highest; NaN counts as the lowest value; a single station gets
1). The band score is the weighted mean ``sum_c w_c p_c / sum_c w_c`` and the station's
``score`` is 100 x the mean of its band scores (0-100). ``rank`` 1 is the highest score
(equal scores share the better rank). Default weights are :data:`DEFAULT_WEIGHTS`; without
residents their weight is dropped and the others renormalised. Scores are relative to the
stations scored together: adding stations changes them.

Totals over all stations (the summary) count each demand cell and each piece of street
once, however many stations reach it (stations closer than the band share them).
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo._errors import InputError
from geo.engine import Catchments, TravelTimeEngine
from geo.isochrones import isochrones
from geo.access import AccessSnap, per_feature
from geo.snapping import OffNetworkWarning, SnappedPoints, snap_points

from .population import Residents
from .result import AnalysisResult
from .standards import Standards
from .study import Study
from .tod import _EPS_MIN, _land, _per_cell, _residential, intersection_nodes, snap_stations, station_points

#: Default walking bands, minutes.
DEFAULT_BANDS_MIN: tuple[float, ...] = (5.0, 10.0, 15.0)

#: Default weights of the composite score, by column (components absent from a run, such as
#: ``residents`` without a population, are dropped and the rest renormalised).
DEFAULT_WEIGHTS: Mapping[str, float] = {
    "residents": 0.25,
    "residential_land_reached_m2": 0.10,
    "ped_shed_ratio_street": 0.15,
    "intersections_per_street_km": 0.10,
    "services_total": 0.15,
    "service_mix_index": 0.15,
    "park_coverage_share": 0.10,
}

#: Columns that may be weighted in the composite score (all "higher is better").
SCORE_COMPONENTS: tuple[str, ...] = (
    "residents", "residential_land_reached_m2", "street_length_m", "ped_shed_ratio_street", "intersections",
    "intersections_per_street_km", "services_total", "service_kinds", "service_mix_index",
    "park_covered_land_m2", "park_coverage_share",
)

#: Default number of stations per chunk (one engine pass, one Dask task).
DEFAULT_CHUNK_SIZE = 128

#: Default stations whose isochrone polygons are drawn: all (the raster polygons cost ~10 ms
#: per station; before them this was the 20 best-ranked).
DEFAULT_POLYGONS: int | Literal["all"] = "all"

_POLY_COLS = ("catchment_area_m2", "ped_shed_ratio_area", "intersection_density_per_km2", "residential_land_m2")


# ------------------------------------------------------------------------------ public API
def read_stations(path: str | os.PathLike, *, coords: str = "wgs84", lon_col: str | None = None,
                  lat_col: str | None = None) -> gpd.GeoDataFrame:
    """Read a planner's station list (CSV/Excel with lon/lat, GeoJSON, GPKG, SHP).

    Parameters
    ----------
    path
        The file; see :func:`geo.io.read_points` for the formats and column names found.
    coords
        ``"wgs84"``, ``"gcj02"`` (Gaode/Tencent) or ``"bd09"`` (Baidu): the coordinates in the
        file, converted to WGS84.
    lon_col, lat_col
        Longitude / latitude columns when they are not found by name.

    Returns
    -------
    GeoDataFrame
        Points in EPSG:4326 with a ``name`` column (the file's name column, else None).
    """
    from geo.io import read_points

    pts = read_points(path, coords=coords, lon_col=lon_col, lat_col=lat_col, what="stations")
    name_col = pts.attrs.get("name_column")
    pts["name"] = pts[name_col].astype(object) if name_col and name_col in pts else None
    return pts


def score_stations(
    study: Study,
    standards: Standards,
    *,
    stations: gpd.GeoDataFrame | None = None,
    bands_min: Sequence[float] = DEFAULT_BANDS_MIN,
    residents: Residents | None = None,
    weights: Mapping[str, float] | None = None,
    polygons: int | Literal["all"] = DEFAULT_POLYGONS,
    scheduler: str | None = None,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: bool = True,
) -> AnalysisResult:
    """Score and rank the walking catchments of many stations.

    Parameters
    ----------
    study
        Loaded study (walk network at the standards' walking speed). Its network must reach
        ``max(bands_min)`` minutes beyond the stations.
    standards
        The standards: ``[travel] isochrone_buffer_m`` (polygons, m), ``[parks]`` (radius, m),
        ``[tod] station_kind`` (excluded from the services; default station source).
    stations
        Station points (any CRS; polygons are replaced by a point inside them; a ``name``
        column is used when present), e.g. from :func:`read_stations`. Default: the study's
        facilities of ``[tod] station_kind`` (OSM stations).
    bands_min
        Walking bands, minutes (positive; sorted, repeats dropped).
    residents
        Residents per demand cell; without it ``residents`` is NaN and leaves the score.
    weights
        Composite-score weights by column (see :data:`SCORE_COMPONENTS`); default
        :data:`DEFAULT_WEIGHTS`. Weights are >= 0 and need not sum to 1.
    polygons
        Draw isochrone polygons (and their figures) for every station (``"all"``, default)
        or for this many best-ranked stations; 0 draws none.
    scheduler
        Address of a running dask.distributed scheduler (``"tcp://host:port"``); its
        workers need beichen-geo installed. Mutually exclusive with ``workers``.
    workers
        Start a local dask cluster of this many worker processes (one thread each) for the
        run and close it afterwards.
    chunk_size
        Stations per chunk: one engine pass (memory grows with it) and one Dask task.
    progress
        Show a progress bar (tqdm, on stderr).

    Returns
    -------
    AnalysisResult
        ``name="stations"``. Tables ``ranked`` (one row per station, best first, with the key
        figures of each band as ``min<b>_<column>``) and ``bands`` (one row per station and
        band, every figure); layers ``stations`` (points with the ranked table) and
        ``catchments`` (polygons drawn). Summary keys are documented in :func:`_summary`.

    Raises
    ------
    InputError
        Bad bands, weights, chunk size, polygons or scheduler options; a stations layer
        without CRS; residents not aligned with the demand cells; a network other than walk;
        dask not installed.
    DataError
        No stations, or none within the snap distance of the walk network.
    """
    t_start = time.perf_counter()
    if study.net.mode != "walk":
        raise InputError(f"station scoring needs a walk network, the study's network is {study.net.mode!r}")
    bands = _check_bands(bands_min)
    n_poly = _check_polygons(polygons)
    if not isinstance(chunk_size, (int, np.integer)) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise InputError(f"chunk_size must be a whole number >= 1, got {chunk_size!r}")
    if scheduler is not None and workers is not None:
        raise InputError("give either scheduler='tcp://host:port' (an existing cluster) or workers=N (a local one), not both")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or isinstance(workers, bool) or workers < 1):
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}")
    pop = _per_cell(study, residents)
    w = _check_weights(weights, has_residents=pop is not None)

    st = station_points(study, standards, stations, hint="Give a station list with --stations FILE.")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", OffNetworkWarning)
        snap, relinked = snap_stations(study, st)
    on = snap.on_network
    ctx, park_info = _context(study, standards, bands, pop)
    xy = shapely.get_coordinates(st.geometry.to_numpy())
    on_idx = np.flatnonzero(on)
    chunks = [_Chunk(ids=ids, snap=snap.subset(ids), xy=xy[ids])
              for ids in (on_idx[i:i + chunk_size] for i in range(0, len(on_idx), chunk_size))]

    with _Runner(scheduler=scheduler, workers=workers, progress=progress) as run:
        ref = run.put(ctx)
        outs = run.map(_score_chunk, ref, chunks, desc="scoring stations")
        table = _assemble(st, snap, bands, ctx.kinds, outs)
        _score(table, bands, w)
        poly_ids = _polygon_stations(table, n_poly)
        poly_out: list[pd.DataFrame] = []
        if len(poly_ids):
            # a polygon costs ~0.1 s: smaller chunks spread them over the workers
            psize = max(1, min(int(chunk_size), math.ceil(len(poly_ids) / (4 * run.n_workers))))
            pchunks = [_Chunk(ids=ids, snap=snap.subset(ids), xy=xy[ids])
                       for ids in (poly_ids[i:i + psize] for i in range(0, len(poly_ids), psize))]
            poly_out = run.map(_polygon_chunk, ref, pchunks, desc="catchment polygons")
        execution = run.describe()

    catchments = _add_polygons(table, poly_out, st.crs)
    totals = _totals(ctx, bands, outs, table, catchments, all_polygons=n_poly is None or len(poly_ids) == len(on_idx))
    ranked = _ranked(table, st, bands, ctx.kinds)
    stations_layer = gpd.GeoDataFrame(ranked.copy(), geometry=list(st.geometry.to_numpy()[ranked["station_id"].to_numpy()]), crs=st.crs)
    summary = _summary(
        study=study, standards=standards, st=st, snap=snap, on=on, relinked=relinked, bands=bands, ctx=ctx,
        residents=residents, pop=pop, weights=w, ranked=ranked, totals=totals, park_info=park_info,
        polygons=polygons, poly_ids=poly_ids, execution={**execution, "chunk_size": int(chunk_size),
                                                         "chunks": len(chunks)},
        caught=caught, given=stations is not None, elapsed=time.perf_counter() - t_start,
    )
    result = AnalysisResult(
        name="stations", summary=summary,
        layers={"stations": stations_layer, "catchments": catchments},
        tables={"ranked": ranked, "bands": table},
    )
    result.make_map = lambda **kw: _map(result, **kw)
    return result


# ------------------------------------------------------------------------------ validation
def _check_bands(bands_min: Sequence[float]) -> tuple[float, ...]:
    if isinstance(bands_min, (int, float)):
        bands_min = [bands_min]
    try:
        bands = sorted({float(b) for b in bands_min})
    except (TypeError, ValueError) as exc:
        raise InputError(f"bands must be minutes (numbers), got {bands_min!r}") from exc
    if not bands or any(not math.isfinite(b) or b <= 0 for b in bands):
        raise InputError(f"bands must be positive minutes, e.g. 5,10,15; got {list(bands_min)!r}")
    return tuple(bands)


def _check_polygons(polygons: int | str) -> int | None:
    """None = all stations; else the number of best-ranked stations."""
    if isinstance(polygons, str):
        if polygons.strip().lower() == "all":
            return None
        try:
            polygons = int(polygons)
        except ValueError:
            raise InputError(f"polygons must be a number of stations or 'all', got {polygons!r}") from None
    if isinstance(polygons, bool) or not isinstance(polygons, (int, np.integer)) or polygons < 0:
        raise InputError(f"polygons must be a number of stations >= 0 or 'all', got {polygons!r}")
    return int(polygons)


def _check_weights(weights: Mapping[str, float] | None, *, has_residents: bool) -> dict[str, float]:
    """Effective weights, normalised to sum 1 (residents dropped when unknown)."""
    given = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = sorted(set(given) - set(SCORE_COMPONENTS))
    if unknown:
        raise InputError(f"unknown score component(s) {', '.join(map(repr, unknown))}; choose from {', '.join(SCORE_COMPONENTS)}")
    out: dict[str, float] = {}
    for k, v in given.items():
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise InputError(f"weight of {k!r} must be a number, got {v!r}") from None
        if not math.isfinite(x) or x < 0:
            raise InputError(f"weight of {k!r} must be a finite number >= 0, got {v!r}")
        if x > 0 and (k != "residents" or has_residents):
            out[k] = x
    total = sum(out.values())
    if total <= 0:
        extra = " (residents are unknown, so their weight does not count)" if "residents" in given and not has_residents else ""
        raise InputError(f"the score weights must include at least one positive weight{extra}")
    return {k: v / total for k, v in out.items()}


# ------------------------------------------------------------------------------ work context
@dataclasses.dataclass
class _Context:
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
        state["_cache"] = {}  # trees and incidence are rebuilt where they are used
        return state

    @property
    def seg_tree(self) -> shapely.STRtree:
        if "seg_tree" not in self._cache:
            s = self.seg
            self._cache["seg_tree"] = shapely.STRtree(shapely.linestrings(np.stack([s[:, :2], s[:, 2:]], axis=1)))
        return self._cache["seg_tree"]

    @property
    def res_tree(self) -> shapely.STRtree:
        if "res_tree" not in self._cache:
            self._cache["res_tree"] = shapely.STRtree(self.res_parts)
        return self._cache["res_tree"]

    @property
    def incidence(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Edges at each node as CSR: (indptr, edge, side) with side 0 = the edge's u end, 1 = v."""
        if "inc" not in self._cache:
            e = self.engine
            m = len(e.u)
            node = np.concatenate([e.u, e.v])
            edge = np.concatenate([np.arange(m), np.arange(m)])
            side = np.concatenate([np.zeros(m, np.int8), np.ones(m, np.int8)])
            order = np.lexsort((side, edge, node))
            indptr = np.zeros(e.n + 1, np.int64)
            np.add.at(indptr, node + 1, 1)
            self._cache["inc"] = (np.cumsum(indptr), edge[order], side[order])
        return self._cache["inc"]


def _context(study: Study, standards: Standards, bands: tuple[float, ...], pop: np.ndarray | None) -> tuple[_Context, dict[str, Any]]:
    from .parks import park_coverage

    eng = study.engine
    kind = standards.tod.station_kind
    fac, access = study.snapped_access([k for k in pd.unique(study.facilities["kind"]) if k != kind])
    kinds = tuple(sorted(map(str, fac["kind"].unique())))
    if len(fac):
        fsnap = access  # entrances / outline points, each facility counted once per station
        code = {k: i for i, k in enumerate(kinds)}
        fac_kind = np.array([code[str(k)] for k in fac["kind"]], dtype=np.int64)
    else:
        fsnap, fac_kind = None, np.zeros(0, np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OffNetworkWarning)
        parks = park_coverage(study, standards)
    covered = parks.layers["residential_cells"]["network_covered"].to_numpy(bool)
    ps = parks.summary
    park_info = {"park_radius_m": ps["radius_m"], "park_size_rule": ps["size_rule"], "parks_used": ps["parks_used"],
                 "parks_off_network": ps["parks_off_network"], "facilities_off_network": 0 if fsnap is None else fsnap.n_off_network}
    lines = study.net.edges.geometry.to_numpy()
    coords, idx = shapely.get_coordinates(lines, return_index=True)
    same = idx[1:] == idx[:-1]
    seg = np.concatenate([coords[:-1][same], coords[1:][same]], axis=1)
    parts, _, _ = _residential(study)
    ctx = _Context(
        engine=eng, bands=bands, buffer_m=float(standards.travel.isochrone_buffer_m.value),
        demand_snap=study.demand_snap, cell_area_m2=study.demand["area_m2"].to_numpy(float), pop=pop,
        park_covered=covered, fac_snap=fsnap, fac_kind=fac_kind, kinds=kinds, is_x=intersection_nodes(study),
        seg=seg, res_parts=parts,
    )
    return ctx, park_info


@dataclasses.dataclass
class _Chunk:
    """A chunk of on-network stations: global ids, snapped positions, station coordinates (m)."""

    ids: np.ndarray
    snap: SnappedPoints
    xy: np.ndarray


@dataclasses.dataclass
class _ChunkOut:
    """Figures of a chunk (one row per station and band) and what the union totals need."""

    rows: pd.DataFrame
    cells: dict[float, np.ndarray]  # demand cells reached by any station of the chunk
    streets: dict[float, np.ndarray]  # merged reachable street intervals (edge, start, end)


# ------------------------------------------------------------------------------ the chunk work
def _score_chunk(ctx: _Context, chunk: _Chunk) -> _ChunkOut:
    """All figures of a chunk of stations, vectorised (no per-station loop)."""
    eng = ctx.engine
    mpm = eng.mpm
    k = len(chunk.ids)
    bmax = ctx.bands[-1]
    cat = eng.catchments(chunk.snap, cutoff_min=bmax)
    dcat = eng.point_catchments(ctx.demand_snap, chunk.snap, cutoff_min=bmax, catchments=cat)
    fcat = None if ctx.fac_snap is None else per_feature(
        eng.point_catchments(ctx.fac_snap.points, chunk.snap, cutoff_min=bmax, catchments=cat), ctx.fac_snap)
    pieces = _street_pieces(ctx, chunk, cat)
    circle = _circle_street_length(ctx, chunk.xy, [b * mpm for b in ctx.bands])
    frames, cells, streets = [], {}, {}
    area = ctx.cell_area_m2
    for bi, b in enumerate(ctx.bands):
        src, e0, s0, t0 = _band_intervals(ctx, chunk, pieces, b)
        length = _union_length(src, e0, s0, t0, k)
        streets[b] = _merge_all(e0, s0, t0)
        xsel = (cat.minutes <= b + _EPS_MIN) & ctx.is_x[cat.node]
        n_x = np.bincount(cat.source[xsel], minlength=k)
        dsel = dcat.minutes <= b + _EPS_MIN
        dsrc, dnode = dcat.source[dsel], dcat.node[dsel]
        land = np.bincount(dsrc, weights=area[dnode], minlength=k)
        park_land = np.bincount(dsrc, weights=area[dnode] * ctx.park_covered[dnode], minlength=k)
        res = np.full(k, np.nan) if ctx.pop is None else np.bincount(dsrc, weights=ctx.pop[dnode], minlength=k)
        cells[b] = np.unique(dnode)
        counts = np.zeros((k, len(ctx.kinds)), np.int64)
        if fcat is not None and len(ctx.kinds):
            fsel = fcat.minutes <= b + _EPS_MIN
            np.add.at(counts, (fcat.source[fsel], ctx.fac_kind[fcat.node[fsel]]), 1)
        r = b * mpm
        with np.errstate(invalid="ignore", divide="ignore"):
            df = pd.DataFrame({
                "station_id": chunk.ids.astype(np.int64),
                "band_min": b, "band_m": r, "circle_area_m2": math.pi * r * r,
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
    return _ChunkOut(rows=pd.concat(frames, ignore_index=True), cells=cells, streets=streets)


def _street_pieces(ctx: _Context, chunk: _Chunk, cat: Catchments) -> tuple[np.ndarray, ...]:
    """Edge ends reached by each station: (minutes at the node, source, edge, side), one row
    per (catchment pair, incident edge) whose travel direction allows walking to the node."""
    eng = ctx.engine
    indptr, inc_edge, inc_side = ctx.incidence
    deg = indptr[cat.node + 1] - indptr[cat.node]
    rep = np.repeat(np.arange(len(cat.node)), deg)
    start = np.repeat(indptr[cat.node], deg)
    within = np.arange(len(rep)) - np.repeat(np.cumsum(deg) - deg, deg)
    pos = start + within
    edge, side = inc_edge[pos], inc_side[pos]
    # to_source: a resident on the edge walks to its u end against the drawing direction
    ok = np.where(side == 0, eng.backward[edge], eng.forward[edge])
    return cat.minutes[rep][ok], cat.source[rep][ok], edge[ok], side[ok]


def _band_intervals(ctx: _Context, chunk: _Chunk, pieces: tuple[np.ndarray, ...], b: float
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reachable street intervals within ``b`` minutes: (source, edge, start_m, end_m).

    The same pieces as :func:`geo.isochrones.reachable_pieces` with the station's own edge
    credited (``direction="to_source"``), for every station of the chunk at once.
    """
    eng = ctx.engine
    mpm = eng.mpm
    minutes, src, edge, side = pieces
    sel = minutes <= b
    minutes, src, edge, side = minutes[sel], src[sel], edge[sel], side[sel]
    L = eng.length_m[edge]
    reach = np.clip((b - minutes) * mpm, 0, L)
    start = np.where(side == 0, 0.0, L - reach)
    end = np.where(side == 0, reach, L)
    sn = chunk.snap
    r = b * mpm - sn.access_m
    ok = r >= 0
    se, ts, r = sn.edge[ok], sn.offset_m[ok], r[ok]
    Ls = eng.length_m[se]
    hi = np.where(eng.backward[se], np.minimum(ts + r, Ls), ts)
    lo = np.where(eng.forward[se], np.maximum(ts - r, 0.0), ts)
    return (np.concatenate([src, np.flatnonzero(ok)]), np.concatenate([edge, se]),
            np.concatenate([start, lo]), np.concatenate([end, hi]))


def _union_length(src: np.ndarray, edge: np.ndarray, start: np.ndarray, end: np.ndarray, k: int) -> np.ndarray:
    """Length of the union of each source's intervals, metres (sources 0..k-1)."""
    order = np.lexsort((end, start, edge, src))
    s, e, a, z = src[order], edge[order], start[order], end[order]
    contrib = _new_length(np.stack([s, e], axis=1), a, z)
    return np.bincount(s, weights=contrib, minlength=k)


def _new_length(keys: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """For intervals sorted by (keys..., start): the length each adds to its group's union."""
    n = len(start)
    if n == 0:
        return np.zeros(0)
    first = np.ones(n, bool)
    first[1:] = (keys[1:] != keys[:-1]).any(axis=1)
    gid = np.cumsum(first) - 1
    cm = pd.Series(end).groupby(gid).cummax().to_numpy()
    prev = np.empty(n)
    prev[0] = -np.inf
    prev[1:] = cm[:-1]
    prev[first] = -np.inf
    return np.clip(end - np.maximum(start, prev), 0.0, None)


def _merge_all(edge: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Union of intervals per edge as disjoint rows (edge, start, end), sorted."""
    if len(edge) == 0:
        return np.zeros((0, 3))
    order = np.lexsort((end, start, edge))
    e, a, z = edge[order], start[order], end[order]
    n = len(e)
    newg = np.ones(n, bool)
    newg[1:] = e[1:] != e[:-1]
    gid = np.cumsum(newg) - 1
    cm = pd.Series(z).groupby(gid).cummax().to_numpy()
    prev = np.empty(n)
    prev[0] = -np.inf
    prev[1:] = cm[:-1]
    prev[newg] = -np.inf
    brk = newg | (a > prev)  # a new merged interval starts here
    mid = np.cumsum(brk) - 1
    out_e = e[brk]
    out_a = a[brk]
    out_z = pd.Series(z).groupby(mid).max().to_numpy()
    return np.stack([out_e.astype(float), out_a, out_z], axis=1)


def _circle_street_length(ctx: _Context, xy: np.ndarray, radii: Sequence[float]) -> np.ndarray:
    """Street length inside circles of each radius around each point, metres: (points, radii)."""
    out = np.zeros((len(xy), len(radii)))
    if len(xy) == 0 or len(ctx.seg) == 0:
        return out
    pts = shapely.points(xy)
    qi, si = ctx.seg_tree.query(pts, predicate="dwithin", distance=max(radii))
    order = np.lexsort((si, qi))
    qi, si = qi[order], si[order]
    s = ctx.seg[si]
    p0 = s[:, :2] - xy[qi]
    d = s[:, 2:] - s[:, :2]
    a = (d * d).sum(axis=1)
    bb = (d * p0).sum(axis=1)
    c0 = (p0 * p0).sum(axis=1)
    seg_len = np.sqrt(a)
    for j, r in enumerate(radii):
        disc = bb * bb - a * (c0 - r * r)
        ok = (disc > 0) & (a > 0)
        root = np.sqrt(np.where(ok, disc, 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            t1 = np.where(ok, (-bb - root) / a, 0.0)
            t2 = np.where(ok, (-bb + root) / a, 0.0)
        inside = np.clip(np.minimum(t2, 1.0) - np.maximum(t1, 0.0), 0.0, None) * seg_len
        out[:, j] = np.bincount(qi, weights=np.where(ok, inside, 0.0), minlength=len(xy))
    return out


def mix_indices(counts: np.ndarray, *, n_kinds: int) -> np.ndarray:
    """Row-wise :func:`beichen_geo.tod.mix_index`: normalised Shannon entropy of kind counts.

    Parameters
    ----------
    counts
        (rows, kinds) counts of facilities by kind.
    n_kinds
        Number of kinds to choose from (the normaliser ``ln n_kinds``).

    Returns
    -------
    ndarray
        One value 0-1 per row; 0 without services, with a single kind, or when ``n_kinds < 2``.
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2:
        raise InputError("counts must be a 2-D array (rows x kinds)")
    out = np.zeros(len(c))
    if n_kinds < 2 or c.shape[1] == 0:
        return out
    tot = c.sum(axis=1)
    has = tot > 0
    p = np.divide(c[has], tot[has, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    out[has] = -terms.sum(axis=1) / math.log(n_kinds)
    return out


def _polygon_chunk(ctx: _Context, chunk: _Chunk) -> pd.DataFrame:
    """Isochrone polygons of a chunk of stations and the TOD analysis's polygon figures."""
    eng = ctx.engine
    iso = isochrones(eng, chunk.snap, list(ctx.bands), per_source=True, buffer_m=ctx.buffer_m)
    cat = eng.catchments(chunk.snap, cutoff_min=ctx.bands[-1])
    rows = []
    for s, b, poly in zip(iso["source"].to_numpy(), iso["minutes"].to_numpy(), iso.geometry.to_numpy()):
        sel = (cat.source == s) & (cat.minutes <= b + _EPS_MIN) & ctx.is_x[cat.node]
        n_x = int(sel.sum())
        area = float(poly.area)
        r = b * eng.mpm
        rows.append({
            "station_id": int(chunk.ids[s]), "band_min": float(b), "geometry": poly,
            "catchment_area_m2": area,
            "ped_shed_ratio_area": area / (math.pi * r * r),
            "intersection_density_per_km2": (n_x / (area / 1e6)) if area > 0 else np.nan,
            "residential_land_m2": _land(poly, ctx.res_parts, ctx.res_tree),
        })
    return pd.DataFrame(rows, columns=["station_id", "band_min", "geometry", *_POLY_COLS])


# ------------------------------------------------------------------------------ execution
#: Interface a local Dask cluster (``workers=N``) listens on.
LOCAL_HOST = "127.0.0.1"


class _Runner:
    """Run chunk functions locally (a loop) or on dask.distributed, with a tqdm progress bar."""

    def __init__(self, *, scheduler: str | None, workers: int | None, progress: bool) -> None:
        self.scheduler, self.workers, self.progress = scheduler, workers, progress
        self.client: Any = None
        self.cluster: Any = None

    def __enter__(self) -> _Runner:
        if self.scheduler is None and self.workers is None:
            return self
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is an optional extra
            raise InputError("running on a Dask cluster needs dask.distributed: pip install 'beichen-geo[dask]'") from exc
        try:
            if self.scheduler is not None:
                if not str(self.scheduler).startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://", "ucx://")):
                    raise InputError(f"scheduler must be an address like tcp://host:8786, got {self.scheduler!r}")
                self.client = Client(self.scheduler, timeout="30s")
            else:
                # every socket on the loopback interface: scheduler, workers, nannies and the
                # dashboard (a free port; client.dashboard_link) are not reachable from the network
                self.cluster = LocalCluster(n_workers=int(self.workers), processes=True, threads_per_worker=1,
                                            host=LOCAL_HOST, dashboard_address=f"{LOCAL_HOST}:0")
                self.client = Client(self.cluster)
        except InputError:
            self.close()
            raise
        except (OSError, TimeoutError) as exc:
            self.close()
            raise InputError(f"cannot reach the Dask scheduler {self.scheduler!r}: {exc}") from exc
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def put(self, ctx: _Context) -> Any:
        """The context where tasks read it: itself locally, a broadcast future on Dask."""
        if self.client is None:
            return ctx
        return self.client.scatter(ctx, broadcast=True, hash=False)

    def map(self, fn: Callable[[_Context, _Chunk], Any], ref: Any, chunks: Sequence[_Chunk], *, desc: str) -> list[Any]:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(sum(len(c.ids) for c in chunks)), desc=desc, unit="station", disable=not self.progress,
                   leave=False)
        try:
            if self.client is None:
                out = []
                for c in chunks:
                    out.append(fn(ref, c))
                    bar.update(len(c.ids))
                return out
            from distributed import as_completed

            futures = [self.client.submit(fn, ref, c, pure=False) for c in chunks]
            where = {f.key: i for i, f in enumerate(futures)}
            results: list[Any] = [None] * len(futures)
            try:
                for fut, res in as_completed(futures, with_results=True):
                    i = where[fut.key]
                    results[i] = res
                    bar.update(len(chunks[i].ids))
            except ImportError as exc:
                raise InputError(f"the Dask workers cannot run beichen-geo ({exc}); install the same beichen-geo "
                                 "version in every worker's environment") from exc
            return results
        finally:
            bar.close()

    @property
    def n_workers(self) -> int:
        if self.client is None:
            return 1
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def describe(self) -> dict[str, Any]:
        if self.client is None:
            return {"scheduler": "local", "workers": 1}
        info = self.client.scheduler_info()
        n = len(info.get("workers", {}))
        return {"scheduler": "dask " + (str(self.scheduler) if self.scheduler else f"LocalCluster ({self.workers} worker process{'es' if self.workers != 1 else ''})"),
                "workers": n}


# ------------------------------------------------------------------------------ assembly
def _assemble(st: gpd.GeoDataFrame, snap: SnappedPoints, bands: tuple[float, ...], kinds: Sequence[str],
              outs: Sequence[_ChunkOut]) -> pd.DataFrame:
    """One row per station and band (off-network stations with empty figures), by station, band."""
    n = len(st)
    base = pd.DataFrame({
        "station_id": np.repeat(np.arange(n, dtype=np.int64), len(bands)),
        "band_min": np.tile(np.asarray(bands, float), n),
    })
    rows = pd.concat([o.rows for o in outs], ignore_index=True) if outs else pd.DataFrame(columns=["station_id", "band_min"])
    t = base.merge(rows, on=["station_id", "band_min"], how="left", validate="one_to_one")
    t.insert(1, "station", st["station"].to_numpy()[t["station_id"].to_numpy()])
    on = snap.on_network
    t.insert(2, "on_network", on[t["station_id"].to_numpy()])
    acc = np.where(on, snap.access_m, np.nan)
    t.insert(3, "snap_access_m", acc[t["station_id"].to_numpy()])
    for c in ["intersections", "services_total", "service_kinds", *[f"services_{k}" for k in kinds]]:
        t[c] = t[c].astype("Int64")
    for c in _POLY_COLS:
        t[c] = np.nan
    return t


def _score(table: pd.DataFrame, bands: tuple[float, ...], weights: Mapping[str, float]) -> None:
    """Add ``score_band`` (0-1) to the band rows and ``score`` (0-100) and ``rank`` per station."""
    table["score_band"] = np.nan
    on = table["on_network"].to_numpy(bool)
    for b in bands:
        m = on & (table["band_min"].to_numpy() == b)
        sub = table.loc[m]
        n = len(sub)
        acc = np.zeros(n)
        for col, w in weights.items():
            x = sub[col].to_numpy(float)
            acc += w * percentile_rank(x)
        table.loc[m, "score_band"] = acc
    per = table.loc[on].groupby("station_id", sort=True)["score_band"].mean() * 100.0
    table["score"] = table["station_id"].map(per)
    rank = per.rank(method="min", ascending=False).astype("Int64")
    table["rank"] = table["station_id"].map(rank).astype("Int64")


def percentile_rank(x: np.ndarray) -> np.ndarray:
    """``(rank - 1) / (n - 1)`` with ties at their average rank, NaN as the lowest value;
    all ones for a single value.

    Examples
    --------
    >>> percentile_rank(np.array([10.0, 30.0, 20.0, 20.0, np.nan])).tolist()
    [0.25, 1.0, 0.625, 0.625, 0.0]
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n == 0:
        return np.zeros(0)
    if n == 1:
        return np.ones(1)
    r = pd.Series(np.where(np.isnan(x), -np.inf, x)).rank(method="average").to_numpy()
    return (r - 1.0) / (n - 1.0)


def _polygon_stations(table: pd.DataFrame, n_poly: int | None) -> np.ndarray:
    """Station ids to draw: the ``n_poly`` best-ranked (all on-network ones for None)."""
    first = table.drop_duplicates("station_id")
    first = first.loc[first["on_network"].to_numpy(bool)]
    if n_poly is None:
        return np.sort(first["station_id"].to_numpy(np.int64))
    best = first.sort_values(["rank", "station_id"], kind="stable").head(n_poly)
    return np.sort(best["station_id"].to_numpy(np.int64))


def _add_polygons(table: pd.DataFrame, poly_out: Sequence[pd.DataFrame], crs: Any) -> gpd.GeoDataFrame:
    """Write the polygon figures into ``table``; return the catchment layer."""
    cols = ["station_id", "station", "band_min", "rank", "score", *_POLY_COLS]
    if not poly_out or not sum(len(p) for p in poly_out):
        return gpd.GeoDataFrame({c: [] for c in cols}, geometry=[], crs=crs)
    polys = pd.concat(poly_out, ignore_index=True).sort_values(["station_id", "band_min"], kind="stable")
    key = pd.MultiIndex.from_frame(table[["station_id", "band_min"]])
    pk = pd.MultiIndex.from_frame(polys[["station_id", "band_min"]])
    pos = key.get_indexer(pk)
    for c in _POLY_COLS:
        vals = table[c].to_numpy(float).copy()
        vals[pos] = polys[c].to_numpy(float)
        table[c] = vals
    layer = table.iloc[pos][["station_id", "station", "band_min", "rank", "score", *_POLY_COLS]].reset_index(drop=True)
    return gpd.GeoDataFrame(layer, geometry=list(polys["geometry"]), crs=crs)


_RANKED_COLS = (
    "street_length_m", "ped_shed_ratio_street", "intersections", "intersections_per_street_km",
    "residential_land_reached_m2", "residents", "park_coverage_share", "services_total", "service_kinds",
    "service_mix_index", "score_band", *_POLY_COLS,
)


def band_prefix(b: float) -> str:
    """Column prefix of a band in the ranked table: ``min10_`` for 10 minutes, ``min7p5_`` for 7.5."""
    return "min" + f"{b:g}".replace(".", "p") + "_"


def _ranked(table: pd.DataFrame, st: gpd.GeoDataFrame, bands: tuple[float, ...], kinds: Sequence[str]) -> pd.DataFrame:
    """One row per station: rank, score, coordinates and the key figures per band, best first."""
    first = table.drop_duplicates("station_id").set_index("station_id")
    n = len(st)
    lonlat = shapely.get_coordinates(st.to_crs(4326).geometry.to_numpy())
    out = pd.DataFrame({
        "rank": first["rank"].reindex(np.arange(n)).astype("Int64").to_numpy(),
        "station_id": np.arange(n, dtype=np.int64),
        "station": st["station"].to_numpy(),
        "score": first["score"].reindex(np.arange(n)).to_numpy(float),
        "lon_wgs84": lonlat[:, 0], "lat_wgs84": lonlat[:, 1],
        "on_network": first["on_network"].reindex(np.arange(n)).to_numpy(bool),
        "snap_access_m": first["snap_access_m"].reindex(np.arange(n)).to_numpy(float),
    })
    for b in bands:
        tb = table.loc[table["band_min"] == b].set_index("station_id")
        for c in _RANKED_COLS:
            if c in _POLY_COLS and tb[c].isna().all():
                continue
            out[band_prefix(b) + c] = tb[c].reindex(out["station_id"]).to_numpy()
    out = out.sort_values(["rank", "station_id"], na_position="last", kind="stable").reset_index(drop=True)
    return out


def _totals(ctx: _Context, bands: tuple[float, ...], outs: Sequence[_ChunkOut], table: pd.DataFrame,
            catchments: gpd.GeoDataFrame, *, all_polygons: bool) -> list[dict[str, Any]]:
    """Per band: the union of all stations' catchments (cells and street pieces counted once)
    next to the sums of the per-station figures (which count overlaps again)."""
    area = ctx.cell_area_m2
    land_total = float(area.sum())
    pop_total = None if ctx.pop is None else float(ctx.pop.sum())
    out = []
    for b in bands:
        cells = np.unique(np.concatenate([o.cells[b] for o in outs])) if outs else np.zeros(0, np.int64)
        iv = np.concatenate([o.streets[b] for o in outs]) if outs else np.zeros((0, 3))
        merged = _merge_all(iv[:, 0].astype(np.int64), iv[:, 1], iv[:, 2]) if len(iv) else np.zeros((0, 3))
        street_any = float((merged[:, 2] - merged[:, 1]).sum())
        land_any = float(area[cells].sum())
        park_any = float((area[cells] * ctx.park_covered[cells]).sum())
        res_any = None if ctx.pop is None else float(ctx.pop[cells].sum())
        tb = table.loc[(table["band_min"] == b) & table["on_network"]]
        row: dict[str, Any] = {
            "minutes": b,
            "distance_m": round(b * ctx.engine.mpm, 1),
            "street_length_in_any_m": round(street_any, 1),
            "sum_station_street_length_m": round(float(tb["street_length_m"].sum()), 1),
            "demand_cells_in_any": int(len(cells)),
            "residential_land_reached_in_any_m2": round(land_any, 1),
            "sum_station_residential_land_reached_m2": round(float(tb["residential_land_reached_m2"].sum()), 1),
            "share_of_residential_land": round(land_any / land_total, 6) if land_total > 0 else None,
            "residents_in_any": None if res_any is None else round(res_any, 1),
            "sum_station_residents": None if res_any is None else round(float(tb["residents"].sum()), 1),
            "share_of_residents": None if res_any is None or not pop_total else round(res_any / pop_total, 6),
            "park_covered_land_in_any_m2": round(park_any, 1),
            "park_coverage_share_in_any": round(park_any / land_any, 6) if land_any > 0 else None,
            "mean_ped_shed_ratio_street": _round(tb["ped_shed_ratio_street"].mean(), 6),
            "mean_intersections_per_street_km": _round(tb["intersections_per_street_km"].mean(), 3),
            "union_catchment_area_m2": None,
        }
        if all_polygons and len(catchments):
            polys = catchments.loc[catchments["band_min"] == b].geometry.to_numpy()
            row["union_catchment_area_m2"] = round(float(shapely.union_all(polys).area), 1)
        out.append(row)
    return out


def _round(x: Any, nd: int) -> float | None:
    x = float(x)
    return None if not math.isfinite(x) else round(x, nd)


def _summary(*, study: Study, standards: Standards, st: gpd.GeoDataFrame, snap: SnappedPoints, on: np.ndarray,
             relinked: list[dict[str, Any]], bands: tuple[float, ...], ctx: _Context, residents: Residents | None,
             pop: np.ndarray | None, weights: Mapping[str, float], ranked: pd.DataFrame, totals: list[dict[str, Any]],
             park_info: dict[str, Any], polygons: int | str, poly_ids: np.ndarray, execution: dict[str, Any],
             caught: list[warnings.WarningMessage], given: bool, elapsed: float) -> dict[str, Any]:
    """The JSON summary.

    Keys
    ----
    analysis, walk_speed_kmh, metres_per_minute (m/min), isochrone_buffer_m (m), bands_min (min)
        What was measured.
    station_source
        ``"given"`` or the study's station facilities.
    stations, stations_on_network (count), stations_off_network (names),
    stations_relinked_to_main_network
        Stations scored; off-network ones get no figures, no score and no rank.
    residential_land_m2 (m², all demand cells), residents (persons), population_source
        Totals of the study the shares refer to.
    service_kinds_counted, park_radius_m (m), park_size_rule, parks_used, parks_off_network,
    facilities_off_network
        Inputs of the service and park figures.
    bands
        One entry per band: ``minutes``, ``distance_m``; the UNION over all stations
        (``street_length_in_any_m``, ``demand_cells_in_any``,
        ``residential_land_reached_in_any_m2``, ``share_of_residential_land``,
        ``residents_in_any``, ``share_of_residents``, ``park_covered_land_in_any_m2``,
        ``park_coverage_share_in_any``, ``union_catchment_area_m2`` when every station has
        a polygon) beside the SUMS of per-station figures (``sum_station_*``, overlaps
        counted again) and means of ratios over stations.
    score
        ``definition`` (text), ``weights`` (effective, sum 1), ``components``.
    top_stations
        The ten best: rank, station, score (0-100).
    polygons, polygon_stations
        Which stations have isochrone polygons (and polygon figures) and how many.
    execution
        ``scheduler`` (local or the Dask cluster), ``workers``, ``chunks``, ``chunk_size``,
        ``elapsed_s`` (s).
    warnings
        Warnings raised while snapping the stations.
    """
    top = ranked.loc[ranked["rank"].notna()].head(10)
    pop_source = None if residents is None else residents.source
    return {
        "analysis": "TOD station scoring",
        "walk_speed_kmh": study.net.speed_kmh,
        "metres_per_minute": round(study.net.metres_per_minute, 6),
        "isochrone_buffer_m": ctx.buffer_m,
        "bands_min": list(bands),
        "station_source": "given" if given else f"study facilities of kind {standards.tod.station_kind!r}",
        "stations": int(len(st)),
        "stations_on_network": int(on.sum()),
        "stations_off_network": [str(s) for s in st["station"].to_numpy()[~on]],
        "stations_relinked_to_main_network": relinked,
        "residential_land_m2": round(float(ctx.cell_area_m2.sum()), 1),
        "residents": None if pop is None else round(float(pop.sum()), 1),
        "population_source": pop_source,
        "service_kinds_counted": list(ctx.kinds),
        **park_info,
        "bands": totals,
        "score": {
            "definition": ("per band, each component becomes its percentile rank among the on-network stations "
                           "((rank-1)/(n-1), ties averaged, NaN lowest); band score = weighted mean of the "
                           "percentile ranks; score = 100 x mean of the band scores; rank 1 = highest score"),
            "weights": {k: round(v, 6) for k, v in weights.items()},
            "components": list(weights),
        },
        "top_stations": [{"rank": int(r), "station": str(s), "score": round(float(v), 3)}
                         for r, s, v in zip(top["rank"], top["station"], top["score"])],
        "polygons": "all" if _check_polygons(polygons) is None else f"top {int(polygons)} by score",
        "polygon_stations": int(len(poly_ids)),
        "execution": {**execution, "elapsed_s": round(elapsed, 2)},
        "demand_cells": int(len(study.demand)),
        "demand_off_network": int(study.demand_snap.n_off_network),
        "warnings": [str(w.message) for w in caught],
    }


# ------------------------------------------------------------------------------ map
_TXT = {
    "en": {"title": "TOD potential of station areas", "score": "TOD score (0-100)", "stations": "Stations by score",
           "rank": "rank", "name": "station", "catch": "Walking catchments (top {n})", "legend": "Walking time (min)",
           "top": "Top {n} stations", "line1": "{n} stations scored on {b} min walks; composite score = weighted "
           "percentile ranks (see stations.json)", "line2": "Best: {best}", "res": "residents within {b:g} min",
           "land": "residential land within {b:g} min (ha)", "srv": "services within {b:g} min",
           "ped": "ped-shed ratio (streets), {b:g} min", "park": "residential land near a park, {b:g} min",
           "off": "{n} off the network"},
    "zh": {"title": "站点地区TOD潜力", "score": "TOD综合得分 (0-100)", "stations": "站点 (按得分)",
           "rank": "排名", "name": "站点", "catch": "步行范围 (前{n}名)", "legend": "步行时间（分钟）",
           "top": "前{n}名站点", "line1": "{n}个站点, 步行{b}分钟; 综合得分 = 各指标百分位排名加权 (见 stations.json)",
           "line2": "最佳: {best}", "res": "{b:g}分钟内居民", "land": "{b:g}分钟内居住用地 (公顷)",
           "srv": "{b:g}分钟内服务设施", "ped": "{b:g}分钟步行可达比 (道路)", "park": "{b:g}分钟内公园覆盖的居住用地",
           "off": "{n}个不在步行网络上"},
}


def _map(result: AnalysisResult, *, lang: str = "en", basemap: str = "positron") -> Any:
    """Stations coloured by score, the drawn catchments, and a popup with each station's figures."""
    from geo.maps import MapBuilder

    T = _TXT["zh" if lang == "zh" else "en"]
    s = result.summary
    bands = s["bands_min"]
    best = ", ".join(f"{t['rank']}. {t['station']} ({t['score']:.0f})" for t in s["top_stations"][:3])
    lines = [T["line1"].format(n=s["stations"], b="/".join(f"{b:g}" for b in bands)), T["line2"].format(best=best)]
    if s["stations_off_network"]:
        lines.append(T["off"].format(n=len(s["stations_off_network"])))
    m = MapBuilder(title=T["title"], subtitle_lines=lines, basemap=basemap, lang=lang)
    cat = result.layers["catchments"]
    if len(cat):
        m.add_bands(cat, minutes_col="band_min", name=T["catch"].format(n=s["polygon_stations"]), legend_title=T["legend"])
    st = result.layers["stations"]
    on = st.loc[st["on_network"].to_numpy(bool)].copy()
    if len(on):
        dots = on[["station", "rank", "score", "geometry"]].copy()
        dots["rank"] = dots["rank"].astype(float)
        dots = dots.set_geometry(on.geometry.buffer(40.0, quad_segs=8))
        m.add_choropleth(dots, value_col="score", name=T["stations"], legend_title=T["score"],
                         tooltip_cols={T["name"]: "station", T["rank"]: "rank"}, bins=[0, 20, 40, 60, 80, 100],
                         value_format="{:.0f}", fill_opacity=0.85)
        top = on.loc[on["rank"].astype(float) <= max(1, s["polygon_stations"])].copy()
        if len(top):
            top["_kind"] = "top"
            b_out = bands[-1]
            p = band_prefix(b_out)
            cols = {T["rank"]: "rank", T["score"]: "score_txt", T["res"].format(b=b_out): "res_txt",
                    T["land"].format(b=b_out): "land_txt", T["srv"].format(b=b_out): "srv_txt",
                    T["ped"].format(b=b_out): "ped_txt", T["park"].format(b=b_out): "park_txt"}
            top["score_txt"] = top["score"].map(lambda v: f"{v:.1f}")
            top["res_txt"] = top[p + "residents"].map(lambda v: "–" if pd.isna(v) else f"{v:,.0f}")
            top["land_txt"] = top[p + "residential_land_reached_m2"].map(lambda v: "–" if pd.isna(v) else f"{v / 1e4:,.1f}")
            top["srv_txt"] = [("–" if pd.isna(a) else f"{int(a)} ({int(k)})") for a, k in zip(top[p + "services_total"], top[p + "service_kinds"])]
            top["ped_txt"] = top[p + "ped_shed_ratio_street"].map(lambda v: "–" if pd.isna(v) else f"{v:.2f}")
            top["park_txt"] = top[p + "park_coverage_share"].map(lambda v: "–" if pd.isna(v) else f"{v:.0%}")
            top["rank"] = top["rank"].astype(int)
            m.add_points(top, kind_col="_kind", name_col="station", popup_cols=cols, cluster=False,
                         kind_labels={"top": T["top"].format(n=len(top))}, colors={"top": "#d62728"},
                         legend_title=T["stations"])
    return m

