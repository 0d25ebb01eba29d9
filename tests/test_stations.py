"""Station scoring (#6): hand-checked grid, networkx references, tod equality, GCJ-02 files, Dask.

Layout (metres from the grid origin; 11 x 11 streets 100 m apart; 6 km/h = 100 m/min; the
grid lies at 117.0E 38.85N in EPSG:32650, inside China, so GCJ-02 applies). Bands 1, 2.5
and 3 min (100, 250, 300 m). Stations A (500, 500) and B (600, 500) sit on nodes 1 min
apart, closer than every band; C (250, 800) sits half-way along a street; D is far off the
network. Residential land and residents are those of tests/test_tod.py plus Q6 near C:

    cell point   snaps to    min to A  min to B  min to C  residents  area m2
    (426, 425)   (426, 400)  1.99      2.99      -         1          1,440
    (474, 425)   (474, 400)  1.51      2.51      -         2          1,440
    (520, 515)   (520, 500)  0.35      0.95      -         4          400      Q1
    (765, 515)   (765, 500)  2.80      1.80      -         8          400      Q2
    (320, 515)   (320, 500)  1.95      2.95      -         16         400      Q3
    (880, 215)   (880, 200)  6.95      5.95      -         32         400      Q4
    (665, 715)   (665, 700)  3.80      2.80      -         64         400      Q5
    (215, 815)   (215, 800)  -         -         0.50      128        400      Q6 (C's own street)

Services: school (500, 550) A 0.5 / B 1.5; school (650, 500) 1.5 / 0.5; clinic (500, 750)
2.5 / 3.5 / C 3.0; park (300, 450) 2.5 / 3.5; park (850, 500) 3.5 / 2.5; park (200, 840)
C 0.9; pharmacy (0, 1000) far. Park radius overridden to 150 m: Q2 (100 m to the park at
(850, 500)), Q3 (85 m to (300, 450)) and Q6 (70 m to (200, 840)) are covered, no other cell is.
"""

from __future__ import annotations

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
from beichen_geo.analyses.stations import (
    DEFAULT_WEIGHTS, band_prefix, percentile_rank, read_stations, score_stations,
)
from beichen_geo.study import Study
from beichen_geo.analyses.tod import tod_station_areas
from conftest import METRIC, X0, Y0, grid_network, points
from geo.errors import DataError, InputError
from geo.coords import wgs84_to_gcj02
from geo.demand import grid_cells
from geo.engine import TravelTimeEngine
from geo.measures import mix_index, mix_indices
from geo.snapping import snap_points
from nxref import reference_graph

MPM = 100.0
BANDS = (1.0, 2.5, 3.0)
STATIONS = {"A": (500, 500), "B": (600, 500), "C": (250, 800), "D": (5000, 5000)}
RES = {  # polygon -> residents of its cells, by cell point
    "R1": ((402, 410, 498, 440), {(426, 425): 1.0, (474, 425): 2.0}),
    "Q1": ((510, 505, 530, 525), {(520, 515): 4.0}),
    "Q2": ((755, 505, 775, 525), {(765, 515): 8.0}),
    "Q3": ((310, 505, 330, 525), {(320, 515): 16.0}),
    "Q4": ((870, 205, 890, 225), {(880, 215): 32.0}),
    "Q5": ((655, 705, 675, 725), {(665, 715): 64.0}),
    "Q6": ((205, 805, 225, 825), {(215, 815): 128.0}),
}
SERVICES = [
    ("school", (500, 550)), ("school", (650, 500)), ("clinic", (500, 750)), ("park", (300, 450)),
    ("park", (850, 500)), ("park", (200, 840)), ("pharmacy", (0, 1000)),
]
KINDS = ["clinic", "park", "pharmacy", "school"]
PARK_RADIUS_M = 150.0


def _box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def make_study() -> tuple[Study, Residents]:
    net = grid_network(11, 100.0, speed_kmh=6.0)
    residential = gpd.GeoDataFrame({"res_source": ["test"] * len(RES)}, geometry=[_box(*b) for b, _ in RES.values()], crs=METRIC)
    demand = grid_cells(residential, cell_m=50.0)
    demand_snap = snap_points(net, demand.set_geometry("point"), max_snap_m=150.0)
    fac = pd.concat([
        points([STATIONS["A"], STATIONS["B"]], kind=["station"] * 2, name=["A", "B"]),
        points([xy for _, xy in SERVICES], kind=[k for k, _ in SERVICES], name=[f"{k} {i}" for i, (k, _) in enumerate(SERVICES)]),
    ], ignore_index=True)
    fac = gpd.GeoDataFrame(fac, geometry="geometry", crs=METRIC)
    study = Study(
        net=net, engine=TravelTimeEngine(net), area=_box(0, 0, 1000, 1000), facilities=fac,
        residential=residential, buildings=residential.iloc[:0], demand=demand, demand_snap=demand_snap,
        source="synthetic grid", max_snap_m=150.0,
    )
    lookup = {xy: r for _, cells in RES.values() for xy, r in cells.items()}
    per_cell = np.array([lookup[(round(p.x - X0), round(p.y - Y0))] for p in demand["point"]])
    return study, Residents(per_cell=per_cell, source="given: test layout", is_estimate=False)


