"""TOD station areas: hand-checked catchments, intersections, land, residents, services on a grid.

Layout (metres from the grid origin; 11 x 11 streets 100 m apart, 6 km/h = 100 m/min). Bands
are overridden to 2-3 min (beichen_station_metro) and 1-2 min (glossary). Stations A (500, 500)
and B (600, 500) sit on nodes one minute apart, closer than every band. On a lattice, the walk
from a point on a street to a node is the L1 distance, so every minute below is hand-computed:

    residential   polygon                     cell point   snaps to    min to A  min to B  residents
    R1a, R1b      box(402, 410, 498, 440)     (426, 425)   (426, 400)  1.99      2.99      1
                  (two 50 m cells)            (474, 425)   (474, 400)  1.51      2.51      2
    Q1            box(510, 505, 530, 525)     (520, 515)   (520, 500)  0.35      0.95      4
    Q2            box(755, 505, 775, 525)     (765, 515)   (765, 500)  2.80      1.80      8
    Q3            box(310, 505, 330, 525)     (320, 515)   (320, 500)  1.95      2.95      16
    Q4            box(870, 205, 890, 225)     (880, 215)   (880, 200)  6.95      5.95      32
    Q5            box(655, 705, 675, 725)     (665, 715)   (665, 700)  3.80      2.80      64

    services      school (500, 550) 0.5/1.5, school (650, 500) 1.5/0.5, clinic (500, 750) 2.5/3.5,
                  park (300, 450) 2.5/3.5, park (850, 500) 3.5/2.5, pharmacy (0, 1000) far
"""

from __future__ import annotations

import dataclasses
import json
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from beichen_geo.population import Residents
from beichen_geo.result import write_result
from beichen_geo.standards import load_standards
from beichen_geo.study import Study
from beichen_geo.analyses.tod import intersection_nodes, tod_station_areas
from conftest import METRIC, X0, Y0, grid_network, points
from geo.errors import DataError, InputError
from geo.demand import grid_cells
from geo.engine import TravelTimeEngine
from geo.measures import mix_index
from geo.network import build_network
from geo.snapping import snap_points
from nxref import reference_graph

BUFFER_M = 30.0  # [travel] isochrone_buffer_m of the packaged standards

RES = {  # residential polygon -> residents of its cells, by cell point
    "R1": ((402, 410, 498, 440), {(426, 425): 1.0, (474, 425): 2.0}),
    "Q1": ((510, 505, 530, 525), {(520, 515): 4.0}),
    "Q2": ((755, 505, 775, 525), {(765, 515): 8.0}),
    "Q3": ((310, 505, 330, 525), {(320, 515): 16.0}),
    "Q4": ((870, 205, 890, 225), {(880, 215): 32.0}),
    "Q5": ((655, 705, 675, 725), {(665, 715): 64.0}),
}
SERVICES = [
    ("school", (500, 550)), ("school", (650, 500)), ("clinic", (500, 750)),
    ("park", (300, 450)), ("park", (850, 500)), ("pharmacy", (0, 1000)),
]


def _box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def make_study(net, *, stations=((500, 500), (600, 500)), services=SERVICES) -> tuple[Study, Residents]:
    """A Study built by hand on ``net`` with the residential squares, stations and services above."""
    residential = gpd.GeoDataFrame({"res_source": ["test"] * len(RES)}, geometry=[_box(*b) for b, _ in RES.values()], crs=METRIC)
    demand = grid_cells(residential, cell_m=50.0)
    demand_snap = snap_points(net, demand.set_geometry("point"), max_snap_m=150.0)
    fac = pd.concat([
        points(list(stations), kind=["station"] * len(stations), name=[chr(65 + i) for i in range(len(stations))]),
        points([xy for _, xy in services], kind=[k for k, _ in services], name=[f"{k} {i}" for i, (k, _) in enumerate(services)]),
    ], ignore_index=True)
    fac = gpd.GeoDataFrame(fac, geometry="geometry", crs=METRIC)
    study = Study(
        net=net, engine=TravelTimeEngine(net), area=_box(0, 0, 1000, 1000), facilities=fac,
        residential=residential, buildings=residential.iloc[:0], demand=demand, demand_snap=demand_snap,
        source="synthetic grid", max_snap_m=150.0,
    )
    lookup = {xy: r for _, cells in RES.values() for xy, r in cells.items()}
    pts = demand["point"]
    per_cell = np.array([lookup[(round(p.x - X0), round(p.y - Y0))] for p in pts])
    return study, Residents(per_cell=per_cell, source="given: test layout", is_estimate=False)


