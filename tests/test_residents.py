"""Residents per demand cell (issue 13): the estimate from every building on residential land,
unit totals spread by floor area, population rasters (any CRS, split by area), residential
land from a planner's file, and refusals of bad input. Expected values are computed by hand.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from conftest import METRIC, X0, Y0, grid_network
from pyproj import Transformer

from beichen_geo.cli import main
from beichen_geo.population import (
    estimate_residents,
    given_residents,
    raster_residents,
    rescale,
    residents_for,
)
from beichen_geo.standards import load_standards
from beichen_geo.study import load_study, read_residential, study_from_frames

rasterio = pytest.importorskip("rasterio")
from rasterio.transform import from_origin

M2PP = 35.0  # floor_area_per_person_m2 of the built-in standards (checked below)


def box(x0, y0, x1, y1):
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


@pytest.fixture(scope="module")
def rules():
    r = load_standards().population
    assert float(r.floor_area_per_person_m2.value) == M2PP and float(r.default_levels["yes"].value) == 2
    return r


#: R1 (4 cells of 50 m) holds B1 (400 m², 3 levels) in its south-west cell and B2 (200 m²,
#: building=yes: 2 levels) in its south-east cell, and a shed (excluded); R2 (4 cells) holds
#: no building; a yes-building off residential land counts for nobody.
R1, R2 = box(0, 0, 100, 100), box(200, 0, 300, 100)
B1, B2, SHED, OFF = box(10, 10, 30, 30), box(60, 10, 80, 20), box(10, 60, 30, 80), box(500, 500, 540, 540)
AREA = box(-50, -50, 350, 150)


def _study(area=AREA):
    net = grid_network(11, 100.0)
    fac = gpd.GeoDataFrame({"kind": ["clinic"], "name": ["c"]}, geometry=[shapely.Point(X0 + 500, Y0 + 500)], crs=METRIC)
    res = gpd.GeoDataFrame(geometry=[R1, R2], crs=METRIC)
    bld = gpd.GeoDataFrame({"building": ["residential", "yes", "shed", "yes"], "building:levels": ["3", None, None, None]},
                           geometry=[B1, B2, SHED, OFF], crs=METRIC)
    area = area if isinstance(area, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=[area], crs=METRIC)
    return study_from_frames(net, fac, res, buildings=bld, area=area, cell_m=50.0)


def _cell_of(study, x, y):
    hit = np.flatnonzero(study.demand.geometry.contains(shapely.Point(X0 + x, Y0 + y)).to_numpy())
    assert len(hit) == 1
    return int(hit[0])


@pytest.fixture(scope="module")
def study():
    s = _study()
    assert len(s.demand) == 8 and np.allclose(s.demand["area_m2"], 2500)
    return s


def test_estimate_counts_every_building_on_residential_land(study, rules):
    r = estimate_residents(study, rules)
    floor_r1 = 400 * 3 + 200 * 2  # B1 by building:levels, B2 building=yes by default_levels.yes; shed excluded
    # R1's residents spread over its 4 cells by land; R2 (no building) at the density of R1
    expected = floor_r1 / M2PP / 4
    assert np.allclose(r.per_cell, expected, rtol=1e-12)
    assert r.total == pytest.approx(2 * floor_r1 / M2PP, rel=1e-12)
    assert r.is_estimate and r.unplaced == 0 and r.land_share_without_residents == 0
    assert r.land_share_without_buildings == pytest.approx(0.5)
    assert any("50% of residential land" in w and "buildings missing" in w for w in r.warnings)


def test_estimate_rescaled_to_a_known_total(study, rules):
    import dataclasses

    r = estimate_residents(study, dataclasses.replace(rules, rescale_to_total=True))
    assert r.total == pytest.approx(float(rules.district_residents.value), rel=1e-12)
    assert np.allclose(r.per_cell, r.per_cell[0])  # the distribution is kept
    assert "rescaled to 909,600" in r.source
    assert rescale(np.array([1.0, 3.0]), 8) == pytest.approx([2.0, 6.0])


def test_height_gives_levels_and_no_building_means_unknown(rules):
    from beichen_geo.population import building_floor_area

    b = gpd.GeoDataFrame({"building": ["yes", "house", "garage", "yes"], "height": ["9 m", None, None, None],
                          "building:levels": [None, None, None, "5;6"]},
                         geometry=[box(0, 0, 10, 10), box(0, 0, 10, 10), box(0, 0, 10, 10), box(0, 0, 10, 10)], crs=METRIC)
    assert building_floor_area(b, rules) == pytest.approx([300, 100, 0, 500])  # 9 m / 3 m; house 1 level; garage out


def test_units_spread_by_floor_area_and_conserved(study, rules):
    units = gpd.GeoDataFrame({"unit_name": ["u1", "u2", "u3"], "population": [1000.0, 500.0, 70.0]},
                             geometry=[box(-10, -10, 150, 150), box(150, -10, 340, 140), box(-40, 110, 0, 140)], crs=METRIC)
    r = given_residents(study, units, source="given: test", rules=rules)
    # u1: B1 holds 1200 m² of floor, B2 400 m² -> 750 and 250 in their cells, 0 in R1's two empty cells
    assert r.per_cell[_cell_of(study, 20, 20)] == pytest.approx(750, rel=1e-12)
    assert r.per_cell[_cell_of(study, 70, 15)] == pytest.approx(250, rel=1e-12)
    assert r.per_cell[_cell_of(study, 20, 70)] == 0 and r.per_cell[_cell_of(study, 70, 70)] == 0
    # u2 has no building: by land area, 4 equal cells
    for x, y in [(225, 25), (275, 25), (225, 75), (275, 75)]:
        assert r.per_cell[_cell_of(study, x, y)] == pytest.approx(125, rel=1e-12)
    # u3 holds no residential land: unplaced, nothing lost
    assert r.unplaced == 70
    in_u1 = study.demand["point"].within(units.geometry[0]).to_numpy()
    assert abs(r.per_cell[in_u1].sum() - 1000) < 1e-9 and abs(r.per_cell[~in_u1].sum() - 500) < 1e-9
    assert abs(r.total + r.unplaced - 1570) < 1e-9
    assert r.land_share_without_residents == pytest.approx(0.25)
    assert r.summary()["residents_unplaced"] == 70


def _write_raster(path, values, transform, crs, nodata=-9999.0):
    values = np.asarray(values, dtype="float32")
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype="float32", crs=crs, transform=transform, nodata=nodata) as ds:
        ds.write(values, 1)


def test_projected_raster_split_by_area_and_by_floor_area(tmp_path, study, rules):
    # 100 m pixels from (X0-100, Y0+200): 5 columns x 3 rows; the study area cuts the outer ring in halves
    v = np.full((3, 5), 10.0)
    v[1, 1] = 40.0   # the pixel over R1
    v[1, 3] = 20.0   # the pixel over R2
    v[0, 2] = -9999  # nodata
    tif = tmp_path / "pop.tif"
    _write_raster(tif, v, from_origin(X0 - 100, Y0 + 200, 100, 100), f"EPSG:{METRIC}")
    r = raster_residents(study, rules, tif)
    # by floor area inside the R1 pixel: B1 1200 m², B2 400 m² -> 30 and 10; R2's pixel by land
    assert r.per_cell[_cell_of(study, 20, 20)] == pytest.approx(30, rel=1e-9)
    assert r.per_cell[_cell_of(study, 70, 15)] == pytest.approx(10, rel=1e-9)
    for x, y in [(225, 25), (275, 25), (225, 75), (275, 75)]:
        assert r.per_cell[_cell_of(study, x, y)] == pytest.approx(5, rel=1e-9)
    # inside the area: columns keep 1/2, 1, 1, 1, 1/2 and rows 1/2, 1, 1/2 of their pixels
    fx, fy = np.array([0.5, 1, 1, 1, 0.5]), np.array([0.5, 1, 0.5])
    expected = float((np.where(v == -9999, 0, v) * fy[:, None] * fx[None, :]).sum())
    assert r.total == pytest.approx(60, rel=1e-9)
    assert r.total + r.unplaced == pytest.approx(expected, rel=1e-3)
    assert r.source.startswith("raster:") and not r.is_estimate


def test_raster_in_degrees_conserves_the_total(tmp_path, rules):
    # pixels of 0.001 degrees over the study; the area is a block of 6 x 4 pixels (densified edges)
    to_ll = Transformer.from_crs(METRIC, 4326, always_xy=True)
    lon0, lat0 = to_ll.transform(X0 - 150, Y0 + 250)
    lon0, lat0 = np.floor(lon0 * 1000) / 1000, np.ceil(lat0 * 1000) / 1000
    d = 0.001
    rng = np.random.default_rng(13)
    v = rng.uniform(0, 50, size=(8, 10)).round(2)
    tif = tmp_path / "pop4326.tif"
    _write_raster(tif, v, from_origin(lon0, lat0, d, d), "EPSG:4326")
    r0, c0, nr, nc = 1, 1, 4, 6
    block = shapely.segmentize(shapely.box(lon0 + c0 * d, lat0 - (r0 + nr) * d, lon0 + (c0 + nc) * d, lat0 - r0 * d), d / 50)
    area = gpd.GeoDataFrame(geometry=[block], crs=4326)
    s = _study(area=area)
    r = raster_residents(s, rules, tif)
    expected = float(v[r0:r0 + nr, c0:c0 + nc].sum())
    assert r.total > 0 and r.unplaced > 0
    assert r.total + r.unplaced == pytest.approx(expected, rel=1e-3)


def test_residential_land_from_a_gcj02_file(tmp_path):
    from geo.coords import wgs84_to_gcj02

    # a compound in Beichen (WGS84); the planner's file has it in GCJ-02 (Gaode)
    poly = shapely.box(117.130, 39.220, 117.136, 39.224)
    x, y = np.asarray(poly.exterior.coords).T
    gx, gy = wgs84_to_gcj02(x, y)
    f = tmp_path / "land.geojson"
    gpd.GeoDataFrame(geometry=[shapely.Polygon(np.c_[gx, gy])], crs=4326).to_file(f, driver="GeoJSON")
    got = read_residential(f, coords="gcj02", crs=METRIC)
    truth = gpd.GeoSeries([poly], crs=4326).to_crs(METRIC).iloc[0]
    assert shapely.hausdorff_distance(got.geometry.iloc[0], truth) < 1.0  # metres; the raw shift is ~500 m
    assert got["res_source"].iloc[0] == "file: land.geojson"


def test_residential_file_replaces_or_adds_to_osm(tmp_path, helsinki_pbf):
    std = load_standards()
    land = shapely.box(24.938, 60.168, 24.944, 60.171)
    f = tmp_path / "land.geojson"
    gpd.GeoDataFrame(geometry=[land], crs=4326).to_file(f, driver="GeoJSON")
    rep = load_study(osm=helsinki_pbf, kinds=std.kind_filters(), reach_m=500, residential=f, residential_mode="replace")
    truth = gpd.GeoSeries([land], crs=4326).to_crs(rep.crs).iloc[0]
    assert rep.demand["area_m2"].sum() == pytest.approx(truth.intersection(rep.area).area, rel=1e-6)
    assert set(rep.residential["res_source"]) == {"file: land.geojson"}
    add = load_study(osm=helsinki_pbf, kinds=std.kind_filters(), reach_m=500, residential=f)
    osm = load_study(osm=helsinki_pbf, kinds=std.kind_filters(), reach_m=500)
    assert add.demand["area_m2"].sum() > osm.demand["area_m2"].sum()
    assert add.log["residential_from"]["file_mode"] == "add"


# -- the real extracts ----------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.parametrize("extract, known", [("valhalla/liechtenstein-latest.osm.pbf", 39_680),
                                            ("valhalla/baltimore.osm.pbf", None)])
def test_estimate_on_real_extracts(extract, known, rules):
    """Liechtenstein: 39,680 residents (Amt für Statistik, end of 2023)."""
    from conftest import shared_file

    s = load_study(osm=shared_file(extract), kinds=load_standards().kind_filters(), reach_m=500)
    r = residents_for(s, rules)
    assert r.land_share_without_residents <= 0.20
    if known:
        assert known / 2 <= r.total <= known * 2


# -- bad input: one line, exit code 2, nothing written ---------------------------------------


def _refused(tmp_path, capsys, extra, *needles):
    out = tmp_path / "o"
    assert main(["parks", *extra, "--out", str(out), "--quiet"]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("beichen-geo: error")]
    assert len(err) == 1, err
    assert not out.exists()
    for n in needles:
        assert n in err[0], err[0]


HELSINKI = from_origin(24.92, 60.19, 0.005, 0.005)  # 8 x 8 pixels of 0.005 degrees over the sample


def test_raster_without_crs_refused(tmp_path, capsys):
    tif = tmp_path / "nocrs.tif"
    _write_raster(tif, np.ones((8, 8)), HELSINKI, None)
    _refused(tmp_path, capsys, ["--population", str(tif)], "no coordinate reference system")


def test_all_nodata_raster_refused(tmp_path, capsys):
    tif = tmp_path / "nodata.tif"
    _write_raster(tif, np.full((8, 8), -9999.0), HELSINKI, "EPSG:4326")
    _refused(tmp_path, capsys, ["--population", str(tif)], "nodata")


def test_negative_raster_refused(tmp_path, capsys):
    v = np.ones((8, 8))
    v[3, 4] = -5
    tif = tmp_path / "neg.tif"
    _write_raster(tif, v, HELSINKI, "EPSG:4326")
    _refused(tmp_path, capsys, ["--population", str(tif)], "negative", "-5")


def test_unit_table_with_unmatched_names_refused(tmp_path, capsys):
    units = gpd.GeoDataFrame({"name": ["Kamppi", "Kluuvi"]},
                             geometry=[shapely.box(24.92, 60.15, 24.945, 60.19), shapely.box(24.945, 60.15, 24.97, 60.19)],
                             crs=4326)
    u = tmp_path / "units.geojson"
    units.to_file(u, driver="GeoJSON")
    t = tmp_path / "pop.csv"
    t.write_text("name,population\nKamppi,10000\nKluuvi-Nord,500\n", encoding="utf-8")
    _refused(tmp_path, capsys, ["--units", str(u), "--population", str(t)], "Kluuvi", "Kluuvi-Nord")


def test_empty_residential_file_refused(tmp_path, capsys):
    f = tmp_path / "empty.geojson"
    f.write_text(json.dumps({"type": "FeatureCollection", "features": []}), encoding="utf-8")
    _refused(tmp_path, capsys, ["--residential", str(f)], "empty.geojson")


def test_every_summary_reports_residents(tmp_path):
    from beichen_geo.cli import run

    s = run(["parks", "--out", str(tmp_path / "o"), "--quiet"])["parks"]
    assert s["population_source"].startswith("estimate")
    assert s["residents_unplaced"] == 0
    assert 0 <= s["residential_land_share_without_residents"] <= 0.2
    assert s["residents_total"] == pytest.approx(s["residents"], abs=1)


def test_raster_and_residential_file_through_the_cli(tmp_path):
    """A raster over the sample and a boundary along pixel edges: every person inside is on a cell or unplaced."""
    from beichen_geo.cli import run

    v = np.random.default_rng(7).uniform(0, 100, size=(8, 8)).round(1)
    tif = tmp_path / "pop.tif"
    _write_raster(tif, v, HELSINKI, "EPSG:4326")
    boundary = tmp_path / "area.geojson"  # pixel columns 2-6, rows 2-5 (0.005 degrees from 24.92 E, 60.19 N)
    edge = shapely.segmentize(shapely.box(24.93, 60.16, 24.955, 60.18), 0.0001)
    gpd.GeoDataFrame(geometry=[edge], crs=4326).to_file(boundary, driver="GeoJSON")
    land = tmp_path / "land.geojson"
    gpd.GeoDataFrame(geometry=[shapely.box(24.938, 60.168, 24.944, 60.171)], crs=4326).to_file(land, driver="GeoJSON")
    s = run(["parks", "--population", str(tif), "--boundary", str(boundary), "--residential", str(land),
             "--residential-mode", "replace", "--out", str(tmp_path / "o"), "--quiet"])["parks"]
    assert s["population_source"].startswith("raster:") and s["study"]["log"]["residential_from"]["file_mode"] == "replace"
    expected = float(v[2:6, 2:7].sum())
    assert s["residents_unplaced"] > 0 and s["residents_total"] > 0
    assert s["residents_total"] + s["residents_unplaced"] == pytest.approx(expected, rel=1e-3)

