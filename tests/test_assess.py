"""``beichen-geo assess``: standard rows, assess.json, the workbook (openpyxl, LibreOffice), the report, --pdf.

The extractors are checked on hand-made summaries (every figure and verdict known), the whole
command on the embedded Helsinki sample cut into three strip units (names that look like a
formula, HTML and a template), whose assess.json and workbook must repeat the analyses' own
JSON figure for figure.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pytest
import shapely
from conftest import refuse_network

from beichen_geo.assess import charts, tables
from beichen_geo.assess.document import build_document
from beichen_geo.assess.pdf import print_pdf
from beichen_geo.assess.report import png_uri, render, write_report
from beichen_geo.assess.rows import circle_rows, clinic_rows, park_rows, tod_rows
from beichen_geo.assess.words import plan_ref
from beichen_geo.assess.workbook import sheet_title, write_workbook
from beichen_geo.standards import load_standards
from geo.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
UNIT_NAMES = ["=1+1", "<script>alert(1)</script>{{7*7}}北辰", "东部街道"]
STD = load_standards()


def png(colour: str = "tab:blue") -> bytes:
    """A small PNG drawn with matplotlib (a stand-in for a print map)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(2, 1.5), dpi=50)
    fig.add_subplot().fill([0, 1, 1, 0], [0, 0, 1, 1], color=colour)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


# ------------------------------------------------------------------------ hand-made summaries
def circles_summary() -> dict[str, Any]:
    tiers = []
    for t, share, passes in zip(STD.circle_variant("5-15-30").tiers, (1.0, 0.5, 0.25), (True, False, False),
                                strict=True):
        tiers.append({
            "tier": t.name, "minutes": float(t.minutes.value), "target": 1.0, "covered_share_land": share,
            "covered_share_residents": share / 2, "passes": passes,
            "reasons": [] if passes else [{"code": "no_facilities", "kind": t.kinds[0]}],
            "kinds_coverage": {k: {"facilities": 1, "covered_share_land": 0.9, "covered_share_residents": 0.8}
                               for k in t.kinds},
        })
    return {"analysis": "living circles", "variant": "5-15-30", "tiers": tiers, "residents": 100.0,
            "residential_area_m2": 1000.0}


def parks_summary() -> dict[str, Any]:
    return {"analysis": "park coverage", "radius_m": 500.0, "size_rule": "none", "target": 1.0,
            "primary_method": "euclidean", "covered_share_euclidean": 1.0, "covered_share_network": 0.8,
            "passes": True, "passes_euclidean": True, "passes_network": False, "reasons": [], "parks_used": 3,
            "covered_share_residents_euclidean": 1.0, "covered_share_residents_network": 0.7,
            "uncovered_area_m2_euclidean": 0.0, "uncovered_area_m2_network": 200.0,
            "study": {"log": {"demand_off_network_share_land": 0.0}}}


def tod_summary(residents: bool = True) -> dict[str, Any]:
    def band(minutes: float, share: float) -> dict[str, Any]:
        return {"minutes": minutes, "share_of_residents": share if residents else None,
                "share_of_residential_land": share / 2, "residents_in_any": 10.0 if residents else None,
                "residential_land_in_any_m2": 50.0}

    return {"analysis": "TOD station areas", "variants": {
        "beichen_station_metro": {"bands": {"inner": band(8.0, 0.3), "outer": band(15.0, 0.6)}},
        "glossary": {"bands": {"inner": band(5.0, 0.1), "outer": band(10.0, 0.2)}}}}


