"""Download street networks, features and place boundaries from OSM web services.

Thin, safer wrappers around osmnx (Overpass and Nominatim APIs):

- every call runs inside :func:`osmnx_settings`, so ``osmnx.settings`` is left exactly as it
  was found (values *and* list/dict contents), even when the call fails;
- HTTP answers are cached in ``cache_dir`` (osmnx's cache format: one JSON file per request,
  named by the SHA-1 of the request URL), so a second identical call needs no network;
- timeouts, connection errors, truncated bodies and HTTP 429/5xx answers are retried with
  exponential backoff, then turned into a :class:`~geo.errors.NetworkError` that names the
  server, what failed and what to do (its ``option`` names the argument that would help);
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
  downloads are, written to a temporary file and renamed (:mod:`geo.io`'s atomic writer), and
  entries that are unreadable or fail the checks are discarded (and downloaded again) on read.

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

Modules
-------
:mod:`.client` (the public calls and their argument checks), :mod:`.settings`
(:func:`osmnx_settings`), :mod:`.http` (deadline, size cap, retries), :mod:`.validate` (answer
checks), :mod:`.cache` (atomic, validated cache), :mod:`.guard` (the osmnx patches).
"""

from __future__ import annotations

from .client import (
    NETWORK_FILTER,
    features_from_polygon,
    geocode_place,
    graph_from_polygon,
)
from .http import DEFAULT_MAX_BODY_MIB, MAX_BACKOFF_S
from .settings import osmnx_settings

__all__ = [
    "DEFAULT_MAX_BODY_MIB", "MAX_BACKOFF_S", "NETWORK_FILTER", "features_from_polygon", "geocode_place",
    "graph_from_polygon", "osmnx_settings",
]
