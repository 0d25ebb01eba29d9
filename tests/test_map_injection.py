"""No text that reaches a map is ever run as a template, HTML or script (issue 11).

Each payload goes into every field that reaches a map: title and subtitle lines, layer
names, legend titles and labels, feature values, popup/tooltip column labels, choropleth
unit names and values, point names and kinds; and through the CLI into a planner's
facility file and a ``--standards`` label. Before the fix, branca compiled the output of
each map element as a new Jinja template: ``{{7*7}}`` showed as ``49``, ``{% raw %}`` and
``{#`` crashed the render, and a Jinja expression reaching ``os`` ran while the page was
written. The browser tests need headless Chromium (see test_maps_browser.py) and skip
without it; the plain tests run anywhere.
"""

from __future__ import annotations

import csv
import html
import json
import re
import secrets
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geo.maps import MapBuilder

import test_maps as fx  # synthetic layers (tests/ is on sys.path)
import test_maps_browser as harness  # headless Chromium, network blocked

browser = harness.browser  # re-exported fixtures
render = harness.render

TOKEN = secrets.token_hex(6)
MARKER_DIR = f"bgpwned{TOKEN}"  # created in the cwd by the quote-free payload, if it ran
CRS = fx.CRS
CX, CY = fx.CX, fx.CY


def payloads(marker: Path) -> list[str]:
    """The payloads; ``marker`` is the file the shell payload would create."""
    return [
        "{{7*7}}",
        "{% raw %}",
        "{#",
        f"{{{{ cycler.__init__.__globals__.os.system('touch {marker}') }}}}",
        # no quotes (quotes were HTML-escaped, which made the one above a syntax error
        # instead): this one did run before the fix, making a folder in the cwd
        f"{{{{ cycler.__init__.__globals__.os.mkdir(dict({MARKER_DIR}=1)|list|first) }}}}",
        "</script><script>window.__pwned=1</script>",
        '<img src=x onerror="window.__pwned=1">',
        "javascript:window.__pwned=1",
    ]


@pytest.fixture()
def marker(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)  # where the quote-free payload would make its folder
    return tmp_path / f"pwned-{TOKEN}"


def assert_nothing_ran(marker: Path) -> None:
    assert not marker.exists(), f"a payload ran a shell command: {marker} exists"
    assert not (marker.parent / MARKER_DIR).exists(), "a payload ran os.mkdir"


# --------------------------------------------------------------------------- maps of every kind
def layers_with(text: str) -> dict[str, gpd.GeoDataFrame]:
    """Small layers whose every text value holds ``text``."""
    bands = gpd.GeoDataFrame(
        {"minutes": [5, 15]},
        geometry=[shapely.Point(CX, CY).buffer(r) for r in (400.0, 1200.0)], crs=CRS)
    points = gpd.GeoDataFrame(
        {"kind": [f"{text} A", f"{text} A", f"{text} B"], "name": [f"{text} #{i}" for i in range(3)],
         "note": [text] * 3},
        geometry=gpd.points_from_xy([CX - 300, CX + 300, CX], [CY, CY, CY + 500]), crs=CRS)
    squares = [shapely.box(CX - 2000 + i * 1000, CY - 2000, CX - 1000 + i * 1000, CY - 1000) for i in range(3)]
    units = gpd.GeoDataFrame({"unit": [f"{text} unit {i}" for i in range(3)], "share": [0.2, 0.8, np.nan]},
                             geometry=squares, crs=CRS)
    covered = gpd.GeoDataFrame({"name": [text]}, geometry=[shapely.box(CX, CY, CX + 300, CY + 300)], crs=CRS)
    uncovered = gpd.GeoDataFrame({"name": [text]}, geometry=[shapely.box(CX + 900, CY + 900, CX + 1300, CY + 1200)],
                                 crs=CRS)
    return {"bands": bands, "points": points, "units": units, "covered": covered, "uncovered": uncovered}