def station_points(names=("A", "B", "C", "D")) -> gpd.GeoDataFrame:
    return points([STATIONS[n] for n in names], name=list(names))


@pytest.fixture(scope="module")
def standards(tmp_path_factory):
    p = tmp_path_factory.mktemp("std") / "stations.toml"
    p.write_text(
        f"[parks.radius_m]\nvalue = {PARK_RADIUS_M:g}\n"
        "[tod.beichen_station_metro]\ninner_minutes = 2.5\nouter_minutes = 3\n"
        "[tod.glossary]\ninner_minutes = 1\nouter_minutes = 2.5\n",
        encoding="utf-8",
    )
    return load_standards(p)


@pytest.fixture(scope="module")
def grid():
    return make_study()


@pytest.fixture(scope="module")
def result(grid, standards):
    study, residents = grid
    return score_stations(study, standards, stations=station_points(), bands_min=BANDS, residents=residents,
                          polygons="all", progress=False)


def row(result, station: str, minutes: float) -> pd.Series:
    t = result.tables["bands"]
    r = t.loc[(t["station"] == station) & (t["band_min"] == minutes)]
    assert len(r) == 1
    return r.iloc[0]


# ------------------------------------------------------------------------------ references
@pytest.fixture(scope="module")
def ref(grid):
    """networkx reference: edges split at every snapped point, plain Dijkstra per station."""
    study, residents = grid
    st = snap_points(study.net, station_points(("A", "B", "C")))
    fac = study.facilities.loc[study.facilities["kind"] != "station"].reset_index(drop=True)
    fs = snap_points(study.net, fac)
    G = reference_graph(study.net, {"s": st, "d": study.demand_snap, "f": fs}).to_undirected()
    dist = {name: nx.single_source_dijkstra_path_length(G, ("s", i), weight="w") for i, name in enumerate("ABC")}
    parks = fac.index[fac["kind"] == "park"]
    park_min = nx.multi_source_dijkstra_path_length(G, [("f", int(i)) for i in parks], weight="w")
    return {"G": G, "dist": dist, "fac": fac, "park_min": park_min, "n_cells": len(study.demand)}


def _street_pieces(G):
    """Street pieces of the reference graph (between network nodes and split points), metres."""
    for a, b, d in G.edges(data=True):
        if (isinstance(a, tuple) and len(a) == 2) or (isinstance(b, tuple) and len(b) == 2):
            continue  # an access walk to a snapped point, not a street
        yield a, b, d["w"] * MPM


def ref_street_length(G, d: dict, band: float) -> float:
    """Street length within ``band`` minutes: per piece, the parts reached from both ends."""
    tot = 0.0
    for a, b, length in _street_pieces(G):
        ra = max(0.0, band - d.get(a, math.inf)) * MPM
        rb = max(0.0, band - d.get(b, math.inf)) * MPM
        tot += min(length, ra + rb)
    return tot


def ref_figures(ref, grid, name: str, band: float) -> dict:
    study, residents = grid
    d = ref["dist"][name]
    cells = np.array([d.get(("d", i), math.inf) for i in range(ref["n_cells"])]) <= band + 1e-9
    area = study.demand["area_m2"].to_numpy()
    covered = np.array([ref["park_min"].get(("d", i), math.inf) * MPM <= PARK_RADIUS_M + 1e-6 for i in range(ref["n_cells"])])
    fac = ref["fac"]
    reach = np.array([d.get(("f", i), math.inf) for i in range(len(fac))]) <= band + 1e-9
    G = nx.Graph(study.net.to_networkx())
    deg = np.array([len(set(G.neighbors(v)) - {v}) for v in range(len(study.net.nodes))])
    nodes = np.array([d.get(v, math.inf) for v in range(len(study.net.nodes))]) <= band + 1e-9
    return {
        "street_length_m": ref_street_length(ref["G"], d, band),
        "residents": float(residents.per_cell[cells].sum()),
        "residential_land_reached_m2": float(area[cells].sum()),
        "park_covered_land_m2": float(area[cells & covered].sum()),
        "intersections": int((nodes & (deg >= 3)).sum()),
        **{f"services_{k}": int((reach & (fac["kind"].to_numpy() == k)).sum()) for k in KINDS},
    }


