"""Tests of geo.io on files generated in tmp_path."""

from __future__ import annotations

import contextlib
import json
import math
import os
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pyproj
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon

from geo import coords
from geo import io as gio
from geo.errors import DataError, GeoError, InputError


def write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def xy(gdf: gpd.GeoDataFrame) -> list[tuple[float, float]]:
    return [(p.x, p.y) for p in gdf.geometry]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name)


# =========================================================================== CSV
def test_gbk_csv_with_chinese_columns(tmp_path):
    text = (
        "名称,经度,纬度,类型\n"
        "北辰区中医医院,117.1352,39.2241,医院\n"
        "天穆小学,117.1508,39.2133,学校\n"
    )
    path = write_bytes(tmp_path / "设施.csv", text.encode("gbk"))
    gdf = gio.read_points(path)
    assert gdf.crs == "EPSG:4326"
    assert list(gdf["名称"]) == ["北辰区中医医院", "天穆小学"]
    assert list(gdf["类型"]) == ["医院", "学校"]
    assert xy(gdf) == [(117.1352, 39.2241), (117.1508, 39.2133)]
    assert list(gdf["source_row"]) == [2, 3]
    assert list(gdf["geom_source"]) == ["lonlat", "lonlat"]
    assert gdf.attrs["duplicates_dropped"] == 0
    assert gdf.attrs["name_column"] == "名称"


def test_utf8_bom_csv_first_column_name_is_clean(tmp_path):
    path = write_bytes(
        tmp_path / "bom.csv", "Longitude,Latitude,名称\n117.2,39.1,甲\n".encode("utf-8-sig")
    )
    gdf = gio.read_points(path)
    assert list(gdf.columns[:3]) == ["Longitude", "Latitude", "名称"]
    assert xy(gdf) == [(117.2, 39.1)]


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_delimiters_are_sniffed(tmp_path, sep):
    rows = [["name", "lng", "lat"], ["A, Ltd", "117.2", "39.1"], ["B", "117.3", "39.2"]]
    text = "\n".join(sep.join(r) for r in rows) + "\n"
    gdf = gio.read_points(write_bytes(tmp_path / "x.csv", text.encode()))
    assert list(gdf["name"]) == ["A, Ltd", "B"]
    assert xy(gdf) == [(117.2, 39.1), (117.3, 39.2)]


def test_semicolon_csv_with_decimal_commas(tmp_path):
    text = "name;LON;LAT\nA;117,25;39,125\n"
    gdf = gio.read_points(write_bytes(tmp_path / "x.csv", text.encode()))
    assert xy(gdf) == [(117.25, 39.125)]


def test_utf16_tab_separated_unicode_text_from_excel(tmp_path):
    text = "名称\t经度\t纬度\r\n甲\t117.2\t39.1\r\n"
    gdf = gio.read_points(write_bytes(tmp_path / "x.txt", text.encode("utf-16")))
    assert list(gdf["名称"]) == ["甲"] and xy(gdf) == [(117.2, 39.1)]


def test_csv_title_rows_blank_lines_and_row_numbers(tmp_path):
    text = "北辰区学校名单,,\n,,\nname,x,y\n\nA,117.2,39.1\nB,117.3,39.2\n"
    gdf = gio.read_points(write_bytes(tmp_path / "x.csv", text.encode()))
    assert list(gdf["source_row"]) == [5, 6]
    assert xy(gdf) == [(117.2, 39.1), (117.3, 39.2)]


def test_explicit_columns(tmp_path):
    text = "站点,E,N\nA,117.2,39.1\n"
    path = write_bytes(tmp_path / "x.csv", text.encode())
    with pytest.raises(InputError, match="lon_col=") as err:
        gio.read_points(path)
    assert err.value.option == "lon_col"
    gdf = gio.read_points(path, lon_col="E", lat_col="N")
    assert xy(gdf) == [(117.2, 39.1)]