def clinics_summary() -> dict[str, Any]:
    keys = {"residents": "residents_within_15min", "share_residents": "share_residents_within_15min",
            "share_land": "share_land_within_15min", "over_cap": "over_100k"}
    units = [
        {"unit_name": "A", "residents": 150_000.0, "centres_inside": 1, "required_centres": 2, "passes_count": False,
         "share_residents_within_15min": 1.0, "passes_reach": True, "passes": False, "centres_reachable": 2},
        {"unit_name": "B", "residents": 20_000.0, "centres_inside": 2, "required_centres": 1, "passes_count": True,
         "share_residents_within_15min": 0.5, "passes_reach": False, "passes": False, "centres_reachable": 2},
        {"unit_name": "C", "residents": 30_000.0, "centres_inside": 1, "required_centres": 1, "passes_count": True,
         "share_residents_within_15min": 1.0, "passes_reach": True, "passes": True, "centres_reachable": 1},
    ]
    return {"analysis": "clinics", "keys": keys, "walk_minutes": 15.0, "reach_target_share": 1.0,
            "residents_per_centre_max": 100_000.0, "min_per_town": 1, "units_source": "units argument",
            "units": 3, "unit_table": units, "centres_in_area": 4, "share_residents_within_15min": 0.9,
            "share_land_within_15min": 0.85, "passes_count": False, "passes_reach": False, "passes": False}


def test_circle_rows_one_per_tier_with_the_summary_figures():
    s = circles_summary()
    rows = circle_rows(s, name="circles", whole=s, standards=STD)
    assert [r.standard_id for r in rows] == ["circles:5-15-30:5min", "circles:5-15-30:15min", "circles:5-15-30:30min"]
    assert [r.value for r in rows] == [1.0, 0.5, 0.25]
    assert [r.passes for r in rows] == [True, False, False]
    assert rows[1].reasons == ({"code": "no_facilities", "kind": "clinic"},)
    assert rows[0].source == "P4 L1947; P1 L259" and rows[0].code == "S-LC-01/S-LC-02"
    det = {d.key: d.value for d in rows[1].details}
    assert det["covered_share_residents"] == 0.25 and det["kinds_coverage.clinic.covered_share_land"] == 0.9
    # one unit's entry: same keys, its own shares; a verdict it lacks comes from the whole area's target
    unit = copy.deepcopy(s)
    for t, share in zip(unit["tiers"], (0.999, 1.0, 0.0), strict=True):
        t["covered_share_land"] = share
        del t["passes"]
    urows = circle_rows(unit, name="circles", whole=s, standards=STD)
    assert [r.value for r in urows] == [0.999, 1.0, 0.0]
    assert [r.passes for r in urows] == [False, True, False]


def test_park_rows_plan_reading_decides_and_network_for_comparison():
    s = parks_summary()
    euc, net = park_rows(s, name="parks", whole=s, standards=STD)
    assert (euc.standard_id, euc.value, euc.passes, euc.primary) == ("parks:500m:euclidean", 1.0, True, True)
    assert (net.standard_id, net.value, net.passes, net.primary) == ("parks:500m:network", 0.8, False, False)
    assert euc.reasons == ()  # the analysis's own (empty) reasons
    assert net.reasons == ({"code": "beyond_distance", "kind": "park", "distance_m": 500.0, "method": "network",
                            "covered_share_land": 0.8},)
    assert euc.source == "P1 L351" and euc.code == "S-PG-01"


def test_tod_rows_have_no_target_and_fall_back_to_land_without_residents():
    s = tod_summary()
    rows = tod_rows(s, name="tod", whole=s, standards=STD)
    assert [r.standard_id for r in rows] == ["tod:beichen_station_metro:8min", "tod:beichen_station_metro:15min",
                                             "tod:glossary:5min", "tod:glossary:10min"]
    assert [r.value for r in rows] == [0.3, 0.6, 0.1, 0.2]
    assert all(r.target is None and r.passes is None for r in rows)
    assert [r.source for r in rows] == ["P1 L253", "P1 L253", "P1 L426", "P1 L426"]
    land = tod_summary(residents=False)
    rows = tod_rows(land, name="tod", whole=land, standards=STD)
    assert [r.value for r in rows] == [0.15, 0.3, 0.05, 0.1]
    assert rows[0].value_key.endswith("share_of_residential_land")


