"""The what-if workbench page, driven as a user drives it, against a real ``beichen-geo serve``.

The browser tests start ``beichen-geo serve --units FILE --port 0`` on 127.0.0.1 (the embedded
Helsinki extract) and open its page in headless Chromium (Debian's ``/usr/bin/chromium`` or
``$CHROMIUM``, through the ``playwright`` package) with every request to anything but that
server refused, and the test failed if one is tried. Each figure the page shows is compared
with the API's own answer for the same facilities (``POST /api/coverage`` from today's
facilities, ``GET /api/compare``); screenshots go to ``test-output/screenshots/``.

The tests without the browser call the routes the page adds (background layers, the light
cell refresh, the scenario's assessment) in process, against independent answers.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import ROOT
from serve_process import Server

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from geo.projection import WEB_CRS  # noqa: E402

SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
#: Names of the two units: text that would run as a formula or as markup if it were not kept as text.
UNIT_NAMES = ["West =1+1", "<b>East</b>"]


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def units_file(tmp_path_factory: pytest.TempPathFactory, helsinki_study: Any) -> Path:
    """The west and east halves of the sample's study area (WGS84 GeoJSON with a name column)."""
    x0, y0, x1, y1 = helsinki_study.area.bounds
    xm = (x0 + x1) / 2
    halves = [shapely.box(x0 - 1, y0 - 1, xm, y1 + 1), shapely.box(xm, y0 - 1, x1 + 1, y1 + 1)]
    gdf = gpd.GeoDataFrame({"name": UNIT_NAMES}, geometry=halves, crs=helsinki_study.crs).to_crs(WEB_CRS)
    p = tmp_path_factory.mktemp("page_units") / "units.geojson"
    gdf.to_file(p, driver="GeoJSON")
    return p


@pytest.fixture(scope="module")
def bench(units_file: Path) -> Any:
    """A workbench on the sample with the two units, as ``beichen-geo serve --units FILE`` builds it."""
    from beichen_geo.cli import pipeline
    from beichen_geo.cli.parser import build_parser
    from beichen_geo.population import residents_for
    from beichen_geo.progress import Steps
    from beichen_geo.serve import Workbench
    from beichen_geo.standards import load_standards

    args = build_parser().parse_args(["serve", "--units", str(units_file), "--quiet"])
    standards = pipeline.clinics_from_file(load_standards(args.standards), args)
    study = pipeline.load(args, Steps(quiet=True), standards)
    residents = residents_for(study, standards.population, units=args.units)
    units, _ = pipeline.groupings(args, study, residents)
    return Workbench(study, standards, residents, units=units, max_minutes=pipeline.largest_minutes(standards))


@pytest.fixture(scope="module")
def client(bench: Any) -> TestClient:
    from beichen_geo.serve import create_app

    return TestClient(create_app(bench), base_url="http://127.0.0.1")


