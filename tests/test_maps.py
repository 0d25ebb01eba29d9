"""Unit tests of geo.maps: the HTML it writes, parsed back (the browser tests render it)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo.errors import DataError, InputError
from geo.maps import UI_TEXT, MapBuilder, palette

XSS = "<img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
XSS_JSON = "\\u003cimg src=x onerror=alert(1)\\u003e"  # as written in the page's JSON block
CRS = 32650  # UTM 50N
LON0, LAT0 = 117.2, 39.2  # Tianjin
_TO_UTM = pyproj.Transformer.from_crs(4326, CRS, always_xy=True)
_TO_LL = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True)
CX, CY = _TO_UTM.transform(LON0, LAT0)
N_KIND = {"school": 55, "clinic": 6, "park": 5}  # 66 points; only schools exceed 50


def synthetic_layers() -> dict[str, gpd.GeoDataFrame]:
    """Small layers in UTM 50N around Tianjin; shared with test_maps_browser.py."""
    bands = gpd.GeoDataFrame(
        {"minutes": [5, 15, 30]},  # smallest first: the builder must reverse them
        geometry=[shapely.Point(CX, CY).buffer(r, quad_segs=32) for r in (400.0, 1200.0, 2400.0)],
        crs=CRS,
    )
    rng = np.random.default_rng(42)
    kinds = [k for k, n in N_KIND.items() for _ in range(n)]
    n = len(kinds)
    points = gpd.GeoDataFrame(
        {"kind": kinds, "name": [f"Facility {i}" for i in range(n)], "beds": np.arange(n) * 2},
        geometry=gpd.points_from_xy(CX + rng.uniform(-2000, 2000, n), CY + rng.uniform(-2000, 2000, n)),
        crs=CRS,
    )
    points.loc[kinds.index("clinic"), "name"] = XSS  # a clinic: not clustered
    squares = [
        shapely.box(CX - 2000 + i * 1000, CY - 2000 + j * 1000, CX - 1000 + i * 1000, CY - 1000 + j * 1000)
        for i in (0, 1) for j in (0, 1)
    ]
    choropleth = gpd.GeoDataFrame(
        {"community": ["East", "West", XSS, "North"], "share": [0.1, 0.5, 0.9, np.nan]},
        geometry=squares, crs=CRS,
    )
    covered = gpd.GeoDataFrame(
        {"name": ["Estate A", XSS]},
        geometry=[shapely.box(CX, CY, CX + 300, CY + 300), shapely.box(CX - 700, CY, CX - 300, CY + 300)],
        crs=CRS,
    )
    uncovered = gpd.GeoDataFrame(
        {"name": ["Estate C"]}, geometry=[shapely.box(CX + 1500, CY + 1500, CX + 2000, CY + 1900)], crs=CRS
    )
    return {"bands": bands, "points": points, "choropleth": choropleth,
            "covered": covered, "uncovered": uncovered}


def full_map(**kw) -> MapBuilder:
    """A map with every kind of layer (5 + 3 kinds = 7 overlays)."""
    d = synthetic_layers()
    kw.setdefault("title", "Test " + XSS)
    kw.setdefault("subtitle_lines", ["Standard: 15 min", "Target: 100%", "Measured: 87.5%"])
    mb = MapBuilder(**kw)
    mb.add_choropleth(d["choropleth"], value_col="share", name="Share by community",
                      legend_title="Share covered", tooltip_cols={"Community": "community"},
                      bins=4, value_format="{:.0%}")
    mb.add_bands(d["bands"])
    mb.add_coverage(d["covered"], d["uncovered"], tooltip_cols={"Name": "name"},
                    popup_cols={"Name": "name"})
    mb.add_points(d["points"], kind_col="kind", name_col="name", popup_cols={"Beds": "beds"})
    return mb


# --------------------------------------------------------------------------- parsing helpers
_DATA_RE = re.compile(r'<script type="application/json" id="bg-data">(.*?)</script>', re.S)


def data_block(page: str) -> str:
    """The text of the page's one JSON data block."""
    blocks = _DATA_RE.findall(page)
    assert len(blocks) == 1, f"{len(blocks)} data blocks"
    return blocks[0]


