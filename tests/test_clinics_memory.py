"""Issue 11 part 5: clinics with many centres in bounded memory; the local Dask cluster on 127.0.0.1.

The chunked catchments (:meth:`TravelTimeEngine.point_catchment_chunks`) are checked three ways:
against networkx (every snapped point inserted into its edge, plain Dijkstra per source, see
``nxref``), against the unchunked :meth:`point_catchments` (the same floats), and with chunks
of one source. Networks: the 100 m lattice of ``conftest.grid_network``, one with one-way
edges (directions differ) and one with "tunnels" shorter than the straight line between their
ends (so the straight-line reach of a chunk must be scaled by the shortest length ratio).
Memory itself is measured by ``scripts/bench_clinics_memory.py``, not here.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from beichen_geo.analyses.clinics import clinics_per_community
from beichen_geo.population import given_residents
from geo.errors import InputError
from geo.engine import TravelTimeEngine
from geo.snapping import snap_points

from conftest import X0, Y0, grid_network, points
from nxref import reference_graph
from test_clinics import STD, _study, _units

CUTOFF = 4.0  # minutes = 400 m at 6 km/h on the lattice


def _random_points(rng, n: int, *, lo: float = -120.0, hi: float = 1520.0) -> gpd.GeoDataFrame:
    xy = rng.uniform(lo, hi, size=(n, 2))
    return points([tuple(p) for p in xy])


def _directed(net):
    """Every third edge one-way (forward only), the rest two-way."""
    e = net.edges.copy()
    e["backward"] = np.arange(len(e)) % 3 != 0
    return dataclasses.replace(net, edges=e)


def _tunnels():
    """Four long edges 10x shorter than their straight line: a path within the cutoff reaches far.

    Points are never snapped onto a tunnel (see :func:`_off_tunnels`): offsets along its drawn
    line would not match its length.
    """
    n = 16
    extra = [(0, n * n - 1, {}), (n - 1, n * (n - 1), {}), (2 * n + 3, 12 * n + 13, {}), (5, 14 * n + 9, {})]
    g = grid_network(n, extra=extra)
    e = g.edges.copy()
    long = e["length_m"].to_numpy() > 150
    e.loc[long, "length_m"] = e.loc[long, "length_m"] / 10
    return dataclasses.replace(g, edges=e)


NETWORKS = {
    "lattice": lambda: grid_network(16),
    "one-way": lambda: _directed(grid_network(16)),
    "tunnels": _tunnels,
}


def _off_tunnels(net, sp):
    """The snapped points not on an edge shorter than its ends' straight-line distance."""
    xy = np.column_stack([net.nodes.geometry.x, net.nodes.geometry.y])
    e = net.edges
    d = np.hypot(*(xy[e["u"].to_numpy()] - xy[e["v"].to_numpy()]).T)
    tunnel = np.flatnonzero(e["length_m"].to_numpy() < d - 1e-6)
    return sp.subset(~np.isin(sp.edge, tunnel))


def _nx_pairs(net, pts, srcs, *, cutoff: float, direction: str) -> dict[tuple[int, int], float]:
    """(source, point) -> minutes within ``cutoff``, by networkx on the split-edge reference graph."""
    G = reference_graph(net, {"p": pts, "s": srcs})
    H = G.reverse(copy=False) if direction == "to_source" else G
    out = {}
    for j in np.flatnonzero(srcs.on_network):
        d = nx.single_source_dijkstra_path_length(H, ("s", int(j)), cutoff=cutoff + 1e-9, weight="w")
        for i in np.flatnonzero(pts.on_network):
            if ("p", int(i)) in d:
                out[(int(j), int(i))] = d[("p", int(i))]
    return out


