"""Tests of geo.osm.overpass against a local fake Overpass/Nominatim server (127.0.0.1 only)."""

from __future__ import annotations

import copy
import json
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmnx as ox
import pytest
from shapely.geometry import Polygon, box

from geo.errors import InputError, NetworkError
from geo.osm import overpass as _online
from geo.osm.overpass import cache as _cache
from geo.osm.overpass import (
    features_from_polygon,
    geocode_place,
    graph_from_polygon,
    osmnx_settings,
)
from geo.osm.overpass import http as _http
from geo.osm.overpass import validate as _validate

try:
    from overpass_server import (
        AREA,
        EXPECTED_CLINICS,
        EXPECTED_EDGES,
        EXPECTED_NODES,
        NODES,
        PLACE_NAME,
        POINT_PLACE_NAME,
        WAYS,
        FakeOSMServer,
        network_elements,
        overpass_doc,
    )
except ImportError:  # tests/ imported as a package
    from tests.overpass_server import (  # type: ignore[no-redef]
        AREA,
        EXPECTED_CLINICS,
        EXPECTED_EDGES,
        EXPECTED_NODES,
        NODES,
        PLACE_NAME,
        POINT_PLACE_NAME,
        WAYS,
        FakeOSMServer,
        network_elements,
        overpass_doc,
    )

POLY = Polygon(AREA)
FAST = {"backoff_s": 0.01}  # retries without waiting


# --------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to open a connection to something other than the loopback."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def _check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in ("127.0.0.1", "::1", "localhost"):
                raise AssertionError(f"test tried to connect to {address!r}: loopback only")

    def connect(sock: socket.socket, address: Any) -> None:
        _check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        _check(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def server() -> Any:
    with FakeOSMServer(max_requests=100, lifetime_s=60) as srv:
        yield srv


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    return tmp_path / "osm-cache"


def cache_files(folder: Path) -> list[Path]:
    """Every file in the cache folder, hidden temporary files included."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def osmnx_state() -> tuple[dict[str, Any], dict[str, int], list[Any]]:
    """Values, identities and patched internals of osmnx's global state."""
    names = list(ox.settings.__annotations__)
    values = {n: copy.deepcopy(getattr(ox.settings, n)) for n in names}
    ids = {n: id(getattr(ox.settings, n)) for n in names}
    internals = [
        ox._http._save_to_cache,
        ox._http._retrieve_from_cache,
        ox._overpass.requests,
        ox._nominatim.requests,
        socket.getaddrinfo,
    ]
    return values, ids, internals


def assert_same_state(before: tuple[dict[str, Any], dict[str, int], list[Any]]) -> None:
    after = osmnx_state()
    assert after[0] == before[0]
    assert after[1] == before[1]
    assert all(a is b for a, b in zip(after[2], before[2], strict=True)), (after[2], before[2])


# --------------------------------------------------------------------------------------
# street network
# --------------------------------------------------------------------------------------


def test_graph_has_expected_nodes_edges_and_tags(server: FakeOSMServer, cache: Path) -> None:
    G = graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)

    assert G.number_of_nodes() == EXPECTED_NODES
    assert G.number_of_edges() == EXPECTED_EDGES
    assert set(G.nodes) == set(range(1, 11))  # node 10 kept by truncate_by_edge, 11 dropped
    assert str(G.graph["crs"]).lower() == "epsg:4326"
    assert G.nodes[1]["x"] == pytest.approx(117.150) and G.nodes[1]["y"] == pytest.approx(39.200)

    e = G.edges[1, 2, 0]
    assert (e["highway"], e["name"], e["osmid"]) == ("residential", "北辰道", 101)
    assert "surface" not in e  # not a useful tag: osmnx drops it
    # motorway: one-way, no reverse edge
    assert G.edges[4, 5, 0]["highway"] == "motorway" and G.edges[4, 5, 0]["ref"] == "G2"
    assert not G.has_edge(5, 4)
    # access=private is downloaded (our filter, not Overpass, excludes it later)
    assert G.edges[7, 8, 0]["access"] == "private" and G.edges[7, 8, 0]["service"] == "driveway"
    # WAY_TAGS beyond osmnx's defaults survive
    assert G.edges[2, 5, 0]["foot"] == "designated" and G.edges[2, 5, 0]["bicycle"] == "no"
    # oneway=-1: osmnx stores the way reversed
    assert G.has_edge(9, 6) and not G.has_edge(6, 9)
    assert G.edges[9, 6, 0]["cycleway"] == "opposite_lane"
    assert G.edges[1, 2, 0]["length"] == pytest.approx(86.17, abs=0.1)

    # one Overpass request, no /status rate-limit check with a custom server
    assert server.count("/api/interpreter") == 1
    assert server.count("/status") == 0
    assert server.count() == 1
    # exactly one cache entry, complete Overpass JSON
    files = cache_files(cache)
    assert len(files) == 1 and files[0].suffix == ".json"
    assert len(json.loads(files[0].read_text(encoding="utf-8"))["elements"]) == 11 + 7


