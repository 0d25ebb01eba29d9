"""Which OSM ways make up the walk, bike and drive networks, and in which directions.

One filter for every source (PBF, OSM XML, GraphML, Overpass), so a network loaded from a
file and the same area downloaded online hold the same ways. The rules follow OSM's
access hierarchy and osmnx's network types, with these deliberate choices:

walk
    Every way is two-way. Excluded: motorways and their links, ``motorroad=yes``,
    ``foot=no``, ``access=private|no`` (unless ``foot=yes|designated|permissive``),
    ``service=private``, areas, and ways that are not built (construction, proposed...).
    Unlike osmnx, cycleways stay unless ``foot=no``: shared paths are common in China.
bike
    Motorways, trunk roads with ``motorroad=yes``, ``bicycle=no`` and closed access are
    excluded; footways, pedestrian streets and steps only stay with ``bicycle=yes|designated``.
    One-way streets are one-way unless ``oneway:bicycle=no`` or ``cycleway=opposite*``.
drive
    Only motor-vehicle highway classes; ``access|motor_vehicle|motorcar=no|private``
    excluded; ``oneway=yes|-1``, roundabouts and motorways are one-way.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

MODES: Final = ("walk", "bike", "drive")

#: Tags a network loader must keep on every way for :func:`filter_ways` to work.
WAY_TAGS: Final = [
    "highway",
    "name",
    "access",
    "foot",
    "bicycle",
    "motor_vehicle",
    "motorcar",
    "motorroad",
    "vehicle",
    "service",
    "oneway",
    "oneway:bicycle",
    "cycleway",
    "junction",
    "area",
]

_NOT_BUILT = {
    "abandoned", "construction", "no", "planned", "proposed", "raceway", "razed",
    "rest_area", "services", "platform", "bus_stop", "elevator", "corridor", "escape",
    "bus_guideway", "busway", "emergency_bay",
}
_MOTORWAY = {"motorway", "motorway_link"}
_FOOT_ONLY = {"footway", "pedestrian", "steps", "path", "bridleway", "corridor", "track"}
_DRIVABLE = {
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
    "residential", "living_street", "service", "road",
}
_CLOSED = {"no", "private"}
_OPEN = {"yes", "designated", "permissive", "destination"}


def _col(ways: pd.DataFrame, key: str) -> pd.Series:
    """Tag column as lower-case strings ('' where absent); first of ``a;b`` values."""
    if key not in ways.columns:
        return pd.Series("", index=ways.index, dtype=object)
    s = ways[key]
    out = s.where(s.notna(), "").astype(str).str.strip().str.lower()
    # OSM allows several values separated by ';' (e.g. "private;delivery"): use the first
    return out.str.split(";").str[0].str.strip()


def _closed(ways: pd.DataFrame, *mode_keys: str) -> np.ndarray:
    """True where the most specific access tag present closes the way (OSM hierarchy)."""
    decided = np.zeros(len(ways), dtype=bool)
    closed = np.zeros(len(ways), dtype=bool)
    for key in (*mode_keys, "access"):
        v = _col(ways, key).to_numpy()
        present = (v != "") & ~decided
        closed |= present & np.isin(v, list(_CLOSED))
        decided |= present
    return closed


def filter_ways(ways: pd.DataFrame, mode: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Select the ways of a network type and their allowed directions.

    Parameters
    ----------
    ways
        One row per way (or way segment) with the OSM tag columns of :data:`WAY_TAGS`;
        missing columns count as absent tags.
    mode
        ``"walk"``, ``"bike"`` or ``"drive"``.

    Returns
    -------
    keep, forward, backward
        Boolean arrays of ``len(ways)``: whether the way belongs to the network, and whether
        it may be travelled in its drawing direction (forward) and against it (backward).

    This function is vectorised.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    hw = _col(ways, "highway").to_numpy()
    area = _col(ways, "area").to_numpy()
    service = _col(ways, "service").to_numpy()
    keep = (hw != "") & ~np.isin(hw, list(_NOT_BUILT)) & (area != "yes")
    keep &= service != "private"
    oneway = _col(ways, "oneway").to_numpy()
    junction = _col(ways, "junction").to_numpy()
    fwd_only = np.isin(oneway, ["yes", "true", "1"]) | (junction == "roundabout") & (oneway != "no")
    back_only = np.isin(oneway, ["-1", "reverse"])
    n = len(ways)
    forward = np.ones(n, dtype=bool)
    backward = np.ones(n, dtype=bool)

    if mode == "walk":
        foot = _col(ways, "foot").to_numpy()
        motorroad = _col(ways, "motorroad").to_numpy()
        keep &= ~np.isin(hw, list(_MOTORWAY)) & (motorroad != "yes")
        keep &= ~_closed(ways, "foot")
        keep &= foot != "no"
    elif mode == "bike":
        bicycle = _col(ways, "bicycle").to_numpy()
        motorroad = _col(ways, "motorroad").to_numpy()
        keep &= ~np.isin(hw, list(_MOTORWAY)) & (motorroad != "yes")
        keep &= ~_closed(ways, "bicycle", "vehicle")
        foot_only = np.isin(hw, list(_FOOT_ONLY)) & (hw != "path") & (hw != "track")
        keep &= ~foot_only | np.isin(bicycle, list(_OPEN))
        ob = _col(ways, "oneway:bicycle").to_numpy()
        cw = _col(ways, "cycleway").to_numpy()
        contraflow = (ob == "no") | pd.Series(cw).str.startswith("opposite").to_numpy()
        forward = ~(back_only & ~contraflow)
        backward = ~(fwd_only & ~contraflow)
    else:  # drive
        keep &= np.isin(hw, list(_DRIVABLE))
        keep &= ~_closed(ways, "motorcar", "motor_vehicle", "vehicle")
        implied = np.isin(hw, list(_MOTORWAY)) & (oneway != "no")
        forward = ~back_only
        backward = ~(fwd_only | implied)
    return keep, forward, backward
