"""Chinese end to end with --lang zh (issue 15): console lines and CSV headers and cells; English unchanged.

Every analysis runs on the embedded Helsinki sample (demo with three units and two zones,
plus gaps and stations) once in Chinese and once in English. The Chinese CSV headers must all
be translated (hold CJK, or be a code); the program's words in the cells must be Chinese,
the numbers the same as in English. The English header rows are compared with the header
rows main wrote before this change (``tests/data/csv_headers_en.json``, taken from the
English runs; the column names are the API) and with the GeoPackage's field names.
"""

from __future__ import annotations

import ast
import csv
import json
import re
import string
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from beichen_geo.present import columns, console, messages
from beichen_geo.present.messages import CONSOLE_WORDS, Labels, step_label
from beichen_geo.standards import load_standards

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
#: headers that may stay ASCII: codes, not English words
CODES = {"S-H-01", "2SFCA", "TOD", "ID"}
#: columns holding data (names from OSM or the planner's files, the English label, codes), by English name
DATA_COLUMNS = {"name", "station", "unit_name", "centre_names", "reachable_names", "label_en", "standard"}


def _is_data(column: str) -> bool:
    return column in DATA_COLUMNS or column.endswith("_stations_reaching")
#: ASCII that a Chinese text may hold: codes, units, file and option names
ALLOWED_ASCII = re.compile(r"S-[A-Z]+-\d+|TOD|OSM|OpenStreetMap|WGS84|CRS|EPSG:\d+|km²|m²|km|2SFCA|CBC|"
                           r"--[a-z-]+|[\w.-]+\.(?:csv|json|gpkg|html|xlsx|pdf|png|osm\.pbf|pbf)")