def test_second_call_is_served_from_cache_without_network(
    server: FakeOSMServer, cache: Path
) -> None:
    G1 = graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)
    requests_before = server.count()
    server.stop()  # any request would now be refused

    G2 = graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url, **FAST)

    assert server.count() == requests_before == 1
    assert sorted(G2.edges(keys=True)) == sorted(G1.edges(keys=True))
    assert G2.edges[1, 2, 0]["name"] == "北辰道"
    # the cache, not some other source, answered: another cache folder needs the server
    with pytest.raises(NetworkError):
        graph_from_polygon(
            POLY, cache_dir=cache.parent / "other", overpass_url=server.overpass_url, retries=0
        )


def test_retries_on_http_errors_then_succeeds(server: FakeOSMServer, cache: Path) -> None:
    for status in (429, 500, 504):
        server.fail(status, times=1)
    G = graph_from_polygon(
        POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=3, **FAST
    )
    assert G.number_of_edges() == EXPECTED_EDGES
    assert server.count("/interpreter") == 4
    assert len(cache_files(cache)) == 1


def test_retries_are_bounded(server: FakeOSMServer, cache: Path) -> None:
    server.fail(429, times=3)  # one more failure than retries
    with pytest.raises(NetworkError, match="HTTP 429"):
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=2, **FAST
        )
    assert server.count("/interpreter") == 3


def test_backoff_grows_exponentially(
    server: FakeOSMServer, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(_http, "_sleep", pauses.append)
    server.fail(502, times=3)
    graph_from_polygon(
        POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=3, backoff_s=0.5
    )
    assert pauses == [0.5, 1.0, 2.0]


def test_retry_after_header_is_honoured(
    server: FakeOSMServer, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(_http, "_sleep", pauses.append)
    server.fail(429, times=1, retry_after=7)
    server.fail(503, times=1, retry_after=3600)  # capped
    graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=2, **FAST)
    assert pauses == [7.0, _online.MAX_BACKOFF_S]


def test_slow_answer_is_retried(server: FakeOSMServer, cache: Path) -> None:
    server.slow(6.0, times=1)
    t0 = time.monotonic()
    G = graph_from_polygon(
        POLY, cache_dir=cache, overpass_url=server.overpass_url, timeout=0.3, **FAST
    )
    assert time.monotonic() - t0 < 5.0  # gave up on the slow answer after 0.3 s
    assert G.number_of_edges() == EXPECTED_EDGES
    assert server.count("/interpreter") == 2


def test_persistent_failure_raises_clear_network_error(server: FakeOSMServer, cache: Path) -> None:
    server.fail(503, times=None)
    with pytest.raises(NetworkError) as info:
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=2, **FAST
        )
    msg = str(info.value)
    assert f"127.0.0.1:{server.port}" in msg  # names the server
    assert "street network" in msg and "3 attempt(s)" in msg and "HTTP 503" in msg  # what failed
    assert "offline from an OSM extract" in msg and "connection" in msg  # what to do
    assert info.value.option == "overpass_url"  # the argument a shell can map to its flag
    assert server.count("/interpreter") == 3
    assert cache_files(cache) == []