def circle_lattice_length(r: float, offsets=range(-500, 501, 100)) -> float:
    """Street length of a 100 m lattice inside a circle of radius r centred on a node (closed form)."""
    return 2 * sum(2 * math.sqrt(max(0.0, r * r - o * o)) for o in offsets)


# ------------------------------------------------------------------------------ grid tests
@pytest.mark.parametrize("k", BANDS)
def test_street_length_and_ped_shed_closed_form(result, k):
    # a node station on the lattice: whole edges within floor(k) blocks (4 n^2 of them) plus,
    # for a fractional band, (k - n) x 100 m along each of the 4 (2n + 1) edges leaving that diamond
    n = int(k)
    expect = 4 * n * n * 100 + (4 * (2 * n + 1) * (k - n) * 100 if k > n else 0)
    for s in ("A", "B"):
        r = row(result, s, k)
        assert r["street_length_m"] == pytest.approx(expect, abs=1e-6)
        assert r["circle_street_length_m"] == pytest.approx(circle_lattice_length(100 * k), rel=1e-12)
        assert r["ped_shed_ratio_street"] == pytest.approx(expect / circle_lattice_length(100 * k), rel=1e-12)
        assert r["intersections"] == 2 * n * n + 2 * n + 1
        assert r["intersections_per_street_km"] == pytest.approx((2 * n * n + 2 * n + 1) / (expect / 1000), rel=1e-12)
    assert circle_lattice_length(100) == pytest.approx(400)  # the four arms, tangent lines add nothing
    # C, half-way along its street: the street (100 m) plus 50 m on each of the 6 streets at its ends
    c = row(result, "C", 1.0)
    assert c["street_length_m"] == pytest.approx(400.0, abs=1e-9) and c["intersections"] == 2
    assert c["circle_street_length_m"] == pytest.approx(200 + 2 * 2 * math.sqrt(100**2 - 50**2), rel=1e-12)


@pytest.mark.parametrize("name", ["A", "B", "C"])
@pytest.mark.parametrize("k", BANDS)
def test_figures_match_networkx(result, ref, grid, name, k):
    r = row(result, name, k)
    exp = ref_figures(ref, grid, name, k)
    assert r["street_length_m"] == pytest.approx(exp["street_length_m"], abs=1e-6)
    for c in ("residents", "residential_land_reached_m2", "park_covered_land_m2"):
        assert r[c] == pytest.approx(exp[c], abs=1e-6), c
    for c in ("intersections", *[f"services_{k}" for k in KINDS]):
        assert r[c] == exp[c], c
    land = exp["residential_land_reached_m2"]
    if land > 0:
        assert r["park_coverage_share"] == pytest.approx(exp["park_covered_land_m2"] / land, rel=1e-12)
    else:
        assert np.isnan(r["park_coverage_share"])
    counts = [exp[f"services_{k}"] for k in KINDS]
    assert r["services_total"] == sum(counts) and r["service_kinds"] == sum(c > 0 for c in counts)
    assert r["service_mix_index"] == pytest.approx(mix_index(counts, n_kinds=len(KINDS)), abs=1e-15)
    # the straight-line circle, cut from a finely drawn circle with shapely
    study, _ = grid
    circle = shapely.Point(X0 + STATIONS[name][0], Y0 + STATIONS[name][1]).buffer(k * MPM, quad_segs=2048)
    inside = shapely.intersection(study.net.edges.geometry.to_numpy(), circle)
    assert r["circle_street_length_m"] == pytest.approx(shapely.length(inside).sum(), rel=1e-5)


