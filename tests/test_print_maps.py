"""Print maps (geo.maps.printing): valid files of the stated size and dpi, legends that list what is drawn."""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyproj
import pytest
import shapely

from geo.errors import InputError
from geo.maps import MapBuilder
from geo.maps import printing as pm

import test_maps as fx  # synthetic layers and page parsing (tests/ is on sys.path)
from test_map_context import _grid_streets

Image = pytest.importorskip("PIL.Image", reason="pip install pillow to check print maps")
CRS, CX, CY = fx.CRS, fx.CX, fx.CY


def shown_legend(mb: MapBuilder) -> list[tuple[str | None, list[str]]]:
    """The page's legend (from its JSON), rows of the layers shown on opening, empty sections left out."""
    meta = fx.data_of(mb.to_html())["meta"]
    out = []
    for sec in meta["legend"]:
        rows = [r["label"] for r in sec["rows"] if r["layer"] is None or meta["layers"][r["layer"]]["show"]]
        if rows:
            out.append((sec["title"], rows))
    return out


def check_png(path: Path, printed: pm.PrintedMap) -> Image.Image:
    im = Image.open(path)
    im.load()
    assert im.format == "PNG"
    assert im.size == (printed.width_px, printed.height_px)
    assert im.size[0] >= 2400 or printed.width_px < 2400
    dpi = im.info["dpi"]
    # PNG stores whole pixels per metre: 300 dpi = 11811 px/m = 299.9994 dpi
    assert dpi[0] == pytest.approx(printed.dpi, abs=0.05) and dpi[1] == pytest.approx(printed.dpi, abs=0.05)
    return im


def _map(lang: str = "en", **kw) -> MapBuilder:
    mb = fx.full_map(lang=lang, **kw)
    return mb.add_context(streets=_grid_streets(), labels=gpd.GeoDataFrame(
        {"name": ["Beiyuan 北苑", "$\\alpha$ {{7*7}}"]}, geometry=gpd.points_from_xy([CX + 300, CX + 900],
                                                                                    [CY + 300, CY + 600]), crs=CRS))


def test_png_has_the_stated_size_and_dpi_and_lists_the_classes_drawn(tmp_path):
    mb = _map()
    printed = mb.save_print(tmp_path / "full.png", source="synthetic.osm", date="2026-01-02")
    im = check_png(tmp_path / "full.png", printed)
    assert printed.width_px == 2400 and printed.dpi == 300 and printed.fmt == "png"
    assert printed.legend_sections == shown_legend(mb)
    assert printed.legend_labels == [lab for _, rows in shown_legend(mb) for lab in rows]
    assert set(printed.layers) == {spec["name"] for spec in fx.data_of(mb.to_html())["meta"]["layers"]}
    assert printed.context_labels == ["Major roads", "Streets", "Paths and service roads"]
    assert not (Path(tmp_path) / ".full.png").exists() and [p.name for p in tmp_path.iterdir()] == ["full.png"]
    colours = im.convert("RGB").getcolors(maxcolors=1 << 22)
    assert colours is not None and len(colours) > 200


def test_hidden_layers_and_their_empty_headings_are_not_printed(tmp_path):
    d = fx.synthetic_layers()
    mb = MapBuilder(title="Coverage", basemap="none")
    mb.add_coverage(d["covered"], d["uncovered"], tooltip_cols={"Name": "name"})
    mb.add_points(d["points"], kind_col="kind", name_col="name", legend_title="Facilities", show=False)
    printed = mb.save_print(tmp_path / "c.png")
    assert printed.layers == ["Covered", "Not covered"]
    # the page's legend: the two untitled coverage rows in one block, no "Facilities" heading
    assert printed.legend_sections == [(None, ["Covered", "Not covered"])]
    assert printed.context_labels == []  # no context added


def test_the_fill_colour_of_the_page_is_the_print_colour(tmp_path):
    big = gpd.GeoDataFrame(geometry=[shapely.box(CX, CY, CX + 2000, CY + 2000)], crs=CRS)
    mb = MapBuilder(title="One square", basemap="none").add_polygons(big, name="sq", color="#d7191c",
                                                                     fill_opacity=0.35)
    printed = mb.save_print(tmp_path / "sq.png", width_px=1200, dpi=150)
    im = check_png(tmp_path / "sq.png", printed).convert("RGB")
    want = np.array([0xd7, 0x19, 0x1c]) * 0.35 + 255 * 0.65  # over the white map background
    px = np.asarray(im).reshape(-1, 3).astype(float)
    share = (np.abs(px - want).max(axis=1) <= 3).mean()
    assert share > 0.15, share  # the square fills a good part of the figure


