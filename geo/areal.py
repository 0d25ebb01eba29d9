"""Areal units: which unit holds each point, and values moved between polygons by area.

The small kernels that every analysis with population units (communities, sub-districts,
gap areas) uses the same way:

- :func:`unit_pairs` / :func:`assign_to_units`: the unit polygon(s) holding each point, the
  first unit by position winning where units overlap;
- :func:`unit_sums`: weights summed per unit;
- :func:`areas_inside`: the area of each polygon (e.g. a demand cell) inside one polygon;
- :func:`overlaps`: the pairs of polygons of one layer that overlap, with the overlap area;
- :func:`allocate` and :func:`pieces` (dasymetric allocation): the totals of source zones (a
  census unit, a raster pixel) spread over target cells in proportion to a primary weight
  (building floor area), falling back to a secondary weight (land area) in zones where the
  primary weight is zero; a zone that touches no cell keeps its total as *unplaced*, so that
  ``per_cell.sum() + unplaced.sum() == values.sum()`` always holds: nothing vanishes.

All functions are vectorised (one STRtree query per call) and work on plain numpy arrays of
shapely geometries in one metric CRS.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from .errors import InputError

#: Predicates accepted by :func:`unit_pairs`: ``"within"`` (a point on a unit's border belongs
#: to no unit through that border) or ``"covered_by"`` (border included).
Predicate = Literal["within", "covered_by"]


def unit_pairs(
    points: np.ndarray, units: np.ndarray, *, predicate: Predicate = "within"
) -> tuple[np.ndarray, np.ndarray]:
    """Every (point, unit) position pair where the unit holds the point.

    Parameters
    ----------
    points
        Point geometries (shapely array).
    units
        Unit polygons (shapely array).
    predicate
        ``"within"`` (interior only) or ``"covered_by"`` (boundary included).

    Returns
    -------
    point_pos, unit_pos
        Aligned int64 arrays of positions, one row per pair, in the STRtree's order.
    """
    if len(points) == 0 or len(units) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pi, ui = shapely.STRtree(units).query(points, predicate=predicate)
    return pi.astype(np.int64), ui.astype(np.int64)


def first_unit(point_pos: np.ndarray, unit_pos: np.ndarray, n_points: int) -> np.ndarray:
    """Per point, the lowest unit position among its pairs; -1 for a point in no unit.

    Parameters
    ----------
    point_pos, unit_pos
        Pairs as returned by :func:`unit_pairs`.
    n_points
        Number of points (length of the result).
    """
    out = np.full(n_points, -1, dtype=np.int64)
    if len(point_pos):
        first = pd.Series(unit_pos).groupby(point_pos).min()
        out[first.index.to_numpy()] = first.to_numpy()
    return out


def assign_to_units(points: np.ndarray, units: np.ndarray, *, predicate: Predicate = "within") -> np.ndarray:
    """Position of the unit holding each point; first unit by position on overlaps, -1 when none.

    Parameters
    ----------
    points
        Point geometries (e.g. demand cells' representative points).
    units
        Unit polygons.
    predicate
        ``"within"`` (default: the rule population spreading and the analyses share) or
        ``"covered_by"`` (a point on a border belongs to the unit).

    Returns
    -------
    numpy.ndarray
        int64 positions into ``units``, aligned with ``points``.
    """
    pi, ui = unit_pairs(points, units, predicate=predicate)
    return first_unit(pi, ui, len(points))


def unit_sums(values: np.ndarray, unit_of: np.ndarray, n_units: int) -> np.ndarray:
    """Sum of ``values`` per unit (members with ``unit_of == -1`` left out), length ``n_units``.

    NaN values count as 0. Vectorised (one ``bincount``).
    """
    inside = unit_of >= 0
    w = np.nan_to_num(np.asarray(values, dtype=float)[inside], nan=0.0)
    return np.bincount(unit_of[inside], weights=w, minlength=n_units)


def areas_inside(polygons: np.ndarray, poly: shapely.Geometry | None, *,
                 tree: shapely.STRtree | None = None) -> np.ndarray:
    """Area of each of ``polygons`` inside ``poly`` (squared CRS units, e.g. m²).

    Parameters
    ----------
    polygons
        Polygons (shapely array), e.g. demand cells.
    poly
        One (multi)polygon, e.g. the union of walking catchments; None or empty gives zeros.
    tree
        An STR-tree of ``polygons`` (built when not given).

    Returns
    -------
    numpy.ndarray
        float64 per polygon. Polygons wholly inside ``poly`` keep their own area, only those
        across its border are intersected; vectorised (one tree query, one prepared test).
    """
    out = np.zeros(len(polygons))
    if poly is None or shapely.is_empty(poly) or len(polygons) == 0:
        return out
    idx = (tree if tree is not None else shapely.STRtree(polygons)).query(poly, predicate="intersects")
    if len(idx) == 0:
        return out
    shapely.prepare(poly)
    g = polygons[idx]
    inside = shapely.contains_properly(poly, g)
    out[idx[inside]] = shapely.area(g[inside])
    cut = idx[~inside]
    out[cut] = shapely.area(shapely.intersection(polygons[cut], poly))
    return out


def overlaps(polygons: np.ndarray, *, min_area: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair of polygons of one layer whose overlap is larger than ``min_area``.

    Parameters
    ----------
    polygons
        Polygons (shapely array) in one metric CRS.
    min_area
        Overlaps of this area or less (squared CRS units, e.g. m²) are left out: polygons that
        share a border, or slivers of digitising.

    Returns
    -------
    (ia, ib, area)
        Positions with ``ia < ib`` and the area of their intersection, ordered by ``(ia, ib)``.
        Vectorised (one STR-tree query).
    """
    ia, ib, area = pieces(polygons, polygons)
    keep = (ia < ib) & (area > min_area)
    ia, ib, area = ia[keep], ib[keep], area[keep]
    order = np.lexsort((ib, ia))
    return ia[order], ib[order], area[order]

def allocate(
    values: NDArray[np.float64],
    zone: NDArray[np.int64],
    cell: NDArray[np.int64],
    weight: NDArray[np.float64],
    *,
    n_cells: int,
    fallback: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Spread each zone's value over its cells in proportion to a weight.

    Parameters
    ----------
    values
        Total of each zone (e.g. persons), one per zone; finite and >= 0.
    zone, cell
        Pairs (zone position, cell position): which cells each zone touches. A pair may
        appear several times; its weights add up.
    weight
        Primary weight of each pair (e.g. floor area in m² of the buildings in both).
    n_cells
        Number of cells.
    fallback
        Secondary weight of each pair (e.g. land area in m²), used in zones whose primary
        weights sum to zero. None: such zones are unplaced.

    Returns
    -------
    (per_cell, unplaced)
        Allocated value per cell, and the value of each zone that found no weight
        (0 for every zone that was spread). The sum of both equals ``values.sum()``
        up to floating-point rounding; each zone's total is preserved. Vectorised.
    """
    values = np.asarray(values, dtype=float)
    zone = np.asarray(zone, dtype=np.int64)
    cell = np.asarray(cell, dtype=np.int64)
    weight = np.asarray(weight, dtype=float)
    if not (len(zone) == len(cell) == len(weight)) or (fallback is not None and len(fallback) != len(zone)):
        raise InputError("allocate: zone, cell and weight arrays (and fallback) must have the same length")
    if len(values) and (~np.isfinite(values) | (values < 0)).any():
        raise InputError("allocate: zone values must be finite and >= 0")
    n = len(values)
    w = np.bincount(zone, weights=weight, minlength=n)
    use = w[zone] > 0
    w_use = np.where(use, weight, 0.0)
    denom = w
    if fallback is not None:
        f = np.asarray(fallback, dtype=float)
        fz = np.bincount(zone, weights=f, minlength=n)
        by_fallback = (w <= 0) & (fz > 0)
        w_use = np.where(by_fallback[zone], f, w_use)
        denom = np.where(by_fallback, fz, w)
    share = np.divide(w_use, denom[zone], out=np.zeros(len(zone)), where=denom[zone] > 0)
    per_cell = np.bincount(cell, weights=values[zone] * share, minlength=n_cells).astype(float)
    unplaced = np.where(denom > 0, 0.0, values)
    return per_cell, unplaced


def pieces(
    a: NDArray[np.object_], b: NDArray[np.object_]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """Every overlapping pair of polygons of ``a`` and ``b``, with the overlap area.

    Returns ``(ia, ib, area)``: positions in ``a`` and ``b`` and the area of their
    intersection (same units as the coordinates, squared); pairs that only touch are
    left out. Vectorised (STR-tree query, then one intersection per candidate pair).
    """
    if len(a) == 0 or len(b) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    ia, ib = shapely.STRtree(b).query(a, predicate="intersects")
    area = shapely.area(shapely.intersection(a[ia], b[ib]))
    keep = area > 0
    return ia[keep].astype(np.int64), ib[keep].astype(np.int64), area[keep]

