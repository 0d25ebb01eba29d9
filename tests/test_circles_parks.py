"""Living circles and park coverage on hand-checkable synthetic cases, plus the real sample."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from conftest import METRIC, X0, Y0, grid_network
from geo.demand import share
from beichen_geo.analyses.circles import living_circles
from beichen_geo.analyses.parks import park_coverage
from beichen_geo.population import Residents
from beichen_geo.standards import load_standards
from beichen_geo.study import study_from_frames
from nxref import nearest_minutes, reference_graph


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture(scope="module")
def standards():
    return load_standards()


def _study(facilities: list[tuple[str, shapely.Geometry]], residential: list[shapely.Geometry], n=21):
    net = grid_network(n, 100.0, speed_kmh=6.0)  # 100 m per minute
    fac = gpd.GeoDataFrame({"kind": [k for k, _ in facilities], "name": [f"{k}{i}" for i, (k, _) in enumerate(facilities)]},
                           geometry=[g for _, g in facilities], crs=METRIC)
    res = gpd.GeoDataFrame(geometry=residential, crs=METRIC)
    area = gpd.GeoDataFrame(geometry=[box(0, 0, 100 * (n - 1), 100 * (n - 1))], crs=METRIC)
    return study_from_frames(net, fac, res, area=area, cell_m=50.0)


def _outline_sources(geoms, spacing_m=25.0):
    """Where a facility is entered (independently of geo.access.access_points): a point is
    itself; a polygon without mapped entrances is entered anywhere along its outline, here
    every 25 m with shapely's interpolate, plus a point inside."""
    out = []
    for g in geoms:
        if g.geom_type == "Point":
            out.append(g)
            continue
        ring = g.boundary
        n = int(np.ceil(ring.length / spacing_m))
        out += [ring.interpolate(i * ring.length / n) for i in range(n)] + [g.representative_point()]
    return out


def _reference_minutes(study, kind):
    """networkx on split edges: minutes from each demand cell point to the nearest `kind`."""
    from geo.snapping import snap_points

    fac = gpd.GeoDataFrame(geometry=_outline_sources(study.facilities_of(kind).geometry), crs=study.crs)
    fs = snap_points(study.net, fac, warn=False)
    G = reference_graph(study.net, {"f": fs, "h": study.demand_snap})
    return nearest_minutes(G, [("f", i) for i in range(len(fs)) if fs.edge[i] >= 0],
                           [("h", i) for i in range(len(study.demand_snap))])


def test_circles_tiers_match_networkx_reference(standards):
    v = standards.circle_variant("5-15-30")
    five = v.tier("neighbourhood")
    assert float(five.minutes.value) == 5 and set(five.kinds) == {"kindergarten", "convenience", "park"}
    pt = lambda x, y: shapely.Point(X0 + x, Y0 + y)  # noqa: E731
    facilities = [("kindergarten", pt(500, 500)), ("convenience", pt(520, 480)),
                  ("park", box(600, 600, 700, 700)), ("clinic", pt(1500, 1500))]
    residential = [box(300, 300, 800, 800), box(1200, 1200, 1600, 1400)]
    study = _study(facilities, residential)
    pop = np.arange(len(study.demand), dtype=float) + 1.0  # known residents per cell
    res = Residents(per_cell=pop, source="given: test", is_estimate=False)
    r = living_circles(study, standards, variant="5-15-30", residents=res)
    area = study.demand["area_m2"].to_numpy()
    assert r.summary["residential_area_m2"] == pytest.approx(500 * 500 + 400 * 200)
    ref = {k: _reference_minutes(study, k) for k in ("kindergarten", "convenience", "park", "clinic")}
    met5 = (ref["kindergarten"] <= 5) & (ref["convenience"] <= 5) & (ref["park"] <= 5)
    tier5 = r.summary["tiers"][0]
    assert tier5["minutes"] == 5
    assert tier5["covered_share_land"] == pytest.approx(share(area, met5), abs=1e-6)
    assert tier5["covered_share_residents"] == pytest.approx(share(pop, met5), abs=1e-6)
    assert 0 < tier5["covered_share_land"] < 1
    # kinds with no facility: the tier can never be met, and they are listed
    assert "kindergarten" not in r.summary["kinds_without_facilities"]
    assert {"school", "hospital"} <= set(r.summary["kinds_without_facilities"])
    assert r.summary["tiers"][1]["covered_share_land"] == 0.0
    assert r.summary["passes"] is False
    cells = r.layers["demand_cells"]
    np.testing.assert_allclose(cells["walk_min_to_clinic"].to_numpy(), np.where(ref["clinic"] <= 30, ref["clinic"], np.inf), atol=1e-6)
    assert (cells["meets_neighbourhood"].to_numpy() == met5).all()
    k = r.tables["kinds"].set_index(["tier", "kind"])
    assert k.loc[("community", "clinic"), "covered_share_land"] == pytest.approx(share(area, ref["clinic"] <= 15), abs=1e-6)


