"""S-H-01 clinics per community: hand-checked grid cases and one run on the Helsinki sample.

The synthetic grid is ``conftest.grid_network(31)`` (3 km x 3 km, 100 m blocks, 6 km/h, so
one minute is exactly 100 m and 15 min is 1,500 m). Every demand cell is a 100 m square
centred on a street node, so a home stands exactly on the network, and every centre stands
exactly on a street edge at a known offset from its end nodes. On a full lattice the
shortest path between nodes is the Manhattan distance, which gives the minutes in closed
form: ``min(|cell - a| + t, |cell - b| + (100 - t)) / 100`` for a centre ``t`` metres from
node ``a`` towards node ``b``. The offsets (10, 30, 40, 20 m) make every distance to a
different centre differ, so the nearest centre of each home is unambiguous.
"""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from beichen_geo.analyses.clinics import clinics_per_community
from beichen_geo.population import Residents, given_residents, read_population
from beichen_geo.result import write_result
from beichen_geo.standards import load_standards
from beichen_geo.study import Study
from beichen_geo.units import grouping_for
from geo.errors import InputError
from geo.engine import TravelTimeEngine
from geo.snapping import snap_points

from conftest import METRIC, X0, Y0, grid_network, points

STD = load_standards()
WALK_M = 1500.0  # 15 min x 100 m/min

# units: (name, xmin, ymin, xmax, ymax) in metres from the grid origin, borders half-way between streets
UNITS = [
    ("Xiyuan", -50, -50, 1050, 1050),
    ("Zhongshan", 1050, -50, 2050, 1050),
    ("Dongcun", 2050, -50, 3050, 1050),
    ("Beigang", -50, 1050, 3050, 3050),  # no residential land
]
POP = {"Xiyuan": 250_000.0, "Zhongshan": 60_000.0, "Dongcun": 20_000.0, "Beigang": 5_000.0}

# centres: name -> (x, y, (end node a), (end node b), offset from a in metres); None = off the network
CENTRES = {
    "A-west": (200, 510, (200, 500), (200, 600), 10.0),
    "A-east": (830, 500, (800, 500), (900, 500), 30.0),
    "B-centre": (1540, 500, (1500, 500), (1600, 500), 40.0),
    "Far": (3500, 500, None, None, None),  # 500 m east of the last street: off-network
    "D-north": (1500, 2220, (1500, 2200), (1500, 2300), 20.0),
}


def _cell_nodes() -> np.ndarray:
    """Residential cells: one per node with x in 0..3,000 m and y in 0..1,000 m (31 x 11)."""
    xs, ys = np.meshgrid(np.arange(0, 3001, 100), np.arange(0, 1001, 100))
    return np.column_stack([xs.ravel(), ys.ravel()]).astype(float)


def _study(centres: dict = CENTRES) -> Study:
    net = grid_network(31)
    xy = _cell_nodes()
    x, y = X0 + xy[:, 0], Y0 + xy[:, 1]
    cells = shapely.box(x - 50, y - 50, x + 50, y + 50)
    demand = gpd.GeoDataFrame(
        {"parent": np.zeros(len(xy), dtype=np.int64), "cell": np.arange(len(xy)), "area_m2": shapely.area(cells)},
        geometry=cells, crs=METRIC,
    )
    demand["point"] = gpd.GeoSeries(shapely.points(x, y), crs=METRIC)
    snap = snap_points(net, demand.set_geometry("point"), max_snap_m=150.0)
    names = list(centres)
    fac = points([(centres[n][0], centres[n][1]) for n in names], name=names, kind=["clinic"] * len(names))
    if not len(names):
        fac = gpd.GeoDataFrame({"name": [], "kind": []}, geometry=[], crs=METRIC)
    residential = gpd.GeoDataFrame({"res_source": ["test"]}, geometry=[shapely.union_all(cells)], crs=METRIC)
    area = shapely.box(X0 - 50, Y0 - 50, X0 + 3050, Y0 + 3050)
    return Study(
        net=net, engine=TravelTimeEngine(net), area=area, facilities=fac, residential=residential,
        buildings=gpd.GeoDataFrame(geometry=[], crs=METRIC), demand=demand, demand_snap=snap,
        source="synthetic grid", max_snap_m=150.0,
    )


