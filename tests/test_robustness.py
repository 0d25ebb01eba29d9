"""Messy inputs and odd networks: clear messages, nothing silently lost; engine properties."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import METRIC, X0, Y0, grid_network, points
from geo.errors import DataError, NetworkError
from geo.coords import wgs84_to_bd09, wgs84_to_gcj02
from geo.engine import TravelTimeEngine
from geo.network import build_network
from geo.snapping import DatumShiftWarning, datum_shift_check, snap_points


# ----------------------------------------------------------------------------- coordinates
@pytest.fixture(scope="module")
def china_grid():
    # a sparse 4 x 4 km grid near 117.0E 38.8N (UTM 50N): on a dense 100 m grid a point shifted
    # by 540 m still lands near some street and no distance test can tell (documented limit)
    return grid_network(9, 500.0, speed_kmh=6.0)


def _wgs84_points(net, k=12, seed=0):
    rng = np.random.default_rng(seed)
    at = net.nodes.geometry.iloc[rng.choice(len(net.nodes), k, replace=False)]
    return gpd.GeoSeries(at.values, crs=net.crs).to_crs(4326)


def test_gcj02_list_declared_wgs84_is_detected(china_grid):
    wgs = _wgs84_points(china_grid)
    glon, glat = wgs84_to_gcj02(wgs.x.to_numpy(), wgs.y.to_numpy())
    as_given = gpd.GeoSeries(gpd.points_from_xy(glon, glat), crs=4326)
    with pytest.warns(DatumShiftWarning, match="coords='gcj02'"):
        out = datum_shift_check(china_grid, as_given, what="clinics.csv")
    assert out["likely"] == "gcj02" and out["median_m_as_given"] > 20 and out["median_m_if_converted"] < 1


def test_bd09_list_declared_wgs84_is_detected(china_grid):
    wgs = _wgs84_points(china_grid, seed=1)
    blon, blat = wgs84_to_bd09(wgs.x.to_numpy(), wgs.y.to_numpy())
    with pytest.warns(DatumShiftWarning, match="coords='bd09'"):
        out = datum_shift_check(china_grid, gpd.GeoSeries(gpd.points_from_xy(blon, blat), crs=4326))
    assert out["likely"] == "bd09"


def test_true_wgs84_points_raise_no_alarm(china_grid):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert datum_shift_check(china_grid, _wgs84_points(china_grid, seed=2)) is None


def test_planner_points_outside_the_area_are_counted_and_named(tmp_path):
    from beichen_geo.cli import run

    f = tmp_path / "clinics.csv"
    f.write_text("name,lon,lat\nnear,24.9420,60.1690\nfar,25.5,61.0\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="outside the study area"):
        s = run(["circles", "--out", str(tmp_path / "o"), "--quiet", "--facilities", str(f), "--kind", "clinic"])
    c = s["circles"]
    assert c["facilities"]["clinic"] == 1
    assert c["study"]["log"]["facilities_outside_area"] == 1


# ----------------------------------------------------------------------------- networks
def _segments(rows, xy):
    seg = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=[None] * len(rows), crs=METRIC)
    ids = sorted({r["u"] for r in rows} | {r["v"] for r in rows})
    node_xy = pd.DataFrame({"x": [X0 + xy[i][0] for i in ids], "y": [Y0 + xy[i][1] for i in ids]}, index=ids)
    return seg, node_xy


def test_network_without_walkable_ways_is_a_clear_error():
    seg, xy = _segments([{"u": 1, "v": 2, "highway": "motorway"}], {1: (0, 0), 2: (100, 0)})
    with pytest.raises(NetworkError, match="no walk ways"):
        build_network(seg, xy, crs=METRIC)


def test_one_node_network_is_a_clear_error():
    seg, xy = _segments([{"u": 1, "v": 1, "highway": "footway"}], {1: (0, 0)})
    net = build_network(seg, xy, crs=METRIC)
    with pytest.raises(NetworkError, match="no usable edges"):
        TravelTimeEngine(net)


def test_tiny_network_gives_finite_exact_answers():
    seg, xy = _segments([{"u": 1, "v": 2, "highway": "footway"}], {1: (0, 0), 2: (100, 0)})
    net = build_network(seg, xy, crs=METRIC, speed_kmh=6.0)
    eng = TravelTimeEngine(net)
    fac = snap_points(net, points([(25, 10)]))
    home = snap_points(net, points([(90, -5)]))
    assert eng.point_minutes(home, fac).minutes[0] == pytest.approx((10 + 65 + 5) / 100)


def test_no_facility_of_a_kind_gives_inf_not_nan():
    from geo.coverage import minutes_by_kind

    net = grid_network(3, 100.0)
    eng = TravelTimeEngine(net)
    fac = points([(0, 0)], kind=["clinic"])
    table, report = minutes_by_kind(eng, points([(50, 0), (500, 500)]), fac, kinds=["clinic", "park"])
    assert report["kinds_without_facilities"] == ["park"]
    assert np.isinf(table["walk_min_to_park"].iloc[0]) and np.isnan(table["walk_min_to_park"].iloc[1])
    assert report["demand_off_network"] == 1


def test_study_without_residential_land_is_a_clear_error():
    from beichen_geo.study import study_from_frames

    net = grid_network(5, 100.0)
    fac = points([(0, 0)], kind=["clinic"])
    with pytest.raises(DataError, match="no residential land"):
        study_from_frames(net, fac, gpd.GeoDataFrame(geometry=[], crs=METRIC))


def test_invalid_residential_polygon_is_repaired_and_counted():
    from beichen_geo.study import study_from_frames

    net = grid_network(5, 100.0)
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 200, Y0 + 200), (X0 + 200, Y0), (X0, Y0 + 200), (X0, Y0)])
    assert not bowtie.is_valid
    s = study_from_frames(net, points([(0, 0)], kind=["clinic"]), gpd.GeoDataFrame(geometry=[bowtie], crs=METRIC))
    assert s.log["repaired_polygons"]["residential_land"] == 1
    assert s.demand["area_m2"].sum() == pytest.approx(20_000)  # two triangles of 100 x 200 / 2


# ----------------------------------------------------------------------------- properties
@st.composite
def random_networks(draw):
    """A jittered lattice with some streets removed, plus facilities and homes."""
    n = draw(st.integers(3, 6))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    ids = np.arange(n * n)
    jitter = rng.uniform(-30, 30, size=(n * n, 2))
    xy = pd.DataFrame({"x": X0 + 100.0 * (ids % n) + jitter[:, 0], "y": Y0 + 100.0 * (ids // n) + jitter[:, 1]}, index=ids)
    rows = []
    for i in ids:
        for j in (i + 1 if (i + 1) % n else None, i + n if i + n < n * n else None):
            if j is not None and rng.random() > 0.2:
                rows.append({"u": int(i), "v": int(j), "highway": "residential"})
    if not rows:
        rows.append({"u": 0, "v": 1, "highway": "residential"})
    seg = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=[None] * len(rows), crs=METRIC)
    net = build_network(seg, xy, crs=METRIC, speed_kmh=6.0)
    k = draw(st.integers(1, 4))
    span = 100.0 * (n - 1)
    fac = gpd.GeoSeries(gpd.points_from_xy(X0 + rng.uniform(0, span, k), Y0 + rng.uniform(0, span, k)), crs=METRIC)
    homes = gpd.GeoSeries(gpd.points_from_xy(X0 + rng.uniform(0, span, 15), Y0 + rng.uniform(0, span, 15)), crs=METRIC)
    return net, fac, homes


PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(random_networks())
def test_walk_times_are_symmetric(case):
    net, fac, homes = case
    eng = TravelTimeEngine(net)
    a = snap_points(net, homes, warn=False)
    for i in range(0, len(homes), 5):
        one = a.subset(np.array([i]))
        there = eng.point_minutes(a, one).minutes  # every home to home i
        back = np.array([eng.point_minutes(one, a.subset(np.array([j]))).minutes[0] for j in range(len(homes))])
        np.testing.assert_allclose(there, back, atol=1e-9)


@PROPS
@given(random_networks(), st.floats(1.0, 8.0))
def test_adding_a_facility_never_lowers_coverage(case, threshold):
    net, fac, homes = case
    eng = TravelTimeEngine(net)
    h = snap_points(net, homes, warn=False)
    before = eng.point_minutes(h, snap_points(net, fac.iloc[:-1] if len(fac) > 1 else fac.iloc[:0], warn=False)).minutes
    after = eng.point_minutes(h, snap_points(net, fac, warn=False)).minutes
    assert (after <= before + 1e-12).all()
    assert (after <= threshold).sum() >= (before <= threshold).sum()


@PROPS
@given(random_networks(), st.floats(0.5, 6.0))
def test_cutoff_only_hides_times_beyond_it(case, cutoff):
    net, fac, homes = case
    eng = TravelTimeEngine(net)
    f = snap_points(net, fac, warn=False)
    full = eng.node_minutes(f).minutes
    cut = eng.node_minutes(f, cutoff_min=cutoff).minutes
    inside = full <= cutoff
    np.testing.assert_allclose(cut[inside], full[inside], atol=1e-12)
    assert np.isinf(cut[~inside]).all()


# ----------------------------------------------------------------------------- interruption
def test_ctrl_c_while_writing_leaves_no_corrupt_or_temporary_files(tmp_path):
    """SIGINT while outputs are being written: exit 130, the message says nothing was kept,
    --out was never created and no staging, temporary or journal file is left beside it.
    (tests/test_output_run.py covers interruptions over an earlier run.)"""
    import os
    import signal
    import subprocess
    import sys
    import time

    from beichen_geo.outdir import HOLD_ENV

    out = tmp_path / "o"
    hold = tmp_path / "hold"  # the swap cannot happen before the signal, however fast the machine
    hold.write_text("")
    proc = subprocess.Popen(
        [sys.executable, "-m", "beichen_geo.cli", "circles", "--out", str(out)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env={**os.environ, HOLD_ENV: str(hold)},
    )
    deadline = time.time() + 120
    seen = ""
    while time.time() < deadline:  # char by char: the step line ends only when the step does
        ch = proc.stderr.read(1)
        seen += ch
        if seen.endswith("Writing circles outputs ...") or not ch:
            break
    time.sleep(0.05)  # into the writing of the GeoPackage / map (the step takes ~0.5-1.3 s)
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, seen + rest
    assert "interrupted (SIGINT); nothing was written" in rest and "Traceback" not in rest
    assert not out.exists()
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p != hold)
    assert leftovers == [], leftovers