def data_of(page: str) -> dict:
    """The page's data: ``{"meta": {...}, "geo": [FeatureCollection per layer]}``."""
    return json.loads(data_block(page))


def layers_of(page: str) -> list[dict]:
    """The FeatureCollections of the page, in drawing order."""
    return data_of(page)["geo"]


def legend_of(page: str) -> list[tuple[str | None, list[tuple[str, str]]]]:
    """Legend sections as (title, [(swatch colour, label), ...])."""
    return [(sec["title"], [(r["swatch"]["color"], r["label"]) for r in sec["rows"]])
            for sec in data_of(page)["meta"]["legend"]]


def legend_labels(page: str) -> list[str]:
    return [t for t, _ in legend_of(page) if t] + [lab for _, rows in legend_of(page) for _, lab in rows]


def coords_of(fc: dict) -> np.ndarray:
    out: list[list[float]] = []

    def walk(c):
        if isinstance(c[0], (int, float)):
            out.append(c)
        else:
            for x in c:
                walk(x)

    for f in fc["features"]:
        walk(f["geometry"]["coordinates"])
    return np.array(out, dtype=float)


# --------------------------------------------------------------------------- tests
def test_self_contained_page_references_nothing_external():
    page = full_map().to_html(self_contained=True)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    assert "url(images/" not in page  # leaflet.css images became data: URIs
    assert "data:image/png;base64," in page
    assert 'version="1.9.3"' in page  # Leaflet inlined
    assert "MarkerClusterGroup" in page  # markercluster inlined
    for unused in ("jquery", "bootstrap", "awesome-markers", "fontawesome"):
        assert unused not in page.lower()
    assert "sourceMappingURL" not in page


def test_cdn_page_links_assets_and_folium_fullscreen():
    mb = full_map()
    page = mb.to_html(self_contained=False)
    srcs = re.findall(r'<script src="([^"]+)"', page)
    assert any(s.endswith("leaflet@1.9.3/dist/leaflet.js") for s in srcs)
    assert any("leaflet.markercluster@1.4.1" in s for s in srcs)
    assert any("Control.FullScreen" in s for s in srcs)  # folium.plugins.Fullscreen
    assert "L.control.fullscreen(" in page
    assert len(page) < len(mb.to_html(self_contained=True)) - 150_000


def test_layers_reprojected_rounded_and_ordered():
    page = full_map().to_html()
    fcs = layers_of(page)
    assert len(fcs) == 7  # choropleth, bands, covered, not covered, clinic, park, school
    # bands: non-overlapping rings, shortest first, one colour each, tooltip in minutes
    bands = fcs[1]["features"]
    radii = [shapely.geometry.shape(f["geometry"]).bounds for f in bands]
    widths = [b[2] - b[0] for b in radii]
    assert widths == sorted(widths)
    assert [f["properties"]["n"] for f in bands] == [
        "Within 5 min walk", "Within 15 min walk", "Within 30 min walk"]
    assert len({f["properties"]["c"] for f in bands}) == 3
    # 30-min ring: 2400 m outer radius at 39.2N ~ 0.0279 deg of longitude wide / 2
    assert widths[2] == pytest.approx(2 * 2400 / (111_320 * np.cos(np.radians(LAT0))), rel=0.01)
    # coordinates: WGS84 degrees with at most 5 decimals
    for fc in fcs:
        xy = coords_of(fc)
        assert np.all(np.abs(xy[:, 0] - LON0) < 0.05) and np.all(np.abs(xy[:, 1] - LAT0) < 0.05)
        assert np.allclose(xy, np.round(xy, 5), rtol=0, atol=1e-12)
    assert not re.search(r"\d\.\d{6,}", "".join(re.findall(r'"coordinates":\[[^"]*', page)))
    # points: exactly the reprojected input, rounded
    pts = synthetic_layers()["points"]
    school = coords_of(fcs[6])
    lon, lat = _TO_LL.transform(pts.geometry.x[pts.kind == "school"], pts.geometry.y[pts.kind == "school"])
    assert np.allclose(school, np.round(np.column_stack([lon, lat]), 5), atol=1.01e-5)
    # counts per kind layer (sorted kinds: clinic, park, school)
    assert [len(fc["features"]) for fc in fcs[4:]] == [6, 5, 55]


