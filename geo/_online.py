"""Download street networks, features and place boundaries from OSM web services.

Thin, safer wrappers around osmnx (Overpass and Nominatim APIs):

- every call runs inside :func:`osmnx_settings`, so ``osmnx.settings`` is left exactly as it
  was found (values *and* list/dict contents), even when the call fails;
- HTTP answers are cached in ``cache_dir`` (osmnx's cache format: one JSON file per request,
  named by the SHA-1 of the request URL), so a second identical call needs no network;
- timeouts, connection errors, truncated bodies and HTTP 429/5xx answers are retried with
  exponential backoff, then turned into a :class:`~geo._errors.NetworkError` that names the
  server, what failed and what to do;
- one wall-clock deadline (``deadline_s``) bounds a whole call: connections, every read
  (a server dripping bytes cannot hold it), retries and pauses; ``timeout`` bounds one
  attempt the same way;
- bodies are streamed and read once, up to a size cap (``max_body_mib``, 256 MiB by default);
- answers are refused, not retried and never cached when they cannot be right: a redirect
  (any 3xx: requests would turn the POST query into a GET that answers another document), a
  body over the size cap, a non-JSON content type or HTML page, and JSON of the wrong shape
  (Overpass: an ``elements`` list, nodes with numeric lat/lon in range, ways with a ``nodes``
  list of ids, relations with ``members``; Nominatim: a list of results with a GeoJSON
  geometry). An Overpass runtime-error ``remark`` (partial result) is retried;
- a cache file never holds a partial, failed or refused answer: entries are checked as
  downloads are, written to a temporary file and renamed, and entries that are unreadable or
  fail the checks are discarded (and downloaded again) on read.

Why the patches
---------------
osmnx 2.1 writes cache files with ``Path.write_text`` (not atomic: a crash leaves a truncated
file that then fails on every later read with a ``JSONDecodeError``), retries HTTP 429/504
forever with a fixed 55 s pause, passes other 5xx answers and Overpass runtime-error
"remarks" (partial results) on as data, and replaces ``socket.getaddrinfo`` for good. Within
our calls those internals are replaced, and restored afterwards:

- ``osmnx._http._save_to_cache`` / ``_retrieve_from_cache`` by atomic / validating versions;
- the ``requests`` module seen by ``osmnx._overpass`` and ``osmnx._nominatim`` by a shim whose
  ``get``/``post`` retry and only return complete, well-formed JSON answers (osmnx itself
  follows redirects and waits ``requests_timeout`` per socket read, not per answer);
- ``socket.getaddrinfo`` is put back as it was.

The patches are process-wide while a call runs; a lock serialises the calls of this module
(and of :func:`osmnx_settings`) between threads.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import math
import os
import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
import urllib3

from ._errors import InputError, NetworkError
from .osm_filters import WAY_TAGS

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx
    from shapely.geometry import MultiPolygon, Polygon

__all__ = ["features_from_polygon", "geocode_place", "graph_from_polygon", "osmnx_settings"]

logger = logging.getLogger(__name__)

#: Overpass filter of the network download: every way with a highway tag. Which ways make up
#: the walk, bike and drive networks is decided later by :mod:`geo.osm_filters`.
NETWORK_FILTER = '["highway"]'

#: Longest pause between two attempts, whatever the backoff or a ``Retry-After`` header say.
MAX_BACKOFF_S = 60.0

# What else to do when a server fails, ending the NetworkError messages.
_OVERPASS_ADVICE = (
    "pass another Overpass server (overpass_url=...) or work offline with --osm FILE "
    "(an .osm.pbf or .osm extract)"
)
_NOMINATIM_ADVICE = (
    "pass another Nominatim server (nominatim_url=...) or give the study area as a boundary "
    "file instead of a place name"
)

# One lock for osmnx's global state: settings and the patched internals.
_LOCK = threading.RLock()


# --------------------------------------------------------------------------------------
# settings
# --------------------------------------------------------------------------------------


def _setting_names(settings: ModuleType) -> list[str]:
    """Names of osmnx's settings: the annotated module variables of ``osmnx.settings``."""
    names = [n for n in getattr(settings, "__annotations__", {}) if not n.startswith("_")]
    if not names:  # pragma: no cover - only with an unsupported osmnx version
        raise RuntimeError("cannot list osmnx.settings (unsupported osmnx version; need osmnx 2.x)")
    return names


@contextlib.contextmanager
def osmnx_settings(**overrides: Any) -> Iterator[ModuleType]:
    """Temporarily set ``osmnx.settings`` values; restore every setting on exit.

    Every setting is saved on entry and put back on exit, even if the block raises or changes
    other settings; lists and dicts (``useful_tags_way``, ``requests_kwargs``...) get back both
    their identity and their content, so in-place edits are undone too.

    Parameters
    ----------
    **overrides
        Setting names and values, e.g. ``use_cache=True, cache_folder=path``.

    Yields
    ------
    settings
        The ``osmnx.settings`` module, with the overrides applied.

    Raises
    ------
    TypeError
        If a name is not an osmnx setting (a typo would otherwise be silently ignored).

    Notes
    -----
    osmnx settings are process-global: a re-entrant lock makes concurrent threads wait for
    each other; nesting in one thread is fine.

    Examples
    --------
    >>> with osmnx_settings(use_cache=False) as s:  # doctest: +SKIP
    ...     G = ox.graph_from_xml("area.osm")
    """
    from osmnx import settings

    names = _setting_names(settings)
    unknown = sorted(set(overrides) - set(names))
    if unknown:
        raise TypeError(
            f"unknown osmnx setting(s) {unknown}; valid names are: {', '.join(sorted(names))}"
        )
    with _LOCK:
        saved: dict[str, tuple[Any, Any]] = {}
        for name in names:
            value = getattr(settings, name)
            saved[name] = (value, copy.copy(value) if isinstance(value, (list, dict)) else None)
        try:
            for name, value in overrides.items():
                setattr(settings, name, value)
            yield settings
        finally:
            for name, (value, content) in saved.items():
                if isinstance(value, list):
                    value[:] = content
                elif isinstance(value, dict):
                    value.clear()
                    value.update(content)
                setattr(settings, name, value)