def test_clinic_rows_count_and_reach_for_the_area_and_each_unit():
    s = clinics_summary()
    count, reach = clinic_rows(s, name="clinics", whole=s, standards=STD)
    assert (count.value, count.target, count.passes) == (4, 4.0, False)  # required: 2 + 1 + 1
    assert count.reasons == ({"code": "units_failing", "units": ["A"]},)  # 4 >= 4 in total, A lacks one
    assert (reach.value, reach.target, reach.passes) == (0.9, 1.0, False)
    assert reach.reasons[0] == {"code": "residents_beyond_minutes", "kind": "clinic", "minutes": 15.0,
                                "covered_share_residents": 0.9}
    assert reach.reasons[1] == {"code": "units_failing", "units": ["B"]}
    a, b, _ = s["unit_table"]
    ca, ra = clinic_rows(a, name="clinics", whole=s, standards=STD)
    assert (ca.value, ca.target, ca.passes, ra.passes) == (1, 2.0, False, True)
    assert ca.reasons == ({"code": "too_few_centres", "kind": "clinic", "centres_inside": 1, "required_centres": 2},)
    cb, rb = clinic_rows(b, name="clinics", whole=s, standards=STD)
    assert (cb.passes, rb.value, rb.passes) == (True, 0.5, False)


def test_clinic_rows_split_the_analysis_own_reasons_by_test():
    s = clinics_summary()
    unit = dict(s["unit_table"][0], reasons=[
        {"code": "too_few_centres", "kind": "clinic", "centres_inside": 1, "required_centres": 2},
        {"code": "off_network_land", "share_land": 0.1, "max_snap_m": 150.0}])
    count, reach = clinic_rows(unit, name="clinics", whole=s, standards=STD)
    assert [r["code"] for r in count.reasons] == ["too_few_centres"]
    assert [r["code"] for r in reach.reasons] == ["off_network_land"]


@pytest.mark.parametrize("source, zh, en", [
    ("P4 Ch.3 §2(5) 积极开展公服设施建设, L1947; tiers also in P1 Ch.2 §3(2), L259", "P4 L1947; P1 L259",
     "P4 L1947; P1 L259"),
    ("P4 L1947 / P1 L259 15分钟社区生活圈", "P4 L1947; P1 L259", "P4 L1947; P1 L259"),
    ("external: GB 50180-2018 居住区 15-min living circle 800-1,000 m", "外部取值 (GB 50180-2018)",
     "external (GB 50180-2018)"),
    ("external: project default", "外部取值", "external: project default"),
    ("override in my.toml", "用户覆盖 (my.toml)", "override in my.toml"),
])
def test_plan_ref_short_form(source, zh, en):
    assert plan_ref(source, "zh") == zh
    assert plan_ref(source, "en") == en


def summaries_with_units() -> dict[str, dict[str, Any]]:
    """Circles with per-unit entries (two units named alike), clinics with its unit table, TOD without units."""
    c = circles_summary()
    u1, u2 = copy.deepcopy(c), copy.deepcopy(c)
    u1["name"], u2["name"] = "A", "A"
    u1["tiers"][0]["covered_share_land"], u2["tiers"][0]["covered_share_land"] = 0.1, 0.2
    c["units"] = [u1, u2]
    cl = clinics_summary()
    cl["unit_table"] = [dict(cl["unit_table"][0]), dict(cl["unit_table"][1], unit_name="A")]
    return {"circles": c, "tod": tod_summary(), "clinics": cl}


def test_document_joins_units_by_name_and_says_what_is_not_per_unit():
    doc = build_document(summaries_with_units(), STD, lang="en", run_id="r1")
    assert [u["name"] for u in doc["units"]] == ["A", "A"]
    first, second = ({r["standard_id"]: r for r in u["rows"]} for u in doc["units"])
    assert first["circles:5-15-30:5min"]["value"] == 0.1 and second["circles:5-15-30:5min"]["value"] == 0.2
    # the k-th "A" of clinics goes with the k-th "A" of circles
    assert first["clinics:S-H-01:count"]["value"] == 1 and second["clinics:S-H-01:count"]["value"] == 2
    assert first["tod:glossary:10min"]["status"] == "not per unit" and first["tod:glossary:10min"]["value"] is None
    assert doc["whole_area"]["rows"][0]["value"] == 1.0
    assert doc["counts"] == {"standards": 9, "met": 1, "not_met": 4, "no_target": 4, "not_measured": 0}
    assert {d["standard_id"] for d in doc["standards"]} == {r["standard_id"] for r in doc["whole_area"]["rows"]}