@pytest.fixture(scope="module")
def standards(tmp_path_factory):
    p = tmp_path_factory.mktemp("std") / "tod.toml"
    p.write_text(
        "[tod.beichen_station_metro]\ninner_minutes = 2\nouter_minutes = 3\n"
        "[tod.glossary]\ninner_minutes = 1\nouter_minutes = 2\n",
        encoding="utf-8",
    )
    s = load_standards(p)
    assert float(s.travel.isochrone_buffer_m.value) == BUFFER_M
    return s


@pytest.fixture(scope="module")
def grid_study():
    return make_study(grid_network(11, 100.0, speed_kmh=6.0))


@pytest.fixture(scope="module")
def result(grid_study, standards):
    study, residents = grid_study
    return tod_station_areas(study, standards, residents=residents, isochrone_method="exact")


def row(result, station: str, minutes: float) -> pd.Series:
    t = result.tables["stations"]
    r = t.loc[(t["station"] == station) & (t["band_min"] == minutes)]
    assert len(r) >= 1
    return r.iloc[0]


def expected_catchment(node_xy: tuple[int, int], k: int) -> shapely.Geometry:
    """Independent isochrone: every lattice street with both ends within k blocks (L1) of the
    station node, buffered by 30 m (as the engine, 4 segments per quarter circle); all holes
    are 40 m x 40 m block interiors (< 1 ha) and are filled."""
    cx, cy = node_xy
    lines = []
    for i in range(11):
        for j in range(11):
            for di, dj in ((1, 0), (0, 1)):
                i2, j2 = i + di, j + dj
                if i2 > 10 or j2 > 10:
                    continue
                if abs(i - cx) + abs(j - cy) <= k and abs(i2 - cx) + abs(j2 - cy) <= k:
                    lines.append(shapely.LineString([(X0 + 100 * i, Y0 + 100 * j), (X0 + 100 * i2, Y0 + 100 * j2)]))
    u = shapely.union_all(shapely.buffer(lines, BUFFER_M, quad_segs=4))
    return shapely.union_all([shapely.Polygon(p.exterior) for p in shapely.get_parts(u)])


# ------------------------------------------------------------------------------ grid tests
@pytest.mark.parametrize("station,node", [("A", (5, 5)), ("B", (6, 5))])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_catchment_area_and_ped_shed_ratio(result, station, node, k):
    exp = expected_catchment(node, k)
    r = row(result, station, k)
    assert r["catchment_area_m2"] == pytest.approx(exp.area, rel=1e-9)
    assert r["circle_area_m2"] == pytest.approx(math.pi * (100.0 * k) ** 2)
    assert r["ped_shed_ratio"] == pytest.approx(exp.area / (math.pi * (100.0 * k) ** 2), rel=1e-9)
    # the layer's polygon is the same shape, not only the same area
    cat = result.layers["catchments"]
    g = cat.loc[(cat["station"] == station) & (cat["band_min"] == k)].geometry.iloc[0]
    assert g.symmetric_difference(exp).area < 1e-6


@pytest.mark.parametrize("k", [1, 2, 3])
def test_intersections_closed_form(result, k):
    # all lattice nodes within k blocks of A or B are interior (4 neighbours): 2k^2 + 2k + 1
    n = 2 * k * k + 2 * k + 1
    for s, node in (("A", (5, 5)), ("B", (6, 5))):
        r = row(result, s, k)
        assert r["intersections"] == n
        area_km2 = expected_catchment(node, k).area / 1e6
        assert r["intersection_density_per_km2"] == pytest.approx(n / area_km2, rel=1e-9)


def test_intersections_need_three_distinct_neighbours(standards):
    # corner (0,0): 2 neighbours even with a parallel way to node 1; nodes 1 and 11: 3 -> intersections
    net = grid_network(11, 100.0, speed_kmh=6.0, extra=[(0, 1, {"name": "parallel way"})])
    study, residents = make_study(net, stations=[(0, 0)])
    mask = intersection_nodes(study)
    assert not mask[0] and mask[1] and mask[11] and mask[12] and not mask[10] and not mask[120]
    assert int(mask.sum()) == 121 - 4
    res = tod_station_areas(study, standards, variants=["glossary"], residents=residents)
    assert row(res, "A", 1)["intersections"] == 2  # nodes 1 and 11; the corner itself is not one
    assert row(res, "A", 2)["intersections"] == 2 + 3  # + nodes 2, 12, 22 (node 12 interior, 2 and 22 on edges)


