"""Checks of Overpass and Nominatim answers: complete, well-formed JSON or a short reason why not.

The same checks guard downloads and cache reads, so a broken entry left by an older version
is discarded too. Problems are counted per kind (``"3 nodes without lat/lon (first: node 7)"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any


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

