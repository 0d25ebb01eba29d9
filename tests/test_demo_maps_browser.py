"""Every map kind of the program, in English and Chinese, opened in headless Chromium offline.

The maps are those the command line writes on the embedded sample (``demo --quick``, ``gaps``,
``stations``). For each the page must render with the network blocked, and its legend must
say what is drawn: every legend row's colour is a colour its layer draws and every colour a
layer draws has a row (read from the page's data), the shapes on screen use only the colours
of the rows shown, no heading is shown without rows under it, and a hidden layer's rows and
heading come back when it is switched on. No text of a zh map is English (codes such as
S-H-01, P4 L1947, units such as m² and data such as OSM names aside) and no text of an en map
is Chinese (data aside). Screenshots: ``test-output/screenshots/map_<kind>_<lang>.png``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import test_maps_browser as mb  # the browser harness (tests/ is on sys.path)
from conftest import refuse_network

pytestmark = pytest.mark.browser

browser = mb.browser  # re-exported fixtures
render = mb.render

KINDS = ("circles", "parks", "tod", "clinics", "gaps", "stations")
LANGS = ("en", "zh")
_DATA_RE = re.compile(r'<script type="application/json" id="bg-data">(.*?)</script>', re.S)

#: Tokens allowed in a zh map although written in Latin letters: standard and plan codes
#: (S-H-01, P4, L1947), method and place-name codes, units, basemap brands, file names.
_A, _Z = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"  # word edges in ASCII (CJK letters are \w too)
ZH_ALLOWED = re.compile("|".join(_A + t + _Z for t in (
    r"S-[A-Z]+-\d+", r"P\d", r"L\d+", "TOD", "2SFCA", "MCLP", "LSCP", "OSM", "CARTO", "OpenStreetMap",
    r"[\w.-]+\.json", "km²", "m²", "m", "ha")))
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


class _Saved:
    """Stand-in for a MapBuilder: 'saves' an HTML file the command line already wrote."""

    def __init__(self, src: Path) -> None:
        self.src = src

    def save(self, path: Path) -> Path:
        shutil.copyfile(self.src, path)
        return Path(path)


@pytest.fixture(scope="module")
def maps(demo_quick, tmp_path_factory) -> dict[tuple[str, str], Path]:
    """{(kind, lang): map file}: the session's en demo, plus zh demo, gaps and stations runs."""
    from beichen_geo.cli import run

    root = tmp_path_factory.mktemp("maps")
    out = {(k, "en"): demo_quick[0] / f"{k}.html" for k in ("circles", "parks", "tod", "clinics")}
    with pytest.MonkeyPatch.context() as mp:
        refuse_network(mp)
        run(["demo", "--quick", "--lang", "zh", "--out", str(root / "demo_zh"), "--quiet"])
        out.update({(k, "zh"): root / "demo_zh" / f"{k}.html" for k in ("circles", "parks", "tod", "clinics")})
        for lang in LANGS:
            run(["gaps", "--kind", "clinic", "--n", "2", "--lang", lang, "--out", str(root / f"gaps_{lang}"),
                 "--quiet"])
            run(["stations", "--lang", lang, "--out", str(root / f"stations_{lang}"), "--quiet"])
            out[("gaps", lang)] = root / f"gaps_{lang}" / "gaps.html"
            out[("stations", lang)] = root / f"stations_{lang}" / "stations.html"
    return out


def page_data(path: Path) -> dict[str, Any]:
    return json.loads(_DATA_RE.search(path.read_text(encoding="utf-8")).group(1))


def drawn_colours(data: dict[str, Any]) -> list[set[str]]:
    """The colours each layer draws, from its features (class colour) or its style."""
    out = []
    for spec, fc in zip(data["meta"]["layers"], data["geo"], strict=True):
        cols = set()
        for f in fc["features"]:
            c = f["properties"].get("c")
            if c is None:
                c = spec["point_color"] if f["geometry"]["type"] == "Point" else spec["style"]["color"]
            cols.add(c.lower())
        out.append(cols)
    return out


def _rgb(hex_color: str) -> str:
    h = hex_color.lstrip("#")
    return f"rgb({int(h[0:2], 16)}, {int(h[2:4], 16)}, {int(h[4:6], 16)})"