def test_zones_follow_the_units_and_are_named_as_zones():
    s = summaries_with_units()
    z = copy.deepcopy(s["circles"]["units"][0])
    z["name"] = "环外"
    s["circles"]["zones"] = [z]
    s["circles"]["zones_check"] = {"rule": "…", "units": 1, "overlaps": [{"a": "环外", "b": "环内", "area_m2": 12.0}],
                                   "units_without_residential_land": []}
    doc = build_document(s, STD, lang="zh")
    assert [p["name"] for p in doc["zones"]] == ["环外"] and doc["zones"][0]["grouping"] == "zones"
    assert [tables.place_name(doc, p, "zh") for p in tables.places(doc)] == ["全域", "A", "A", "分区: 环外"]
    assert tables.row_of(doc["zones"][0], "circles:5-15-30:5min")["value"] == 0.1
    assert tables.row_of(doc["zones"][0], "clinics:S-H-01:count")["status"] == "not per unit"
    items = {row[0]: row[1] for row in tables.assumption_items(doc, "zh").rows}
    assert items["分区检查: 重叠的单元"] == "环外 与 环内 12 m²"
    assert items["分区检查: 无居住用地的单元"] == "–"
    assert items["分区检查: 归属规则"].startswith("需求单元格属于覆盖其需求点")


def test_assess_language_defaults_to_chinese_with_the_beichen_boundary(monkeypatch):
    from beichen_geo.cli import pipeline
    from beichen_geo.cli.parser import build_parser

    seen = []
    monkeypatch.setattr(pipeline, "analyses", lambda args, *a, **k: seen.append(args.lang) or {})
    for argv, lang in ((["assess", "--boundary", "beichen"], "zh"), (["assess"], "en"),
                       (["assess", "--boundary", "beichen", "--lang", "en"], "en"), (["assess", "--lang", "zh"], "zh")):
        pipeline.assess(build_parser().parse_args([*argv, "--quiet"]), pipeline.Steps(quiet=True))
        assert seen[-1] == lang, argv


def test_a_stub_is_one_row_not_measured_with_its_reason():
    s = {"circles": circles_summary(), "tod": {"analysis": "tod", "status": "not measured",
                                               "reason": "no stations in the data"}}
    doc = build_document(s, STD, lang="zh")
    stub = doc["whole_area"]["rows"][-1]
    assert stub["status"] == "not measured" and stub["note"] == "no stations in the data"
    assert doc["counts"]["not_measured"] == 1
    assert tables.verdict_of(stub, "zh") == "未测量"


# ------------------------------------------------------------------------ workbook
def doc_with_units(lang: str = "zh") -> dict[str, Any]:
    s = summaries_with_units()
    for name, u in zip(UNIT_NAMES[:2], s["circles"]["units"], strict=True):
        u["name"] = name
    for name, u in zip(UNIT_NAMES[:2], s["clinics"]["unit_table"], strict=True):
        u["unit_name"] = name
    s["parks"] = parks_summary()
    return build_document(s, STD, lang=lang)