def _units(with_pop: bool = True) -> gpd.GeoDataFrame:
    data = {"unit_name": [u[0] for u in UNITS]}
    if with_pop:
        data["population"] = [POP[u[0]] for u in UNITS]
    geoms = [shapely.box(X0 + a, Y0 + b, X0 + c, Y0 + d) for _, a, b, c, d in UNITS]
    return gpd.GeoDataFrame(data, geometry=geoms, crs=METRIC)


# ------------------------------------------------------------------ independent closed-form reference


def _metres(xy: np.ndarray, centre: tuple) -> np.ndarray:
    _, _, a, b, t = centre
    if a is None:
        return np.full(len(xy), np.inf)
    da = np.abs(xy[:, 0] - a[0]) + np.abs(xy[:, 1] - a[1]) + t
    db = np.abs(xy[:, 0] - b[0]) + np.abs(xy[:, 1] - b[1]) + (100.0 - t)
    return np.minimum(da, db)


def _unit_of(xy: np.ndarray) -> np.ndarray:
    out = np.full(len(xy), -1)
    for i, (_, a, b, c, d) in enumerate(UNITS):
        out[(xy[:, 0] > a) & (xy[:, 0] < c) & (xy[:, 1] > b) & (xy[:, 1] < d)] = i
    return out


@pytest.fixture(scope="module")
def study() -> Study:
    return _study()


@pytest.fixture(scope="module")
def reference():
    xy = _cell_nodes()
    names = list(CENTRES)
    dist = np.column_stack([_metres(xy, CENTRES[n]) for n in names])  # metres, cells x centres
    unit = _unit_of(xy)
    counts = np.bincount(unit, minlength=len(UNITS))
    per_cell = np.array([POP[UNITS[u][0]] / counts[u] for u in unit])  # equal cells: areal weighting
    return {"xy": xy, "names": names, "dist": dist, "unit": unit, "per_cell": per_cell}


@pytest.fixture(scope="module")
def result(study):
    units = _units()
    res = given_residents(study, units, source="given: test units (population)")
    return clinics_per_community(study, STD, residents=res)


# ------------------------------------------------------------------ synthetic grid


def test_reference_sanity(reference):
    # the layout is what the docstring claims: no two centres at the same distance from a home
    d = reference["dist"][:, [0, 1, 2, 4]]
    assert np.all(np.diff(np.sort(d, axis=1), axis=1) > 0)
    assert np.bincount(reference["unit"]).tolist() == [121, 110, 110]


def test_units_centres_inside_and_reachable(result, reference):
    u = result.tables["units"].set_index("unit_name")
    assert u["centres_inside"].to_dict() == {"Xiyuan": 2, "Zhongshan": 1, "Dongcun": 0, "Beigang": 1}
    assert u.loc["Xiyuan", "centre_names"] == "A-west; A-east"
    assert u.loc["Beigang", "centre_names"] == "D-north"
    dist, names = reference["dist"], reference["names"]
    for i, (name, *_) in enumerate(UNITS):
        sel = reference["unit"] == i
        want = [names[j] for j in range(len(names)) if sel.any() and (dist[sel, j] <= WALK_M).any()]
        got = [s for s in u.loc[name, "reachable_names"].split("; ") if s]
        assert sorted(got) == sorted(want), name
        assert u.loc[name, "centres_reachable"] == len(want)
    # hand check of the closed form for two of them
    assert sorted(u.loc["Xiyuan", "reachable_names"].split("; ")) == ["A-east", "A-west", "B-centre"]
    assert "Far" not in u.loc["Dongcun", "reachable_names"]


def test_units_shares_within_15_min(result, reference):
    u = result.tables["units"].set_index("unit_name")
    within = reference["dist"].min(axis=1) <= WALK_M
    for i, (name, *_) in enumerate(UNITS[:3]):
        sel = reference["unit"] == i
        want = within[sel].mean()  # equal cells and equal residents per cell inside a unit
        assert u.loc[name, "share_land_within_15min"] == pytest.approx(want, abs=1e-12)
        assert u.loc[name, "share_residents_within_15min"] == pytest.approx(want, abs=1e-12)
        assert u.loc[name, "residents_within_15min"] == pytest.approx(POP[name] * want, rel=1e-9)
        assert u.loc[name, "residential_area_m2"] == pytest.approx(sel.sum() * 10_000.0)
    assert u.loc["Xiyuan", "share_land_within_15min"] == 1.0
    # Dongcun: cell (x, y) reaches B-centre via node (1600, 500) + 60 m, so x - 1600 + |y - 500| <= 1440
    xs, ys = np.meshgrid(np.arange(2100, 3001, 100), np.arange(0, 1001, 100))
    hand = ((xs - 1600 + np.abs(ys - 500) + 60) <= WALK_M).mean()
    assert u.loc["Dongcun", "share_land_within_15min"] == pytest.approx(hand, abs=1e-12)
    assert 0 < hand < 1
    # no residential land: residents as given, shares null (not NaN crashes, not 0)
    assert u.loc["Beigang", "residents"] == 5_000
    assert u.loc["Beigang", "residential_area_m2"] == 0
    assert pd.isna(u.loc["Beigang", "share_land_within_15min"])
    assert pd.isna(u.loc["Beigang", "share_residents_within_15min"])