def test_hand_values(result):
    # residents / land / park / services of the table in the module docstring
    hand = {  # (station, band): (residents, land m2, park-covered land m2, services by kind)
        ("A", 1.0): (4, 400, 0, {"school": 1}),
        ("A", 2.5): (1 + 2 + 4 + 16, 2880 + 800, 400, {"school": 2, "clinic": 1, "park": 1}),
        ("A", 3.0): (1 + 2 + 4 + 8 + 16, 2880 + 1200, 800, {"school": 2, "clinic": 1, "park": 1}),
        ("B", 1.0): (4, 400, 0, {"school": 1}),
        ("B", 2.5): (4 + 8, 800, 400, {"school": 2, "park": 1}),
        ("B", 3.0): (1 + 2 + 4 + 8 + 16 + 64, 2880 + 1600, 800, {"school": 2, "park": 1}),
        ("C", 1.0): (128, 400, 400, {"park": 1}),
        ("C", 2.5): (128, 400, 400, {"park": 1}),
        ("C", 3.0): (128, 400, 400, {"park": 1, "clinic": 1}),
    }
    for (s, k), (res, land, park, srv) in hand.items():
        r = row(result, s, k)
        assert r["residents"] == res, (s, k)
        assert r["residential_land_reached_m2"] == pytest.approx(land, abs=1e-6), (s, k)
        assert r["park_covered_land_m2"] == pytest.approx(park, abs=1e-6), (s, k)
        for kind in KINDS:
            assert r[f"services_{kind}"] == srv.get(kind, 0), (s, k, kind)
    assert row(result, "A", 2.5)["service_mix_index"] == pytest.approx(0.75, abs=1e-12)  # 1.5 ln 2 / ln 4
    assert row(result, "A", 2.5)["park_coverage_share"] == pytest.approx(400 / 3680)
    assert row(result, "C", 1.0)["park_coverage_share"] == 1.0


def test_union_totals_count_each_cell_and_street_once(result, ref, grid):
    study, residents = grid
    s = result.summary
    bands = {b["minutes"]: b for b in s["bands"]}
    assert set(bands) == set(BANDS)
    # hand: at 1 min A and B both reach Q1 (4), C reaches Q6 (128); A and B share their street
    assert bands[1.0]["residents_in_any"] == 132 and bands[1.0]["sum_station_residents"] == 136
    assert bands[1.0]["street_length_in_any_m"] == pytest.approx(400 + 400 - 100 + 400, abs=0.05)
    assert bands[1.0]["sum_station_street_length_m"] == pytest.approx(1200, abs=0.05)
    assert bands[3.0]["residents_in_any"] == 95 + 128 and bands[3.0]["sum_station_residents"] == 31 + 95 + 128
    # against networkx: the nearest station's minutes (multi-source)
    G = ref["G"]
    dmin = nx.multi_source_dijkstra_path_length(G, [("s", i) for i in range(3)], weight="w")
    area = study.demand["area_m2"].to_numpy()
    total_land = float(area.sum())
    for b in BANDS:
        cells = np.array([dmin.get(("d", i), math.inf) for i in range(len(area))]) <= b + 1e-9
        t = bands[b]
        assert t["demand_cells_in_any"] == int(cells.sum())
        assert t["residents_in_any"] == pytest.approx(residents.per_cell[cells].sum(), abs=0.05)
        assert t["residential_land_reached_in_any_m2"] == pytest.approx(area[cells].sum(), abs=0.05)
        assert t["share_of_residential_land"] == pytest.approx(area[cells].sum() / total_land, abs=1e-6)
        assert t["share_of_residents"] == pytest.approx(residents.per_cell[cells].sum() / residents.per_cell.sum(), abs=1e-6)
        assert t["street_length_in_any_m"] == pytest.approx(ref_street_length(G, dmin, b), abs=0.05)
        assert t["street_length_in_any_m"] < t["sum_station_street_length_m"]
        # every station has a polygon here, so the union of the catchment polygons is reported
        cat = result.layers["catchments"]
        union = shapely.union_all(cat.loc[cat["band_min"] == b].geometry.to_numpy())
        assert t["union_catchment_area_m2"] == pytest.approx(union.area, abs=0.05)
    assert s["residents"] == 255 and s["residential_land_m2"] == pytest.approx(2880 + 6 * 400)


