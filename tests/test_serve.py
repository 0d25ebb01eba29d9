"""The what-if workbench (beichen-geo serve): its figures equal the batch commands', its API answers.

In-process tests call the application through FastAPI's TestClient; the tests marked ``slow``
start a real ``beichen-geo serve`` process on 127.0.0.1 and talk to it over HTTP.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from conftest import ROOT
from serve_process import Server

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from beichen_geo.cli import pipeline  # noqa: E402
from beichen_geo.cli.parser import build_parser  # noqa: E402
from beichen_geo.population import residents_for  # noqa: E402
from beichen_geo.progress import Steps  # noqa: E402
from beichen_geo.serve import Workbench, create_app  # noqa: E402
from beichen_geo.standards import load_standards  # noqa: E402
from geo.projection import WEB_CRS  # noqa: E402


@pytest.fixture(scope="module")
def units_file(tmp_path_factory, helsinki_study):
    """Two units: the west and east halves of the sample's study area (WGS84 GeoJSON, a name column)."""
    area = helsinki_study.area
    x0, y0, x1, y1 = area.bounds
    xm = (x0 + x1) / 2
    halves = [shapely.box(x0 - 1, y0 - 1, xm, y1 + 1), shapely.box(xm, y0 - 1, x1 + 1, y1 + 1)]
    gdf = gpd.GeoDataFrame({"name": ["West =1+1", "East"]}, geometry=halves, crs=helsinki_study.crs).to_crs(WEB_CRS)
    p = tmp_path_factory.mktemp("units") / "units.geojson"
    gdf.to_file(p, driver="GeoJSON")
    return p


def _load(argv: list[str]):
    """The study, residents and units of a command line, loaded by the CLI's own code."""
    args = build_parser().parse_args(argv)
    standards = pipeline.clinics_from_file(load_standards(args.standards), args)
    steps = Steps(quiet=True)
    study = pipeline.load(args, steps, standards)
    residents = residents_for(study, standards.population, population=args.population, units=args.units)
    units, _ = pipeline.groupings(args, study, residents)
    return args, standards, study, residents, units


@pytest.fixture(scope="module")
def bench(units_file):
    """A workbench on the embedded sample with two units, as `beichen-geo serve --units FILE` builds it."""
    _, standards, study, residents, units = _load(["serve", "--units", str(units_file), "--quiet"])
    return Workbench(study, standards, residents, units=units, max_minutes=pipeline.largest_minutes(standards))


@pytest.fixture(scope="module")
def client(bench):
    return TestClient(create_app(bench), base_url="http://127.0.0.1")


def _lonlat_of_node(bench, i):
    return [float(v) for v in bench.node_lonlat()[i]]


