"""HTTP for the OSM web services: one deadline, a size cap, retries; good answers only.

Bodies are streamed and read once, each socket read bounded by the call's deadline; redirects,
bodies over the size cap, non-JSON content types and JSON of the wrong shape are refused (not
retried, never cached); timeouts, broken connections, HTTP 429/5xx and partial Overpass
answers are retried with exponential backoff. Failures end as a
:class:`~geo.errors.NetworkError` that names the server, what failed and what to do, with
``option`` naming the argument that would help.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3

from ...errors import NetworkError
from .validate import _short

logger = logging.getLogger(__name__)

#: Longest pause between two attempts, whatever the backoff or a ``Retry-After`` header say.
MAX_BACKOFF_S = 60.0

# What else to do when a server fails, ending the NetworkError messages.
_OVERPASS_ADVICE = (
    "pass another Overpass server (overpass_url=...) or work offline from an OSM extract "
    "(an .osm.pbf or .osm file, read by geo.network.load_network)"
)
#: The argument naming the server of each kind (the ``option`` of its NetworkErrors).
_URL_OPTION = {"Overpass": "overpass_url", "Nominatim": "nominatim_url"}

_NOMINATIM_ADVICE = (
    "pass another Nominatim server (nominatim_url=...) or give the study area as a boundary "
    "file instead of a place name"
)


# HTTP: one deadline, a size cap, retries
# --------------------------------------------------------------------------------------

#: Default size cap of one answer body (MiB, after decompression).
DEFAULT_MAX_BODY_MIB = 256.0

_CHUNK_BYTES = 1 << 16  # one read of the body
_EXCERPT_BYTES = 2048  # read of an error page, for its message


class _Refused(Exception):
    """An answer that is wrong for good (not worth a retry): redirect, size cap, bad shape."""


class _Transient(Exception):
    """An attempt that failed in a way another attempt may not (cut short, slow...).

    ``retry_after``: seconds the server asked to wait (``Retry-After`` of a 429/5xx).
    """

    def __init__(self, message: str, *, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


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
        except (TimeoutError, urllib3.exceptions.ReadTimeoutError) as exc:
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
            f"{_OVERPASS_ADVICE if kind == 'Overpass' else _NOMINATIM_ADVICE}.",
            option="deadline_s",
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
        option = _URL_OPTION.get(kind)
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
                    f"{advice[0].upper()}{advice[1:]}.",
                    option="max_body_mib" if str(exc).startswith("response larger") else option,
                ) from None
            except _HttpError as exc:
                raise NetworkError(
                    f"Could not {self.what}: the {kind} server {server} refused the request with "
                    f"{exc}. Check the server address ({url}), or {advice}.",
                    option=option,
                ) from None
            except requests.RequestException as exc:  # bad URL...: no retry
                raise NetworkError(
                    f"Could not {self.what}: the request to the {kind} server {server} failed "
                    f"({type(exc).__name__}: {_short(str(exc))}). Check the server address "
                    f"({url}), or {advice}.",
                    option=option,
                ) from exc
        raise NetworkError(
            f"Could not {self.what}: the {kind} server {server} ({url}) failed "
            f"{attempts} attempt(s); last error: {last}. Check your internet connection or "
            f"try again later, or {advice}.",
            option=option,
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