def test_units_rule(result):
    u = result.tables["units"].set_index("unit_name")
    assert u["residents"].to_dict() == POP
    assert (u["residents_source"] == "given").all()
    assert u.loc["Xiyuan", "required_centres"] == 3  # ceil(250,000 / 100,000)
    assert u.loc["Xiyuan", "residents_per_centre"] == 125_000
    assert u.loc["Zhongshan", "residents_per_centre"] == 60_000
    assert pd.isna(u.loc["Dongcun", "residents_per_centre"])
    assert u["required_centres"].to_dict() == {"Xiyuan": 3, "Zhongshan": 1, "Dongcun": 1, "Beigang": 1}
    assert u["missing_centres"].to_dict() == {"Xiyuan": 1, "Zhongshan": 0, "Dongcun": 1, "Beigang": 0}
    assert u["passes_count"].to_dict() == {"Xiyuan": False, "Zhongshan": True, "Dongcun": False, "Beigang": True}
    # the reach test: every resident (land where residents are unknown) within 15 min; checked apart.
    # Beigang holds no residential land: its reach cannot be measured (None), its count test still holds
    share = u["share_residents_within_15min"].fillna(u["share_land_within_15min"])
    reach = {k: (None if pd.isna(v) else bool(v >= 1 - 1e-12)) for k, v in share.items()}
    assert u["passes_reach"].to_dict() == reach and reach["Beigang"] is None
    for name, row in u.iterrows():
        want = False if not row["passes_count"] else reach[name]
        assert row["passes"] is want or row["passes"] == want, name
    words = {(True, True): "pass", (False, True): "fail: count", (True, False): "fail: reach",
             (False, False): "fail: count and reach", (True, None): "not measured: no residential land",
             (False, None): "fail: count"}
    assert u["result"].tolist() == [words[(c, r)] for c, r in zip(u["passes_count"], u["passes_reach"])]
    assert u["below_min_catchment"].to_dict() == {"Xiyuan": False, "Zhongshan": False, "Dongcun": False, "Beigang": True}
    s = result.summary
    assert (s["units_count"], s["units_passing_count"], s["passes_count"], s["units_below_min_catchment"]) == (4, 2, False, 1)
    assert s["units_passing_reach"] == sum(v is True for v in reach.values())
    assert s["units_not_measured_reach"] == 1
    assert s["units_passing"] == sum(r["passes"] is True for r in s["units"])
    assert s["passes"] is False
    assert [r["name"] for r in s["units"]] == [r["unit_name"] for r in s["units"]] == [x[0] for x in UNITS]
    assert s["units"][3]["share_land_within_15min"] is None and s["units"][3]["passes"] is None
    # failures say why: too few centres inside, homes beyond the walk
    xi = s["units"][0]
    assert {"code": "too_few_centres", "kind": "clinic", "centres_inside": 2, "required_centres": 3} in xi["reasons"]
    do = s["units"][2]
    assert [r["code"] for r in do["reasons"]] == ["too_few_centres", "residents_beyond_minutes"]
    assert do["reasons"][1]["covered_share_residents"] == pytest.approx(do["share_residents_within_15min"], abs=1e-4)
    assert s["units"][1]["reasons"] == [] and s["units"][1]["passes"] is True


def test_required_centres_boundaries(study):
    # exactly 100,000 needs one centre, 100,001 needs two, 0 residents still needs one (每个镇街)
    units = _units().iloc[:3].copy()
    units["population"] = [100_000.0, 100_001.0, 0.0]
    r = clinics_per_community(study, STD, units=grouping_for(study, units, kind="units"))
    assert r.tables["units"]["required_centres"].tolist() == [1, 2, 1]
    assert r.tables["units"]["passes_count"].tolist() == [True, False, False]
    assert r.summary["population_source"].startswith("given: units argument")


