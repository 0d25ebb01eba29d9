"""osmnx's download cache, written atomically and read with the answers' checks.

A cache file never holds a partial, failed or refused answer: entries are checked as
downloads are, written through the atomic writer of :mod:`geo.io` (a temporary file and a
rename), and entries that are unreadable or fail the checks are discarded (and downloaded
again) on read.
"""

from __future__ import annotations

import contextlib
import json
import logging
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...io import atomic_write
from .validate import _check_nominatim, _check_overpass

logger = logging.getLogger(__name__)


def _write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through :mod:`geo.io`'s atomic writer (a temporary file, a rename).

    Readers see either the old file, no file, or the complete new file; the temporary file is
    removed if anything fails (an :class:`~geo.errors.InputError` naming the reason).
    """

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    atomic_write(path, write)


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
        _write_text(path, json.dumps(response_json))
    except (OSError, InputError) as exc:
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