def test_sheet_titles_are_valid_and_unique():
    taken: set[str] = set()
    a = sheet_title("公园500米(沿路网) [对照]/x*y?", taken)
    assert not set("[]:*?/\\") & set(a) and len(a) <= 31
    long = "x" * 40
    assert sheet_title(long, taken) == "x" * 31
    assert sheet_title(long, taken) == "x" * 29 + "~2"
    assert sheet_title("X" * 40, taken) == "x".upper() * 29 + "~3"  # names are unique regardless of case


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_workbook_sheets_panes_formats_and_text_kept_as_text(tmp_path, lang):
    doc = doc_with_units(lang)
    path = write_workbook(doc, tmp_path / "assess.xlsx", lang=lang)
    wb = openpyxl.load_workbook(path)
    first, last = ("汇总", "数据与假设") if lang == "zh" else ("Summary", "Data and assumptions")
    assert wb.sheetnames[0] == first and wb.sheetnames[-1] == last
    assert len(wb.sheetnames) == len(doc["standards"]) + 2
    ws = wb[first]
    assert ws.freeze_panes == "B2"
    header = [c.value for c in ws[1]]
    unit_words = ("人", "m²") if lang == "zh" else ("persons", "m²")
    assert header[1].endswith(f"({unit_words[0]})") and header[2].endswith(f"({unit_words[1]})")
    assert header[4].endswith("(%)")
    # whole area first, then the units; names that look like formulas stay text
    names = [ws.cell(row=i, column=1).value for i in range(2, ws.max_row + 1)]
    assert names == [doc["whole_area"]["name"], *UNIT_NAMES[:2]]
    cell = ws.cell(row=3, column=1)
    assert cell.value == "=1+1" and cell.data_type == "s"
    # every figure equals the document's, verdicts in words
    for j, d in enumerate(doc["standards"]):
        for i, place in enumerate(tables.places(doc), start=2):
            r = tables.row_of(place, d["standard_id"])
            assert ws.cell(row=i, column=4 + 2 * j).value == tables.verdict_of(r, lang)
            assert ws.cell(row=i, column=5 + 2 * j).value == r["value"]
    assert ws.cell(row=2, column=5).number_format == "0.0%"
    # green and red fills by rule on every verdict column
    rules = [(str(rng.sqref), rule.formula[0]) for rng in ws.conditional_formatting for rule in rng.rules]
    ok, bad = ('"达标"', '"未达标"') if lang == "zh" else ('"pass"', '"fail"')
    verdict_cols = {openpyxl.utils.get_column_letter(4 + 2 * j) for j in range(len(doc["standards"]))}
    for col in verdict_cols:
        assert (f"{col}2:{col}4", ok) in rules and (f"{col}2:{col}4", bad) in rules
    for rng in ws.conditional_formatting:
        for rule in rng.rules:
            assert rule.dxf.fill.bgColor.rgb[-6:] in ("C6EFCE", "FFC7CE")
    # each standard's sheet and the assumptions carry their figures and plan sources
    std_ws = wb.worksheets[1]
    assert std_ws.freeze_panes == "B6"
    assert std_ws.cell(row=7, column=1).value == "=1+1" and std_ws.cell(row=7, column=1).data_type == "s"
    text = " ".join(str(v) for row in wb[last].iter_rows(values_only=True) for v in row if v is not None)
    assert "P1 L351" in text and "P3 L1338" in text and "km/h" in text and "EPSG" not in text  # no study: no CRS
    assert ("步行速度" if lang == "zh" else "Walking speed") in text


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice not installed (apt-get install libreoffice-calc-nogui)")
def test_libreoffice_opens_the_workbook_without_repair(tmp_path):
    doc = doc_with_units("zh")
    path = write_workbook(doc, tmp_path / "assess.xlsx", lang="zh")
    out = tmp_path / "csv"
    # every sheet to CSV (UTF-8, sheet -1 = all), with a profile of its own so that parallel runs do not clash
    r = subprocess.run([SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}",
                        "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1',
                        "--outdir", str(out), str(path)], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    assert "error" not in r.stdout.lower() + r.stderr.lower().replace("failed to launch javaldx", "")
    csvs = sorted(out.glob("*.csv"))
    assert len(csvs) == len(doc["standards"]) + 2, [p.name for p in csvs]
    summary = next(p for p in csvs if p.name.endswith("-汇总.csv")).read_text(encoding="utf-8").splitlines()
    assert summary[0].startswith("单元,常住人口 (人),居住用地 (m²),")
    assert [line.split(",")[0] for line in summary[1:]] == ["全域", *UNIT_NAMES[:2]]
    assert ",未达标," in summary[2] and ",达标," in summary[1] + summary[2]  # verdicts kept as text


