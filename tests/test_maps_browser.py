"""Render geo.maps pages in headless Chromium with the network cut off.

Needs Debian's ``chromium`` (``apt-get install -y chromium``; another binary can be given
in ``$CHROMIUM``) and the ``playwright`` Python package (its own browser download is not
used). Screenshots are written to ``test-output/screenshots/`` for review.
"""

from __future__ import annotations

import importlib.util
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# The synthetic layers and the full map are those of the unit tests.
_spec = importlib.util.spec_from_file_location("_maps_fixtures", Path(__file__).with_name("test_maps.py"))
assert _spec and _spec.loader
fx = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fx)
XSS = fx.XSS

_MAP_JS = """Object.keys(window).filter(k => /^map_[0-9a-f]+$/.test(k))
    .map(k => window[k]).find(v => window.L && v instanceof L.Map)"""


@dataclass
class Loaded:
    """A page, and what it did while loading."""

    page: Any
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def js(self, expr: str, arg: Any = None) -> Any:
        return self.page.evaluate(expr, arg)

    def overlay_names(self) -> list[str]:
        return self.js("[...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
                       ".map(l => l.textContent.trim())")

    def base_names(self) -> list[str]:
        return self.js("[...document.querySelectorAll('.leaflet-control-layers-base label')]"
                       ".map(l => l.textContent.trim())")

    def n_paths(self) -> int:
        return self.js("document.querySelectorAll('.leaflet-overlay-pane path').length")

    def n_points_shown(self) -> int:
        """Markers drawn one by one plus the points counted in cluster bubbles, from Leaflet's own
        layers (the DOM briefly holds both old and new bubbles while the cluster animation runs)."""
        return self.js(f"""(() => {{ const m = {_MAP_JS}; let n = 0;
            m.eachLayer(l => {{
              if (L.MarkerCluster && l instanceof L.MarkerCluster) n += l.getChildCount();
              else if (l instanceof L.Marker) n += 1; }});
            return n; }})()""")

    def legend_text(self) -> str:
        return self.js("(document.querySelector('.bg-legend') || {}).textContent || ''")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"headless Chromium not found at {CHROMIUM}: apt-get install -y chromium "
                    "(or set $CHROMIUM)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="pip install playwright (its browser download is not needed)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def render(browser, tmp_path):
    contexts = []

    def _render(mb, kind: str) -> Loaded:
        path = mb.save(tmp_path / f"{kind}.html")
        ctx = browser.new_context(viewport={"width": 1200, "height": 800}, service_workers="block")
        contexts.append(ctx)
        page = ctx.new_page()
        out = Loaded(page)

        def on_route(route):
            url = route.request.url
            if url.startswith(("file:", "data:", "blob:")):
                route.continue_()
            else:
                out.blocked.append(url)
                route.abort()

        ctx.route("**/*", on_route)

        def on_console(msg):
            if msg.type != "error":
                return
            url = (msg.location or {}).get("url", "")
            if msg.text.startswith("Failed to load resource") and url.startswith(("http:", "https:")):
                return  # a tile, blocked on purpose
            out.errors.append(f"console: {msg.text} @ {url}")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: out.errors.append(f"pageerror: {exc}"))
        page.on("dialog", lambda d: (out.dialogs.append(d.message), d.dismiss()))
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_function(
            "document.querySelectorAll('.leaflet-overlay-pane path, .leaflet-marker-icon').length > 0",
            timeout=10_000)
        # let the zoom and cluster animations and tile failures settle: a fixed pause was too short
        # on a loaded machine, where old and new cluster bubbles were counted together
        page.wait_for_function(
            f"(() => {{ const m = {_MAP_JS}; return m && !m._animatingZoom && "
            "!document.querySelector('.leaflet-cluster-anim'); })()", timeout=10_000)
        page.wait_for_timeout(300)
        SHOTS.mkdir(parents=True, exist_ok=True)
        png = page.screenshot(path=str(SHOTS / f"{kind}.png"))
        assert_not_blank(png)
        assert out.js(f"!!({_MAP_JS})"), "no Leaflet map object on the page"
        assert out.js("document.querySelectorAll('.bg-legend').length") == 1, "legend missing"
        assert out.js("document.querySelectorAll('.bg-title').length") == 1, "title block missing"
        assert out.js("document.querySelectorAll('.leaflet-control-scale').length") == 1
        assert out.js("document.querySelectorAll('.bg-fs-button').length") == 1
        assert out.js("document.querySelectorAll('script[src], link[href]').length") == 0
        return out

    yield _render
    for c in contexts:
        c.close()