# --------------------------------------------------------------------------------------
# cache: atomic writes, validated reads
# --------------------------------------------------------------------------------------


def _atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    Readers see either the old file, no file, or the complete new file; the temporary file is
    removed if anything fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _save_to_cache(url: str, response_json: Any, ok: bool) -> None:
    """Atomic stand-in for ``osmnx._http._save_to_cache`` (same signature and rules).

    Nothing is stored unless caching is on, the answer was HTTP-OK, is a JSON object or array,
    and holds no Overpass ``remark`` (a remark flags a partial result, e.g. a server timeout).
    A cache that cannot be written only costs a warning: the answer itself is fine.
    """
    from osmnx import _http, settings

    if not settings.use_cache or not ok or _cache_problem(response_json):
        return
    path = _http._resolve_cache_filepath(url)
    try:
        _atomic_write_text(path, json.dumps(response_json))
    except OSError as exc:
        logger.warning(
            "could not write cache file %s (%s); the answer is used but not cached", path, exc
        )


def _retrieve_from_cache(url: str) -> Any:
    """Validating stand-in for ``osmnx._http._retrieve_from_cache``.

    Returns the cached JSON, or ``None`` on a miss. A file that is not a complete JSON object
    or array (truncated, corrupt, a partial Overpass result) is deleted and counts as a miss,
    so the request is sent again instead of failing forever.
    """
    from osmnx import _http, settings

    if not settings.use_cache:
        return None
    path = _http._resolve_cache_filepath(url)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("ignoring unreadable cache file %s (%s)", path, exc)
        return None
    try:
        data = json.loads(text)
        problem = _cache_problem(data)
    except ValueError as exc:
        problem = f"invalid JSON ({exc})"
    if problem:
        logger.warning("discarding cache file %s: %s; downloading again", path, problem)
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    logger.debug("answered from cache file %s", path)
    return data


def _cache_problem(data: Any) -> str | None:
    """Why ``data`` must not be (or have been) cached, or ``None`` if it is fine.

    A JSON object must be a complete Overpass document, a JSON array a list of Nominatim
    results (:func:`_check_overpass`, :func:`_check_nominatim`): the same checks as the
    download, so a broken entry left by an older version is discarded too.
    """
    if isinstance(data, dict):
        return _check_overpass(data)
    if isinstance(data, list):
        return _check_nominatim(data)
    return f"not a JSON object or array ({type(data).__name__})"


# --------------------------------------------------------------------------------------
# answer checks
# --------------------------------------------------------------------------------------


class _Refused(Exception):
    """An answer that is wrong for good (not worth a retry): redirect, size cap, bad shape."""


