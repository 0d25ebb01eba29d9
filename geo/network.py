"""Street networks: load from OSM PBF, OSM XML, GraphML or osmnx graphs, project to metres.

A :class:`StreetNetwork` is two GeoDataFrames in one metric CRS:

- ``nodes``: one row per intersection or way vertex, positional index ``0..N-1``, with the
  OSM id (``osmid``) and the connected ``component`` it belongs to;
- ``edges``: one row per way segment, ``u``/``v`` positional node indices, ``length_m``
  measured on the projected geometry, ``forward``/``backward`` (may it be travelled from
  ``u`` to ``v``, from ``v`` to ``u``), ``highway``, ``name`` and a LineString drawn from
  ``u`` to ``v``.

Travel time of an edge = ``length_m / speed``. The speed is one number per mode
(walk 4.5 km/h by default, the osmnx isochrone example's figure; bike 15; drive 30).
GB 50180-2018 gives the living circles as walking distances - 5 min ~ 300 m, 10 min ~ 500 m,
15 min ~ 800-1,000 m - i.e. 3.2-4.0 km/h (4.0 km/h makes 15 min = 1,000 m). Pass
``speed_kmh`` to choose.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ._graphml import (
    GraphTables,
    graphml_text,
    networkx_edge_order,
    read_graphml_tables,
)
from .errors import InputError, NetworkError
from .io import atomic_write
from .osm.filters import MODES, WAY_TAGS, filter_ways
from .projection import WEB_CRS, check_metric, metric_crs

#: Default travel speed per mode, km/h.
DEFAULT_SPEED_KMH: dict[str, float] = {"walk": 4.5, "bike": 15.0, "drive": 30.0}


@dataclasses.dataclass(frozen=True)
class StreetNetwork:
    """A street network in a metric CRS for one travel mode.

    Attributes
    ----------
    nodes
        GeoDataFrame of Points, positional index; columns ``osmid``, ``component``.
    edges
        GeoDataFrame of LineStrings; columns ``u``, ``v``, ``length_m``, ``forward``,
        ``backward``, ``highway``, ``name``.
    mode
        ``"walk"``, ``"bike"`` or ``"drive"``.
    speed_kmh
        Travel speed used to turn metres into minutes, km/h.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    mode: str
    speed_kmh: float

    @property
    def crs(self) -> Any:
        """The metric CRS of nodes and edges."""
        return self.edges.crs

    @functools.cached_property
    def edge_tree(self) -> shapely.STRtree:
        """Spatial index of the edge geometries (built once, on first use)."""
        return shapely.STRtree(self.edges.geometry.to_numpy())

    @property
    def metres_per_minute(self) -> float:
        """Travel speed in metres per minute."""
        return self.speed_kmh * 1000.0 / 60.0

    def with_speed(self, speed_kmh: float) -> StreetNetwork:
        """Same network, another speed (no copy of the data)."""
        _check_speed(speed_kmh)
        return dataclasses.replace(self, speed_kmh=float(speed_kmh))

    def summary(self) -> dict[str, Any]:
        """Size figures: nodes, edges, total length (km), components, largest component share."""
        comp = self.nodes["component"].to_numpy()
        sizes = np.bincount(comp) if len(comp) else np.zeros(0, int)
        return {
            "mode": self.mode,
            "speed_kmh": self.speed_kmh,
            "crs": self.crs.to_string() if self.crs is not None else None,
            "nodes": len(self.nodes),
            "edges": len(self.edges),
            "length_km": round(float(self.edges["length_m"].sum()) / 1000.0, 3),
            "components": len(sizes),
            "largest_component_share": round(float(sizes.max() / sizes.sum()), 4) if len(sizes) else 0.0,
        }

    def to_networkx(self) -> nx.MultiDiGraph:
        """Directed networkx graph with ``length_m`` and ``minutes`` on every allowed direction.

        Meant for cross-checks and interchange; routing uses :mod:`geo.engine`.
        """
        G = nx.MultiDiGraph(crs=self.crs)
        G.add_nodes_from(range(len(self.nodes)))
        e = self.edges
        mpm = self.metres_per_minute
        for u, v, length, f, b in zip(e["u"], e["v"], e["length_m"], e["forward"], e["backward"], strict=True):
            if f:
                G.add_edge(int(u), int(v), length_m=float(length), minutes=float(length) / mpm)
            if b:
                G.add_edge(int(v), int(u), length_m=float(length), minutes=float(length) / mpm)
        return G