# =========================================================================== Excel
def make_xlsx(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_excel_with_two_title_rows(tmp_path):
    path = make_xlsx(
        tmp_path / "f.xlsx",
        {
            "说明": [["这张表说明数据来源"]],
            "学校": [
                ["北辰区中小学名单"],
                ["数据来源：区教育局，2024年"],
                ["序号", "名称", "经度", "纬度"],
                [1, "天穆小学", 117.1508, 39.2133],
                [2, "北辰中学", "117.1602", " 39.2250 "],
            ],
        },
    )
    gdf = gio.read_points(path)
    assert list(gdf["名称"]) == ["天穆小学", "北辰中学"]
    assert xy(gdf) == [(117.1508, 39.2133), (117.1602, 39.2250)]
    assert list(gdf["source_row"]) == [4, 5]
    assert list(gdf["序号"]) == [1, 2]  # Excel cells keep their types
    assert xy(gio.read_points(path, sheet="学校")) == xy(gdf)
    assert xy(gio.read_points(path, sheet=2)) == xy(gdf)
    with pytest.raises(InputError, match="no sheet 'schools'.*说明, 学校"):
        gio.read_points(path, sheet="schools")
    with pytest.raises(InputError, match="lon/lat|longitude/latitude"):
        gio.read_points(path, sheet="说明")


def test_excel_non_numeric_cell_names_excel_row(tmp_path):
    path = make_xlsx(
        tmp_path / "f.xlsx",
        {"S": [["title"], ["name", "lon", "lat"], ["A", 117.2, 39.1], ["B", "东经117度", 39.2]]},
    )
    with pytest.raises(InputError) as err:
        gio.read_points(path)
    msg = str(err.value)
    assert "row 4" in msg and "东经117度" in msg and "f.xlsx" in msg and "sheet 'S'" in msg


def test_old_xls_and_misnamed_workbook(tmp_path):
    xls = write_bytes(tmp_path / "old.xls", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(InputError, match=r"\.xlsx"):
        gio.read_points(xls)
    real = make_xlsx(tmp_path / "f.xlsx", {"S": [["lon", "lat"], [117.2, 39.1]]})
    fake_csv = write_bytes(tmp_path / "f.csv", real.read_bytes())
    with pytest.raises(InputError, match="rename it to .xlsx"):
        gio.read_points(fake_csv)
    broken = write_bytes(tmp_path / "broken.xlsx", b"not a zip file")
    with pytest.raises(InputError, match="broken.xlsx"):
        gio.read_points(broken)


# =========================================================================== errors
def test_missing_file(tmp_path):
    with pytest.raises(InputError) as err:
        gio.read_points(tmp_path / "nope.csv", what="schools")
    assert "schools file not found" in str(err.value) and "nope.csv" in str(err.value)
    with pytest.raises(InputError, match="not found"):
        gio.read_layer(tmp_path / "nope.gpkg")


def test_empty_files(tmp_path):
    with pytest.raises(InputError, match="empty"):
        gio.read_points(write_bytes(tmp_path / "e.csv", b""))
    with pytest.raises(InputError, match="empty"):
        gio.read_layer(write_bytes(tmp_path / "e.geojson", b""))
    with pytest.raises(DataError, match="no data rows"):
        gio.read_points(write_bytes(tmp_path / "h.csv", b"name,lon,lat\n\n"))


def test_non_numeric_and_missing_coordinates_name_rows(tmp_path):
    text = "name,lon,lat\nA,117.2,39.1\nB,117.3,39.2\nC,abc,39.3\nD,117.4,\n"
    with pytest.raises(InputError) as err:
        gio.read_points(write_bytes(tmp_path / "bad.csv", text.encode()))
    msg = str(err.value)
    assert "bad.csv" in msg
    assert "row 4: lon 'abc' is not a number" in msg
    assert "row 5: lat is empty" in msg
    assert "row 2" not in msg and "row 3" not in msg


def test_unquoted_separator_is_reported(tmp_path):
    text = "name,lon,lat\nA,117.2,39.1\nBeichen, Hospital,117.3,39.2\n"
    with pytest.raises(InputError, match="row 3: 4 cells but the header has 3 columns"):
        gio.read_points(write_bytes(tmp_path / "x.csv", text.encode()))


def test_swapped_columns(tmp_path):
    text = "name,lon,lat\nA,39.1,117.2\nB,39.2,117.3\n"
    with pytest.raises(InputError) as err:
        gio.read_points(write_bytes(tmp_path / "x.csv", text.encode()))
    msg = str(err.value)
    assert "swapped" in msg and "lon_col='lat', lat_col='lon'" in msg
    gdf = gio.read_points(tmp_path / "x.csv", lon_col="lat", lat_col="lon")
    assert xy(gdf) == [(117.2, 39.1), (117.3, 39.2)]


def test_swapped_outside_china_all_latitudes_impossible(tmp_path):
    text = "lon,lat\n2.35,148.85\n2.36,148.86\n"
    with pytest.raises(InputError, match="swapped"):
        gio.read_points(write_bytes(tmp_path / "x.csv", text.encode()))


def test_projected_metres_and_single_bad_row(tmp_path):
    with pytest.raises(InputError, match="projected"):
        gio.read_points(write_bytes(tmp_path / "m.csv", b"x,y\n500000,4300000\n510000,4310000\n"))
    with pytest.raises(InputError, match="row 3: lon 117.3, lat 391.2"):
        gio.read_points(write_bytes(tmp_path / "r.csv", b"lon,lat\n117.2,39.1\n117.3,391.2\n"))


def test_unknown_coords_value(tmp_path):
    path = write_bytes(tmp_path / "x.csv", b"lon,lat\n117.2,39.1\n")
    with pytest.raises(InputError, match="wgs84, gcj02, bd09"):
        gio.read_points(path, coords="amap")


# =========================================================================== conversion
def test_gcj02_and_bd09_input_converted_to_wgs84(tmp_path):
    wgs = np.array([[117.1352, 39.2241], [117.1508, 39.2133]])
    glon, glat = coords.wgs84_to_gcj02(wgs[:, 0], wgs[:, 1])
    blon, blat = coords.wgs84_to_bd09(wgs[:, 0], wgs[:, 1])
    for system, (lon, lat) in {"gcj02": (glon, glat), "bd09": (blon, blat)}.items():
        lines = ["name,lon,lat"] + [f"P{i},{float(lon[i])!r},{float(lat[i])!r}" for i in range(2)]
        path = write_bytes(tmp_path / f"{system}.csv", "\n".join(lines).encode())
        gdf = gio.read_points(path, coords=system)
        expected = coords.convert(lon, lat, src=system, dst="wgs84")
        np.testing.assert_allclose(gdf.geometry.x, expected[0], atol=1e-12)
        np.testing.assert_allclose(gdf.geometry.y, expected[1], atol=1e-12)
        # and that is the original WGS84 point to well under a millimetre (~1e-8 degrees)
        np.testing.assert_allclose(np.c_[gdf.geometry.x, gdf.geometry.y], wgs, atol=1e-8)
        assert list(gdf["lon"]) == [repr(float(v)) for v in lon]  # the file's own values are kept


def test_gcj02_vector_layer_converted(tmp_path):
    glon, glat = coords.wgs84_to_gcj02(117.2, 39.1)
    path = tmp_path / "g.geojson"
    gpd.GeoDataFrame({"name": ["A"]}, geometry=[Point(glon, glat)], crs=4326).to_file(path)
    gdf = gio.read_points(path, coords="gcj02")
    assert gdf.geometry.iloc[0].x == pytest.approx(117.2, abs=1e-9)
    assert gdf.geometry.iloc[0].y == pytest.approx(39.1, abs=1e-9)


# =========================================================================== vector files
@pytest.mark.parametrize(
    ("suffix", "driver"), [(".geojson", "GeoJSON"), (".gpkg", "GPKG"), (".shp", "ESRI Shapefile")]
)
def test_vector_points_projected_to_wgs84(tmp_path, suffix, driver):
    # EPSG:4548 = CGCS2000 / 3-degree Gauss-Kruger CM 117E, used by Beichen's planners.
    pts = [(500123.0, 4340000.0), (501000.5, 4341234.0)]
    src = gpd.GeoDataFrame({"name": ["甲", "乙"]}, geometry=[Point(p) for p in pts], crs=4548)
    path = tmp_path / f"pts{suffix}"
    src.to_file(path, driver=driver, engine="pyogrio")
    gdf = gio.read_points(path)
    to_wgs = pyproj.Transformer.from_crs(4548, 4326, always_xy=True)
    lon, lat = to_wgs.transform([p[0] for p in pts], [p[1] for p in pts])
    np.testing.assert_allclose(gdf.geometry.x, lon, atol=1e-9)
    np.testing.assert_allclose(gdf.geometry.y, lat, atol=1e-9)
    assert gdf.crs == "EPSG:4326"
    assert list(gdf["name"]) == ["甲", "乙"]
    assert list(gdf["geom_source"]) == ["point", "point"]
    assert list(gdf["source_row"]) == [1, 2]


def test_polygon_features_become_interior_points(tmp_path):
    ring = [
        (117.0, 39.0),
        (117.02, 39.0),
        (117.02, 39.001),
        (117.001, 39.001),
        (117.001, 39.02),
        (117.0, 39.02),
    ]
    poly = Polygon(ring)  # an L shape: its centroid lies outside it
    assert not poly.contains(poly.centroid)
    path = tmp_path / "parks.gpkg"
    gpd.GeoDataFrame({"name": ["L"]}, geometry=[poly], crs=4326).to_file(path)
    gdf = gio.read_points(path)
    assert poly.contains(gdf.geometry.iloc[0])
    assert gdf["geom_source"].iloc[0] == "representative_point"


def test_read_layer_keeps_crs_and_repairs_bowtie(tmp_path):
    bowtie = Polygon([(0, 0), (1, 1), (1, 0), (0, 1), (0, 0)])
    square = Polygon([(2, 0), (3, 0), (3, 1), (2, 1)])
    path = tmp_path / "areas.gpkg"
    gpd.GeoDataFrame({"name": ["bow", "sq"]}, geometry=[bowtie, square], crs=4548).to_file(path)
    with pytest.warns(UserWarning, match=r"1 invalid geometry.*feature 1 \(bow\)"):
        gdf = gio.read_layer(path, what="study area")
    assert gdf.crs == "EPSG:4548"
    assert gdf.attrs["repaired"] == 1
    assert gdf.geometry.is_valid.all()
    # Two triangles of base 1 and height 1/2: 0.25 m2 each. The invalid input reports area 0.
    assert bowtie.area == 0.0
    assert gdf.geometry.iloc[0].area == pytest.approx(0.5)
    assert gdf.geometry.iloc[0].geom_type == "MultiPolygon"
    assert gdf.geometry.iloc[1].equals(square)


def test_read_layer_missing_geometries_are_announced(tmp_path):
    path = tmp_path / "a.geojson"
    gpd.GeoDataFrame(
        {"name": ["a", "b", "c"]}, geometry=[Point(117, 39), None, Point(117.1, 39)], crs=4326
    ).to_file(path)
    with pytest.warns(
        UserWarning, match=r"1 feature\(s\) without geometry left out: feature 2 \(b\)"
    ):
        gdf = gio.read_layer(path)
    assert list(gdf["name"]) == ["a", "c"] and gdf.attrs["empty_dropped"] == 1


def test_read_layer_errors(tmp_path):
    # several layers, unknown layer, empty layer
    path = tmp_path / "multi.gpkg"
    one = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(117, 39)], crs=4326)
    one.to_file(path, layer="schools")
    one.to_file(path, layer="clinics")
    one.iloc[:0].to_file(path, layer="empty")
    with pytest.raises(InputError, match="3 layers.*schools.*clinics.*layer=NAME") as err:
        gio.read_layer(path)
    assert err.value.option == "layer" and "--" not in str(err.value)
    assert gio.read_layer(path, layer="clinics").attrs["layer"] == "clinics"
    with pytest.raises(InputError, match="no layer 'hospitals'"):
        gio.read_layer(path, layer="hospitals")
    with pytest.raises(DataError, match=r"'empty'.*no features"):
        gio.read_layer(path, layer="empty")
    # not a GIS file
    with pytest.raises(InputError, match="not a GIS format"):
        gio.read_layer(write_bytes(tmp_path / "x.geojson", b"{not json"))
    # degrees declared, metres stored
    bad = tmp_path / "m.geojson"
    gpd.GeoDataFrame(geometry=[Point(500000, 4300000)], crs=4326).to_file(bad)
    with pytest.raises(InputError, match="projected"):
        gio.read_layer(bad)