def test_persistent_timeout_raises_network_error(server: FakeOSMServer, cache: Path) -> None:
    server.slow(2.0, times=None)
    with pytest.raises(NetworkError, match="timeout") as info:
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, timeout=0.2, retries=1, **FAST
        )
    assert "2 attempt(s)" in str(info.value)
    assert server.count("/interpreter") == 2
    assert cache_files(cache) == []


def test_unreachable_server_raises_network_error(cache: Path) -> None:
    srv = FakeOSMServer().start()
    srv.stop()  # port closed: connection refused
    with pytest.raises(NetworkError, match="cannot connect") as info:
        graph_from_polygon(POLY, cache_dir=cache, overpass_url=srv.overpass_url, retries=1, **FAST)
    assert f"127.0.0.1:{srv.port}" in str(info.value)
    assert cache_files(cache) == []


def test_client_error_is_not_retried(server: FakeOSMServer, cache: Path) -> None:
    server.fail(400, times=None)
    with pytest.raises(NetworkError, match="refused the request with HTTP 400"):
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=3, **FAST
        )
    assert server.count("/interpreter") == 1
    assert cache_files(cache) == []


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("cut", "cut short"),
        ("invalid", "not valid JSON"),
        ("remark", "stopped early"),
    ],
)
def test_bad_body_is_never_cached(
    server: FakeOSMServer, cache: Path, how: str, message: str
) -> None:
    server.truncate(how, times=None)
    with pytest.raises(NetworkError, match=message):
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=1, **FAST
        )
    assert server.count("/interpreter") == 2
    assert cache_files(cache) == []


def test_bad_bodies_are_retried_then_the_full_answer_is_cached(
    server: FakeOSMServer, cache: Path
) -> None:
    for how in ("cut", "invalid", "remark"):
        server.truncate(how, times=1)
    G = graph_from_polygon(
        POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=3, **FAST
    )
    assert G.number_of_edges() == EXPECTED_EDGES
    assert server.count("/interpreter") == 4
    files = cache_files(cache)
    assert len(files) == 1
    assert len(json.loads(files[0].read_text(encoding="utf-8"))["elements"]) == 11 + 7


def test_corrupt_cache_file_is_discarded_and_downloaded_again(
    server: FakeOSMServer, cache: Path
) -> None:
    graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)
    (entry,) = cache_files(cache)
    text = entry.read_text(encoding="utf-8")
    entry.write_text(text[: len(text) // 2], encoding="utf-8")  # e.g. a crash mid-write

    G = graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)

    assert G.number_of_edges() == EXPECTED_EDGES
    assert server.count("/interpreter") == 2
    assert json.loads(entry.read_text(encoding="utf-8")) == json.loads(text)


def test_cached_partial_result_is_not_trusted(server: FakeOSMServer, cache: Path) -> None:
    graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)
    (entry,) = cache_files(cache)
    data = json.loads(entry.read_text(encoding="utf-8"))
    entry.write_text(
        json.dumps({**data, "elements": [], "remark": "runtime error"}), encoding="utf-8"
    )

    G = graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)
    assert G.number_of_edges() == EXPECTED_EDGES
    assert server.count("/interpreter") == 2


def test_failed_cache_write_leaves_no_file(
    server: FakeOSMServer, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_replace(src: Any, dst: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    G = graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)
    assert G.number_of_edges() == EXPECTED_EDGES  # the answer is still used
    assert cache_files(cache) == []  # no entry, no temporary file
    monkeypatch.undo()

    graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)
    assert server.count("/interpreter") == 2  # nothing had been cached
    assert len(cache_files(cache)) == 1