def test_centres_nearest_catchments(result, reference):
    c = result.tables["centres"].set_index("name")
    dist, pc = reference["dist"], reference["per_cell"]
    best = dist.min(axis=1)
    who = dist.argmin(axis=1)
    covered = best <= WALK_M
    for j, name in enumerate(reference["names"]):
        sel = covered & (who == j)
        assert c.loc[name, "catchment_residents"] == pytest.approx(pc[sel].sum(), rel=1e-9), name
        assert c.loc[name, "catchment_cells"] == sel.sum()
        reach = dist[:, j] <= WALK_M
        assert c.loc[name, "reachable_residents"] == pytest.approx(pc[reach].sum(), rel=1e-9), name
    # no double counting: the catchments add up to the residents within 15 min
    assert c["catchment_residents"].sum() == pytest.approx(pc[covered].sum(), rel=1e-12)
    # A-west serves x <= 500 of Xiyuan: 6 columns x 11 rows x 250,000/121 residents
    assert c.loc["A-west", "catchment_residents"] == pytest.approx(66 * 250_000 / 121, rel=1e-9)
    assert c["over_100k"].to_dict() == {
        n: bool(pc[covered & (who == j)].sum() > 100_000) for j, n in enumerate(reference["names"])
    }
    assert c.loc["A-west", "over_100k"] and c.loc["A-east", "over_100k"] and not c.loc["B-centre", "over_100k"]
    assert not c.loc["Far", "on_network"] and c.loc["Far", "catchment_residents"] == 0
    assert c.loc["Far", "unit_name"] is None or pd.isna(c.loc["Far", "unit_name"])
    assert c.loc["A-east", "unit_name"] == "Xiyuan"


def test_summary_district(result, reference):
    s = result.summary
    pc = reference["per_cell"]
    covered = reference["dist"].min(axis=1) <= WALK_M
    assert s["centres"] == 5 and s["centres_in_area"] == 4 and s["centres_off_network"] == 1
    assert s["residents"] == 335_000 and s["residents_unplaced"] == 5_000
    assert s["residents_per_centre"] == pytest.approx(335_000 / 4)
    assert s["share_residents_within_15min"] == pytest.approx(pc[covered].sum() / pc.sum(), abs=1e-6)
    assert s["share_land_within_15min"] == pytest.approx(covered.mean(), abs=1e-6)
    assert s["centres_over_100k"] == 2
    assert s["units_source"].startswith("population layer")
    assert "310万" in s["plan_text"] and "3~10万" in s["garbled_number_note"]
    assert s["walk_minutes"] == 15 and s["walk_distance_m"] == 1500
    assert any("off" in w or "150 m" in w for w in s["warnings"])
    unc = result.layers["uncovered_cells"]
    assert len(unc) == (~covered).sum()
    assert unc["residents"].sum() == pytest.approx(pc[~covered].sum(), rel=1e-9)
    assert set(unc["unit_name"]) == {"Dongcun"}


def test_study_area_as_one_unit(study, reference):
    pc = reference["per_cell"]
    res = Residents(per_cell=pc, source="estimate: test", is_estimate=True)
    r = clinics_per_community(study, STD, residents=res)
    assert r.summary["units_source"].startswith("study area")
    u = r.tables["units"]
    assert u["unit_name"].tolist() == ["study area"]
    assert u["centres_inside"].tolist() == [4]
    assert u["residents"].iloc[0] == pytest.approx(330_000)
    assert u["residents_source"].iloc[0].startswith("estimate")
    assert u["required_centres"].tolist() == [4]  # ceil(330,000 / 100,000)
    assert u["passes_count"].tolist() == [True]
    assert u["passes_reach"].tolist() == [bool(u["share_residents_within_15min"].iloc[0] >= 1 - 1e-12)]


def test_estimated_residents_unit_without_land(study, reference):
    res = Residents(per_cell=reference["per_cell"], source="estimate: test", is_estimate=True)
    r = clinics_per_community(study, STD, residents=res, units=grouping_for(study, _units(with_pop=False), kind="units"))
    u = r.tables["units"].set_index("unit_name")
    assert u.loc["Beigang", "residents"] == 0
    assert pd.isna(u.loc["Beigang", "share_residents_within_15min"])
    assert u.loc["Xiyuan", "residents"] == pytest.approx(250_000)
    assert r.summary["units_source"] == "units argument"
    assert r.summary["units_check"]["units_without_residential_land"] == ["Beigang"]


