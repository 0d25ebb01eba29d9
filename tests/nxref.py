"""Independent networkx reference: split edges at snapped points, then plain Dijkstra.

The engine links virtual source nodes to edge ends with partial-edge costs; this reference
instead inserts every snapped point into its edge as a real node (u - p1 - p2 - v, in
offset order) with an access edge to the point itself, and runs networkx's
``multi_source_dijkstra``. The two models agree only if partial edges, access walks and
same-edge shortcuts are all handled right.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from geo.network import StreetNetwork
from geo.snapping import SnappedPoints


def _add(G: nx.DiGraph, a, b, w: float) -> None:
    if G.has_edge(a, b):
        G[a][b]["w"] = min(G[a][b]["w"], w)
    else:
        G.add_edge(a, b, w=w)


def reference_graph(net: StreetNetwork, groups: dict[str, SnappedPoints]) -> nx.DiGraph:
    """Directed graph in minutes with every snapped point of ``groups`` as node (name, i)."""
    mpm = net.metres_per_minute
    e = net.edges
    on_edge: dict[int, list[tuple[float, object, float]]] = {}
    for name, sp in groups.items():
        for i in range(len(sp)):
            if sp.edge[i] >= 0:
                on_edge.setdefault(int(sp.edge[i]), []).append((float(sp.offset_m[i]), (name, i), float(sp.access_m[i])))
    G = nx.DiGraph()
    G.add_nodes_from(range(len(net.nodes)))
    for k, (u, v, L, f, b) in enumerate(zip(e["u"], e["v"], e["length_m"], e["forward"], e["backward"])):
        stops = sorted(on_edge.get(k, []), key=lambda s: s[0])
        chain = [(0.0, int(u))] + [(t, ("on", k, j)) for j, (t, _, _) in enumerate(stops)] + [(float(L), int(v))]
        for (t0, a), (t1, c) in zip(chain[:-1], chain[1:]):
            if a == c:
                continue
            if f:
                _add(G, a, c, (t1 - t0) / mpm)
            if b:
                _add(G, c, a, (t1 - t0) / mpm)
        for j, (t, pname, acc) in enumerate(stops):
            _add(G, pname, ("on", k, j), acc / mpm)
            _add(G, ("on", k, j), pname, acc / mpm)
    return G


def nearest_minutes(G: nx.DiGraph, sources: list, targets: list, *, to_source: bool = True) -> np.ndarray:
    """Minutes between each target and its nearest source (inf if unreachable)."""
    H = G.reverse(copy=False) if to_source else G
    dist = nx.multi_source_dijkstra_path_length(H, sources, weight="w")
    return np.array([dist.get(t, np.inf) for t in targets])