def _csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def _ascii_words(text: str, data: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    for name in sorted(data, key=len, reverse=True):
        text = text.replace(name, " ")
    text = ALLOWED_ASCII.sub(" ", text)
    return re.findall(r"[A-Za-z]{2,}", text)


@pytest.fixture(scope="module")
def runs(helsinki_study, tmp_path_factory):
    """demo (every variant, 3 units, 2 zones), gaps and stations, each with --lang zh and --lang en."""
    from conftest import refuse_network

    from beichen_geo.cli import run

    st = helsinki_study
    x0, y0, x1, y1 = st.area.bounds
    f = lambda v: float(np.floor(v / 50) * 50)  # noqa: E731
    X0_, Y0_, X1_, Y1_ = f(x0) - 100, f(y0) - 100, f(x1) + 150, f(y1) + 150
    xs = [X0_, f(X0_ + (X1_ - X0_) / 3), f(X0_ + 2 * (X1_ - X0_) / 3), X1_]
    d = tmp_path_factory.mktemp("zh")
    gpd.GeoDataFrame({"名称": ["West", "=1+1", "East"]},
                     geometry=[shapely.box(xs[i], Y0_, xs[i + 1], Y1_) for i in range(3)],
                     crs=st.crs).to_file(d / "units.gpkg")
    cx, cy = f((X0_ + X1_) / 2), f((Y0_ + Y1_) / 2)
    inner = shapely.box(cx - 400, cy - 400, cx + 400, cy + 400)
    gpd.GeoDataFrame({"zone": ["inside", "outside"]},
                     geometry=[inner, shapely.box(X0_, Y0_, X1_, Y1_).difference(inner)],
                     crs=st.crs).to_file(d / "zones.gpkg")
    commands = {
        "demo": ["demo", "--units", str(d / "units.gpkg"), "--zones", str(d / "zones.gpkg"), "--zones-name-col",
                 "zone"],
        "gaps": ["gaps", "--kind", "clinic"],
        "stations": ["stations"],
    }
    out: dict[str, dict[str, tuple[Path, dict]]] = {"zh": {}, "en": {}}
    with pytest.MonkeyPatch.context() as mp:
        refuse_network(mp)
        for lang in out:
            for name, argv in commands.items():
                folder = d / f"{name}_{lang}"
                summaries = run([*argv, "--lang", lang, "--out", str(folder), "--quiet", "--no-self-contained"])
                out[lang][name] = (folder, summaries)
    return out


def _csvs(runs, lang: str) -> dict[str, Path]:
    return {p.name: p for folder, _ in runs[lang].values() for p in sorted(folder.glob("*.csv"))}


# ------------------------------------------------------------------------------ CSV headers
def test_every_chinese_header_is_translated(runs):
    files = _csvs(runs, "zh")
    golden = json.loads((ROOT / "tests/data/csv_headers_en.json").read_text(encoding="utf-8"))
    assert set(files) == set(golden)  # every table of every analysis was written, and checked below
    for name, path in files.items():
        header = _csv(path)[0]
        assert len(header) == len(golden[name]), name
        untranslated = [h for h in header if not CJK.search(h) and h not in CODES]
        assert not untranslated, (name, untranslated)
        assert len(set(header)) == len(header), (name, [h for h in header if header.count(h) > 1])


def test_english_headers_are_the_column_names_as_before(runs):
    golden = json.loads((ROOT / "tests/data/csv_headers_en.json").read_text(encoding="utf-8"))
    files = _csvs(runs, "en")
    assert set(files) == set(golden)
    for name, path in files.items():
        assert _csv(path)[0] == golden[name], name
    # the units table's columns are the fields of the GeoPackage's units layer (the API), in both languages
    for lang in ("en", "zh"):
        folder = runs[lang]["demo"][0]
        layer = gpd.read_file(folder / "parks.gpkg", layer="units")
        assert [c for c in layer.columns if c != "geometry"] == golden["parks_units.csv"]
        summary = json.loads((folder / "parks.json").read_text(encoding="utf-8"))
        assert set(summary["units"][0]) <= set(golden["parks_units.csv"]) | {"target"}


def test_chinese_cells_hold_the_same_numbers_and_chinese_words(runs):
    zh, en = _csvs(runs, "zh"), _csvs(runs, "en")
    names = {"West", "'=1+1", "East", "inside", "outside"}
    for name in zh:
        rz, re_ = _csv(zh[name]), _csv(en[name])
        assert len(rz) == len(re_), name
        for j, (_hz, he) in enumerate(zip(rz[0], re_[0], strict=True)):
            cz = [r[j] for r in rz[1:]]
            ce = [r[j] for r in re_[1:]]
            numeric = pd.to_numeric(pd.Series(ce), errors="coerce")
            if numeric.notna().sum() == sum(1 for v in ce if v != ""):  # a number column: the very same text
                assert cz == ce, (name, he)
                continue
            if _is_data(he):
                assert cz == ce or he in ("name", "unit_name"), (name, he)  # data stays (names the program made up: zh)
                continue
            for v in cz:
                assert not _ascii_words(v, names), (name, he, v)
    tiers = _csv(zh["circles_tiers.csv"])
    assert tiers[1][0] == "5分钟邻里生活圈" and "幼儿园、便民店、公园绿地" in tiers[1]
    assert "数据中没有幼儿园" in tiers[1][-1] and tiers[1][-2] == "未达标"
    sites = _csv(zh["gaps_sites.csv"])
    assert sites[1][1].startswith("候选点 ") and sites[1][3] == "自动生成"
    units = _csv(zh["clinics_units.csv"])
    assert {r[units[0].index("结果")] for r in units[1:]} <= {"达标", "未达标（数量）", "未达标（可达）",
                                                            "未达标（数量与可达）", "无居住用地（可达未测）"}


def test_chinese_reasons_are_the_summary_reasons(runs):
    folder, summaries = runs["zh"]["demo"]
    labels = Labels.from_standards(load_standards(), "zh")
    rows = _csv(folder / "circles_units.csv")
    col = rows[0].index("未达标原因")
    for row, unit in zip(rows[1:], summaries["circles"]["units"], strict=True):
        want = "；".join(f"{t['minutes']:g}分钟：" + "；".join(messages.reason_text(r, lang="zh",
                                                                                 labels=dict(labels.kinds))
                                                               for r in t["reasons"])
                        for t in unit["tiers"] if t["reasons"])
        assert row[col] == want


# ------------------------------------------------------------------------------ the catalogue
def test_header_rules_for_generated_names():
    lab = Labels(kinds={"clinic": "诊所", "bus_stop": "公交站"}, tod_variants={"metro": "地铁站点TOD"})
    h = lambda c, **k: columns.header(c, labels=lab, **k)  # noqa: E731
    assert h("walk_min_to_clinic") == "步行至诊所时间（分钟）"
    assert h("residential_area_m2") == "居住用地面积（m²）"
    assert h("covered_share_residents") == "覆盖率（居民）"
    assert h("tier_15min_covered_share_residents") == "15分钟层级·覆盖率（居民）"
    assert h("tier_7_5min_bus_stop_covered_share_land") == "7.5分钟层级·公交站·覆盖率（用地）"
    assert h("tier_community_passes", tiers={"community": "15分钟社区生活圈"}) == "15分钟社区生活圈·是否达标"
    assert h("services_bus_stop") == "服务设施·公交站（处）"
    assert h("meets_community", tiers={"community": "15分钟社区生活圈"}) == "满足15分钟社区生活圈"
    assert h("metro_outer_15min_share_of_residents") == "地铁站点TOD·外圈15分钟·居民比例"
    assert h("x_outer_15min_share_of_residents") is None  # not a TOD variant
    assert h("x_outer_15min_share_of_residents", variants=["x"]) == "x·外圈15分钟·居民比例"
    assert h("inner_residents_in_any") == "内圈·任一站点范围内的居民（人）"
    assert h("min10_street_length_m") == "10分钟·道路长度（米）"
    assert h("15min_residents") == "15分钟·居民（人）"
    assert h("share_residents_within_15min") == "步行15分钟内可达的居民比例"
    assert h("status_after") == "状态（新增选址后）" and h("residents_before") == "居民（人）（现状）"
    assert h("clinic_covered_share_land") == "诊所·覆盖率（用地）"
    assert h("walk_min_to_unknown_kind") is None and h("no_such_column") is None
    assert h("services_no_such_kind") is None


def test_a_column_without_translation_is_said_and_kept(tmp_path):
    from beichen_geo.result import AnalysisResult, write_result

    res = AnalysisResult(name="x", summary={}, tables={"t": pd.DataFrame({"area_m2": [1.25], "frobnicate": ["a"]})})
    with pytest.warns(UserWarning, match=r"x_t.csv: no Chinese name for column\(s\) frobnicate"):
        write_result(res, tmp_path, lang="zh")
    assert _csv(tmp_path / "x_t.csv")[0] == ["面积（m²）", "frobnicate"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_result(res, tmp_path / "en", lang="en")
    assert _csv(tmp_path / "en" / "x_t.csv")[0] == ["area_m2", "frobnicate"]


def test_header_row_is_formula_safe_and_rounding_follows_the_column_names(tmp_path):
    from geo.io import write_csv

    df = pd.DataFrame({"lon_wgs84": [117.123456789], "covered_share_land": [0.123456]})
    rows = _csv(write_csv(df, tmp_path / "t.csv", header=["=1+1", "覆盖率（用地）"]))
    assert rows == [["'=1+1", "覆盖率（用地）"], ["117.123457", "0.1235"]]
    with pytest.raises(ValueError, match="1 names for 2 columns"):
        write_csv(df, tmp_path / "u.csv", header=["a"])
    # a standards label that reads as a formula stays text in a Chinese header
    lab = Labels(kinds={}, tod_variants={"v": "=HYPERLINK(1)"})
    name = columns.header("v_outer_15min_share_of_residents", labels=lab)
    assert name is not None and name.startswith("=")
    assert _csv(write_csv(df.iloc[:, :1], tmp_path / "v.csv", header=[name]))[0][0].startswith("'=")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def test_console_words_hold_the_same_keys_and_fields():
    assert set(CONSOLE_WORDS["en"]) == set(CONSOLE_WORDS["zh"])
    for key, en in CONSOLE_WORDS["en"].items():
        assert _fields(en) == _fields(CONSOLE_WORDS["zh"][key]), key
        # the fixed words of a Chinese text are Chinese (the program's and the data's names aside)
        zh = re.sub(r"\{[^}]*\}", " ", CONSOLE_WORDS["zh"][key])
        zh = re.sub(r"beichen-geo(?: demo| assess)?|pyrosm|ODbL|Chromium|Ctrl-C|Authorization: Bearer <token>", " ", zh)
        assert not _ascii_words(zh), key


def test_labels_are_the_standards_labels():
    st = load_standards()
    zh, en = Labels.from_standards(st, "zh"), Labels.from_standards(st, "en")
    assert zh.kind("bus_stop") == st.kinds["bus_stop"].label_zh == "公交站"
    assert en.kind("bus_stop") == st.kinds["bus_stop"].label_en
    assert zh.tod_variant("glossary") == st.tod.variants["glossary"].label_zh
    assert zh.kind("no_such_kind") == "no_such_kind"


# ------------------------------------------------------------------------------ console
def test_console_lines_in_chinese_have_no_english_words(runs, capsys):
    _, summaries = runs["zh"]["demo"]
    data = {"West", "=1+1", "East", "inside", "outside", "/tmp/out/"}
    for lang in ("zh",):
        for name in ("gaps", "stations"):
            s = runs[lang][name][1]
            data |= {str(t.get("station")) for t in s[name].get("top_stations", [])}
    every = {**summaries, **runs["zh"]["gaps"][1], **runs["zh"]["stations"][1]}
    lines = [line for n, s in every.items() for line in console.lines(n, s, lang="zh")]
    lines += console.footer(summaries, lang="zh")
    lines.append(console.results_in("/tmp/out", 2.345, lang="zh"))
    assert len(lines) > 20
    for line in lines:
        assert CJK.search(line), line
        assert not _ascii_words(line, data), line
    # the same figures as the English lines
    en = console.lines("circles", summaries["circles"])
    zh = console.lines("circles", summaries["circles"], lang="zh")
    assert len(en) == len(zh)
    assert re.findall(r"\d+\.\d%", en[0]) == re.findall(r"\d+\.\d%", zh[0])
    assert console.results_in("out", 2.345, lang="zh") == "结果位于 out/（用时 2.3 秒）"


def test_chinese_run_prints_chinese_result_lines(runs, tmp_path, capsys):
    from beichen_geo.cli import main

    capsys.readouterr()
    assert main(["parks", "--lang", "zh", "--out", str(tmp_path / "p"), "--quiet"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[0].startswith("结果位于 ") and out[1].startswith("  公园绿地：公园500米范围内的居住用地 — 直线 ")
    assert all(CJK.search(line) for line in out)
    assert main(["parks", "--lang", "en", "--out", str(tmp_path / "q"), "--quiet"]) == 0
    en = capsys.readouterr().out.strip().splitlines()
    assert en[0].startswith("Results in ") and en[1].startswith("  parks: residential land within 500 m of a park")


def test_not_measured_and_errors_in_chinese_say_the_english_is_the_programs():
    line = console.lines("tod", {"status": "not measured", "reason": "no station in the data"}, lang="zh")
    assert line == ["  TOD站点地区：未测量 — 原因（程序的英文原文）：no station in the data"]
    from beichen_geo.cli.main import error_line
    from geo.errors import InputError

    assert error_line(InputError("bad", option="crs"), lang="zh") == \
        "beichen-geo：错误（程序的英文原文）：bad（命令行选项：--crs EPSG）"
    assert error_line(InputError("bad", option="crs")) == "beichen-geo: error: bad (command line: --crs EPSG)"


# ------------------------------------------------------------------------------ progress
def _step_names() -> list[str]:
    """Every step name in the source: literal names as they are, f-strings with ``x`` for their fields."""
    names = []
    for path in (ROOT / "beichen_geo").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.With)):
                continue
            for item in node.items:
                call = item.context_expr
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in ("step", "steps")
                        and call.args):
                    arg = call.args[0]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        names.append(arg.value)
                    elif isinstance(arg, ast.JoinedStr):
                        names.append("".join(v.value if isinstance(v, ast.Constant) else "x" for v in arg.values))
    return names


def test_every_progress_step_has_a_chinese_name():
    names = _step_names()
    assert len(names) >= 15
    for name in names:
        zh = step_label(name, "zh")
        assert CJK.search(zh), name
        assert step_label(name, "en") == name
    assert step_label("Analysis: circles (5-10-15)", "zh") == "分析：生活圈（5-10-15）"


def test_progress_display_in_chinese():
    import io

    from beichen_geo.progress import Steps

    buf = io.StringIO()
    steps = Steps(stream=buf, lang="zh")
    with steps("Residents per demand cell"):
        pass
    assert buf.getvalue().startswith("[1] 各需求单元格的居民 ...") and buf.getvalue().rstrip().endswith("秒")
    assert list(steps.timings) == ["Residents per demand cell"]  # the English name stays the key


# ------------------------------------------------------------------------------ the program's warnings
def test_warnings_of_the_program_are_worded_in_chinese():
    check = {"source": "u.gpkg", "overlaps_count": 2, "overlap_area_m2": 1234.0,
             "overlaps": [{"a": "A", "b": "B", "area_m2": 1000.0}, {"a": "C", "b": "D", "area_m2": 234.0}],
             "cells_outside_units": 33, "residential_area_m2_outside_units": 330000.0,
             "residents_outside_units": 1200.0,
             "units_without_residential_land": ["Empty"], "duplicate_names": ["A"]}
    english = [
        messages.off_network_warning(0.067, 422, max_snap_m=150),
        messages.excluded_features("clinic", [{"name": "Dextra", "osmid": 1, "why": "healthcare:speciality=x"}]),
        messages.facilities_outside_area(2, ["f.csv"], [2, 3], reach_m=2000),
        messages.land_without_residents(0.35, 4.71e6, "estimate: ...", messages.CAUSE_NO_BUILDINGS),
        messages.land_without_residents(0.2, 1e6, "given: p.csv", messages.CAUSE_NO_UNIT),
        messages.land_without_buildings(0.35, 1.66e6, 4.71e6, 0.0055),
        messages.RESCALE_ESTIMATE_ONLY,
        messages.units_outside_area(2, ["X", "Y"]),
        messages.units_outside_area(1, []),
        messages.units_without_land(1234.0, 2, ["X", "Y"]),
        messages.facilities_off_network("bus_stop", 3, max_snap_m=150),
        *messages.grouping_warnings("units", check),
        *messages.grouping_warnings("zones", {**check, "source": None, "residents_outside_units": None}),
    ]
    assert len(english) == 19  # 11 sentences, 4 + 4 findings of the two checks
    labels = dict(Labels.from_standards(load_standards(), "zh").kinds)
    data = {"Dextra", "healthcare:speciality=x", "f.csv", "'A'", "'B'", "'C'", "'D'", "'Empty'", "X", "Y",
            "u.gpkg"}
    for text in english:
        zh, worded = messages.warning_text(text, lang="zh", labels=labels)
        assert worded, text
        assert CJK.search(zh) and not _ascii_words(zh, data), (text, zh)
        assert messages.warning_text(text) == (text, True)
    # the figures are kept
    zh = messages.warning_text(english[0], lang="zh")[0]
    assert zh.startswith("6.7%的居住用地（422个需求单元格）距步行路网的任何道路超过150米")
    assert messages.warning_text(english[1], lang="zh", labels=labels)[0].startswith(
        f"{labels['clinic']}：1个OSM要素符合该类型的标签")
    # an engine warning is not worded: the caller shows it under a heading
    other = "clinic facilities file 'f.csv': 2 of 2 points were left unchanged by the GCJ-02 -> WGS84 conversion"
    assert messages.warning_text(other, lang="zh") == (other, False)


def test_chinese_warning_lines_on_the_console(capsys):
    import importlib

    cli_main = importlib.import_module("beichen_geo.cli.main")
    cli_main._RUNNING["steps"] = type("S", (), {"lang": "zh"})()
    try:
        cli_main._show_warning(UserWarning(messages.facilities_off_network("bus_stop", 3, max_snap_m=150)),
                               UserWarning, "f", 1)
        cli_main._show_warning(UserWarning("something else"), UserWarning, "f", 1)
    finally:
        cli_main._RUNNING.clear()
    cli_main._show_warning(UserWarning("something else"), UserWarning, "f", 1)
    err = capsys.readouterr().err.splitlines()
    assert err == ["beichen-geo：警告：公交站：3处距路网超过150米（在此不服务任何人）",
                   "beichen-geo：警告（程序的英文原文）：something else",
                   "beichen-geo: warning: something else"]


# ------------------------------------------------------------------------------ the standards' notes
def test_chinese_notes_of_the_standards_and_their_overrides(tmp_path):
    from beichen_geo.assess.document import parameters

    st = load_standards()
    noted = [p for p in parameters(st) if p["note"]]
    assert len(noted) >= 10 and all(p["note_zh"] and CJK.search(p["note_zh"]) for p in noted)
    # an override: a bare number drops both notes; a new value with its source keeps them; a new note
    # without its Chinese drops the old Chinese note
    f = tmp_path / "o.toml"
    f.write_text("[travel]\nwalk_speed_kmh = 4.5\n[travel.max_snap_m]\nvalue = 100\nsource = \"survey\"\n"
                 "[travel.isochrone_buffer_m]\nvalue = 20\nsource = \"x\"\nnote = \"new note\"\n", encoding="utf-8")
    o = load_standards(f).travel
    assert o.walk_speed_kmh.note is None and o.walk_speed_kmh.note_zh is None
    assert o.max_snap_m.note == st.travel.max_snap_m.note and o.max_snap_m.note_zh == st.travel.max_snap_m.note_zh
    assert o.isochrone_buffer_m.note == "new note" and o.isochrone_buffer_m.note_zh is None
    from beichen_geo.assess import tables

    doc = {"assumptions": {"parameters": parameters(load_standards(f))}}
    notes = {r[1]: r[-1] for r in tables.parameter_table(doc, "zh").rows}
    assert notes["等时圈道路缓冲"] == "(程序的英文原文) new note"
    assert notes["最大接入距离(超出视为不在路网上)"] == st.travel.max_snap_m.note_zh
    assert tables.note_text("no stations in the data", "zh") == "(程序的英文原文) no stations in the data"
    assert tables.note_text("no stations in the data", "en") == "no stations in the data"