def test_simplification_in_metres_shrinks_detailed_polygons():
    ring = shapely.Point(CX, CY).buffer(1000, quad_segs=512)  # 2048 vertices, 3 m apart
    noisy = gpd.GeoDataFrame({"n": [1]}, geometry=[ring], crs=CRS)

    def n_coords(simplify_m):
        mb = MapBuilder(title="t", basemap="none", simplify_m=simplify_m)
        mb.add_polygons(noisy, name="ring")
        return len(coords_of(layers_of(mb.to_html())[0]))

    full, auto, coarse = n_coords(0), n_coords(None), n_coords(5.0)
    assert full > 1500  # 5 decimals (~1 m) keep the 3 m spacing
    assert coarse < auto < full  # auto tolerance = 0.5 m floor here (2.8 km extent)
    assert coarse < 150


def test_geographic_input_is_accepted():
    d = synthetic_layers()["covered"].to_crs(4326)
    mb = MapBuilder(title="t", basemap="none")
    mb.add_polygons(d, name="cov")
    xy = coords_of(layers_of(mb.to_html())[0])
    assert xy[:, 0].min() == pytest.approx(d.total_bounds[0], abs=2e-5)


def test_gaode_basemap_shifts_every_overlay_to_gcj02():
    from geo.coords import wgs84_to_gcj02

    d = synthetic_layers()
    wgs = MapBuilder(title="t", basemap="positron").add_points(d["points"], kind_col="kind", name_col="name")
    gcj = MapBuilder(title="t", basemap="gaode").add_points(d["points"], kind_col="kind", name_col="name")
    assert gcj.gcj02 and not wgs.gcj02
    a = np.vstack([coords_of(fc) for fc in layers_of(wgs.to_html())])
    b = np.vstack([coords_of(fc) for fc in layers_of(gcj.to_html())])
    exp_lon, exp_lat = wgs84_to_gcj02(a[:, 0], a[:, 1])
    shift = b - a
    assert np.all(np.abs(shift[:, 0]) > 0.004)  # ~ +0.006 deg lon, ~ +0.001 deg lat near Tianjin
    assert np.all(np.abs(shift[:, 1]) > 0.0005)
    assert np.allclose(b, np.column_stack([exp_lon, exp_lat]), atol=2.1e-5)  # two roundings
    # polygons are shifted as well
    poly = MapBuilder(title="t", basemap="gaode").add_bands(d["bands"])
    poly_w = MapBuilder(title="t", basemap="osm").add_bands(d["bands"])
    pb = coords_of(layers_of(poly.to_html())[0])
    pw = coords_of(layers_of(poly_w.to_html())[0])
    assert pb[:, 0].min() - pw[:, 0].min() == pytest.approx(
        float(wgs84_to_gcj02(pw[:, 0].min(), LAT0)[0] - pw[:, 0].min()), abs=3e-5)
    page = gcj.to_html()
    assert "webrd01.is.autonavi.com" in page and "style=7" in page