def test_atomic_write_keeps_old_file_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "entry.json"
    _cache._write_text(target, '{"old": 1}')
    assert json.loads(target.read_text(encoding="utf-8")) == {"old": 1}

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(InputError, match="I/O error"):  # geo.io's atomic writer names the reason
        _cache._write_text(target, '{"new": 2}')
    assert json.loads(target.read_text(encoding="utf-8")) == {"old": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["entry.json"]


def test_cache_writer_refuses_failed_or_partial_answers(tmp_path: Path) -> None:
    good = {"elements": [{"type": "node", "id": 1, "lat": 39.2, "lon": 117.15}]}
    with osmnx_settings(use_cache=True, cache_folder=tmp_path):
        _cache._save_to_cache("http://127.0.0.1/a", {**good, "remark": "runtime error"}, True)
        _cache._save_to_cache("http://127.0.0.1/b", good, False)  # HTTP status not OK
        _cache._save_to_cache("http://127.0.0.1/c", "not a document", True)
        assert cache_files(tmp_path) == []
        _cache._save_to_cache("http://127.0.0.1/d", good, True)
        assert _cache._retrieve_from_cache("http://127.0.0.1/d") == good
        assert _cache._retrieve_from_cache("http://127.0.0.1/a") is None
    with osmnx_settings(use_cache=False, cache_folder=tmp_path):
        assert _cache._retrieve_from_cache("http://127.0.0.1/d") is None
    assert len(cache_files(tmp_path)) == 1


def test_empty_network_area_raises_network_error(server: FakeOSMServer, cache: Path) -> None:
    far = box(117.30, 39.30, 117.31, 39.31)  # the server's ways all lie outside it
    with pytest.raises(NetworkError, match="no streets"):
        graph_from_polygon(far, cache_dir=cache, overpass_url=server.overpass_url)


# --------------------------------------------------------------------------------------
# refused answers, deadline, size cap
# --------------------------------------------------------------------------------------

#: Size in bytes of the network answer the fake server sends (compact JSON, as it writes it).
NETWORK_BODY_BYTES = len(json.dumps(overpass_doc(network_elements()), ensure_ascii=False).encode())


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("nolatlon", f"not Overpass JSON: {len(NODES)} nodes without lat/lon (first: node 1)"),
        ("badlat", "not Overpass JSON: 1 nodes with lat/lon out of range (first: node 1)"),
        ("waynodes", f"not Overpass JSON: {len(WAYS)} ways without a 'nodes' list"),
        ("members", "not Overpass JSON: 1 relations without a 'members' list (type, ref) "
         "(first: relation 9001)"),
        ("noelements", "not Overpass JSON: no 'elements' list"),
        ("html", "not JSON but text/html"),
    ],
)
def test_malformed_overpass_answer_is_refused_once_and_not_cached(
    server: FakeOSMServer, cache: Path, how: str, message: str
) -> None:
    server.malform(how, times=None)
    with pytest.raises(NetworkError) as info:
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=3, **FAST
        )
    msg = str(info.value)
    assert message in msg and "refused and not cached" in msg and "\n" not in msg
    assert server.count("/interpreter") == 1  # the same server would send it again: no retry
    assert cache_files(cache) == []


def test_nodes_without_lat_lon_are_not_found_in_the_cache_offline(
    server: FakeOSMServer, cache: Path
) -> None:
    server.malform("nolatlon", times=1)
    with pytest.raises(NetworkError, match="nodes without lat/lon"):
        graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url, **FAST)
    server.stop()  # offline: only the cache could answer
    with pytest.raises(NetworkError, match="cannot connect"):
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=0, **FAST
        )
    assert server.count() == 1 and cache_files(cache) == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_is_refused_and_not_cached(
    server: FakeOSMServer, cache: Path, status: int
) -> None:
    # followed, the 302 would be a GET without the query: a valid, empty Overpass document
    server.redirect(status, times=1)
    with pytest.raises(NetworkError) as info:
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=3, **FAST
        )
    msg = str(info.value)
    assert f"a redirect (HTTP {status}" in msg and "to /api/interpreter" in msg
    assert "refused and not cached" in msg and "final address" in msg
    assert server.count() == 1  # the redirect was not followed, nor retried
    assert cache_files(cache) == []
    server.stop()
    with pytest.raises(NetworkError, match="cannot connect"):  # nothing in the cache
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=0, **FAST
        )


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (lambda srv: srv.redirect(302), "a redirect (HTTP 302"),
        (lambda srv: srv.malform("nogeometry"), "1 results without a GeoJSON geometry"),
        (lambda srv: srv.malform("noelements"), "not a list of Nominatim results (Unable to"),
        (lambda srv: srv.malform("html"), "not JSON but text/html"),
    ],
)
def test_geocode_refuses_redirects_and_wrong_documents(
    server: FakeOSMServer, cache: Path, script: Any, message: str
) -> None:
    script(server)
    with pytest.raises(NetworkError, match="Nominatim server") as info:
        geocode_place(PLACE_NAME, nominatim_url=server.nominatim_url, cache_dir=cache, **FAST)
    assert message in str(info.value) and "boundary file" in str(info.value)
    assert server.count() == 1 and cache_files(cache) == []