def test_composite_score_and_rank_by_hand(grid, standards):
    study, residents = grid
    res = score_stations(study, standards, stations=station_points(), bands_min=BANDS, residents=residents,
                         weights={"residents": 1, "services_total": 1}, polygons=0, progress=False)
    # percentile ranks among A, B, C ((rank - 1) / 2, ties averaged), per band (residents | services):
    #   1 min:   4, 4, 128 -> .25 .25 1  | 1, 1, 1 -> .5 .5 .5   => .375 .375 .75
    #   2.5 min: 23, 12, 128 -> .5 0 1   | 4, 3, 1 -> 1 .5 0     => .75  .25  .5
    #   3 min:   31, 95, 128 -> 0 .5 1   | 4, 3, 2 -> 1 .5 0     => .5   .5   .5
    expect = {"A": (0.375 + 0.75 + 0.5) / 3 * 100, "B": (0.375 + 0.25 + 0.5) / 3 * 100, "C": (0.75 + 0.5 + 0.5) / 3 * 100}
    ranked = res.tables["ranked"]
    assert ranked["station"].tolist() == ["C", "A", "B", "D"]
    assert ranked["rank"].tolist()[:3] == [1, 2, 3] and pd.isna(ranked["rank"].iloc[3])
    for s, v in expect.items():
        assert ranked.loc[ranked["station"] == s, "score"].iloc[0] == pytest.approx(v, abs=1e-12)
    assert np.isnan(ranked.loc[ranked["station"] == "D", "score"].iloc[0])
    assert row(res, "A", 2.5)["score_band"] == pytest.approx(0.75)
    assert res.summary["score"]["weights"] == {"residents": 0.5, "services_total": 0.5}
    assert [t["station"] for t in res.summary["top_stations"]] == ["C", "A", "B"]
    # ties share the better rank
    tie = score_stations(study, standards, stations=station_points(("A", "B")), bands_min=[1.0], residents=residents,
                         weights={"residents": 1}, polygons=0, progress=False)
    assert tie.tables["ranked"]["rank"].tolist() == [1, 1] and (tie.tables["ranked"]["score"] == 50.0).all()


def test_default_score_is_the_documented_formula(result, grid):
    # recomputed independently with scipy's rankdata on the per-band table
    from scipy.stats import rankdata

    t = result.tables["bands"]
    on = t.loc[t["on_network"]]
    w = dict(DEFAULT_WEIGHTS)
    total = {}
    for b in BANDS:
        tb = on.loc[on["band_min"] == b].sort_values("station_id")
        acc = np.zeros(len(tb))
        for c, wc in w.items():
            x = tb[c].astype(float).fillna(-np.inf).to_numpy()
            acc += wc * (rankdata(x) - 1) / (len(x) - 1)
        for sid, v in zip(tb["station_id"], acc / sum(w.values())):
            total.setdefault(sid, []).append(v)
    got = result.tables["ranked"].set_index("station_id")["score"]
    for sid, vals in total.items():
        assert got[sid] == pytest.approx(100 * np.mean(vals), abs=1e-9)
    assert result.summary["score"]["weights"] == pytest.approx(w)


def test_percentile_rank_and_mix_indices():
    assert percentile_rank(np.array([10.0, 30.0, 20.0, 20.0, np.nan])).tolist() == [0.25, 1.0, 0.625, 0.625, 0.0]
    assert percentile_rank(np.array([7.0])).tolist() == [1.0]
    rng = np.random.default_rng(3)
    counts = rng.integers(0, 4, size=(200, 5))
    counts[:5] = 0
    counts[5, 1:] = 0
    got = mix_indices(counts, n_kinds=5)
    assert got.tolist() == [mix_index(list(c), n_kinds=5) for c in counts]  # same floats as tod.mix_index
    assert (mix_indices(counts[:, :1], n_kinds=1) == 0).all()


def test_equal_to_tod_station_areas(result, grid, standards):
    """Polygon figures, intersections, residents and services equal the TOD analysis's."""
    study, residents = grid
    tod = tod_station_areas(study, standards, residents=residents, stations=station_points())
    tt = tod.tables["stations"].drop_duplicates(["station", "band_min"]).set_index(["station", "band_min"])
    st = result.tables["bands"].set_index(["station", "band_min"])
    pairs = {"catchment_area_m2": "catchment_area_m2", "ped_shed_ratio_area": "ped_shed_ratio",
             "intersection_density_per_km2": "intersection_density_per_km2", "residential_land_m2": "residential_land_m2",
             "intersections": "intersections", "residents": "residents", "services_total": "services_total",
             "service_kinds": "service_kinds", "service_mix_index": "service_mix_index",
             **{f"services_{k}": f"services_{k}" for k in KINDS}}
    assert len(tt) == 4 * 3
    for mine, theirs in pairs.items():
        a = st[mine].reindex(tt.index)
        b = tt[theirs]
        pd.testing.assert_series_equal(a.astype(float), b.astype(float), check_names=False, check_exact=True, obj=mine)
    # the off-network station has no figures in either
    assert st.loc["D"]["street_length_m"].isna().all() and tt.loc["D"]["catchment_area_m2"].isna().all()
    # street length = the centre lines of the isochrone polygon (reachable pieces, unioned with shapely)
    from geo.isochrones import _pieces_geometry, reachable_pieces

    eng = study.engine
    snap = snap_points(study.net, station_points(("C",)))
    cat = eng.catchments(snap, cutoff_min=3.0)
    nm = np.full(eng.n, np.inf)
    nm[cat.node] = cat.minutes
    for b in BANDS:
        e, a, z = reachable_pieces(eng, nm, snap, b)
        lines = _pieces_geometry(eng, e, a, z)
        assert row(result, "C", b)["street_length_m"] == pytest.approx(shapely.union_all(lines).length, abs=1e-6)


