"""load_online and the CLI's --place path, end to end against the local fake Overpass server."""

from __future__ import annotations

import pytest

from geo.network import load_online
from overpass_server import PLACE_NAME, FakeOSMServer


@pytest.fixture
def server():
    with FakeOSMServer(max_requests=100, lifetime_s=60) as srv:
        yield srv


def test_place_download_builds_the_walk_network_then_runs_offline(server, tmp_path):
    cache = tmp_path / "cache"
    kw = dict(place=PLACE_NAME, cache_dir=cache, overpass_url=server.overpass_url, nominatim_url=server.nominatim_url)
    net = load_online(**kw)
    # walk: the motorway (way 102) and the private service road (103) are left out; the
    # footway, the oneway=-1 street and the spur's first segment (3-10) stay, two-way
    assert len(net.nodes) == 10 and len(net.edges) == 9
    assert set(net.edges["highway"]) == {"residential", "footway", "tertiary"}
    assert net.edges["forward"].all() and net.edges["backward"].all()
    assert net.crs.to_epsg() == 32650  # UTM 50N for Tianjin
    # 0.001 degree of latitude ~ 111 m: the footway 2-5-8 is two segments of ~111 m
    foot = net.edges.loc[net.edges["highway"] == "footway", "length_m"]
    assert foot.sum() == pytest.approx(2 * 111.0, rel=0.01)
    drive = load_online(mode="drive", **kw)
    assert "footway" not in set(drive.edges["highway"]) and "motorway" in set(drive.edges["highway"])
    assert (~drive.edges["backward"]).sum() == 4  # motorway 102 and oneway=-1 street 203
    n = server.count()
    server.stop()
    again = load_online(crs=4548, **kw)  # served from the cache, no request possible
    assert server.count() == n and len(again.edges) == 9 and again.crs.to_epsg() == 4548


def test_cli_place_reports_missing_residential_land(server, tmp_path, capsys):
    from beichen_geo.cli import main

    code = main(["parks", "--place", PLACE_NAME, "--overpass-url", server.overpass_url,
                 "--nominatim-url", server.nominatim_url, "--cache-dir", str(tmp_path / "c"),
                 "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    # the fake area has streets and clinics but no residential land: a clear message, exit 2
    assert code == 2 and "no residential land" in err and "Traceback" not in err
    assert server.count("/api/interpreter") >= 2  # network and features were downloaded


def test_load_online_passes_the_deadline_and_size_cap_on(server, tmp_path):
    from geo.errors import NetworkError

    kw = dict(place=PLACE_NAME, cache_dir=tmp_path / "cache", overpass_url=server.overpass_url,
              nominatim_url=server.nominatim_url)
    load_online(**kw)  # geocoding and network cached
    n = server.count()
    # a cap of 1 KiB is below the ~1.7 KB network answer of another (grown) area
    with pytest.raises(NetworkError, match=r"larger than 1 KiB \(size cap"):
        load_online(buffer_m=50, max_body_mib=1 / 1024, **kw)
    assert server.count("/api/interpreter") == 2 and server.count() == n + 1
    server.drip(0.2, times=None)
    with pytest.raises(NetworkError, match=r"within 1 s \(overall deadline\)"):
        load_online(buffer_m=100, deadline_s=1, **kw)


def test_cli_download_limits_are_real_options_and_named_in_the_message(server, tmp_path, capsys):
    """--download-max-mib reaches the client; the refusal names the CLI flag that changes it."""
    from beichen_geo.cli import main

    server.pad(200_000, times=None)  # every data answer ~200 KB, above a 0.05 MiB (~52 KB) cap
    code = main(["parks", "--place", PLACE_NAME, "--overpass-url", server.overpass_url,
                 "--nominatim-url", server.nominatim_url, "--cache-dir", str(tmp_path / "c"),
                 "--download-max-mib", "0.05", "--out", str(tmp_path / "o"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "size cap" in err and "Traceback" not in err
    assert "(command line: --download-max-mib MIB)" in err
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").rglob("*.json*"))  # nothing cached