def test_residential_land_hand_and_overlay(result, grid_study):
    study, _ = grid_study
    # hand: 1 min from A = the plus of 4 streets buffered 30 m: R1 keeps x 470-498 (28 m x 30 m),
    # Q1 lies within 30 m of the east arm; Q3 (x <= 330) stays clear of the west arm's end (x >= 370)
    assert row(result, "A", 1)["residential_land_m2"] == pytest.approx(28 * 30 + 400, rel=1e-9)
    # 2 min: R1's block is enclosed (hole filled) -> all of R1 (96 x 30), Q1 and Q3 along the street
    assert row(result, "A", 2)["residential_land_m2"] == pytest.approx(2880 + 400 + 400, rel=1e-9)
    # 3 min: R1, Q1, Q2, Q3 (Q5's street begins at the 3-min node): A 4,080; B also reaches Q5
    assert row(result, "A", 3)["residential_land_m2"] == pytest.approx(2880 + 3 * 400, rel=1e-9)
    assert row(result, "B", 3)["residential_land_m2"] == pytest.approx(2880 + 4 * 400, rel=1e-9)
    # every row against a geopandas overlay of the catchment polygon
    cat = result.layers["catchments"]
    for _, c in cat.iterrows():
        ov = gpd.overlay(study.residential, gpd.GeoDataFrame(geometry=[c.geometry], crs=METRIC), how="intersection")
        assert c["residential_land_m2"] == pytest.approx(ov.area.sum(), rel=1e-9, abs=1e-6)
        assert c["residential_land_share"] == pytest.approx(ov.area.sum() / c.geometry.area, rel=1e-9, abs=1e-12)


def test_straight_line_buffer_comparison(result, grid_study):
    study, _ = grid_study
    # 300 m circle around A holds R1, Q1, Q2, Q3 and Q5 entirely (farthest corner of Q5: 285 m), not Q4
    r = row(result, "A", 3)
    assert r["buffer_residential_land_m2"] == pytest.approx(2880 + 4 * 400, rel=1e-9)
    assert r["land_network_to_buffer_ratio"] == pytest.approx(4080 / 4480, rel=1e-9)
    assert r["buffer_residents"] == 1 + 2 + 4 + 8 + 16 + 64
    # 100 m circle around A vs a geopandas overlay of a finely drawn circle
    circle = shapely.Point(X0 + 500, Y0 + 500).buffer(100.0, quad_segs=256)
    ov = gpd.overlay(study.residential, gpd.GeoDataFrame(geometry=[circle], crs=METRIC), how="intersection")
    assert row(result, "A", 1)["buffer_residential_land_m2"] == pytest.approx(ov.area.sum(), rel=1e-3)


def _nx_minutes(study: Study, station_xy) -> tuple[np.ndarray, np.ndarray]:
    """networkx reference: minutes from a station to every demand cell and every facility."""
    st = snap_points(study.net, points([station_xy]))
    fac = study.facilities.loc[study.facilities["kind"] != "station"]
    fs = snap_points(study.net, fac)
    G = reference_graph(study.net, {"s": st, "d": study.demand_snap, "f": fs})
    dist = nx.single_source_dijkstra_path_length(G.to_undirected(), ("s", 0), weight="w")
    d = np.array([dist.get(("d", i), np.inf) for i in range(len(study.demand))])
    f = np.array([dist.get(("f", i), np.inf) for i in range(len(fac))])
    return d, f