def test_given_unit_population_with_uneven_cell_residents(study, reference):
    # unit totals as given, but shares weighted by the residents of each cell (here growing with x)
    xy = reference["xy"]
    pc = 1.0 + xy[:, 0] / 100.0
    res = Residents(per_cell=pc, source="estimate: test", is_estimate=True)
    r = clinics_per_community(study, STD, residents=res, units=grouping_for(study, _units(), kind="units"))
    u = r.tables["units"].set_index("unit_name")
    sel = reference["unit"] == 2
    cov = reference["dist"].min(axis=1) <= WALK_M
    assert u.loc["Dongcun", "residents"] == 20_000 and u.loc["Dongcun", "residents_source"] == "given"
    want = pc[sel & cov].sum() / pc[sel].sum()
    assert u.loc["Dongcun", "share_residents_within_15min"] == pytest.approx(want, abs=1e-12)
    assert want != pytest.approx(cov[sel].mean(), abs=1e-3)  # differs from the land share


def test_no_centres(tmp_path):
    st = _study({})
    r = clinics_per_community(st, STD, units=grouping_for(st, _units(), kind="units"))
    u = r.tables["units"]
    assert not u["passes"].any()
    assert (u["centres_inside"] == 0).all() and (u["centres_reachable"] == 0).all()
    assert u["share_residents_within_15min"].iloc[:3].tolist() == [0.0, 0.0, 0.0]
    assert r.summary["share_residents_within_15min"] == 0.0
    assert r.summary["residents_per_centre"] is None
    assert any("no facilities of kind 'clinic'" in n for n in r.summary["notes"])
    assert len(r.layers["uncovered_cells"]) == len(st.demand)
    out = write_result(r, tmp_path, self_contained=False)
    assert json.loads(open(out["json"], encoding="utf-8").read())["centres"] == 0


def test_units_errors(study):
    bad = _units()
    bad["population"] = bad["population"].astype(object)
    bad.loc[2, "population"] = "about 2万"
    with pytest.raises(InputError, match=r"row 3 \(Dongcun\)"):
        grouping_for(study, bad, kind="units")
    with pytest.raises(InputError, match="no CRS"):
        grouping_for(study, _units().set_crs(None, allow_override=True), kind="units")


def test_read_population_path(tmp_path, study, result):
    units = _units().rename(columns={"unit_name": "name", "population": "人口"}).to_crs(4326)
    good = tmp_path / "communities.geojson"
    units.to_file(good, driver="GeoJSON")
    u = read_population(good, crs=study.crs)
    assert u["unit_name"].tolist() == [x[0] for x in UNITS]
    res = given_residents(study, u, source=f"given: {good} (人口)")
    r = clinics_per_community(study, STD, residents=res)
    cols = ["unit_name", "residents", "centres_inside", "centres_reachable", "share_residents_within_15min",
            "required_centres", "passes"]
    pd.testing.assert_frame_equal(r.tables["units"][cols], result.tables["units"][cols])
    bad_units = units.copy()
    bad_units["人口"] = bad_units["人口"].astype(object)
    bad_units.loc[1, "人口"] = "六万"
    bad = tmp_path / "bad.geojson"
    bad_units.to_file(bad, driver="GeoJSON")
    with pytest.raises(InputError, match=r"row 2 \(Zhongshan\)"):
        read_population(bad, crs=study.crs)


def test_map_and_write(result, tmp_path):
    out = write_result(result, tmp_path, self_contained=False)
    html = (tmp_path / "clinics.html").read_text(encoding="utf-8")
    assert "S-H-01" in html and "A-west" in html and "count test 2 of 4 units" in html and "reach test" in html
    m = result.make_map(lang="zh", basemap="none")
    assert "达标" in m.to_html(self_contained=False)
    assert {"gpkg", "csv:units", "csv:centres", "map", "json"} <= set(out)


# ------------------------------------------------------------------ real sample (Helsinki)


