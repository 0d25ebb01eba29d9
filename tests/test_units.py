"""Every analysis broken down by units and zones (issue 15): closed forms, sums, geopandas, the CLI.

The synthetic study is ``conftest.grid_network(21)`` (2 km x 2 km, 100 m blocks, 6 km/h: one
minute is exactly 100 m). Its demand cells are 100 m squares centred on the street nodes with
x in 0..2,000 m and y in 500..1,500 m (21 columns x 11 rows), so every home stands on the
network and walking distances are Manhattan distances. Facilities stand on an edge 50 m from a
node, so no home is exactly at a tier's distance. Three units are the vertical strips
x < 650 m (West, 7 columns), 650-1,350 m (Centre, 7) and > 1,350 m (East, 7); their borders lie
half-way between columns, so every cell is in one unit and the answers are counts of columns.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from beichen_geo.analyses.circles import CircleSpec, living_circles
from beichen_geo.analyses.clinics import clinics_per_community
from beichen_geo.analyses.parks import park_coverage
from beichen_geo.analyses.tod import tod_station_areas
from beichen_geo.population import Residents
from beichen_geo.present import console
from beichen_geo.result import write_result
from beichen_geo.standards import load_standards
from beichen_geo.study import Study
from beichen_geo.units import grouping_for
from conftest import METRIC, X0, Y0, grid_network
from geo.engine import TravelTimeEngine
from geo.errors import InputError
from geo.snapping import snap_points

STD = load_standards()
XS = np.arange(0, 2001, 100)
YS = np.arange(500, 1501, 100)
STRIPS = [("West", -50, 650), ("Centre", 650, 1350), ("East", 1350, 2050)]
P5 = (1050.0, 1000.0)  # on the edge (1000, 1000)-(1100, 1000), 50 m from either node
P15 = (0.0, 1050.0)  # on the edge (0, 1000)-(0, 1100)
PARK = (1000.0, 0.0, 1100.0, 2000.0)  # outline on the streets x = 1,000 and x = 1,100


def _xy() -> np.ndarray:
    xs, ys = np.meshgrid(XS, YS)
    return np.column_stack([xs.ravel(), ys.ravel()]).astype(float)


def _pop(xy: np.ndarray) -> np.ndarray:
    """Residents per cell, uneven so that shares of residents differ from shares of land."""
    return (1.0 + xy[:, 0] / 100.0) * (1.0 + (xy[:, 1] - 500.0) / 1000.0)


def _study(facilities: list[tuple[str, shapely.Geometry]]) -> Study:
    net = grid_network(21)
    xy = _xy()
    x, y = X0 + xy[:, 0], Y0 + xy[:, 1]
    cells = shapely.box(x - 50, y - 50, x + 50, y + 50)
    demand = gpd.GeoDataFrame({"parent": np.zeros(len(xy), dtype=np.int64), "cell": np.arange(len(xy)),
                               "area_m2": shapely.area(cells)}, geometry=cells, crs=METRIC)
    demand["point"] = gpd.GeoSeries(shapely.points(x, y), crs=METRIC)
    snap = snap_points(net, demand.set_geometry("point"), max_snap_m=150.0)
    fac = gpd.GeoDataFrame({"kind": [k for k, _ in facilities], "name": [f"{k} {i}" for i, (k, _) in
                                                                        enumerate(facilities)]},
                           geometry=[g for _, g in facilities], crs=METRIC)
    residential = gpd.GeoDataFrame({"res_source": ["test"]}, geometry=[shapely.union_all(cells)], crs=METRIC)
    return Study(net=net, engine=TravelTimeEngine(net), area=shapely.box(X0 - 50, Y0 - 50, X0 + 2050, Y0 + 2050),
                 facilities=fac, residential=residential, buildings=gpd.GeoDataFrame(geometry=[], crs=METRIC),
                 demand=demand, demand_snap=snap, source="synthetic grid", max_snap_m=150.0)


def _pt(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def _units(strips=STRIPS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [s[0] for s in strips]},
                            geometry=[shapely.box(X0 + a, Y0 - 50, X0 + b, Y0 + 2050) for _, a, b in strips],
                            crs=METRIC)


def _in_strip(xy: np.ndarray, a: float, b: float) -> np.ndarray:
    return (xy[:, 0] > a) & (xy[:, 0] < b)


@pytest.fixture(scope="module")
def circles_study() -> Study:
    """Every kind of the 5- and 30-min tiers at P5, every kind of the 15-min tier at P15."""
    v = STD.circle_variant("5-15-30")
    fac = []
    for t in v.tiers:
        where = P15 if float(t.minutes.value) == 15 else P5
        fac += [(k, _pt(*where)) for k in t.kinds]
    return _study(fac)


@pytest.fixture(scope="module")
def parks_study() -> Study:
    return _study([("park", shapely.box(X0 + PARK[0], Y0 + PARK[1], X0 + PARK[2], Y0 + PARK[3]))])


@pytest.fixture(scope="module")
def residents(circles_study) -> Residents:
    return Residents(per_cell=_pop(_xy()), source="given: test", is_estimate=False)


def _weighted(rows, share_key, weight_key):
    w = np.array([r[weight_key] for r in rows], dtype=float)
    v = np.array([r[share_key] for r in rows], dtype=float)
    return float((w * v).sum() / w.sum())


# ------------------------------------------------------------------ (a) closed forms on the grid


def test_circles_per_unit_shares_are_the_closed_form(circles_study, residents):
    g = grouping_for(circles_study, _units(), kind="units", residents=residents)
    r = living_circles(circles_study, STD, variant="5-15-30", residents=residents, units=g)
    xy, pop = _xy(), _pop(_xy())
    # walk metres from each home to P5 / P15: Manhattan distance to the nearer end node + 50 m
    d5 = np.minimum(np.abs(xy[:, 0] - 1000), np.abs(xy[:, 0] - 1100)) + np.abs(xy[:, 1] - 1000) + 50
    d15 = np.abs(xy[:, 0]) + np.minimum(np.abs(xy[:, 1] - 1000), np.abs(xy[:, 1] - 1100)) + 50
    met = {5.0: d5 <= 500, 15.0: d15 <= 1500, 30.0: d5 <= 3000}
    rows = {u["name"]: u for u in r.summary["units"]}
    assert list(rows) == ["West", "Centre", "East"]
    for name, a, b in STRIPS:
        sel = _in_strip(xy, a, b)
        u = rows[name]
        assert u["demand_cells"] == 77 and u["residential_area_m2"] == pytest.approx(770_000)
        assert u["residents"] == pytest.approx(pop[sel].sum(), abs=0.1)
        for t in u["tiers"]:
            m = met[t["minutes"]][sel]
            assert t["covered_share_land"] == pytest.approx(m.mean(), abs=1e-6), (name, t["minutes"])
            assert t["covered_share_residents"] == pytest.approx(pop[sel][m].sum() / pop[sel].sum(), abs=1e-6)
            assert t["passes"] is bool(m.all())
            # every kind of the tier stands at one point: each kind's share is the tier's
            for k, c in t["kinds_coverage"].items():
                assert c["covered_share_land"] == pytest.approx(m.mean(), abs=1e-6), k
        both = met[5.0][sel] & met[15.0][sel]
        assert u["all_tiers_share_land"] == pytest.approx(both.mean(), abs=1e-6)
        assert u["passes"] is False  # the 5-min tier fails everywhere
    # hand counts: within 5 min of P5 are West's (600, 1000) only (400 + 50 m) and a diamond of 3+5+7+9+9+7+5
    # homes in Centre; within 15 min of P15 only East's (1400, 1000) and (1400, 1100)
    assert rows["West"]["tiers"][0]["covered_share_land"] == pytest.approx(1 / 77, abs=1e-6)
    assert rows["Centre"]["tiers"][0]["covered_share_land"] == pytest.approx(45 / 77, abs=1e-6)
    assert rows["East"]["tiers"][1]["covered_share_land"] == pytest.approx(2 / 77, abs=1e-6)
    assert rows["East"]["tiers"][1]["covered_share_land"] == pytest.approx(
        (d15[_in_strip(xy, 1350, 2050)] <= 1500).mean(), abs=1e-6)
    assert 0 < rows["East"]["tiers"][1]["covered_share_land"] < 1
    # a failing tier says why, for the unit: only part of the land reaches the kinds within 5 min
    reasons = rows["Centre"]["tiers"][0]["reasons"]
    assert {x["code"] for x in reasons} == {"beyond_minutes"}
    assert reasons[0]["covered_share_land"] == pytest.approx(45 / 77, abs=1e-4)
    assert rows["West"]["tiers"][2]["passes"] is True and rows["West"]["tiers"][2]["reasons"] == []


def test_parks_per_unit_shares_are_the_closed_form(parks_study, residents):
    g = grouping_for(parks_study, _units(), kind="units", residents=residents)
    r = park_coverage(parks_study, STD, residents=residents, units=g)
    xy, pop = _xy(), _pop(_xy())
    x = xy[:, 0]
    # straight line: the 500 m buffer of the park strip is 500 <= x <= 1,600 m (cells at 500 and 1,600 half in)
    frac = np.clip((np.minimum(x + 50, 1600) - np.maximum(x - 50, 500)) / 100, 0, 1)
    # along the streets: 1,000 - x west of the park, x - 1,100 east of it
    walk = np.where(x <= 1000, 1000 - x, np.maximum(x - 1100, 0))
    net = walk <= 500
    rows = {u["name"]: u for u in r.summary["units"]}
    want_euc = {"West": 1.5 / 7, "Centre": 1.0, "East": 2.5 / 7}
    want_net = {"West": 2 / 7, "Centre": 1.0, "East": 3 / 7}
    for name, a, b in STRIPS:
        sel = _in_strip(xy, a, b)
        u = rows[name]
        assert u["covered_share_euclidean"] == pytest.approx(want_euc[name], abs=1e-6)
        assert u["covered_share_euclidean"] == pytest.approx(frac[sel].mean(), abs=1e-6)
        assert u["covered_share_network"] == pytest.approx(want_net[name], abs=1e-6)
        assert u["covered_share_network"] == pytest.approx(net[sel].mean(), abs=1e-6)
        w = pop[sel]
        assert u["covered_share_residents_euclidean"] == pytest.approx((w * frac[sel]).sum() / w.sum(), abs=1e-6)
        assert u["covered_share_residents_network"] == pytest.approx(w[net[sel]].sum() / w.sum(), abs=1e-6)
        assert u["uncovered_area_m2_euclidean"] == pytest.approx(((1 - frac[sel]) * 10_000).sum(), abs=0.1)
        assert u["uncovered_area_m2_network"] == pytest.approx((~net[sel]).sum() * 10_000, abs=0.1)
        assert u["passes"] is (name == "Centre") and u["passes_network"] is (name == "Centre")
    assert rows["Centre"]["reasons"] == []
    beyond = rows["West"]["reasons"]
    assert beyond == [{"code": "beyond_distance", "kind": "park", "distance_m": 500.0, "method": "euclidean",
                       "covered_share_land": round(1.5 / 7, 4)}]
    # the whole area is the same figure on every cell: 11/21 straight line, 12/21 along the streets
    assert r.summary["covered_share_euclidean"] == pytest.approx(11 / 21, abs=1e-6)
    assert r.summary["covered_share_network"] == pytest.approx(12 / 21, abs=1e-6)


# ------------------------------------------------------------------ (b) units add up to the whole area


def _tod_clinic_study() -> Study:
    return _study([("station", _pt(*P5)), ("station", _pt(1850.0, 600.0)), ("clinic", _pt(*P15)),
                   ("clinic", _pt(1550.0, 1500.0))])


@pytest.mark.parametrize("analysis", ["circles", "parks", "tod", "clinics"])
def test_weighted_means_of_units_equal_the_whole_area_on_the_grid(analysis, circles_study, parks_study, residents):
    strips = [("a", -50, 350), ("b", 350, 950), ("c", 950, 1050), ("d", 1050, 2050)]  # uneven units
    study = {"circles": circles_study, "parks": parks_study}.get(analysis) or _tod_clinic_study()
    g = grouping_for(study, _units(strips), kind="units", residents=residents)
    fn = {"circles": living_circles, "parks": park_coverage, "tod": tod_station_areas,
          "clinics": clinics_per_community}[analysis]
    s = fn(study, STD, residents=residents, units=g).summary
    _assert_units_add_up(analysis, s, n_cells=len(study.demand))


def _assert_units_add_up(analysis: str, s: dict, *, n_cells: int) -> None:
    rows = s["units"]
    assert sum(r["residential_area_m2"] for r in rows) == pytest.approx(s["residential_area_m2"], abs=0.5)
    assert sum(r["demand_cells"] for r in rows) == n_cells
    land, res = "residential_area_m2", "residents"
    if analysis == "circles":
        for i, t in enumerate(s["tiers"]):
            sub = [{**r, "x": r["tiers"][i]["covered_share_land"], "y": r["tiers"][i]["covered_share_residents"]}
                   for r in rows]
            assert _weighted(sub, "x", land) == pytest.approx(t["covered_share_land"], abs=1e-5)
            assert _weighted(sub, "y", res) == pytest.approx(t["covered_share_residents"], abs=1e-5)
            for k, c in t["kinds_coverage"].items():
                sub = [{**r, "x": r["tiers"][i]["kinds_coverage"][k]["covered_share_land"]} for r in rows]
                assert _weighted(sub, "x", land) == pytest.approx(c["covered_share_land"], abs=1e-5)
        assert _weighted(rows, "all_tiers_share_land", land) == pytest.approx(s["all_tiers_share_land"], abs=1e-5)
        assert _weighted(rows, "all_tiers_share_residents", res) == pytest.approx(s["all_tiers_share_residents"],
                                                                                  abs=1e-5)
    elif analysis == "parks":
        for m in ("euclidean", "network"):
            assert _weighted(rows, f"covered_share_{m}", land) == pytest.approx(s[f"covered_share_{m}"], abs=1e-5)
            assert _weighted(rows, f"covered_share_residents_{m}", res) == pytest.approx(
                s[f"covered_share_residents_{m}"], abs=1e-5)
            assert sum(r[f"uncovered_area_m2_{m}"] for r in rows) == pytest.approx(s[f"uncovered_area_m2_{m}"],
                                                                                  abs=0.5)
    elif analysis == "tod":
        for v, vd in s["variants"].items():
            for band, whole in vd["bands"].items():
                sub = [{**r, **r["variants"][v]["bands"][band]} for r in rows]
                assert sum(x["residential_land_in_any_m2"] for x in sub) == pytest.approx(
                    whole["residential_land_in_any_m2"], abs=0.5)
                assert sum(x["residents_in_any"] for x in sub) == pytest.approx(whole["residents_in_any"], abs=0.5)
                assert sum(x["demand_cells_in_any"] for x in sub) == whole["demand_cells_in_any"]
                assert _weighted(sub, "share_of_residential_land", land) == pytest.approx(
                    whole["share_of_residential_land"], abs=1e-5)
                assert _weighted(sub, "share_of_residents", res) == pytest.approx(whole["share_of_residents"],
                                                                                  abs=1e-5)
                # a unit whose homes some station reaches names it; one that none reaches names none
                for x in sub:
                    assert bool(x["stations_reaching"]) == (x["demand_cells_in_any"] > 0)
    else:
        keys = s["keys"]
        assert _weighted(rows, keys["share_land"], land) == pytest.approx(s[keys["share_land"]], abs=1e-5)
        assert _weighted(rows, keys["share_residents"], res) == pytest.approx(s[keys["share_residents"]], abs=1e-5)


def test_no_residential_land_gives_null_shares_and_passes_never_dropped(circles_study, residents):
    strips = [*STRIPS, ("Nowhere", 3000, 3500)]
    g = grouping_for(circles_study, _units(strips), kind="units", residents=residents)
    s = living_circles(circles_study, STD, residents=residents, units=g).summary
    nowhere = s["units"][-1]
    assert nowhere["name"] == "Nowhere" and nowhere["demand_cells"] == 0 and nowhere["residential_area_m2"] == 0
    assert nowhere["passes"] is None and nowhere["all_tiers_share_land"] is None
    assert all(t["covered_share_land"] is None and t["passes"] is None and t["reasons"] == []
               for t in nowhere["tiers"])
    assert s["units_check"]["units_without_residential_land"] == ["Nowhere"]
    assert any("Nowhere" in w and "no residential land" in w for w in s["warnings"])
    p = park_coverage(circles_study, STD, residents=residents, units=g).summary["units"][-1]
    assert p["covered_share_euclidean"] is None and p["passes"] is None and p["reasons"] == []


# ------------------------------------------------------------------ (d) the check


def test_check_counts_and_names_overlaps_gaps_empty_units_and_duplicate_names(circles_study, residents):
    layer = _units([("A", -50, 650), ("B", 550, 1350), ("A", 1350, 1750), ("Empty", 3000, 3500)])
    g = grouping_for(circles_study, layer, kind="units", residents=residents, source="units.gpkg")
    xy, pop = _xy(), _pop(_xy())
    assert g.names == ["A", "B", "A (2)", "Empty"]
    c = g.check
    assert c["units"] == 4 and c["source"] == "units.gpkg" and "covers its demand point" in c["rule"]
    # A and B overlap on 550-650 m over the full 2,100 m height; B and A (2) only share a border
    assert c["overlaps"] == [{"a": "A", "b": "B", "area_m2": pytest.approx(210_000)}]
    assert c["overlaps_count"] == 1 and c["overlap_area_m2"] == pytest.approx(210_000)
    # the column x = 600 lies in both: it counts for A, the first in file order
    assert (g.cell_unit[xy[:, 0] == 600] == 0).all()
    assert np.bincount(g.cell_unit[g.cell_unit >= 0], minlength=4).tolist() == [77, 77, 44, 0]
    gap = xy[:, 0] >= 1800  # x = 1,800..2,000: in no unit
    assert c["cells_outside_units"] == int(gap.sum()) == 33
    assert c["residential_area_m2_outside_units"] == pytest.approx(330_000)
    assert c["residents_outside_units"] == pytest.approx(pop[gap].sum(), abs=0.1)
    assert c["units_without_residential_land"] == ["Empty"]
    assert c["duplicate_names"] == ["A"]
    s = living_circles(circles_study, STD, residents=residents, units=g).summary
    warned = " | ".join(s["warnings"])
    for words in ("'A' and 'B'", "33 demand cells", "'Empty'", "more than once ('A')"):
        assert words in warned, words
    assert [u["name"] for u in s["units"]] == ["A", "B", "A (2)", "Empty"]
    # units do not add up to the whole area here: 33 cells lie in no unit, and they are said to
    assert sum(u["demand_cells"] for u in s["units"]) + c["cells_outside_units"] == s["demand_cells"]


def test_a_border_point_belongs_to_exactly_one_unit(circles_study):
    # two units sharing the border x = 1,000 m, on which a column of demand points lies
    layer = _units([("left", -50, 1000), ("right", 1000, 2050)])
    g = grouping_for(circles_study, layer, kind="units")
    col = _xy()[:, 0] == 1000
    assert (g.cell_unit[col] == 0).all()  # covered by both: the first in file order
    g2 = grouping_for(circles_study, layer.iloc[::-1], kind="units")
    assert (g2.cell_unit[col] == 0).all() and g2.names[0] == "right"
    assert (g.cell_unit >= 0).all() and g.check["overlaps_count"] == 0


def test_grouping_refuses_bad_layers(circles_study):
    with pytest.raises(InputError, match="no unit-name column"):
        grouping_for(circles_study, _units().rename(columns={"name": "label"}), kind="units")
    with pytest.raises(InputError, match="no name column 'zone'") as e:
        grouping_for(circles_study, _units(), kind="zones", name_col="zone")
    assert e.value.option == "zones_name_col"
    pts = gpd.GeoDataFrame({"name": ["p"]}, geometry=[_pt(0, 0)], crs=METRIC)
    with pytest.raises(InputError, match="holds no polygons"):
        grouping_for(circles_study, pts, kind="units")
    mixed = pd.concat([_units(), pts], ignore_index=True)
    with pytest.raises(InputError, match="row 4 is a Point"):
        grouping_for(circles_study, gpd.GeoDataFrame(mixed, crs=METRIC), kind="units")
    with pytest.raises(InputError, match="kind must be one of"):
        grouping_for(circles_study, _units(), kind="districts")
    g = grouping_for(circles_study, _units(), kind="zones")
    with pytest.raises(InputError, match="kind 'zones'"):
        living_circles(circles_study, STD, units=g)
    other = _study([("park", _pt(0, 0))])
    other.demand = other.demand.iloc[:10]
    with pytest.raises(InputError, match="built for 231 demand cells"):
        park_coverage(other, STD, units=grouping_for(circles_study, _units(), kind="units"))


def test_units_table_layer_csv_and_console(tmp_path, circles_study, residents):
    strips = [("=1+1", -50, 350), ("<b>b</b>", 350, 650), ("c", 650, 950), ("d", 950, 1250), ("e", 1250, 1550),
              ("f", 1550, 1850), ("g", 1850, 2050)]
    g = grouping_for(circles_study, _units(strips), kind="units", residents=residents)
    z = grouping_for(circles_study, _units(STRIPS[:2]), kind="zones", residents=residents)
    r = living_circles(circles_study, STD, residents=residents, units=g, zones=z)
    t = r.tables["units"]
    assert t["name"].tolist() == [s[0] for s in strips]
    for col in ("tier_5min_covered_share_land", "tier_15min_covered_share_residents", "tier_15min_passes",
                "tier_5min_kindergarten_covered_share_land", "all_tiers_share_land", "passes", "reasons"):
        assert col in t, col
    assert t["tier_5min_covered_share_land"].tolist() == [u["tiers"][0]["covered_share_land"]
                                                          for u in r.summary["units"]]
    assert r.summary["zones_check"]["cells_outside_units"] == 77  # East is in no zone
    out = write_result(r, tmp_path, self_contained=False)
    assert {"csv:units", "csv:zones"} <= set(out)
    csv = (tmp_path / "circles_units.csv").read_text(encoding="utf-8-sig")
    assert "\n'=1+1," in csv.replace("\r\n", "\n")  # never a formula in a spreadsheet
    layers = gpd.read_file(tmp_path / "circles.gpkg", layer="units")
    assert len(layers) == 7 and layers.geometry.geom_type.eq("Polygon").all()
    assert len(gpd.read_file(tmp_path / "circles.gpkg", layer="zones")) == 2
    j = json.loads((tmp_path / "circles.json").read_text(encoding="utf-8"))
    assert j["units"][0]["name"] == "=1+1" and j["units_check"]["units"] == 7
    html = (tmp_path / "circles.html").read_text(encoding="utf-8")
    assert "Units: land meeting every tier" in html
    lines = console.lines("circles", j)
    unit_line = next(x for x in lines if x.strip().startswith("units:"))
    shares = [u["all_tiers_share_land"] for u in j["units"]]
    assert unit_line.strip().startswith(f"units: 0 of 7 pass; failing: =1+1 ({shares[0]:.1%}), <b>b</b> "
                                        f"({shares[1]:.1%}), c ({shares[2]:.1%})")
    assert "(+2 more)" in unit_line and " f (" not in unit_line
    assert any(x.strip().startswith("zones: 0 of 2 pass") for x in lines)


def test_clinics_rows_for_zones_and_units(residents):
    study = _tod_clinic_study()
    u = grouping_for(study, _units(), kind="units", residents=residents)
    z = grouping_for(study, _units([("in", -50, 1050), ("out", 1050, 2050)]), kind="zones", residents=residents)
    r = clinics_per_community(study, STD, residents=residents, units=u, zones=z)
    s = r.summary
    assert [x["name"] for x in s["units"]] == ["West", "Centre", "East"] and s["units_count"] == 3
    assert "units_check" in s and "zones_check" in s
    zr = {x["name"]: x for x in s["zones"]}
    xy, pop = _xy(), _pop(_xy())
    d = np.minimum(np.abs(xy[:, 0]) + np.minimum(np.abs(xy[:, 1] - 1000), np.abs(xy[:, 1] - 1100)) + 50,
                   np.minimum(np.abs(xy[:, 0] - 1500), np.abs(xy[:, 0] - 1600)) + np.abs(xy[:, 1] - 1500) + 50)
    within = d <= 1500
    for name, a, b in [("in", -50, 1050), ("out", 1050, 2050)]:
        sel = _in_strip(xy, a, b)
        assert zr[name]["share_land_within_15min"] == pytest.approx(within[sel].mean(), abs=1e-6)
        assert zr[name]["share_residents_within_15min"] == pytest.approx(pop[sel & within].sum() / pop[sel].sum(),
                                                                         abs=1e-6)
        assert zr[name]["centres_inside"] == 1
    # the centres reachable from a zone: those within 15 min of one of its homes
    assert zr["in"]["centres_reachable"] == 2 and zr["out"]["centres_reachable"] == 2
    assert r.tables["zones"]["name"].tolist() == ["in", "out"]
    for row, words in zip(s["zones"], r.tables["zones"]["reasons"], strict=True):
        beyond = [x for x in row["reasons"] if x["code"] == "residents_beyond_minutes"]
        assert bool(beyond) == (row["share_residents_within_15min"] < 1)
        if beyond:
            assert f"only {beyond[0]['covered_share_residents']:.1%} of residents reach clinic within 15 min" in words
    assert len(r.layers["zones"]) == 2
    html = r.make_map(lang="zh", basemap="none").to_html(self_contained=False)
    assert "分区" in html


# ------------------------------------------------------------------ (c), (e) the Helsinki extract, end to end


@pytest.fixture(scope="module")
def helsinki_units(helsinki_study, tmp_path_factory):
    """Three made-up units (strips) and two zones (a box and the rest) in the study CRS, with borders on
    the 50 m grid of the demand cells, so that no cell straddles a border; and one demo run with them."""
    from conftest import refuse_network

    from beichen_geo.cli import run

    st = helsinki_study
    x0, y0, x1, y1 = st.area.bounds
    f = lambda v: float(np.floor(v / 50) * 50)  # noqa: E731
    X0_, Y0_, X1_, Y1_ = f(x0) - 100, f(y0) - 100, f(x1) + 150, f(y1) + 150
    xs = [X0_, f(X0_ + (X1_ - X0_) / 3), f(X0_ + 2 * (X1_ - X0_) / 3), X1_]
    units = gpd.GeoDataFrame({"名称": ["West", "=1+1", "East"]},
                             geometry=[shapely.box(xs[i], Y0_, xs[i + 1], Y1_) for i in range(3)], crs=st.crs)
    cx, cy = f((X0_ + X1_) / 2), f((Y0_ + Y1_) / 2)
    inner = shapely.box(cx - 400, cy - 400, cx + 400, cy + 400)
    zones = gpd.GeoDataFrame({"zone": ["inside", "outside"]},
                             geometry=[inner, shapely.box(X0_, Y0_, X1_, Y1_).difference(inner)], crs=st.crs)
    d = tmp_path_factory.mktemp("helsinki_units")
    units.to_file(d / "units.gpkg")
    zones.to_file(d / "zones.gpkg")
    out = d / "out"
    with pytest.MonkeyPatch.context() as mp:
        refuse_network(mp)
        summaries = run(["demo", "--quick", "--units", str(d / "units.gpkg"), "--zones", str(d / "zones.gpkg"),
                         "--zones-name-col", "zone", "--out", str(out), "--quiet", "--no-self-contained"])
    return {"units": units, "zones": zones, "out": out, "summaries": summaries, "dir": d}


def _points_in(layer: gpd.GeoDataFrame, polys: gpd.GeoDataFrame, name_col: str) -> pd.Series:
    """The unit of each cell by its demand point (geopandas: representative point, sjoin covered_by)."""
    pts = gpd.GeoDataFrame(geometry=layer.geometry.representative_point(), crs=layer.crs)
    j = gpd.sjoin(pts, polys[[name_col, "geometry"]], predicate="covered_by", how="left")
    j = j[~j.index.duplicated(keep="first")]
    return j[name_col].reindex(layer.index)


def test_helsinki_outputs_exist_and_units_add_up(helsinki_units):
    out, sums = helsinki_units["out"], helsinki_units["summaries"]
    n_cells = sums["circles"]["demand_cells"]
    for name in ("circles", "parks", "tod", "clinics"):
        for kind in ("units", "zones"):
            assert (out / f"{name}_{kind}.csv").is_file(), (name, kind)
        s = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert [u["name"] for u in s["units"]] == ["West", "=1+1", "East"]
        assert [u["name"] for u in s["zones"]] == ["inside", "outside"]
        assert s["units_check"]["cells_outside_units"] == 0 and s["units_check"]["source"] == "units.gpkg"
        assert {"units", "zones"} <= set(gpd.list_layers(out / f"{name}.gpkg")["name"])
        assert (out / f"{name}.html").is_file()
        for kind in ("units", "zones"):
            _assert_units_add_up(name, {**s, "units": s[kind]}, n_cells=n_cells)
        assert s["run_id"] == sums[name]["run_id"] and s["units"] == sums[name]["units"]


def test_helsinki_units_equal_an_independent_geopandas_computation(helsinki_units, helsinki_study):
    out, units = helsinki_units["out"], helsinki_units["units"]
    res_land = gpd.GeoDataFrame(geometry=[helsinki_study.residential.union_all()], crs=helsinki_study.crs)
    unit_land = gpd.overlay(res_land, units, how="intersection")
    land_of = unit_land.dissolve("名称").area
    # circles: cells by demand point, shares of land and residents meeting each tier
    circ = json.loads((out / "circles.json").read_text(encoding="utf-8"))
    cells = gpd.read_file(out / "circles.gpkg", layer="demand_cells")
    cells["unit"] = _points_in(cells, units, "名称")
    assert cells["unit"].notna().all()
    for u in circ["units"]:
        c = cells.loc[cells["unit"] == u["name"]]
        assert u["residential_area_m2"] == pytest.approx(land_of[u["name"]], abs=0.5)
        assert u["residential_area_m2"] == pytest.approx(c["area_m2"].sum(), abs=0.5)
        for t in u["tiers"]:
            met = c[f"meets_{t['tier']}"].astype(bool)
            assert t["covered_share_land"] == pytest.approx(c.loc[met, "area_m2"].sum() / c["area_m2"].sum(),
                                                            abs=1e-6)
            assert t["covered_share_residents"] == pytest.approx(
                c.loc[met, "residents"].sum() / c["residents"].sum(), abs=1e-6)
    # parks: residential land ∩ unit ∩ straight-line buffer, by overlay; the network share by demand point
    parks = json.loads((out / "parks.json").read_text(encoding="utf-8"))
    buf = gpd.read_file(out / "parks.gpkg", layer="buffer")
    inside = gpd.overlay(unit_land, buf[["geometry"]], how="intersection").dissolve("名称").area
    pc = gpd.read_file(out / "parks.gpkg", layer="residential_cells")
    pc["unit"] = _points_in(pc, units, "名称")
    for u in parks["units"]:
        assert u["covered_share_euclidean"] == pytest.approx(inside.get(u["name"], 0.0) / land_of[u["name"]],
                                                             abs=1e-6)
        c = pc.loc[pc["unit"] == u["name"]]
        cov = c["network_covered"].astype(bool)
        assert u["covered_share_network"] == pytest.approx(c.loc[cov, "area_m2"].sum() / c["area_m2"].sum(),
                                                           abs=1e-6)
    # tod: residential land ∩ unit ∩ the union of the written catchments of each variant and band
    tod = json.loads((out / "tod.json").read_text(encoding="utf-8"))
    cat = gpd.read_file(out / "tod.gpkg", layer="catchments")
    for v, vd in tod["variants"].items():
        for band in ("inner", "outer"):
            union = cat.loc[(cat["variant"] == v) & (cat["band"] == band)].union_all()
            got = gpd.overlay(unit_land, gpd.GeoDataFrame(geometry=[union], crs=cat.crs),
                              how="intersection").dissolve("名称").area
            for u in tod["units"]:
                b = u["variants"][v]["bands"][band]
                assert b["residential_land_in_any_m2"] == pytest.approx(got.get(u["name"], 0.0), abs=0.5), (v, band)
                assert b["share_of_residential_land"] == pytest.approx(got.get(u["name"], 0.0) / land_of[u["name"]],
                                                                       abs=1e-6)
    # clinics: the land beyond 15 min (written cells) by demand point
    cl = json.loads((out / "clinics.json").read_text(encoding="utf-8"))
    unc = gpd.read_file(out / "clinics.gpkg", layer="uncovered_cells")
    unc["unit"] = _points_in(unc, units, "名称")
    for u in cl["units"]:
        beyond = unc.loc[unc["unit"] == u["name"], "area_m2"].sum()
        assert u["share_land_within_15min"] == pytest.approx(1 - beyond / land_of[u["name"]], abs=1e-6)
    # the zones, by the same rule, through a polygon with a hole
    zc = json.loads((out / "circles.json").read_text(encoding="utf-8"))["zones"]
    cells["zone"] = _points_in(cells, helsinki_units["zones"], "zone")
    for z in zc:
        c = cells.loc[cells["zone"] == z["name"]]
        assert z["demand_cells"] == len(c)
        assert z["all_tiers_share_land"] == pytest.approx(
            c.loc[c["meets_all_tiers"].astype(bool), "area_m2"].sum() / c["area_m2"].sum(), abs=1e-6)


def test_helsinki_units_csv_and_map_words(helsinki_units):
    out = helsinki_units["out"]
    csv = (out / "parks_units.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv[0].startswith("name,residential_area_m2,residents,demand_cells,covered_share_euclidean")
    assert csv[2].startswith("'=1+1,")
    html = (out / "tod.html").read_text(encoding="utf-8")
    assert "Units: residents within 15 min of a station" in html and "Zones:" in html


def test_cli_refuses_bad_units_files_with_one_line(helsinki_units, capsys):
    from beichen_geo.cli import main

    d = helsinki_units["dir"]
    pts = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(24.94, 60.17)], crs=4326)
    pts.to_file(d / "points.geojson", driver="GeoJSON")
    cases = [
        (["parks", "--units", str(d / "points.geojson")], "holds no polygons"),
        (["parks", "--units", str(d / "units.gpkg"), "--name-col", "nope"], "no name column 'nope'"),
        (["parks", "--zones", str(d / "zones.gpkg")], "no unit-name column found"),
        (["gaps", "--kind", "clinic", "--zones", str(d / "zones.gpkg")], "gives no figures per zone"),
        (["stations", "--units", str(d / "units.gpkg")], "gives no figures per unit"),
        (["parks", "--zones-name-col", "zone"], "give --zones too"),
    ]
    for argv, words in cases:
        capsys.readouterr()
        assert main([*argv, "--out", str(d / "bad"), "--quiet"]) == 2, argv
        err = [x for x in capsys.readouterr().err.splitlines() if x.startswith("beichen-geo: error")]
        assert len(err) == 1 and words in err[0], (argv, err)
    assert "(command line: --name-col NAME)" in _last_error(capsys, d, ["parks", "--units", str(d / "units.gpkg"),
                                                                        "--name-col", "nope"])


def _last_error(capsys, d, argv) -> str:
    from beichen_geo.cli import main

    capsys.readouterr()
    main([*argv, "--out", str(d / "bad"), "--quiet"])
    return [x for x in capsys.readouterr().err.splitlines() if x.startswith("beichen-geo: error")][-1]


def test_units_population_column_gives_the_residents(helsinki_units, tmp_path):
    from beichen_geo.cli import run

    units = helsinki_units["units"].assign(人口=[3000, 2000, 1000])
    units.to_file(tmp_path / "u.gpkg")
    s = run(["parks", "--units", str(tmp_path / "u.gpkg"), "--out", str(tmp_path / "o"), "--quiet"])["parks"]
    assert s["population_source"].startswith("given: ") and "u.gpkg" in s["population_source"]
    got = {u["name"]: u["residents"] for u in s["units"]}
    # each unit's population is spread over its own cells, whole (every unit holds residential land)
    assert got == pytest.approx({"West": 3000, "=1+1": 2000, "East": 1000}, abs=0.5)