def test_polygons_top_n_and_layers(grid, standards, result):
    study, residents = grid
    top1 = score_stations(study, standards, stations=station_points(), bands_min=BANDS, residents=residents,
                          polygons=1, progress=False)
    best = top1.tables["ranked"]["station"].iloc[0]
    cat = top1.layers["catchments"]
    assert set(cat["station"]) == {best} and sorted(cat["band_min"]) == list(BANDS) and cat.crs == METRIC
    t = top1.tables["bands"]
    assert t.loc[t["station"] == best, "catchment_area_m2"].notna().all()
    assert t.loc[t["station"] != best, "catchment_area_m2"].isna().all()
    assert top1.summary["polygons"] == "top 1 by score" and top1.summary["polygon_stations"] == 1
    assert all(b["union_catchment_area_m2"] is None for b in top1.summary["bands"])
    # everything but the polygon columns is the same as with every polygon drawn
    cols = [c for c in t.columns if c not in ("catchment_area_m2", "ped_shed_ratio_area",
                                               "intersection_density_per_km2", "residential_land_m2")]
    pd.testing.assert_frame_equal(t[cols], result.tables["bands"][cols], check_exact=True)
    # the polygons are nested and equal to the TOD catchments (same function)
    full = result.layers["catchments"]
    for sid, g in full.groupby("station_id"):
        polys = g.sort_values("band_min").geometry.to_numpy()
        assert all(polys[i].difference(polys[i + 1]).area < 1e-6 for i in range(len(polys) - 1))
    # layers and ranked table
    st = result.layers["stations"]
    assert list(st["station"]) == list(result.tables["ranked"]["station"]) and st.crs == METRIC
    ranked = result.tables["ranked"]
    assert {band_prefix(b) + "residents" for b in BANDS} <= set(ranked.columns)
    assert band_prefix(2.5) == "min2p5_" and band_prefix(10.0) == "min10_"
    a = ranked.loc[ranked["station"] == "A"].iloc[0]
    assert a["min2p5_residents"] == 23 and a["lon_wgs84"] == pytest.approx(117.0, abs=0.01)
    assert result.summary["stations_off_network"] == ["D"] and result.summary["stations_on_network"] == 3


def test_default_stations_from_the_study(grid, standards):
    study, residents = grid
    res = score_stations(study, standards, bands_min=[1.0], residents=residents, polygons=0, progress=False)
    assert res.summary["station_source"] == "study facilities of kind 'station'"
    assert sorted(res.tables["ranked"]["station"]) == ["A", "B"]
    assert res.summary["service_kinds_counted"] == KINDS  # stations are centres, not services


def test_without_residents(grid, standards):
    study, _ = grid
    res = score_stations(study, standards, stations=station_points(("A", "B", "C")), bands_min=[1.0], polygons=0,
                         progress=False)
    assert res.tables["bands"]["residents"].isna().all() and res.summary["residents"] is None
    w = res.summary["score"]["weights"]
    assert "residents" not in w and sum(w.values()) == pytest.approx(1.0, abs=1e-5)  # rounded to 6 decimals
    assert w["services_total"] == pytest.approx(0.15 / 0.75, abs=1e-6)
    assert res.summary["bands"][0]["residents_in_any"] is None