def test_shapefile_without_prj_or_shx(tmp_path):
    path = tmp_path / "p.shp"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(117, 39)], crs=4326).to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(
        InputError, match=r"no coordinate reference system \(its .prj file is missing\)"
    ):
        gio.read_layer(path)
    path.with_suffix(".shx").unlink()
    with pytest.raises(InputError, match=r"lacks its .shx"):
        gio.read_layer(path)


def test_read_layer_reads_tables_too(tmp_path):
    path = write_bytes(tmp_path / "x.csv", "名称,经度,纬度\n甲,117.2,39.1\n".encode())
    assert xy(gio.read_layer(path)) == [(117.2, 39.1)]


# =========================================================================== duplicates
def test_duplicates_same_name_and_coordinates(tmp_path):
    text = (
        "名称,经度,纬度\n"
        "甲,117.2,39.1\n"
        "乙,117.2,39.1\n"  # same place, other name: kept
        "甲,117.2,39.1\n"  # duplicate of row 2
        "甲,117.3,39.1\n"  # same name elsewhere: kept
        "乙,117.20,39.10\n"  # duplicate of row 3, written differently
    )
    with pytest.warns(UserWarning, match=r"2 exact duplicate.*row 4 = row 2; row 6 = row 3"):
        gdf = gio.read_points(write_bytes(tmp_path / "d.csv", text.encode()))
    assert list(gdf["source_row"]) == [2, 3, 5]
    assert gdf.attrs["duplicates_dropped"] == 2 and gdf.attrs["duplicate_rows"] == [4, 6]


