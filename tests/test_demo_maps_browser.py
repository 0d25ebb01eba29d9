"""The demo's four self-contained maps, opened in headless Chromium with the network blocked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

import test_maps_browser as mb  # the browser harness (tests/ is on sys.path)

browser = mb.browser  # re-exported fixtures
render = mb.render


class _Saved:
    """Stand-in for a MapBuilder: 'saves' an HTML file the demo already wrote."""

    def __init__(self, src: Path) -> None:
        self.src = src

    def save(self, path: Path) -> Path:
        shutil.copyfile(self.src, path)
        return Path(path)


@pytest.fixture(scope="module")
def demo_out(demo_quick):
    return demo_quick[0]  # one offline `demo --quick` run of the session (conftest)


@pytest.mark.parametrize(
    "name, layers",
    [
        ("circles", ["Tiers met per cell"]),
        ("parks", ["Covered", "Not covered", "Parks"]),
        ("tod", []),
        ("clinics", []),
    ],
)
def test_demo_map_renders_offline(render, demo_out, name, layers):
    html = demo_out / f"{name}.html"
    size = html.stat().st_size
    assert size < 10 * 2**20, f"{name}.html is {size / 2**20:.1f} MB"
    page = render(_Saved(html), f"demo_{name}")
    mb.assert_clean(page)
    names = page.overlay_names()
    assert len(names) >= 2, names
    for layer in layers:
        assert any(layer in n for n in names), (layer, names)
    assert page.n_paths() > 0
