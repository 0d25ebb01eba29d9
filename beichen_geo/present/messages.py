"""Every sentence the program says about its data, in one place (zh and en where shown on maps).

The analyses, the study and the population module produce figures and codes; the words for
them are here: the reasons a standard is not met, the study's and the residents' warnings,
and the notes and rules of the summaries.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

EN_SEP = "; "


# --------------------------------------------------------------------------- reasons
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
    if code == "residents_beyond_minutes":
        pct = f"{reason['covered_share_residents']:.1%}"
        return (f"仅{pct}的居民{reason['minutes']:g}分钟内可达{kind}" if lang == "zh"
                else f"only {pct} of residents reach {kind} within {reason['minutes']:g} min")
    if code == "too_few_centres":
        have, need = reason["centres_inside"], reason["required_centres"]
        return (f"单元内{kind}{have}所, 需要{need}所" if lang == "zh"
                else f"{have} {kind} inside the unit, {need} required")
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
    parts += [reason_text(r, lang=lang, labels=lab) for r in reasons
              if r["code"] in ("beyond_distance", "residents_beyond_minutes", "too_few_centres")]
    return ("；" if zh else "; ").join(parts)


def off_network_warning(share: float, n_cells: int, *, max_snap_m: float) -> str:
    """The study-level warning for residential land beyond the street network, with the right hint."""
    return (
        f"{share:.1%} of residential land ({n_cells} demand cells) is more than {max_snap_m:g} m from any street "
        "of the walk network and counts as not covered in every analysis. Usually the extract lacks the footways "
        "or service roads there, or the study area reaches beyond the network; check the OSM data or the boundary "
        "(raise travel.max_snap_m in a --standards file only where streets truly are that far away)."
    )


# --------------------------------------------------------------------------- study
def excluded_features(kind: str, items: Sequence[dict[str, Any]]) -> str:
    """OSM features a kind's tags matched but its exclude rules left out."""
    shown = "; ".join(f"{i['name'] or 'OSM ' + str(i['osmid'])} ({i['why']})" for i in items[:5])
    return (f"{kind}: {len(items)} OSM feature(s) matched the kind's tags but are left out by its exclude "
            f"rules (standards [kinds.{kind}] exclude): {shown}{'...' if len(items) > 5 else ''}")


def facilities_outside_area(n: int, files: Sequence[str], rows: Sequence[int], *, reach_m: float) -> str:
    """A planner's facilities beyond the study area and its reach."""
    return (f"{n} facilities from {', '.join(sorted(set(files)))} lie outside the study area "
            f"(+{reach_m:,.0f} m) and are not used (rows {', '.join(map(str, rows[:10]))}"
            f"{'...' if len(rows) > 10 else ''}). Check their coordinates and --coords.")


# --------------------------------------------------------------------------- residents
def land_without_residents(share: float, area_m2: float, source: str, cause: str) -> str:
    """Much residential land holds nobody, and the likely cause."""
    return (f"{share:.0%} of residential land ({area_m2 * share / 1e6:,.2f} of {area_m2 / 1e6:,.2f} km²) "
            f"holds no residents ({source.split(':')[0]}): {cause}")


def land_without_buildings(share: float, unbuilt_m2: float, land_m2: float, density_per_m2: float) -> str:
    """Residential land with no building in the data, filled at the study's density."""
    return (f"{share:.0%} of residential land ({unbuilt_m2 / 1e6:,.2f} of "
            f"{land_m2 / 1e6:,.2f} km²) "
            f"has no building in the data (buildings missing in OSM?); its residents are assumed at the density of the "
            f"rest ({density_per_m2 * 1e4:,.0f}/ha). Give --population (units or a raster) for counts")


CAUSE_NO_BUILDINGS = ("no building stands on it in the data (buildings missing in OSM); "
                      "give --population (units or a raster) for counts")
CAUSE_NO_UNIT = "that land lies in no --population unit; check that the units cover the study area"
RESCALE_ESTIMATE_ONLY = ("[population] rescale_to_total applies to the estimate only: "
                         "the given counts are kept as given")


def units_outside_area(n: int, names: Sequence[str]) -> str:
    """Population units wholly outside the study area."""
    return (f"{n} population unit(s) lie outside the study area and are not counted"
            + (f" ({', '.join(names[:5])}{'...' if len(names) > 5 else ''})" if len(names) else ""))


def units_without_land(residents: float, n_units: int, names: Sequence[str]) -> str:
    """Units whose residents fall on no residential land."""
    return (f"{residents:,.0f} residents of {n_units} unit(s) hold no "
            "residential "
            f"land in the data and are reported as residents_unplaced ({', '.join(names[:5])}"
            f"{'...' if len(names) > 5 else ''})")