def test_data_text_goes_into_the_page_only_as_json_text():
    page = full_map().to_html()
    assert XSS not in page
    assert "<img" not in page.lower()  # no raw tag anywhere (Leaflet itself has none)
    assert f"<title>Test {XSS_ESCAPED}</title>" in page
    # outside the title, the text is only in the data block, JSON-escaped for a script
    block = data_block(page)
    rest = page.replace(block, "").replace(f"<title>Test {XSS_ESCAPED}</title>", "")
    assert XSS_JSON not in rest and XSS_ESCAPED not in rest and "src=x" not in rest
    assert block.count(XSS_JSON) == 5  # title, choropleth value, covered name, clinic name
    data = data_of(page)
    assert data["meta"]["title"] == "Test " + XSS  # plain text, not HTML-escaped
    fcs = data["geo"]
    props = [f["properties"] for fc in fcs for f in fc["features"]]
    texts = [v for p in props for k in ("n", "t", "p") for v in
             ([p[k]] if isinstance(p.get(k), str) else p.get(k) or [])]
    assert texts.count(XSS) == 4  # choropleth tooltip, covered tooltip + popup, clinic name
    assert not any("&lt;" in t for t in texts)  # never pre-escaped
    clinic = next(f["properties"] for f in fcs[4]["features"] if f["properties"]["n"] == XSS)
    assert clinic["p"] == ["clinic", str(2 * N_KIND["school"])]  # kind, then beds = 2 * row (the first clinic)
    assert data["meta"]["layers"][4]["pop"] == ["Type", "Beds"]
    # kinds, layer names and legend labels come from data too
    pts = synthetic_layers()["points"]
    pts["kind"] = pts["kind"].replace({"park": "<b>park</b>"})
    mb = MapBuilder(title="t", basemap="none").add_points(pts, kind_col="kind", name_col="name")
    page = mb.to_html()
    assert "<b>park</b>" not in page and "&lt;b&gt;" not in page
    assert [s["name"] for s in data_of(page)["meta"]["layers"]] == ["<b>park</b>", "clinic", "school"]
    assert "<b>park</b>" in legend_labels(page)


def test_fixed_page_code_holds_no_template_syntax():
    """branca compiles element output as a Jinja template: the module's own code must not
    contain Jinja syntax, and _Raw refuses code that does."""
    from geo.errors import GeoError
    from geo.maps import elements

    for code in (elements.page_js(), elements.page_css()):
        assert not any(mark in code for mark in ("{{", "{%", "{#"))
    with pytest.raises(GeoError, match="Jinja"):
        elements._Raw(script="var x = '{{7*7}}';")


def test_tile_attribution_is_text_and_http_links_only():
    from geo.maps.basemaps import attribution as _attribution

    osm = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    assert _attribution(osm, "(C) OSM") == osm
    for bad in ('<a href="javascript:alert(1)">x</a>', '<img src=x onerror=alert(1)>',
                '<a href="https://x.org" onclick="alert(1)">x</a>', "<script>alert(1)</script>"):
        assert _attribution(bad, "(C) <Someone>") == "(C) &lt;Someone&gt;"
    for basemap in ("osm", "positron", "gaode"):  # the real ones keep their links
        bases = data_of(MapBuilder(title="t", basemap=basemap).add_bands(synthetic_layers()["bands"]).to_html())
        attribution = bases["meta"]["bases"][0]["tiles"][0][1]["attribution"]
        assert "<a href=\"http" in attribution and "&lt;" not in attribution


def test_legend_and_interface_strings_follow_language():
    en_page = full_map(lang="en").to_html()
    en = legend_labels(en_page)
    zh_page = full_map(lang="zh").to_html()
    zh = legend_labels(zh_page)
    for key in ("walking_time", "covered", "not_covered", "no_data"):
        assert UI_TEXT["en"][key] in en
        assert UI_TEXT["zh"][key] in zh
    assert "步行时间（分钟）" in zh and "Walking time (min)" in en
    assert "≤ 5" in en and "≤ 30" in en
    assert "未覆盖" in [s["name"] for s in data_of(zh_page)["meta"]["layers"]]  # layer control name
    assert data_of(zh_page)["meta"]["ui"]["zoom_in"] == "放大"
    # choropleth classes: 4 equal bins from 10% to 90% (30-50% holds no area, so is not
    # listed), then "No data"
    title, rows = legend_of(en_page)[0]
    assert title == "Share covered"
    assert [lab for _, lab in rows] == ["10% – 30%", "50% – 70%", "70% – 90%", "No data"]


def test_choropleth_classes_and_no_data_colour():
    page = full_map().to_html()
    feats = layers_of(page)[0]["features"]
    cols = [f["properties"]["c"] for f in feats]
    rows = legend_of(page)[0][1]
    ramp = palette.class_colors(4)
    # 0.1 -> first class, 0.5 -> third (edges 0.1 .3 .5 .7 .9, right-closed), 0.9 -> last;
    # the empty second class is not in the legend, the others keep their colours
    assert cols[:3] == [ramp[0], ramp[2], ramp[3]]
    assert [c for c, _ in rows] == [ramp[0], ramp[2], ramp[3], palette.NO_DATA]
    assert cols[3] == palette.NO_DATA
    assert data_of(page)["meta"]["layers"][0]["tip"] == ["Community", "Share covered"]
    assert [f["properties"]["t"] for f in feats] == [
        ["East", "10%"], ["West", "50%"], [XSS, "90%"], ["North", "No data"]]


