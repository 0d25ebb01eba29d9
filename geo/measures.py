"""Measures of a walking catchment: intersections, ped-shed, land, services and their mix.

Each function takes plain arrays (a :class:`~geo.engine.Catchments`, masks, polygons) and
returns one figure per source, so one call measures every station of a chunk.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely

from .engine import Catchments, TravelTimeEngine
from .errors import InputError

__all__ = [
    "EPS_MIN",
    "circle_area_m2",
    "intersection_nodes",
    "intersections_reached",
    "land_in_polygon",
    "land_parts",
    "mix_index",
    "mix_indices",
    "ped_shed_ratio",
    "per_km2",
    "reached_sum",
    "service_counts",
]

#: Minutes: a node exactly at the band limit is inside (as in the engine).
EPS_MIN = 1e-9


def intersection_nodes(engine: TravelTimeEngine) -> np.ndarray:
    """Boolean mask of street intersections: nodes with >= 3 distinct neighbours.

    Parallel edges and self-loops do not count; direction is ignored. A node where a way
    only bends (2 neighbours) or ends (1) is not an intersection.
    """
    keep = engine.u != engine.v
    a = np.minimum(engine.u[keep], engine.v[keep])
    b = np.maximum(engine.u[keep], engine.v[keep])
    pairs = np.unique(np.stack([a, b], axis=1), axis=0) if len(a) else np.zeros((0, 2), np.int64)
    deg = np.bincount(pairs.ravel(), minlength=engine.n)
    return deg >= 3


def intersections_reached(cat: Catchments, is_x: np.ndarray, budget_min: float, *, n_sources: int) -> np.ndarray:
    """Intersections (``is_x`` per node) within ``budget_min`` minutes of each source (count)."""
    return np.bincount(cat.source[(cat.minutes <= budget_min + EPS_MIN) & is_x[cat.node]], minlength=n_sources)


def reached_sum(cat: Catchments, weights: np.ndarray, budget_min: float, *, n_sources: int) -> np.ndarray:
    """Sum of ``weights`` (per catchment node, e.g. residents of a demand cell) within
    ``budget_min`` minutes of each source."""
    sel = cat.minutes <= budget_min + EPS_MIN
    return np.bincount(cat.source[sel], weights=weights[cat.node[sel]], minlength=n_sources)


def circle_area_m2(radius_m: float) -> float:
    """Area of the straight-line circle of ``radius_m`` metres, m²."""
    return math.pi * radius_m * radius_m


def ped_shed_ratio(area_m2: float, radius_m: float) -> float:
    """Pedestrian-shed ratio: catchment area over the circle of the same walking distance."""
    return area_m2 / circle_area_m2(radius_m)


def per_km2(count: float, area_m2: float) -> float:
    """``count`` per km² of ``area_m2`` (NaN for an empty area)."""
    return (count / (area_m2 / 1e6)) if area_m2 > 0 else np.nan


def land_parts(geoms: np.ndarray) -> tuple[np.ndarray, shapely.STRtree, float]:
    """Dissolve (multi)polygons into disjoint polygon parts: (parts, their STRtree, total area m²).

    Other geometry types are ignored; invalid polygons are repaired first.
    """
    g = geoms[np.isin(shapely.get_type_id(geoms), [3, 6])]
    if len(g) == 0:
        parts = np.empty(0, dtype=object)
    else:
        merged = shapely.union_all(shapely.make_valid(g))
        parts = np.array([p for p in shapely.get_parts(merged) if shapely.get_type_id(p) == 3], dtype=object)
    return parts, shapely.STRtree(parts), float(shapely.area(parts).sum())


def land_in_polygon(poly: shapely.Geometry | None, parts: np.ndarray, tree: shapely.STRtree) -> float:
    """Land of :func:`land_parts` inside ``poly``, m² (parts are disjoint, so areas add up)."""
    if poly is None or poly.is_empty or len(parts) == 0:
        return 0.0
    idx = tree.query(poly, predicate="intersects")
    if len(idx) == 0:
        return 0.0
    return float(shapely.area(shapely.intersection(parts[idx], poly)).sum())


def service_counts(fcat: Catchments | None, kind_code: np.ndarray, budget_min: float, *, n_sources: int,
                   n_kinds: int) -> np.ndarray:
    """Facilities of each kind within ``budget_min`` minutes of each source.

    Parameters
    ----------
    fcat
        Facility catchments, one row per (source, facility) (``node`` = facility position);
        None when there are no facilities.
    kind_code
        Kind of each facility as ``0..n_kinds-1``.

    Returns
    -------
    ndarray
        ``(n_sources, n_kinds)`` counts.
    """
    counts = np.zeros((n_sources, n_kinds), np.int64)
    if fcat is not None and n_kinds:
        sel = fcat.minutes <= budget_min + EPS_MIN
        np.add.at(counts, (fcat.source[sel], kind_code[fcat.node[sel]]), 1)
    return counts


def mix_indices(counts: np.ndarray, *, n_kinds: int) -> np.ndarray:
    """Service mix per row: the Shannon entropy of kind shares normalised to 0-1.

    ``H = -sum(p_k ln p_k)`` over kinds with ``p_k = count_k / total``, divided by
    ``ln(n_kinds)`` (its largest value, every kind in equal numbers).

    Parameters
    ----------
    counts
        (rows, kinds) counts of facilities by kind.
    n_kinds
        Number of kinds to choose from (the normaliser ``ln n_kinds``).

    Returns
    -------
    ndarray
        One value 0-1 per row; 0 without services, with a single kind, or when ``n_kinds < 2``.
    """
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2:
        raise InputError("counts must be a 2-D array (rows x kinds)")
    out = np.zeros(len(c))
    if n_kinds < 2 or c.shape[1] == 0:
        return out
    tot = c.sum(axis=1)
    has = tot > 0
    p = np.divide(c[has], tot[has, None])
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    out[has] = -terms.sum(axis=1) / math.log(n_kinds)
    return out


def mix_index(counts: Sequence[int], *, n_kinds: int) -> float:
    """Service mix of one set of kind counts (see :func:`mix_indices`).

    Examples
    --------
    >>> round(mix_index([2, 1, 1, 0], n_kinds=4), 6)   # 1.5 ln 2 / ln 4
    0.75
    """
    c = np.asarray(counts, dtype=float).reshape(1, -1)
    return float(mix_indices(c, n_kinds=n_kinds)[0])