_STATE_JS = """(() => {
  const secs = [...document.querySelectorAll('.bg-legend-sec')].map(sec => ({
    shown: sec.style.display !== 'none',
    title: (sec.querySelector('.bg-legend-title') || {}).textContent || null,
    rows: [...sec.querySelectorAll('.bg-legend-row')].map(r => r.style.display !== 'none')}));
  const on = [...document.querySelectorAll('.leaflet-control-layers-overlays input')].map(i => i.checked);
  const paths = [...document.querySelectorAll('.leaflet-overlay-pane path')].map(p => ({
    fill: p.getAttribute('fill'), stroke: p.getAttribute('stroke')}));
  const dots = [...document.querySelectorAll('.bg-poi span, .bg-cluster div')].map(d => d.style.background);
  return {secs, on, paths, dots, legend: (document.querySelector('.bg-legend') || {}).textContent || ''};
})()"""


def check_legend(page: Any, data: dict[str, Any]) -> dict[str, Any]:
    """The legend says what is drawn (see the module docstring); returns the page state."""
    st = page.js(_STATE_JS)
    legend = data["meta"]["legend"]
    assert len(st["secs"]) == len(legend)
    assert len(st["on"]) == len(data["meta"]["layers"])
    drawn = drawn_colours(data)
    rows_of: dict[int, set[str]] = {}
    for sec, dom in zip(legend, st["secs"], strict=True):
        assert len(sec["rows"]) == len(dom["rows"]) > 0
        # a heading shows exactly when a row under it shows
        assert dom["shown"] == any(dom["rows"]), (sec["title"], dom)
        for row, shown in zip(sec["rows"], dom["rows"], strict=True):
            i = row["layer"]
            assert shown == st["on"][i], (row["label"], shown)  # a row shows while its layer is on
            rows_of.setdefault(i, set()).add(row["swatch"]["color"].lower())
    for i, cols in enumerate(drawn):
        if not cols:
            continue
        # every colour a layer draws has a row, and every row a colour the layer draws
        assert rows_of.get(i, set()) == cols, (data["meta"]["layers"][i]["name"], rows_of.get(i), cols)
    # on screen: filled shapes use the fill colours of visible rows, outlines those of visible rows
    visible = {c for sec, dom in zip(legend, st["secs"], strict=True)
               for row, shown in zip(sec["rows"], dom["rows"], strict=True) if shown
               for c in [row["swatch"]["color"].lower()]}
    for p in st["paths"]:
        if p["fill"] not in (None, "none") and not p["fill"].startswith("url("):
            assert p["fill"].lower() in visible, p
        elif p["stroke"]:
            assert p["stroke"].lower() in visible, p
    assert {d for d in st["dots"]} <= {_rgb(c) for c in visible}
    return st


def texts(data: dict[str, Any]) -> list[str]:
    """Every text of the map that the program wrote (not the data's names)."""
    m = data["meta"]
    out = [m["title"], *m["subtitle"], *m["ui"].values(), *(b["name"] for b in m["bases"])]
    for spec, fc in zip(m["layers"], data["geo"], strict=True):
        out += [spec["name"], *(spec.get("tip") or []), *(spec.get("pop") or [])]
        if spec.get("head"):
            out.append(spec["head"])
        for f in fc["features"]:
            p = f["properties"]
            if f["geometry"]["type"] != "Point" and isinstance(p.get("n"), str):
                out.append(p["n"])
            # values of the program's own columns (results, yes/no, kinds missing, statuses)
            out += [v for v in [*(p.get("t") or []), *(p.get("p") or [])] if isinstance(v, str)]
    for sec in m["legend"]:
        out += ([sec["title"]] if sec["title"] else []) + [r["label"] for r in sec["rows"]]
    return out


def data_names(data: dict[str, Any], gpkg: Path) -> set[str]:
    """Names from the data: point names on the map, and every name column of the run's layers."""
    import geopandas as gpd
    import pyogrio

    names = set()
    for fc in data["geo"]:
        for f in fc["features"]:
            n = f["properties"].get("n")
            if isinstance(n, str) and f["geometry"]["type"] == "Point":
                names.add(re.sub(r"^#\d+ ", "", n))
    for layer, _ in pyogrio.list_layers(gpkg):
        df = gpd.read_file(gpkg, layer=layer, ignore_geometry=True)
        for col in ("name", "station", "unit_name"):
            if col in df:
                names.update(str(v) for v in df[col].dropna())
    return {n for n in names if n}


def wrong_language(text: str, lang: str, names: set[str]) -> str | None:
    """The part of ``text`` in the other language, or None."""
    for n in sorted(names, key=len, reverse=True):
        text = text.replace(n, " ")
    if lang == "zh":
        rest = ZH_ALLOWED.sub(" ", text)
        hit = re.search(r"[A-Za-z]{2,}", rest)
    else:
        hit = _CJK.search(text)
    return None if hit is None else hit.group(0)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("kind", KINDS)