# --------------------------------------------------------------------------- analyses
def facilities_off_network(kind: str, n: int, *, max_snap_m: float) -> str:
    """Facilities of a kind too far from every street to serve anybody."""
    return f"{kind} facilities: {n} more than {max_snap_m:g} m from the street network (they serve nobody here)"


FCA_NEEDS_RESIDENTS = "2SFCA needs residents per cell (none given)"
GAPS_NOTE = ("Coverage is along the walk network (a cell counts when its representative point is within the "
             "time). Existing facilities stay open. Generated candidates are street nodes within reach of the "
             "gaps: check that a site can actually be built there.")
PARKS_NOTE = ("Straight-line buffers overstate access across rivers, railways and walls; "
              "the network figure is what residents walk.")
CLINICS_UNITS_OVER_POPULATION = ("the units grouping gives the units of S-H-01; the population layer's units only "
                                 "spread the residents over the cells")


def clinics_residents_unknown(source: str) -> str:
    return f"residents are unknown ({source}); only land shares and the one-centre-per-unit rule are measured"


def clinics_no_centres(kind: str, walk_min: float) -> str:
    return (f"no facilities of kind {kind!r} in the study: every unit fails and "
            f"no home is within {walk_min:g} min. "
            "Give the official CHSC list with --facilities FILE --kind chsc (it then replaces the OSM proxy).")


def clinics_rule(*, min_per_town: int, cap: float, reach_target: float, walk_min: float, floor: float) -> str:
    """The S-H-01 rule as measured, in words (summary ``rule``)."""
    m, hi = min_per_town, cap
    return (
        f"every unit needs at least {m} centre(s) (每个镇街1所); a unit of more than "
        f"{hi:,.0f} residents needs one per {hi:,.0f}: required_centres = max({m}, "
        f"ceil(residents / {hi:,.0f})). The count test (passes_count) asks that the centres inside a unit "
        f"reach required_centres; the reach test (passes_reach) that at least {reach_target:.0%} of its residents "
        f"(of its land when residents are unknown) live within {walk_min:g} min of a centre; "
        "a unit passes when both hold. "
        f"Fewer than {floor:,.0f} residents per centre is flagged below_min_catchment (informational)."
    )


# --------------------------------------------------------------------------- units and zones
#: How demand cells are assigned to units and zones (summary ``<kind>_check.rule``, README).
UNITS_RULE = ("a demand cell belongs to the unit that covers its demand point (the point of the cell that is "
              "snapped to the street network; a point on a unit's border belongs to that unit); where units "
              "overlap, the first unit in file order wins, so every cell is counted once")

#: Words of a unit's verdict (True, False, None = not measured: no residential land).
PASS_WORDS = {"en": {True: "pass", False: "fail", None: "no residential land"},
              "zh": {True: "达标", False: "未达标", None: "无居住用地"}}


def _names(names: Sequence[str], n: int = 5) -> str:
    return ", ".join(repr(str(x)) for x in names[:n]) + ("..." if len(names) > n else "")


def grouping_warnings(kind: str, check: dict[str, Any]) -> list[str]:
    """One sentence per finding of a units/zones check (overlaps, gaps, empty units, duplicate names)."""
    what = kind + (f" ({check['source']})" if check.get("source") else "")
    out: list[str] = []
    if check.get("overlaps_count"):
        pairs = "; ".join(f"{o['a']!r} and {o['b']!r} {o['area_m2']:,.0f} m²" for o in check["overlaps"][:3])
        out.append(f"{what}: {check['overlaps_count']} pair(s) of units overlap ({check['overlap_area_m2']:,.0f} m² "
                   f"in all, e.g. {pairs}); a demand cell in an overlap counts for the first unit in file order only")
    if check.get("cells_outside_units"):
        res = check.get("residents_outside_units")
        out.append(f"{what}: {check['cells_outside_units']} demand cells "
                   f"({check['residential_area_m2_outside_units']:,.0f} m² of residential land"
                   + ("" if res is None else f", {res:,.0f} residents") + ") lie in no unit: they count for the "
                   "whole area but for no unit; check that the units cover the study area")
    empty = check.get("units_without_residential_land") or []
    if empty:
        out.append(f"{what}: {len(empty)} unit(s) hold no residential land ({_names(empty)}): their shares and "
                   "passes are null (not measured), they stay in the tables")
    dup = check.get("duplicate_names") or []
    if dup:
        out.append(f"{what}: {len(dup)} name(s) appear more than once ({_names(dup)}); the units are kept apart, "
                   "the second one named 'NAME (2)', the third 'NAME (3)'...")
    return out
