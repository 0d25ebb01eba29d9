"""Why a standard is not met: reasons as data, and their wording in one place.

An analysis puts ``reasons`` in its summary as small dicts with a ``code`` and the figures
behind it; :func:`reason_text` words them (zh or en) for the console line and the map's
title box. Codes:

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
    (``method``: ``euclidean`` straight line, ``network`` along the streets).
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


def reason_text(reason: dict[str, Any], *, lang: str = "en", labels: dict[str, str] | None = None) -> str:
    """One reason in words; ``labels`` maps kinds to their display names."""
    kind = (labels or {}).get(reason.get("kind", ""), reason.get("kind", ""))
    code = reason["code"]
    if code == "no_facilities":
        return f"数据中没有{kind}" if lang == "zh" else f"no {kind} in the data"
    if code == "off_network_land":
        pct = f"{reason['share_land']:.1%}"
        return (f"{pct}的居住用地距道路超过{reason['max_snap_m']:g}米(不在路网上)" if lang == "zh"
                else f"{pct} of residential land is over {reason['max_snap_m']:g} m from any street (off-network)")
    if code == "beyond_minutes":
        pct = f"{reason['covered_share_land']:.1%}"
        return (f"仅{pct}的用地{reason['minutes']:g}分钟内可达{kind}" if lang == "zh"
                else f"only {pct} of land reaches {kind} within {reason['minutes']:g} min")
    if code == "beyond_distance":
        pct = f"{reason['covered_share_land']:.1%}"
        words = {"euclidean": ("直线", "in a straight line"), "network": ("沿路网", "along the streets")}
        how = words[reason["method"]]
        return (f"仅{pct}的用地{how[0]}{reason['distance_m']:g}米内有{kind}" if lang == "zh"
                else f"only {pct} of land lies within {reason['distance_m']:g} m of a {kind} {how[1]}")
    raise ValueError(f"unknown reason code {code!r}")


def reasons_line(reasons: list[dict[str, Any]], *, lang: str = "en", labels: dict[str, str] | None = None) -> str:
    """Reasons joined for one console or title-box line ('' when there are none)."""
    return ("; " if lang == "en" else "；").join(reason_text(r, lang=lang, labels=labels) for r in reasons)


def brief_line(reasons: list[dict[str, Any]], *, lang: str = "en", labels: dict[str, str] | None = None) -> str:
    """The reasons in few words, for a map's title box: kinds grouped by reason.

    ``no X, Y in the data; 2.1% of land off the street network; within 5 min only: A 62.1%, B 93.2%``
    """
    lab = labels or {}
    zh = lang == "zh"
    missing = [lab.get(r["kind"], r["kind"]) for r in reasons if r["code"] == "no_facilities"]
    parts: list[str] = []
    if missing:
        parts.append(f"数据中没有{'、'.join(missing)}" if zh else f"no {', '.join(missing)} in the data")
    parts += [reason_text(r, lang=lang, labels=lab) for r in reasons if r["code"] == "off_network_land"]
    beyond = [r for r in reasons if r["code"] == "beyond_minutes"]
    if beyond:
        kinds = ", ".join(f"{lab.get(r['kind'], r['kind'])} {r['covered_share_land']:.1%}" for r in beyond)
        mins = beyond[0]["minutes"]
        parts.append(f"{mins:g}分钟内可达用地比例: {kinds}" if zh else f"land within {mins:g} min of: {kinds}")
    parts += [reason_text(r, lang=lang, labels=lab) for r in reasons if r["code"] == "beyond_distance"]
    return ("；" if zh else "; ").join(parts)


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


def off_network_warning(share: float, n_cells: int, *, max_snap_m: float) -> str:
    """The study-level warning for residential land beyond the street network, with the right hint."""
    return (
        f"{share:.1%} of residential land ({n_cells} demand cells) is more than {max_snap_m:g} m from any street "
        "of the walk network and counts as not covered in every analysis. Usually the extract lacks the footways "
        "or service roads there, or the study area reaches beyond the network; check the OSM data or the boundary "
        "(raise travel.max_snap_m in a --standards file only where streets truly are that far away)."
    )
