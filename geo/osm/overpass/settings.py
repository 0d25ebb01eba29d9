"""Temporary ``osmnx.settings``, restored exactly on exit, and the lock of osmnx's global state."""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

# One lock for osmnx's global state: settings and the patched internals.
_LOCK = threading.RLock()


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