def test_dripping_server_is_cut_off_at_the_overall_deadline(
    server: FakeOSMServer, cache: Path
) -> None:
    server.drip(0.2, times=None)  # one byte every 0.2 s: the answer would take minutes
    t0 = time.monotonic()
    with pytest.raises(NetworkError) as info:
        graph_from_polygon(
            POLY,
            cache_dir=cache,
            overpass_url=server.overpass_url,
            timeout=60,
            deadline_s=2,
            retries=3,
            **FAST,
        )
    elapsed = time.monotonic() - t0
    msg = str(info.value)
    assert f"Overpass at {server.overpass_url}/interpreter did not answer within 2 s" in msg
    assert "(overall deadline)" in msg and "deadline_s=" in msg
    assert elapsed < 10  # generous: the per-read timeout of 60 s would never have fired
    assert server.bytes_sent < NETWORK_BODY_BYTES  # cut off before the answer was complete
    assert cache_files(cache) == []


def test_deadline_spans_the_retries(server: FakeOSMServer, cache: Path) -> None:
    server.slow(5.0, times=None)
    with pytest.raises(NetworkError, match=r"within 1\.5 s \(overall deadline\)") as info:
        graph_from_polygon(
            POLY,
            cache_dir=cache,
            overpass_url=server.overpass_url,
            timeout=0.6,
            deadline_s=1.5,
            retries=10,
            **FAST,
        )
    # 0.6 s attempts in a 1.5 s deadline: three at most, not the 11 the retries allow (at
    # least one; a CPU-starved test process may not get to start the second in time)
    assert 1 <= server.count("/interpreter") <= 3
    assert "no answer within the 0.6 s timeout" in str(info.value)


def test_pause_past_the_deadline_is_not_taken(
    server: FakeOSMServer, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(_http, "_sleep", pauses.append)
    server.fail(429, times=1, retry_after=30)
    with pytest.raises(NetworkError, match=r"within 5 s \(overall deadline\) after 1 attempt"):
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, deadline_s=5, retries=2
        )
    assert pauses == [] and server.count("/interpreter") == 1


def test_out_of_memory_remark_is_not_retried(
    server: FakeOSMServer, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = sys.modules[FakeOSMServer.__module__]  # overpass_server, however it was imported
    real = fake.overpass_doc
    oom = "runtime error: Query run out of memory using about 2048 MB of RAM."
    monkeypatch.setattr(fake, "overpass_doc", lambda el, remark=None: real(el, remark=oom))
    server.pad(2**20, times=None)  # a big partial answer: reading it four times is waste
    with pytest.raises(NetworkError, match="out of memory") as info:
        graph_from_polygon(
            POLY, cache_dir=cache, overpass_url=server.overpass_url, retries=3, **FAST
        )
    assert "refused and not cached" in str(info.value) and "[maxsize:" in str(info.value)
    assert server.count("/interpreter") == 1 and cache_files(cache) == []


@pytest.mark.parametrize("announce", [True, False], ids=["content-length", "unannounced"])
def test_body_over_the_size_cap_is_refused_and_read_once(
    server: FakeOSMServer, cache: Path, announce: bool
) -> None:
    body_bytes = 5 * 2**20
    server.pad(body_bytes, announce=announce, times=None)
    with pytest.raises(NetworkError) as info:
        graph_from_polygon(
            POLY,
            cache_dir=cache,
            overpass_url=server.overpass_url,
            max_body_mib=1,
            retries=3,
            **FAST,
        )
    msg = str(info.value)
    assert "response larger than 1 MiB (size cap" in msg and "max_body_mib=" in msg
    assert ("nothing read" in msg) is announce
    assert server.count("/interpreter") == 1  # not retried: one request, not four
    assert server.bytes_sent < 2 * body_bytes  # at most one body went out (before: four)
    assert cache_files(cache) == []


def test_answer_under_the_cap_is_cached_and_works_offline(
    server: FakeOSMServer, cache: Path
) -> None:
    server.pad(2 * 2**20, announce=False, times=1)
    G = graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url, max_body_mib=3)
    assert G.number_of_nodes() == EXPECTED_NODES and G.number_of_edges() == EXPECTED_EDGES
    (entry,) = cache_files(cache)
    assert len(json.loads(entry.read_text(encoding="utf-8"))["padding"]) == 2 * 2**20
    server.stop()
    again = graph_from_polygon(
        POLY, cache_dir=cache, overpass_url=server.overpass_url, max_body_mib=3, retries=0
    )
    assert sorted(again.edges(keys=True)) == sorted(G.edges(keys=True))
    assert server.count() == 1