def test_duplicates_without_name_column_compare_whole_rows(tmp_path):
    text = "lon,lat,kind\n117.2,39.1,school\n117.2,39.1,clinic\n117.2,39.1,school\n"
    with pytest.warns(UserWarning, match="row 4 = row 2"):
        gdf = gio.read_points(write_bytes(tmp_path / "d.csv", text.encode()))
    assert list(gdf["kind"]) == ["school", "clinic"]


def test_no_warning_without_duplicates(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gdf = gio.read_points(write_bytes(tmp_path / "x.csv", b"lon,lat\n117.2,39.1\n117.3,39.1\n"))
    assert gdf.attrs["duplicates_dropped"] == 0


# =========================================================================== writers
def test_write_gpkg_round_trip(tmp_path):
    a = gpd.GeoDataFrame({"名称": ["甲"], "v": [1.5]}, geometry=[Point(117.2, 39.1)], crs=4326)
    b = gpd.GeoDataFrame({"n": [1, 2]}, geometry=[Point(0, 0), Point(1, 1)], crs=4548)
    path = gio.write_gpkg({"facilities": a, "grid": b}, tmp_path / "out" / "r.gpkg")
    assert [row[0] for row in pyogrio.list_layers(path)] == ["facilities", "grid"]
    back = gpd.read_file(path, layer="facilities")
    assert back["名称"].tolist() == ["甲"] and back.crs == "EPSG:4326"
    assert gpd.read_file(path, layer="grid").crs == "EPSG:4548"
    assert leftovers(path.parent) == []


def test_write_gpkg_interrupted_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "r.gpkg"
    old = gpd.GeoDataFrame({"v": [1]}, geometry=[Point(1, 1)], crs=4326)
    gio.write_gpkg({"old": old}, path)
    before = path.read_bytes()
    real_to_file = gpd.GeoDataFrame.to_file
    calls = []

    def failing_to_file(self, filename, *args, **kwargs):
        calls.append(filename)
        if len(calls) == 2:  # the first layer is already in the temporary file
            raise KeyboardInterrupt("simulated Ctrl-C")
        return real_to_file(self, filename, *args, **kwargs)

    monkeypatch.setattr(gpd.GeoDataFrame, "to_file", failing_to_file)
    new = gpd.GeoDataFrame({"v": [2]}, geometry=[Point(2, 2)], crs=4326)
    with pytest.raises(KeyboardInterrupt):
        gio.write_gpkg({"a": new, "b": new}, path)
    assert Path(calls[0]).parent == tmp_path and Path(calls[0]) != path
    assert path.read_bytes() == before
    assert [row[0] for row in pyogrio.list_layers(path)] == ["old"]
    assert leftovers(tmp_path) == []


def test_write_csv_interrupted_keeps_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "t.csv"
    gio.write_csv(pd.DataFrame({"a": [1]}), path)
    before = path.read_bytes()

    def half_write(self, target, *args, **kwargs):
        Path(target).write_text("a\n1\n2", encoding="utf-8")  # partial content...
        raise OSError(28, "No space left on device")  # ...then the disk fills up

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_write)
    with pytest.raises(InputError, match="No space left on device"):
        gio.write_csv(pd.DataFrame({"a": [1, 2, 3]}), path)
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