# ------------------------------------------------------------------------ report
def test_report_escapes_every_name_and_embeds_only_data_images(tmp_path):
    doc = doc_with_units("zh")
    maps = {"circles": png("tab:green"), "parks:500m:euclidean": png("tab:red")}
    html = render(doc, lang="zh", maps=maps)
    assert "<script" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;{{7*7}}北辰" in html  # escaped, not run
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    srcs = re.findall(r'src="([^"]*)"', html)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert set(re.findall(r'href="([^"]*)"', html)) == {"#standard-0"}  # the later circles tiers point to its map
    # the circles map once (its three tiers share it) and the straight-line parks map; a chart for every standard
    n_maps = 1 + 1
    n_charts = sum(1 for d in doc["standards"] if any(tables.row_of(p, d["standard_id"]).get("value") is not None
                                                      for p in tables.places(doc)))
    assert len(srcs) == n_maps + n_charts
    assert html.count("此版本未生成静态地图") == len(doc["standards"]) - 4
    assert html.count("地图同:") == 2
    assert html.count('class="standard"') == len(doc["standards"])
    with pytest.raises(InputError, match="not a PNG"):
        png_uri(b"<svg onload=alert(1)>", what="map")
    p = write_report(doc, tmp_path / "assess.html", lang="en", maps=lambda d: png() if d["analysis"] == "tod" else None)
    text = p.read_text(encoding="utf-8")
    assert "Public service accessibility assessment" in text and "达标" not in text and "汇总" not in text


def test_chart_shows_the_lowest_units_and_says_so():
    doc = doc_with_units("en")
    d = doc["standards"][0]
    many = dict(doc)
    many["units"] = [dict(doc["units"][0], name=f"u{i}", rows=[dict(r, value=i / 100) for r in doc["units"][0]["rows"]])
                     for i in range(charts.MAX_BARS + 10)]
    data, caption = charts.bars(many, d, lang="en")
    assert data.startswith(b"\x89PNG")
    assert caption == f"the {charts.MAX_BARS} units with the lowest values are shown (of {charts.MAX_BARS + 10})"
    assert charts.bars(doc, d, lang="zh")[1] == ""


def test_print_maps_uses_the_builders_save_print(tmp_path):
    from beichen_geo.cli.assess import print_maps
    from beichen_geo.result import AnalysisResult

    calls = []

    class Printable:
        def save_print(self, path, *, fmt="png", width_px=2400, dpi=300):
            calls.append((fmt, width_px, dpi))
            Path(path).write_bytes(png())

    class WebOnly:
        pass

    printable = AnalysisResult("parks", {}, make_map=lambda **kw: Printable())
    assert set(print_maps({"parks": printable, "tod": None}, lang="zh")) == {"parks"}
    assert calls == [("png", 1600, 200)]
    web = AnalysisResult("parks", {}, make_map=lambda **kw: WebOnly())
    assert print_maps({"parks": web}, lang="zh") == {}
    # a print map the run already wrote is used as it is, without drawing it again
    (tmp_path / "tod.png").write_bytes(png("tab:red"))
    tod = AnalysisResult("tod", {}, make_map=lambda **kw: pytest.fail("drawn again"))
    assert print_maps({"tod": tod, "parks": web}, lang="zh", folder=tmp_path) == {"tod": png("tab:red")}


def test_pdf_without_a_browser_says_why(tmp_path, monkeypatch):
    monkeypatch.setenv("CHROMIUM", str(tmp_path / "no-such-chromium"))
    (tmp_path / "r.html").write_text("<p>x</p>", encoding="utf-8")
    outcome = print_pdf(tmp_path / "r.html", tmp_path / "r.pdf")
    assert outcome.path is None and "does not exist" in outcome.reason
    assert not (tmp_path / "r.pdf").exists()


# ------------------------------------------------------------------------ end to end
def _lookup(summary: dict[str, Any], key: str) -> Any:
    """A value of a summary by the row's ``value_key`` (``tiers[community].covered_share_land``, dotted paths)."""
    m = re.fullmatch(r"tiers\[(\w+)\]\.(\w+)", key)
    if m:
        return next(t for t in summary["tiers"] if t["tier"] == m.group(1))[m.group(2)]
    node: Any = summary
    for part in key.split("."):
        node = node[part]
    return node


