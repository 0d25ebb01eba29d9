"""Coverage: minutes from each demand point to the nearest facility of each kind.

Column names carry the mode and the unit, e.g. ``walk_min_to_clinic``; ``inf`` means
"not within the cutoff" and NaN means "the demand point is off the network" (it is kept
and counted, never dropped).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from .access import AccessSnap
from .demand import share
from .engine import Direction, TravelTimeEngine
from .errors import DataError
from .snapping import DEFAULT_MAX_SNAP_M, SnappedPoints, snap_points


def minutes_column(mode: str, kind: str) -> str:
    """Name of the minutes column for a mode and facility kind, e.g. ``walk_min_to_clinic``."""
    return f"{mode}_min_to_{kind}"


def minutes_by_kind(
    engine: TravelTimeEngine,
    demand: gpd.GeoDataFrame | gpd.GeoSeries,
    facilities: gpd.GeoDataFrame,
    *,
    kind_col: str = "kind",
    kinds: Sequence[str] | None = None,
    cutoff_min: float | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    direction: Direction = "to_source",
    demand_snap: SnappedPoints | None = None,
    facility_snaps: Mapping[str, SnappedPoints | AccessSnap] | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Minutes from every demand point to the nearest facility of each kind.

    Parameters
    ----------
    engine
        Compiled network.
    demand
        Demand points (homes, grid-cell points) in any CRS.
    facilities
        Facilities with a ``kind_col`` column; polygons use a point on their surface.
    kinds
        Kinds to compute (default: every kind present). A kind with no facility gives
        ``inf`` everywhere and is listed under ``"kinds_without_facilities"``.
    cutoff_min
        Search bound in minutes (faster); farther facilities count as ``inf``.
    max_snap_m
        Largest straight-line distance to a street, metres, for demand and facilities.
    demand_snap
        Reuse an earlier snap of ``demand``.
    facility_snaps
        Reuse earlier snaps of each kind's facilities (kind -> snap of its rows, in order),
        or their :class:`geo.access.AccessSnap` (entrances / outline points): minutes are then
        the best over each facility's access points.

    Returns
    -------
    table, report
        ``table`` has the demand index and one column per kind (minutes, NaN off-network)
        plus ``nearest_<kind>`` (index label of the nearest facility, None if none).
        ``report`` counts off-network demand and facilities per kind.

    Notes
    -----
    One bounded multi-source Dijkstra per kind, whatever the number of facilities.
    """
    mode = engine.net.mode
    if kind_col not in facilities.columns:
        raise DataError(f"facilities have no {kind_col!r} column")
    ds = demand_snap or snap_points(engine.net, demand, max_snap_m=max_snap_m, what="demand points")
    kinds = list(kinds) if kinds is not None else list(pd.unique(facilities[kind_col]))
    out = pd.DataFrame(index=demand.index)
    report: dict = {
        "demand_points": int(len(ds)),
        "demand_off_network": ds.n_off_network,
        "facilities": {},
        "facilities_off_network": {},
        "kinds_without_facilities": [],
    }
    on = ds.on_network
    for kind in kinds:
        fac = facilities.loc[facilities[kind_col] == kind]
        col = minutes_column(mode, kind)
        report["facilities"][kind] = int(len(fac))
        if len(fac) == 0:
            report["kinds_without_facilities"].append(kind)
            out[col] = np.where(on, np.inf, np.nan)
            out[f"nearest_{kind}"] = None
            continue
        if facility_snaps is not None and kind in facility_snaps:
            fs = facility_snaps[kind]
        else:
            fs = snap_points(engine.net, fac, max_snap_m=max_snap_m, what=f"{kind} facilities")
        report["facilities_off_network"][kind] = fs.n_off_network  # facilities, also for an AccessSnap
        points, feature = (fs.points, fs.feature) if isinstance(fs, AccessSnap) else (fs, None)
        res = engine.point_minutes(ds, points, cutoff_min=cutoff_min, direction=direction)
        out[col] = np.where(on, res.minutes, np.nan)
        labels = fac.index.to_numpy()
        src = np.maximum(res.source, 0) if feature is None else feature[np.maximum(res.source, 0)]
        out[f"nearest_{kind}"] = np.where(res.source >= 0, labels[src], None)
    return out, report


def covered_shares(
    minutes: pd.DataFrame | pd.Series,
    thresholds_min: Sequence[float] | Mapping[str, float],
    *,
    weights: np.ndarray | pd.Series | None = None,
) -> dict[str, float]:
    """Weighted share of demand within each threshold.

    Off-network demand (NaN) counts as *not covered* (it stays in the denominator).
    ``thresholds_min`` is a list (keys ``"<t>min"``) or a mapping name -> minutes.
    """
    m = np.asarray(minutes, dtype=float)
    w = np.ones(len(m)) if weights is None else np.asarray(weights, dtype=float)
    items = (thresholds_min.items() if isinstance(thresholds_min, Mapping)
             else ((f"{t:g}min", t) for t in thresholds_min))
    out = {}
    for name, t in items:
        with np.errstate(invalid="ignore"):
            out[name] = round(share(w, np.nan_to_num(m, nan=np.inf) <= t), 6)
    return out
