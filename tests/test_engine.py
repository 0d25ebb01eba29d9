"""Travel-time engine: analytic grids, parallel edges, partial edges, islands, networkx cross-checks."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from conftest import grid_network, points, shared_file
from geo.engine import TravelTimeEngine, compile_csr
from geo.snapping import OffNetworkWarning, snap_points
from nxref import nearest_minutes, reference_graph


def test_parallel_edges_keep_minimum_not_sum():
    u = np.array([0, 0, 0, 1])
    v = np.array([1, 1, 1, 2])
    w = np.array([5.0, 2.0, 7.0, 1.0])
    m = compile_csr(u, v, w, 3)
    assert m[0, 1] == 2.0 and m.nnz == 2
    # the trap this guards against: a plain csr_matrix sums the duplicates
    assert sp.csr_matrix((w, (u, v)), shape=(3, 3))[0, 1] == 14.0


def test_zero_length_edges_stay_edges():
    m = compile_csr(np.array([0, 1]), np.array([1, 2]), np.array([0.0, 3.0]), 3)
    from scipy.sparse.csgraph import dijkstra

    assert dijkstra(m, indices=[0])[0].tolist() == [0.0, 0.0, 3.0]


def test_grid_node_minutes_are_manhattan_distance():
    net = grid_network(11, 100.0, speed_kmh=6.0)  # 100 m per minute
    eng = TravelTimeEngine(net)
    fac = snap_points(net, points([(500, 500)]))  # the centre node
    res = eng.node_minutes(fac)
    ids = np.arange(121)
    expected = (np.abs(ids % 11 - 5) + np.abs(ids // 11 - 5)).astype(float)  # 100 m blocks
    np.testing.assert_allclose(res.minutes, expected, atol=1e-9)
    assert (res.source == 0).all()


def test_partial_edge_and_access_distance_count():
    net = grid_network(11, 100.0, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    # 30 m north of the street y=0, 40 m east of node (0,0): access 30 m, offsets 40/60 m
    fac = snap_points(net, points([(40, -30)]))
    assert fac.access_m[0] == pytest.approx(30.0)
    res = eng.node_minutes(fac)
    assert res.minutes[0] == pytest.approx(0.3 + 0.4)  # to node (0,0)
    assert res.minutes[1] == pytest.approx(0.3 + 0.6)  # to node (100,0)
    assert res.minutes[2] == pytest.approx(0.3 + 0.6 + 1.0)
    assert res.minutes[11] == pytest.approx(0.3 + 0.4 + 1.0)  # (0,100) via (0,0)


def test_cutoff_bounds_reach_inclusively():
    net = grid_network(11, 100.0, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    fac = snap_points(net, points([(500, 500)]))
    res = eng.node_minutes(fac, cutoff_min=2.0)
    reached = np.isfinite(res.minutes)
    # nodes within Manhattan distance 2 of the centre: 1 + 4 + 8 = 13 (2.0 exactly included)
    assert reached.sum() == 13
    assert (res.source[~reached] == -1).all()


def test_multi_source_picks_nearest_facility():
    net = grid_network(11, 100.0, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    fac = snap_points(net, points([(0, 0), (1000, 1000)]))
    res = eng.node_minutes(fac)
    ids = np.arange(121)
    d0 = ids % 11 + ids // 11
    d1 = 20 - d0
    np.testing.assert_allclose(res.minutes, np.minimum(d0, d1))
    strict = d0 != d1
    assert (res.source[strict] == np.where(d0 < d1, 0, 1)[strict]).all()


def test_point_minutes_same_edge_shortcut():
    net = grid_network(3, 100.0, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    fac = snap_points(net, points([(20, 10)]))  # on edge (0,0)-(100,0), offset 20, access 10
    homes = snap_points(net, points([(70, -5), (150, 0)]))
    res = eng.point_minutes(homes, fac)
    # same edge: 10 + (70-20) + 5 = 65 m; via node (100,0) then 50 m up the next street? no:
    # (150, 0) is on edge (100,0)-(200,0): 10 + 80 + 50 = 140 m
    np.testing.assert_allclose(res.minutes, [0.65, 1.40])


def test_off_network_points_are_reported_not_dropped():
    net = grid_network(3, 100.0, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    with pytest.warns(OffNetworkWarning, match="1 of 2 points"):
        homes = snap_points(net, points([(50, 0), (50, 500)]), max_snap_m=150, what="homes")
    assert homes.n_off_network == 1 and len(homes) == 2
    fac = snap_points(net, points([(0, 0)]))
    res = eng.point_minutes(homes, fac)
    assert res.minutes[0] == pytest.approx(0.5) and np.isinf(res.minutes[1]) and res.source[1] == -1


def test_facility_on_island_does_not_serve_mainland():
    net = grid_network(5, 100.0, speed_kmh=6.0)
    from geo.network import build_network
    import geopandas as gpd
    import pandas as pd
    from conftest import METRIC, X0, Y0

    # add a separate two-node island 1 km east of the grid
    e = net.edges
    island = pd.DataFrame({"x": [X0 + 1400, X0 + 1500], "y": [Y0, Y0]}, index=[900, 901])
    n = net.nodes
    xy = pd.concat([pd.DataFrame({"x": n.geometry.x, "y": n.geometry.y}).set_index(n["osmid"]), island])
    seg = pd.DataFrame({"u": n["osmid"].to_numpy()[e["u"]], "v": n["osmid"].to_numpy()[e["v"]], "highway": "residential"})
    seg = pd.concat([seg, pd.DataFrame({"u": [900], "v": [901], "highway": ["footway"]})], ignore_index=True)
    net2 = build_network(gpd.GeoDataFrame(seg, geometry=[None] * len(seg), crs=METRIC), xy, crs=METRIC, speed_kmh=6.0)
    assert net2.summary()["components"] == 2
    eng = TravelTimeEngine(net2)
    fac = snap_points(net2, points([(1450, 0)]))
    res = eng.node_minutes(fac)
    assert np.isfinite(res.minutes).sum() == 2  # only the island's two nodes


def test_oneway_drive_network_directions():
    # bottom row 0 -> 1 -> 2 one-way east; two-way detour 2 - 5 - 4 - 3 - 0 around the block
    from conftest import METRIC, X0, Y0
    import geopandas as gpd
    import pandas as pd
    from geo.network import build_network

    n = 3
    ids = np.arange(n * n)
    xy = pd.DataFrame({"x": X0 + 100.0 * (ids % n), "y": Y0 + 100.0 * (ids // n)}, index=ids)
    rows = [
        {"u": 0, "v": 1, "highway": "residential", "oneway": "yes"},
        {"u": 1, "v": 2, "highway": "residential", "oneway": "yes"},
        {"u": 0, "v": 3, "highway": "residential"},
        {"u": 3, "v": 4, "highway": "residential"},
        {"u": 4, "v": 5, "highway": "residential"},
        {"u": 5, "v": 2, "highway": "residential"},
    ]
    seg = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=[None] * len(rows), crs=METRIC)
    net = build_network(seg, xy, mode="drive", crs=METRIC, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    fac = snap_points(net, points([(200, 0)]))  # at node 2
    to_fac = eng.node_minutes(fac, direction="to_source").minutes
    from_fac = eng.node_minutes(fac, direction="from_source").minutes
    assert to_fac[0] == pytest.approx(2.0)  # 0 -> 1 -> 2 along the one-way
    assert from_fac[0] == pytest.approx(4.0)  # 2 -> 5 -> 4 -> 3 -> 0 around the block
    # walking ignores one-way
    walk = build_network(seg, xy, mode="walk", crs=METRIC, speed_kmh=6.0)
    w = TravelTimeEngine(walk).node_minutes(snap_points(walk, points([(200, 0)])), direction="from_source").minutes
    assert w[0] == pytest.approx(2.0)


def _check_against_networkx(net, n_fac: int, n_homes: int, seed: int, cutoff=None, direction="to_source"):
    rng = np.random.default_rng(seed)
    import geopandas as gpd

    def rand_pts(k):  # near random nodes, jittered up to 120 m so some fall off-network
        at = net.nodes.geometry.iloc[rng.integers(0, len(net.nodes), k)]
        x = at.x.to_numpy() + rng.uniform(-120, 120, k)
        y = at.y.to_numpy() + rng.uniform(-120, 120, k)
        return gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=net.crs)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OffNetworkWarning)
        fac = snap_points(net, rand_pts(n_fac))
        homes = snap_points(net, rand_pts(n_homes))
    eng = TravelTimeEngine(net)
    G = reference_graph(net, {"f": fac, "h": homes})
    srcs = [("f", i) for i in range(len(fac)) if fac.edge[i] >= 0]
    to_source = direction == "to_source"
    ref_nodes = nearest_minutes(G, srcs, list(range(len(net.nodes))), to_source=to_source)
    ref_homes = nearest_minutes(G, srcs, [("h", i) for i in range(len(homes))], to_source=to_source)
    ref_homes[~homes.on_network] = np.inf
    got = eng.node_minutes(fac, cutoff_min=cutoff, direction=direction)
    got_h = eng.point_minutes(homes, fac, cutoff_min=cutoff, direction=direction)
    if cutoff is not None:
        ref_nodes = np.where(ref_nodes <= cutoff, ref_nodes, np.inf)
        ref_homes = np.where(ref_homes <= cutoff, ref_homes, np.inf)
    assert np.array_equal(np.isinf(got.minutes), np.isinf(ref_nodes))
    fin = np.isfinite(ref_nodes)
    np.testing.assert_allclose(got.minutes[fin], ref_nodes[fin], rtol=0, atol=1e-6)
    assert np.array_equal(np.isinf(got_h.minutes), np.isinf(ref_homes))
    fh = np.isfinite(ref_homes)
    np.testing.assert_allclose(got_h.minutes[fh], ref_homes[fh], rtol=0, atol=1e-6)
    assert fh.sum() > 0.2 * n_homes  # the comparison covered real cases
    return fin.sum()


def test_helsinki_all_nodes_equal_networkx(helsinki_net):
    reached = _check_against_networkx(helsinki_net, n_fac=12, n_homes=400, seed=1)
    assert reached > 0.9 * len(helsinki_net.nodes)


def test_helsinki_with_cutoff_equals_networkx(helsinki_net):
    _check_against_networkx(helsinki_net, n_fac=5, n_homes=300, seed=2, cutoff=7.5)


def test_helsinki_drive_directed_equals_networkx(helsinki_pbf):
    from geo.network import load_pbf

    net = load_pbf(helsinki_pbf, mode="drive")
    assert (~net.edges["backward"]).any()  # there are one-way streets
    for direction in ("to_source", "from_source"):
        _check_against_networkx(net, n_fac=6, n_homes=200, seed=3, direction=direction)


@pytest.mark.shared
def test_liechtenstein_equals_networkx():
    from geo.network import load_pbf

    net = load_pbf(shared_file("valhalla/liechtenstein-latest.osm.pbf"))
    assert len(net.nodes) > 50_000
    _check_against_networkx(net, n_fac=20, n_homes=500, seed=4, cutoff=30)


def test_catchments_equal_per_source_networkx(helsinki_net):
    rng = np.random.default_rng(5)
    nodes = net_nodes = helsinki_net.nodes
    pick = rng.choice(len(net_nodes), 8, replace=False)
    import geopandas as gpd

    fac = snap_points(helsinki_net, gpd.GeoDataFrame(geometry=nodes.geometry.iloc[pick].translate(7, 3).values, crs=nodes.crs))
    eng = TravelTimeEngine(helsinki_net)
    cat = eng.catchments(fac, cutoff_min=6.0, block_bytes=3 * 8 * (len(nodes) + 8))  # force 3 blocks
    G = reference_graph(helsinki_net, {"f": fac}).reverse()
    for s in range(len(fac)):
        ref = nx.single_source_dijkstra_path_length(G, ("f", s), cutoff=6.0, weight="w")
        ref = {k: d for k, d in ref.items() if isinstance(k, (int, np.integer))}
        mine = cat.source == s
        got = dict(zip(cat.node[mine].tolist(), cat.minutes[mine].tolist()))
        assert set(got) == set(ref)
        np.testing.assert_allclose([got[k] for k in ref], list(ref.values()), atol=1e-6)


def test_point_catchments_equal_per_source_point_minutes(helsinki_net):
    """Per-source point catchments == point_minutes run for each source alone."""
    import geopandas as gpd

    rng = np.random.default_rng(6)
    nodes = helsinki_net.nodes.geometry
    fac_pts = nodes.iloc[rng.choice(len(nodes), 6, replace=False)].translate(11, -4)
    fac = snap_points(helsinki_net, gpd.GeoDataFrame(geometry=fac_pts.values, crs=nodes.crs))
    at = nodes.iloc[rng.integers(0, len(nodes), 600)]
    xs = np.concatenate([at.x + rng.uniform(-60, 60, 600), fac_pts.x + 1.0])  # + homes next to facilities
    ys = np.concatenate([at.y + rng.uniform(-60, 60, 600), fac_pts.y])
    homes = snap_points(helsinki_net, gpd.GeoDataFrame(geometry=gpd.points_from_xy(xs, ys), crs=nodes.crs))
    assert np.isin(fac.edge, homes.edge[600:]).all()  # same-edge shortcut exercised
    eng = TravelTimeEngine(helsinki_net)
    pc = eng.point_catchments(homes, fac, cutoff_min=8.0)
    assert len(pc.source) > 100
    for s in range(len(fac)):
        alone = eng.point_minutes(homes, fac.subset(np.array([s])), cutoff_min=8.0).minutes
        mine = pc.source == s
        got = np.full(len(homes), np.inf)
        got[pc.node[mine]] = pc.minutes[mine]
        np.testing.assert_allclose(got, alone, atol=1e-9)
