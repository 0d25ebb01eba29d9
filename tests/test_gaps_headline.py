"""Gap results a planner can act on (issue 14, item 9): the headline is the objective, an
unreachable target is said with its size, and every site has coordinates."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from conftest import METRIC, X0, Y0, grid_network
from geo.coords import convert
from geo.demand import share
from beichen_geo.analyses.gaps import gap_analysis
from beichen_geo.population import Residents
from beichen_geo.standards import load_standards
from beichen_geo.study import study_from_frames


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def pt(x, y):
    return shapely.Point(X0 + x, Y0 + y)


# grid 0-2000 m; A covered by the clinic, B far (reachable by a new site), D 600-700 m east
# of the grid's edge: off the network (150 m snap), so no site can ever serve it
A, B, D = box(100, 100, 400, 400), box(1500, 1500, 1700, 1700), box(2600, 0, 2700, 100)


@pytest.fixture(scope="module")
def case():
    net = grid_network(21, 100.0, speed_kmh=6.0)
    fac = gpd.GeoDataFrame({"kind": ["clinic"], "name": ["existing"]}, geometry=[pt(200, 200)], crs=METRIC)
    res = gpd.GeoDataFrame(geometry=[A, B, D], crs=METRIC)
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 2700, 2000)], crs=METRIC)
    with pytest.warns(UserWarning):
        study = study_from_frames(net, fac, res, area=area, cell_m=50.0)
    # residents: 1 per m2 on B only, so land and residents give different shares
    pts = study.demand["point"].to_numpy()
    per = np.where(shapely.contains(B, pts), study.demand["area_m2"].to_numpy(), 0.0)
    return study, Residents(per_cell=per, source="given: test", is_estimate=False)


def test_unreachable_target_is_said_with_its_share(case):
    study, _ = case
    r = gap_analysis(study, load_standards(), kind="clinic", minutes=5, method="exact", objective="land")
    s = r.summary
    total = A.area + B.area + D.area
    assert s["target_reached"] is False
    assert s["unreachable_share"] == pytest.approx(D.area / total, abs=1e-6)  # closed form
    assert s["unreachable_off_network_share"] == pytest.approx(D.area / total, abs=1e-6)
    assert s["after"]["covered_share_land"] == pytest.approx((A.area + B.area) / total, abs=1e-6)
    head = s["headline"]
    assert "cannot be reached" in head and f"{D.area / total:.1%} of residential land" in head
    assert "needed for 100%" not in r.make_map(lang="en", basemap="none").to_html()


def test_headline_follows_the_objective(case):
    study, res = case
    r = gap_analysis(study, load_standards(), kind="clinic", minutes=5, n_new=1, method="exact",
                     objective="residents", residents=res)
    s = r.summary
    pop = res.per_cell
    assert s["objective"] == "residents"
    # before: nobody on B is covered; after one site at B everybody there is
    assert s["before"]["covered_share_residents"] == pytest.approx(0.0)
    assert s["after"]["covered_share_residents"] == pytest.approx(share(pop, r.layers["demand_cells"]["covered_after"].to_numpy()))
    assert s["headline"].startswith("residents covered 0.0% -> 100.0% with 1 new site")
    assert "land" not in s["headline"]


def test_every_site_has_wgs84_and_planner_system_coordinates(case):
    study, _ = case
    cand = gpd.GeoDataFrame({"name": ["P1"]}, geometry=[pt(1600, 1600)], crs=METRIC).to_crs(4326)
    cand.attrs["coords"] = "gcj02"
    r = gap_analysis(study, load_standards(), kind="clinic", minutes=5, n_new=1, candidates=cand, method="exact",
                     objective="land")
    t = r.tables["sites"]
    expect = gpd.GeoSeries([pt(1600, 1600)], crs=METRIC).to_crs(4326).iloc[0]
    assert t["lon_wgs84"].iloc[0] == pytest.approx(expect.x, abs=2e-6)
    assert t["lat_wgs84"].iloc[0] == pytest.approx(expect.y, abs=2e-6)
    gx, gy = convert(expect.x, expect.y, src="wgs84", dst="gcj02")
    assert t["lon_gcj02"].iloc[0] == pytest.approx(gx, abs=2e-6) and t["lat_gcj02"].iloc[0] == pytest.approx(gy, abs=2e-6)
    assert "lon_bd09" not in t
    assert r.summary["sites"][0]["lon_wgs84"] == t["lon_wgs84"].iloc[0]


@pytest.mark.parametrize("minutes", [1e300, 0.0, -5.0, float("nan")])
def test_absurd_minutes_are_refused(case, minutes):
    from geo.errors import InputError

    study, _ = case
    with pytest.raises(InputError, match="minutes"):
        gap_analysis(study, load_standards(), kind="clinic", minutes=minutes, n_new=1, method="greedy")
