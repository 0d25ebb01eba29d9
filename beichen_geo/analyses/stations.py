"""Score many station areas at once and rank their TOD potential (issue #6).

For every station (all metro and intercity stations of a city, or a planner's list of
proposed stations) and every walking band (default 5, 10 and 15 minutes), the walking
catchment is measured along the street network, the figures are turned into one composite
score, and the stations are ranked. The work is vectorised on the compiled CSR engine and
runs in memory-bounded chunks of stations, locally or on a dask.distributed cluster
(``scheduler="tcp://host:port"`` or ``workers=N``); both give identical numbers.

What is measured, and why not the isochrone polygon for everything
------------------------------------------------------------------
:func:`beichen_geo.analyses.tod.tod_station_areas` measures a catchment as a *polygon* (reachable
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
    :func:`geo.measures.intersection_nodes`) reached within the band, and per km of
    reachable street: a block-size measure independent of the catchment's size (a grid of
    100 m blocks gives 5 per km).
``residential_land_reached_m2``, ``residents``
    Area (and residents) of the residential demand cells (50 m grid pieces of residential
    land) whose network walk to the station is within the band, access walks included.
    The same cells as the residents of the TOD analysis.
``park_covered_land_m2``, ``park_coverage_share``
    Of that residential land, the part within the park radius (``[parks] radius_m``, 500 m)
    of a park along the network (the network method of :func:`beichen_geo.analyses.parks.park_coverage`),
    and its share (NaN when the band reaches no residential land).
``services_<kind>``, ``services_total``, ``service_kinds``, ``service_mix_index``
    Facilities of every kind but the stations' within the band; the mix index is the
    normalised Shannon entropy of :func:`geo.measures.mix_index`.

The isochrone POLYGONS are drawn, for the map and the GeoPackage, for every station by
default (``polygons="all"``) or for the ``polygons`` best-ranked ones. Rows with a polygon also
carry the polygon figures of the TOD analysis, computed by the same functions and therefore
equal to :func:`~beichen_geo.analyses.tod.tod_station_areas`: ``catchment_area_m2``,
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
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import InputError

from ..population import Residents
from ..present import stations as present
from ..result import AnalysisResult
from ..standards import Standards
from ..study import Study
from . import _stations_table as tables
from ._stations_batch import (
    Chunk,
    ChunkOut,
    Context,
    make_context,
    polygon_chunk,
    score_chunk,
)
from ._stations_common import (
    StationSnap,
    residents_per_cell,
    snap_stations,
    station_points,
)
from ._stations_runner import Runner
from ._stations_table import band_prefix, percentile_rank
from .bands import parse_bands

__all__ = [
    "DEFAULT_BANDS_MIN", "DEFAULT_CHUNK_SIZE", "DEFAULT_POLYGONS", "DEFAULT_WEIGHTS", "SCORE_COMPONENTS", "band_prefix",
    "percentile_rank", "read_stations", "score_stations",
]

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
        Run on a local dask cluster of this many worker processes (one thread each).
    chunk_size
        Stations per chunk: one engine pass (memory grows with it) and one Dask task.
    progress
        A progress bar (tqdm, stderr).

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
        Bad bands, weights, chunk size, polygons or scheduler options, stations without CRS,
        residents not aligned with the cells, a network other than walk, dask not installed.
    DataError
        No stations, or none within the snap distance of the walk network.
    """
    t_start = time.perf_counter()
    if study.net.mode != "walk":
        raise InputError(f"station scoring needs a walk network, the study's network is {study.net.mode!r}")
    bands = parse_bands(bands_min)
    n_poly = _check_polygons(polygons)
    _check_execution(chunk_size, scheduler, workers)
    pop = residents_per_cell(study, residents)
    w = _check_weights(weights, has_residents=pop is not None)

    st = station_points(study, standards, stations, hint="Give a station list with --stations FILE.")
    snapped = snap_stations(study, st)
    ctx, park_info = make_context(study, standards, bands, pop)
    run = _run(ctx, st, snapped, w, n_poly, chunk_size=int(chunk_size), scheduler=scheduler, workers=workers,
               progress=progress)
    table = run.table
    catchments = tables.add_polygons(table, run.poly_out, st.crs)
    n_on = int(snapped.snap.on_network.sum())
    totals = tables.totals(ctx, bands, run.outs, table, catchments,
                           all_polygons=n_poly is None or len(run.poly_ids) == n_on)
    ranked = tables.ranked(table, st, bands, ctx.kinds)
    stations_layer = gpd.GeoDataFrame(ranked.copy(),
                                      geometry=list(st.geometry.to_numpy()[ranked["station_id"].to_numpy()]),
                                      crs=st.crs)
    summary = _summary(
        study=study, standards=standards, st=st, snapped=snapped, bands=bands, ctx=ctx,
        residents=residents, pop=pop, weights=w, ranked=ranked, totals=totals, park_info=park_info,
        polygons=polygons, poly_ids=run.poly_ids, execution=run.execution,
        given=stations is not None, elapsed=time.perf_counter() - t_start,
    )
    result = AnalysisResult(
        name="stations", summary=summary,
        layers={"stations": stations_layer, "catchments": catchments},
        tables={"ranked": ranked, "bands": table},
    )
    result.make_map = lambda **kw: present.make_map(result, study, standards, **kw)
    return result


