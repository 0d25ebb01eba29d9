"""Synthetic street-like networks for benchmarks and tests.

A *perturbed grid*: nodes on a square lattice ``spacing_m`` apart with jittered positions,
a fraction of the lattice edges removed (dead ends, irregular blocks), and diagonal
shortcuts through some blocks. Edges are straight lines, two-way, ``highway=residential``,
built with :func:`geo.network.build_network` like a real extract. The node count is exactly
the one asked for: the lattice is filled row by row, and no node is ever left without an
edge (a removal that would isolate a node is undone), so the network is connected up to a
few small islands cut off by removals (largest component > 99 % at the defaults).

Usage::

    from scripts.synthetic import synthetic_network, random_facilities
    net = synthetic_network(100_000, seed=1)
    kinds = random_facilities(net, {"clinic": 50, "school": 120}, seed=2)

or ``python scripts/synthetic.py 100000`` to print the summary of one.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file: make the repo's packages importable
    sys.path.insert(0, str(ROOT))

#: Metric CRS of synthetic networks (UTM 50N, Tianjin) and their origin, metres.
CRS = 32650
X0, Y0 = 500_000.0, 4_300_000.0


def perturbed_grid(
    n_nodes: int,
    *,
    spacing_m: float = 80.0,
    jitter: float = 0.3,
    drop_frac: float = 0.1,
    diag_frac: float = 0.05,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node coordinates and edge end arrays of a perturbed grid of exactly ``n_nodes`` nodes.

    Parameters
    ----------
    n_nodes
        Number of nodes (>= 2).
    spacing_m
        Lattice spacing, metres (80 m: a dense urban street grid).
    jitter
        Node displacement, uniform in +-``jitter * spacing_m`` along each axis.
    drop_frac
        Fraction of lattice edges removed (never isolating a node).
    diag_frac
        Fraction of lattice cells that get one diagonal street.
    seed
        Random seed.

    Returns
    -------
    xy, u, v
        ``xy`` (n, 2) metres around (X0, Y0); ``u``, ``v`` node positions of each edge.
    """
    if n_nodes < 2:
        raise ValueError(f"a network needs at least 2 nodes, got {n_nodes}")
    rng = np.random.default_rng(seed)
    w = max(2, math.ceil(math.sqrt(n_nodes)))
    ids = np.arange(n_nodes, dtype=np.int64)
    r, c = ids // w, ids % w
    xy = np.column_stack([X0 + c * spacing_m, Y0 + r * spacing_m]).astype(float)
    xy += rng.uniform(-jitter, jitter, size=xy.shape) * spacing_m

    # lattice edges: right neighbour (same row) and upper neighbour (if it exists)
    right = ids[(c + 1 < w) & (ids + 1 < n_nodes)]
    up = ids[ids + w < n_nodes]
    u = np.concatenate([right, up])
    v = np.concatenate([right + 1, up + w])
    # diagonals through cells whose four corners exist
    cells = ids[(c + 1 < w) & (ids + w + 1 < n_nodes)]
    pick = cells[rng.random(len(cells)) < diag_frac]
    flip = rng.random(len(pick)) < 0.5  # "/" or "\"
    du = np.where(flip, pick + 1, pick)
    dv = np.where(flip, pick + w, pick + w + 1)

    # remove a fraction of lattice edges, but keep every node's last edge
    drop = rng.random(len(u)) < drop_frac
    keep_u, keep_v = u[~drop], v[~drop]
    deg = np.bincount(np.concatenate([keep_u, keep_v, du, dv]), minlength=n_nodes)
    lonely = np.flatnonzero(deg == 0)
    if len(lonely):
        # restore one dropped lattice edge per isolated node
        is_lonely = np.zeros(n_nodes, bool)
        is_lonely[lonely] = True
        d_idx = np.flatnonzero(drop)
        touches = is_lonely[u[d_idx]] | is_lonely[v[d_idx]]
        cand = d_idx[touches]
        ends = np.where(is_lonely[u[cand]], u[cand], v[cand])
        _, first = np.unique(ends, return_index=True)
        drop[cand[first]] = False
        keep_u, keep_v = u[~drop], v[~drop]
    return xy, np.concatenate([keep_u, du]), np.concatenate([keep_v, dv])


def synthetic_network(
    n_nodes: int,
    *,
    seed: int = 0,
    speed_kmh: float = 4.5,
    mode: str = "walk",
    **grid_kw,
):
    """A :class:`geo.network.StreetNetwork` on a perturbed grid of exactly ``n_nodes`` nodes.

    ``grid_kw`` are passed to :func:`perturbed_grid` (``spacing_m``, ``jitter``,
    ``drop_frac``, ``diag_frac``). Node ``osmid`` = lattice position.
    """
    import geopandas as gpd
    import pandas as pd

    from geo.network import build_network

    xy, u, v = perturbed_grid(n_nodes, seed=seed, **grid_kw)
    node_xy = pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1]}, index=np.arange(n_nodes))
    seg = gpd.GeoDataFrame(
        pd.DataFrame({"u": u, "v": v, "highway": "residential"}), geometry=[None] * len(u), crs=CRS
    )
    return build_network(seg, node_xy, mode=mode, crs=CRS, speed_kmh=speed_kmh, source=f"synthetic {n_nodes}")


def random_facilities(net, counts: Mapping[str, int], *, seed: int = 0, component: int | None = 0):
    """Facility kinds made of random network nodes, as a GeoDataFrame with ``kind`` and ``node``.

    Parameters
    ----------
    net
        The network.
    counts
        Number of facilities per kind.
    seed
        Random seed.
    component
        Draw nodes from this connected component only (0 = the largest); None = any.
    """
    import geopandas as gpd
    import pandas as pd

    rng = np.random.default_rng(seed)
    pool = np.arange(len(net.nodes))
    if component is not None:
        pool = pool[net.nodes["component"].to_numpy() == component]
    rows_kind, rows_node = [], []
    for kind, k in counts.items():
        nodes = rng.choice(pool, size=min(int(k), len(pool)), replace=False)
        rows_kind += [kind] * len(nodes)
        rows_node.append(nodes)
    node = np.concatenate(rows_node) if rows_node else np.zeros(0, np.int64)
    geom = net.nodes.geometry.to_numpy()[node]
    return gpd.GeoDataFrame(pd.DataFrame({"kind": rows_kind, "node": node}), geometry=geom, crs=net.crs)


if __name__ == "__main__":
    import time

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    t = time.perf_counter()
    net = synthetic_network(n)
    print(f"{time.perf_counter() - t:.2f} s", net.summary())