def build(kind: str, text: str) -> MapBuilder:
    """A map of ``kind`` ("bands", "points", "polygons", "coverage", "choropleth", "all")
    with ``text`` in every field that reaches the page."""
    d = layers_with(text)
    mb = MapBuilder(title=f"{text} title", subtitle_lines=[f"{text} line 1", f"{text} line 2"], basemap="none")
    if kind in ("choropleth", "all"):
        mb.add_choropleth(d["units"], value_col="share", name=f"{text} units", legend_title=f"{text} share",
                          tooltip_cols={f"{text} unit": "unit"}, popup_cols={f"{text} unit": "unit"},
                          bins=[0, 0.5, 1], value_format=lambda v: f"{text} {v:.0%}")
    if kind in ("bands", "all"):
        mb.add_bands(d["bands"], name=f"{text} bands", legend_title=f"{text} minutes")
    if kind in ("polygons", "all"):
        mb.add_polygons(d["covered"], name=f"{text} land", tooltip_cols={f"{text} name": "name"},
                        popup_cols={f"{text} name": "name"})
    if kind in ("coverage", "all"):
        mb.add_coverage(d["covered"], d["uncovered"], tooltip_cols={f"{text} name": "name"},
                        popup_cols={f"{text} name": "name"})
    if kind in ("points", "all"):
        mb.add_points(d["points"], kind_col="kind", name_col="name", popup_cols={f"{text} note": "note"},
                      kind_labels={f"{text} A": f"{text} label A"}, legend_title=f"{text} facilities",
                      cluster=False)
    return mb


KINDS = ("bands", "points", "polygons", "coverage", "choropleth")


# --------------------------------------------------------------------------- plain tests
_DATA_RE = re.compile(r'<script type="application/json" id="bg-data">(.*?)</script>', re.S)


def outside_data(page: str) -> str:
    """The page without its JSON data block and its <title> element."""
    blocks = _DATA_RE.findall(page)
    assert len(blocks) == 1
    page = page.replace(blocks[0], "")
    titles = re.findall(r"<title>.*?</title>", page, flags=re.S)
    assert len(titles) == 1
    return page.replace(titles[0], "")