def test_residents_per_station_overlap_and_union(result, grid_study):
    study, residents = grid_study
    # hand (table in the module docstring)
    hand = {("A", 1): 4, ("A", 2): 1 + 2 + 4 + 16, ("A", 3): 1 + 2 + 4 + 8 + 16,
            ("B", 1): 4, ("B", 2): 4 + 8, ("B", 3): 1 + 2 + 4 + 8 + 16 + 64}
    for (s, k), v in hand.items():
        assert row(result, s, k)["residents"] == v
    # networkx agrees
    dA, _ = _nx_minutes(study, (500, 500))
    dB, _ = _nx_minutes(study, (600, 500))
    pop = residents.per_cell
    for k in (1, 2, 3):
        assert row(result, "A", k)["residents"] == pytest.approx(pop[dA <= k].sum())
        assert row(result, "B", k)["residents"] == pytest.approx(pop[dB <= k].sum())
    # union: a cell within the band of both stations counts once
    s = result.summary
    bands = {**{b["minutes"]: b for b in s["variants"]["glossary"]["bands"].values()},
             **{b["minutes"]: b for b in s["variants"]["beichen_station_metro"]["bands"].values()}}
    assert bands[1]["residents_in_any"] == 4 and bands[1]["sum_station_residents"] == 8
    assert bands[2]["residents_in_any"] == 1 + 2 + 4 + 8 + 16 and bands[2]["sum_station_residents"] == 23 + 12
    assert bands[3]["residents_in_any"] == 95 and bands[3]["sum_station_residents"] == 31 + 95
    assert bands[3]["share_of_residents"] == pytest.approx(95 / 127, abs=1e-6)
    for k in (1, 2, 3):
        assert bands[k]["residents_in_any"] == pytest.approx(pop[(np.minimum(dA, dB)) <= k].sum())
    # union land: R1, Q1, Q2, Q3 and Q5 within 3 min of A or B; residential land is 2,880 + 5 x 400
    assert s["residential_area_m2"] == pytest.approx(4880.0)
    assert bands[3]["residential_land_in_any_m2"] == pytest.approx(4480.0, abs=0.05)
    assert bands[3]["sum_station_residential_land_m2"] == pytest.approx(4080 + 4480, abs=0.05)
    assert bands[3]["share_of_residential_land"] == pytest.approx(4480 / 4880, abs=1e-6)
    union = shapely.union_all([expected_catchment((5, 5), 3), expected_catchment((6, 5), 3)])
    assert bands[3]["union_catchment_area_m2"] == pytest.approx(union.area, abs=0.05)
    assert s["residents"] == 127 and s["population_source"] == "given: test layout"


def test_service_counts_and_mix(result, grid_study):
    study, _ = grid_study
    expect = {  # (station, minutes) -> counts by kind
        ("A", 1): {"school": 1}, ("A", 2): {"school": 2}, ("A", 3): {"school": 2, "clinic": 1, "park": 1},
        ("B", 1): {"school": 1}, ("B", 2): {"school": 2}, ("B", 3): {"school": 2, "park": 1},
    }
    kinds = ["clinic", "park", "pharmacy", "school"]
    assert result.summary["service_kinds_counted"] == kinds  # stations are centres, not services
    assert "services_station" not in result.tables["stations"]
    for (s, k), counts in expect.items():
        r = row(result, s, k)
        for kind in kinds:
            assert r[f"services_{kind}"] == counts.get(kind, 0), (s, k, kind)
        assert r["services_total"] == sum(counts.values())
        assert r["service_kinds"] == len(counts)
    # mix: A at 3 min has shares 1/2, 1/4, 1/4 of 4 kinds: H = 1.5 ln 2, / ln 4 = 0.75
    assert row(result, "A", 3)["service_mix_index"] == pytest.approx(0.75, abs=1e-12)
    assert row(result, "B", 3)["service_mix_index"] == pytest.approx((math.log(3) - 2 / 3 * math.log(2)) / math.log(4))
    assert row(result, "A", 1)["service_mix_index"] == 0.0
    # networkx agrees on the counts
    _, fA = _nx_minutes(study, (500, 500))
    fac_kinds = study.facilities.loc[study.facilities["kind"] != "station", "kind"].to_numpy()
    for k in (1, 2, 3):
        for kind in kinds:
            assert row(result, "A", k)[f"services_{kind}"] == int(((fA <= k) & (fac_kinds == kind)).sum())


def test_mix_index_edge_cases():
    assert mix_index([], n_kinds=5) == 0.0
    assert mix_index([0, 0], n_kinds=2) == 0.0
    assert mix_index([7], n_kinds=1) == 0.0
    assert mix_index([3, 0, 0], n_kinds=3) == 0.0
    assert mix_index([2, 2, 2], n_kinds=3) == pytest.approx(1.0)
    assert mix_index([1, 1], n_kinds=4) == pytest.approx(0.5)  # ln 2 / ln 4