def test_cache_entry_that_fails_the_checks_is_downloaded_again(
    server: FakeOSMServer, cache: Path
) -> None:
    # an entry an older version cached: nodes without lat/lon
    graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)
    (entry,) = cache_files(cache)
    data = json.loads(entry.read_text(encoding="utf-8"))
    for el in data["elements"]:
        el.pop("lat", None)
    entry.write_text(json.dumps(data), encoding="utf-8")

    G = graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)
    assert G.number_of_edges() == EXPECTED_EDGES
    assert server.count("/interpreter") == 2
    healed = json.loads(entry.read_text(encoding="utf-8"))["elements"]
    assert all("lat" in el for el in healed if el["type"] == "node")


@pytest.mark.parametrize(
    ("element", "problem"),
    [
        ({"type": "node", "id": 1, "lat": True, "lon": 117.0}, "lat/lon are not numbers"),
        ({"type": "node", "id": 1, "lat": "39.2", "lon": 117.0}, "lat/lon are not numbers"),
        ({"type": "node", "id": 1, "lat": 39.2, "lon": 217.0}, "lat/lon out of range"),
        ({"type": "node", "id": 1, "lat": float("nan"), "lon": 117.0}, "not numbers"),
        ({"type": "node", "id": "1", "lat": 39.2, "lon": 117.0}, "type and an integer id"),
        ({"type": "way", "id": 2}, "ways without a 'nodes' list"),
        ({"type": "way", "id": 2, "nodes": [1, 2.5]}, "ways without a 'nodes' list"),
        ({"type": "relation", "id": 3, "members": [{"type": "way"}]}, "relations without"),
        ("node", "without a type and an integer id"),
    ],
)
def test_overpass_check_names_each_problem(element: Any, problem: str) -> None:
    good = {"type": "node", "id": 9, "lat": 39.2, "lon": 117.15}
    result = _validate._check_overpass({"elements": [good, element, element]})
    assert result is not None and result.startswith("response is not Overpass JSON: 2 ")
    assert problem in result
    way = {"type": "way", "id": 2, "nodes": [9]}
    relation = {"type": "relation", "id": 3, "members": [{"type": "way", "ref": 2, "role": ""}]}
    assert _validate._check_overpass({"elements": [good, way, relation]}) is None


# --------------------------------------------------------------------------------------
# features
# --------------------------------------------------------------------------------------