def test_write_csv_is_utf8_with_bom_and_reads_back(tmp_path):
    gdf = gpd.GeoDataFrame(
        {"名称": ["甲"], "lon": [117.2], "lat": [39.1]}, geometry=[Point(117.2, 39.1)]
    )
    path = gio.write_csv(gdf, tmp_path / "x.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and "名称".encode() in raw
    assert xy(gio.read_points(path)) == [(117.2, 39.1)]


def test_write_json_types_nan_and_chinese(tmp_path):
    obj = {
        "名称": "北辰",
        "n": np.int64(3),
        "x": np.float32(0.5),
        "arr": np.array([1.0, np.nan, np.inf]),
        "nested": [{"v": float("nan")}, (1, 2)],
        "s": pd.Series([1, 2]),
        "when": pd.Timestamp("2024-05-01T08:00"),
        "flag": np.bool_(True),
        5: None,
    }
    path = gio.write_json(obj, tmp_path / "r.json")
    text = path.read_text(encoding="utf-8")
    assert "北辰" in text and "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {
        "名称": "北辰",
        "n": 3,
        "x": 0.5,
        "arr": [1.0, None, None],
        "nested": [{"v": None}, [1, 2]],
        "s": [1, 2],
        "when": "2024-05-01T08:00:00",
        "flag": True,
        "5": None,
    }
    with pytest.raises(TypeError, match="object"):
        gio.write_json({"o": object()}, tmp_path / "bad.json")
    assert not (tmp_path / "bad.json").exists()