def assert_not_blank(png: bytes) -> None:
    image = pytest.importorskip("PIL.Image", reason="pip install pillow to check screenshots")
    im = image.open(io.BytesIO(png)).convert("RGB")
    colours = im.getcolors(maxcolors=1 << 20)
    assert colours is not None
    top = max(n for n, _ in colours) / (im.width * im.height)
    assert len(colours) > 30, f"screenshot has only {len(colours)} colours"
    assert top < 0.97, f"screenshot is {top:.0%} one colour"


def assert_clean(p: Loaded) -> None:
    assert p.errors == []
    assert p.dialogs == []
    # only tiles were asked for (Gaode's xyzservices URL is plain http)
    assert all(u.startswith(("https://", "http://")) and not u.endswith((".js", ".css"))
               for u in p.blocked), p.blocked


def test_bands_map(render):
    d = fx.synthetic_layers()
    mb = fx.MapBuilder(title="Bands", subtitle_lines=["Standard: 15 min"], basemap="positron")
    p = render(mb.add_bands(d["bands"]), "bands")
    assert_clean(p)
    assert p.overlay_names() == ["Walking-time bands"]
    assert p.base_names() == ["CARTO Positron", "No basemap"]
    assert p.n_paths() == 3
    fills = p.js("[...document.querySelectorAll('.leaflet-overlay-pane path')].map(e => e.getAttribute('fill'))")
    assert len(set(fills)) == 3
    # non-overlapping rings, shortest first: 5 min (a disc), then the 15- and 30-min rings
    widths = p.js("[...document.querySelectorAll('.leaflet-overlay-pane path')]"
                  ".map(e => e.getBoundingClientRect().width)")
    assert widths == sorted(widths)
    assert "Walking time (min)" in p.legend_text() and "≤ 15" in p.legend_text()
    assert any("basemaps.cartocdn.com" in u for u in p.blocked)  # tiles tried, failed silently


def test_points_map_clusters_and_escapes_popup(render):
    d = fx.synthetic_layers()
    mb = fx.MapBuilder(title="Facilities", basemap="osm")
    p = render(mb.add_points(d["points"], kind_col="kind", name_col="name", popup_cols={"Beds": "beds"}),
               "points")
    assert_clean(p)
    assert p.overlay_names() == ["clinic", "park", "school"]
    assert p.n_points_shown() == 66
    assert p.js("document.querySelectorAll('.bg-cluster').length") > 0  # schools (55) clustered
    res = p.js("""(m => { let hit = null;
        m.eachLayer(l => { if (!hit && l.getPopup && l.getPopup() && l.feature &&
            JSON.stringify(l.feature.properties).includes('onerror')) hit = l; });
        if (!hit) return null;
        hit.openPopup();
        const el = document.querySelector('.leaflet-popup-content');
        return {text: el.textContent, imgs: el.querySelectorAll('img').length}; })(""" + _MAP_JS + ")")
    assert res is not None, "popup of the feature named <img ...> not found"
    assert XSS in res["text"] and "Beds" in res["text"]
    assert res["imgs"] == 0
    p.page.wait_for_timeout(200)
    assert p.js("document.querySelectorAll('img[src=\"x\"]').length") == 0
    assert p.dialogs == []
    p.js("alert('probe')")  # the dialog listener does catch alerts
    assert p.dialogs == ["probe"]


