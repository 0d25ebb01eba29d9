"""The offline Streets base layer in headless Chromium with the network blocked: drawn, default, switchable."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

pytestmark = pytest.mark.browser

import test_maps as fx  # synthetic layers (tests/ is on sys.path)
import test_maps_browser as hb  # the browser harness
from test_map_context import _grid_streets

browser = hb.browser  # re-exported fixtures
render = hb.render
CRS, CX, CY = fx.CRS, fx.CX, fx.CY

_CTX = ".leaflet-bg-context-pane path"


class _Saved:
    """Stand-in for a MapBuilder: 'saves' an HTML file a run already wrote."""

    def __init__(self, src: Path) -> None:
        self.src = src

    def save(self, path: Path) -> Path:
        shutil.copyfile(self.src, path)
        return Path(path)


def checked_base(p: hb.Loaded) -> str:
    return p.js("[...document.querySelectorAll('.leaflet-control-layers-base label')]"
                ".filter(l => l.querySelector('input').checked).map(l => l.textContent.trim()).join('|')")


def context_classes(p: hb.Loaded) -> list[str]:
    return p.js(f"[...document.querySelectorAll('{_CTX}')].map(e => e.getAttribute('class'))"
                ".map(c => (c.match(/bg-ctx-(\\w+)/) || [])[1]).filter(Boolean)")


def set_zoom(p: hb.Loaded, z: int) -> None:
    p.js(f"(() => {{ const m = {hb._MAP_JS}; m.setZoom({z}, {{animate: false}}); }})()")
    p.page.wait_for_timeout(300)


def test_streets_layer_is_the_default_base_and_switches_with_the_tiles(render):
    d = fx.synthetic_layers()
    water = gpd.GeoDataFrame({"name": ["Lake"]}, geometry=[shapely.box(CX - 1500, CY + 800, CX - 900, CY + 1200)],
                             crs=CRS)
    rail = gpd.GeoDataFrame({"railway": ["rail"]}, geometry=[shapely.LineString([(CX - 2000, CY - 600),
                                                                                 (CX + 2000, CY - 500)])], crs=CRS)
    places = gpd.GeoDataFrame({"name": [fx.XSS, "Beiyuan 北苑"]},
                              geometry=gpd.points_from_xy([CX + 200, CX - 1200], [CY + 200, CY - 1200]), crs=CRS)
    mb = fx.MapBuilder(title="Context", basemap="positron")
    mb.add_bands(d["bands"]).add_context(streets=_grid_streets(), water=water, rail=rail, labels=places)
    p = render(mb, "context_synthetic")
    hb.assert_clean(p)
    assert p.base_names() == ["Streets", "CARTO Positron", "No basemap"]
    assert checked_base(p) == "Streets"
    assert p.blocked == []  # the default base layer needs no tiles
    assert {"major", "rail", "street", "water"} <= set(context_classes(p))
    assert p.n_paths() == 3  # the overlays are untouched (their own pane)
    labels = p.js("[...document.querySelectorAll('.bg-label-place span')].map(e => e.textContent)")
    assert sorted(labels) == sorted([fx.XSS, "Beiyuan 北苑"])  # as plain text
    assert p.js("document.querySelectorAll('.bg-label img').length") == 0
    assert p.js(f"getComputedStyle({hb._MAP_JS}.getContainer()).backgroundColor") == "rgb(255, 255, 255)"
    # zoomed out, footways and road names are left out; zoomed in, they appear
    set_zoom(p, 13)
    assert sorted(context_classes(p)) == ["major", "rail", "street", "water"]
    assert p.js("document.querySelectorAll('.bg-label-road').length") == 0
    set_zoom(p, 16)
    assert "minor" in context_classes(p)
    roads = p.js("[...document.querySelectorAll('.bg-label-road span')].map(e => e.textContent)")
    assert "Main Road" in roads and "Long Street" in roads
    set_zoom(p, 13)
    # tiles: chosen, they fail offline and the page says so; the context is gone
    p.page.locator(".leaflet-control-layers-base label", has_text="CARTO Positron").locator("input").click()
    p.page.wait_for_selector(".bg-tile-notice", timeout=10_000)
    notice = p.js("document.querySelector('.bg-tile-notice').textContent")
    assert notice.startswith("Map tiles did not load") and "Streets" in notice
    assert context_classes(p) == [] and any("cartocdn" in u for u in p.blocked)
    hb.SHOTS.mkdir(parents=True, exist_ok=True)
    p.page.screenshot(path=str(hb.SHOTS / "context_synthetic_tiles_offline.png"))
    p.page.locator(".leaflet-control-layers-base label", has_text="Streets").locator("input").click()
    p.page.wait_for_timeout(200)
    assert p.js("document.querySelectorAll('.bg-tile-notice').length") == 0
    assert sorted(context_classes(p)) == ["major", "rail", "street", "water"]
    assert p.errors == [] and p.dialogs == []


@pytest.mark.parametrize("name", ["circles", "parks", "tod", "clinics", "gaps", "stations"])
def test_every_map_kind_draws_its_streets_offline(render, cli_prints, name):
    root, _ = cli_prints
    folder = root / ("demo" if name in ("circles", "parks", "tod", "clinics") else name)
    html = folder / f"{name}.html"
    assert html.stat().st_size < 3 * 2**20
    p = render(_Saved(html), f"context_{name}")
    hb.assert_clean(p)
    assert p.base_names()[0] == "Streets" and checked_base(p) == "Streets"
    classes = context_classes(p)
    assert {"street", "major", "rail"} <= set(classes), classes  # Helsinki: streets, main roads, trams and trains
    places = p.js("[...document.querySelectorAll('.bg-label-place span')].map(e => e.textContent)")
    assert "Kluuvi" in places  # a suburb of central Helsinki
    assert p.blocked == []


def test_chinese_map_names_its_streets_layer(render, tmp_path):
    mb = fx.full_map(lang="zh", basemap="gaode").add_context(streets=_grid_streets())
    p = render(mb, "context_zh_gaode")
    hb.assert_clean(p)
    assert p.base_names() == ["道路", "高德地图", "无底图"] and checked_base(p) == "道路"
    assert {"street", "major"} <= set(context_classes(p))