@pytest.fixture(scope="module")
def server(units_file: Path) -> Iterator[Server]:
    s = Server("--units", str(units_file))
    assert s.url.startswith("http://127.0.0.1:"), s.url
    yield s
    s.stop()
    assert s.proc.returncode in (0, 143, -15), "the server did not stop cleanly"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"headless Chromium not found at {CHROMIUM}: apt-get install -y chromium (or set $CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (no browser download needed)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class Page:
    """The workbench page in a fresh browser context; every request outside the server is refused and kept."""

    def __init__(self, browser: Any, url: str, *, name: str) -> None:
        self.url, self.name = url.rstrip("/") + "/", name
        self.ctx = browser.new_context(viewport={"width": 1400, "height": 900}, service_workers="block",
                                       accept_downloads=True)
        self.blocked: list[str] = []
        self.errors: list[str] = []

        def on_route(route: Any) -> None:
            if route.request.url.startswith(self.url):
                route.continue_()
            else:
                self.blocked.append(route.request.url)
                route.abort()

        self.ctx.route("**/*", on_route)
        self.page = self.ctx.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("dialog", lambda d: (self.errors.append(f"dialog: {d.message}"), d.dismiss()))
        self.page.goto(self.url, wait_until="load")
        self.page.wait_for_function("document.body.dataset.ready === '1' && document.body.dataset.pending === '0'",
                                    timeout=60_000)

    def js(self, expr: str, arg: Any = None) -> Any:
        return self.page.evaluate(expr, arg)

    def version(self) -> int:
        return int(self.js("document.getElementById('figures').dataset.version"))

    def settle(self, after: int | None = None) -> None:
        """Wait until every queued request is answered (and the figures were drawn again after ``after``)."""
        cond = "document.body.dataset.pending === '0'"
        if after is not None:
            cond += f" && +document.getElementById('figures').dataset.version > {after}"
        self.page.wait_for_function(cond, timeout=60_000)

    def value(self, sel: str) -> float:
        v = self.page.get_attribute(sel, "data-value")
        assert v not in (None, ""), f"{sel} shows no value"
        return float(v)

    def figures(self) -> dict[str, float]:
        return {"covered_share_land": self.value("#f-share-land"),
                "covered_share_residents": self.value("#f-share-res"),
                "residents_covered": self.value("#f-res-cov"), "facilities_open": self.value("#f-fac")}

    def units(self) -> list[dict[str, Any]]:
        return self.js("""[...document.querySelectorAll('#units tbody tr')].map(tr => ({
            name: tr.cells[0].textContent, land: +tr.cells[1].dataset.value, residents: +tr.cells[2].dataset.value,
            covered: +tr.cells[3].dataset.value, markup: tr.cells[0].children.length}))""")

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        """Page coordinates (px) of a WGS84 point on the map."""
        return tuple(self.js("""([lon, lat]) => { const m = window.workbench.map;
            const p = m.latLngToContainerPoint([lat, lon]); const r = m.getContainer().getBoundingClientRect();
            return [r.left + p.x, r.top + p.y]; }""", [lon, lat]))

    def click_map(self, lon: float, lat: float) -> None:
        v = self.version()
        x, y = self.point(lon, lat)
        self.page.mouse.click(x, y)
        self.settle(after=v)

    def marker(self, fid: int) -> Any:
        return self.page.locator(f".leaflet-marker-icon[data-facility='{fid}']")

    def shot(self, what: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"workbench_{what}.png"))

    def scenario(self) -> str:
        return self.js("window.workbench.state.scenario")

    def close(self) -> None:
        self.ctx.close()

    def assert_clean(self) -> None:
        assert self.blocked == [], f"the page asked for something outside the server: {self.blocked}"
        assert self.errors == []
        msg = self.js("({text: document.getElementById('message').textContent, "
                      "error: document.getElementById('message').classList.contains('error')})")
        assert not msg["error"], msg["text"]


def _api(server: Server) -> Any:
    import httpx

    return httpx.Client(base_url=server.url, timeout=120)


def _coverage(api: Any, *, add: list[list[float]] | None = None, remove: list[int] | None = None) -> dict[str, Any]:
    """The API's coverage of today's clinics with ``add`` opened and ``remove`` closed."""
    r = api.post("/api/coverage", json={"kind": "clinic", "minutes": 15, "add": add or [], "remove": remove or []})
    assert r.status_code == 200, r.text
    return r.json()["figures"]


def _same(page_fig: dict[str, float], api_fig: dict[str, Any]) -> None:
    for k, v in page_fig.items():
        assert v == pytest.approx(api_fig[k], abs=1e-12, rel=1e-12), k


def _same_units(page: Page, api_fig: dict[str, Any]) -> None:
    rows = page.units()
    assert [r["name"] for r in rows] == [u["unit_name"] for u in api_fig["units"]] == UNIT_NAMES
    assert all(r["markup"] == 0 for r in rows)  # "<b>East</b>" is shown as text, no element made
    for r, u in zip(rows, api_fig["units"], strict=True):
        assert r["land"] == pytest.approx(u["covered_share_land"], abs=1e-12)
        assert r["residents"] == pytest.approx(u["covered_share_residents"], abs=1e-12)
        assert r["covered"] == pytest.approx(u["residents_covered"], abs=1e-9)