@pytest.fixture(scope="module")
def assessed(tmp_path_factory, helsinki_study):
    """``assess --units`` (three strips) --lang zh --pdf on the embedded sample, offline: (folder, document)."""
    from beichen_geo.cli import run

    tmp = tmp_path_factory.mktemp("assess")
    x0, y0, x1, y1 = helsinki_study.area.bounds
    strips = [shapely.box(x0 + (x1 - x0) * i / 3 - (1 if i == 0 else 0), y0 - 1,
                          x0 + (x1 - x0) * (i + 1) / 3 + (1 if i == 2 else 0), y1 + 1) for i in range(3)]
    units = tmp / "units.gpkg"
    gpd.GeoDataFrame({"name": UNIT_NAMES}, geometry=strips, crs=helsinki_study.crs).to_file(units, driver="GPKG")
    out = tmp / "out"
    with pytest.MonkeyPatch.context() as mp:
        refuse_network(mp)
        summaries = run(["assess", "--units", str(units), "--lang", "zh", "--pdf", "--out", str(out), "--quiet"])
    return out, summaries["assess"]


@pytest.mark.slow
def test_assess_json_repeats_the_analyses_figures(assessed):
    out, doc = assessed
    back = json.loads((out / "assess.json").read_text(encoding="utf-8"))
    assert back["standards"] == doc["standards"] and back["outputs"] == {
        "workbook": "assess.xlsx", "report": "assess.html", "pdf": "assess.pdf"}
    summaries = {n: json.loads((out / f"{n}.json").read_text(encoding="utf-8"))
                 for n in ("circles", "circles_5-10-15", "circles_15-commerce", "parks", "tod", "clinics")}
    assert {d["analysis"] for d in back["standards"]} == set(summaries)
    for d, r in zip(back["standards"], back["whole_area"]["rows"], strict=True):
        expected = _lookup(summaries[d["analysis"]], d["value_key"])
        assert r["value"] == expected, d["standard_id"]
    listed = summaries["clinics"]["units"]  # the units breakdown's list, or (before it) the clinics' unit table
    units = {u["unit_name"]: u for u in (listed if isinstance(listed, list) else summaries["clinics"]["unit_table"])}
    assert [u["name"] for u in back["units"]] == UNIT_NAMES
    for u in back["units"]:
        rows = {r["standard_id"]: r for r in u["rows"]}
        cu = units[u["name"]]
        assert rows["clinics:S-H-01:count"]["value"] == cu["centres_inside"]
        assert rows["clinics:S-H-01:count"]["target"] == cu["required_centres"]
        assert rows["clinics:S-H-01:count"]["passes"] == cu["passes_count"]
        assert rows["clinics:S-H-01:reach:15min"]["value"] == cu["share_residents_within_15min"]
        assert rows["clinics:S-H-01:reach:15min"]["passes"] == cu["passes_reach"]
        first = next((e for d in back["standards"] if isinstance(summaries[d["analysis"]].get("units"), list)
                      for e in summaries[d["analysis"]]["units"] if e.get("name", e.get("unit_name")) == u["name"]), cu)
        assert u["residents"] == first["residents"]
        assert u["residential_area_m2"] == first.get("residential_area_m2")
        for d in back["standards"]:  # analyses with per-unit entries: their figures; the others say so
            entries = summaries[d["analysis"]].get("units")
            if isinstance(entries, list) and d["analysis"] != "clinics":
                entry = next(e for e in entries if e["name"] == u["name"])
                assert rows[d["standard_id"]]["value"] == _lookup(entry, d["value_key"])
            elif d["analysis"] != "clinics":
                assert rows[d["standard_id"]]["status"] == "not per unit"
    a = back["assumptions"]
    assert a["crs"] == summaries["parks"]["study"]["network"]["crs"] and a["walk_speed_kmh"] == 4.0
    assert a["population_is_estimate"] is True
    assert (out / "assess.pdf").read_bytes().startswith(b"%PDF")
    manifest = json.loads((out / ".beichen-geo-run.json").read_text(encoding="utf-8"))
    assert {"assess.json", "assess.xlsx", "assess.html", "assess.pdf"} <= set(manifest["files"])


