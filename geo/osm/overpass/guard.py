"""osmnx's HTTP and cache internals patched for one call, and put back afterwards.

osmnx 2.1 writes cache files with ``Path.write_text`` (not atomic), retries HTTP 429/504
forever with a fixed 55 s pause, passes other 5xx answers and Overpass runtime-error
"remarks" on as data, and replaces ``socket.getaddrinfo`` for good. Within one call
(:func:`_guarded_osmnx`) those internals are replaced by :mod:`.cache` and :mod:`.http`, and
restored afterwards; a lock serialises the calls between threads.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import requests

from .cache import _retrieve_from_cache, _save_to_cache
from .http import _NOMINATIM_ADVICE, _OVERPASS_ADVICE, _RetryingHttp
from .settings import _LOCK
from .validate import _check_nominatim, _check_overpass

logger = logging.getLogger(__name__)

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
                "geo.osm.overpass (written for osmnx 2.0-2.1); install osmnx 2.1"
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