def forms(text: str) -> set[str]:
    """How ``text`` could appear in a page: raw, HTML-escaped, JSON-escaped (both ways)."""
    js = json.dumps(text, ensure_ascii=False)[1:-1]
    return {text, html.escape(text), html.escape(text, quote=False), js,
            js.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")}


@pytest.mark.parametrize("kind", [*KINDS, "all"])
def test_payloads_go_into_the_page_only_as_json_data(kind, marker):
    for p in payloads(marker):
        mb = build(kind, p)
        for self_contained in (True, False):
            page = mb.to_html(self_contained=self_contained)  # must not raise (it did for {% raw %})
            assert_nothing_ran(marker)
            rest = outside_data(page)
            for f in forms(p):
                assert f not in rest, (p, f)
            # the <title> holds the title HTML-escaped, the data block the plain texts
            assert f"<title>{html.escape(p + ' title')}</title>" in page
            data = json.loads(_DATA_RE.search(page).group(1))
            assert data["meta"]["title"] == p + " title"
            assert data["meta"]["subtitle"] == [p + " line 1", p + " line 2"]
            names = [s["name"] for s in data["meta"]["layers"]]
            assert all(n.startswith(p) for n in names if n not in ("Covered", "Not covered")), names
            assert not re.search(r"<script>\s*window\.__pwned", page)


def test_payload_text_is_kept_exactly_in_the_data(marker):
    """The JSON block round-trips every payload unchanged (no escaping leaks into text)."""
    for p in payloads(marker):
        data = json.loads(_DATA_RE.search(build("all", p).to_html()).group(1))
        feats = [f["properties"] for fc in data["geo"] for f in fc["features"]]
        names = [f["n"] for f in feats if "n" in f]
        assert f"{p} #0" in names and f"{p} #2" in names
        chor = data["meta"]["layers"][0]
        assert chor["tip"] == [f"{p} unit", f"{p} share"]
        assert [f["properties"]["t"] for f in data["geo"][0]["features"]] == [
            [f"{p} unit 0", f"{p} 20%"], [f"{p} unit 1", f"{p} 80%"], [f"{p} unit 2", "No data"]]
        legend = data["meta"]["legend"]
        # the untitled sections of consecutive polygon layers are shown as one block
        assert [s["title"] for s in legend] == [f"{p} share", f"{p} minutes", None, f"{p} facilities"]
        assert [r["label"] for r in legend[0]["rows"]] == [f"{p} 0% – {p} 50%", f"{p} 50% – {p} 100%", "No data"]
        assert [r["label"] for r in legend[-1]["rows"]] == [f"{p} label A", f"{p} B"]


# --------------------------------------------------------------------------- in the browser
_PROBE_JS = """(() => {
  const map = """ + harness._MAP_JS + """;
  const texts = {
    title: document.querySelector('.bg-title').textContent,
    legend: document.querySelector('.bg-legend').textContent,
    layers: [...document.querySelectorAll('.leaflet-control-layers label')].map(l => l.textContent.trim()),
    docTitle: document.title,
    tips: [], pops: [],
  };
  const layers = [];
  map.eachLayer(l => { if (l.feature) layers.push(l); });
  for (const l of layers) {
    if (l.getTooltip && l.getTooltip()) {
      l.openTooltip();
      texts.tips.push(l.getTooltip().getElement().textContent);
      l.closeTooltip();
    }
    if (l.getPopup && l.getPopup()) {
      l.openPopup();
      texts.pops.push(l.getPopup().getElement().querySelector('.leaflet-popup-content').textContent);
      l.closePopup();
    }
  }
  return texts;
})()"""

_ELEMENTS_JS = """(() => {
  const scripts = [...document.scripts].map(s =>
    s.type === 'application/json' && s.id === 'bg-data' ? 'data' :
    /^\\/\\* [\\w.-]+ \\(inlined\\) \\*\\//.test(s.textContent) ? 'asset' :
    s.textContent.includes('function bgMap(map, d)') ? 'page' :
    /^\\s*L_NO_TOUCH = false;\\s*L_DISABLE_3D = false;\\s*$/.test(s.textContent) ? 'folium' :
    'other:' + s.outerHTML.slice(0, 120));
  return {
    scripts: scripts,
    imgs: document.querySelectorAll('img:not(.leaflet-tile)').length,
    jsHrefs: [...document.querySelectorAll('[href], [src], [action], [formaction]')]
      .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action') || '')
      .filter(h => /^\\s*javascript:/i.test(h)),
    handlers: [...document.querySelectorAll('*')].filter(e =>
      [...e.attributes].some(a => a.name.startsWith('on'))).length,
    pwned: typeof window.__pwned,
  };
})()"""


def assert_page_safe(p: harness.Loaded, marker: Path) -> None:
    p.page.wait_for_timeout(100)
    el = p.js(_ELEMENTS_JS)
    kinds = el["scripts"]
    assert kinds.count("data") == 1 and kinds.count("page") == 1, kinds
    assert all(k in ("data", "page", "asset", "folium") for k in kinds), kinds  # none came from data
    assert el["imgs"] == 0, "an <img> element came from data"
    assert el["jsHrefs"] == []
    assert el["handlers"] == 0, "an element has an on* handler attribute"
    assert el["pwned"] == "undefined"
    harness.assert_clean(p)  # no page error, no dialog, nothing loaded but tiles
    assert_nothing_ran(marker)


@pytest.mark.browser
@pytest.mark.parametrize("i", range(8), ids=["jinja-expr", "raw", "comment", "shell", "mkdir",
                                              "script", "img", "javascript-url"])
def test_every_field_shows_each_payload_literally(render, marker, i):
    p = payloads(marker)[i]
    loaded = render(build("all", p), f"inject_all_{i}")
    assert_page_safe(loaded, marker)
    t = loaded.js(_PROBE_JS)
    assert t["title"] == f"{p} title{p} line 1{p} line 2"
    assert t["docTitle"] == f"{p} title"
    assert t["layers"] == [f"{p} units", f"{p} bands", f"{p} land", "Covered", "Not covered",
                           f"{p} label A", f"{p} B"]
    for part in (f"{p} share", f"{p} 0% – {p} 50%", f"{p} minutes", f"{p} land", f"{p} facilities",
                 f"{p} label A", f"{p} B"):
        assert part in t["legend"], part
    # tooltips: 3 units, 2 bands, land, covered, not covered, 3 points; popups: all but bands
    assert len(t["tips"]) == 11 and len(t["pops"]) == 9
    assert f"{p} unit{p} unit 0{p} share{p} 20%" in t["tips"]
    assert f"{p} unit{p} unit 2{p} shareNo data" in t["pops"]
    assert f"{p} land{p} name{p}" in t["tips"]  # heading, then the row
    assert f"Not covered{p} name{p}" in t["pops"]
    assert f"{p} #1" in t["tips"]  # a point's tooltip is its name
    assert f"{p} #1Type{p} label A{p} note{p}" in t["pops"]
    assert f"{p} #2Type{p} B{p} note{p}" in t["pops"]
    assert_page_safe(loaded, marker)  # opening every popup ran nothing either


@pytest.mark.browser
@pytest.mark.parametrize("kind", KINDS)
def test_each_map_kind_shows_all_payloads_literally(render, marker, kind):
    text = " | ".join(payloads(marker))
    loaded = render(build(kind, text), f"inject_{kind}")
    assert_page_safe(loaded, marker)
    t = loaded.js(_PROBE_JS)
    # shown exactly as written: {{7*7}} stays {{7*7}} (a "49" check would trip on a random 49 in the token)
    assert t["title"] == f"{text} title{text} line 1{text} line 2" and "{{7*7}}" in t["title"]
    shown = [*t["layers"], t["legend"], *t["tips"], *t["pops"]]
    assert t["tips"] or t["pops"]
    interface = re.compile(r"^(Covered|Not covered|CoveredNot covered|Within \d+ min walk)$")  # no data
    assert all(text in s for s in shown if not interface.match(s)), (kind, shown)
    assert sum(text in s for s in shown) >= 2  # at least a layer name and the legend
    assert_page_safe(loaded, marker)


# --------------------------------------------------------------------------- end to end (CLI)
def _cli_inputs(tmp_path: Path, marker: Path) -> tuple[Path, Path, list[str]]:
    """A facility CSV named with the payloads (in the embedded Helsinki sample) and a
    standards file whose labels hold them all."""
    names = [f"{p}诊所" for p in payloads(marker)]
    fac = tmp_path / "names.csv"
    with fac.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "lon", "lat"])
        for i, n in enumerate(names):
            w.writerow([n, f"{24.935 + 0.004 * i:.5f}", f"{60.168 + 0.001 * (i % 3):.5f}"])
    every = " | ".join(payloads(marker))
    std = tmp_path / "labels.toml"
    std.write_text(
        "[kinds.clinic]\n"
        f"label_en = {json.dumps(every)}\n"  # a JSON string of ASCII text is a TOML basic string
        f"label_zh = {json.dumps(every)}\n"
        "[clinics]\n"
        f"standard = {json.dumps(every)}\n"
        f"plan_text = {json.dumps(every)}\n",
        encoding="utf-8",
    )
    return fac, std, names


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_cli_clinics_map_with_payload_names_writes_a_page(tmp_path, marker, lang):
    from beichen_geo.cli import main

    fac, std, names = _cli_inputs(tmp_path, marker)
    out = tmp_path / "out"
    argv = ["clinics", "--facilities", str(fac), "--kind", "clinic", "--standards", str(std),
            "--out", str(out), "--quiet", "--lang", lang]
    assert main(argv) == 0
    assert_nothing_ran(marker)
    page = (out / "clinics.html").read_text(encoding="utf-8")
    data = json.loads(_DATA_RE.search(page).group(1))
    every = " | ".join(payloads(marker))
    assert any(every in line for line in data["meta"]["subtitle"])  # standard (and plan text in zh)
    got = sorted(f["properties"]["n"] for fc in data["geo"] for f in fc["features"] if "n" in f["properties"]
                 and f["properties"]["n"].endswith("诊所"))
    assert got == sorted(names)
    assert every in [s["name"] for s in data["meta"]["layers"]]  # the kind's label
    rest = outside_data(page)
    for p in payloads(marker):
        for f in forms(p):
            assert f not in rest, (p, f)


@pytest.mark.browser
def test_cli_clinics_map_shows_payloads_literally(render, tmp_path, marker):
    from beichen_geo.cli import main

    fac, std, names = _cli_inputs(tmp_path, marker)
    out = tmp_path / "out"
    assert main(["clinics", "--facilities", str(fac), "--kind", "clinic", "--standards", str(std),
                 "--out", str(out), "--quiet"]) == 0
    loaded = render(_Saved(out / "clinics.html"), "inject_cli_clinics")
    assert_page_safe(loaded, marker)
    t = loaded.js(_PROBE_JS)
    every = " | ".join(payloads(marker))
    assert every in t["title"] and "Standard: " + every in t["title"]
    assert every in t["layers"] and every in t["legend"]
    for n in names:
        assert n in t["tips"], n  # each centre's tooltip is its name, shown as written
        assert any(pop.startswith(n + "Type" + every) for pop in t["pops"]), n
    assert_page_safe(loaded, marker)


class _Saved:
    """Stand-in for a MapBuilder: 'saves' an HTML file the CLI already wrote."""

    def __init__(self, src: Path) -> None:
        self.src = src

    def save(self, path: Path) -> Path:
        Path(path).write_bytes(self.src.read_bytes())
        return Path(path)