def test_park_straight_line_share_is_exact_and_network_matches_networkx(standards):
    # park square [0,100]^2 km-grid corner; residential 100 m strip from x=550 to 650:
    # the 500 m buffer of the square reaches x = 600 exactly along y in [0,100] -> half covered
    facilities = [("park", box(0, 0, 100, 100))]
    residential = [box(550, 0, 650, 100), box(0, 1000, 100, 1100)]
    study = _study(facilities, residential)
    r = park_coverage(study, standards)
    s = r.summary
    assert s["residential_area_m2"] == pytest.approx(2 * 100 * 100)
    # independent: geopandas overlay of residential land with the buffered park
    res = gpd.GeoDataFrame(geometry=residential, crs=METRIC)
    buf = gpd.GeoDataFrame(geometry=[box(0, 0, 100, 100).buffer(500)], crs=METRIC)
    expected = gpd.overlay(res, buf, how="intersection").area.sum() / res.area.sum()
    assert s["covered_share_euclidean"] == pytest.approx(expected, abs=1e-6)
    assert s["covered_share_euclidean"] == pytest.approx(0.25, abs=1e-6)  # half of one of two equal boxes
    # network: every 50 m cell whose walk to the park outline is <= 500 m
    from geo.access import access_points
    from geo.snapping import snap_points

    gates = access_points(study.facilities_of("park"), spacing_m=25.0)
    gs = snap_points(study.net, gates, warn=False)
    G = reference_graph(study.net, {"f": gs, "h": study.demand_snap})
    m = nearest_minutes(G, [("f", i) for i in range(len(gs)) if gs.edge[i] >= 0],
                        [("h", i) for i in range(len(study.demand_snap))]) * 100.0
    area = study.demand["area_m2"].to_numpy()
    assert s["covered_share_network"] == pytest.approx(share(area, m <= 500), abs=1e-6)
    assert s["covered_share_network"] <= s["covered_share_euclidean"] + 1e-9
    assert s["passes"] is False and s["target"] == 1.0
    assert r.layers["uncovered_euclidean"].area.sum() == pytest.approx(20000 - 5000, abs=1e-3)


def test_park_size_rule_garden_city(standards, tmp_path):
    f = tmp_path / "std.toml"
    f.write_text('[parks]\nsize_rule = "garden_city"\n', encoding="utf-8")
    std = load_standards(f)
    # a 1,000 m2 park does not count under the 国家园林城市 rule (>= 2,000 m2 at 300 m)
    facilities = [("park", box(0, 0, 40, 25)), ("park", box(1000, 1000, 1050, 1050))]
    study = _study(facilities, [box(0, 200, 100, 300)])
    r = park_coverage(study, std)
    assert r.summary["parks_used"] == 1 and r.summary["parks_too_small"] == 1
    assert r.summary["covered_share_euclidean"] == 0.0


def test_real_sample_circles_and_parks(helsinki_study, standards, tmp_path):
    from beichen_geo.population import estimate_residents
    from beichen_geo.result import write_result

    study = helsinki_study  # the embedded sample = helsinki_pbf, default kinds, 4 km/h (conftest)
    res = estimate_residents(study, standards.population)
    assert res.is_estimate and res.total > 0
    c = living_circles(study, standards, residents=res)
    p = park_coverage(study, standards, residents=res)
    for t in c.summary["tiers"]:
        assert 0 <= t["covered_share_land"] <= 1
    assert p.summary["covered_share_network"] <= p.summary["covered_share_euclidean"] + 1e-9
    w = write_result(p, tmp_path)
    import json

    back = json.loads((tmp_path / "parks.json").read_text(encoding="utf-8"))
    for key in ("residential_area_m2", "covered_share_euclidean", "covered_share_network", "target", "passes"):
        assert key in back
    assert (tmp_path / "parks.gpkg").exists() and (tmp_path / "parks.html").exists() and "csv:cells" in w
