"""The result lines printed on the console after a run, one small function per analysis.

Each function reads the JSON summary its analysis wrote (``DIR/<name>.json``) and gives the
lines to print; :func:`lines` dispatches on the summary's name (``circles_<variant>`` is a
circles summary) and adds one line per units/zones grouping
(:func:`beichen_geo.present.units.console_lines`); :func:`footer` says where the facilities
and residents came from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from beichen_geo.present.messages import reasons_line
from beichen_geo.present.units import console_lines as unit_lines

Summary = Mapping[str, Any]


def pct(x: float | None) -> str:
    """A share 0-1 as a percentage with one decimal; ``n/a`` when missing."""
    return "n/a" if x is None else f"{x:.1%}"


def _verdict(s: Summary) -> str:
    return "pass" if s["passes"] else "FAIL"


def circles(name: str, s: Summary) -> list[str]:
    """Land meeting each tier, all tiers against the target, and why each tier failed."""
    tiers = "; ".join(f"{t['minutes']:g} min {pct(t['covered_share_land'])}" for t in s["tiers"])
    out = [f"  {name}: {s['variant']} — land meeting each tier: {tiers}; all tiers {pct(s['all_tiers_share_land'])}"
           f" (target {pct(s['target'])}, {_verdict(s)})"]
    out += [f"      {t['minutes']:g} min not met: {reasons_line(t['reasons'])}" for t in s["tiers"] if t.get("reasons")]
    return out


def parks(name: str, s: Summary) -> list[str]:  # noqa: ARG001
    """Residential land within the park radius, straight line and network."""
    out = [f"  parks: residential land within {s['radius_m']:g} m of a park — straight line "
           f"{pct(s['covered_share_euclidean'])},"
           f" network {pct(s['covered_share_network'])} (target {pct(s['target'])}, {_verdict(s)})"]
    if s.get("reasons"):
        out.append(f"      not met: {reasons_line(s['reasons'])}")
    return out


def tod(name: str, s: Summary) -> list[str]:  # noqa: ARG001
    """Land (and residents) within the outer band of any station, per TOD variant."""
    parts = []
    for k, v in s.get("variants", {}).items():
        outer = v.get("bands", {}).get("outer", {})
        who = outer.get("share_of_residents")
        parts.append(f"{k} {v.get('outer_minutes', 0):g} min: {pct(outer.get('share_of_residential_land'))} of land"
                     + ("" if who is None else f", {pct(who)} of residents"))
    return [f"  tod: {s.get('stations', '?')} stations; within the outer band of any station — " + "; ".join(parts)]


def gaps(name: str, s: Summary) -> list[str]:  # noqa: ARG001
    """The headline of the gap analysis, its solver and the number of gap areas."""
    return [f"  gaps: {s['kind']} within {s['minutes']:g} min — {s['headline']} ({s['solver']['method']}, "
            f"{s['solver']['status']}); {s['gap_areas']} gap areas"]


def stations(name: str, s: Summary) -> list[str]:  # noqa: ARG001
    """The three best stations and what the widest band of any station reaches."""
    top = ", ".join(f"{t.get('station')} ({t.get('score', 0):.0f})" for t in s.get("top_stations", [])[:3])
    last = (s.get("bands") or [{}])[-1]
    return [f"  stations: {s.get('stations')} scored; best: {top}; within {last.get('minutes', 0):g} min of any: "
            f"{pct(last.get('share_of_residential_land'))} of land, {pct(last.get('share_of_residents'))} of residents"]


def clinics(name: str, s: Summary) -> list[str]:  # noqa: ARG001
    """The count and reach tests of S-H-01 and the overall verdict."""
    keys, n = s["keys"], s.get("units_count", 0)
    failed = [t for t, k in (("count", "passes_count"), ("reach", "passes_reach")) if not s[k]]
    verdict = "pass" if s["passes"] else "FAIL (" + " and ".join(failed) + " test)"
    return [f"  clinics: {s.get('centres', '?')} centres — {verdict}: "
            f"count test {s['units_passing_count']}/{n} units; reach test {s['units_passing_reach']}/{n} units "
            f"({pct(s.get(keys['share_residents']))} of residents within {s['walk_minutes']:g} min, "
            f"target {pct(s['reach_target_share'])})"]


def assess(name: str, s: Summary) -> list[str]:  # noqa: ARG001
    """The assessment's count of standards met, its units and its files."""
    c = s["counts"]
    units = len(s.get("units") or [])
    files = ", ".join(s.get("outputs", {}).values())
    out = [f"  assess: {c['standards']} standards for the whole area — {c['met']} met, {c['not_met']} not met, "
           f"{c['no_target']} without target, {c['not_measured']} not measured; "
           + (f"{units} units" if units else "no units (--units): the whole area only") + f"; {files}"]
    if s.get("pdf_not_written"):
        out.append(f"      assess.pdf not written: {s['pdf_not_written']}")
    return out


_BY_ANALYSIS: dict[str, Callable[[str, Summary], list[str]]] = {
    "circles": circles, "parks": parks, "tod": tod, "gaps": gaps, "stations": stations, "clinics": clinics,
    "assess": assess,
}


def lines(name: str, summary: Summary) -> list[str]:
    """The console lines of one summary named ``name`` (``circles_<variant>`` is a circles summary).

    A summary with ``status = "not measured"`` gives its reason; a name of no known analysis
    gives no line.
    """
    if summary.get("status") == "not measured":
        return [f"  {name}: not measured — {summary['reason']}"]
    analysis = "circles" if name.startswith("circles") else name
    fn = _BY_ANALYSIS.get(analysis)
    return [*fn(name, summary), *unit_lines(name, summary)] if fn is not None else []


def footer(summaries: Mapping[str, Summary]) -> list[str]:
    """Where the facilities came from (files or OSM), and whether residents were estimated."""
    first = next(iter(summaries.values()), {})
    files = {k: v for k, v in first.get("study", {}).get("facility_sources", {}).items() if v["source"] == "file"}
    if files:
        out = ["  facilities from your files: " + "; ".join(
            f"{k} from {', '.join(v['files'])} ({v['count']})" for k, v in files.items()) + "; every other kind from "
                                                                                            "OSM"]
    else:
        out = ["  facilities: every kind from OSM (no --facilities file given)"]
    if str(first.get("population_source", "")).startswith("estimate"):
        out.append("  residents are ESTIMATED from the floor area of the buildings on residential land "
                   "(no --population given)")
    return out