def test_clustering_threshold_and_override():
    pts = synthetic_layers()["points"]

    def n_clusters(**kw):
        mb = MapBuilder(title="t", basemap="none").add_points(pts, kind_col="kind", name_col="name", **kw)
        return sum(s["cluster"] for s in data_of(mb.to_html())["meta"]["layers"])

    assert n_clusters() == 1  # only the 55 schools
    assert n_clusters(cluster=True) == 3
    assert n_clusters(cluster=False) == 0


def test_polygon_points_are_drawn_inside():
    d = synthetic_layers()["covered"].assign(kind="estate")
    mb = MapBuilder(title="t", basemap="none").add_points(d, kind_col="kind", name_col="name")
    xy = coords_of(layers_of(mb.to_html())[0])
    polys = d.to_crs(4326).geometry.values
    assert all(p.buffer(1e-5).contains(shapely.Point(c)) for p, c in zip(polys, xy))


def test_basemaps_and_tianditu_key(monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    with pytest.raises(InputError, match="TIANDITU_KEY"):
        MapBuilder(title="t", basemap="tianditu")
    monkeypatch.setenv("TIANDITU_KEY", "0123456789abcdef0123456789abcdef")
    d = synthetic_layers()["bands"]
    page = MapBuilder(title="t", basemap="tianditu", lang="zh").add_bands(d).to_html()
    assert "/vec_w/wmts?" in page and "/cva_w/wmts?" in page
    assert "tk=0123456789abcdef0123456789abcdef" in page
    page = MapBuilder(title="t", basemap="tianditu", tianditu_key="fedcba9876543210fedcba9876543210").add_bands(d).to_html()
    assert "/eva_w/wmts?" in page and "tk=fedcba9876543210" in page  # English labels
    assert "tile.openstreetmap.org" in MapBuilder(title="t", basemap="osm").add_bands(d).to_html()
    positron = MapBuilder(title="t").add_bands(d).to_html()
    assert "basemaps.cartocdn.com/light_all/{z}/{x}/{y}.png" in positron and "{apikey}" not in positron
    none = MapBuilder(title="t", basemap="none").add_bands(d).to_html()
    assert data_of(none)["meta"]["bases"] == []
    bases = data_of(positron)["meta"]["bases"]
    assert [b["name"] for b in bases] == ["CARTO Positron", "No basemap"] and bases[1]["tiles"] == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"basemap": "google"}, "unknown basemap"),
        ({"lang": "fr"}, "unknown language"),
        ({"title": "  "}, "non-empty title"),
        ({"simplify_m": -1.0}, "simplify_m"),
        ({"coord_decimals": 12}, "coord_decimals"),
    ],
)
def test_constructor_errors(kwargs, match):
    kw = {"title": "t", **kwargs}
    with pytest.raises(InputError, match=match):
        MapBuilder(**kw)


def test_layer_errors():
    d = synthetic_layers()
    mb = MapBuilder(title="t", basemap="none")
    with pytest.raises(InputError, match=r"\['mins'\] not found.*minutes"):
        mb.add_bands(d["bands"], minutes_col="mins")
    with pytest.raises(InputError, match="no CRS"):
        mb.add_bands(d["bands"].set_crs(None, allow_override=True))
    with pytest.raises(InputError, match="Point"):
        mb.add_polygons(d["points"], name="pts")
    with pytest.raises(InputError, match="colour"):
        mb.add_polygons(d["covered"], name="x", color="red;background:url(x)")
    with pytest.raises(InputError, match="numeric"):
        mb.add_choropleth(d["choropleth"], value_col="community", name="c", legend_title="c")
    with pytest.raises(InputError, match="increasing"):
        mb.add_choropleth(d["choropleth"], value_col="share", name="c", legend_title="c", bins=[0.5, 0.2])
    with pytest.raises(InputError, match="no value"):
        mb.add_points(d["points"].assign(kind=None), kind_col="kind", name_col="name")
    with pytest.raises(InputError, match="positive minutes"):
        mb.add_bands(d["bands"].assign(minutes=[5, -1, 30]))
    with pytest.raises(DataError, match="no layers"):
        mb.to_html()
    mb.add_polygons(d["covered"].iloc[:0], name="empty")
    with pytest.raises(DataError, match="nothing to draw"):
        mb.to_html()


