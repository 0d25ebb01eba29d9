"""Dasymetric allocation: spread the totals of source zones over target cells by a weight.

A *zone* (a census unit, a raster pixel) holds a known total; the *cells* (pieces of
residential land) receive it in proportion to a primary weight (e.g. building floor area in
the cell and the zone), falling back to a secondary weight (land area) in zones where the
primary weight is zero. A zone that touches no cell keeps its total as *unplaced*, so that
``per_cell.sum() + unplaced.sum() == values.sum()`` always holds: nothing vanishes.

The functions take and return arrays; they know nothing of population or of OSM.
"""

from __future__ import annotations

import numpy as np
import shapely
from numpy.typing import NDArray

from ._errors import InputError

__all__ = ["allocate", "pieces"]


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

