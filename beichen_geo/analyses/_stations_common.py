"""Station input shared by the TOD and station-scoring analyses (not an analysis itself).

Station points from the study or a planner's layer, their snapping to the main walk
network (with the diagnostics as data), residents per demand cell and the residential land.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.access import AccessSnap, per_feature
from geo.engine import Catchments, TravelTimeEngine
from geo.errors import DataError, InputError
from geo.measures import land_parts
from geo.snapping import SnappedPoints, off_network_message, snap_points

from ..population import Residents
from ..standards import Standards
from ..study import Study

#: A connected piece of the walk network with at least this share of its nodes is "main".
MAIN_COMPONENT_SHARE = 0.05


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


@dataclasses.dataclass(frozen=True)
class StationSnap:
    """Stations snapped to the main walk network, and what went wrong, as data.

    ``relinked`` lists the stations moved from an isolated piece to a main street;
    ``warnings`` are the diagnostics' texts (off-network stations, isolated pieces).
    """

    snap: SnappedPoints
    relinked: list[dict[str, Any]]
    warnings: list[str]


def snap_stations(study: Study, st: gpd.GeoDataFrame) -> StationSnap:
    """Snap stations (see :func:`_snap_stations`); a DataError when none reaches the network."""
    got = _snap_stations(study, st)
    if not got.snap.on_network.any():
        raise DataError(
            f"none of the {len(st)} stations is within {study.max_snap_m:g} m of the walk network "
            f"(e.g. {st['station'].iloc[0]!r}). Check the station coordinates (GCJ-02/BD-09 points read as "
            "WGS84? give the file's coordinate system with --coords or --stations-coords) "
            "and that the stations lie inside the study area."
        )
    return got


def _off_network_text(study: Study, st: gpd.GeoDataFrame, full: SnappedPoints) -> list[str]:
    """The off-network diagnostic of :func:`geo.snapping.snap_points` (none when all snapped)."""
    off = np.flatnonzero(full.edge < 0)
    if not len(off):
        return []
    far = np.full(len(off), np.inf)
    (qi, _), dist = study.net.edge_tree.query_nearest(st.geometry.to_numpy()[off], return_distance=True,
                                                      all_matches=False)
    far[qi] = dist
    return [off_network_message(st.index, off, far, n=len(st), what="stations", max_snap_m=study.max_snap_m)]


def _snap_stations(study: Study, st: gpd.GeoDataFrame) -> StationSnap:
    """Snap stations to the main walk network; report those whose nearest street is isolated.

    A station's nearest footway is often an isolated piece (an underground platform or
    corridor mapped without its stairs). Such a station is linked instead to the nearest
    street of a main component (the largest, or any holding >= 5 % of the nodes) within the
    snap distance, and listed; otherwise it is off-network.
    """
    net = study.net
    full = snap_points(net, st, max_snap_m=study.max_snap_m, what="stations", warn=False)
    said = _off_network_text(study, st, full)
    comp = net.nodes["component"].to_numpy()
    sizes = np.bincount(comp)
    major = (np.arange(len(sizes)) == int(np.argmax(sizes))) | (sizes >= MAIN_COMPONENT_SHARE * sizes.sum())
    edge_comp = comp[net.edges["u"].to_numpy()]
    main_edges = np.flatnonzero(major[edge_comp])
    on = full.edge >= 0
    minor = on & ~major[edge_comp[np.maximum(full.edge, 0)]]
    if not minor.any():
        return StationSnap(full, [], said)
    sub = dataclasses.replace(net, edges=net.edges.iloc[main_edges])
    alt = snap_points(sub, st, max_snap_m=study.max_snap_m, what="stations", warn=False)
    edge, offset, access = full.edge.copy(), full.offset_m.copy(), full.access_m.copy()
    relinked: list[dict[str, Any]] = []
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
        names = ", ".join(str(r["station"]) for r in relinked if r["main_network_access_m"] is None)
        said.append(
            f"stations: {names} lie next to an isolated piece of the walk network only (no main street within "
            f"{study.max_snap_m:g} m) and are reported as off-network. Move the points to the station entrances."
        )
    return StationSnap(dataclasses.replace(full, edge=edge, offset_m=offset, access_m=access), relinked, said)


def residents_per_cell(study: Study, residents: Residents | None) -> np.ndarray | None:
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


def residential_land(study: Study) -> tuple[np.ndarray, shapely.STRtree, float]:
    """The study's residential land as disjoint polygon parts, their tree and total area (m²)."""
    return land_parts(study.residential.geometry.to_numpy())


@dataclasses.dataclass(frozen=True)
class Services:
    """The service facilities of a station analysis: every kind but the stations'.

    ``access`` is None when there is none; ``kind_code`` gives each facility's position in
    ``kinds`` (sorted kind names).
    """

    access: AccessSnap | None
    kind_code: np.ndarray
    kinds: tuple[str, ...]

    @property
    def n_off_network(self) -> int:
        """Facilities with no access point near a street."""
        return 0 if self.access is None else int(self.access.n_off_network)


def services(study: Study, station_kind: str) -> Services:
    """Facilities of every kind but ``station_kind``, reached through entrances / outline points."""
    fac, access = study.snapped_access([k for k in pd.unique(study.facilities["kind"]) if k != station_kind])
    kinds = tuple(sorted(str(k) for k in fac["kind"].unique()))
    if fac.empty:
        return Services(None, np.zeros(0, np.int64), kinds)
    code = {k: i for i, k in enumerate(kinds)}
    return Services(access, np.array([code[str(k)] for k in fac["kind"]], dtype=np.int64), kinds)


def services_catchments(engine: TravelTimeEngine, svc: Services, snap: SnappedPoints, cat: Catchments,
                        cutoff_min: float) -> Catchments | None:
    """Facilities within ``cutoff_min`` of each station, each counted once per station (None if none)."""
    if svc.access is None:
        return None
    return per_feature(engine.point_catchments(svc.access.points, snap, cutoff_min=cutoff_min, catchments=cat),
                       svc.access)
