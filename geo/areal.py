"""Areal units: which unit holds each point, and values moved between polygons by area.

Three small kernels that every analysis with population units (communities, sub-districts,
gap areas) uses the same way:

- :func:`unit_pairs` / :func:`assign_to_units`: the unit polygon(s) holding each point, the
  first unit by position winning where units overlap;
- :func:`spread_by_overlap`: areal weighting of source polygons' values (residents of
  buildings) over target polygons (demand cells) by intersection area;
- :func:`spread_over_units` and :func:`unit_sums`: a unit's value shared among its members in
  proportion to a weight (land area), and weights summed per unit.

All functions are vectorised (one STRtree query per call) and work on plain numpy arrays of
shapely geometries in one metric CRS.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
import shapely

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
    """Sum of ``values`` per unit (members with ``unit_of == -1`` left out), length ``n_units``."""
    inside = unit_of >= 0
    return np.bincount(unit_of[inside], weights=np.asarray(values, dtype=float)[inside], minlength=n_units)


def spread_over_units(unit_values: np.ndarray, unit_of: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float]:
    """Share each unit's value among its members in proportion to ``weights``.

    Parameters
    ----------
    unit_values
        Value of each unit (e.g. residents).
    unit_of
        Unit position of each member (-1: in no unit, gets 0).
    weights
        Weight of each member (e.g. land area, m²).

    Returns
    -------
    per_member, unplaced
        Each member's part (0 outside every unit), and the summed value of units whose members
        weigh nothing (reported, not spread elsewhere).
    """
    unit_values = np.asarray(unit_values)
    total = unit_sums(weights, unit_of, len(unit_values))
    u = np.maximum(unit_of, 0)
    per = np.where(unit_of >= 0, unit_values[u] * weights / np.where(total[u] > 0, total[u], 1), 0.0)
    return per, float(unit_values[total <= 0].sum())


def spread_by_overlap(values: np.ndarray, sources: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Areal weighting: spread each source polygon's value over targets by intersection area.

    Parameters
    ----------
    values
        Value of each source polygon (e.g. estimated residents of a building).
    sources
        Source polygons.
    targets
        Target polygons (e.g. demand cells).

    Returns
    -------
    per_target, unplaced
        Each target's total, and per source the value that found no target (0 where it did).
    """
    si, ti = shapely.STRtree(targets).query(sources, predicate="intersects")
    inter = shapely.area(shapely.intersection(sources[si], targets[ti]))
    keep = inter > 0
    si, ti, inter = si[keep], ti[keep], inter[keep]
    tot = np.bincount(si, weights=inter, minlength=len(sources))
    per_target = np.bincount(ti, weights=values[si] * inter / np.where(tot[si] > 0, tot[si], 1), minlength=len(targets))
    return per_target, np.where(tot > 0, 0.0, values)
