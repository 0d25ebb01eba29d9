"""Options a planner's files need, and kinds that cannot be silently ignored (issue 14, items 1 and 11)."""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from shapely.geometry import Point

from beichen_geo.cli import main

# five real-looking centres inside the embedded Helsinki sample (WGS84)
CENTRES = [(24.9384, 60.1699), (24.9458, 60.1718), (24.9310, 60.1655), (24.9502, 60.1665), (24.9420, 60.1630)]


def _csv(path, cols=("lon", "lat"), rows=CENTRES):
    lines = [f"name,{cols[0]},{cols[1]}"] + [f"中心{i},{x},{y}" for i, (x, y) in enumerate(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", ["hospitalx", "Clinic"])
def test_unknown_kind_is_refused_before_any_work(tmp_path, capsys, kind):
    f = _csv(tmp_path / "c.csv")
    out = tmp_path / "out"
    assert main(["clinics", "--facilities", str(f), "--kind", kind, "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"unknown --kind {kind!r}" in err and "clinic" in err and "chsc" in err  # lists the kinds
    assert "Loading" not in err  # refused before the study was read
    assert not out.exists() or not any(out.iterdir())


def test_chsc_list_replaces_the_osm_proxy_in_clinics(tmp_path, capsys):
    f = _csv(tmp_path / "chsc.csv")
    out = tmp_path / "out"
    assert main(["clinics", "--facilities", str(f), "--kind", "chsc", "--out", str(out), "--quiet"]) == 0
    s = json.loads((out / "clinics.json").read_text(encoding="utf-8"))
    # the planner's five centres are the centres, not OSM's clinics
    assert s["kind"] == "chsc"
    assert s["centres"] == len(CENTRES)
    src = s["study"]["facility_sources"]
    assert src["chsc"] == {"source": "file", "files": ["chsc.csv"], "count": len(CENTRES)}
    assert src["clinic"]["source"] == "osm"
    printed = capsys.readouterr().out
    assert "chsc from chsc.csv (5)" in printed


def test_facility_sources_say_osm_without_files(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["parks", "--out", str(out), "--quiet"]) == 0
    s = json.loads((out / "parks.json").read_text(encoding="utf-8"))
    assert all(v["source"] == "osm" for v in s["study"]["facility_sources"].values())
    assert s["study"]["facility_sources"]["park"]["count"] > 0
    # --quiet hides progress, not the result lines
    printed = capsys.readouterr().out
    assert "parks: residential land within" in printed and "every kind from OSM" in printed


def test_lon_lat_columns_named_explicitly(tmp_path):
    f = _csv(tmp_path / "odd.csv", cols=("east_deg", "north_deg"))
    out = tmp_path / "out"
    # without the options the columns cannot be found...
    assert main(["clinics", "--facilities", str(f), "--kind", "clinic", "--out", str(out), "--quiet"]) == 2
    # ...and with them the five centres are read
    assert main(["clinics", "--facilities", str(f), "--kind", "clinic", "--lon-col", "east_deg",
                 "--lat-col", "north_deg", "--out", str(out), "--quiet"]) == 0
    s = json.loads((out / "clinics.json").read_text(encoding="utf-8"))
    assert s["centres"] == len(CENTRES)


def test_layer_of_a_two_layer_geopackage(tmp_path, capsys):
    gpkg = tmp_path / "two.gpkg"
    gpd.GeoDataFrame({"name": ["a", "b"]}, geometry=[Point(*CENTRES[0]), Point(*CENTRES[1])], crs=4326).to_file(
        gpkg, layer="schools")
    gpd.GeoDataFrame({"name": [f"c{i}" for i in range(len(CENTRES))]}, geometry=[Point(*c) for c in CENTRES],
                     crs=4326).to_file(gpkg, layer="clinics")
    out = tmp_path / "out"
    assert main(["clinics", "--facilities", str(gpkg), "--kind", "clinic", "--out", str(out), "--quiet"]) == 2
    assert "--layer" in capsys.readouterr().err  # the message names the real option
    assert main(["clinics", "--facilities", str(gpkg), "--kind", "clinic", "--layer", "clinics",
                 "--out", str(out), "--quiet"]) == 0
    assert json.loads((out / "clinics.json").read_text(encoding="utf-8"))["centres"] == len(CENTRES)


def test_sheet_of_a_workbook(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["这一页不是数据"])
    ws = wb.create_sheet("诊所")
    ws.append(["名称", "经度", "纬度"])
    for i, (x, y) in enumerate(CENTRES[:3]):
        ws.append([f"诊所{i}", x, y])
    path = tmp_path / "list.xlsx"
    wb.save(path)
    out = tmp_path / "out"
    for sheet in ("诊所", "2"):  # by name, or 1-based number
        assert main(["clinics", "--facilities", str(path), "--kind", "clinic", "--sheet", sheet,
                     "--out", str(out), "--quiet", "--overwrite"]) == 0
        assert json.loads((out / "clinics.json").read_text(encoding="utf-8"))["centres"] == 3


def test_per_file_option_counts_are_checked(tmp_path, capsys):
    a, b = _csv(tmp_path / "a.csv"), _csv(tmp_path / "b.csv")
    args = ["clinics", "--facilities", str(a), "--kind", "clinic", "--facilities", str(b), "--kind", "chsc",
            "--lon-col", "lon", "--lon-col", "lon", "--lon-col", "lon", "--out", str(tmp_path / "o")]
    assert main(args) == 2
    assert "--lon-col once" in capsys.readouterr().err
    assert main(["parks", "--layer", "x", "--out", str(tmp_path / "o")]) == 2
    assert "need a --facilities FILE" in capsys.readouterr().err


def test_tianditu_without_key_fails_before_the_analysis(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    out = tmp_path / "out"
    assert main(["parks", "--basemap", "tianditu", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "TIANDITU_KEY" in err and "Loading" not in err
    assert not (out / "parks.gpkg").exists()


def test_centre_rows_carry_wgs84_and_gcj02_coordinates(tmp_path):
    """clinics_centres.csv: lon_wgs84/lat_wgs84 for every centre, and GCJ-02 when the list was GCJ-02.

    The sample lies outside China, where the published GCJ-02 algorithm leaves points as they
    are (and warns); the shift itself is checked on a grid inside China in test_gaps_headline.
    """
    import csv

    from geo.coords import convert

    gx, gy = convert([c[0] for c in CENTRES], [c[1] for c in CENTRES], src="wgs84", dst="gcj02")
    f = _csv(tmp_path / "gcj.csv", rows=list(zip(gx, gy, strict=True)))
    out = tmp_path / "out"
    assert main(["clinics", "--facilities", str(f), "--kind", "chsc", "--coords", "gcj02", "--out", str(out),
                 "--quiet"]) == 0
    with open(out / "clinics_centres.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(CENTRES)
    got = sorted((float(r["lon_wgs84"]), float(r["lat_wgs84"])) for r in rows)
    # the GCJ-02 input converted back to WGS84 lands within ~1 m (1e-5 deg) of the true points
    for (x, y), (ex, ey) in zip(got, sorted(CENTRES), strict=True):
        assert abs(x - ex) < 1e-5 and abs(y - ey) < 1e-5
    back = sorted((float(r["lon_gcj02"]), float(r["lat_gcj02"])) for r in rows)
    for (x, y), (ex, ey) in zip(back, sorted(zip(gx, gy, strict=True)), strict=True):
        assert abs(x - ex) < 2e-6 and abs(y - ey) < 2e-6