def test_write_text_replaces_and_creates_folders(tmp_path):
    path = tmp_path / "a" / "b" / "r.txt"
    gio.write_text("first", path)
    gio.write_text("第二", path)
    assert path.read_text(encoding="utf-8") == "第二"
    with pytest.raises(InputError, match="folder"):
        gio.write_text("x", tmp_path / "a")


# =========================================================================== fuzzing
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx", ".geojson", ".txt"]))
def test_fuzz_random_bytes_only_raise_geo_errors(tmp_path, data, suffix):
    path = write_bytes(tmp_path / f"f{suffix}", data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(GeoError):
            gio.read_points(path)


csv_text = st.lists(
    st.lists(
        st.one_of(
            st.sampled_from(
                ["lon", "lat", "经度", "纬度", "name", "x", "y", "", " ", '"', "nan", "inf"]
            ),
            st.floats(allow_nan=True, allow_infinity=True).map(repr),
            st.floats(-200, 200).map(lambda v: f"{v:.4f}"),
            st.text(max_size=6),
        ),
        max_size=5,
    ).map(lambda cells: st_join(cells)),
    max_size=8,
)


def st_join(cells: list[str]) -> str:
    return ",".join(cells)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=csv_text,
    sep=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "gb18030", "utf-16"]),
)
def test_fuzz_random_csv_text_only_raises_geo_errors(tmp_path, lines, sep, encoding):
    text = "\n".join(line.replace(",", sep) for line in lines)
    path = write_bytes(tmp_path / "f.csv", text.encode(encoding, errors="replace"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            gdf = gio.read_points(path)
        except GeoError:
            return
    # Whatever was accepted is a valid set of finite WGS84 points.
    assert gdf.crs == "EPSG:4326" and len(gdf) > 0
    assert np.isfinite(gdf.geometry.x).all() and (gdf.geometry.x.abs() <= 180).all()
    assert (gdf.geometry.y.abs() <= 90).all()
    assert all(isinstance(r, (int, np.integer)) and r >= 1 for r in gdf["source_row"])
    assert not math.isnan(float(gdf.attrs["duplicates_dropped"]))
    assert os.path.exists(path)
