"""Two-step floating catchment (2SFCA, Luo & Wang 2003) on the engine's walk times.

Supply per unit of demand within a cutoff (minutes): each facility's supply is shared among
the demand in its catchment, and each demand point sums the shares of the facilities it
reaches.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..engine import Catchments, Direction, TravelTimeEngine
from ..errors import InputError
from ..snapping import SnappedPoints


@dataclasses.dataclass(frozen=True)
class FcaResult:
    """Two-step floating catchment (2SFCA, Luo & Wang 2003).

    Attributes
    ----------
    facility_ratio
        Step 1, per facility: supply / demand weight within its catchment (e.g. centres per
        resident); NaN when nobody is in the catchment.
    catchment_demand
        Per facility: demand weight within the cutoff (e.g. residents).
    access
        Step 2, per demand point: sum of the ratios of the facilities it reaches (supply
        per unit of demand, e.g. centres per resident); 0 when none is reached.
    cutoff_min
        Catchment cutoff, minutes.
    """

    facility_ratio: np.ndarray
    catchment_demand: np.ndarray
    access: np.ndarray
    cutoff_min: float


def two_step_fca_pairs(
    facility: np.ndarray, demand: np.ndarray, minutes: np.ndarray, *,
    supply: np.ndarray, demand_weights: np.ndarray, cutoff_min: float,
) -> FcaResult:
    """2SFCA from a long table of (facility, demand point, minutes) pairs.

    Parameters
    ----------
    facility, demand, minutes
        Aligned arrays: facility position, demand-point position, travel minutes. Pairs
        beyond ``cutoff_min`` are ignored; missing pairs are unreachable.
    supply
        Capacity per facility (e.g. 1 per centre, or doctors).
    demand_weights
        Weight per demand point (e.g. residents).
    cutoff_min
        Catchment cutoff, minutes (inclusive).

    Returns
    -------
    FcaResult
        ``R_j = S_j / sum_{i: t_ij <= t0} P_i`` and ``A_i = sum_{j: t_ij <= t0} R_j``.
    """
    supply = np.asarray(supply, dtype=float)
    pw = np.nan_to_num(np.asarray(demand_weights, dtype=float))
    f = np.asarray(facility, dtype=np.int64)
    d = np.asarray(demand, dtype=np.int64)
    t = np.asarray(minutes, dtype=float)
    if not (len(f) == len(d) == len(t)):
        raise InputError("facility, demand and minutes must have the same length")
    if (supply < 0).any() or (pw < 0).any():
        raise InputError("supply and demand weights must be >= 0")
    keep = t <= cutoff_min + 1e-9
    f, d = f[keep], d[keep]
    cat = np.bincount(f, weights=pw[d], minlength=len(supply))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(cat > 0, supply / np.where(cat > 0, cat, 1.0), np.nan)
    access = np.bincount(d, weights=np.nan_to_num(ratio[f]), minlength=len(pw))
    return FcaResult(facility_ratio=ratio, catchment_demand=cat, access=access, cutoff_min=float(cutoff_min))


def two_step_fca(
    engine: TravelTimeEngine,
    facilities: SnappedPoints,
    demand: SnappedPoints,
    *,
    supply: np.ndarray | None = None,
    demand_weights: np.ndarray,
    cutoff_min: float,
    direction: Direction = "to_source",
) -> FcaResult:
    """2SFCA with the engine's walk times: supply per unit of demand within ``cutoff_min``.

    Parameters
    ----------
    engine
        Compiled network.
    facilities
        Snapped facilities (off-network ones serve nobody).
    demand
        Snapped demand points (e.g. residential cells).
    supply
        Capacity per facility; None = 1 each (e.g. one centre).
    demand_weights
        Residents (or other demand) per demand point.
    cutoff_min
        Catchment cutoff, minutes.

    Returns
    -------
    FcaResult
        See :func:`two_step_fca_pairs`.
    """
    s = np.ones(len(facilities)) if supply is None else np.asarray(supply, dtype=float)
    if len(s) != len(facilities):
        raise InputError(f"supply has {len(s)} values for {len(facilities)} facilities")
    pw = np.asarray(demand_weights, dtype=float)
    if len(pw) != len(demand):
        raise InputError(f"demand weights have {len(pw)} values for {len(demand)} demand points")
    if len(facilities) == 0 or not facilities.on_network.any() or not demand.on_network.any():
        cat = Catchments(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), len(facilities), float(cutoff_min))
    else:
        cat = engine.point_catchments(demand, facilities, cutoff_min=cutoff_min, direction=direction)
    return two_step_fca_pairs(cat.source, cat.node, cat.minutes, supply=s, demand_weights=pw, cutoff_min=cutoff_min)