def test_features_are_returned_with_tags(server: FakeOSMServer, cache: Path) -> None:
    gdf = features_from_polygon(
        POLY, {"amenity": "clinic"}, cache_dir=cache, overpass_url=server.overpass_url
    )

    assert isinstance(gdf, gpd.GeoDataFrame)
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
    assert list(gdf.index.names) == ["element", "id"]
    assert set(gdf.index) == EXPECTED_CLINICS  # no school, no clinic outside the area
    assert (gdf["amenity"] == "clinic").all()
    assert gdf.loc[("node", 1001), "name"] == "北辰社区卫生服务中心"
    assert gdf.loc[("node", 1001), "healthcare"] == "clinic"
    assert gdf.loc[("way", 3001)].geometry.geom_type == "Polygon"
    assert gdf.loc[("way", 3001), "building"] == "yes"
    assert server.count("/interpreter") == 1 and server.count("/status") == 0

    server.stop()  # second call: from the cache
    again = features_from_polygon(
        POLY, {"amenity": "clinic"}, cache_dir=cache, overpass_url=server.overpass_url, retries=0
    )
    assert set(again.index) == EXPECTED_CLINICS
    assert server.count() == 1


def test_features_with_several_tags(server: FakeOSMServer, cache: Path) -> None:
    gdf = features_from_polygon(
        POLY, {"amenity": ["clinic", "school"]}, cache_dir=cache, overpass_url=server.overpass_url
    )
    assert set(gdf.index) == EXPECTED_CLINICS | {("node", 1003)}


def test_no_matching_features_gives_empty_frame(server: FakeOSMServer, cache: Path) -> None:
    gdf = features_from_polygon(
        POLY, {"amenity": "library"}, cache_dir=cache, overpass_url=server.overpass_url
    )
    assert isinstance(gdf, gpd.GeoDataFrame)
    assert len(gdf) == 0
    assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
    assert "geometry" in gdf.columns and list(gdf.index.names) == ["element", "id"]
    assert server.count("/interpreter") == 1


def test_features_persistent_failure(server: FakeOSMServer, cache: Path) -> None:
    server.fail(500, times=None)
    with pytest.raises(NetworkError, match="OSM features") as info:
        features_from_polygon(
            POLY,
            {"amenity": "clinic"},
            cache_dir=cache,
            overpass_url=server.overpass_url,
            retries=1,
            **FAST,
        )
    assert f"127.0.0.1:{server.port}" in str(info.value)
    assert cache_files(cache) == []


# --------------------------------------------------------------------------------------
# geocoding
# --------------------------------------------------------------------------------------


def test_geocode_returns_polygon_and_caches(server: FakeOSMServer, cache: Path) -> None:
    geom = geocode_place(PLACE_NAME, nominatim_url=server.nominatim_url, cache_dir=cache)
    assert geom.geom_type == "Polygon"
    assert geom.equals(POLY)
    assert server.count("/nominatim/search") == 1

    server.stop()
    again = geocode_place(
        PLACE_NAME, nominatim_url=server.nominatim_url, cache_dir=cache, retries=0
    )
    assert again.equals(POLY)
    assert server.count() == 1