def test_helsinki(helsinki_study, tmp_path):
    st = helsinki_study
    r = clinics_per_community(st, STD)
    s = r.summary
    assert s["population_is_estimate"] and s["population_source"].startswith("estimate")
    assert s["units_count"] == 1 and s["units_source"].startswith("study area")
    assert [u["name"] for u in s["units"]] == ["study area"] and "units_check" not in s
    n_c = len(st.facilities_of("clinic"))
    assert n_c > 0 and s["centres"] == n_c == len(r.layers["centres"])
    u = r.tables["units"].iloc[0]
    assert u["required_centres"] == max(1, math.ceil(u["residents"] / 100_000 - 1e-9))
    assert u["passes_count"] == (u["centres_inside"] >= u["required_centres"])
    # S-H-01 passes only with both tests: the sample's clinics reach far fewer than all residents
    assert u["passes_reach"] == (u["share_residents_within_15min"] >= 1 - 1e-12)
    assert s["passes"] == (u["passes_count"] and u["passes_reach"])
    assert s["passes"] is False
    assert u["centres_inside"] == s["centres_in_area"]
    assert 0 <= s["share_residents_within_15min"] <= 1 and 0 <= s["share_land_within_15min"] <= 1
    c = r.tables["centres"]
    # nearest-centre catchments partition the residents within 15 min
    assert c["catchment_residents"].sum() == pytest.approx(s["share_residents_within_15min"] * u["residents"], rel=1e-5)
    assert (c["catchment_residents"] <= c["reachable_residents"] + 1e-6).all()
    assert (c["over_100k"] == (c["catchment_residents"] > 100_000)).all()
    unc = r.layers["uncovered_cells"]
    assert unc["area_m2"].sum() == pytest.approx((1 - s["share_land_within_15min"]) * s["residential_area_m2"], rel=1e-4, abs=1)
    # two halves as units: figures add up
    x = shapely.centroid(st.area).x
    x0, y0, x1, y1 = st.area.bounds
    halves = gpd.GeoDataFrame({"name": ["west", "east"]},
                              geometry=[shapely.box(x0 - 1, y0 - 1, x, y1 + 1), shapely.box(x, y0 - 1, x1 + 1, y1 + 1)],
                              crs=st.crs)
    r2 = clinics_per_community(st, STD, units=grouping_for(st, halves, kind="units"))
    t = r2.tables["units"]
    assert t["centres_inside"].sum() == s["centres_in_area"]
    assert t["residents"].sum() == pytest.approx(u["residents"], rel=1e-9)
    assert t["residential_area_m2"].sum() == pytest.approx(s["residential_area_m2"], abs=1)
    out = write_result(r, tmp_path)
    for f in ("clinics.gpkg", "clinics_units.csv", "clinics_centres.csv", "clinics.json", "clinics.html"):
        assert (tmp_path / f).is_file(), f
    j = json.loads((tmp_path / "clinics.json").read_text(encoding="utf-8"))
    assert j["standard"] == "S-H-01" and j["outputs"]["map"] == "clinics.html"
    layers = set(gpd.list_layers(tmp_path / "clinics.gpkg")["name"])
    assert {"units", "centres"} <= layers
    assert out["json"].endswith("clinics.json")


def test_names_follow_the_minutes_and_the_cap_used(study, tmp_path):
    """With walk_minutes = 10 and a cap of 80,000 the keys say so (issue 14, item 10)."""
    from beichen_geo.standards import load_standards

    toml = tmp_path / "c.toml"
    toml.write_text("[clinics.walk_minutes]\nvalue = 10\nunit = \"min\"\nsource = \"test\"\n"
                    "[clinics.residents_per_centre_max]\nvalue = 80000\nunit = \"persons\"\nsource = \"test\"\n",
                    encoding="utf-8")
    std = load_standards(toml)
    r = clinics_per_community(study, std, units=grouping_for(study, _units(), kind="units"))
    s, u, c = r.summary, r.tables["units"], r.tables["centres"]
    assert s["keys"] == {"residents": "residents_within_10min", "share_residents": "share_residents_within_10min",
                         "share_land": "share_land_within_10min", "over_cap": "over_80k"}
    assert "share_residents_within_10min" in s and "share_residents_within_15min" not in s
    assert "residents_within_10min" in u and "residents_within_15min" not in u
    assert "over_80k" in c and "over_100k" not in c and "centres_over_80k" in s
    assert (c["over_80k"] == (c["catchment_residents"] > 80_000)).all()