@pytest.mark.slow
def test_workbook_of_the_run_matches_assess_json(assessed):
    out, doc = assessed
    wb = openpyxl.load_workbook(out / "assess.xlsx")
    ws = wb["汇总"]
    for j, d in enumerate(doc["standards"]):
        for i, place in enumerate(tables.places(doc), start=2):
            assert ws.cell(row=i, column=5 + 2 * j).value == tables.row_of(place, d["standard_id"])["value"]
    assert ws.cell(row=3, column=1).value == "=1+1" and ws.cell(row=3, column=1).data_type == "s"


def _zh_leftovers(text: str, doc: dict[str, Any], out: Path | None = None) -> list[str]:
    """Latin words in Chinese output that are neither data nor the plan's own codes and abbreviations.

    ``out``: the run's folder, whose OSM features left out by a kind's exclude rules (their
    names and tags, data quoted in a warning) are data too.
    """
    data = [*UNIT_NAMES, str(doc.get("run_id"))]
    if out is not None:
        log = json.loads((out / "parks.json").read_text(encoding="utf-8"))["study"]["log"]
        data += [str(i[k]) for items in (log.get("osm_excluded") or {}).values() for i in items for k in ("name", "why")
                 if i.get(k)]
    for name in sorted(data, key=len, reverse=True):
        text = text.replace(name, " ")
    text = re.sub(r"[\w./-]+\.(?:html|json|toml|pbf|gpkg|geojson)\b", " ", text)  # file names
    text = re.sub(r"assumptions\.warnings|--\w+|\bS-[A-Z]+-\d+|\bP\d\b|\bL\d+|EPSG:\d+", " ", text)
    allowed = {"TOD", "OpenStreetMap", "OSM", "GB", "km", "h", "m"}
    return sorted({w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in allowed})


@pytest.mark.slow
def test_zh_workbook_has_no_english_words(assessed):
    out, doc = assessed
    wb = openpyxl.load_workbook(out / "assess.xlsx")
    text = " ".join([*wb.sheetnames, *(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                                      for v in row if isinstance(v, str))])
    assert _zh_leftovers(text, doc) == []


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"headless Chromium not found at {CHROMIUM}: apt-get install -y chromium (or set $CHROMIUM)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu",
                                                               "--disable-background-networking"])
        try:
            yield b
        finally:
            b.close()


@pytest.mark.slow
@pytest.mark.browser
def test_report_renders_offline_in_chromium_with_chinese_text(assessed, browser):
    out, doc = assessed
    ctx = browser.new_context(viewport={"width": 1000, "height": 1400}, service_workers="block")
    requests: list[str] = []
    errors: list[str] = []

    def route(r):
        requests.append(r.request.url)
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            r.abort()

    ctx.route("**/*", route)
    page = ctx.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append("dialog " + d.message), d.dismiss()))
    page.goto((out / "assess.html").as_uri(), wait_until="load")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "assess_zh.png"))
    page.screenshot(path=str(SHOTS / "assess_zh_full.png"), full_page=True)
    body = page.evaluate("document.body.innerText")
    assert errors == []
    assert [u for u in requests if not u.startswith("data:")] == [(out / "assess.html").as_uri()]
    assert "公共服务设施可达性评估" in body and "未达标" in body and "数据与假设" in body
    assert UNIT_NAMES[1] in body and UNIT_NAMES[2] in body  # shown as text, never run or evaluated
    assert page.evaluate("document.querySelectorAll('script').length") == 0
    imgs = page.evaluate("[...document.images].map(i => [i.complete, i.naturalWidth])")
    assert imgs and all(ok and w > 0 for ok, w in imgs)
    sections = page.evaluate("[...document.querySelectorAll('section.standard')]"
                             ".map(s => getComputedStyle(s).breakBefore)")
    assert len(sections) == len(doc["standards"]) and set(sections) == {"page"}
    assert "3个OSM要素符合该类型的标签" in body  # the warnings, worded in Chinese
    assert _zh_leftovers(body, doc, out) == []
    ctx.close()
