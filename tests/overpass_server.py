"""A small local stand-in for the Overpass and Nominatim APIs, for tests without internet.

:class:`FakeOSMServer` is a threaded ``http.server`` bound to 127.0.0.1 on an ephemeral port.
It answers

- ``POST|GET {overpass_url}/interpreter`` (form field or query parameter ``data``) with
  Overpass JSON: the street network of :data:`WAYS` for a ``way["highway"]`` query, or the
  elements matching the ``['key'='value']`` / ``['key']`` filters of an osmnx features query
  (ways come with their nodes);
- ``GET {overpass_url}/status`` with an Overpass status text (slots available);
- ``GET {nominatim_url}/search?q=...`` with Nominatim ``format=json`` results: a polygon
  (GeoJSON) for :data:`PLACE_NAME`, a point for :data:`POINT_PLACE_NAME`, nothing otherwise.

Failures can be scripted for the next data requests (interpreter and search):
:meth:`FakeOSMServer.fail` (HTTP status), :meth:`~FakeOSMServer.slow` (answer after a delay),
:meth:`~FakeOSMServer.truncate` (body cut short, invalid JSON, or an Overpass runtime-error
remark), :meth:`~FakeOSMServer.drip` (body sent one byte at a time),
:meth:`~FakeOSMServer.redirect` (a 3xx to the same path without the query, as a POST turned
into a GET would arrive), :meth:`~FakeOSMServer.malform` (well-formed JSON of the wrong shape,
or an HTML page with HTTP 200) and :meth:`~FakeOSMServer.pad` (a valid answer padded to a
given size). Every request is logged and every body byte written is counted
(:attr:`FakeOSMServer.bytes_sent`). The server is bounded: it stops by itself after
``max_requests`` requests or ``lifetime_s`` seconds, whichever comes first.

The data: a 3x3 grid of nodes near Beichen, Tianjin (117.150-117.152 E, 39.200-39.202 N,
0.001 degree apart) joined by three east-west and three north-south ways, plus a spur that
leaves :data:`AREA` eastwards; clinics (two nodes and a building way) and a school.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: Download area used by the tests (lon/lat ring): holds the grid and two clinics.
AREA = [
    (117.148, 39.198),
    (117.156, 39.198),
    (117.156, 39.206),
    (117.148, 39.206),
    (117.148, 39.198),
]

#: Street nodes: id -> (lon, lat). Grid ids 1-9 row by row from the south-west corner;
#: 10 lies just outside AREA (kept by truncate_by_edge), 11 further out (dropped).
NODES: dict[int, tuple[float, float]] = {
    1 + 3 * row + col: (round(117.150 + 0.001 * col, 6), round(39.200 + 0.001 * row, 6))
    for row in range(3)
    for col in range(3)
}
NODES[10] = (117.1575, 39.200)
NODES[11] = (117.1590, 39.200)

#: Street ways: id -> (node ids, tags).
WAYS: dict[int, tuple[list[int], dict[str, str]]] = {
    101: ([1, 2, 3], {"highway": "residential", "name": "北辰道", "surface": "asphalt"}),
    102: ([4, 5, 6], {"highway": "motorway", "oneway": "yes", "name": "京津高速", "ref": "G2"}),
    103: ([7, 8, 9], {"highway": "service", "access": "private", "service": "driveway"}),
    201: ([1, 4, 7], {"highway": "residential", "name": "龙泉道"}),
    202: ([2, 5, 8], {"highway": "footway", "foot": "designated", "bicycle": "no"}),
    203: ([3, 6, 9], {"highway": "residential", "oneway": "-1", "cycleway": "opposite_lane"}),
    104: ([3, 10, 11], {"highway": "tertiary", "name": "宜兴埠路"}),
}

#: Graph osmnx must build from WAYS in AREA (simplify=False, retain_all, truncate_by_edge):
#: nodes 1-10; two-way ways give both directions, one-way ways (102, 203) one direction.
EXPECTED_NODES = 10
EXPECTED_EDGES = 4 + 2 + 4 + 4 + 4 + 2 + 2

#: Feature elements (OSM JSON), returned when a query asks for one of their tags.
FEATURE_NODES: list[dict[str, Any]] = [
    {
        "type": "node",
        "id": 1001,
        "lon": 117.1505,
        "lat": 39.2005,
        "tags": {"amenity": "clinic", "name": "北辰社区卫生服务中心", "healthcare": "clinic"},
    },
    {
        "type": "node",
        "id": 1002,
        "lon": 117.1515,
        "lat": 39.2015,
        "tags": {"amenity": "clinic", "name": "果园新村诊所"},
    },
    {
        "type": "node",
        "id": 1003,
        "lon": 117.1512,
        "lat": 39.2008,
        "tags": {"amenity": "school", "name": "北辰小学"},
    },
    # a clinic outside AREA: osmnx drops it
    {
        "type": "node",
        "id": 1004,
        "lon": 117.170,
        "lat": 39.220,
        "tags": {"amenity": "clinic", "name": "Far away clinic"},
    },
    # building outline nodes (no tags)
    {"type": "node", "id": 2001, "lon": 117.1530, "lat": 39.2030},
    {"type": "node", "id": 2002, "lon": 117.1534, "lat": 39.2030},
    {"type": "node", "id": 2003, "lon": 117.1534, "lat": 39.2034},
    {"type": "node", "id": 2004, "lon": 117.1530, "lat": 39.2034},
]
FEATURE_WAYS: list[dict[str, Any]] = [
    {
        "type": "way",
        "id": 3001,
        "nodes": [2001, 2002, 2003, 2004, 2001],
        "tags": {"amenity": "clinic", "building": "yes", "name": "北辰医院门诊部"},
    },
]
#: Features in AREA for {"amenity": "clinic"}: (element, id) index values.
EXPECTED_CLINICS = {("node", 1001), ("node", 1002), ("way", 3001)}

PLACE_NAME = "Beichen District, Tianjin, China"
POINT_PLACE_NAME = "Tianjin Railway Station"


def overpass_doc(elements: list[dict[str, Any]], *, remark: str | None = None) -> dict[str, Any]:
    """An Overpass API JSON document holding ``elements``."""
    doc: dict[str, Any] = {
        "version": 0.6,
        "generator": "Overpass API 0.7.62 (fake for tests)",
        "osm3s": {
            "timestamp_osm_base": "2024-05-01T00:00:00Z",
            "copyright": "The data included in this document is from www.openstreetmap.org.",
        },
        "elements": elements,
    }
    if remark is not None:
        doc["remark"] = remark
    return doc


def network_elements() -> list[dict[str, Any]]:
    """Nodes and ways of the street network, as Overpass ``out;`` lists them."""
    nodes = [{"type": "node", "id": i, "lat": lat, "lon": lon} for i, (lon, lat) in NODES.items()]
    nodes[0]["tags"] = {"highway": "traffic_signals"}
    ways = [{"type": "way", "id": i, "nodes": nds, "tags": tags} for i, (nds, tags) in WAYS.items()]
    return nodes + ways


_TAG_FILTER = re.compile(r"""\[(['"])([^'"]+)\1(?:=(['"])([^'"]*)\3)?\]""")


def feature_elements(query: str) -> list[dict[str, Any]]:
    """Feature elements matching any ``['key'='value']`` or ``['key']`` filter of ``query``."""
    wanted = [(m.group(2), m.group(4)) for m in _TAG_FILTER.finditer(query)]

    def match(el: dict[str, Any]) -> bool:
        tags = el.get("tags", {})
        return any(k in tags and (v is None or tags[k] == v) for k, v in wanted)

    ways = [w for w in FEATURE_WAYS if match(w)]
    needed = {n for w in ways for n in w["nodes"]}
    nodes = [n for n in FEATURE_NODES if match(n) or n["id"] in needed]
    return nodes + ways


def nominatim_results(q: str) -> list[dict[str, Any]]:
    """Nominatim ``format=json&polygon_geojson=1`` results for the query ``q``."""
    if q == PLACE_NAME:
        return [
            {
                "place_id": 1,
                "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
                "osm_type": "relation",
                "osm_id": 3180487,
                "boundingbox": ["39.198", "39.206", "117.148", "117.156"],
                "lat": "39.202",
                "lon": "117.152",
                "display_name": "北辰区, 天津市, 中国",
                "class": "boundary",
                "type": "administrative",
                "importance": 0.6,
                "geojson": {"type": "Polygon", "coordinates": [[list(p) for p in AREA]]},
            }
        ]
    if q == POINT_PLACE_NAME:
        return [
            {
                "place_id": 2,
                "licence": "Data © OpenStreetMap contributors, ODbL 1.0.",
                "osm_type": "node",
                "osm_id": 42,
                "boundingbox": ["39.13", "39.14", "117.20", "117.21"],
                "lat": "39.136",
                "lon": "117.205",
                "display_name": "天津站",
                "class": "railway",
                "type": "station",
                "importance": 0.5,
                "geojson": {"type": "Point", "coordinates": [117.205, 39.136]},
            }
        ]
    return []


@dataclass(frozen=True)
class Logged:
    """One request received by the server."""

    method: str
    path: str
    query: str


#: Ways of spoiling an answer's shape with :meth:`FakeOSMServer.malform`.
MALFORMS = ("nolatlon", "badlat", "waynodes", "members", "noelements", "nogeometry", "html")


@dataclass(frozen=True)
class _Action:
    # "ok", "status", "slow", "cut", "invalid", "remark", "drip", "redirect", "malform", "pad"
    kind: str
    status: int = 200
    delay_s: float = 0.0
    retry_after: float | None = None
    how: str = ""
    size_bytes: int = 0
    announce: bool = True  # send a Content-Length header


_OK = _Action("ok")


class FakeOSMServer:
    """Threaded Overpass + Nominatim test server on 127.0.0.1 (see the module docstring).

    Parameters
    ----------
    max_requests
        The server stops by itself after this many requests (later ones are refused).
    lifetime_s
        The server stops by itself after this many seconds.

    Examples
    --------
    >>> with FakeOSMServer() as srv:  # doctest: +SKIP
    ...     srv.fail(504, times=2)
    ...     G = graph_from_polygon(poly, overpass_url=srv.overpass_url, cache_dir=tmp)
    """

    def __init__(self, *, max_requests: int = 200, lifetime_s: float = 60.0) -> None:
        self.max_requests = max_requests
        self.lifetime_s = lifetime_s
        self.log: list[Logged] = []
        #: Body bytes written to clients so far (all requests).
        self.bytes_sent = 0
        self._lock = threading.Lock()
        self._script: deque[_Action] = deque()
        self._default = _OK
        self._stopping = False
        self._stopped = threading.Event()  # set once the port is closed
        handler = type("_Handler", (_Handler,), {"owner": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False  # do not wait for slow answers on close
        self.port: int = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._timer = threading.Timer(lifetime_s, self.stop)
        self._timer.daemon = True

    # -- life cycle -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def overpass_url(self) -> str:
        return f"{self.base_url}/api"

    @property
    def nominatim_url(self) -> str:
        return f"{self.base_url}/nominatim/"

    def start(self) -> FakeOSMServer:
        self._thread.start()
        self._timer.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port (idempotent; later connections are refused)."""
        with self._lock:
            first = not self._stopping
            self._stopping = True
        if not first:  # another thread is closing: wait until the port is closed
            self._stopped.wait(timeout=5)
            return
        self._timer.cancel()
        if self._thread.is_alive():
            self._httpd.shutdown()
        self._httpd.server_close()
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        """True once the port is closed."""
        return self._stopped.is_set()

    def __enter__(self) -> FakeOSMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting --------------------------------------------------------------------
    def _queue(self, action: _Action, times: int | None) -> None:
        with self._lock:
            if times is None:
                self._default = action
            else:
                self._script.extend([action] * times)

    def fail(self, status: int, *, times: int | None = 1, retry_after: float | None = None) -> None:
        """Answer the next ``times`` data requests (``None``: all) with HTTP ``status``.

        ``retry_after`` adds a ``Retry-After`` header (seconds).
        """
        self._queue(_Action("status", status=status, retry_after=retry_after), times)

    def slow(self, delay_s: float, *, times: int | None = 1) -> None:
        """Answer the next ``times`` data requests (``None``: all) after ``delay_s`` seconds."""
        self._queue(_Action("slow", delay_s=delay_s), times)

    def truncate(self, how: str = "cut", *, times: int | None = 1) -> None:
        """Spoil the next ``times`` data answers (``None``: all).

        ``how``: ``"cut"`` (connection closed half-way through the announced body),
        ``"invalid"`` (complete HTTP answer whose JSON is cut in half) or ``"remark"``
        (Overpass runtime-error remark with half the elements).
        """
        if how not in ("cut", "invalid", "remark"):
            raise ValueError(f"how must be 'cut', 'invalid' or 'remark', got {how!r}")
        self._queue(_Action(how), times)

    def drip(self, interval_s: float, *, times: int | None = 1) -> None:
        """Send the next ``times`` data answers one body byte every ``interval_s`` seconds."""
        self._queue(_Action("drip", delay_s=interval_s), times)

    def redirect(self, status: int = 302, *, times: int | None = 1) -> None:
        """Answer the next ``times`` data requests with a ``status`` redirect.

        The ``Location`` is the same path without query or body, so a client that follows
        it (a 302 turns a POST into a GET) asks an empty query and gets a valid-looking but
        wrong document (no elements, no places).
        """
        if not 300 <= status < 400:
            raise ValueError(f"status must be a 3xx code, got {status}")
        self._queue(_Action("redirect", status=status), times)

    def malform(self, how: str, *, times: int | None = 1) -> None:
        """Answer the next ``times`` data requests with a document of the wrong shape.

        ``how`` (see :data:`MALFORMS`): ``"nolatlon"`` (Overpass nodes without lat/lon),
        ``"badlat"`` (a node latitude of 139.2), ``"waynodes"`` (way node ids as strings),
        ``"members"`` (a relation without ``members``), ``"noelements"`` (a JSON object
        without ``elements``), ``"nogeometry"`` (Nominatim results without ``geojson``) or
        ``"html"`` (an HTML error page with HTTP 200).
        """
        if how not in MALFORMS:
            raise ValueError(f"how must be one of {MALFORMS}, got {how!r}")
        self._queue(_Action("malform", how=how), times)

    def pad(self, size_bytes: int, *, announce: bool = True, times: int | None = 1) -> None:
        """Pad the next ``times`` data answers to at least ``size_bytes`` (valid JSON).

        ``announce=False`` sends no ``Content-Length`` (the body ends when the connection
        closes), so a client only learns the size by reading.
        """
        self._queue(_Action("pad", size_bytes=size_bytes, announce=announce), times)

    def heal(self) -> None:
        """Drop every scripted failure: answer normally again."""
        with self._lock:
            self._script.clear()
            self._default = _OK

    def _next_action(self) -> _Action:
        with self._lock:
            return self._script.popleft() if self._script else self._default

    # -- inspection -------------------------------------------------------------------
    def count(self, endpoint: str | None = None) -> int:
        """Requests received so far, all or those whose path ends with ``endpoint``."""
        with self._lock:
            return sum(1 for r in self.log if endpoint is None or r.path.endswith(endpoint))

    def _sent(self, n: int) -> None:
        with self._lock:
            self.bytes_sent += n

    def _record(self, entry: Logged) -> bool:
        """Log a request; False (and stop the server) once ``max_requests`` is exceeded."""
        with self._lock:
            self.log.append(entry)
            over = len(self.log) > self.max_requests
        if over:
            threading.Thread(target=self.stop, daemon=True).start()
        return not over


class _Handler(BaseHTTPRequestHandler):
    owner: FakeOSMServer
    server_version = "FakeOSM/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # silence stderr
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        self._handle("GET", parts.path, parts.query)

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8") if length else ""
        self._handle("POST", parts.path, body)

    def _send(
        self,
        status: int,
        body: bytes,
        *,
        ctype: str = "application/json",
        length: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", ctype)
        if length != -1:  # -1: no Content-Length, the body ends when the connection closes
            self.send_header("Content-Length", str(len(body) if length is None else length))
        else:
            self.close_connection = True
        self.end_headers()
        step = 1 << 16
        for start in range(0, len(body), step):
            self.wfile.write(body[start : start + step])
            self.owner._sent(len(body[start : start + step]))

    def _handle(self, method: str, path: str, params: str) -> None:
        srv = self.owner
        if not srv._record(Logged(method, path, params)):
            self._send(503, b"request limit of the test server reached", ctype="text/plain")
            return
        try:
            if path.endswith("/status"):
                text = (
                    "Connected as: 1\nCurrent time: 2024-05-01T00:00:00Z\n"
                    "Announced endpoint: none\n"
                    "Rate limit: 2\n2 slots available now.\nCurrently running queries:\n"
                )
                self._send(200, text.encode(), ctype="text/plain")
                return
            if path.endswith("/interpreter"):
                query = parse_qs(params).get("data", [""])[0]
                if 'way["highway"]' in query:
                    elements = network_elements()
                elif query:
                    elements = feature_elements(query)
                else:  # e.g. a POST turned into a GET by a followed redirect
                    elements = []
                payload: Any = overpass_doc(elements)
            elif path.endswith("/search"):
                payload = nominatim_results(parse_qs(params).get("q", [""])[0])
            else:
                self._send(404, b"not found", ctype="text/plain")
                return
            self._answer(srv._next_action(), payload)
        except (BrokenPipeError, ConnectionResetError):  # client gave up (timeout)
            pass

    def _answer(self, action: _Action, payload: Any) -> None:
        if action.kind == "status":
            extra = {} if action.retry_after is None else {"Retry-After": f"{action.retry_after:g}"}
            body = f"<html><body>HTTP {action.status}</body></html>".encode()
            self._send(action.status, body, ctype="text/html", headers=extra)
            return
        if action.kind == "slow":
            time.sleep(action.delay_s)
        if action.kind == "redirect":
            body = b"<html><body>moved</body></html>"
            moved = {"Location": self.path_only}
            self._send(action.status, body, ctype="text/html", headers=moved)
            return
        if action.kind == "malform":
            if action.how == "html":
                body = b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>"
                self._send(200, body, ctype="text/html; charset=utf-8")
                return
            payload = _malformed(payload, action.how)
        if action.kind == "pad":
            payload = dict(payload) if isinstance(payload, dict) else {"results": payload}
            payload["padding"] = "x" * action.size_bytes
            body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
            self._send(200, body, length=None if action.announce else -1)
            return
        if action.kind == "remark" and isinstance(payload, dict):
            payload = overpass_doc(
                payload["elements"][: len(payload["elements"]) // 2],
                remark='runtime error: Query timed out in "query" at line 1 after 1 seconds.',
            )
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        if action.kind == "cut":
            # announce the full length, send half, close: the client sees a short read
            self._send(200, body[: len(body) // 2], length=len(body))
            self.close_connection = True
            return
        if action.kind == "invalid":
            self._send(200, body[: len(body) // 2])
            return
        if action.kind == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            for i in range(len(body)):
                if self.owner.stopped:
                    return
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                self.owner._sent(1)
                time.sleep(action.delay_s)
            return
        self._send(200, body)

    @property
    def path_only(self) -> str:
        """The request path without its query string."""
        return urlsplit(self.path).path


def _malformed(payload: Any, how: str) -> Any:
    """``payload`` (Overpass document or Nominatim results) spoiled as :meth:`malform` says."""
    payload = json.loads(json.dumps(payload))  # deep copy
    if isinstance(payload, list):  # Nominatim
        if how == "nogeometry":
            for result in payload:
                result.pop("geojson", None)
            return payload
        return {"error": "Unable to geocode"} if how == "noelements" else payload
    elements = payload["elements"]
    if how == "noelements":
        return {k: v for k, v in payload.items() if k != "elements"}
    if how == "nolatlon":
        for el in elements:
            if el["type"] == "node":
                el.pop("lat", None)
                el.pop("lon", None)
    elif how == "badlat":
        next(el for el in elements if el["type"] == "node")["lat"] = 139.2
    elif how == "waynodes":
        for el in elements:
            if el["type"] == "way":
                el["nodes"] = [str(n) for n in el["nodes"]]
    elif how == "members":
        elements.append({"type": "relation", "id": 9001, "tags": {"type": "multipolygon"}})
    return payload