def test_gcj02_csv_stations_land_on_their_nodes(grid, standards, result, tmp_path):
    study, residents = grid
    metric = station_points(("A", "B", "C"))
    wgs = metric.to_crs(4326)
    lon, lat = wgs84_to_gcj02(wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy())
    f = tmp_path / "stations_gcj02.csv"
    pd.DataFrame({"名称": ["A", "B", "C"], "经度": lon, "纬度": lat}).to_csv(f, index=False, encoding="utf-8-sig")
    got = read_stations(f, coords="gcj02")
    assert got.crs.to_epsg() == 4326 and list(got["name"]) == ["A", "B", "C"]
    back = got.to_crs(METRIC)
    assert shapely.distance(back.geometry.to_numpy(), metric.geometry.to_numpy()).max() < 0.01  # metres
    # A and B land on nodes 60 (5, 5) and 61 (6, 5); C half-way along the street between nodes 90 and 91
    sn = snap_points(study.net, back)
    e = study.net.edges
    ends = [{int(e["u"].iloc[k]), int(e["v"].iloc[k])} for k in sn.edge]
    assert 60 in ends[0] and 61 in ends[1] and ends[2] == {90, 91}
    assert sn.offset_m[2] == pytest.approx(50.0, abs=0.01) and (sn.access_m < 0.01).all()
    res = score_stations(study, standards, stations=got, bands_min=BANDS, residents=residents, polygons=0, progress=False)
    a = res.tables["bands"].set_index(["station", "band_min"])
    b = result.tables["bands"].set_index(["station", "band_min"]).loc[a.index]
    for c in ("intersections", "services_total", "residents"):
        assert (a[c] == b[c]).all(), c
    for c in ("street_length_m", "residential_land_reached_m2", "circle_street_length_m"):
        np.testing.assert_allclose(a[c].to_numpy(float), b[c].to_numpy(float), atol=0.05)
    # the same file read as WGS84 puts the stations hundreds of metres off (the flag matters)
    wrong = read_stations(f, coords="wgs84").to_crs(METRIC)
    assert shapely.distance(wrong.geometry.to_numpy(), metric.geometry.to_numpy()).min() > 100


