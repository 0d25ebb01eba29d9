"""Legends that say what is drawn: whole-number classes, rings and outlines, no empty headings."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from test_maps import CRS, CX, CY, data_of, layers_of, legend_of, synthetic_layers

from geo.errors import InputError
from geo.maps import IntegerClasses, MapBuilder, palette
from geo.maps.classes import classify
from geo.maps.layers import band_rings


def _squares(values, **cols) -> gpd.GeoDataFrame:
    geoms = [shapely.box(CX + 300 * i, CY, CX + 300 * i + 250, CY + 250) for i in range(len(values))]
    return gpd.GeoDataFrame({"v": values, **cols}, geometry=geoms, crs=CRS)


# --------------------------------------------------------------------------- classes
def test_counts_get_one_class_per_whole_number():
    """Tiers met with 3 tiers: 0, 1, 2, 3 - never 0-1, 1-2, 2-3, 3-4."""
    mb = MapBuilder(title="t", basemap="none")
    mb.add_choropleth(_squares([0, 1, 1, 3, 0]), value_col="v", name="Tiers met", legend_title="Tiers met",
                      bins=IntegerClasses(0, 3), value_format="{:.0f}")
    page = mb.to_html()
    (title, rows), = legend_of(page)
    ramp = palette.class_colors(4)
    assert title == "Tiers met"
    # exactly the classes drawn (no area meets 2 tiers), each in its place of the 4-class ramp
    assert rows == [(ramp[0], "0"), (ramp[1], "1"), (ramp[3], "3")]
    # squares showing the same value are drawn as one feature (geo.maps.geometry merges them)
    drawn = sorted((f["properties"]["t"][-1], f["properties"]["c"]) for f in layers_of(page)[0]["features"])
    assert drawn == [("0", ramp[0]), ("1", ramp[1]), ("3", ramp[3])]


def test_integer_range_from_the_data_and_labels():
    s = classify(np.array([2.0, 5.0, np.nan]), "integer", fmt=str, what="x")
    assert s.labels == ["2", "3", "4", "5"]
    assert s.index(np.array([2.0, 5.0, np.nan, 9.0])).tolist() == [0, 3, -1, 3]
    lab = classify(np.array([0.0, 1.0]), IntegerClasses(0, 1, labels={0: "fail", 1: "pass"}), fmt=str, what="x")
    assert lab.labels == ["fail", "pass"] and lab.value_text(1.0) == "pass"


def test_wide_integer_ranges_are_grouped_by_whole_numbers():
    s = classify(np.array([0.0, 7.0, 30.0]), IntegerClasses(0, 30, max_classes=6), fmt="{:.0f}".format, what="x")
    assert s.labels == ["0–5", "6–11", "12–17", "18–23", "24–29", "30"]
    assert s.index(np.array([0.0, 5.0, 6.0, 29.0, 30.0])).tolist() == [0, 0, 1, 4, 5]


def test_integer_classes_refuse_fractions_and_bad_ranges():
    mb = MapBuilder(title="t", basemap="none")
    with pytest.raises(InputError, match="whole numbers, got 1.5"):
        mb.add_choropleth(_squares([0, 1.5]), value_col="v", name="n", legend_title="n", bins="integer")
    with pytest.raises(InputError, match="below lo"):
        IntegerClasses(3, 0)
    with pytest.raises(InputError, match="whole numbers"):
        IntegerClasses(0, 2.5)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="'integer'"):
        classify(np.array([1.0]), "quantiles", fmt=str, what="x")


def test_outline_only_choropleth_fills_nothing():
    mb = MapBuilder(title="t", basemap="none")
    mb.add_choropleth(_squares([1.0]), value_col="v", name="Whole area", legend_title="Result",
                      bins=IntegerClasses(0, 1, labels={0: "fail", 1: "pass"}),
                      colors=palette.diverging_colors(2), outline_only=True)
    data = data_of(mb.to_html())
    assert data["meta"]["layers"][0]["style"]["fill"] is False
    assert data["meta"]["legend"][0]["rows"][0]["swatch"] == {"type": "line", "color": palette.COVERED}
    assert data["meta"]["legend"][0]["rows"][0]["label"] == "pass"


# --------------------------------------------------------------------------- bands
def _discs(radii, *, x=CX, y=CY, minutes=None, **cols) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"minutes": minutes or [5 * (i + 1) for i in range(len(radii))], **cols},
                            geometry=[shapely.Point(x, y).buffer(r, quad_segs=64) for r in radii], crs=CRS)


def test_rings_partition_the_bands():
    """Band k minus band k-1: disjoint rings whose areas are those of the annuli."""
    d = _discs([400, 1200, 2400])
    rings = band_rings(d.geometry, d["minutes"].to_numpy(dtype=float))
    assert rings["minutes"].tolist() == [5, 10, 15]
    areas = rings.area.to_numpy()
    disc = d.area.to_numpy()
    assert areas == pytest.approx([disc[0], disc[1] - disc[0], disc[2] - disc[1]], rel=1e-6)
    for i in range(3):
        for j in range(i + 1, 3):
            assert rings.geometry.iloc[i].intersection(rings.geometry.iloc[j]).area < 1e-6
    assert shapely.union_all(rings.geometry.values).area == pytest.approx(disc[2], rel=1e-9)


def test_rings_of_bands_that_are_not_nested():
    """A 10-min area off to the side of the 5-min one: the ring is all of it but the overlap."""
    a = shapely.box(0, 0, 100, 100)
    b = shapely.box(50, 0, 200, 100)
    rings = band_rings(gpd.GeoSeries([a, b], crs=CRS), np.array([5.0, 10.0]))
    assert rings.area.tolist() == pytest.approx([10_000.0, 10_000.0])


def test_several_sources_fill_union_rings_and_outline_each_source():
    two = gpd.GeoDataFrame(
        {"minutes": [8, 15, 8, 15], "station": ["A", "A", "B", "B"]},
        geometry=[shapely.Point(CX + dx, CY).buffer(r, quad_segs=32)
                  for dx, r in ((0, 500), (0, 1000), (600, 500), (600, 1000))], crs=CRS)
    mb = MapBuilder(title="t", basemap="none").add_bands(two, minutes_col="minutes", source_col="station")
    page = mb.to_html()
    feats = layers_of(page)[0]["features"]
    fills = [f["properties"] for f in feats if not f["properties"].get("o")]
    lines = [f["properties"] for f in feats if f["properties"].get("o")]
    assert [p["n"] for p in fills] == ["Within 8 min walk", "Within 15 min walk"]  # union rings
    assert sorted(p["n"] for p in lines) == ["A: Within 15 min walk", "A: Within 8 min walk",
                                             "B: Within 15 min walk", "B: Within 8 min walk"]
    assert all(p["c"] == palette.OUTLINE for p in lines)
    assert sorted(p.get("d", 0) for p in lines) == [0, 0, 1, 1]  # 8 min solid, 15 min dashed
    # fills never overlap: the 15-min ring holds nothing of the 8-min union
    g = [shapely.geometry.shape(f["geometry"]) for f in feats if not f["properties"].get("o")]
    assert g[0].intersection(g[1]).area < 1e-10
    (_, rows), = legend_of(page)
    c8, c15 = palette.band_colors(2)
    assert rows == [(c8, "≤ 8"), (c15, "≤ 15"),
                    (palette.OUTLINE, "≤ 8: each one (outline)"), (palette.OUTLINE, "≤ 15: each one (outline)")]
    swatches = [r["swatch"] for r in data_of(page)["meta"]["legend"][0]["rows"]]
    assert swatches[0]["opacity"] == data_of(page)["meta"]["layers"][0]["style"]["fillOpacity"]
    assert swatches[3]["dash"] == 1 and "dash" not in swatches[2]


def test_outlines_draw_no_fill_and_legend_shows_lines():
    d = synthetic_layers()["bands"]
    mb = MapBuilder(title="t", basemap="none").add_bands(d, draw="outlines", labels={5: "5-min tier"})
    page = mb.to_html()
    feats = layers_of(page)[0]["features"]
    assert all(f["properties"]["o"] == 1 for f in feats) and len(feats) == 3
    (_, rows), = legend_of(page)
    assert [lab for _, lab in rows] == ["5-min tier", "≤ 15", "≤ 30"]
    assert {r["swatch"]["type"] for r in data_of(page)["meta"]["legend"][0]["rows"]} == {"line"}
    with pytest.raises(InputError, match="draw must be"):
        MapBuilder(title="t", basemap="none").add_bands(d, draw="blend")


def test_an_empty_band_is_not_in_the_legend():
    d = synthetic_layers()["bands"]
    d.loc[2, "geometry"] = shapely.Polygon()
    page = MapBuilder(title="t", basemap="none").add_bands(d).to_html()
    (_, rows), = legend_of(page)
    assert [lab for _, lab in rows] == ["≤ 5", "≤ 15"]
    assert rows[0][0] == palette.band_colors(2)[0]


# --------------------------------------------------------------------------- sections
def test_no_heading_without_rows_and_untitled_rows_together():
    d = synthetic_layers()
    pts = d["points"].iloc[:0]
    mb = MapBuilder(title="t", basemap="none")
    mb.add_polygons(d["covered"], name="A", color=palette.COVERED)
    mb.add_polygons(d["uncovered"], name="B", color=palette.NOT_COVERED, hatch=True)
    mb.add_polygons(d["covered"].iloc[:0], name="Empty", color=palette.PARKS)
    mb.add_points(pts, kind_col="kind", name_col="name", legend_title="Facilities")
    mb.add_bands(d["bands"])
    legend = data_of(mb.to_html())["meta"]["legend"]
    assert [s["title"] for s in legend] == [None, "Walking time (min)"]
    assert [r["label"] for r in legend[0]["rows"]] == ["A", "B"]
    assert [r["layer"] for r in legend[0]["rows"]] == [0, 1]


def test_kinds_without_a_drawn_point_have_no_row():
    pts = synthetic_layers()["points"]
    pts.loc[pts["kind"] == "park", "geometry"] = None
    page = MapBuilder(title="t", basemap="none").add_points(pts, kind_col="kind", name_col="name").to_html()
    (title, rows), = legend_of(page)
    assert title == "Facilities" and [lab for _, lab in rows] == ["clinic", "school"]
    assert [s["name"] for s in data_of(page)["meta"]["layers"]] == ["clinic", "school"]


def test_outline_polygons_and_dashed_buffers():
    d = synthetic_layers()["covered"]
    mb = MapBuilder(title="t", basemap="none").add_polygons(d, name="Buffer", color=palette.BUFFER,
                                                           fill_opacity=0, dash=True)
    data = data_of(mb.to_html())
    st = data["meta"]["layers"][0]["style"]
    assert st["fill"] is False and st["dashArray"] == "6 4"
    assert data["meta"]["legend"][0]["rows"][0]["swatch"] == {"type": "line", "color": palette.BUFFER, "dash": 1}
