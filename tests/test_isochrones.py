"""Isochrone polygons: closed-form reachable lengths on a grid, partial edges, holes, nesting."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from conftest import X0, Y0, grid_network, points
from geo.engine import TravelTimeEngine
from geo.isochrones import isochrones, reachable_pieces
from geo.snapping import snap_points


@pytest.fixture(scope="module")
def grid():
    net = grid_network(11, 100.0, speed_kmh=6.0)  # 1 minute = 100 m
    eng = TravelTimeEngine(net)
    centre = snap_points(net, points([(500, 500)]))
    return net, eng, centre


@pytest.mark.parametrize("T", [0.5, 1.0, 2.5, 3.3, 4.75])
def test_reachable_length_closed_form(grid, T):
    """From a lattice node, levels k < m = floor(T) are joined by 4(2k+1) whole edges each,
    and each of the 4(2m+1) edges leaving level m is reached for (T - m) * 100 m."""
    net, eng, centre = grid
    nm = eng.node_minutes(centre).minutes
    e, s, t = reachable_pieces(eng, nm, centre, T)
    m = int(np.floor(T))
    f = T - m
    expected = 100.0 * sum(4 * (2 * k + 1) for k in range(m)) + 4 * (2 * m + 1) * f * 100.0
    # pieces may overlap (credit from both ends / the source's own edge): measure their union
    geoms = [shapely.ops.substring(net.edges.geometry.iloc[i], a, b) for i, a, b in zip(e, s, t)]
    assert shapely.union_all(geoms).length == pytest.approx(expected, abs=1e-6)


def test_partial_edge_from_mid_edge_source():
    net = grid_network(11, 100.0, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    src = snap_points(net, points([(530, 500)]))  # on edge (500,500)-(600,500), 30 m from u
    nm = eng.node_minutes(src).minutes
    e, s, t = reachable_pieces(eng, nm, src, 0.5)  # 50 m budget: stays on its own edge
    geoms = [shapely.ops.substring(net.edges.geometry.iloc[i], a, b) for i, a, b in zip(e, s, t)]
    u = shapely.union_all(geoms)
    # 30 m back to the node, then 20 m along each of the 3 other streets there, and 50 m east
    assert u.length == pytest.approx(30 + 3 * 20 + 50, abs=1e-6)


def test_polygon_is_buffered_reachable_streets_with_holes_filled(grid):
    net, eng, centre = grid
    iso = isochrones(eng, centre, [2.5], buffer_m=30, fill_holes_m2=10_000)
    poly = iso.geometry.iloc[0]
    # independent construction of the 2.5-minute street set: a diamond of whole edges plus stubs
    cx, cy = X0 + 500, Y0 + 500
    lines = []
    for k in range(-2, 3):
        for j in range(-2, 3):
            if abs(k) + abs(j) <= 2:
                for dx, dy in ((1, 0), (0, 1)):
                    k2, j2 = k + dx, j + dy
                    a = (cx + 100 * k, cy + 100 * j)
                    b = (cx + 100 * k2, cy + 100 * j2)
                    if abs(k2) + abs(j2) <= 2:
                        lines.append(shapely.LineString([a, b]))
    for k in range(-2, 3):
        for j in range(-2, 3):
            if abs(k) + abs(j) == 2:
                for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
                    if abs(k + dx) + abs(j + dy) == 3:
                        a = np.array([cx + 100 * k, cy + 100 * j])
                        lines.append(shapely.LineString([a, a + 50 * np.array([dx, dy])]))
    assert sum(ln.length for ln in lines) == pytest.approx(2600)
    expected = shapely.buffer(shapely.MultiLineString(lines), 30, quad_segs=4)
    # the four 40 x 40 m holes around the centre blocks are filled: no interior rings left
    assert len(shapely.get_parts(poly)) == 1 and len(poly.interiors) == 0
    filled = shapely.Polygon(expected.exterior)
    assert poly.area == pytest.approx(filled.area, rel=1e-9)
    # without filling, the holes stay: 4 blocks of (100 - 2*30)^2 = 1,600 m2
    raw = isochrones(eng, centre, [2.5], buffer_m=30, fill_holes_m2=0).geometry.iloc[0]
    assert len(raw.interiors) == 4
    assert filled.area - raw.area == pytest.approx(4 * 1600, rel=1e-6)
    # it is not a convex hull: the diamond's corners are cut
    assert poly.area < 0.9 * poly.convex_hull.area


def test_bands_are_nested(grid):
    net, eng, centre = grid
    iso = isochrones(eng, centre, [4, 1, 2.5])
    assert iso["minutes"].tolist() == [1, 2.5, 4]
    g = iso.geometry.to_numpy()
    assert shapely.covers(g[1], g[0]) and shapely.covers(g[2], g[1])
    assert (np.diff(iso["area_m2"]) > 0).all()


def test_per_source_union_equals_combined(helsinki_net):
    eng = TravelTimeEngine(helsinki_net)
    nodes = helsinki_net.nodes.geometry
    src = snap_points(helsinki_net, nodes.iloc[[10, 2000, 4000]].translate(5, 5))
    per = isochrones(eng, src, [5, 10], per_source=True, fill_holes_m2=0)
    comb = isochrones(eng, src, [5, 10], fill_holes_m2=0)
    assert sorted(per["source"].unique()) == [0, 1, 2]
    for b in (5, 10):
        u = shapely.union_all(per.loc[per["minutes"] == b].geometry.to_numpy())
        c = comb.loc[comb["minutes"] == b].geometry.iloc[0]
        assert u.symmetric_difference(c).area < 1e-6 * c.area
    assert comb.geometry.is_valid.all()