@pytest.mark.parametrize("fmt", ["pdf", "svg"])
def test_pdf_and_svg_are_valid_files_of_the_same_page_size(tmp_path, fmt):
    mb = _map()
    printed = mb.save_print(tmp_path / f"m.{fmt}", fmt=fmt, width_px=2400, dpi=300)
    data = (tmp_path / f"m.{fmt}").read_bytes()
    assert printed.fmt == fmt and printed.path == tmp_path / f"m.{fmt}"
    if fmt == "pdf":
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
        assert b"/MediaBox [ 0 0 576 " in data  # 2400 px / 300 dpi = 8 in = 576 pt
    else:
        root = ET.fromstring(data)
        assert root.tag.endswith("svg") and root.get("width") == "576pt"
        assert float(root.get("height").removesuffix("pt")) == pytest.approx(printed.height_px / 300 * 72, abs=0.1)
    assert printed.legend_labels == [lab for _, rows in shown_legend(mb) for lab in rows]


def test_chinese_print_uses_a_cjk_font_or_says_what_to_install(tmp_path, monkeypatch):
    mb = _map(lang="zh")
    if pm.cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    printed = mb.save_print(tmp_path / "zh.png")
    check_png(tmp_path / "zh.png", printed)
    assert printed.context_labels == ["主要道路", "街道", "小路与内部道路"]
    fig, _ = pm.print_figure(mb)
    families = {f for t in fig.findobj(lambda a: hasattr(a, "get_fontfamily")) for f in t.get_fontfamily()}
    assert pm.cjk_font() in families
    monkeypatch.setattr(pm, "cjk_font", lambda: None)
    with pytest.raises(InputError, match="fonts-wqy-microhei"):
        mb.save_print(tmp_path / "zh2.png")
    assert not (tmp_path / "zh2.png").exists()
    # an English map whose data holds a Chinese name is printed, saying that it shows as boxes
    from geo.errors import GeoWarning

    with pytest.warns(GeoWarning, match="1 text.*show as boxes.*fonts-wqy-microhei"):
        check_png(tmp_path / "en.png", _map(lang="en").save_print(tmp_path / "en.png"))


def test_texts_are_printed_as_written_never_as_mathtext():
    from matplotlib.text import Text

    mb = _map()
    fig, _ = pm.print_figure(mb)
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    shown = {t.get_text() for t in texts}
    assert "$\\alpha$ {{7*7}}" in shown  # a place name: literally
    assert any(fx.XSS in s for s in shown)  # the legend title / title hold the payload as text
    assert all(t.get_parse_math() is False for t in texts)


def test_scale_bar_and_north_arrow():
    assert [pm._nice_length(v) for v in (2600, 999, 1000, 12.0, 0.7)] == [2000, 500, 1000, 10, 0.5]
    mb = _map()
    _, printed = pm.print_figure(mb)
    width = printed.extent[2] - printed.extent[0]
    k = math.floor(math.log10(printed.scale_bar_m))
    assert printed.scale_bar_m / 10**k in (1, 2, 5) and printed.scale_bar_m <= 0.25 * width < 2.5 * printed.scale_bar_m
    # true north vs grid north: the meridian convergence of UTM 50N, east and west of 117E
    crs = pyproj.CRS.from_epsg(CRS)
    proj = pyproj.Proj(crs)
    to = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    for lon in (117.0, 119.5, 114.5):
        x, y = to.transform(lon, 39.2)
        got = pm._north_angle(crs, x, y)
        conv = proj.get_factors(lon, 39.2).meridian_convergence
        assert abs(got) == pytest.approx(abs(conv), abs=0.02)
        assert np.sign(got) == np.sign(lon - 117.0)  # east of the central meridian true north turns left


def test_bad_arguments_are_refused(tmp_path):
    mb = _map()
    with pytest.raises(InputError, match="print format"):
        mb.save_print(tmp_path / "x.gif", fmt="gif")
    with pytest.raises(InputError, match="width_px"):
        mb.save_print(tmp_path / "x.png", width_px=100)
    with pytest.raises(InputError, match="dpi"):
        mb.save_print(tmp_path / "x.png", dpi=0)
    assert list(tmp_path.iterdir()) == []