def _check_speed(speed_kmh: float) -> None:
    if not np.isfinite(speed_kmh) or speed_kmh <= 0:
        raise InputError(f"speed must be a positive number of km/h, got {speed_kmh!r}")


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise InputError(f"unknown travel mode {mode!r}; choose one of {', '.join(MODES)}")


def build_network(
    segments: gpd.GeoDataFrame,
    node_xy: pd.DataFrame,
    *,
    mode: str = "walk",
    crs: Any = None,
    speed_kmh: float | None = None,
    directions: tuple[np.ndarray, np.ndarray] | None = None,
    source: str = "data",
) -> StreetNetwork:
    """Build a :class:`StreetNetwork` from way segments and node coordinates.

    Parameters
    ----------
    segments
        One row per way segment: ``u``, ``v`` (OSM node ids), the tag columns of
        :data:`geo.osm.filters.WAY_TAGS` (missing ones count as absent), geometry
        LineString in any CRS (or None: a straight line between the nodes is used).
    node_xy
        OSM node id index, columns ``x``, ``y`` in the CRS of ``segments``.
    mode
        ``"walk"`` (default; every way two-way), ``"bike"`` or ``"drive"``.
    crs
        Metric CRS to project to; None picks the UTM zone of the data.
    speed_kmh
        Travel speed, km/h; default :data:`DEFAULT_SPEED_KMH` for the mode.
    directions
        Optional (forward, backward) arrays that override the one-way rules derived from
        tags (used for osmnx graphs, whose directed edges already encode them).
    source
        Name of the input, for error messages.
    """
    _check_mode(mode)
    speed = DEFAULT_SPEED_KMH[mode] if speed_kmh is None else float(speed_kmh)
    _check_speed(speed)
    if segments.crs is None:
        raise InputError(f"{source}: the street data has no CRS")
    keep, forward, backward = filter_ways(segments, mode)
    if directions is not None:
        forward, backward = directions
        if mode == "walk":
            forward = np.ones(len(segments), bool)
            backward = np.ones(len(segments), bool)
    seg = segments.loc[keep].copy()
    seg["forward"] = np.asarray(forward)[keep]
    seg["backward"] = np.asarray(backward)[keep]
    if len(seg) == 0:
        raise NetworkError(
            f"{source}: no {mode} ways found (checked {len(segments)} ways). Is it the right "
            "area and mode? A PBF/XML extract must contain highway ways."
        )
    osm_ids = pd.unique(np.concatenate([seg["u"].to_numpy(), seg["v"].to_numpy()]))
    missing = pd.Index(osm_ids).difference(node_xy.index)
    if len(missing):
        raise NetworkError(
            f"{source}: {len(missing)} way nodes have no coordinates (e.g. OSM node "
            f"{missing[0]}); the extract is incomplete - re-export it with complete ways."
        )
    xy = node_xy.loc[osm_ids, ["x", "y"]].to_numpy(dtype=float)
    pts = gpd.GeoSeries(shapely.points(xy), crs=segments.crs)
    target = metric_crs(crs, like=pts.iloc[:1000] if len(pts) else pts, covers=pts)
    pts = pts.to_crs(target)
    pos = pd.Series(np.arange(len(osm_ids)), index=osm_ids)
    u = pos.loc[seg["u"].to_numpy()].to_numpy()
    v = pos.loc[seg["v"].to_numpy()].to_numpy()
    given = seg.geometry.to_crs(target).to_numpy() if seg.geometry.name in seg else None
    geom = _edge_geometries(given, pts.to_numpy(), u, v)
    length = shapely.length(geom)
    nodes = gpd.GeoDataFrame(
        {"osmid": osm_ids, "component": _component_ranks(u, v, len(osm_ids))},
        geometry=pts.to_numpy(),
        crs=target,
    )
    edges = gpd.GeoDataFrame(
        {
            "u": u.astype(np.int64),
            "v": v.astype(np.int64),
            "length_m": length,
            "forward": seg["forward"].to_numpy(bool),
            "backward": seg["backward"].to_numpy(bool),
            "highway": _first_value(seg.get("highway")),
            "name": _first_value(seg.get("name")),
        },
        geometry=geom,
        crs=target,
    )
    edges = edges[edges["forward"] | edges["backward"]].reset_index(drop=True)
    return StreetNetwork(nodes=nodes, edges=edges, mode=mode, speed_kmh=speed)


