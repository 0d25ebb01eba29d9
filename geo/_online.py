"""Download street networks, features and place boundaries from OSM web services.

Thin, safer wrappers around osmnx (Overpass and Nominatim APIs):

- every call runs inside :func:`osmnx_settings`, so ``osmnx.settings`` is left exactly as it
  was found (values *and* list/dict contents), even when the call fails;
- HTTP answers are cached in ``cache_dir`` (osmnx's cache format: one JSON file per request,
  named by the SHA-1 of the request URL), so a second identical call needs no network;
- timeouts, connection errors, truncated bodies and HTTP 429/5xx answers are retried with
  exponential backoff, then turned into a :class:`~geo._errors.NetworkError` that names the
  server, what failed and what to do;
- a cache file never holds a partial or failed answer: entries are written to a temporary
  file and renamed, and unreadable entries are discarded (and downloaded again) on read.

Why the patches
---------------
osmnx 2.1 writes cache files with ``Path.write_text`` (not atomic: a crash leaves a truncated
file that then fails on every later read with a ``JSONDecodeError``), retries HTTP 429/504
forever with a fixed 55 s pause, passes other 5xx answers and Overpass runtime-error
"remarks" (partial results) on as data, and replaces ``socket.getaddrinfo`` for good. Within
our calls those internals are replaced, and restored afterwards:

- ``osmnx._http._save_to_cache`` / ``_retrieve_from_cache`` by atomic / validating versions;
- the ``requests`` module seen by ``osmnx._overpass`` and ``osmnx._nominatim`` by a shim whose
  ``get``/``post`` retry and only return complete, well-formed JSON answers;
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
    """Why ``data`` must not be (or have been) cached, or ``None`` if it is fine."""
    if not isinstance(data, (dict, list)):
        return f"not a JSON object or array ({type(data).__name__})"
    if isinstance(data, dict) and "remark" in data:
        return f"partial result with server remark {data['remark']!r}"
    return None


# --------------------------------------------------------------------------------------
# HTTP: retries and answer checks
# --------------------------------------------------------------------------------------


def _check_overpass(data: Any) -> str | None:
    """Problem with an Overpass JSON answer, or ``None`` if it is complete."""
    if not isinstance(data, dict) or not isinstance(data.get("elements"), list):
        return "the answer is not Overpass JSON (no 'elements' list)"
    if "remark" in data:
        # Overpass reports runtime errors (timeout, out of memory) as a remark next to a
        # partial list of elements: never use or cache that as the network
        return (
            f"the server stopped early: {data['remark']!r} "
            "(a smaller area or a longer timeout may help)"
        )
    return None


def _check_nominatim(data: Any) -> str | None:
    """Problem with a Nominatim JSON answer, or ``None`` if it is a list of results."""
    if not isinstance(data, list):
        detail = data.get("error") if isinstance(data, dict) else None
        return f"the answer is not a list of Nominatim results{f' ({detail})' if detail else ''}"
    return None


def _short(text: str, limit: int = 200) -> str:
    """One-line excerpt of ``text`` for error messages."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _sleep(seconds: float) -> None:
    """Pause between attempts (a module-level hook so tests can record the pauses)."""
    time.sleep(seconds)


def _describe_connection_error(exc: Exception) -> str:
    """Short reason for a requests connection-level exception."""
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection broke before the whole answer arrived (answer cut short)"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
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


class _RetryingHttp:
    """Sends requests with retries; returns only good answers, else raises NetworkError."""

    def __init__(self, *, retries: int, backoff_s: float, what: str) -> None:
        self.retries = retries
        self.backoff_s = backoff_s
        self.what = what

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
        """Send ``method url`` up to ``retries + 1`` times.

        Retried: timeouts, connection errors (including bodies cut short), HTTP 429 and 5xx,
        and, when ``check`` is given, answers that are not valid JSON or that ``check``
        rejects. Other HTTP errors (400, 403, 404...) are raised at once. A checked answer's
        ``.json()`` returns the already parsed data.
        """
        server = urlsplit(url).netloc or url
        attempts = self.retries + 1
        last = "no attempt made"
        asked_wait = 0.0  # Retry-After of the last answer
        for attempt in range(attempts):
            if attempt:
                delay = min(max(self.backoff_s * 2 ** (attempt - 1), asked_wait), MAX_BACKOFF_S)
                asked_wait = 0.0
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
            try:
                response = requests.request(method, url, **kwargs)
            except requests.Timeout:
                last = f"no answer within the {kwargs.get('timeout')} s timeout"
                continue
            except (
                requests.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ) as exc:
                last = _describe_connection_error(exc)
                continue
            except requests.RequestException as exc:  # bad URL, redirect loop...: no retry
                raise NetworkError(
                    f"Could not {self.what}: the request to the {kind} server {server} failed "
                    f"({type(exc).__name__}: {_short(str(exc))}). Check the server address "
                    f"({url}), or {advice}."
                ) from exc
            code = response.status_code
            if code == 429 or code >= 500:
                last = f"HTTP {code} {response.reason}"
                asked_wait = _retry_after(response)
                continue
            if not response.ok:
                raise NetworkError(
                    f"Could not {self.what}: the {kind} server {server} refused the request with "
                    f"HTTP {code} {response.reason}: {_short(response.text)!r}. "
                    f"Check the server address ({url}), or {advice}."
                )
            if check is not None:
                try:
                    data = response.json()
                except ValueError:
                    last = (
                        f"the answer is not valid JSON (truncated or an error page: "
                        f"{_short(response.text, 80)!r})"
                    )
                    continue
                problem = check(data)
                if problem:
                    last = problem
                    continue
                # osmnx parses the body again: hand it the data parsed here
                response.json = lambda *a, _data=data, **k: _data  # type: ignore[method-assign]
            return response
        raise NetworkError(
            f"Could not {self.what}: the {kind} server {server} ({url}) failed "
            f"{attempts} attempt(s); last error: {last}. Check your internet connection or "
            f"try again later, or {advice}."
        )


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
    *, retries: int, backoff_s: float, what: str, nominatim_pause: bool = True
) -> Iterator[None]:
    """Patch osmnx's HTTP and cache internals for one call (see the module docstring).

    ``nominatim_pause=False`` also drops osmnx's 1 s pause before Nominatim requests.
    """
    from osmnx import _http, _nominatim, _overpass

    http = _RetryingHttp(retries=retries, backoff_s=backoff_s, what=what)
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


def _check_options(*, timeout: float, retries: int, backoff_s: float) -> None:
    """Raise InputError on a non-positive timeout or a negative retry count/backoff."""
    if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise InputError(f"timeout must be a positive number of seconds, got {timeout!r}")
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
        Seconds to wait for each answer.
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
        The server could not be reached or kept failing after the retries.
    """
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    if not isinstance(name, str) or not name.strip():
        raise InputError(f"place name must be a non-empty string, got {name!r}")
    _check_options(timeout=timeout, retries=retries, backoff_s=backoff_s)
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
        Seconds to wait for each answer; also the server-side ``[timeout:...]`` of the query
        (rounded up), which is part of the cache key.
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
        The server failed after the retries, or there are no streets in the polygon.
    """
    import osmnx as ox
    from osmnx._errors import InsufficientResponseError

    poly = _check_polygon(polygon_wgs84)
    _check_options(timeout=timeout, retries=retries, backoff_s=backoff_s)
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
            retries=retries, backoff_s=backoff_s, what=f"download the street network of {bounds}"
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
        Seconds to wait for each answer (also the server-side query timeout).
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
        The server failed after the retries.
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
    _check_options(timeout=timeout, retries=retries, backoff_s=backoff_s)
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