def test_table_layers_and_summary_shape(result, grid_study, standards):
    t = result.tables["stations"]
    assert len(t) == 2 * 2 * 2  # stations x variants x bands
    assert set(t["variant"]) == {"beichen_station_metro", "glossary"}
    assert set(zip(t["variant"], t["band"], t["band_min"])) == {
        ("beichen_station_metro", "inner", 2.0), ("beichen_station_metro", "outer", 3.0),
        ("glossary", "inner", 1.0), ("glossary", "outer", 2.0)}
    # the 2-min band is shared by both variants and measured identically
    a = t.loc[(t["station"] == "A") & (t["band_min"] == 2.0)]
    assert a["catchment_area_m2"].nunique() == 1 and a["residents"].nunique() == 1
    st = result.layers["stations"]
    assert list(st["station"]) == ["A", "B"] and (st["variant"] == "beichen_station_metro").all()
    assert st["inner_min"].tolist() == [2.0, 2.0] and st["outer_min"].tolist() == [3.0, 3.0]
    assert st.loc[0, "outer_residents"] == 31 and st.loc[1, "outer_residents"] == 95
    cat = result.layers["catchments"]
    assert len(cat) == 8 and cat.crs == METRIC
    s = result.summary
    assert s["stations"] == 2 and s["stations_off_network"] == [] and s["default_variant"] == "beichen_station_metro"
    g = s["variants"]["glossary"]
    assert g["standard"] == "S-TOD-02" and g["inner_minutes"] == 1.0 and g["outer_m"] == pytest.approx(200.0)
    assert "5至10分钟" in g["plan_text"]
    only = tod_station_areas(grid_study[0], standards, variants=["glossary"])
    assert set(only.tables["stations"]["variant"]) == {"glossary"}
    assert only.summary["default_variant"] == "glossary" and only.summary["residents"] is None
    assert only.tables["stations"]["residents"].isna().all()


def test_given_stations_polygons_and_wgs84(grid_study, standards, result):
    study, residents = grid_study
    pts = gpd.GeoDataFrame({"name": ["A", "B"]}, geometry=[_box(490, 490, 510, 510), _box(590, 490, 610, 510)], crs=METRIC)
    given = tod_station_areas(study, standards, residents=residents, stations=pts.to_crs(4326),
                              isochrone_method="exact")
    assert given.summary["station_source"] == "given"
    cols = ["catchment_area_m2", "intersections", "residents", "residential_land_m2", "services_total"]
    pd.testing.assert_frame_equal(given.tables["stations"][cols], result.tables["stations"][cols], rtol=1e-6)