def _edge_geometries(given: np.ndarray | None, pts: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Edge lines drawn from node ``u`` to node ``v``: the given ones, or straight lines.

    Missing or empty given geometries are replaced by straight lines; a given line that
    starts nearer ``v`` than ``u`` is reversed.
    """
    pxy = shapely.get_coordinates(pts)
    straight = shapely.linestrings(np.stack([pxy[u], pxy[v]], axis=1))
    if given is None:
        return straight
    geom = np.where(shapely.is_missing(given) | shapely.is_empty(given), straight, given)
    start = shapely.get_point(geom, 0)
    flip = shapely.distance(start, pts[v]) < shapely.distance(start, pts[u])
    if flip.any():
        geom = geom.copy()
        geom[flip] = shapely.reverse(geom[flip])
    return geom


def _component_ranks(u: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Connected component of each of ``n`` nodes, numbered by size: 0 = the largest."""
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[labels]


def _first_value(s: pd.Series | None) -> np.ndarray:
    """Tag values as strings; lists (from simplified osmnx graphs) give their first item."""
    if s is None:
        return None  # type: ignore[return-value]
    out = s.map(lambda x: x[0] if isinstance(x, list) and x else x)
    return out.where(out.notna(), None).to_numpy(dtype=object)


# --------------------------------------------------------------------------- loaders


def load_network(
    source: str | os.PathLike,
    *,
    mode: str = "walk",
    crs: Any = None,
    speed_kmh: float | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> StreetNetwork:
    """Load a street network from a file, choosing the reader by extension.

    Parameters
    ----------
    source
        ``.pbf`` / ``.osm.pbf`` (pyrosm), ``.osm`` / ``.xml`` (osmnx), ``.graphml``.
    mode
        ``"walk"`` (default), ``"bike"`` or ``"drive"``.
    crs
        Metric CRS (EPSG code or pyproj CRS); None = UTM zone of the data.
    speed_kmh
        Travel speed in km/h; default per mode (walk 4.5).
    bbox
        Optional (west, south, east, north) in degrees to read only part of a PBF.
    """
    path = Path(source)
    if not path.exists():
        raise InputError(f"{path}: file not found. Give the path of an OSM .pbf, .osm or .graphml file.")
    name = path.name.lower()
    if name.endswith(".pbf"):
        return load_pbf(path, mode=mode, crs=crs, speed_kmh=speed_kmh, bbox=bbox)
    if name.endswith((".osm", ".xml", ".osm.xml")):
        return load_osm_xml(path, mode=mode, crs=crs, speed_kmh=speed_kmh)
    if name.endswith(".graphml"):
        return load_graphml(path, mode=mode, crs=crs, speed_kmh=speed_kmh)
    raise InputError(
        f"{path}: unknown network format; use an OSM .pbf, an OSM XML .osm or an osmnx .graphml file"
    )


def load_pbf(
    path: str | os.PathLike,
    *,
    mode: str = "walk",
    crs: Any = None,
    speed_kmh: float | None = None,
    bbox: tuple[float, float, float, float] | None = None,
) -> StreetNetwork:
    """Read the street network of an OSM PBF extract with pyrosm (offline).

    All highway ways are read; :func:`geo.osm.filters.filter_ways` then selects the mode's
    ways, so PBF, XML and online sources agree. Edges are way segments between consecutive
    OSM nodes (not simplified), which keeps snapping and partial edges exact.
    """
    import pyrosm

    _check_mode(mode)
    path = Path(path)
    extent = pbf_extent(path) if bbox else None
    if bbox and extent and not _boxes_intersect(bbox, extent):
        raise NetworkError(_outside_extract(path, bbox, extent))
    try:
        osm = pyrosm.OSM(str(path), bounding_box=list(bbox) if bbox else None)
        extra = [t for t in WAY_TAGS if t not in ("highway", "name")]
        nodes, edges = osm.get_network(network_type="all", nodes=True, extra_attributes=extra)
    except Exception as exc:  # pyrosm raises its own types for corrupt files
        raise InputError(f"{path}: cannot read as OSM PBF ({exc}). Is it a valid .osm.pbf file?") from exc
    if edges is None or nodes is None or len(edges) == 0:
        if bbox:
            raise NetworkError(_outside_extract(path, bbox, extent))
        raise NetworkError(f"{path}: no highway ways in this extract")
    node_xy = pd.DataFrame({"x": nodes["lon"].to_numpy(), "y": nodes["lat"].to_numpy()}, index=nodes["id"].to_numpy())
    node_xy = node_xy[~node_xy.index.duplicated()]
    edges = edges.set_crs(WEB_CRS, allow_override=True)
    return build_network(edges, node_xy, mode=mode, crs=crs, speed_kmh=speed_kmh, source=str(path))


def pbf_extent(path: str | os.PathLike) -> tuple[float, float, float, float] | None:
    """The bounding box an OSM PBF declares in its header, as (west, south, east, north) degrees.

    Reads only the first block of the file. Returns None when the header has no box or
    cannot be read (the caller then simply reads the data).
    """
    import struct
    import zlib

    try:
        from pyrosm.proto import fileformat_pb2, osmformat_pb2

        with open(path, "rb") as f:
            (size,) = struct.unpack(">I", f.read(4))
            head = fileformat_pb2.BlobHeader()
            head.ParseFromString(f.read(size))
            if head.type != "OSMHeader":
                return None
            blob = fileformat_pb2.Blob()
            blob.ParseFromString(f.read(head.datasize))
        data = zlib.decompress(blob.zlib_data) if blob.HasField("zlib_data") else blob.raw
        header = osmformat_pb2.HeaderBlock()
        header.ParseFromString(data)
    except Exception:  # noqa: BLE001 - no header box is not an error: the data is read anyway
        return None
    if not header.HasField("bbox"):
        return None
    b = header.bbox
    return (b.left * 1e-9, b.bottom * 1e-9, b.right * 1e-9, b.top * 1e-9)


def _boxes_intersect(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _outside_extract(path: Path, bbox: tuple[float, ...], extent: tuple[float, ...] | None) -> str:
    w, s, e, n = bbox
    where = f"the study area (with its reach) spans lon {w:.4f}..{e:.4f}, lat {s:.4f}..{n:.4f}"
    if extent:
        x0, y0, x1, y1 = extent
        where += f", but {path.name} covers lon {x0:.4f}..{x1:.4f}, lat {y0:.4f}..{y1:.4f}"
    else:
        where += f", and {path.name} has no highway ways there"
    return (
        f"the study area does not intersect the street network: {where}. "
        "Check that the boundary and the OSM extract cover the same area."
    )


def load_osm_xml(
    path: str | os.PathLike, *, mode: str = "walk", crs: Any = None, speed_kmh: float | None = None
) -> StreetNetwork:
    """Read the street network of an OSM XML file (.osm) with osmnx (offline)."""
    import osmnx as ox
    from osmnx import _osm_xml
    from osmnx.graph import _create_graph

    from .osm.overpass import osmnx_settings

    path = Path(path)
    try:
        # osmnx's SAX handler, without the extra full ElementTree parse that
        # _overpass_json_from_xml does only to read the root's attributes
        import xml.sax

        handler = _osm_xml._OSMContentHandler()
        with _osm_xml._open_file(path, "utf-8") as fh:
            xml.sax.parse(fh, handler)  # local file chosen by the user
        data = handler.object
    except Exception as exc:  # osmnx raises many types on malformed XML
        raise InputError(f"{path}: cannot read as OSM XML ({type(exc).__name__}: {exc})") from exc
    data = {**data, "elements": _clip_ways_to_known_nodes(data.get("elements", []))}
    with osmnx_settings(useful_tags_way=sorted(set(ox.settings.useful_tags_way) | set(WAY_TAGS))):
        G = _create_graph([data], bidirectional=False)
    return from_osmnx_graph(G, mode=mode, crs=crs, speed_kmh=speed_kmh, source=str(path))


def _clip_ways_to_known_nodes(elements: list[dict]) -> list[dict]:
    """Split ways at node references missing from the file (clipped extracts), like pyrosm.

    osmnx refuses such files ("Some edges missing nodes"); extracts cut by a bounding box
    always have them. Each run of >= 2 consecutive known nodes becomes its own way.
    """
    known = {el["id"] for el in elements if el.get("type") == "node"}
    out = []
    for el in elements:
        if el.get("type") != "way" or all(n in known for n in el.get("nodes", [])):
            out.append(el)
            continue
        run: list[int] = []
        for n in [*el.get("nodes", []), None]:
            if n is not None and n in known:
                run.append(n)
                continue
            if len(run) >= 2:
                out.append({**el, "nodes": run})
            run = []
    return out


def load_graphml(
    path: str | os.PathLike, *, mode: str = "walk", crs: Any = None, speed_kmh: float | None = None
) -> StreetNetwork:
    """Read a GraphML graph saved by osmnx (``ox.save_graphml``), projected or not.

    Files in the plain form networkx writes (every attribute a string, as osmnx saves them)
    are parsed in one pass over the text (:mod:`geo._graphml`) without building a networkx
    graph (about 2.7 times faster than ``ox.load_graphml`` on 370,000 directed edges), with
    the same values; any other file is read with osmnx.
    """
    path = Path(path)
    tables = read_graphml_tables(path) if path.is_file() else None
    if tables is None:
        import osmnx as ox

        try:
            G = ox.load_graphml(path)
        except Exception as exc:
            raise InputError(f"{path}: cannot read as osmnx GraphML ({type(exc).__name__}: {exc})") from exc
        return from_osmnx_graph(G, mode=mode, crs=crs, speed_kmh=speed_kmh, source=str(path))
    return _from_graph_tables(tables, mode=mode, crs=crs, speed_kmh=speed_kmh, source=str(path))


def from_osmnx_graph(
    G: nx.MultiDiGraph,
    *,
    mode: str = "walk",
    crs: Any = None,
    speed_kmh: float | None = None,
    source: str = "graph",
) -> StreetNetwork:
    """Convert an osmnx MultiDiGraph (from XML, GraphML or Overpass) to a StreetNetwork.

    The directed edges of the graph decide one-way travel: an edge whose reverse twin (same
    nodes, same length) exists becomes one two-way edge. For walking every edge is two-way.
    """
    if G.number_of_edges() == 0:
        raise NetworkError(f"{source}: the graph has no edges")
    node_ids = np.fromiter(G.nodes, dtype=np.int64, count=G.number_of_nodes())
    edges = list(G.edges(data=True))
    tables = GraphTables(
        graph=G.graph,
        node_ids=node_ids,
        x=np.array([float(G.nodes[n]["x"]) for n in node_ids], dtype=float),
        y=np.array([float(G.nodes[n]["y"]) for n in node_ids], dtype=float),
        source=np.array([u for u, _, _ in edges]),
        target=np.array([v for _, v, _ in edges]),
        edge_attrs={
            name: [d.get(name) for _, _, d in edges] for name in ("reversed", "length", "geometry", *WAY_TAGS)
        },
    )
    return _from_graph_tables(tables, mode=mode, crs=crs, speed_kmh=speed_kmh, source=source)


def _from_graph_tables(
    g: GraphTables, *, mode: str, crs: Any, speed_kmh: float | None, source: str
) -> StreetNetwork:
    """The StreetNetwork of an osmnx graph given as columns (see :func:`from_osmnx_graph`)."""
    if len(g.source) == 0:
        raise NetworkError(f"{source}: the graph has no edges")
    node_xy = pd.DataFrame({"x": g.x, "y": g.y}, index=g.node_ids)
    absent = [None] * len(g.source)
    rev = g.edge_attrs.get("reversed", absent)
    has_reversed = any(r is not None for r in rev)
    # osmnx's mirrored copy of a two-way way (reversed=True) is represented by its twin
    kept = np.flatnonzero([not (r is True or r == "True") for r in rev])

    def column(name: str) -> list[Any]:
        values = g.edge_attrs.get(name, absent)
        return [values[i] for i in kept]

    table = {"u": g.source[kept], "v": g.target[kept], "_len": column("length")}
    table.update({t: column(t) for t in WAY_TAGS})
    seg = gpd.GeoDataFrame(pd.DataFrame(table), geometry=column("geometry"), crs=g.graph.get("crs", WEB_CRS))
    # oneway: osmnx stores its own boolean interpretation (and reverses oneway=-1 ways)
    oneway = seg["oneway"].map(lambda x: x in (True, "True", "yes")).to_numpy(bool)
    seg["oneway"] = np.where(oneway, "yes", "no")
    forward = np.ones(len(seg), bool)
    backward = ~oneway
    if not has_reversed:
        # a graph without osmnx's `reversed` marks (other tools, old GraphML): an edge and
        # its reverse twin (same nodes, same length) are one two-way edge
        a = np.minimum(seg["u"].to_numpy(), seg["v"].to_numpy())
        b = np.maximum(seg["u"].to_numpy(), seg["v"].to_numpy())
        length = pd.to_numeric(seg["_len"], errors="coerce").fillna(-1).round(1).to_numpy()
        key = pd.DataFrame({"a": a, "b": b, "len": length})
        dup = key.duplicated(keep="first").to_numpy()
        backward = backward | key.duplicated(keep="last").to_numpy()
        seg = seg.loc[~dup]
        forward, backward = forward[~dup], backward[~dup]
    return build_network(
        seg.drop(columns="_len"), node_xy, mode=mode, crs=crs, speed_kmh=speed_kmh,
        directions=(forward, backward), source=source,
    )


def load_online(
    *,
    place: str | None = None,
    polygon: Any = None,
    mode: str = "walk",
    crs: Any = None,
    speed_kmh: float | None = None,
    cache_dir: str | os.PathLike,
    overpass_url: str | None = None,
    nominatim_url: str | None = None,
    buffer_m: float = 0.0,
    deadline_s: float | None = None,
    max_body_mib: float | None = None,
) -> StreetNetwork:
    """Download a street network through Overpass (osmnx), with an on-disk cache.

    Parameters
    ----------
    place
        A place name geocoded with Nominatim (e.g. ``"北辰区, 天津市, 中国"``), or
    polygon
        a shapely (Multi)Polygon in EPSG:4326 (lon/lat).
    mode, crs, speed_kmh
        As in :func:`load_network`.
    cache_dir
        Folder of the download cache: a second identical call makes no request at all.
    overpass_url, nominatim_url
        Other servers (e.g. an intranet mirror); default: the public ones.
    buffer_m
        Grow the area by this many metres before downloading (edge effects).
    deadline_s
        Wall-clock seconds each download (geocoding, then the network) may take, retries
        included; ``None``: the defaults of :mod:`geo.osm.overpass` (180 s and 600 s).
    max_body_mib
        Size cap of one server answer in MiB; ``None``: 256 MiB.

    Raises
    ------
    NetworkError
        When the servers cannot be reached after retries, miss the deadline or send an
        answer that is refused (the message says which and what to do).
    """
    from .osm import overpass as _online

    if (place is None) == (polygon is None):
        raise InputError("give either a place name or a polygon to download")
    limits: dict[str, Any] = {
        k: v for k, v in (("deadline_s", deadline_s), ("max_body_mib", max_body_mib)) if v is not None
    }
    if place is not None:
        polygon = _online.geocode_place(
            place, cache_dir=cache_dir, nominatim_url=nominatim_url, **limits
        )
    if buffer_m:
        g = gpd.GeoSeries([polygon], crs=WEB_CRS)
        polygon = g.to_crs(metric_crs(None, like=g)).buffer(buffer_m).to_crs(WEB_CRS).iloc[0]
    G = _online.graph_from_polygon(polygon, cache_dir=cache_dir, overpass_url=overpass_url, **limits)
    return from_osmnx_graph(G, mode=mode, crs=crs, speed_kmh=speed_kmh, source=f"Overpass ({place or 'polygon'})")


def clip_network(net: StreetNetwork, area: Any, *, buffer_m: float = 0.0) -> StreetNetwork:
    """Keep the edges that intersect ``area`` grown by ``buffer_m`` metres.

    Use a buffer at least as large as the largest travel distance analysed, so that
    residents near the boundary can reach services just outside it (edge effects).
    ``area`` is a shapely geometry in the network CRS or a GeoDataFrame/GeoSeries.
    """
    if isinstance(area, (gpd.GeoDataFrame, gpd.GeoSeries)):
        area = area.to_crs(net.crs).union_all()
    zone = shapely.buffer(area, buffer_m) if buffer_m else area
    keep = shapely.intersects(net.edges.geometry.to_numpy(), zone)
    if not keep.any():
        raise NetworkError("the study area does not intersect the street network; check both CRS and extents")
    return subnetwork(net, keep)


def subnetwork(net: StreetNetwork, edge_mask: np.ndarray) -> StreetNetwork:
    """Network made of the edges where ``edge_mask`` is True (nodes renumbered)."""
    e = net.edges.loc[edge_mask]
    used = np.unique(np.concatenate([e["u"].to_numpy(), e["v"].to_numpy()]))
    new = np.full(len(net.nodes), -1, dtype=np.int64)
    new[used] = np.arange(len(used))
    nodes = net.nodes.iloc[used].reset_index(drop=True)
    edges = e.assign(u=new[e["u"].to_numpy()], v=new[e["v"].to_numpy()]).reset_index(drop=True)
    nodes = nodes.assign(component=_component_ranks(edges["u"].to_numpy(), edges["v"].to_numpy(), len(nodes)))
    return dataclasses.replace(net, nodes=nodes, edges=edges)


def save_graphml(net: StreetNetwork, path: str | os.PathLike) -> None:
    """Save as GraphML readable by :func:`load_graphml` and osmnx (``ox.load_graphml``), atomically.

    The file is byte for byte what ``ox.save_graphml`` writes for the network as an osmnx
    graph: node ids are the OSM ids, with ``x``/``y``; each edge is written from ``u`` to
    ``v`` (``oneway`` = not two-way, ``reversed=False``) and, when two-way, once more from
    ``v`` to ``u`` with its line reversed (``reversed=True``, osmnx's mirrored copy); edges
    carry ``length`` (m), ``highway``, ``name`` and ``geometry`` (WKT). Built from arrays in one
    pass (no networkx graph). Written with :func:`geo.io.atomic_write`.

    Raises
    ------
    InputError
        If the file cannot be written (full disk, read-only folder...).
    """
    e = net.edges
    osm = net.nodes["osmid"].to_numpy()
    two_way = e["forward"].to_numpy(bool) & e["backward"].to_numpy(bool)
    # networkx's insertion order: each edge, then its mirrored copy
    twins = np.flatnonzero(two_way)
    seq = np.argsort(np.concatenate([2 * np.arange(len(e)), 2 * twins + 1]), kind="stable")
    rows = np.concatenate([np.arange(len(e)), twins])[seq]
    mirror = np.concatenate([np.zeros(len(e), bool), np.ones(len(twins), bool)])[seq]
    u, v = e["u"].to_numpy()[rows], e["v"].to_numpy()[rows]
    src, dst = np.where(mirror, v, u), np.where(mirror, u, v)
    order, keys = networkx_edge_order(osm[src], osm[dst], src)
    geom = e.geometry.to_numpy()[rows]
    geom = np.where(mirror, shapely.reverse(geom), geom)
    texts = pd.DataFrame(
        {
            "source": osm[src],
            "target": osm[dst],
            "key": keys,
            "oneway": np.where(mirror | e["backward"].to_numpy(bool)[rows], "False", "True"),
            "reversed": np.where(mirror, "True", "False"),
            "length": [str(x) for x in e["length_m"].to_numpy(dtype=float)[rows].tolist()],
            "highway": [str(h or "") for h in e["highway"].to_numpy(dtype=object)[rows]],
            "name": [str(n or "") for n in e["name"].to_numpy(dtype=object)[rows]],
            "geometry": shapely.to_wkt(geom, rounding_precision=-1),
        }
    ).iloc[order]
    node_attrs = {
        "x": [str(x) for x in net.nodes.geometry.x.to_numpy(dtype=float).tolist()],
        "y": [str(y) for y in net.nodes.geometry.y.to_numpy(dtype=float).tolist()],
    }
    text = graphml_text({"crs": net.crs.to_string()}, osm.tolist(), node_attrs, texts)

    def write(tmp: Path) -> None:
        with open(tmp, "w", encoding="utf-8", errors="xmlcharrefreplace", newline="\n") as fh:
            fh.write(text)

    atomic_write(path, write)


def check_network(net: StreetNetwork) -> None:
    """Raise NetworkError if the network cannot support an analysis."""
    check_metric(net.crs, what="street network")
    if len(net.edges) == 0 or len(net.nodes) < 2:
        raise NetworkError("the street network has no usable edges; load a larger area")
