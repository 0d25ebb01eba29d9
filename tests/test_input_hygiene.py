"""Input hygiene (issue 11, part 4): formula-safe CSVs, sane standards limits, one encoding per CSV."""

from __future__ import annotations

import csv
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import geo.io as gio
from beichen_geo.standards import LIMITS, load_standards
from beichen_geo.standards.limits import limit_for
from geo.errors import InputError

ROOT = Path(__file__).resolve().parents[1]


def read_back(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


# ============================================================================ (a) formula-safe CSV


def test_write_csv_neutralises_formula_text_cells_and_headers(tmp_path):
    names = ['=HYPERLINK("http://evil.example","点我")', "+SUM(A1:A9)", "-2+3", "@cmd", "\tTAB", "\rCR",
             "北辰诊所", "a=b", "'=already quoted"]
    df = pd.DataFrame({"名称": names, "=cmd|' /C calc'!A0": ["x"] * len(names), "v": [-1.5] + [2.25] * 8})
    original = df.copy()
    gio.write_csv(df, tmp_path / "t.csv")
    rows = read_back(tmp_path / "t.csv")
    assert rows[0] == ["名称", "'=cmd|' /C calc'!A0", "v"]
    assert [r[0] for r in rows[1:]] == [
        "'=HYPERLINK(\"http://evil.example\",\"点我\")", "'+SUM(A1:A9)", "'-2+3", "'@cmd", "'\tTAB", "'\rCR",
        "北辰诊所", "a=b", "'=already quoted",
    ]
    assert rows[1][2] == "-1.5"  # a negative number in a numeric column stays a number
    pd.testing.assert_frame_equal(df, original)  # the caller's frame is not changed


def test_write_csv_leaves_numbers_and_number_text_alone(tmp_path):
    df = pd.DataFrame({
        "f": [-1.5, 0.0, float("nan")],
        "i": [-3, 4, 5],
        "mixed": [-1.5, "-1.5", None],  # object column: a float, number text, missing
        "code": ["+86", "-7e3", "-"],
        "cat": pd.Categorical(["=1+1", "ok", "=1+1"]),
    })
    gio.write_csv(df, tmp_path / "n.csv")
    rows = read_back(tmp_path / "n.csv")
    assert [r[0] for r in rows[1:]] == ["-1.5", "0.0", ""]
    assert [r[1] for r in rows[1:]] == ["-3", "4", "5"]
    assert [r[2] for r in rows[1:]] == ["-1.5", "-1.5", ""]
    assert [r[3] for r in rows[1:]] == ["+86", "-7e3", "'-"]
    assert [r[4] for r in rows[1:]] == ["'=1+1", "ok", "'=1+1"]
    back = pd.read_csv(tmp_path / "n.csv", encoding="utf-8-sig")
    assert back["f"].iloc[0] == -1.5 and back["i"].tolist() == [-3, 4, 5]


def test_write_csv_neutralises_the_index_when_written(tmp_path):
    df = pd.DataFrame({"v": [-1.0, 2.0]}, index=pd.Index(["=evil()", "ok"], name="@where"))
    gio.write_csv(df, tmp_path / "i.csv", index=True)
    assert read_back(tmp_path / "i.csv") == [["'@where", "v"], ["'=evil()", "-1.0"], ["ok", "2.0"]]


def test_no_workbook_is_written_with_openpyxl():
    # openpyxl is only used to READ workbooks; if a writer appears it must store "=..." as text
    for pkg in ("geo", "beichen_geo"):
        for f in (ROOT / pkg).glob("*.py"):
            text = f.read_text(encoding="utf-8")
            assert "Workbook(" not in text and "to_excel(" not in text and "xlsxwriter" not in text, f


# ============================================================================ (b) standards limits


def write_toml(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "bad.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "text, path, what",
    [
        ("[travel]\nwalk_speed_kmh = 1e308\n", "travel.walk_speed_kmh = 1e+308", "outside 0.5-30 km/h"),
        ("[travel]\nwalk_speed_kmh = 0.49\n", "travel.walk_speed_kmh = 0.49", "outside 0.5-30 km/h"),
        ("[travel]\nwalk_speed_kmh = 30.01\n", "travel.walk_speed_kmh = 30.01", "outside 0.5-30 km/h"),
        ("[travel]\nbike_speed_kmh = 1e6\n", "travel.bike_speed_kmh", "outside 2-60 km/h"),
        ("[travel]\nisochrone_buffer_m = 1e9\n", "travel.isochrone_buffer_m = 1,000,000,000", "outside 0-500 m"),
        ("[travel]\nisochrone_buffer_m = 0\n", "travel.isochrone_buffer_m = 0", "greater than 0"),
        ("[travel]\nmax_snap_m = 5000\n", "travel.max_snap_m", "outside 0-500 m"),
        ("[population]\nmax_levels = 1e200\n", "population.max_levels = 1e+200", "outside 1-200 levels"),
        ("[population]\nmax_levels = 60.5\n", "population.max_levels = 60.5", "whole number"),
        ("[population]\nfloor_area_per_person_m2 = 1e-300\n", "population.floor_area_per_person_m2",
         "outside 5-200 m2/person"),
        ("[population]\nstorey_height_m = 0.3\n", "population.storey_height_m", "outside 2-10 m"),
        ("[population]\nmin_footprint_m2 = -1\n", "population.min_footprint_m2", "outside 0-10,000 m2"),
        ("[population]\ndistrict_residents = 1e20\n", "population.district_residents", "outside 1-1,000,000,000"),
        ("[population]\ndistrict_residents = 123456789012345678901234567890\n", "population.district_residents",
         "outside"),
        ("[population.default_levels]\nhouse = 1e200\n", "population.default_levels.house", "outside 1-200 levels"),
        ("[circles.5-15-30.tiers.town]\nminutes = 1e300\n", "circles.5-15-30.tiers.town.minutes = 1e+300",
         "outside 0-180 min"),
        ("[circles.5-15-30.tiers.town]\nminutes = 0\n", "circles.5-15-30.tiers.town.minutes = 0", "greater than 0"),
        ("[circles.5-15-30.tiers.town]\ntarget_share = 100\n", "circles.5-15-30.tiers.town.target_share",
         "between 0 and 1"),
        ("[tod.glossary]\nouter_minutes = 1e300\n", "tod.glossary.outer_minutes", "outside 0-180 min"),
        ("[parks.radius_m]\nvalue = 1e9\n", "parks.radius_m", "outside 0-5,000 m"),
        ("[parks.size_tiers.small]\nradius_m = 1e9\n", "parks.size_tiers.small.radius_m", "outside 0-5,000 m"),
        ("[parks]\nmin_area_m2 = 1e12\n", "parks.min_area_m2", "outside 0-1,000,000 m2"),
        ("[clinics]\nresidents_per_centre_max = 0\n", "clinics.residents_per_centre_max", "outside 1-10,000,000"),
        ("[clinics]\ntowns = 17.5\n", "clinics.towns = 17.5", "whole number"),
        ("[clinics]\nmin_per_town = 1e300\n", "clinics.min_per_town", "outside 0-100"),
        ("[clinics]\nwalk_minutes = -15\n", "clinics.walk_minutes", "greater than 0"),
        ("[clinics]\nexisting_centres = -1\n", "clinics.existing_centres", "outside 0-10,000"),
        ("[travel]\nwalk_speed_kmh = nan\n", "travel.walk_speed_kmh.value", "finite number"),
        ("[travel]\nwalk_speed_kmh = inf\n", "travel.walk_speed_kmh.value", "finite number"),
        ("[parks.radius_m]\nvalue = -inf\n", "parks.radius_m.value", "finite number"),
    ],
)
def test_absurd_standards_values_are_refused_with_the_key_path(tmp_path, text, path, what):
    p = write_toml(tmp_path, text)
    with pytest.raises(InputError) as ei:
        load_standards(p)
    msg = str(ei.value)
    assert msg.startswith(f"{p}: {path}"), msg
    assert what in msg and "\n" not in msg


@pytest.mark.parametrize(
    "text, key, value",
    [
        ("[travel]\nwalk_speed_kmh = 0.5\n", ("travel", "walk_speed_kmh"), 0.5),
        ("[travel]\nwalk_speed_kmh = 30\n", ("travel", "walk_speed_kmh"), 30),
        ("[parks.radius_m]\nvalue = 1500\n", ("parks", "radius_m"), 1500),
        ("[parks]\nmin_area_m2 = 0\n", ("parks", "min_area_m2"), 0),
        ("[circles.5-15-30.tiers.town]\nminutes = 180\n", ("circles",), 180),
        ("[population]\nmax_levels = 200.0\n", ("population", "max_levels"), 200.0),
        ("[population.default_levels]\ndetached = 2.5\n", ("population", "default_levels"), 2.5),
    ],
)
def test_values_at_the_limits_are_accepted(tmp_path, text, key, value):
    s = load_standards(write_toml(tmp_path, text))
    got = {
        ("travel", "walk_speed_kmh"): lambda: s.travel.walk_speed_kmh.value,
        ("parks", "radius_m"): lambda: s.parks.radius_m.value,
        ("parks", "min_area_m2"): lambda: s.parks.min_area_m2.value,
        ("circles",): lambda: s.circle_variant("5-15-30").tier("town").minutes.value,
        ("population", "max_levels"): lambda: s.population.max_levels.value,
        ("population", "default_levels"): lambda: s.population.default_levels["detached"].value,
    }[key]()
    assert got == value


def _quantity_paths(d: dict, path: tuple = ()) -> list[tuple]:
    out = []
    for k, v in d.items():
        if isinstance(v, dict):
            out += [(*path, k)] if "value" in v and "unit" in v else _quantity_paths(v, (*path, k))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append((*path, k))
    return out


def test_every_numeric_key_of_the_packaged_file_has_exactly_one_limit():
    data = tomllib.loads(resources.files("beichen_geo").joinpath("standards.toml").read_text(encoding="utf-8"))
    paths = _quantity_paths(data)
    assert len(paths) >= 30  # every travel, circles, parks, tod, clinics and population number
    for path in paths:
        hits = [pat for pat in LIMITS
                if len(pat.split(".")) == len(path)
                and all(a in ("*", b) for a, b in zip(pat.split("."), path, strict=True))]
        assert len(hits) == 1, (path, hits)
        lim = LIMITS[hits[0]]
        assert lim.lo <= lim.hi
        assert limit_for(path) is lim


@pytest.mark.parametrize(
    "text, key",
    [
        ("[travel]\nwalk_speed_kmh = 1e308\n", "travel.walk_speed_kmh"),
        ("[travel]\nisochrone_buffer_m = 1e9\n", "travel.isochrone_buffer_m"),
        ("[population]\nmax_levels = 1e200\n", "population.max_levels"),
        ("[circles.5-15-30.tiers.town]\nminutes = 1e300\n", "circles.5-15-30.tiers.town.minutes"),
    ],
)
def test_cli_refuses_absurd_standards_in_one_line_and_writes_nothing(tmp_path, text, key):
    p = write_toml(tmp_path, text)
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "beichen_geo.cli", "parks", "--standards", str(p), "--out", str(out)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("beichen-geo: error: "), r.stderr
    assert key in lines[0] and str(p) in lines[0] and "outside" in lines[0]
    assert "Traceback" not in r.stderr
    assert not out.exists() or not any(out.iterdir())


# ============================================================================ (c) one encoding per CSV

HEADER = "名称,经度,纬度\n"
ROW_1 = "北辰诊所,117.13,39.22\n"
ROW_2 = "天穆镇卫生院,117.14,39.23\n"


def put(tmp_path: Path, data: bytes, name: str = "names.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_utf8_file_with_a_gbk_row_names_the_line(tmp_path):
    data = (HEADER + ROW_1 + "plain ascii,117.15,39.24\n").encode() + ROW_2.encode("gbk")
    p = put(tmp_path, data)
    with pytest.raises(InputError) as ei:
        gio.read_points(p)
    msg = str(ei.value)
    assert "names.csv" in msg and "line 4 is not UTF-8" in msg and "mixed encodings" in msg


def test_mixed_line_is_counted_as_an_editor_counts_it(tmp_path):
    # Excel's sep= line and CRLF endings: the GBK row is the editor's line 4
    data = ("sep=,\r\n" + (HEADER + ROW_1).replace("\n", "\r\n")).encode() + ROW_2.encode("gbk")
    with pytest.raises(InputError, match="line 4 is not UTF-8"):
        gio.read_points(put(tmp_path, data))


def test_utf8_bom_file_with_a_gbk_row_is_mixed(tmp_path):
    data = b"\xef\xbb\xbf" + b"name,lon,lat\n" + ROW_2.encode("gbk")
    with pytest.raises(InputError, match="line 2 is not UTF-8 while the file starts with a UTF-8 byte-order mark"):
        gio.read_points(put(tmp_path, data))


def test_gbk_file_with_a_utf8_row_is_mixed(tmp_path):
    data = (HEADER + ROW_1).encode("gbk") + ROW_2.encode()
    with pytest.raises(InputError, match="line 3 is UTF-8 Chinese text while earlier lines are GBK"):
        gio.read_points(put(tmp_path, data))


def test_mixed_table_is_refused_by_read_table_too(tmp_path):
    data = "乡镇,人口\n北辰镇,1000\n".encode() + "天穆镇,2000\n".encode("gbk")
    with pytest.raises(InputError, match="line 3 is not UTF-8"):
        gio.read_table(put(tmp_path, data, "pop.csv"))


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
def test_one_encoding_throughout_still_reads(tmp_path, encoding):
    gdf = gio.read_points(put(tmp_path, (HEADER + ROW_1 + ROW_2).encode(encoding)))
    assert gdf["名称"].tolist() == ["北辰诊所", "天穆镇卫生院"]


def test_gb18030_four_byte_characters_read(tmp_path):
    text = HEADER + "𠀀诊所,117.13,39.22\n"  # U+20000 is a 4-byte GB18030 sequence
    gdf = gio.read_points(put(tmp_path, text.encode("gb18030")))
    assert gdf["名称"].tolist() == ["𠀀诊所"]


def test_bytes_that_are_neither_encoding_name_the_line(tmp_path):
    data = b"name,lon,lat\n" + b"ok,117.1,39.2\n" + b"\xff\xfe\xff,117.1,39.2\n"
    with pytest.raises(InputError, match="line 3 is neither UTF-8 nor GBK/GB18030"):
        gio.read_points(put(tmp_path, data))


GB2312_HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5).filter(
    lambda c: len(c.encode("gb2312", errors="ignore")) == 2
)


@settings(max_examples=150, deadline=None)
@given(names=st.lists(st.text(GB2312_HAN, min_size=1, max_size=8), min_size=1, max_size=12))
def test_any_gbk_file_reads_back_exactly(tmp_path_factory, names):
    # GBK text is often valid UTF-8 by chance; it must never be taken for a mixed file
    rows = "".join(f"{n},{117 + i / 100:.2f},39.2\n" for i, n in enumerate(names))
    p = put(tmp_path_factory.mktemp("gbk"), ("名称,经度,纬度\n" + rows).encode("gbk"))
    assert gio.read_table(p)["名称"].tolist() == names


def test_cli_mixed_facilities_file_is_one_line_exit_2(tmp_path):
    f = put(tmp_path, ("名称,经度,纬度\n诊所甲,24.9420,60.1690\n").encode() + "诊所乙,24.9460,60.1700\n".encode("gbk"),
            "clinics.csv")
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, "-m", "beichen_geo.cli", "circles", "--facilities", str(f), "--kind", "clinic",
                        "--out", str(out), "--quiet"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("beichen-geo: error: "), r.stderr
    assert "clinics.csv" in lines[0] and "line 3 is not UTF-8" in lines[0]
    assert "Traceback" not in r.stderr
    assert not out.exists() or not any(out.iterdir())
