"""Why a standard is not met: reasons as data.

An analysis puts ``reasons`` in its summary as small dicts with a ``code`` and the figures
behind it; :mod:`beichen_geo.present.messages` words them (zh or en) for the console line,
the CSV and the map's title box. Codes:

``no_facilities``
    the data hold no facility of ``kind`` (every home fails that kind);
``off_network_land``
    ``share_land`` of the residential land is more than ``max_snap_m`` from any street and
    counts as not covered;
``beyond_minutes``
    ``kind`` exists, but only ``covered_share_land`` of the land reaches it within
    ``minutes``;
``beyond_distance``
    ``kind`` exists, but only ``covered_share_land`` of the land lies within ``distance_m``
    (``method``: ``euclidean`` straight line, ``network`` along the streets);
``residents_beyond_minutes``
    ``kind`` exists, but only ``covered_share_residents`` of the residents reach it within
    ``minutes`` (the clinics' reach test of a unit);
``too_few_centres``
    ``centres_inside`` of ``kind`` stand in the unit, ``required_centres`` are needed
    (the clinics' count test).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def off_network_land(area_m2: np.ndarray, on_network: np.ndarray) -> float:
    """Share (0-1) of residential land whose demand cells are off the street network."""
    total = float(np.sum(area_m2))
    return 0.0 if total <= 0 else float(np.sum(area_m2[~on_network]) / total)


def kind_reasons(
    kinds_cov: dict[str, dict[str, Any]], *, minutes: float, target: float, off_network_share: float, max_snap_m: float
) -> list[dict[str, Any]]:
    """Reasons a tier (or one kind's standard) is not met, most basic first.

    Parameters
    ----------
    kinds_cov
        Per kind: ``facilities`` (count) and ``covered_share_land`` (0-1).
    minutes
        Walking minutes of the standard.
    target
        Target share (0-1); a kind whose share reaches it needs no reason.
    off_network_share
        Share of residential land off the street network (0-1).
    max_snap_m
        Snap distance that defines "off the network", metres.
    """
    out: list[dict[str, Any]] = []
    for kind, cov in kinds_cov.items():
        if not cov.get("facilities"):
            out.append({"code": "no_facilities", "kind": kind})
    if off_network_share > 0.005:
        out.append({"code": "off_network_land", "share_land": round(off_network_share, 4), "max_snap_m": max_snap_m})
    for kind, cov in kinds_cov.items():
        share = cov.get("covered_share_land")
        if cov.get("facilities") and share is not None and share < target - 1e-12:
            out.append({"code": "beyond_minutes", "kind": kind, "minutes": minutes,
                        "covered_share_land": round(float(share), 4)})
    return out


def distance_reasons(kind: str, *, facilities: int, share: float, target: float, distance_m: float | None,
                     method: str, off_network_share: float, max_snap_m: float) -> list[dict[str, Any]]:
    """Reasons a distance standard (parks within 500 m) is not met, most basic first."""
    if share >= target - 1e-9:
        return []
    if not facilities:
        return [{"code": "no_facilities", "kind": kind}]
    out: list[dict[str, Any]] = []
    if method == "network" and off_network_share > 0.005:
        out.append({"code": "off_network_land", "share_land": round(off_network_share, 4), "max_snap_m": max_snap_m})
    if distance_m is not None:
        out.append({"code": "beyond_distance", "kind": kind, "distance_m": distance_m, "method": method,
                    "covered_share_land": round(float(share), 4)})
    return out