@dataclasses.dataclass
class _Run:
    """What the chunk work gave: chunk outputs, the scored band table, the polygons drawn."""

    outs: list[ChunkOut]
    table: pd.DataFrame
    poly_ids: np.ndarray
    poly_out: list[pd.DataFrame]
    execution: dict[str, Any]


def _chunks(ids: np.ndarray, snapped: StationSnap, xy: np.ndarray, size: int) -> list[Chunk]:
    """Consecutive chunks of ``size`` stations (global ids) with their snapped positions."""
    return [Chunk(ids=part, snap=snapped.snap.subset(part), xy=xy[part])
            for part in (ids[i:i + size] for i in range(0, len(ids), size))]


def _run(ctx: Context, st: gpd.GeoDataFrame, snapped: StationSnap, weights: Mapping[str, float],
         n_poly: int | None, *, chunk_size: int, scheduler: str | None, workers: int | None, progress: bool) -> _Run:
    """Score the on-network stations chunk by chunk, rank them, draw the polygons wanted."""
    bands = ctx.bands
    xy = shapely.get_coordinates(st.geometry.to_numpy())
    chunks = _chunks(np.flatnonzero(snapped.snap.on_network), snapped, xy, chunk_size)
    with Runner(scheduler=scheduler, workers=workers, progress=progress) as runner:
        ref = runner.put(ctx)
        outs = runner.map(score_chunk, ref, chunks, desc="scoring stations")
        table = tables.assemble(st, snapped.snap, bands, ctx.kinds, outs)
        tables.score(table, bands, weights)
        poly_ids = tables.polygon_stations(table, n_poly)
        poly_out: list[pd.DataFrame] = []
        if len(poly_ids):
            # a polygon costs ~0.1 s: smaller chunks spread them over the workers
            psize = max(1, min(chunk_size, math.ceil(len(poly_ids) / (4 * runner.n_workers))))
            poly_out = runner.map(polygon_chunk, ref, _chunks(poly_ids, snapped, xy, psize), desc="catchment polygons")
        execution = {**runner.describe(), "chunk_size": chunk_size, "chunks": len(chunks)}
    return _Run(outs=outs, table=table, poly_ids=poly_ids, poly_out=poly_out, execution=execution)


# ------------------------------------------------------------------------------ validation
def _check_execution(chunk_size: int, scheduler: str | None, workers: int | None) -> None:
    """Chunk size and where to run: a local loop, a scheduler's cluster or a local cluster."""
    if not isinstance(chunk_size, (int, np.integer)) or isinstance(chunk_size, bool) or chunk_size < 1:
        raise InputError(f"chunk_size must be a whole number >= 1, got {chunk_size!r}")
    if scheduler is not None and workers is not None:
        raise InputError("give either scheduler='tcp://host:port' (an existing cluster) "
                         "or workers=N (a local one), not both")
    if workers is not None and (not isinstance(workers, (int, np.integer)) or isinstance(workers, bool) or workers < 1):
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}")


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
        raise InputError(f"unknown score component(s) {', '.join(map(repr, unknown))}; "
                         f"choose from {', '.join(SCORE_COMPONENTS)}")
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
        extra = (" (residents are unknown, so their weight does not count)"
                 if "residents" in given and not has_residents else "")
        raise InputError(f"the score weights must include at least one positive weight{extra}")
    return {k: v / total for k, v in out.items()}


def _summary(*, study: Study, standards: Standards, st: gpd.GeoDataFrame, snapped: StationSnap,
             bands: tuple[float, ...], ctx: Context, residents: Residents | None,
             pop: np.ndarray | None, weights: Mapping[str, float], ranked: pd.DataFrame, totals: list[dict[str, Any]],
             park_info: dict[str, Any], polygons: int | str, poly_ids: np.ndarray, execution: dict[str, Any],
             given: bool, elapsed: float) -> dict[str, Any]:
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
        The diagnostics of snapping the stations (off-network stations, isolated pieces).
    """
    on = snapped.snap.on_network
    top = ranked.loc[ranked["rank"].notna()].head(10)
    pop_source = None if residents is None else residents.source
    return {
        "analysis": "TOD station scoring",
        "walk_speed_kmh": study.net.speed_kmh,
        "metres_per_minute": round(study.net.metres_per_minute, 6),
        "isochrone_buffer_m": ctx.buffer_m,
        "bands_min": list(bands),
        "station_source": "given" if given else f"study facilities of kind {standards.tod.station_kind!r}",
        "stations": len(st),
        "stations_on_network": int(on.sum()),
        "stations_off_network": [str(s) for s in st["station"].to_numpy()[~on]],
        "stations_relinked_to_main_network": snapped.relinked,
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
                         for r, s, v in zip(top["rank"], top["station"], top["score"], strict=True)],
        "polygons": "all" if _check_polygons(polygons) is None else f"top {int(polygons)} by score",
        "polygon_stations": len(poly_ids),
        "execution": {**execution, "elapsed_s": round(elapsed, 2)},
        "demand_cells": len(study.demand),
        "demand_off_network": int(study.demand_snap.n_off_network),
        "warnings": list(snapped.warnings),
    }