def _concat(chunks) -> pd.DataFrame:
    parts = [c.to_frame() for c in chunks]
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"source": [], "node": [], "minutes": []})
    return df.sort_values(["source", "node"], kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("name", list(NETWORKS))
@pytest.mark.parametrize("direction", ["to_source", "from_source"])
def test_chunks_equal_networkx_and_unchunked(name, direction):
    net = NETWORKS[name]()
    eng = TravelTimeEngine(net)
    rng = np.random.default_rng(11)
    pts_gdf = pd.concat([_random_points(rng, 120), points([(340.0, 1.0), (1250.0, 799.0)])], ignore_index=True)
    pts = _off_tunnels(net, snap_points(net, gpd.GeoDataFrame(pts_gdf, crs=pts_gdf.crs), max_snap_m=60.0, warn=False))
    srcs_gdf = _random_points(rng, 25)
    # two sources on a point's edge (same-edge shortcuts) and one far off the network
    srcs_gdf = pd.concat([srcs_gdf, points([(305.0, 2.0), (1210.0, 798.0), (4000.0, 4000.0)])], ignore_index=True)
    srcs = _off_tunnels(net, snap_points(net, gpd.GeoDataFrame(srcs_gdf, crs=srcs_gdf.crs), max_snap_m=60.0, warn=False))
    assert srcs.n_off_network >= 1 and pts.n_off_network >= 1  # the edge cases are exercised
    assert len(np.intersect1d(pts.edge[pts.edge >= 0], srcs.edge[srcs.edge >= 0])) >= 2

    whole = eng.point_catchments(pts, srcs, cutoff_min=CUTOFF, direction=direction).to_frame()
    ref = _nx_pairs(net, pts, srcs, cutoff=CUTOFF, direction=direction)
    assert len(ref) > 100
    got = {(int(s), int(p)): m for s, p, m in whole.itertuples(index=False)}
    assert set(got) == set(ref)
    assert np.allclose([got[k] for k in ref], [ref[k] for k in ref], rtol=1e-12, atol=1e-9)
    for chunk in (1, 4, 1000):
        parts = list(eng.point_catchment_chunks(pts, srcs, cutoff_min=CUTOFF, direction=direction,
                                                chunk_sources=chunk))
        assert all(c.n_sources == len(srcs) for c in parts)
        if chunk == 1:  # one chunk per on-network source, each holding only that source
            assert len(parts) == int(srcs.on_network.sum())
            assert all(len(np.unique(c.source)) <= 1 for c in parts)
        pd.testing.assert_frame_equal(_concat(parts), whole, check_exact=True)


def test_tunnels_reach_beyond_the_straight_line():
    """The tunnel network really needs the length-ratio scaling: some pair is farther apart in a
    straight line than the cutoff distance, and the chunks still find it."""
    net = _tunnels()
    eng = TravelTimeEngine(net)
    pts = snap_points(net, points([(1450.0, 1500.0), (900.0, 1200.0)]), max_snap_m=60.0, warn=False)
    srcs = snap_points(net, points([(0.0, 50.0)]), max_snap_m=60.0, warn=False)
    df = _concat(eng.point_catchment_chunks(pts, srcs, cutoff_min=CUTOFF, chunk_sources=1))
    # 50 m to node 0, the 212 m tunnel to node 255, 50 m along the top street: 2,085 m in a straight line
    assert df["node"].tolist() == [0]
    assert df["minutes"].iloc[0] == pytest.approx((50 + np.hypot(1500, 1500) / 10 + 50) / 100)
    pd.testing.assert_frame_equal(df, eng.point_catchments(pts, srcs, cutoff_min=CUTOFF).to_frame(), check_exact=True)
    assert eng._ball_radius_m(CUTOFF) > 9 * CUTOFF * eng.mpm


def test_chunk_sources_must_be_a_whole_number():
    net = grid_network(5)
    eng = TravelTimeEngine(net)
    s = snap_points(net, points([(10.0, 0.0)]), warn=False)
    for bad in (0, -3, 2.5, True, "8"):
        with pytest.raises(InputError, match="chunk_sources must be a whole number >= 1"):
            list(eng.point_catchment_chunks(s, s, cutoff_min=5.0, chunk_sources=bad))


# ------------------------------------------------------------------ clinics


@pytest.fixture(scope="module")
def many():
    """The clinics grid of test_clinics with 60 random centres (3 off the network)."""
    rng = np.random.default_rng(5)
    xy = rng.uniform(-40, 3040, size=(57, 2)).tolist() + [[3400.0, 500.0], [-300.0, 900.0], [1500.0, 3400.0]]
    centres = {f"c{i}": (x, y) for i, (x, y) in enumerate(xy)}
    study = _study(centres)
    res = given_residents(study, _units(), source="given: test units (population)")
    return study, res


def _run(study, res, **kw):
    return clinics_per_community(study, STD, residents=res, **kw)


def test_clinics_chunked_identical_to_one_chunk(many):
    study, res = many
    one = _run(study, res, chunk_centres=10_000)
    for chunk in (1, 7):
        r = _run(study, res, chunk_centres=chunk)
        for name in ("units", "centres"):
            pd.testing.assert_frame_equal(r.tables[name], one.tables[name], check_exact=True)
        assert r.summary == one.summary
    default = _run(study, res)
    pd.testing.assert_frame_equal(default.tables["centres"], one.tables["centres"], check_exact=True)


def test_clinics_reach_against_networkx(many):
    """reachable_residents per centre and centres_reachable per unit, by brute force with networkx."""
    study, res = many
    r = _run(study, res, chunk_centres=3)
    walk = float(STD.clinics.walk_minutes.value)
    cs = snap_points(study.net, study.facilities, max_snap_m=study.max_snap_m, warn=False)
    ref = _nx_pairs(study.net, study.demand_snap, cs, cutoff=walk, direction="to_source")
    pop = np.nan_to_num(np.asarray(res.per_cell, float))
    want = np.zeros(len(cs))
    for (c, p) in ref:
        want[c] += pop[p]
    cen = r.tables["centres"]
    assert (want > 0).sum() > 20 and (cen["reachable_residents"].to_numpy() == 0).sum() >= 3
    np.testing.assert_allclose(cen["reachable_residents"].to_numpy(), want, rtol=1e-9, atol=1e-6)
    # units: a centre counts for a unit when it reaches one of the unit's cells
    xy = np.column_stack([shapely.get_x(study.demand["point"]) - X0, shapely.get_y(study.demand["point"]) - Y0])
    units = _units()
    unit_of = np.full(len(xy), -1)
    for ui, g in enumerate(units.geometry):
        x0, y0, x1, y1 = g.bounds
        unit_of[(xy[:, 0] > x0 - X0) & (xy[:, 0] < x1 - X0) & (xy[:, 1] > y0 - Y0) & (xy[:, 1] < y1 - Y0)] = ui
    names = np.array(list(study.facilities["name"]))
    for ui, row in r.tables["units"].reset_index(drop=True).iterrows():
        reach = sorted({c for (c, p) in ref if unit_of[p] == ui})
        assert row["centres_reachable"] == len(reach)
        assert row["reachable_names"] == "; ".join(names[reach])
    assert r.tables["units"]["centres_reachable"].iloc[0] > 5


def test_clinics_chunk_centres_error(many):
    study, res = many
    for bad in (0, 1.5, False):
        with pytest.raises(InputError, match="chunk_centres must be a whole number >= 1"):
            _run(study, res, chunk_centres=bad)


# ------------------------------------------------------------------ Dask


def _listening(pids: set[int]) -> set[tuple[str, int, int]]:
    import psutil

    out = set()
    for pid in pids:
        try:
            conns = psutil.Process(pid).net_connections(kind="inet")
        except psutil.NoSuchProcess:
            continue
        out |= {(c.laddr.ip, c.laddr.port, pid) for c in conns if c.status == psutil.CONN_LISTEN}
    return out


def test_local_cluster_listens_on_loopback_only():
    """Start the cluster the way ``score_stations(workers=N)`` does: every listening socket of the
    scheduler, the dashboard, the nannies and the workers is on 127.0.0.1."""
    pytest.importorskip("distributed")
    import psutil

    from beichen_geo.analyses._stations_runner import Runner as _Runner

    me = psutil.Process()
    before_children = {p.pid for p in me.children(recursive=True)}
    before = _listening({me.pid})
    with _Runner(scheduler=None, workers=2, progress=False) as run:
        info = run.client.scheduler_info()
        kids = {p.pid for p in me.children(recursive=True)} - before_children
        socks = _listening({me.pid} | kids) - before
        link = run.client.dashboard_link
    assert len(info["workers"]) == 2 and len(kids) >= 2
    assert socks and {ip for ip, _, _ in socks} == {"127.0.0.1"}, socks
    ports = {port for _, port, _ in socks}
    # the sockets we checked include the scheduler, its dashboard / http port and both workers
    sched = info["address"]
    assert sched.startswith("tcp://127.0.0.1:") and int(sched.rsplit(":", 1)[1]) in ports
    assert link.startswith("http://127.0.0.1:")
    assert int(info["services"]["dashboard"]) in ports
    for addr, w in info["workers"].items():
        assert addr.startswith("tcp://127.0.0.1:") and int(addr.rsplit(":", 1)[1]) in ports
        assert w["host"] == "127.0.0.1"
    assert any(pid in kids for _, _, pid in socks)  # worker processes were inspected too