def _sites(api: Any, n: int) -> list[dict[str, Any]]:
    """``n`` sites where a new clinic gains most (the gaps solver through the API), as [lon, lat] and gain."""
    r = api.post("/api/best-site", json={"kind": "clinic", "minutes": 15, "n": n, "objective": "land"})
    assert r.status_code == 200, r.text
    sites = r.json()["sites"]
    assert len(sites) == n and all(s["gain_area_m2"] > 0 for s in sites)
    return sites


# ---------------------------------------------------------------------------- the page in a browser
@pytest.mark.browser
def test_add_move_remove_by_hand(browser: Any, server: Server) -> None:
    """Load; click to add a clinic (the share rises to the API's figure); drag it; remove it (back to today)."""
    with _api(server) as api:
        today = _coverage(api)
        first, second = _sites(api, 2)
        p = Page(browser, server.url, name="edits")
        try:
            assert p.scenario() == "today"
            _same(p.figures(), today)
            _same_units(p, today)
            # the streets: the maps' context layer, drawn from the study's own network
            ctx = api.get("/api/context").json()
            assert {spec["cls"] for spec in ctx["context"]["layers"]} >= {"street"}
            n_lines = sum(len(spec.get("lines", spec.get("polygons", []))) for spec in ctx["context"]["layers"]
                          if "min_zoom" not in spec)
            assert n_lines > 100
            assert p.js("document.querySelectorAll('.leaflet-bg-context-pane path').length") >= 1
            # tiles are offered as a base layer (--basemap positron) but never asked for unless chosen
            tiles = [b["name"] for b in api.get("/api/info").json()["tiles"]["layers"]]
            bases = p.js("[...document.querySelectorAll('.leaflet-control-layers-base label')]"
                         ".map(l => l.textContent.trim())")
            assert bases == ["Streets (from the data)", *tiles, "No background"] and tiles
            n_cells = p.js("window.workbench.state.cellLayers.size")
            assert n_cells == today["demand_cells"]
            assert p.js("document.querySelectorAll('.leaflet-marker-icon.wb-fac-existing').length") == \
                today["facilities_open"]
            p.shot("load")

            # add: a click where the solver says a clinic gains land
            p.click_map(first["lon_wgs84"], first["lat_wgs84"])
            name = p.scenario()
            assert name != "today"  # editing today started a scenario
            sc = api.get(f"/api/scenarios/{name}").json()
            added = [f for f in sc["facilities"] if f["origin"] == "added"]
            assert len(added) == 1
            fid, at = added[0]["id"], [added[0]["lon"], added[0]["lat"]]
            assert shapely.Point(at).distance(shapely.Point(first["lon_wgs84"], first["lat_wgs84"])) < 1e-4
            after_add = _coverage(api, add=[at])
            assert after_add["covered_share_land"] > today["covered_share_land"]
            _same(p.figures(), after_add)
            _same_units(p, after_add)
            gained = float(p.page.get_attribute("#change", "data-residents-gained"))
            lost = float(p.page.get_attribute("#change", "data-residents-lost"))
            assert gained - lost == pytest.approx(after_add["residents_covered"] - today["residents_covered"], abs=1e-6)
            assert p.value("#d-share-land") == pytest.approx(
                after_add["covered_share_land"] - today["covered_share_land"], abs=1e-12)
            # the cells drawn covered are the API's covered cells
            covered = api.get("/api/covered", params={"scenario": name}).json()["covered"]
            assert p.js("window.workbench.state.covered") == covered
            # the new facility's reach is drawn
            assert p.js("document.getElementById('map').dataset.reachFor") == str(fid)
            assert p.js("document.querySelectorAll('.leaflet-reach-pane path').length") >= 1
            p.shot("added")

            # move: drag the marker to the second site
            box = p.marker(fid).bounding_box()
            assert box is not None
            x0, y0 = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            x1, y1 = p.point(second["lon_wgs84"], second["lat_wgs84"])
            v = p.version()
            p.page.mouse.move(x0, y0)
            p.page.mouse.down()
            p.page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=5)
            p.page.mouse.move(x1, y1, steps=5)
            p.page.mouse.up()
            p.settle(after=v)
            moved = next(f for f in api.get(f"/api/scenarios/{name}").json()["facilities"] if f["id"] == fid)
            to = [moved["lon"], moved["lat"]]
            assert shapely.Point(to).distance(shapely.Point(at)) > 1e-4  # it moved
            assert shapely.Point(to).distance(shapely.Point(second["lon_wgs84"], second["lat_wgs84"])) < 2e-4
            after_move = _coverage(api, add=[to])
            _same(p.figures(), after_move)
            _same_units(p, after_move)
            assert p.js("window.workbench.state.covered") == api.get(
                "/api/covered", params={"scenario": name}).json()["covered"]
            p.shot("moved")

            # remove: click the marker, then "Remove" in its popup
            v = p.version()
            p.marker(fid).click()
            p.page.locator(f".wb-popup[data-facility='{fid}'] .wb-remove").click()
            p.settle(after=v)
            _same(p.figures(), today)  # back to the start
            assert p.value("#f-share-land") == pytest.approx(today["covered_share_land"], abs=1e-12)
            assert p.marker(fid).count() == 0
            # and an existing facility closed ("what if this one closes")
            v = p.version()
            p.marker(0).click()
            p.page.locator(".wb-popup[data-facility='0'] .wb-remove").click()
            p.settle(after=v)
            _same(p.figures(), _coverage(api, remove=[0]))
            p.shot("removed")
            p.assert_clean()
        finally:
            p.close()


