"""Tests of geo.coords against published reference points and independent implementations."""

from __future__ import annotations

import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from geo import coords
from geo.errors import InputError

GEOD = pyproj.Geod(ellps="WGS84")


def dist_m(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Geodesic distance in metres on the WGS84 ellipsoid (pyproj, independent of geo)."""
    return np.asarray(GEOD.inv(lon1, lat1, lon2, lat2)[2])


# --------------------------------------------------------------------------- references
# googollee/eviltransform python/test.py (TESTS): wgsLat, wgsLng, gcjLat, gcjLng.
EVIL_WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]

# hujiulong/gcoord test/fixtures/china-cities.json: (WGS84, GCJ02, BD09), lon/lat, 7 decimals.
GCOORD_CITIES = {
    "Zhumadian": ([114.0164322, 33.0133556], [114.022306, 33.0115324], [114.0287781, 33.0176697]),
    "Nagqu": ([92.0499619, 31.4784436], [92.0512438, 31.4762063], [92.0576832, 31.4824421]),
    "Shenyang": ([123.4253306, 41.8032629], [123.4314787, 41.8057023], [123.438095, 41.8114013]),
    "Altay": ([88.1378895, 47.8436168], [88.1412573, 47.8449292], [88.1478836, 47.8506561]),
    "Shenzhen": ([114.0527534, 22.5458236], [114.0578659, 22.5431014], [114.064418, 22.5487584]),
    "Lhasa": ([91.1706414, 29.655277], [91.1721167, 29.6524954], [91.1786184, 29.6585294]),
    "Hegang": ([130.2901208, 47.3474834], [130.2979644, 47.3499192], [130.3043975, 47.3560741]),
    "Chongqing": ([106.5478343, 29.565849], [106.5515641, 29.563013], [106.5579989, 29.5693061]),
    "Jinan": ([117.1138727, 36.6507807], [117.1200084, 36.6512191], [117.1264069, 36.6575731]),
}


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVIL_WGS_GCJ)
def test_wgs84_to_gcj02_matches_eviltransform_reference(wlat, wlon, glat, glon):
    lon, lat = coords.wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9)
    assert lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVIL_WGS_GCJ)
def test_gcj02_to_wgs84_recovers_eviltransform_reference_to_a_millimetre(wlat, wlon, glat, glon):
    lon, lat = coords.gcj02_to_wgs84(glon, glat)
    assert dist_m(lon, lat, wlon, wlat) < 1e-3


def test_wandergis_coordtransform_readme_values():
    # wandergis/coordtransform README.md, "result" block, input (116.404, 39.915) each time.
    assert coords.wgs84_to_gcj02(116.404, 39.915) == pytest.approx(
        (116.41024449916938, 39.91640428150164), abs=1e-11
    )
    assert coords.gcj02_to_bd09(116.404, 39.915) == pytest.approx(
        (116.41036949371029, 39.92133699351021), abs=1e-11
    )
    # Their inverses are the one-step approximations: ours must be within their ~10 cm error
    # but not equal, and must be exact where theirs is not.
    bd_inv = coords.bd09_to_gcj02(116.404, 39.915)
    assert dist_m(*bd_inv, 116.39762729119315, 39.90865673957631) < 0.1
    gcj_inv = coords.gcj02_to_wgs84(116.404, 39.915)
    assert dist_m(*gcj_inv, 116.39775550083061, 39.91359571849836) < 0.1
    assert dist_m(*coords.gcj02_to_bd09(*bd_inv), 116.404, 39.915) < 1e-4
    assert dist_m(*coords.wgs84_to_gcj02(*gcj_inv), 116.404, 39.915) < 1e-4
    assert (
        dist_m(*coords.gcj02_to_bd09(116.39762729119315, 39.90865673957631), 116.404, 39.915) > 0.01
    )


def test_pyxis_reference_triple():
    # pyxis tests (crypto test file, found via the stored GitHub corpus):
    # wgs84 (121.0917077, 30.6107779), gcj02 (121.09626935575027, 30.608604331756705),
    # bd09 (121.10271732371203, 30.61484572185035); they compare with pytest.approx (1e-6 rel).
    wgs, gcj, bd = (
        (121.0917077, 30.6107779),
        (121.09626935575027, 30.608604331756705),
        (
            121.10271732371203,
            30.61484572185035,
        ),
    )
    assert dist_m(*coords.wgs84_to_gcj02(*wgs), *gcj) < 0.02
    assert dist_m(*coords.wgs84_to_bd09(*wgs), *bd) < 0.02
    assert dist_m(*coords.bd09_to_wgs84(*bd), *wgs) < 0.02
    assert dist_m(*coords.gcj02_to_bd09(*gcj), *bd) < 0.01


def test_gcoord_test_values_at_45n_123e():
    # hujiulong/gcoord test/unit/crs/GCJ02.spec.ts: GCJ02 [123, 45] -> WGS84 and BD09.
    assert coords.gcj02_to_wgs84(123.0, 45.0) == pytest.approx(
        (122.99395597, 44.99804071), abs=1e-6
    )
    assert coords.gcj02_to_bd09(123.0, 45.0) == pytest.approx((123.00636499, 45.00636899), abs=1e-7)


@pytest.mark.parametrize("city", sorted(GCOORD_CITIES))
def test_gcoord_china_cities(city):
    # Those published triples (7 decimals, ~1 cm) agree with the standard formulas to < 1 m for
    # WGS84<->GCJ-02 (all of them are ~0.66 m off) and to < 2 cm for GCJ-02<->BD-09.
    wgs, gcj, bd = (np.array(v) for v in GCOORD_CITIES[city])
    assert dist_m(*coords.wgs84_to_gcj02(*wgs), *gcj) < 1.0
    assert dist_m(*coords.gcj02_to_wgs84(*gcj), *wgs) < 1.0
    assert dist_m(*coords.gcj02_to_bd09(*gcj), *bd) < 0.02
    assert dist_m(*coords.bd09_to_gcj02(*bd), *gcj) < 0.02
    assert dist_m(*coords.bd09_to_wgs84(*bd), *wgs) < 1.0
    assert dist_m(*coords.wgs84_to_bd09(*wgs), *bd) < 1.0


# --------------------------------------------------------------------------- API shape
def test_scalars_give_floats_and_arrays_give_arrays():
    lon, lat = coords.wgs84_to_gcj02(117.2, 39.1)
    assert type(lon) is float and type(lat) is float
    lon, lat = coords.wgs84_to_gcj02([117.2, 117.3], [39.1, 39.2])
    assert isinstance(lon, np.ndarray) and lon.shape == (2,)
    lon, lat = coords.convert(pd.Series([117.2]), pd.Series([39.1]), src="wgs84", dst="bd09")
    assert isinstance(lon, np.ndarray)


def test_vectorised_equals_scalar():
    lons = np.array([117.2, 121.5, 88.1, 130.0])
    lats = np.array([39.1, 31.2, 47.8, 22.0])
    for name in ("gcj02_to_wgs84", "wgs84_to_bd09", "bd09_to_wgs84", "bd09_to_gcj02"):
        fn = getattr(coords, name)
        vx, vy = fn(lons, lats)
        for i in range(len(lons)):
            sx, sy = fn(float(lons[i]), float(lats[i]))
            assert (vx[i], vy[i]) == pytest.approx((sx, sy), abs=1e-12), name


def test_nan_stays_nan():
    lon, lat = coords.gcj02_to_wgs84([np.nan, 117.2], [39.1, 39.1])
    assert np.isnan(lon[0]) and lat[0] == 39.1
    assert lon[1] != 117.2


def test_convert_dispatch_and_aliases():
    direct = coords.bd09_to_wgs84(117.2, 39.1)
    assert coords.convert(117.2, 39.1, src="BD-09", dst="WGS84") == direct
    assert coords.convert(117.2, 39.1, src="gcj02", dst="gcj02") == (117.2, 39.1)


@pytest.mark.parametrize("bad", ["utm", "cgcs2000", "", "wgs85"])
def test_convert_unknown_system_names_allowed_values(bad):
    with pytest.raises(InputError) as err:
        coords.convert(117.2, 39.1, src=bad, dst="wgs84")
    msg = str(err.value)
    assert repr(bad) in msg and "wgs84" in msg and "gcj02" in msg and "bd09" in msg


def test_mismatched_shapes_are_input_errors():
    with pytest.raises(InputError, match="different shapes"):
        coords.wgs84_to_gcj02([1.0, 2.0, 3.0], [1.0, 2.0])
    with pytest.raises(InputError, match="numbers"):
        coords.wgs84_to_gcj02(["a"], [1.0])


# --------------------------------------------------------------------------- out of China
@pytest.mark.parametrize(
    ("lon", "lat"),
    [(2.35, 48.85), (-74.0, 40.7), (139.69, 35.69), (151.2, -33.9), (0.0, 0.0), (72.0, 30.0)],
)
def test_outside_china_is_unchanged(lon, lat):
    for src in coords.SYSTEMS:
        for dst in coords.SYSTEMS:
            assert coords.convert(lon, lat, src=src, dst=dst) == (lon, lat)
    assert coords.gcj02_offset_m(lon, lat) == 0.0


def test_bbox_edges_follow_the_published_rule():
    # The rule of eviltransform's outOfChina(): 72.004 <= lon <= 137.8347, 0.8293 <= lat <= 55.8271.
    assert coords.in_china(72.004, 30.0) and not coords.in_china(72.0039, 30.0)
    assert coords.in_china(137.8347, 30.0) and not coords.in_china(137.8348, 30.0)
    assert coords.in_china(100.0, 55.8271) and not coords.in_china(100.0, 55.8272)


world = st.tuples(
    st.floats(-180, 180, allow_nan=False), st.floats(-90, 90, allow_nan=False)
).filter(lambda p: not coords.in_china(*p))


@settings(max_examples=200, deadline=None)
@given(world)
def test_property_out_of_china_never_shifted(p):
    for src in coords.SYSTEMS:
        for dst in coords.SYSTEMS:
            assert coords.convert(p[0], p[1], src=src, dst=dst) == p


# --------------------------------------------------------------------------- round trips
# China's bounding box, less 0.05 degrees, so that shifted points stay inside the box.
china_lon = st.floats(72.06, 137.78, allow_nan=False)
china_lat = st.floats(0.88, 55.77, allow_nan=False)


@settings(max_examples=300, deadline=None)
@given(china_lon, china_lat)
def test_property_round_trips_below_one_centimetre(lon, lat):
    for there, back in [
        (coords.wgs84_to_gcj02, coords.gcj02_to_wgs84),
        (coords.gcj02_to_bd09, coords.bd09_to_gcj02),
        (coords.wgs84_to_bd09, coords.bd09_to_wgs84),
        (coords.gcj02_to_wgs84, coords.wgs84_to_gcj02),
        (coords.bd09_to_wgs84, coords.wgs84_to_bd09),
    ]:
        assert dist_m(*back(*there(lon, lat)), lon, lat) < 0.01


@settings(max_examples=100, deadline=None)
@given(china_lon, china_lat)
def test_property_shift_size_is_plausible(lon, lat):
    # GCJ-02 moves points by tens to ~1000 m; BD-09 adds roughly another 500-1000 m.
    gcj = coords.wgs84_to_gcj02(lon, lat)
    moved = dist_m(lon, lat, *gcj)
    assert 1.0 < moved < 1500.0
    assert coords.gcj02_offset_m(lon, lat) == pytest.approx(float(moved), abs=1e-6)
    assert 300.0 < dist_m(*gcj, *coords.gcj02_to_bd09(*gcj)) < 1500.0


def test_precise_inverse_beats_one_step_approximation():
    rng = np.random.default_rng(42)
    lon = rng.uniform(75, 135, 2000)
    lat = rng.uniform(18, 53, 2000)
    gcj = coords.wgs84_to_gcj02(lon, lat)
    ours = coords.gcj02_to_wgs84(*gcj)
    # The usual one-step inverse: subtract the shift evaluated at the GCJ-02 point.
    glon, glat = gcj
    dlon, dlat = np.subtract(coords.wgs84_to_gcj02(glon, glat), (glon, glat))
    approx_err = dist_m(glon - dlon, glat - dlat, lon, lat)
    assert approx_err.max() > 0.5  # the approximation is metre-level
    assert dist_m(*ours, lon, lat).max() < 1e-3


# --------------------------------------------------------------------------- GeoSeries
def test_convert_geoseries_every_vertex_and_type():
    poly = Polygon(
        [(117.0, 39.0), (117.1, 39.0), (117.1, 39.1), (117.0, 39.1)],
        holes=[[(117.02, 39.02), (117.05, 39.02), (117.05, 39.05)]],
    )
    geoms = [
        Point(117.2, 39.1),
        Point(117.2, 39.1, 12.5),
        LineString([(117.0, 39.0), (117.5, 39.5)]),
        MultiLineString([[(117.0, 39.0), (117.1, 39.1)], [(2.0, 48.0), (2.1, 48.1)]]),
        poly,
        None,
        Point(),
    ]
    gs = gpd.GeoSeries(geoms, index=list("abcdefg"), crs="EPSG:4326", name="g")
    out = coords.convert_geoseries(gs, src="gcj02", dst="wgs84")
    assert out.crs == "EPSG:4326" and list(out.index) == list("abcdefg") and out.name == "g"
    for before, after in zip(gs, out, strict=True):
        if before is None:
            assert after is None
            continue
        assert before.geom_type == after.geom_type
        if before.is_empty:
            assert after.is_empty
            continue
        c0 = shapely.get_coordinates(before, include_z=True)
        c1 = shapely.get_coordinates(after, include_z=True)
        ex, ey = coords.gcj02_to_wgs84(c0[:, 0], c0[:, 1])
        np.testing.assert_allclose(c1[:, 0], ex, atol=1e-12)
        np.testing.assert_allclose(c1[:, 1], ey, atol=1e-12)
        np.testing.assert_array_equal(np.isnan(c0[:, 2]), np.isnan(c1[:, 2]))
    assert out.loc["b"].has_z and out.loc["b"].z == 12.5
    # The part of the multilinestring in France is not shifted.
    assert list(out.loc["d"].geoms[1].coords) == [(2.0, 48.0), (2.1, 48.1)]


def test_convert_geoseries_rejects_projected_and_non_degree_data():
    gs = gpd.GeoSeries([Point(500000, 4300000)], crs="EPSG:32650")
    with pytest.raises(InputError, match="projected"):
        coords.convert_geoseries(gs, src="gcj02", dst="wgs84")
    with pytest.raises(InputError, match="no CRS"):
        coords.convert_geoseries(gs.set_crs(None, allow_override=True), src="gcj02", dst="wgs84")
    ok = coords.convert_geoseries(gpd.GeoSeries([Point(117.2, 39.1)]), src="wgs84", dst="gcj02")
    assert ok.crs == "EPSG:4326"
    assert (ok.iloc[0].x, ok.iloc[0].y) == coords.wgs84_to_gcj02(117.2, 39.1)


# --------------------------------------------------------------------------- independent code
def test_cross_check_against_pypi_eviltransform():
    evil = pytest.importorskip("eviltransform")
    rng = np.random.default_rng(7)
    for lon, lat in zip(rng.uniform(75, 135, 300), rng.uniform(18, 53, 300), strict=True):
        glat, glon = evil.wgs2gcj(lat, lon)
        # The PyPI release (0.1.1) uses the WGS84 radius 6378137 m where the published formula
        # (and its own repository's test values) use Krasovsky's 6378245 m: ~1 cm apart.
        assert dist_m(*coords.wgs84_to_gcj02(lon, lat), glon, glat) < 0.05
        blat, blon = evil.gcj2bd(glat, glon)
        assert coords.gcj02_to_bd09(glon, glat) == pytest.approx((blon, blat), abs=1e-9)
        # eviltransform's "exact" inverse stops at 1e-6 degrees (~0.1 m).
        elat, elon = evil.gcj2wgs_exact(glat, glon)
        assert dist_m(*coords.gcj02_to_wgs84(glon, glat), elon, elat) < 0.5


def test_cross_check_against_pypi_prcoords():
    prc = pytest.importorskip("prcoords")
    rng = np.random.default_rng(8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for lon, lat in zip(rng.uniform(75, 135, 300), rng.uniform(18, 53, 300), strict=True):
            g = prc.wgs_gcj((lat, lon))
            assert coords.wgs84_to_gcj02(lon, lat) == pytest.approx((g.lon, g.lat), abs=1e-9)
            b = prc.gcj_bd(g)
            assert coords.gcj02_to_bd09(g.lon, g.lat) == pytest.approx((b.lon, b.lat), abs=1e-9)
            # prcoords' iterative ("bored") inverse stops at 1e-5 degrees.
            w = prc.bd_wgs_bored((b.lat, b.lon))
            assert dist_m(*coords.bd09_to_wgs84(b.lon, b.lat), w.lon, w.lat) < 1.5