def test_scenario_figures_equal_clinics_and_gaps_batch(bench, client, units_file, tmp_path):
    """A scenario edited in the workbench, exported, and rerun through `clinics` / `gaps` code: same figures."""
    from beichen_geo.analyses.clinics import clinics_per_community
    from beichen_geo.analyses.gaps import GapSpec, _coverage
    from geo.demand import share

    r = client.post("/api/scenarios", json={"name": "plan A", "kind": "clinic", "minutes": 15})
    assert r.status_code == 201, r.text
    today = r.json()["facilities"]
    assert len(today) >= 3
    nodes = bench.node_lonlat()
    rng = np.random.default_rng(3)
    edits = [{"op": "add", "at": [float(v) for v in nodes[rng.integers(len(nodes))]], "name": "=1+1 clinic"},
             {"op": "remove", "id": today[0]["id"]},
             {"op": "add", "at": [float(v) for v in nodes[rng.integers(len(nodes))]]},
             {"op": "move", "id": today[1]["id"], "to": [float(v) for v in nodes[rng.integers(len(nodes))]]}]
    for e in edits:
        r = client.post("/api/scenarios/plan A/edits", json=e)
        assert r.status_code == 200, r.text
    fig = r.json()["figures"]
    csv = client.get("/api/scenarios/plan A/export.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    path = tmp_path / "plan_a.csv"
    path.write_bytes(csv.content)
    table = pd.read_csv(path, encoding="utf-8-sig")
    assert len(table) == fig["facilities_open"] == len(today) + 1
    assert "'=1+1 clinic" in table["name"].tolist()  # a name is text in a spreadsheet, never a formula
    # the same facility list through the command line's loading and the clinics analysis
    _, standards, study, residents, units = _load(["clinics", "--facilities", str(path), "--kind", "clinic",
                                                   "--units", str(units_file), "--quiet"])
    res = clinics_per_community(study, standards, residents=residents, units=units)
    ut = res.tables["units"]
    keys = res.summary["keys"]
    for row, mine in zip(ut.to_dict("records"), fig["units"], strict=True):
        assert row["unit_name"] == mine["unit_name"]
        assert row[keys["share_land"]] == pytest.approx(mine["covered_share_land"], abs=1e-9)
        assert row[keys["share_residents"]] == pytest.approx(mine["covered_share_residents"], abs=1e-9)
        assert row[keys["residents"]] == pytest.approx(mine["residents_covered"], abs=1e-6)
    # and through the gaps analysis's coverage (the living circles' reach of the kind)
    spec = GapSpec.from_options(standards, kind="clinic", minutes=15.0, variant=None, target_share=None, n_new=1,
                                method="greedy", candidate_where="nodes", thin_m=100.0, max_candidates=100,
                                exact_max_cells=1000, time_limit_s=10.0)
    cov = _coverage(study, spec)
    area = study.demand["area_m2"].to_numpy()
    pop = np.nan_to_num(residents.per_cell)
    assert share(area, cov.covered) == pytest.approx(fig["covered_share_land"], abs=1e-9)
    assert share(pop, cov.covered) == pytest.approx(fig["covered_share_residents"], abs=1e-9)
    assert float(pop[cov.covered].sum()) == pytest.approx(fig["residents_covered"], abs=1e-6)
    # the per-cell minutes too
    mins = bench.scenario("plan A").state.minutes
    np.testing.assert_allclose(np.nan_to_num(mins, posinf=-1), np.nan_to_num(cov.minutes, posinf=-1), atol=1e-9)


def test_coverage_request_and_change(bench, client):
    """POST /api/coverage: adding a facility where none reaches raises the shares by what it gains."""
    base = client.post("/api/coverage", json={"kind": "clinic", "minutes": 15}).json()["figures"]
    cells = client.get("/api/cells", params={"kind": "clinic", "minutes": 15}).json()
    unc = [f for f in cells["features"] if not f["properties"]["covered"] and f["properties"]["on_network"]]
    assert unc, "the sample has uncovered land within reach of a street"
    c = shapely.geometry.shape(unc[0]["geometry"]).centroid
    r = client.post("/api/coverage", json={"kind": "clinic", "minutes": 15, "add": [[c.x, c.y]], "remove": []})
    assert r.status_code == 200, r.text
    body = r.json()
    ch, fig = body["change"], body["figures"]
    assert unc[0]["properties"]["id"] in ch["cells_gained"] and ch["cells_lost"] == []
    assert fig["covered_share_land"] > base["covered_share_land"]
    assert fig["covered_area_m2"] == pytest.approx(base["covered_area_m2"] + ch["land_gained_m2"], abs=1e-6)
    assert fig["residents_covered"] == pytest.approx(base["residents_covered"] + ch["residents_gained"], abs=1e-6)
    # nothing was kept: today is as before
    again = client.post("/api/coverage", json={"kind": "clinic", "minutes": 15}).json()["figures"]
    assert again == base
    # removing every clinic: nothing covered
    ids = [f["id"] for f in client.get("/api/facilities", params={"kind": "clinic"}).json()["facilities"]]
    r = client.post("/api/coverage", json={"kind": "clinic", "minutes": 15, "remove": ids}).json()
    assert r["figures"]["covered_share_land"] == 0.0 and r["figures"]["facilities_open"] == 0
    assert r["change"]["land_lost_m2"] == pytest.approx(base["covered_area_m2"], abs=1e-6)


def test_standards_list(client):
    s = client.get("/api/standards").json()
    by_id = {c["id"]: c for c in s["choices"]}
    assert by_id["S-H-01"]["kind"] == "clinic" and by_id["S-H-01"]["minutes"] == 15.0
    assert by_id["S-PG-01"]["kind"] == "park" and by_id["S-PG-01"]["distance_m"] == 500.0
    tiers = [c for c in s["choices"] if c["id"].startswith("circles:5-15-30:neighbourhood:")]
    assert {c["kind"] for c in tiers} == {"kindergarten", "convenience", "park"}
    assert all(c["minutes"] == 5.0 for c in tiers)


def test_compare_and_scenario_routes(bench, client):
    r = client.post("/api/scenarios", json={"name": "cmp", "kind": "clinic"})
    assert r.status_code == 201 and r.json()["minutes"] == 15.0
    for f in r.json()["facilities"][:-1]:  # all but one close: land is lost
        assert client.post("/api/scenarios/cmp/edits", json={"op": "remove", "id": f["id"]}).status_code == 200
    c = client.get("/api/compare", params={"before": "today", "after": "cmp"}).json()
    assert c["land_gained_m2"] == 0.0 and c["land_lost_m2"] > 0
    assert c["figures_after"]["covered_share_land"] < c["figures_before"]["covered_share_land"]
    assert len(c["units"]) == 2 and c["units"][0]["unit_name"] == "West =1+1"
    lost = set(c["cells_lost"])
    area = bench.area_m2
    assert sum(area[i] for i in lost) == pytest.approx(c["land_lost_m2"])
    r = client.post("/api/scenarios", json={"name": "cmp2", "copy_of": "cmp"})
    assert r.status_code == 201 and r.json()["edits"] == len(r.json()["edit_log"]) >= 1
    assert client.get("/api/compare", params={"before": "cmp", "after": "cmp2"}).json()["cells_lost"] == []
    names = [s["name"] for s in client.get("/api/scenarios").json()["scenarios"]]
    assert {"cmp", "cmp2"} <= set(names)
    assert client.delete("/api/scenarios/cmp2").status_code == 200
    r = client.get("/api/scenarios/cmp2")
    assert r.status_code == 404 and "no scenario named 'cmp2'" in r.json()["error"]
    r = client.post("/api/scenarios", json={"name": "cmp", "kind": "clinic"})
    assert r.status_code == 400 and "exists already" in r.json()["error"]
    r = client.post("/api/scenarios", json={"name": "p", "kind": "park"})
    assert r.status_code == 201
    r = client.get("/api/compare", params={"before": "cmp", "after": "p"})
    assert r.status_code == 400 and "different standards" in r.json()["error"]


def test_export_gcj02_reads_back_to_the_same_points(bench, client, tmp_path):
    from geo.io import read_points

    client.post("/api/scenarios", json={"name": "gcj", "kind": "clinic"})
    wgs = pd.read_csv(io.BytesIO(client.get("/api/scenarios/gcj/export.csv").content), encoding="utf-8-sig")
    r = client.get("/api/scenarios/gcj/export.csv", params={"coords": "gcj02"})
    p = tmp_path / "gcj.csv"
    p.write_bytes(r.content)
    with pytest.warns(UserWarning, match="outside China"):  # Helsinki: the shift does not apply, as the CLI says
        back = read_points(p, coords="gcj02")
    np.testing.assert_allclose(back.geometry.x, wgs["lon"], atol=1e-9)
    np.testing.assert_allclose(back.geometry.y, wgs["lat"], atol=1e-9)


def test_upload_reads_like_the_command_line(bench, client):
    lon, lat = _lonlat_of_node(bench, 10)
    csv = f"名称,经度,纬度\nA clinic,{lon},{lat}\n=HYPERLINK(\"x\"),{lon + 0.001},{lat}\nfar away,100.0,30.0\n"
    r = client.post("/api/upload", params={"filename": "list.csv", "kind": "clinic"}, content=csv.encode())
    assert r.status_code == 200, r.text
    up = r.json()
    assert up["rows"] == 3 and up["left_out_rows"] == [4] and len(up["points"]) == 2
    assert up["names"][1] == '=HYPERLINK("x")'  # kept as text; shown as text by any page
    assert any("outside the study area" in w for w in up["warnings"])
    np.testing.assert_allclose(up["points"][0], [lon, lat])
    # a bad row: the command line's message, naming the uploaded file, not a temporary path
    bad = f"name,lon,lat\nA,{lon},{lat}\nB,abc,{lat}\n"
    r = client.post("/api/upload", params={"filename": "bad.csv", "kind": "clinic"}, content=bad.encode())
    assert r.status_code == 400
    err = r.json()["error"]
    assert "bad.csv" in err and "row 3" in err and "abc" in err and "beichen-upload" not in err
    # Excel, added to a scenario
    client.post("/api/scenarios", json={"name": "up", "kind": "clinic"})
    buf = io.BytesIO()
    pd.DataFrame({"name": ["X"], "lon": [lon], "lat": [lat]}).to_excel(buf, index=False)
    r = client.post("/api/upload", params={"filename": "list.xlsx", "kind": "clinic", "scenario": "up"},
                    content=buf.getvalue())
    assert r.status_code == 200, r.text
    sc = client.get("/api/scenarios/up").json()
    assert [f["origin"] for f in sc["facilities"]].count("upload") == 1
    # GCJ-02 declared: honoured as the command line does (outside China the shift does not apply: said so)
    r = client.post("/api/upload", params={"filename": "gaode.csv", "kind": "clinic", "coords": "gcj02"},
                    content=f"name,lon,lat\nG,{lon},{lat}\n".encode())
    assert r.status_code == 200, r.text
    assert any("outside China" in w for w in r.json()["warnings"])
    np.testing.assert_allclose(r.json()["points"][0], [lon, lat])
    # refused: unknown suffix, too large
    r = client.post("/api/upload", params={"filename": "list.exe", "kind": "clinic"}, content=b"x")
    assert r.status_code == 400 and "NAME.csv" in r.json()["error"]
    r = client.post("/api/upload", params={"filename": "big.csv", "kind": "clinic"}, content=b"x" * (5 * 2**20 + 1))
    assert r.status_code == 413 and "5 MiB" in r.json()["error"]


def test_best_site_on_a_scenario(bench, client):
    client.post("/api/scenarios", json={"name": "bs", "kind": "clinic"})
    ids = [f["id"] for f in client.get("/api/scenarios/bs").json()["facilities"]]
    for i in ids[:-1]:
        client.post("/api/scenarios/bs/edits", json={"op": "remove", "id": i})
    fig = client.get("/api/scenarios/bs").json()["figures"]
    r = client.post("/api/best-site", json={"scenario": "bs", "n": 1, "objective": "land"})
    assert r.status_code == 200, r.text
    b = r.json()
    assert b["before"]["covered_share_land"] == pytest.approx(fig["covered_share_land"], abs=1e-6)
    assert len(b["sites"]) == 1
    site = b["sites"][0]
    # adding the proposed site gives the solver's "after"
    after = client.post("/api/coverage", json={"kind": "clinic", "scenario": "bs",
                                               "add": [[site["lon_wgs84"], site["lat_wgs84"]]]}).json()["figures"]
    assert after["covered_share_land"] == pytest.approx(b["after"]["covered_share_land"], abs=2e-6)
    assert after["covered_share_land"] > fig["covered_share_land"]


@pytest.mark.parametrize("body,code,words", [
    ({"kind": "clinic", "add": [[1e9, 0]]}, 400, "not a WGS84"),
    ({"kind": "clinic", "add": [[24.9, 60.1, 3]]}, 400, "[longitude, latitude]"),
    ({"kind": "clinic", "minutes": 500}, 400, "at most"),
    ({"kind": "clinic", "minutes": 45}, 400, "loaded for walks up to 30"),
    ({"kind": "clinic", "remove": [99999]}, 400, "no open facility with id 99999"),
    ({"kind": "clinic", "scenario": "nope"}, 404, "no scenario named"),
    ({"kind": "clinic", "bogus": 1}, 422, "bogus"),
])
def test_bad_requests_are_clear_4xx(client, body, code, words):
    r = client.post("/api/coverage", json=body)
    assert r.status_code == code, r.text
    assert words in r.json()["error"]


def test_loopback_only_refuses_other_host_names(bench):
    c = TestClient(create_app(bench), base_url="http://evil.example")
    r = c.get("/api/info")
    assert r.status_code == 403 and "127.0.0.1" in r.json()["error"]


def test_docs_pages_are_off_and_the_schema_is_local(client):
    assert client.get("/docs").status_code == 404
    schema = client.get("/api/openapi.json").json()
    assert "/api/coverage" in schema["paths"] and "/api/upload" in schema["paths"]
    page = client.get("/")
    assert page.status_code == 200 and "static/leaflet/leaflet.js" in page.text and "http" not in page.text


# ---------------------------------------------------------------------------- a real server process
@pytest.fixture(scope="module")
def local_server():
    s = Server()
    yield s
    s.stop()


@pytest.mark.slow
def test_real_server_keeps_serving_after_bad_requests(local_server):
    import httpx

    url = local_server.url
    good = {"kind": "clinic", "minutes": 15}
    with httpx.Client(base_url=url, timeout=30) as c:
        assert c.post("/api/coverage", json=good).status_code == 200
        bad = [
            (c.post("/api/coverage", content=b"{not json", headers={"content-type": "application/json"}), 400),
            (c.post("/api/coverage", json={"kind": "clinic", "add": [[100.0, 30.0]]}), 400),
            (c.post("/api/coverage", json={"kind": "spaceship"}), 400),
            (c.post("/api/upload", params={"filename": "huge.csv", "kind": "clinic"},
                    content=b"lon,lat\n" + b"24.9,60.1\n" * 700_000), 413),
            (c.post("/api/scenarios/none/edits", json={"op": "remove", "id": 1}), 404),
            (c.get("/api/nowhere"), 404),
        ]
        for r, code in bad:
            assert r.status_code == code, r.text
            assert r.headers["content-type"].startswith("application/json") and r.json()["error"]
            assert c.post("/api/coverage", json=good).status_code == 200  # still serving
    assert local_server.proc.poll() is None


@pytest.mark.slow
def test_real_server_with_another_host_needs_the_token():
    import httpx

    s = Server("--host", "0.0.0.0")
    try:
        assert s.token and len(s.token) >= 30
        base = s.url.replace("0.0.0.0", "127.0.0.1")
        with httpx.Client(base_url=base, timeout=30) as c:
            r = c.get("/api/info")
            assert r.status_code == 401 and "no access token" in r.json()["error"]
            r = c.get("/api/info", headers={"Authorization": "Bearer wrong"})
            assert r.status_code == 401 and "wrong access token" in r.json()["error"]
            assert c.get("/api/info", headers={"Authorization": f"Bearer {s.token}"}).status_code == 200
            r = c.get("/", params={"token": s.token})  # once in the URL, then the cookie
            assert r.status_code == 200
            assert c.get("/api/info").status_code == 200
        with httpx.Client(base_url=base, timeout=30) as c:
            assert c.get("/api/info").status_code == 401  # a new client without the cookie
    finally:
        s.stop()
    assert s.proc.returncode in (0, 143, -15)


@pytest.mark.slow
def test_serve_refuses_output_options_and_a_busy_port(local_server):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-m", "beichen_geo.cli", "serve", "--out", "x", "--quiet"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and "serve writes no files: leave out --out" in r.stderr
    r = subprocess.run([sys.executable, "-m", "beichen_geo.cli", "serve", "--zones", "z.geojson", "--quiet"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and "leave out --zones" in r.stderr
    port = local_server.url.rstrip("/").rsplit(":", 1)[1]
    r = subprocess.run([sys.executable, "-m", "beichen_geo.cli", "serve", "--port", port, "--quiet"],
                       capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert r.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in r.stderr


def test_path_of_static_assets_is_in_the_package():
    from beichen_geo.serve.app import STATIC

    assert (STATIC / "index.html").exists() and Path(STATIC).is_relative_to(ROOT / "beichen_geo")


def test_isochrone_of_a_point(bench, client):
    lon, lat = _lonlat_of_node(bench, 5)
    r = client.get("/api/isochrone", params={"lon": lon, "lat": lat, "minutes": 5})
    assert r.status_code == 200, r.text
    g = gpd.GeoDataFrame.from_features(r.json()["features"], crs=WEB_CRS)
    assert bool(g.geometry.iloc[0].contains(shapely.Point(lon, lat)))
    area_m2 = float(g.to_crs(bench.study.crs).area.iloc[0])
    d = 5 * bench.study.net.metres_per_minute + 30  # the walk plus the street buffer: at most this disc
    assert 0 < area_m2 < np.pi * d**2
    r = client.get("/api/isochrone", params={"lon": lon, "lat": lat, "minutes": 0})
    assert r.status_code == 400 and "minutes" in r.json()["error"]


def test_page_colours_are_the_maps_palette(client):
    """The workbench colours covered / not covered land as every map does (one palette)."""
    from geo.maps import palette

    colours = client.get("/api/info").json()["colours"]
    assert colours["covered"] == palette.COVERED and colours["uncovered"] == palette.NOT_COVERED
    assert colours["covered"] != palette.PARKS
    assert len({colours[k] for k in ("covered", "uncovered", "off", "gained", "lost", "reach")}) == 6