@pytest.mark.browser
def test_scenarios_compare_best_site_upload_export(browser: Any, server: Server, tmp_path: Path) -> None:
    """Two named scenarios saved and compared side by side; the best next site; an upload; the exports."""
    with _api(server) as api:
        today = _coverage(api)
        first, second = _sites(api, 2)
        p = Page(browser, server.url, name="scenarios")
        try:
            # scenario "north A": today's clinics plus one, made with "New from today"
            p.page.fill("#sc-name", "north A")
            v = p.version()
            p.page.click("#new-today")
            p.settle(after=v)
            assert p.scenario() == "north A"
            p.click_map(first["lon_wgs84"], first["lat_wgs84"])
            assert p.scenario() == "north A"
            fig_a = api.get("/api/scenarios/north A").json()["figures"]
            assert fig_a["covered_share_land"] > today["covered_share_land"]
            _same(p.figures(), fig_a)
            # "north B": saved as a copy of A, then one more clinic
            p.page.fill("#sc-name", "north B")
            v = p.version()
            p.page.click("#save-as")
            p.settle(after=v)
            assert p.scenario() == "north B"
            p.click_map(second["lon_wgs84"], second["lat_wgs84"])
            fig_b = api.get("/api/scenarios/north B").json()["figures"]
            assert api.get("/api/scenarios/north A").json()["figures"] == fig_a  # A kept as it was
            assert fig_b["facilities_open"] == fig_a["facilities_open"] + 1
            _same(p.figures(), fig_b)

            # compare A (before) with B (after)
            p.page.select_option("#cmp-before", "north A")
            p.page.select_option("#cmp-after", "north B")
            p.page.click("#cmp-go")
            p.page.wait_for_selector("#cmp-table")
            p.settle()
            cmp = api.get("/api/compare", params={"before": "north A", "after": "north B"}).json()
            rows = p.js("""[...document.querySelectorAll('#cmp-table tbody tr')].map(tr =>
                [...tr.cells].slice(1).map(td => +td.dataset.value))""")
            names = p.js("[...document.querySelectorAll('#cmp-table tbody tr')].map(tr => tr.cells[0].textContent)")
            assert names[1:] == UNIT_NAMES
            want = [[cmp["figures_before"]["covered_share_land"], cmp["figures_after"]["covered_share_land"],
                     cmp["figures_before"]["covered_share_residents"], cmp["figures_after"]["covered_share_residents"]]]
            want += [[u["covered_share_land_before"], u["covered_share_land_after"],
                      u["covered_share_residents_before"], u["covered_share_residents_after"]] for u in cmp["units"]]
            np.testing.assert_allclose(rows, want, atol=1e-12)
            changed = len(cmp["cells_gained"]) + len(cmp["cells_lost"])
            assert changed > 0
            assert p.js("document.getElementById('cmp-result').dataset.cellsChanged") == str(changed)
            assert p.js("document.querySelectorAll('.leaflet-changed-pane path').length") == changed
            p.page.locator("#cmp-result").scroll_into_view_if_needed()
            p.shot("compare")

            # switch back to A: its figures and facilities
            v = p.version()
            p.page.select_option("#scenario", "north A")
            p.settle(after=v)
            _same(p.figures(), fig_a)
            assert p.js("document.querySelectorAll('.leaflet-marker-icon.wb-fac').length") == fig_a["facilities_open"]

            # the best next site on A, added from its proposal
            p.page.click("#best-site")
            p.page.wait_for_selector(".wb-add-proposal", timeout=60_000)
            p.settle()
            best = api.post("/api/best-site", json={"scenario": "north A", "n": 1}).json()["sites"][0]
            shown = p.js("(e => [+e.dataset.lon, +e.dataset.lat])(document.querySelector('#proposal [data-lon]'))")
            assert shown == pytest.approx([best["lon_wgs84"], best["lat_wgs84"]], abs=1e-12)
            v = p.version()
            p.page.click(".wb-add-proposal")
            p.settle(after=v)
            # the solver rounds its shares to 6 decimals
            assert p.value("#f-share-res") == pytest.approx(best["covered_share_residents_after"], abs=5e-7)
            _same(p.figures(), api.get("/api/scenarios/north A").json()["figures"])

            # upload a list of two clinics into A
            csv = tmp_path / "clinics =1+1.csv"
            pts = [[first["lon_wgs84"] + 2e-4, first["lat_wgs84"]], [second["lon_wgs84"], second["lat_wgs84"] - 2e-4]]
            pd.DataFrame({"name": ["<img src=x onerror=alert(1)>", "=HYPERLINK(\"x\")"], "lon": [q[0] for q in pts],
                          "lat": [q[1] for q in pts]}).to_csv(csv, index=False)
            before_upload = api.get("/api/scenarios/north A").json()["figures"]["facilities_open"]
            p.page.set_input_files("#upload-file", str(csv))
            v = p.version()
            p.page.click("#upload-go")
            p.settle(after=v)
            sc_a = api.get("/api/scenarios/north A").json()
            assert sc_a["figures"]["facilities_open"] == before_upload + 2
            _same(p.figures(), sc_a["figures"])
            assert p.js("document.querySelectorAll('.leaflet-marker-icon.wb-fac-upload').length") == 2
            assert "clinics _1_1.csv: 2" in p.page.text_content("#upload-result")  # the name as the server keeps it
            p.shot("upload")

            # export A: the CSV reads back to the scenario's facilities
            with p.page.expect_download() as dl:
                p.page.click("#export-csv")
            path = tmp_path / "export.csv"
            dl.value.save_as(path)
            table = pd.read_csv(path, encoding="utf-8-sig")
            fac = sc_a["facilities"]
            assert len(table) == len(fac) == sc_a["figures"]["facilities_open"]
            np.testing.assert_allclose(table[["lon", "lat"]].to_numpy(), [[f["lon"], f["lat"]] for f in fac],
                                       atol=1e-12)
            assert set(table["kind"]) == {"clinic"}
            assert "'=HYPERLINK(\"x\")" in table["name"].tolist()  # a formula in a cell stays text
            # and its assessment (the clinics and circles analyses on A's facilities)
            with p.page.expect_download() as dl:
                p.page.click("#export-json")
            doc = json.loads(Path(dl.value.path()).read_text(encoding="utf-8"))
            assert doc["scenario"]["name"] == "north A"
            reach = next(r for r in doc["whole_area"]["rows"] if r["standard_id"].startswith("clinics:S-H-01:reach"))
            assert reach["value"] == pytest.approx(sc_a["figures"]["covered_share_residents"], abs=1e-5)
            with p.page.expect_download() as dl:
                p.page.click("#export-xlsx")
            import openpyxl

            wbk = openpyxl.load_workbook(io.BytesIO(Path(dl.value.path()).read_bytes()))
            assert len(wbk.sheetnames) >= 3
            p.assert_clean()
        finally:
            p.close()