def test_geocode_retries(server: FakeOSMServer, cache: Path) -> None:
    server.fail(502, times=1)
    geom = geocode_place(PLACE_NAME, nominatim_url=server.nominatim_url, cache_dir=cache, **FAST)
    assert geom.equals(POLY)
    assert server.count("/search") == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Atlantis", "found no place"),
        (POINT_PLACE_NAME, "only as a point"),
    ],
)
def test_geocode_unusable_answers(
    server: FakeOSMServer, cache: Path, name: str, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        geocode_place(name, nominatim_url=server.nominatim_url, cache_dir=cache)


def test_geocode_persistent_failure(server: FakeOSMServer, cache: Path) -> None:
    server.truncate("invalid", times=None)
    with pytest.raises(NetworkError, match="Nominatim server") as info:
        geocode_place(
            PLACE_NAME, nominatim_url=server.nominatim_url, cache_dir=cache, retries=1, **FAST
        )
    assert "boundary file" in str(info.value) and "Beichen" in str(info.value)
    assert cache_files(cache) == []


# --------------------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------------------


def test_calls_leave_osmnx_state_unchanged(server: FakeOSMServer, cache: Path) -> None:
    before = osmnx_state()
    graph_from_polygon(POLY, cache_dir=cache, overpass_url=server.overpass_url)
    features_from_polygon(
        POLY, {"amenity": "clinic"}, cache_dir=cache, overpass_url=server.overpass_url
    )
    geocode_place(PLACE_NAME, nominatim_url=server.nominatim_url, cache_dir=cache)
    server.fail(500, times=None)
    with pytest.raises(NetworkError):
        graph_from_polygon(POLY, cache_dir=cache / "x", overpass_url=server.overpass_url, retries=0)
    assert_same_state(before)
    assert ox.settings.overpass_url != server.overpass_url


def test_osmnx_settings_restores_everything(tmp_path: Path) -> None:
    before = osmnx_state()
    tags_list = ox.settings.useful_tags_way
    with (
        pytest.raises(RuntimeError, match="boom"),
        osmnx_settings(use_cache=False, cache_folder=tmp_path, overpass_rate_limit=False) as s,
    ):
        assert s is ox.settings
        assert (s.use_cache, s.cache_folder, s.overpass_rate_limit) == (False, tmp_path, False)
        ox.settings.useful_tags_way.append("not-a-tag")  # in-place edits are undone too
        ox.settings.requests_kwargs["verify"] = False
        ox.settings.log_console = True  # so are settings changed without an override
        with osmnx_settings(use_cache=True):  # nesting
            assert ox.settings.use_cache is True
        assert ox.settings.use_cache is False
        raise RuntimeError("boom")
    assert_same_state(before)
    assert ox.settings.useful_tags_way is tags_list and "not-a-tag" not in tags_list


def test_osmnx_settings_rejects_unknown_names() -> None:
    before = osmnx_state()
    with (
        pytest.raises(TypeError, match="overpas_url"),
        osmnx_settings(overpas_url="http://127.0.0.1:1/api"),
    ):
        pass  # pragma: no cover
    assert_same_state(before)


# --------------------------------------------------------------------------------------
# argument checks (no network)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"polygon_wgs84": box(500000, 4300000, 501000, 4301000)}, "EPSG:4326"),
        ({"polygon_wgs84": "Beichen"}, "Polygon or MultiPolygon"),
        ({"polygon_wgs84": Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])}, "not a valid polygon"),
        ({"overpass_url": "127.0.0.1:8080/api"}, "http"),
        ({"retries": -1}, "retries"),
        ({"timeout": 0}, "timeout"),
        ({"deadline_s": 0}, "deadline_s"),
        ({"deadline_s": float("inf")}, "deadline_s"),
        ({"max_body_mib": -1}, "max_body_mib"),
    ],
)
def test_graph_argument_errors(cache: Path, kwargs: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {
        "polygon_wgs84": POLY,
        "cache_dir": cache,
        "overpass_url": "http://127.0.0.1:9/api",
    }
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        graph_from_polygon(**args)


@pytest.mark.parametrize("tags", [{}, {"amenity": 3}, {"amenity": []}, ["amenity"]])
def test_features_tag_errors(cache: Path, tags: Any) -> None:
    with pytest.raises(InputError, match="tags must be"):
        features_from_polygon(POLY, tags, cache_dir=cache, overpass_url="http://127.0.0.1:9/api")


def test_geocode_empty_name(cache: Path) -> None:
    with pytest.raises(InputError, match="non-empty"):
        geocode_place("  ", cache_dir=cache, nominatim_url="http://127.0.0.1:9/")


# --------------------------------------------------------------------------------------
# the fake server itself
# --------------------------------------------------------------------------------------


def test_fake_server_is_bounded() -> None:
    with FakeOSMServer(max_requests=1) as srv:
        with urllib.request.urlopen(f"{srv.overpass_url}/status", timeout=5) as r:
            assert b"slots available" in r.read()
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{srv.overpass_url}/status", timeout=5)
        assert info.value.code == 503
        deadline = time.monotonic() + 5
        while not srv.stopped and time.monotonic() < deadline:
            time.sleep(0.01)
        assert srv.stopped
    with FakeOSMServer(lifetime_s=0.1) as srv:
        deadline = time.monotonic() + 5
        while not srv.stopped and time.monotonic() < deadline:
            time.sleep(0.01)
        assert srv.stopped
        with pytest.raises(urllib.error.URLError):
            urllib.request.urlopen(f"{srv.overpass_url}/status", timeout=5)