def test_wrapping_keeps_every_character_and_the_width():
    text = "人口: estimate: floor area of 87 buildings on residential land / 35 m² per person (levels from " \
           "building:levels); 其中 0.1% 的居住用地没有建筑"
    for width in (30, 50, 90):
        lines = pm._wrap(text, width)
        assert all(pm._width(line) <= width for line in lines)
        assert "".join(lines).replace(" ", "") == text.replace(" ", "")


# --------------------------------------------------------------------------- every analysis, through the CLI
@pytest.mark.slow
def test_every_analysis_writes_its_print_map(cli_prints):
    import json

    root, got = cli_prints
    assert set(got) == {"circles", "parks", "tod", "clinics", "gaps", "stations"}
    for name, (mb, printed) in got.items():
        folder = root / ("demo" if name in ("circles", "parks", "tod", "clinics") else name)
        summary = json.loads((folder / f"{name}.json").read_text(encoding="utf-8"))
        assert summary["outputs"]["print"] == printed.path.name
        path = folder / printed.path.name
        if printed.fmt == "png":
            check_png(path, printed)
        else:
            assert ET.fromstring(path.read_bytes()).tag.endswith("svg")
        assert printed.legend_sections == shown_legend(mb), name
        assert printed.legend_labels, name
        assert "Streets" in printed.context_labels and "Major roads" in printed.context_labels, name
        assert "Railways" in printed.context_labels, name  # Helsinki's trams and trains


def test_gaode_maps_print_where_the_data_is(tmp_path):
    """The page's overlays are shifted to GCJ-02 for Gaode tiles; the print shifts them back (no tiles there)."""
    sq = gpd.GeoDataFrame(geometry=[shapely.box(CX, CY, CX + 1000, CY + 1000)], crs=CRS)
    ext = {}
    for basemap in ("positron", "gaode"):
        mb = MapBuilder(title="t", basemap=basemap).add_polygons(sq, name="sq")
        ext[basemap] = mb.save_print(tmp_path / f"{basemap}.png", width_px=800, dpi=100).extent
    assert np.allclose(ext["gaode"], ext["positron"], atol=2.0)  # metres; the GCJ-02 shift is ~500 m here


def test_cli_refuses_a_chinese_print_without_a_cjk_font_before_any_work(tmp_path, monkeypatch, capsys):
    from beichen_geo.cli import main

    monkeypatch.setattr(pm, "cjk_font", lambda: None)
    out = tmp_path / "out"
    assert main(["parks", "--lang", "zh", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "fonts-wqy-microhei" in err and "Reading study area" not in err
    assert not out.exists()
    # an English map is printed: its texts are English (the plan's words in plan_text_en), nothing shows as boxes
    assert main(["parks", "--lang", "en", "--out", str(out), "--quiet", "--print-format", "pdf"]) == 0
    assert (out / "parks.pdf").read_bytes().startswith(b"%PDF-")
    assert "show as boxes" not in capsys.readouterr().err


def test_outline_bands_are_printed_as_outlines_not_fills(tmp_path):
    """A band drawn as an outline on the page (feature property ``o``) has no fill in print either."""
    big = gpd.GeoDataFrame({"minutes": [15.0]}, geometry=[shapely.box(CX, CY, CX + 2000, CY + 2000)], crs=CRS)
    colour = "#2c7bb6"
    for draw, filled in (("rings", True), ("outlines", False)):
        mb = MapBuilder(title="One band", basemap="none")
        mb.add_bands(big, minutes_col="minutes", name="walk", colors=[colour], draw=draw)
        path = tmp_path / f"{draw}.png"
        im = check_png(path, mb.save_print(path, width_px=1200, dpi=150)).convert("RGB")
        px = np.asarray(im).astype(float)
        h, w = px.shape[:2]
        # the middle of the square: tinted by the band's fill, or the white map background
        centre = px[h // 2 - 5:h // 2 + 5, w // 3 - 5:w // 3 + 5].reshape(-1, 3).mean(axis=0)
        blue_tint = (255 - centre[0]) > 20
        assert blue_tint == filled, (draw, centre)