class _Transient(Exception):
    """An attempt that failed in a way another attempt may not (cut short, slow...).

    ``retry_after``: seconds the server asked to wait (``Retry-After`` of a 429/5xx).
    """

    def __init__(self, message: str, *, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _element_problem(el: Any) -> str | None:
    """What is wrong with one Overpass element (a short label, counted by the caller)."""
    if not isinstance(el, dict) or not isinstance(el.get("type"), str) or not _is_int(el.get("id")):
        return "elements without a type and an integer id"
    kind = el["type"]
    if kind == "node":
        lat, lon = el.get("lat"), el.get("lon")
        if lat is None or lon is None:
            return "nodes without lat/lon"
        if not (_is_number(lat) and _is_number(lon)):
            return "nodes whose lat/lon are not numbers"
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return "nodes with lat/lon out of range"
    elif kind == "way":
        nodes = el.get("nodes")
        if not isinstance(nodes, list) or not all(_is_int(n) for n in nodes):
            return "ways without a 'nodes' list of integer ids"
    elif kind == "relation":
        members = el.get("members")
        if not isinstance(members, list) or not all(
            isinstance(m, dict) and isinstance(m.get("type"), str) and _is_int(m.get("ref"))
            for m in members
        ):
            return "relations without a 'members' list (type, ref)"
    return None


def _count_problems(
    items: list[Any], problem: Callable[[Any], str | None], name: Callable[[Any], str]
) -> str | None:
    """``"3 nodes without lat/lon (first: node 7)"`` for every kind of problem, or None."""
    found: dict[str, tuple[int, str]] = {}
    for item in items:
        label = problem(item)
        if label is not None:
            count, first = found.get(label, (0, name(item)))
            found[label] = (count + 1, first)
    if not found:
        return None
    return "; ".join(f"{n} {label} (first: {first})" for label, (n, first) in found.items())


def _element_name(el: Any) -> str:
    if isinstance(el, dict):
        return f"{el.get('type', '?')} {el.get('id', '?')}"
    return _short(repr(el), 40)


def _check_overpass(data: Any) -> str | None:
    """Problem with an Overpass JSON document, or ``None`` if it is complete and well-formed.

    An object with an ``elements`` list, no ``remark`` (Overpass reports runtime errors such
    as a timeout or out of memory as a remark next to a partial list), every node with
    numeric lat/lon in range, every way a ``nodes`` list of integers, every relation a
    ``members`` list. The problem starts with ``"response is not Overpass JSON"`` or
    ``"the server stopped early"`` (the latter is worth a retry).
    """
    if not isinstance(data, dict) or not isinstance(data.get("elements"), list):
        return "response is not Overpass JSON: no 'elements' list"
    if "remark" in data:
        return (
            f"the server stopped early: {data['remark']!r} "
            "(a smaller area or a longer timeout may help)"
        )
    problems = _count_problems(data["elements"], _element_problem, _element_name)
    return f"response is not Overpass JSON: {problems}" if problems else None


def _result_problem(result: Any) -> str | None:
    """What is wrong with one Nominatim result (a short label, counted by the caller)."""
    if not isinstance(result, dict):
        return "results that are not JSON objects"
    geojson = result.get("geojson")
    if not (
        isinstance(geojson, dict)
        and isinstance(geojson.get("type"), str)
        and isinstance(geojson.get("coordinates", geojson.get("geometries")), list)
    ):
        return "results without a GeoJSON geometry"
    box = result.get("boundingbox")
    try:
        ok = (
            isinstance(box, list)
            and len(box) == 4
            and all(math.isfinite(float(v)) for v in (*box, result["lat"], result["lon"]))
            and _is_number(result["importance"])
        )
    except (KeyError, TypeError, ValueError):
        ok = False
    return None if ok else "results without numeric lat, lon, boundingbox and importance"


def _check_nominatim(data: Any) -> str | None:
    """Problem with a Nominatim ``format=json&polygon_geojson=1`` answer, or ``None``.

    A list (empty: no such place) of objects, each with a GeoJSON ``geojson`` geometry,
    ``lat``/``lon``, a four-value ``boundingbox`` and a numeric ``importance``.
    """
    if not isinstance(data, list):
        detail = data.get("error") if isinstance(data, dict) else None
        return (
            "response is not a list of Nominatim results"
            f"{f' ({_short(str(detail), 80)})' if detail else ''}"
        )
    problems = _count_problems(
        data,
        _result_problem,
        lambda r: _short(str(r.get("display_name", r.get("osm_id", "?"))), 40)
        if isinstance(r, dict)
        else _short(repr(r), 40),
    )
    return f"response is not Nominatim JSON: {problems}" if problems else None


def _short(text: str, limit: int = 200) -> str:
    """One-line excerpt of ``text`` for error messages."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------
# HTTP: one deadline, a size cap, retries
# --------------------------------------------------------------------------------------

#: Default size cap of one answer body (MiB, after decompression).
DEFAULT_MAX_BODY_MIB = 256.0

_CHUNK_BYTES = 1 << 16  # one read of the body
_EXCERPT_BYTES = 2048  # read of an error page, for its message


def _sleep(seconds: float) -> None:
    """Pause between attempts (a module-level hook so tests can record the pauses)."""
    time.sleep(seconds)


def _describe_connection_error(exc: Exception) -> str:
    """Short reason for a requests/urllib3 connection-level exception."""
    cut = (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError)
    if isinstance(exc, cut):
        return "the connection broke before the whole answer arrived (answer cut short)"
    if isinstance(exc, (requests.exceptions.ContentDecodingError, urllib3.exceptions.DecodeError)):
        return "the answer could not be decompressed (damaged in transit)"
    errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    if errno:
        return f"cannot connect ({errno.group(1).strip()})"
    return f"cannot connect ({_short(str(exc), 120)})"


def _retry_after(response: requests.Response) -> float:
    """Seconds asked for by a ``Retry-After`` header (0 when absent or not a number)."""
    try:
        return max(0.0, float(response.headers.get("Retry-After", 0)))
    except (TypeError, ValueError):
        return 0.0


def _socket_of(response: requests.Response) -> socket.socket | None:
    """The socket a streamed answer is read from (None if it cannot be found).

    urllib3's connection drops its ``sock`` once the server announced it will close, so look
    through the ``http.client`` response too (``fp`` is a buffered ``socket.SocketIO``).
    """
    raw = response.raw
    candidates = (
        getattr(getattr(raw, "connection", None), "sock", None),
        getattr(getattr(getattr(getattr(raw, "_fp", None), "fp", None), "raw", None), "_sock", None),
    )
    return next((c for c in candidates if isinstance(c, socket.socket)), None)


def _read_body(
    response: requests.Response, *, until: float, max_bytes: int, excerpt: bool = False
) -> bytes:
    """Read a streamed answer's body in chunks, once, by the monotonic time ``until``.

    Each socket read waits at most for the time left, so a server that drips bytes cannot
    hold the call past ``until``. Raises :class:`_Refused` when the body (decompressed) is
    larger than ``max_bytes`` - before reading anything when ``Content-Length`` says so -
    and :class:`_Transient` on a timeout or a connection cut short. ``excerpt=True`` reads
    at most ``max_bytes`` and returns them (for the message of an error page).
    """
    if not excerpt:
        with contextlib.suppress(TypeError, ValueError):
            if int(response.headers.get("Content-Length", "")) > max_bytes:
                raise _Refused(_too_large(max_bytes, announced=True))
    sock = _socket_of(response)
    chunks: list[bytes] = []
    total = 0
    while True:
        left = until - time.monotonic()
        if left <= 0:
            raise _Transient("timeout")
        if sock is not None:
            try:
                sock.settimeout(left)  # each wait ends by `until`, not `left` after it starts
            except OSError:  # closed: http.client already holds the rest of the body
                sock = None
        try:
            chunk = response.raw.read1(_CHUNK_BYTES, decode_content=True)
        except (socket.timeout, urllib3.exceptions.ReadTimeoutError) as exc:
            raise _Transient("timeout") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Transient(_describe_connection_error(exc)) from exc
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > max_bytes:
            if excerpt:
                chunks.append(chunk[: len(chunk) - (total - max_bytes)])
                return b"".join(chunks)
            raise _Refused(_too_large(max_bytes, announced=False))
        chunks.append(chunk)


def _too_large(max_bytes: int, *, announced: bool) -> str:
    how = "announced by its Content-Length, nothing read" if announced else "stopped reading there"
    size = f"{max_bytes / 2**20:g} MiB" if max_bytes >= 2**20 else f"{max_bytes / 2**10:g} KiB"
    return f"response larger than {size} (size cap; {how})"


def _content_type_problem(response: requests.Response) -> str | None:
    """Why an answer that should be JSON is not, judged by its Content-Type, or None."""
    ctype = response.headers.get("Content-Type", "")
    mime = ctype.split(";")[0].strip().lower()
    if not mime or mime.endswith("json"):  # application/json, application/osm3s+json...
        return None
    return f"response is not JSON but {mime} (an error or login page?)"


def _excerpt(response: requests.Response, until: float) -> str:
    """The first bytes of an answer's body as one line (empty if they cannot be read)."""
    try:
        body = _read_body(response, until=until, max_bytes=_EXCERPT_BYTES, excerpt=True)
    except (_Transient, _Refused):
        return ""
    return _short(body.decode("utf-8", "replace"), 120)


class _RetryingHttp:
    """Sends one call's requests: one deadline, a size cap, retries; good answers only.

    The deadline (``deadline_s`` from construction, wall clock) covers every request of the
    call, their connections, reads, retries and pauses; ``timeout`` bounds each attempt.
    """

    def __init__(
        self,
        *,
        retries: int,
        backoff_s: float,
        what: str,
        timeout: float = 180.0,
        deadline_s: float = 600.0,
        max_body_mib: float = DEFAULT_MAX_BODY_MIB,
    ) -> None:
        self.retries = retries
        self.backoff_s = backoff_s
        self.what = what
        self.timeout = timeout
        self.deadline_s = deadline_s
        self.max_bytes = int(max_body_mib * 2**20)
        self.deadline = time.monotonic() + deadline_s

    def _deadline_error(self, kind: str, url: str, attempts: int, last: str) -> NetworkError:
        return NetworkError(
            f"Could not {self.what}: {kind} at {url} did not answer within "
            f"{self.deadline_s:g} s (overall deadline) after {attempts} attempt(s); last error: "
            f"{last}. Allow more time (deadline_s=...), ask for a smaller area, or "
            f"{_OVERPASS_ADVICE if kind == 'Overpass' else _NOMINATIM_ADVICE}."
        )

    def send(
        self,
        method: str,
        url: str,
        *,
        kind: str,
        advice: str,
        check: Callable[[Any], str | None] | None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send ``method url`` up to ``retries + 1`` times, within the call's deadline.

        Retried: timeouts, connection errors (including bodies cut short), HTTP 429 and 5xx,
        and, when ``check`` is given, answers that are not valid JSON or are partial (an
        Overpass remark). Refused at once, never retried or cached: redirects (any 3xx),
        bodies over the size cap, non-JSON content types and answers ``check`` finds of the
        wrong shape; other HTTP errors (400, 403, 404...) too. The body is read once; a
        checked answer's ``.json()`` returns the already parsed data.
        """
        server = urlsplit(url).netloc or url
        attempts = self.retries + 1
        last = "no attempt made"
        asked_wait = 0.0  # Retry-After of the last answer
        kwargs.pop("timeout", None)  # osmnx's per-read timeout: replaced by ours
        kwargs.pop("stream", None)
        kwargs.pop("allow_redirects", None)
        for attempt in range(attempts):
            if attempt:
                delay = min(max(self.backoff_s * 2 ** (attempt - 1), asked_wait), MAX_BACKOFF_S)
                asked_wait = 0.0
                if time.monotonic() + delay >= self.deadline:
                    raise self._deadline_error(kind, url, attempt, last)
                logger.warning(
                    "%s server %s: %s; retrying in %.2f s (attempt %d of %d)",
                    kind,
                    server,
                    last,
                    delay,
                    attempt + 1,
                    attempts,
                )
                _sleep(delay)
            start = time.monotonic()
            if start >= self.deadline:
                raise self._deadline_error(kind, url, attempt, last)
            until = min(start + self.timeout, self.deadline)
            try:
                return self._attempt(method, url, until=until, kind=kind, check=check, **kwargs)
            except _Transient as exc:
                last = (
                    f"no answer within the {self.timeout:g} s timeout"
                    if str(exc) == "timeout"
                    else str(exc)
                )
                asked_wait = exc.retry_after
                if time.monotonic() >= self.deadline - 1e-3:
                    raise self._deadline_error(kind, url, attempt + 1, last) from None
            except _Refused as exc:
                raise NetworkError(
                    f"Could not {self.what}: the {kind} server {server} ({url}) sent an answer "
                    f"that was refused and not cached: {exc}. {_refusal_advice(str(exc))}"
                    f"{advice[0].upper()}{advice[1:]}."
                ) from None
            except _HttpError as exc:
                raise NetworkError(
                    f"Could not {self.what}: the {kind} server {server} refused the request with "
                    f"{exc}. Check the server address ({url}), or {advice}."
                ) from None
            except requests.RequestException as exc:  # bad URL...: no retry
                raise NetworkError(
                    f"Could not {self.what}: the request to the {kind} server {server} failed "
                    f"({type(exc).__name__}: {_short(str(exc))}). Check the server address "
                    f"({url}), or {advice}."
                ) from exc
        raise NetworkError(
            f"Could not {self.what}: the {kind} server {server} ({url}) failed "
            f"{attempts} attempt(s); last error: {last}. Check your internet connection or "
            f"try again later, or {advice}."
        )

    def _attempt(
        self,
        method: str,
        url: str,
        *,
        until: float,
        kind: str,
        check: Callable[[Any], str | None] | None,
        **kwargs: Any,
    ) -> requests.Response:
        """One request, read by ``until``: the response with its body, or an exception.

        Raises :class:`_Transient` (worth a retry), :class:`_Refused` (wrong for good),
        :class:`_HttpError` (a 4xx answer) or a ``requests`` exception (bad URL...).
        """
        left = max(until - time.monotonic(), 1e-3)
        try:
            response = requests.request(
                method, url, timeout=(left, left), stream=True, allow_redirects=False, **kwargs
            )
        except requests.Timeout as exc:
            raise _Transient("timeout") from exc
        except (
            requests.ConnectionError,
            requests.exceptions.ChunkedEncodingError,
            requests.exceptions.ContentDecodingError,
        ) as exc:
            raise _Transient(_describe_connection_error(exc)) from exc
        with contextlib.closing(response):
            code = response.status_code
            if 300 <= code < 400:
                target = response.headers.get("Location", "?")
                raise _Refused(
                    f"a redirect (HTTP {code} {response.reason} to {_short(target, 120)}); "
                    "redirects are not followed (a followed 301/302/303 turns a POST query into "
                    "a GET that answers another document)"
                )
            if code == 429 or code >= 500:
                raise _Transient(
                    f"HTTP {code} {response.reason}", retry_after=_retry_after(response)
                )
            if not response.ok:
                raise _HttpError(f"HTTP {code} {response.reason}: {_excerpt(response, until)!r}")
            if check is not None:
                problem = _content_type_problem(response)
                if problem:
                    raise _Refused(f"{problem}: {_excerpt(response, until)!r}")
            body = _read_body(response, until=until, max_bytes=self.max_bytes)
            response._content = body  # read once; requests' .content/.text/.json use it
            response._content_consumed = True
        if check is None:
            return response
        if body.lstrip()[:1] == b"<":
            page = _short(response.text, 80)
            raise _Refused(f"response is not JSON but an HTML/XML page: {page!r}")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise _Transient(
                f"the answer is not valid JSON (truncated or an error page: "
                f"{_short(body[:200].decode('utf-8', 'replace'), 80)!r})"
            ) from exc
        problem = check(data)
        # a timeout remark may pass when the server is less busy; running out of memory is
        # the query's size against the server's [maxsize]: the same again on every attempt
        if problem and problem.startswith("the server stopped early"):
            if "out of memory" not in problem:
                raise _Transient(problem)
            problem = problem.replace("a longer timeout", "a larger [maxsize:...]")
        if problem:
            raise _Refused(problem)
        # osmnx parses the body again: hand it the data parsed here
        response.json = lambda *a, _data=data, **k: _data  # type: ignore[method-assign]
        return response


class _HttpError(Exception):
    """An HTTP 4xx answer (not retried)."""


def _refusal_advice(reason: str) -> str:
    """What to do about a refused answer (a sentence, or empty)."""
    if reason.startswith("a redirect"):
        return "Pass the server's final address (without redirect). "
    if reason.startswith("response larger"):
        return "Ask for a smaller area or raise the cap (max_body_mib=...). "
    return ""


class _RequestsShim:
    """Stands in for the ``requests`` module inside one osmnx module.

    ``get`` and ``post`` go through :class:`_RetryingHttp`; anything else (``Request``,
    exceptions...) is the real ``requests`` attribute.
    """

    def __init__(
        self,
        http: _RetryingHttp,
        *,
        kind: str,
        advice: str,
        checks: dict[str, Callable[[Any], str | None] | None],
    ) -> None:
        self._http = http
        self._kind = kind
        self._advice = advice
        self._checks = checks

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._http.send(
            "GET",
            url,
            kind=self._kind,
            advice=self._advice,
            check=self._checks.get("GET"),
            **kwargs,
        )

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self._http.send(
            "POST",
            url,
            kind=self._kind,
            advice=self._advice,
            check=self._checks.get("POST"),
            **kwargs,
        )


class _NoPauseTime:
    """Stands in for the ``time`` module in ``osmnx._nominatim``: ``sleep`` does nothing.

    osmnx pauses 1 s before every Nominatim request (the public server's usage policy); a
    server of one's own does not need it.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        logger.debug("skipping osmnx's %s s Nominatim pause (custom server)", seconds)


@contextlib.contextmanager
def _guarded_osmnx(
    *,
    retries: int,
    backoff_s: float,
    what: str,
    timeout: float,
    deadline_s: float,
    max_body_mib: float,
    nominatim_pause: bool = True,
) -> Iterator[None]:
    """Patch osmnx's HTTP and cache internals for one call (see the module docstring).

    The call's deadline (``deadline_s``) starts here. ``nominatim_pause=False`` also drops
    osmnx's 1 s pause before Nominatim requests.
    """
    from osmnx import _http, _nominatim, _overpass

    http = _RetryingHttp(
        retries=retries,
        backoff_s=backoff_s,
        what=what,
        timeout=timeout,
        deadline_s=deadline_s,
        max_body_mib=max_body_mib,
    )
    patches: list[tuple[ModuleType, str, Any]] = [
        (_http, "_save_to_cache", _save_to_cache),
        (_http, "_retrieve_from_cache", _retrieve_from_cache),
        # Overpass: POST interpreter (JSON), GET status (plain text, rate-limit check)
        (
            _overpass,
            "requests",
            _RequestsShim(
                http,
                kind="Overpass",
                advice=_OVERPASS_ADVICE,
                checks={"POST": _check_overpass, "GET": None},
            ),
        ),
        (
            _nominatim,
            "requests",
            _RequestsShim(
                http,
                kind="Nominatim",
                advice=_NOMINATIM_ADVICE,
                checks={"GET": _check_nominatim},
            ),
        ),
    ]
    if not nominatim_pause:
        patches.append((_nominatim, "time", _NoPauseTime()))
    for module, name, _ in patches:
        if not hasattr(module, name):  # pragma: no cover - only with an unsupported osmnx
            raise RuntimeError(
                f"{module.__name__}.{name} not found: this osmnx version is not supported by "
                "geo._online (written for osmnx 2.0-2.1); install osmnx 2.1"
            )
    with _LOCK:
        originals = [(module, name, getattr(module, name)) for module, name, _ in patches]
        getaddrinfo = socket.getaddrinfo  # osmnx's _config_dns replaces it for good
        try:
            for module, name, value in patches:
                setattr(module, name, value)
            yield
        finally:
            for module, name, value in originals:
                setattr(module, name, value)
            socket.getaddrinfo = getaddrinfo


# --------------------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------------------


def _positive(value: Any) -> bool:
    return _is_number(value) and value > 0


def _check_options(
    *,
    timeout: float,
    retries: int,
    backoff_s: float,
    deadline_s: float = 1.0,
    max_body_mib: float = 1.0,
) -> None:
    """Raise InputError on a non-positive timeout, deadline or size cap, or a negative retry
    count/backoff."""
    if not _positive(timeout):
        raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not _positive(deadline_s):
        raise InputError(f"deadline_s must be a positive number of seconds, got {deadline_s!r}")
    if not _positive(max_body_mib):
        raise InputError(f"max_body_mib must be a positive number of MiB, got {max_body_mib!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InputError(f"retries must be a whole number >= 0, got {retries!r}")
    if not (isinstance(backoff_s, (int, float)) and math.isfinite(backoff_s) and backoff_s >= 0):
        raise InputError(f"backoff_s must be a number of seconds >= 0, got {backoff_s!r}")


def _check_url(url: str | None, *, what: str) -> str | None:
    """Return ``url`` if it is an http(s) URL with a host (or None), else raise InputError."""
    if url is None:
        return None
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"{what} must be an http(s) URL such as https://overpass-api.de/api, got {url!r}"
        )
    return str(url)


def _cache_folder(cache_dir: str | os.PathLike[str]) -> Path:
    """Create the cache folder if needed; InputError if it cannot be a folder."""
    path = Path(cache_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot use {str(path)!r} as the download cache folder ({exc}); pass a writable folder"
        ) from exc
    return path


def _check_polygon(polygon: Any) -> Polygon | MultiPolygon:
    """Return ``polygon`` if it is a valid, non-empty lon/lat (Multi)Polygon, else InputError."""
    from shapely.geometry import MultiPolygon, Polygon

    if not isinstance(polygon, (Polygon, MultiPolygon)):
        raise InputError(
            "the download area must be a shapely Polygon or MultiPolygon, "
            f"got {type(polygon).__name__}"
        )
    if polygon.is_empty:
        raise InputError("the download area is an empty polygon")
    if not polygon.is_valid:
        raise InputError(
            "the download area is not a valid polygon (self-intersecting?); repair it first, "
            "e.g. with shapely.make_valid"
        )
    minx, miny, maxx, maxy = polygon.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InputError(
            f"the download area has bounds {tuple(round(b, 3) for b in polygon.bounds)}, which are "
            "not lon/lat degrees: give the polygon in EPSG:4326 (e.g. gdf.to_crs(4326))"
        )
    return polygon


def _overpass_overrides(
    settings: ModuleType, *, overpass_url: str | None, cache_dir: Path, timeout: float
) -> dict[str, Any]:
    """osmnx settings for one Overpass call."""
    overrides: dict[str, Any] = {
        "use_cache": True,
        "cache_folder": cache_dir,
        "cache_only_mode": False,
        "requests_timeout": timeout,
        # Overpass wants a whole number of seconds in [timeout:...]; keep other settings
        # (e.g. [date:...]) the user may have put there
        "overpass_settings": settings.overpass_settings.replace(
            "{timeout}", str(math.ceil(timeout))
        ),
        # no DNS-over-HTTPS look-ups at 8.8.8.8 when the host name does not resolve
        "doh_url_template": None,
    }
    if overpass_url is not None:
        overrides["overpass_url"] = overpass_url
        # a custom server has no (or another) slot policy: skip the /status pre-check
        overrides["overpass_rate_limit"] = False
    return overrides


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------


def geocode_place(
    name: str,
    *,
    nominatim_url: str | None = None,
    cache_dir: str | os.PathLike[str],
    timeout: float = 60,
    deadline_s: float = 180,
    max_body_mib: float = DEFAULT_MAX_BODY_MIB,
    retries: int = 3,
    backoff_s: float = 1.0,
) -> Polygon | MultiPolygon:
    """Boundary of a named place, geocoded with Nominatim (``osmnx.geocode_to_gdf``).

    Parameters
    ----------
    name
        Place name, e.g. ``"Beichen District, Tianjin, China"``.
    nominatim_url
        Nominatim server (base URL, ``/search`` is appended); ``None`` keeps osmnx's setting
        (the public server by default) and its usage policy of one request per second. A
        custom server is asked without osmnx's 1 s pause.
    cache_dir
        Folder of the download cache; an identical second call is answered from it offline.
    timeout
        Seconds one attempt may take (connection and whole answer, wall clock).
    deadline_s
        Seconds the whole call may take, wall clock: every attempt, read and pause between
        retries. When it is over the call stops with a NetworkError that says so.
    max_body_mib
        Size cap of an answer (MiB, decompressed); a larger answer is refused, not retried.
    retries
        How many times a failed request (timeout, connection error, HTTP 429/5xx, invalid
        answer) is sent again.
    backoff_s
        Pause before the first retry; it doubles at each further retry (at most 60 s).

    Returns
    -------
    Polygon or MultiPolygon
        The first (Multi)Polygon result, in EPSG:4326 lon/lat.

    Raises
    ------
    InputError
        Empty name, bad option, or a name Nominatim does not know or only knows as a point.
    NetworkError
        The server could not be reached, kept failing after the retries, missed the deadline,
        or sent an answer that was refused (redirect, over the size cap, not Nominatim JSON).
    """
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    if not isinstance(name, str) or not name.strip():
        raise InputError(f"place name must be a non-empty string, got {name!r}")
    _check_options(
        timeout=timeout,
        retries=retries,
        backoff_s=backoff_s,
        deadline_s=deadline_s,
        max_body_mib=max_body_mib,
    )
    nominatim_url = _check_url(nominatim_url, what="nominatim_url")
    folder = _cache_folder(cache_dir)
    overrides: dict[str, Any] = {
        "use_cache": True,
        "cache_folder": folder,
        "cache_only_mode": False,
        "requests_timeout": timeout,
        "default_crs": "epsg:4326",
    }
    if nominatim_url is not None:
        overrides["nominatim_url"] = nominatim_url
    with (
        osmnx_settings(**overrides),
        _guarded_osmnx(
            retries=retries,
            backoff_s=backoff_s,
            what=f"geocode the place {name!r}",
            timeout=timeout, deadline_s=deadline_s, max_body_mib=max_body_mib,
            # the 1 s pause between requests is the public server's policy
            nominatim_pause=nominatim_url is None,
        ),
    ):
        try:
            gdf = ox.geocode_to_gdf(name)
        except InsufficientResponseError as exc:
            raise InputError(
                f"Nominatim found no place named {name!r}; check the spelling, add the city and "
                "country (e.g. 'Beichen District, Tianjin, China'), or give a boundary file"
            ) from exc
        except TypeError as exc:  # osmnx: results exist but none is a (Multi)Polygon
            raise InputError(
                f"Nominatim knows {name!r} only as a point or line, not as an area; use the name "
                "of an administrative area or give a boundary file"
            ) from exc
    geom = gdf.geometry.iloc[0]
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise InputError(
            f"Nominatim returned a {getattr(geom, 'geom_type', 'missing')} geometry for {name!r}, "
            "not an area; use another name or give a boundary file"
        )
    return geom


def graph_from_polygon(
    polygon_wgs84: Polygon | MultiPolygon,
    *,
    cache_dir: str | os.PathLike[str],
    overpass_url: str | None = None,
    timeout: float = 180,
    deadline_s: float = 600,
    max_body_mib: float = DEFAULT_MAX_BODY_MIB,
    retries: int = 3,
    backoff_s: float = 1.0,
) -> nx.MultiDiGraph:
    """Download every highway way in a polygon from Overpass as an osmnx graph.

    Calls ``osmnx.graph_from_polygon`` with ``custom_filter='["highway"]'``,
    ``simplify=False``, ``retain_all=True`` and ``truncate_by_edge=True``; the tags of
    :data:`geo.osm_filters.WAY_TAGS` are kept on the edges (added to
    ``osmnx.settings.useful_tags_way`` for this call) so :func:`geo.osm_filters.filter_ways`
    can choose the walk, bike or drive ways afterwards.

    Parameters
    ----------
    polygon_wgs84
        Download area in EPSG:4326 lon/lat. osmnx queries it grown by 500 m, then keeps the
        nodes inside it plus the ends of edges that cross its border.
    cache_dir
        Folder of the download cache; an identical second call is answered from it offline.
    overpass_url
        Overpass API base URL (``/interpreter`` is appended), e.g. a local server. ``None``
        keeps osmnx's setting (the public server, with its slot check). A custom server skips
        osmnx's ``/status`` rate-limit pre-check.
    timeout
        Seconds one attempt may take (connection and whole answer, wall clock); also the
        server-side ``[timeout:...]`` of the query (rounded up), which is part of the cache key.
    deadline_s
        Seconds the whole call may take, wall clock: every request (osmnx splits large areas),
        attempt, read and pause between retries. When it is over the call stops with a
        NetworkError that says so.
    max_body_mib
        Size cap of an answer (MiB, decompressed). The body is streamed and reading stops at
        the cap (at once when ``Content-Length`` announces more); such an answer is refused
        and not retried.
    retries
        How many times a failed request (timeout, connection error, HTTP 429/5xx, truncated or
        partial answer) is sent again.
    backoff_s
        Pause before the first retry; it doubles at each further retry (at most 60 s).

    Returns
    -------
    networkx.MultiDiGraph
        Unsimplified osmnx graph (``crs`` EPSG:4326). osmnx conventions apply: ``oneway`` is
        osmnx's boolean, ``oneway=-1`` ways are stored reversed, and two-way ways have a
        mirrored copy of each edge with ``reversed=True``.

    Raises
    ------
    InputError
        The polygon is not a valid lon/lat (Multi)Polygon, or an option is invalid.
    NetworkError
        The server failed after the retries, missed the deadline or sent an answer that was
        refused (redirect, over the size cap, not Overpass JSON), or there are no streets in
        the polygon.
    """
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    poly = _check_polygon(polygon_wgs84)
    _check_options(
        timeout=timeout,
        retries=retries,
        backoff_s=backoff_s,
        deadline_s=deadline_s,
        max_body_mib=max_body_mib,
    )
    overpass_url = _check_url(overpass_url, what="overpass_url")
    folder = _cache_folder(cache_dir)
    overrides = _overpass_overrides(
        ox.settings, overpass_url=overpass_url, cache_dir=folder, timeout=timeout
    )
    current = list(ox.settings.useful_tags_way)
    overrides["useful_tags_way"] = [*current, *(t for t in WAY_TAGS if t not in current)]
    overrides["all_oneway"] = False
    bounds = tuple(round(b, 5) for b in poly.bounds)
    with (
        osmnx_settings(**overrides),
        _guarded_osmnx(
            retries=retries,
            backoff_s=backoff_s,
            what=f"download the street network of {bounds}",
            timeout=timeout, deadline_s=deadline_s, max_body_mib=max_body_mib,
        ),
    ):
        try:
            return ox.graph_from_polygon(
                poly,
                network_type="all",
                custom_filter=NETWORK_FILTER,
                simplify=False,
                retain_all=True,
                truncate_by_edge=True,
            )
        except ValueError as exc:  # InsufficientResponseError is a ValueError too
            # osmnx: "No data elements in server response" / "Found no graph nodes within
            # the requested polygon"; any other ValueError is a bug, not an empty area
            if not isinstance(exc, InsufficientResponseError) and "no graph nodes" not in str(exc):
                raise
            raise NetworkError(
                f"Overpass returned no streets (ways with a highway tag) in the area {bounds} "
                f"({exc}). Check that the polygon is in EPSG:4326 lon/lat and covers the study "
                "area, or work offline with --osm FILE."
            ) from exc


def features_from_polygon(
    polygon_wgs84: Polygon | MultiPolygon,
    tags: dict[str, bool | str | list[str]],
    *,
    cache_dir: str | os.PathLike[str],
    overpass_url: str | None = None,
    timeout: float = 180,
    deadline_s: float = 600,
    max_body_mib: float = DEFAULT_MAX_BODY_MIB,
    retries: int = 3,
    backoff_s: float = 1.0,
) -> gpd.GeoDataFrame:
    """Download the OSM features matching ``tags`` in a polygon (``osmnx.features_from_polygon``).

    Parameters
    ----------
    polygon_wgs84
        Search area in EPSG:4326 lon/lat.
    tags
        osmnx tag query: ``{key: True | value | [values]}``, e.g. ``{"amenity": "clinic"}``.
        A feature matches if it has any of them.
    cache_dir
        Folder of the download cache; an identical second call is answered from it offline.
    overpass_url
        Overpass API base URL; ``None`` keeps osmnx's setting (see :func:`graph_from_polygon`).
    timeout
        Seconds one attempt may take (also the server-side query timeout).
    deadline_s
        Seconds the whole call may take, wall clock (see :func:`graph_from_polygon`).
    max_body_mib
        Size cap of an answer (MiB, decompressed; see :func:`graph_from_polygon`).
    retries
        How many times a failed request is sent again.
    backoff_s
        Pause before the first retry; it doubles at each further retry (at most 60 s).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per feature in EPSG:4326, indexed by (``element``, ``id``), with a column per
        tag; an empty GeoDataFrame (same index names, a geometry column) when nothing matches.

    Raises
    ------
    InputError
        Invalid polygon, tags or option.
    NetworkError
        The server failed after the retries, missed the deadline or sent an answer that was
        refused (redirect, over the size cap, not Overpass JSON).
    """
    import geopandas as gpd
    import osmnx as ox
    import pandas as pd
    from osmnx._errors import InsufficientResponseError

    poly = _check_polygon(polygon_wgs84)
    if (
        not isinstance(tags, dict)
        or not tags
        or not all(
            isinstance(k, str)
            and (
                isinstance(v, (bool, str))
                or (isinstance(v, list) and v and all(isinstance(s, str) for s in v))
            )
            for k, v in tags.items()
        )
    ):
        raise InputError(
            f"tags must be a non-empty dict of OSM key -> True, a value or a list of values, "
            f"e.g. {{'amenity': ['clinic', 'hospital']}}; got {tags!r}"
        )
    _check_options(
        timeout=timeout,
        retries=retries,
        backoff_s=backoff_s,
        deadline_s=deadline_s,
        max_body_mib=max_body_mib,
    )
    overpass_url = _check_url(overpass_url, what="overpass_url")
    folder = _cache_folder(cache_dir)
    overrides = _overpass_overrides(
        ox.settings, overpass_url=overpass_url, cache_dir=folder, timeout=timeout
    )
    overrides["default_crs"] = "epsg:4326"
    bounds = tuple(round(b, 5) for b in poly.bounds)
    with (
        osmnx_settings(**overrides),
        _guarded_osmnx(
            retries=retries,
            backoff_s=backoff_s,
            what=f"download the OSM features {tags} in {bounds}",
            timeout=timeout, deadline_s=deadline_s, max_body_mib=max_body_mib,
        ),
    ):
        try:
            return ox.features_from_polygon(poly, tags)
        except InsufficientResponseError:  # osmnx: "No matching features"
            logger.info("no OSM features match %s in %s", tags, bounds)
    empty = gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")
    empty.index = pd.MultiIndex.from_arrays(
        [pd.Index([], dtype=object), pd.Index([], dtype="int64")], names=["element", "id"]
    )
    return empty