def test_off_network_and_isolated_stations(standards):
    # grid plus an isolated 20 m footway at y = 540 m (2 nodes), next to station C
    n = 11
    ids = np.arange(n * n)
    xy = pd.DataFrame({"x": X0 + 100.0 * (ids % n), "y": Y0 + 100.0 * (ids // n)}, index=ids)
    xy.loc[1000] = [X0 + 540.0, Y0 + 540.0]
    xy.loc[1001] = [X0 + 560.0, Y0 + 540.0]
    rows = [{"u": r * n + c, "v": r * n + c + 1, "highway": "residential"} for r in range(n) for c in range(n - 1)]
    rows += [{"u": r * n + c, "v": (r + 1) * n + c, "highway": "residential"} for r in range(n - 1) for c in range(n)]
    rows.append({"u": 1000, "v": 1001, "highway": "footway"})
    seg = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=[None] * len(rows), crs=METRIC)
    net = build_network(seg, xy, mode="walk", crs=METRIC, speed_kmh=6.0)
    study, residents = make_study(net, stations=[(500, 500), (550, 545), (5000, 5000)])
    res = tod_station_areas(study, standards, residents=residents)
    s = res.summary
    assert s["stations"] == 3 and s["stations_on_network"] == 2 and s["stations_off_network"] == ["C"]
    assert s["stations_relinked_to_main_network"] == [
        {"station": "B", "isolated_piece_nodes": 2, "isolated_piece_access_m": 5.0, "main_network_access_m": 45.0}]
    t = res.tables["stations"]
    off = t.loc[t["station"] == "C"]
    assert not off["on_network"].any() and off["catchment_area_m2"].isna().all() and off["residents"].isna().all()
    assert (off["buffer_residential_land_m2"] == 0).all()
    # B linked at (550, 500), 45 m away: it reaches Q1 (520, 500) in (45 + 30 + 15) m = 0.9 min
    assert row(res, "B", 1)["residents"] == 4
    assert any("off-network" in w or "more than" in w for w in s["warnings"])
    assert len(res.layers["catchments"]) == 2 * 4


def test_errors(grid_study, standards):
    study, _ = grid_study
    no_st = dataclasses.replace(study, facilities=study.facilities.loc[study.facilities["kind"] != "station"])
    with pytest.raises(DataError, match=r"no stations were found.*--facilities FILE --kind station"):
        tod_station_areas(no_st, standards)
    with pytest.raises(InputError, match="unknown TOD variant 'nope'"):
        tod_station_areas(study, standards, variants=["nope"])
    with pytest.raises(InputError, match="no TOD variant selected"):
        tod_station_areas(study, standards, variants=[])
    far = points([(5000, 5000)], name=["X"])
    with pytest.raises(DataError, match="none of the 1 stations is within 150 m"):
        tod_station_areas(study, standards, stations=far)
    with pytest.raises(InputError, match="residents: 3 values for"):
        tod_station_areas(study, standards, residents=Residents(np.ones(3), "x", False))


# ------------------------------------------------------------------------------ real data
@pytest.fixture(scope="module")
def helsinki(helsinki_study):
    from beichen_geo.population import estimate_residents

    std = load_standards()
    study = helsinki_study  # the session's sample study (conftest), only read here
    res = estimate_residents(study, std.population)
    return study, tod_station_areas(study, std, residents=res)


def test_helsinki_invariants(helsinki):
    study, r = helsinki
    s = r.summary
    assert s["stations"] == 3 and s["stations_on_network"] == 3
    t = r.tables["stations"]
    assert len(t) == 3 * 2 * 2
    assert ((t["ped_shed_ratio"] > 0) & (t["ped_shed_ratio"] <= 1)).all()
    assert (t["intersection_density_per_km2"] > 0).all()
    assert (t["residential_land_m2"] <= t["catchment_area_m2"] + 1e-6).all()
    cat = r.layers["catchments"]
    for (sid, var), g in cat.groupby(["station_id", "variant"]):
        inner = g.loc[g["band"] == "inner"].geometry.iloc[0]
        outer = g.loc[g["band"] == "outer"].geometry.iloc[0]
        assert inner.difference(outer).area < 1e-3, (sid, var)  # nested
        gi, go = g.loc[g["band"] == "inner"].iloc[0], g.loc[g["band"] == "outer"].iloc[0]
        assert gi["residents"] <= go["residents"] + 1e-9 and gi["services_total"] <= go["services_total"]
    for name, v in s["variants"].items():
        for band in v["bands"].values():
            assert band["residential_land_in_any_m2"] <= band["sum_station_residential_land_m2"] + 0.1
            assert band["residents_in_any"] <= band["sum_station_residents"] + 0.1
            assert band["union_catchment_area_m2"] <= cat.loc[(cat["variant"] == name) & (cat["band_min"] == band["minutes"]), "catchment_area_m2"].sum() + 0.1
            assert 0 <= band["share_of_residential_land"] <= 1 and 0 <= band["share_of_residents"] <= 1
            assert band["residential_land_in_any_m2"] <= s["residential_area_m2"] + 0.1
    assert s["population_source"].startswith("estimate")


def test_helsinki_write_result(helsinki, tmp_path):
    _, r = helsinki
    written = write_result(r, tmp_path)
    for f in ("tod.gpkg", "tod_stations.csv", "tod.json", "tod.html"):
        assert (tmp_path / f).stat().st_size > 0, f
    assert set(written) == {"gpkg", "csv:stations", "map", "print", "json"}
    js = json.loads((tmp_path / "tod.json").read_text(encoding="utf-8"))
    assert js["outputs"]["map"] == "tod.html" and set(js["variants"]) == {"beichen_station_metro", "glossary"}
    layers = gpd.list_layers(tmp_path / "tod.gpkg")["name"].tolist()
    assert set(layers) == {"stations", "catchments"}
    back = gpd.read_file(tmp_path / "tod.gpkg", layer="catchments")
    assert len(back) == 12 and back["catchment_area_m2"].gt(0).all()
    csv = pd.read_csv(tmp_path / "tod_stations.csv")
    assert len(csv) == 12 and "ped_shed_ratio" in csv
    page = (tmp_path / "tod.html").read_text(encoding="utf-8")
    for text in ("S-TOD-01 8-15 min (P1 L253)", "S-TOD-02 5-10 min (P1 L426)", "Helsingin yliopisto", "ped-shed ratio"):
        assert text in page, text
    zh = r.make_map(lang="zh", basemap="none").to_html(self_contained=False)
    assert "TOD站点地区" in zh and "步行可达比" in zh