def test_coverage_map_hatches_uncovered_and_escapes_tooltip(render):
    d = fx.synthetic_layers()
    mb = fx.MapBuilder(title="Coverage", basemap="none")
    p = render(mb.add_coverage(d["covered"], d["uncovered"], tooltip_cols={"Name": "name"}), "coverage")
    assert_clean(p)
    assert p.overlay_names() == ["Covered", "Not covered"]
    assert p.base_names() == []
    assert p.n_paths() == 3
    assert p.js("!!document.getElementById('bg-hatch-d7191c')")
    assert p.js("document.querySelectorAll('path[fill=\"url(#bg-hatch-d7191c)\"]').length") == 1
    res = p.js("""(m => { let hit = null;
        m.eachLayer(l => { if (!hit && l.getTooltip && l.getTooltip() && l.feature &&
            JSON.stringify(l.feature.properties).includes('onerror')) hit = l; });
        if (!hit) return null;
        hit.openTooltip();
        const el = document.querySelector('.leaflet-tooltip');
        return {text: el.textContent, imgs: el.querySelectorAll('img').length}; })(""" + _MAP_JS + ")")
    assert res is not None and XSS in res["text"] and res["imgs"] == 0
    assert "Covered" in p.legend_text() and "Not covered" in p.legend_text()
    p.page.wait_for_timeout(200)
    assert p.dialogs == []


def test_choropleth_map(render):
    d = fx.synthetic_layers()
    mb = fx.MapBuilder(title="Share", basemap="none")
    mb.add_choropleth(d["choropleth"], value_col="share", name="Share", legend_title="Share covered",
                      tooltip_cols={"Community": "community"}, bins=4, value_format="{:.0%}")
    p = render(mb, "choropleth")
    assert_clean(p)
    assert p.n_paths() == 4
    fills = p.js("[...document.querySelectorAll('.leaflet-overlay-pane path')].map(e => e.getAttribute('fill'))")
    legend_colours = p.js("[...document.querySelectorAll('.bg-legend .bg-sw')].map(e => e.style.background)")
    assert len(set(fills)) == 4 and "#bdbdbd" in fills
    assert len(legend_colours) == 4  # the 3 classes drawn (30-50% holds no area) + no data
    text = p.legend_text()
    assert "10% – 30%" in text and "70% – 90%" in text and "No data" in text
    assert "30% – 50%" not in text


def test_full_map_in_chinese_with_controls(render):
    mb = fx.full_map(lang="zh", basemap="none")
    p = render(mb, "full_zh")
    assert_clean(p)
    names = p.overlay_names()
    assert names == ["Share by community", "步行时间圈", "已覆盖", "未覆盖", "clinic", "park", "school"]
    assert p.n_points_shown() == 66
    assert p.n_paths() == 4 + 3 + 3
    assert "步行时间（分钟）" in p.legend_text() and "未覆盖" in p.legend_text()
    title = p.js("document.querySelector('.bg-title').textContent")
    assert XSS in title and "Measured: 87.5%" in title
    assert p.js("document.querySelectorAll('.bg-title img').length") == 0
    # switching a layer off removes its paths and its legend row
    row = "[...document.querySelectorAll('.bg-legend-row')].find(r => r.textContent === '未覆盖')"
    assert p.js(f"{row}.style.display") == ""
    p.page.locator(".leaflet-control-layers-overlays label", has_text="未覆盖").locator("input").click()
    assert p.n_paths() == 9
    assert p.js(f"{row}.style.display") == "none"
    # fullscreen button: on, then off
    p.page.click(".bg-fs-button")
    p.page.wait_for_timeout(200)
    on = "(m => document.fullscreenElement === m.getContainer() || " \
         "m.getContainer().classList.contains('bg-pseudo-fs'))(" + _MAP_JS + ")"
    assert p.js(on) is True
    assert p.js("document.querySelector('.bg-fs-button').title") == "退出全屏"
    p.page.click(".bg-fs-button")
    p.page.wait_for_timeout(200)
    assert p.js(on) is False
    assert p.errors == []


def test_gaode_map(render):
    p = render(fx.full_map(basemap="gaode"), "gaode")
    assert_clean(p)
    assert p.base_names() == ["Gaode (AutoNavi)", "No basemap"]
    assert len(p.overlay_names()) == 7
    assert p.n_points_shown() == 66
    assert any("autonavi.com" in u for u in p.blocked)