def test_empty_layer_is_kept_beside_others():
    d = synthetic_layers()
    mb = MapBuilder(title="t", basemap="none").add_coverage(d["covered"], d["uncovered"].iloc[:0],
                                                            tooltip_cols={"Name": "name"})
    fcs = layers_of(mb.to_html())
    assert [len(fc["features"]) for fc in fcs] == [2, 0]


def test_save_is_atomic(tmp_path, monkeypatch):
    out = tmp_path / "sub" / "map.html"
    mb = full_map()
    assert mb.save(out) == out
    first = out.read_text(encoding="utf-8")
    assert first.startswith("<!DOCTYPE html>") and first.rstrip().endswith("</html>")
    assert oct(out.stat().st_mode & 0o777) == "0o644"

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(InputError, match="disk full"):
        MapBuilder(title="other", basemap="none").add_bands(synthetic_layers()["bands"]).save(out)
    assert out.read_text(encoding="utf-8") == first  # old map untouched
    assert [p.name for p in out.parent.iterdir()] == ["map.html"]  # temp file removed


def test_save_disk_error_is_the_one_line_error_of_geo_io(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while saving a map reads exactly as for any other file geo.io writes."""
    import errno

    from geo.io import write_text

    def full(src: object, dst: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    out = tmp_path / "map.html"
    with pytest.raises(InputError) as from_map:
        MapBuilder(title="t", basemap="none").add_bands(synthetic_layers()["bands"]).save(out)
    with pytest.raises(InputError) as from_io:
        write_text("x", out)
    message = str(from_map.value)
    assert message == str(from_io.value)
    assert "\n" not in message and str(out) in message and "No space left on device" in message
    assert list(tmp_path.iterdir()) == []  # no temporary file left


def test_district_scale_map_stays_small(tmp_path):
    """30 km x 30 km: 3000 detailed residential parcels, 150 facilities, their bands."""
    rng = np.random.default_rng(7)
    n = 3000
    cx = CX + rng.uniform(-15000, 15000, n)
    cy = CY + rng.uniform(-15000, 15000, n)
    parcels = gpd.GeoDataFrame(
        {"name": [f"小区{i}" for i in range(n)], "pop": rng.integers(100, 5000, n)},
        geometry=shapely.buffer(shapely.points(cx, cy), rng.uniform(40, 150, n), quad_segs=16),
        crs=CRS,
    )
    fac = gpd.GeoDataFrame(
        {"kind": rng.choice(["school", "clinic", "park"], 150), "name": [f"F{i}" for i in range(150)]},
        geometry=gpd.points_from_xy(CX + rng.uniform(-15000, 15000, 150), CY + rng.uniform(-15000, 15000, 150)),
        crs=CRS,
    )
    bands = gpd.GeoDataFrame(
        {"minutes": [5, 15, 30]},
        geometry=[shapely.union_all(fac.geometry.buffer(r, quad_segs=64).values) for r in (400, 1200, 2400)],
        crs=CRS,
    )
    covered = parcels.geometry.intersects(bands.geometry.iloc[1])
    mb = MapBuilder(title="District", basemap="positron", lang="zh")
    mb.add_bands(bands)
    mb.add_coverage(parcels[covered], parcels[~covered], tooltip_cols={"名称": "name", "人口": "pop"})
    mb.add_points(fac, kind_col="kind", name_col="name")
    out = mb.save(tmp_path / "district.html")
    size = out.stat().st_size
    print(f"district-scale map: {size / 1e6:.2f} MB")
    assert size < 10e6
    fcs = layers_of(out.read_text(encoding="utf-8"))
    assert sum(len(fc["features"]) for fc in fcs[1:3]) == n