@pytest.mark.browser
def test_page_in_chinese(browser: Any, units_file: Path) -> None:
    """With ``--lang zh`` every word of the page is the Chinese one; the page still asks for nothing outside."""
    s = Server("--units", str(units_file), "--lang", "zh")
    try:
        p = Page(browser, s.url, name="zh")
        try:
            assert p.js("document.documentElement.lang") == "zh"
            words = p.js("[...document.querySelectorAll('[data-w]')].map(e => [e.dataset.w, e.textContent])")
            zh = p.js("window.WB_WORDS.zh")
            assert words and all(text == zh[key] for key, text in words)
            assert p.page.text_content("h1") == "假设情景工作台"
            # another standard: S-PG-01 (parks within 500 m walked), today's parks
            with _api(s) as api:
                choice = next(c for c in api.get("/api/standards").json()["choices"] if c["id"] == "S-PG-01")
                v = p.version()
                p.page.select_option("#standard", "S-PG-01")
                p.settle(after=v)
                r = api.post("/api/coverage", json={"kind": "park", "minutes": choice["minutes"]})
                fig = r.json()["figures"]
            _same(p.figures(), fig)
            assert p.js("document.querySelectorAll('.leaflet-marker-icon.wb-fac-existing').length") == \
                fig["facilities_open"]
            p.shot("zh")
            p.assert_clean()
        finally:
            p.close()
    finally:
        s.stop()


