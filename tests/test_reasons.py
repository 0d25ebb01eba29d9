"""A tier that cannot be met says why (issue 14, item 7), on a grid with known answers."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import METRIC, X0, Y0, grid_network

from beichen_geo.analyses.circles import living_circles
from beichen_geo.present.messages import brief_line, reason_text, reasons_line
from beichen_geo.standards import load_standards
from beichen_geo.study import study_from_frames


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def pt(x, y):
    return shapely.Point(X0 + x, Y0 + y)


@pytest.fixture(scope="module")
def case():
    """21 x 21 grid, 100 m blocks; residential land: 500 x 500 m on the grid plus 100 x 500 m
    500-600 m beyond its east edge (off the network at 150 m snap distance)."""
    net = grid_network(21, 100.0, speed_kmh=6.0)  # 100 m per minute
    fac = gpd.GeoDataFrame({"kind": ["convenience", "park"], "name": ["shop", "park"]},
                           geometry=[pt(300, 300), box(290, 290, 310, 310)], crs=METRIC)  # no kindergarten
    on = box(0, 0, 500, 500)
    off = box(2500, 0, 2600, 500)  # grid ends at x = 2000: 500-600 m beyond
    res = gpd.GeoDataFrame(geometry=[on, off], crs=METRIC)
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 2600, 2000)], crs=METRIC)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        study = study_from_frames(net, fac, res, area=area, cell_m=50.0)
    return study, [str(w.message) for w in caught]


def test_off_network_land_share_is_logged_and_warned_with_the_right_hint(case):
    study, caught = case
    expected = 100 * 500 / (500 * 500 + 100 * 500)  # land area off the network / all land, closed form
    assert study.log["demand_off_network_share_land"] == pytest.approx(expected, abs=1e-6)
    msg = [m for m in caught if "from any street" in m]
    assert len(msg) == 1 and f"{expected:.1%}" in msg[0]
    assert "GCJ-02" not in msg[0]  # the datum hint is for facility lists, not for residential land
    assert msg[0] in study.log["warnings"]


def test_failing_tier_gives_reasons_in_json_and_words(case):
    study, _ = case
    r = living_circles(study, load_standards(), variant="5-15-30")
    five = next(t for t in r.summary["tiers"] if t["minutes"] == 5)
    codes = [x["code"] for x in five["reasons"]]
    assert five["passes"] is False
    assert {"code": "no_facilities", "kind": "kindergarten"} in five["reasons"]
    off = next(x for x in five["reasons"] if x["code"] == "off_network_land")
    assert off["share_land"] == pytest.approx(1 / 6, abs=1e-4)
    assert codes.index("no_facilities") < codes.index("off_network_land")
    # convenience exists but not every cell reaches it: its own share is stated
    conv = [x for x in five["reasons"] if x.get("kind") == "convenience"]
    share_conv = five["kinds_coverage"]["convenience"]["covered_share_land"]
    assert conv and conv[0]["code"] == "beyond_minutes" and conv[0]["covered_share_land"] == pytest.approx(share_conv, abs=1e-4)
    # a passing tier carries no reasons
    assert all(t["reasons"] == [] for t in r.summary["tiers"] if t["passes"])
    # words, both languages, from one place
    en = reasons_line(five["reasons"])
    assert "no kindergarten in the data" in en and "16.7% of residential land" in en
    zh = reasons_line(five["reasons"], lang="zh", labels={"kindergarten": "幼儿园"})
    assert "数据中没有幼儿园" in zh and "kindergarten" not in zh
    # the map's title box shows them
    std = load_standards()
    labels = {k: kd.label_en for k, kd in std.kinds.items()}
    html = r.make_map(lang="en", basemap="none").to_html()
    brief = brief_line(five["reasons"], labels=labels)
    assert brief in html and f"no {labels['kindergarten']} in the data" in brief
    assert f"{labels['convenience']} {share_conv:.1%}" in brief  # kinds grouped, with their shares
    assert f"no {labels['kindergarten']} in the data" in html
    assert r.tables["tiers"].loc[r.tables["tiers"]["minutes"] == 5, "reasons"].iloc[0] == en


def test_unknown_reason_code_is_an_error():
    with pytest.raises(ValueError):
        reason_text({"code": "nope"})


def test_cli_prints_reasons_and_study_warnings_reach_the_summary(tmp_path, capsys):
    import json

    from beichen_geo.cli import main

    assert main(["circles", "--out", str(tmp_path), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "5 min not met: no kindergarten in the data" in out  # the embedded sample has none
    assert "30 min not met: no hospital in the data" in out
    s = json.loads((tmp_path / "circles.json").read_text(encoding="utf-8"))
    assert isinstance(s["warnings"], list)
    assert s["study"]["log"]["demand_off_network_share_land"] == pytest.approx(
        s["demand_off_network_share_land"])
    assert np.isfinite(s["demand_off_network_share_land"])


def test_parks_not_met_says_why(case):
    """Parks: the primary (straight-line) reading falls short, with the closed-form share."""
    from beichen_geo.analyses.parks import park_coverage

    study, _ = case
    r = park_coverage(study, load_standards())
    s = r.summary
    assert s["passes"] is False
    beyond = [x for x in s["reasons"] if x["code"] == "beyond_distance"]
    assert beyond and beyond[0]["covered_share_land"] == pytest.approx(s["covered_share_euclidean"], abs=1e-4)
    assert beyond[0]["method"] == s["primary_method"]
    html = r.make_map(lang="en", basemap="none").to_html()
    assert "Not met" in html


def test_parks_without_any_park_say_so():
    from beichen_geo.analyses.parks import park_coverage

    net = grid_network(5, 100.0, speed_kmh=6.0)
    fac = gpd.GeoDataFrame({"kind": ["clinic"], "name": ["c"]}, geometry=[pt(100, 100)], crs=METRIC)
    res = gpd.GeoDataFrame(geometry=[box(0, 0, 300, 300)], crs=METRIC)
    study = study_from_frames(net, fac, res, cell_m=50.0)
    s = park_coverage(study, load_standards()).summary
    assert s["reasons"] == [{"code": "no_facilities", "kind": "park"}]
    assert reasons_line(s["reasons"]) == "no park in the data"