def test_map_says_what_it_draws(render, maps, kind, lang):
    path = maps[(kind, lang)]
    size = path.stat().st_size
    assert size < 10 * 2**20, f"{kind}.html is {size / 2**20:.1f} MB"
    page = render(_Saved(path), f"map_{kind}_{lang}")
    mb.assert_clean(page)
    assert page.n_paths() > 0
    data = page_data(path)
    st = check_legend(page, data)
    assert any(s["shown"] for s in st["secs"])
    # switch a hidden layer on: its rows (and heading) appear, and the legend still holds
    hidden = [i for i, on in enumerate(st["on"]) if not on]
    if hidden:
        i = hidden[0]
        page.page.locator(".leaflet-control-layers-overlays input").nth(i).check()
        page.page.wait_for_timeout(300)
        st2 = check_legend(page, data)
        assert st2["on"][i]
        sec = next(k for k, s in enumerate(data["meta"]["legend"]) if any(r["layer"] == i for r in s["rows"]))
        assert st2["secs"][sec]["shown"]
    if lang == "zh":
        # the page's font stack has CJK glyphs: two different characters do not draw the same box
        same = page.js("""(() => { const font = getComputedStyle(document.querySelector('.bg-title')).font;
            const draw = ch => { const c = document.createElement('canvas'); c.width = c.height = 40;
              const x = c.getContext('2d'); x.font = font.replace(/\\d+px/, '32px'); x.fillText(ch, 2, 34);
              return Array.from(x.getImageData(0, 0, 40, 40).data).join(','); };
            return draw('北') === draw('京'); })()""")
        assert not same, "no CJK font: zh text draws as boxes (apt-get install fonts-wqy-microhei)"
    names = data_names(data, path.with_suffix(".gpkg"))
    bad = [(t, w) for t in texts(data) if (w := wrong_language(t, lang, names))]
    assert bad == [], bad[:5]


def test_counts_are_whole_numbers_and_nothing_blends(maps):
    """Tiers met: 0..3 classes only; bands drawn as rings or outlines; parks not in covered blue."""
    from geo.maps import palette

    circ = page_data(maps[("circles", "en")])
    tiers = next(s for s in circ["meta"]["legend"] if s["title"].startswith("Tiers met"))
    assert all(re.fullmatch(r"[0-3]", r["label"]) for r in tiers["rows"]), tiers
    assert tiers["title"] == "Tiers met (of 3)"
    for kind in ("tod", "stations"):
        d = page_data(maps[(kind, "en")])
        for spec, fc in zip(d["meta"]["layers"], d["geo"], strict=True):
            fills = [f for f in fc["features"] if "c" in f["properties"] and not f["properties"].get("o")
                     and f["geometry"]["type"] != "Point" and "strokeFromFill" in spec["style"]
                     and spec["style"].get("fill", True) and "outlineWeight" in spec["style"]]
            # one ring per band: fills of one band layer never repeat a band
            assert len({f["properties"]["n"] for f in fills}) == len(fills)
    parks = page_data(maps[("parks", "en")])
    colours = {s["name"]: s["style"]["color"] for s in parks["meta"]["layers"]}
    assert colours["Parks"] == palette.PARKS != colours["Residential land within 500 m walk of a park"]
    clinics = page_data(maps[("clinics", "en")])
    units = next(s for s in clinics["meta"]["layers"] if s["name"] == "Units")
    assert units["style"]["fill"] is False  # the whole-area unit: an outline, not a blob
    gaps = page_data(maps[("gaps", "en")])
    hatched = [s for s in gaps["meta"]["layers"] if str(s["style"].get("fillColor", "")).startswith("url(")]
    filled = [s["name"] for s in gaps["meta"]["layers"] if s["style"].get("fillOpacity", 0) > 0
              and not str(s["style"].get("fillColor", "")).startswith("url(") and s["style"].get("fill", True)
              and s["name"] != "2SFCA centres per 100,000 residents (today)"]
    assert all(s["name"] == "Still not covered" for s in hatched)
    assert set(filled) <= {"Covered today", "Newly covered by the proposed sites"}


def test_language_check_finds_the_other_language():
    """The check above is not blind: the fragments of issue #16 are caught, codes and data are not."""
    assert wrong_language("层级 (tiers also in P1 Ch.2, L259)", "zh", set()) == "tiers"
    assert wrong_language("人口：estimate: floor area", "zh", set()) == "estimate"
    assert wrong_language("标准：S-H-01（P3 L1338）TOD 2SFCA 1,000 m² stations.json", "zh", set()) is None
    assert wrong_language("最佳：1. Rautatientori (62)", "zh", {"Rautatientori"}) is None
    assert wrong_language("Standard: 积极开展公服设施建设, L1947", "en", set()) == "积"
    assert wrong_language("Parks: 北辰公园", "en", {"北辰公园"}) is None