# ---------------------------------------------------------------------------- the routes the page adds
def test_words_have_both_languages() -> None:
    """Every word of the page exists in English and in Chinese (words.js read as JSON)."""
    text = (ROOT / "beichen_geo" / "serve" / "static" / "words.js").read_text(encoding="utf-8")
    body = text[text.index("window.WB_WORDS = ") + len("window.WB_WORDS = "):text.rindex(";")]
    import re

    words = json.loads(re.sub(r",(\s*[}\]])", r"\1", re.sub(r"^(\s*)(\w+):", r'\1"\2":', body, flags=re.M)))
    assert set(words["en"]) == set(words["zh"])
    page = (ROOT / "beichen_geo" / "serve" / "static" / "index.html").read_text(encoding="utf-8")
    used = set(re.findall(r'data-w="(\w+)"', page))
    js = (ROOT / "beichen_geo" / "serve" / "static" / "workbench.js").read_text(encoding="utf-8")
    used |= set(re.findall(r'\bw\("(\w+)"\)', js))
    assert used <= set(words["en"]), used - set(words["en"])


def test_page_and_leaflet_come_from_the_server(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "http:" not in page.text and "https:" not in page.text  # nothing from the internet
    for path in ("/static/leaflet/leaflet.js", "/static/leaflet/leaflet.css", "/static/workbench.js",
                 "/static/words.js", "/static/workbench.css"):
        r = client.get(path)
        assert r.status_code == 200 and len(r.content) > 1000, path
    js = client.get("/static/workbench.js").text
    assert "innerHTML" not in js and "insertAdjacentHTML" not in js and "document.write" not in js


def test_layers_route_gives_the_units_and_area_in_wgs84(bench: Any, client: TestClient) -> None:
    r = client.get("/api/layers")
    assert r.status_code == 200
    lay = r.json()
    units = gpd.GeoDataFrame.from_features(lay["units"]["features"], crs=WEB_CRS).to_crs(bench.study.crs)
    assert units["unit_name"].tolist() == UNIT_NAMES and units["unit"].tolist() == [0, 1]
    # the same polygons as the --units file's, within the simplification and rounding
    want = bench.units.gdf.geometry.to_numpy()
    sym = shapely.area(shapely.symmetric_difference(units.geometry.to_numpy(), want))
    assert (sym < 1e-3 * shapely.area(want)).all()
    area = gpd.GeoDataFrame.from_features(lay["area"]["features"], crs=WEB_CRS).to_crs(bench.study.crs)
    assert area.geometry.iloc[0].area == pytest.approx(bench.study.area.area, rel=1e-3)


def test_covered_route_is_the_cells_state_without_geometry(client: TestClient) -> None:
    r = client.post("/api/scenarios", json={"name": "light", "kind": "clinic", "minutes": 15})
    assert r.status_code == 201
    light = client.get("/api/covered", params={"scenario": "light"}).json()
    cells = client.get("/api/cells", params={"scenario": "light"}).json()["features"]
    assert light["covered"] == [f["properties"]["covered"] for f in cells]
    assert light["minutes"] == [f["properties"]["minutes"] for f in cells]
    assert light["figures"]["covered_share_land"] == pytest.approx(
        sum(f["properties"]["area_m2"] for f in cells if f["properties"]["covered"])
        / sum(f["properties"]["area_m2"] for f in cells), abs=1e-12)
    assert client.get("/api/covered", params={"scenario": "nope"}).status_code == 404


def test_scenario_assessment_equals_the_assess_command(bench: Any, client: TestClient, units_file: Path,
                                                       tmp_path: Path) -> None:
    """assess.json of a scenario = the assessment of the same facilities through the command line's code."""
    from beichen_geo.cli import run

    name = "方案 assess"
    assert client.post("/api/scenarios", json={"name": name, "kind": "clinic", "minutes": 15}).status_code == 201
    nodes = bench.node_lonlat()
    for i in (40, 900):
        r = client.post(f"/api/scenarios/{name}/edits", json={"op": "add", "at": [float(v) for v in nodes[i]],
                                                              "name": "=1+1"})
        assert r.status_code == 200
    r = client.get(f"/api/scenarios/{name}/assess.json")
    assert r.status_code == 200, r.text
    assert "filename*=UTF-8''%E6%96%B9%E6%A1%88_assess_assess.json" in r.headers["content-disposition"]
    doc = r.json()
    assert doc["scenario"]["facilities_by_origin"] == {"existing": 4, "added": 2}
    # the command line on the exported list
    csv = tmp_path / "scenario.csv"
    csv.write_bytes(client.get(f"/api/scenarios/{name}/export.csv").content)
    out = tmp_path / "run"
    run(["assess", "--facilities", str(csv), "--kind", "clinic", "--units", str(units_file), "--out", str(out),
         "--quiet"])
    cli = json.loads((out / "assess.json").read_text(encoding="utf-8"))
    mine = {row["standard_id"]: row for row in doc["whole_area"]["rows"]}
    theirs = {row["standard_id"]: row for row in cli["whole_area"]["rows"]}
    for sid, row in mine.items():
        assert sid in theirs, sid
        assert row["value"] == theirs[sid]["value"] and row["passes"] == theirs[sid]["passes"], sid
    for u_mine, u_cli in zip(doc["units"], cli["units"], strict=True):
        assert u_mine["name"] == u_cli["name"]
        a = {row["standard_id"]: row["value"] for row in u_mine["rows"]}
        b = {row["standard_id"]: row["value"] for row in u_cli["rows"]}
        assert all(a[k] == b[k] for k in a), u_mine["name"]
    # the workbook: the unit named "West =1+1" stays a text cell
    x = client.get(f"/api/scenarios/{name}/assess.xlsx")
    assert x.status_code == 200
    import openpyxl

    wbk = openpyxl.load_workbook(io.BytesIO(x.content))
    cells = [c for ws in wbk.worksheets for row in ws.iter_rows() for c in row if c.value == "West =1+1"]
    assert cells and all(c.data_type == "s" for c in cells)
    # a kind no analysis measures at those minutes is refused with a reason
    assert client.post("/api/scenarios", json={"name": "odd", "kind": "clinic", "minutes": 7}).status_code == 201
    r = client.get("/api/scenarios/odd/assess.json")
    assert r.status_code == 400 and "no analysis" in r.json()["error"]