def test_write_result(result, tmp_path):
    written = write_result(result, tmp_path, basemap="none")
    for name in ("stations.gpkg", "stations_ranked.csv", "stations_bands.csv", "stations.json", "stations.html"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert set(gpd.list_layers(tmp_path / "stations.gpkg")["name"]) == {"stations", "catchments"}
    back = gpd.read_file(tmp_path / "stations.gpkg", layer="catchments")
    assert len(back) == 3 * 3 and (back["catchment_area_m2"] > 0).all()
    csv = pd.read_csv(tmp_path / "stations_ranked.csv")
    assert csv["station"].tolist()[:3] == result.tables["ranked"]["station"].tolist()[:3] and len(csv) == 4
    js = json.loads((tmp_path / "stations.json").read_text(encoding="utf-8"))
    assert js["outputs"]["map"] == "stations.html" and js["bands_min"] == list(BANDS)
    page = (tmp_path / "stations.html").read_text(encoding="utf-8")
    assert "TOD potential of station areas" in page and "TOD score (0-100)" in page
    assert "站点地区TOD潜力" in result.make_map(lang="zh", basemap="none").to_html(self_contained=False)
    assert set(written) == {"gpkg", "csv:ranked", "csv:bands", "map", "print", "json"}


def test_errors(grid, standards):
    study, residents = grid
    sp = station_points(("A",))
    kw = dict(stations=sp, progress=False, polygons=0)
    with pytest.raises(InputError, match="bands must be positive minutes"):
        score_stations(study, standards, bands_min=[0, 5], **kw)
    with pytest.raises(InputError, match="bands must be minutes"):
        score_stations(study, standards, bands_min=["five"], **kw)
    with pytest.raises(InputError, match="unknown score component.*'walkability'"):
        score_stations(study, standards, weights={"walkability": 1}, **kw)
    with pytest.raises(InputError, match="weight of 'residents' must be a finite number >= 0"):
        score_stations(study, standards, weights={"residents": -1}, **kw)
    with pytest.raises(InputError, match="at least one positive weight.*residents are unknown"):
        score_stations(study, standards, weights={"residents": 1}, **kw)
    with pytest.raises(InputError, match="not both"):
        score_stations(study, standards, scheduler="tcp://127.0.0.1:1", workers=2, **kw)
    with pytest.raises(InputError, match="workers must be a whole number"):
        score_stations(study, standards, workers=0, **kw)
    with pytest.raises(InputError, match="scheduler must be an address"):
        score_stations(study, standards, scheduler="localhost:8786", **kw)
    with pytest.raises(InputError, match="chunk_size"):
        score_stations(study, standards, chunk_size=0, **{**kw})
    with pytest.raises(InputError, match="polygons must be"):
        score_stations(study, standards, stations=sp, progress=False, polygons="some")
    with pytest.raises(InputError, match="residents: 3 values for"):
        score_stations(study, standards, residents=Residents(np.ones(3), "x", False), **kw)
    with pytest.raises(InputError, match="no CRS"):
        score_stations(study, standards, stations=gpd.GeoDataFrame(geometry=[shapely.Point(0, 0)]), progress=False)
    with pytest.raises(DataError, match="none of the 1 stations is within 150 m.*--coords"):
        score_stations(study, standards, stations=station_points(("D",)), progress=False)
    with pytest.raises(DataError, match="no stations were found"):
        score_stations(study, standards, stations=sp.iloc[:0], progress=False)


# ------------------------------------------------------------------------------ Dask
@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    c = distributed.LocalCluster(n_workers=1, processes=True, threads_per_worker=1, host="127.0.0.1",
                                 dashboard_address="127.0.0.1:0")
    yield c
    c.close()


def test_scheduler_address_and_chunking_identical(grid, standards, result, cluster):
    """An existing cluster (tcp://), one station per task: the same floats as the local run."""
    study, residents = grid
    remote = score_stations(study, standards, stations=station_points(), bands_min=BANDS, residents=residents,
                            polygons="all", scheduler=cluster.scheduler_address, chunk_size=1, progress=False)
    for name in ("bands", "ranked"):
        pd.testing.assert_frame_equal(remote.tables[name], result.tables[name], check_exact=True)
    a, b = remote.layers["catchments"], result.layers["catchments"]
    assert shapely.equals_exact(a.geometry.to_numpy(), b.geometry.to_numpy(), tolerance=0).all()
    assert remote.summary["bands"] == result.summary["bands"]
    ex = remote.summary["execution"]
    assert ex["scheduler"] == f"dask {cluster.scheduler_address}" and ex["workers"] == 1 and ex["chunks"] == 3
    # the cluster given is left running for its owner
    assert cluster.status.name == "running"


@pytest.fixture(scope="module")
def helsinki(helsinki_study):
    from beichen_geo.population import estimate_residents

    std = load_standards()
    study = helsinki_study  # the session's sample study (conftest), only read here
    rng = np.random.default_rng(6)
    nodes = rng.choice(len(study.net.nodes), 50, replace=False)
    st = gpd.GeoDataFrame({"name": [f"node {i}" for i in nodes]}, geometry=study.net.nodes.geometry.to_numpy()[nodes],
                          crs=study.crs)
    return study, std, estimate_residents(study, std.population), st


def test_local_cluster_identical_to_local_run_helsinki(helsinki):
    pytest.importorskip("distributed")
    study, std, residents, st = helsinki
    kw = dict(stations=st, bands_min=(5, 10), residents=residents, polygons=2, progress=False)
    local = score_stations(study, std, **kw)
    dask = score_stations(study, std, workers=2, chunk_size=16, **kw)
    for name in ("bands", "ranked"):
        pd.testing.assert_frame_equal(dask.tables[name], local.tables[name], check_exact=True)
    assert shapely.equals_exact(dask.layers["catchments"].geometry.to_numpy(),
                                local.layers["catchments"].geometry.to_numpy(), tolerance=0).all()
    assert dask.summary["bands"] == local.summary["bands"]
    assert dask.summary["execution"]["workers"] == 2 and dask.summary["execution"]["chunks"] == 4
    assert local.summary["execution"] == {**local.summary["execution"], "scheduler": "local", "chunks": 1}
    # real-data invariants
    t = local.tables["bands"]
    assert local.summary["stations_on_network"] == 50 and len(t) == 100
    assert (t["ped_shed_ratio_street"] <= 1 + 1e-9).all() and (t["ped_shed_ratio_street"] > 0).all()
    five, ten = t.loc[t["band_min"] == 5].set_index("station_id"), t.loc[t["band_min"] == 10].set_index("station_id")
    for c in ("street_length_m", "residents", "residential_land_reached_m2", "services_total", "intersections"):
        assert (five[c] <= ten[c] + 1e-9).all(), c
    for b in local.summary["bands"]:
        assert b["residents_in_any"] <= b["sum_station_residents"] + 0.1
        assert b["street_length_in_any_m"] <= b["sum_station_street_length_m"] + 0.1
        assert 0 <= b["share_of_residential_land"] <= 1
    # street length = centre lines of the drawn isochrones
    from geo.isochrones import _pieces_geometry, reachable_pieces

    eng = study.engine
    cat = local.layers["catchments"]
    for sid in cat["station_id"].unique()[:1]:
        sn = snap_points(study.net, st.iloc[[sid]])
        c = eng.catchments(sn, cutoff_min=10)
        nm = np.full(eng.n, np.inf)
        nm[c.node] = c.minutes
        e, a, z = reachable_pieces(eng, nm, sn, 10)
        L = shapely.union_all(_pieces_geometry(eng, e, a, z)).length
        assert t.loc[(t["station_id"] == sid) & (t["band_min"] == 10), "street_length_m"].iloc[0] == pytest.approx(L, rel=1e-9)
