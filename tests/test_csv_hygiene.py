"""CSV numbers a planner can read (issue 14, item 12): rounded by unit, no -0.0, unreached empty."""

from __future__ import annotations

import csv
import re

import numpy as np
import pandas as pd
import pytest

from geo.io import csv_decimals, write_csv


def _rows(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_rounding_by_unit_and_no_negative_zero_or_inf(tmp_path):
    df = pd.DataFrame({
        "name": ["a", "b", "c"],
        "walk_min_to_clinic": [np.inf, 1.23456, -0.0001],
        "area_m2": [205.08863791375214, 1.0, -0.0],
        "covered_share_land": [0.123456, 1.0, 0.0],
        "distance_m": [1234.5678, np.nan, 2.0],
        "lon_wgs84": [117.123456789, 117.0, -0.0000001],
        "residents": [12.3456, 0.0, 3.0],
        "count": [1, 2, 3],
        "ok": [True, False, True],
    })
    rows = _rows(write_csv(df, tmp_path / "t.csv"))
    assert rows[0] == list(df.columns)
    cols = {name: [r[i] for r in rows[1:]] for i, name in enumerate(rows[0])}
    assert cols["walk_min_to_clinic"] == ["", "1.23", "0.0"]           # unreached = empty, not inf
    assert cols["area_m2"] == ["205.1", "1.0", "0.0"]                   # no -0.0
    assert cols["covered_share_land"] == ["0.1235", "1.0", "0.0"]
    assert cols["distance_m"] == ["1234.6", "", "2.0"]
    assert cols["lon_wgs84"] == ["117.123457", "117.0", "0.0"]
    assert cols["residents"] == ["12.3", "0.0", "3.0"]
    assert cols["count"] == ["1", "2", "3"] and cols["ok"] == ["True", "False", "True"]
    text = (tmp_path / "t.csv").read_text(encoding="utf-8-sig")
    assert "inf" not in text and "-0.0" not in text
    assert df["walk_min_to_clinic"].iloc[0] == np.inf  # the caller's frame is untouched


@pytest.mark.parametrize("col, want", [("share_residents_within_15min", 4), ("walk_min_to_park", 2),
                                       ("gain_area_m2", 1), ("lat_gcj02", 6), ("mix_index", 4),
                                       ("catchment_residents", 1), ("something_else", 4)])
def test_decimals_follow_the_unit_in_the_name(col, want):
    assert csv_decimals(col) == want


def test_real_analysis_csvs_are_tidy(tmp_path):
    from beichen_geo.cli import main

    out = tmp_path / "o"
    assert main(["clinics", "--out", str(out), "--quiet"]) == 0
    for path in out.glob("*.csv"):
        rows = _rows(path)
        for i, name in enumerate(rows[0]):
            allowed = csv_decimals(name)
            for r in rows[1:]:
                cell = r[i]
                assert cell not in ("inf", "-inf", "-0.0"), (path.name, name, cell)
                m = re.fullmatch(r"-?\d+\.(\d+)", cell)
                if m:
                    assert len(m.group(1)) <= allowed, (path.name, name, cell)
