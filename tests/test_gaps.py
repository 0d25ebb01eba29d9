"""Gap analysis: a synthetic grid with known gaps and known best sites, and the embedded sample."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

from conftest import METRIC, X0, Y0, grid_network
from geo.errors import InputError
from geo.demand import share
from geo.snapping import snap_points
from beichen_geo.analyses.gaps import gap_analysis, verify_after
from beichen_geo.population import Residents
from beichen_geo.standards import load_standards
from beichen_geo.study import study_from_frames
from nxref import nearest_minutes, reference_graph


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def pt(x, y):
    return shapely.Point(X0 + x, Y0 + y)


@pytest.fixture(scope="module")
def standards():
    return load_standards()


# A: covered by the existing clinic at (200, 200); B (200 x 200 m) and C (100 x 100 m) are far
# away. At 6 km/h one minute is 100 m; the standard here is 5 min (500 m).
A, B, C = box(100, 100, 400, 400), box(1500, 1500, 1700, 1700), box(1500, 200, 1600, 300)
PLANNER = [("P1 centre of B", pt(1600, 1600)), ("P2 next to C", pt(1550, 250)), ("P3 nowhere", pt(1000, 1000))]


@pytest.fixture(scope="module")
def grid_study():
    net = grid_network(21, 100.0, speed_kmh=6.0)
    fac = gpd.GeoDataFrame({"kind": ["clinic"], "name": ["existing"]}, geometry=[pt(200, 200)], crs=METRIC)
    res = gpd.GeoDataFrame(geometry=[A, B, C], crs=METRIC)
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 2000, 2000)], crs=METRIC)
    return study_from_frames(net, fac, res, area=area, cell_m=50.0)


@pytest.fixture(scope="module")
def grid_residents(grid_study):
    # 1 resident per 100 m2 on A and B, 10 per 100 m2 on C: C has 1,000 residents, B 400
    pts = grid_study.demand["point"].to_numpy()
    dense = shapely.contains(C, pts)
    per = grid_study.demand["area_m2"].to_numpy() / 100.0 * np.where(dense, 10.0, 1.0)
    return Residents(per_cell=per, source="given: test", is_estimate=False)


def _planner():
    return gpd.GeoDataFrame({"name": [n for n, _ in PLANNER]}, geometry=[g for _, g in PLANNER], crs=METRIC)


def _ref_minutes(study, geoms):
    """networkx on split edges: minutes from each demand cell to the nearest of `geoms`."""
    fs = snap_points(study.net, gpd.GeoDataFrame(geometry=geoms, crs=METRIC), warn=False)
    G = reference_graph(study.net, {"f": fs, "h": study.demand_snap})
    return nearest_minutes(G, [("f", i) for i in range(len(fs))], [("h", i) for i in range(len(study.demand_snap))])


def test_known_gap_and_best_site_by_land_and_by_residents(grid_study, grid_residents, standards):
    s = grid_study
    area = s.demand["area_m2"].to_numpy()
    inside = lambda g: shapely.contains(g, s.demand["point"].to_numpy())  # noqa: E731
    before = _ref_minutes(s, [pt(200, 200)]) <= 5 + 1e-9
    assert before[inside(A)].all() and not before[inside(B) | inside(C)].any()

    r = gap_analysis(s, standards, kind="clinic", minutes=5, n_new=1, candidates=_planner(), method="exact",
                     objective="land", residents=grid_residents)
    sm = r.summary
    assert sm["before"]["covered_share_land"] == pytest.approx(90_000 / 140_000, abs=1e-6)
    # two gap areas, largest first, with their land and residents
    areas = r.layers["gap_areas"]
    assert areas["area_m2"].tolist() == pytest.approx([40_000.0, 10_000.0])
    assert areas["residents"].tolist() == pytest.approx([400.0, 1000.0])
    assert areas.geometry.iloc[0].equals_exact(B, 1e-6) or areas.geometry.iloc[0].symmetric_difference(B).area < 1e-6
    # by land, the best single site is the centre of B: gains all of B
    sites = r.layers["proposed_sites"]
    assert sites["name"].tolist() == ["P1 centre of B"]
    assert sites["gain_area_m2"].iloc[0] == pytest.approx(40_000.0) and sites["gain_residents"].iloc[0] == pytest.approx(400.0)
    after_ref = before | (_ref_minutes(s, [pt(1600, 1600)]) <= 5 + 1e-9)
    assert sm["after"]["covered_share_land"] == pytest.approx(share(area, after_ref), abs=1e-6)
    assert sm["after"]["covered_share_land"] == pytest.approx(130_000 / 140_000, abs=1e-6)
    assert verify_after(s, standards, r) == pytest.approx(sm["after"]["covered_share_land"], abs=5e-7)

    # by residents the dense small gap C wins
    r2 = gap_analysis(s, standards, kind="clinic", minutes=5, n_new=1, candidates=_planner(), method="greedy",
                      residents=grid_residents)
    assert r2.summary["objective"] == "residents"
    assert r2.layers["proposed_sites"]["name"].tolist() == ["P2 next to C"]
    assert r2.summary["sites"][0]["gain_residents"] == pytest.approx(1000.0)

    # as many as needed: both gaps need a site; P3 reaches nothing and is never proposed
    r3 = gap_analysis(s, standards, kind="clinic", minutes=5, candidates=_planner(), method="exact", residents=grid_residents)
    assert r3.summary["objective"] == "land" and r3.summary["n_requested"] is None
    assert r3.layers["proposed_sites"]["name"].tolist() == ["P1 centre of B", "P2 next to C"]  # in order of gain
    assert r3.summary["after"]["covered_share_land"] == 1.0 and r3.summary["target_reached"] is True
    assert verify_after(s, standards, r3, measure="residents", residents=grid_residents) == pytest.approx(1.0)


def test_generated_candidates_reach_the_optimum(grid_study, standards):
    s = grid_study
    r = gap_analysis(s, standards, kind="clinic", minutes=5, n_new=1, method="exact")
    assert r.summary["objective"] == "land" and r.summary["candidates"]["source"].startswith("generated")
    # the best any site can do is all of B (B and C are > 1,000 m apart)
    assert r.summary["sites"][0]["gain_area_m2"] == pytest.approx(40_000.0)
    full = gap_analysis(s, standards, kind="clinic", minutes=5, method="exact")
    assert full.summary["n_proposed"] == 2 and full.summary["after"]["covered_share_land"] == 1.0
    g = gap_analysis(s, standards, kind="clinic", minutes=5, method="greedy")
    assert g.summary["n_proposed"] >= 2 and g.summary["solver"]["bound"]["kind"] == "greedy LSCP"
    for res in (r, full, g):
        assert verify_after(s, standards, res) == pytest.approx(res.summary["after"]["covered_share_land"], abs=5e-7)


def test_two_step_fca_by_hand(grid_study, grid_residents, standards):
    s = grid_study
    r = gap_analysis(s, standards, kind="clinic", minutes=5, candidates=_planner(), method="exact", residents=grid_residents)
    pop_a, pop_b, pop_c = 900.0, 400.0, 1000.0
    tot = pop_a + pop_b + pop_c
    u = r.tables["fca_units"].set_index("unit_name")
    # before: one centre serving A only -> every A cell has 1 / pop_a; study-area mean = 1 / tot
    assert u.loc["study area", "centres_per_100k_residents_before"] == pytest.approx(1e5 / tot, rel=1e-6)
    assert u.loc["study area", "residents_per_centre_before"] == pytest.approx(tot, rel=1e-6)
    assert u.loc["gap area 1", "status_before"] == "no centre within reach"
    # after: three centres, each serving exactly one of A, B, C -> mean = 3 / tot
    assert u.loc["study area", "centres_per_100k_residents_after"] == pytest.approx(3e5 / tot, rel=1e-6)
    assert u.loc["gap area 2", "residents_per_centre_after"] == pytest.approx(pop_c, rel=1e-6)
    f = r.tables["fca_facilities"]
    assert f["catchment_residents_before"].iloc[0] == pytest.approx(pop_a)
    assert f["catchment_residents_after"].tolist() == pytest.approx([pop_a, pop_b, pop_c])
    assert r.summary["two_step_fca"]["units_without_access_before"] == 2
    assert r.summary["two_step_fca"]["units_without_access_after"] == 0


def test_errors_name_what_to_fix(grid_study, standards):
    with pytest.raises(InputError, match="unknown kind"):
        gap_analysis(grid_study, standards, kind="dentist")
    with pytest.raises(InputError, match="--minutes"):
        gap_analysis(grid_study, standards, kind="chsc")
    with pytest.raises(InputError, match="whole number"):
        gap_analysis(grid_study, standards, kind="clinic", minutes=5, n_new=0)
    with pytest.raises(InputError, match="no CRS"):
        gap_analysis(grid_study, standards, kind="clinic", minutes=5, candidates=_planner().set_crs(None, allow_override=True))
    with pytest.raises(InputError, match="residents"):
        gap_analysis(grid_study, standards, kind="clinic", minutes=5, objective="residents")


def test_embedded_sample_after_figure_is_reproduced(helsinki_study, standards, tmp_path):
    from beichen_geo.population import estimate_residents
    from beichen_geo.result import write_result

    study = helsinki_study  # the embedded sample = helsinki_pbf, default kinds, 4 km/h (conftest)
    res = estimate_residents(study, standards.population)
    area = study.demand["area_m2"].to_numpy()
    for n_new in (3, None):
        r = gap_analysis(study, standards, kind="clinic", residents=res, n_new=n_new)
        sm = r.summary
        assert sm["minutes"] == 15 and sm["existing_facilities"] > 0
        assert 0 < sm["before"]["covered_share_land"] < 1 and sm["after"]["covered_share_land"] > sm["before"]["covered_share_land"]
        cells = r.layers["demand_cells"]
        after_exact = share(area, cells["covered_after"].to_numpy())
        again = verify_after(study, standards, r)
        assert again == after_exact  # same cells covered, bit for bit
        assert round(again, 6) == sm["after"]["covered_share_land"]
        again_res = verify_after(study, standards, r, measure="residents", residents=res)
        assert round(again_res, 6) == sm["after"]["covered_share_residents"]
        # sites in order of gain, gains adding up to the change
        g = [x["gain_area_m2"] for x in sm["sites"]]
        assert g == sorted(g, reverse=True) or sm["objective"] == "residents"
        assert sum(g) == pytest.approx(sm["before"]["uncovered_area_m2"] - sm["after"]["uncovered_area_m2"], abs=1.0)
    w = write_result(r, tmp_path)
    for f in ("gaps.gpkg", "gaps_sites.csv", "gaps_areas.csv", "gaps.json", "gaps.html"):
        assert (tmp_path / f).exists(), f
    assert "csv:fca_units" in w
    back = json.loads((tmp_path / "gaps.json").read_text(encoding="utf-8"))
    for key in ("kind", "minutes", "before", "after", "gap_areas", "sites", "solver", "two_step_fca", "n_proposed"):
        assert key in back
    assert back["after"]["covered_share_land"] == sm["after"]["covered_share_land"]
    layers = set(gpd.list_layers(tmp_path / "gaps.gpkg")["name"])
    assert {"gap_areas", "proposed_sites", "demand_cells"} <= layers
    html = (tmp_path / "gaps.html").read_text(encoding="utf-8")
    assert "#1 " in html and "Gap areas" in html
