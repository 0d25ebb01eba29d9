"""Polygon facilities are reached from their entrances or outline in every analysis (issue 14,
item 6), and a replaced study starts a fresh cache (issue 12)."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pytest
import shapely

from conftest import METRIC, X0, Y0, grid_network
from geo.access import access_points, nearest_per_feature, snap_access
from beichen_geo.study import study_from_frames
from nxref import nearest_minutes, reference_graph


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def pt(x, y):
    return shapely.Point(X0 + x, Y0 + y)


def test_polygon_entered_through_mapped_entrances_only_when_it_has_some():
    polys = gpd.GeoDataFrame({"kind": ["park", "park"]},
                             geometry=[box(0, 0, 400, 400), box(1000, 1000, 1100, 1100)], crs=METRIC)
    gates = gpd.GeoDataFrame(geometry=[pt(200, 0), pt(400, 203), pt(700, 700)], crs=METRIC)  # 2 on park 0
    ap = access_points(polys, spacing_m=25.0, entrances=gates)
    p0 = ap.loc[ap["feature"] == 0]
    assert set(p0["access_via"]) == {"entrance"} and len(p0) == 2
    assert sorted((round(g.x - X0), round(g.y - Y0)) for g in p0.geometry) == [(200, 0), (400, 203)]
    p1 = ap.loc[ap["feature"] == 1]
    assert set(p1["access_via"]) == {"outline"}
    assert len(p1) == 400 / 25 + 1  # every 25 m of its 400 m outline, plus a point inside


def test_park_far_inside_a_big_polygon_is_reached_from_its_edge():
    """A 600 x 600 m park whose interior point is 300 m from the nearest street: reached from
    the outline, homes next to it are within minutes, as networkx on outline points says."""
    import pandas as pd

    from geo.network import build_network

    park = box(700, 700, 1300, 1300)
    n, ids = 21, np.arange(21 * 21)
    xy = pd.DataFrame({"x": X0 + 100.0 * (ids % n), "y": Y0 + 100.0 * (ids // n)}, index=ids)
    inside = lambda i: 700 < xy.x[i] - X0 < 1300 and 700 < xy.y[i] - Y0 < 1300  # noqa: E731
    rows = [{"u": i, "v": j, "highway": "residential"} for i in ids for j in (i + 1, i + n)
            if j < n * n and (j != i + 1 or (i + 1) % n) and not (inside(i) or inside(j))]
    net = build_network(gpd.GeoDataFrame(pd.DataFrame(rows), geometry=[None] * len(rows), crs=METRIC), xy,
                        mode="walk", crs=METRIC, speed_kmh=6.0)  # streets every 100 m, none inside the park
    fac = gpd.GeoDataFrame({"kind": ["park"], "name": ["big park"]}, geometry=[park], crs=METRIC)
    res = gpd.GeoDataFrame(geometry=[box(500, 900, 650, 1100)], crs=METRIC)
    study = study_from_frames(net, fac, res, area=gpd.GeoDataFrame(geometry=[box(0, 0, 2000, 2000)], crs=METRIC), cell_m=50.0)
    a = study.snapped_facilities("park")
    assert a.n_features == 1 and a.n_off_network == 0 and a.counts()["outline"] == 1
    from geo.coverage import minutes_by_kind

    table, report = minutes_by_kind(study.engine, study.demand.set_geometry("point"), study.facilities, kinds=["park"],
                                    demand_snap=study.demand_snap, facility_snaps={"park": a})
    assert report["facilities_off_network"]["park"] == 0
    # independent: networkx from outline points every 25 m (shapely interpolate) + the interior point
    ring = park.boundary
    src = [ring.interpolate(d) for d in np.arange(0, ring.length, 25.0)] + [park.representative_point()]
    from geo.snapping import snap_points

    fs = snap_points(study.net, gpd.GeoDataFrame(geometry=src, crs=METRIC), warn=False)
    G = reference_graph(study.net, {"f": fs, "h": study.demand_snap})
    ref = nearest_minutes(G, [("f", i) for i in range(len(fs)) if fs.edge[i] >= 0],
                          [("h", i) for i in range(len(study.demand_snap))])
    np.testing.assert_allclose(table["walk_min_to_park"].to_numpy(float), ref, atol=1e-7)
    assert np.nanmax(ref) < 3.0  # the homes touch the park: a few minutes, not the centre's 300 m + detour
    assert (table["nearest_park"] == fac.index[0]).all()


def test_nearest_per_feature_keeps_each_pair_once_with_least_minutes():
    source = np.array([0, 0, 0, 1, 1, 0])
    feature = np.array([5, 5, 2, 5, 5, 2])
    minutes = np.array([3.0, 1.0, 4.0, 2.0, 2.5, 0.5])
    s, f, m = nearest_per_feature(source, feature, minutes)
    got = sorted(zip(s.tolist(), f.tolist(), m.tolist()))
    assert got == [(0, 2, 0.5), (0, 5, 1.0), (1, 5, 2.0)]


def test_replaced_study_does_not_share_the_cache():
    net = grid_network(5, 100.0, speed_kmh=6.0)
    fac = gpd.GeoDataFrame({"kind": ["clinic", "clinic"], "name": ["a", "b"]},
                           geometry=[pt(100, 100), pt(300, 300)], crs=METRIC)
    res = gpd.GeoDataFrame(geometry=[box(0, 0, 400, 400)], crs=METRIC)
    study = study_from_frames(net, fac, res, cell_m=100.0)
    one = dataclasses.replace(study, facilities=study.facilities.iloc[:1])
    assert study.snapped_facilities("clinic").n_features == 2
    assert one.snapped_facilities("clinic").n_features == 1
    assert study.snapped_facilities("clinic").n_features == 2


def test_snap_access_counts_a_facility_off_network_only_when_all_its_points_are():
    net = grid_network(5, 100.0, speed_kmh=6.0)  # streets 0..400 m
    fac = gpd.GeoDataFrame(geometry=[box(350, 350, 900, 900), pt(1000, 1000)], crs=METRIC)
    a = snap_access(net, fac, max_snap_m=50.0)
    assert a.n_features == 2
    assert a.features_on_network.tolist() == [True, False]  # the polygon's corner is near the grid
    assert a.n_off_network == 1
