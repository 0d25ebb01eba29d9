"""The result lines printed on the console after a run, one small function per analysis.

Each function reads the JSON summary its analysis wrote (``DIR/<name>.json``) and gives the
lines to print; :func:`lines` dispatches on the summary's name (``circles_<variant>`` is a
circles summary) and adds one line per units/zones grouping
(:func:`beichen_geo.present.units.console_lines`); :func:`footer` says where the facilities
and residents came from. Every fixed text comes from one catalogue
(:data:`beichen_geo.present.messages.CONSOLE_WORDS`), in English or Chinese (``lang``); in
Chinese the facility kinds and TOD variants are named by their labels (``labels``, from the
standards), the data's names (units, stations, files) stay as they are.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from beichen_geo.present.gaps import headline as gaps_headline
from beichen_geo.present.messages import MAP_WORDS, ConsoleWords, Labels, analysis_name, reasons_line
from beichen_geo.present.units import console_lines as unit_lines

Summary = Mapping[str, Any]
#: ``(name, summary, words, labels) -> lines`` of one analysis
Lines = Callable[[str, Summary, ConsoleWords, Labels], list[str]]


def pct(x: float | None, C: ConsoleWords | None = None) -> str:
    """A share 0-1 as a percentage with one decimal; ``n/a`` (``–`` in Chinese) when missing."""
    return (C or ConsoleWords("en"))("n/a") if x is None else f"{x:.1%}"


def _verdict(s: Summary, C: ConsoleWords) -> str:
    return C("pass") if s["passes"] else C("fail")


def _reasons(reasons: list[dict[str, Any]], C: ConsoleWords, L: Labels) -> str:
    return reasons_line(reasons, lang=C.lang, labels=dict(L.kinds) if C.zh else None)


def circles(name: str, s: Summary, C: ConsoleWords, L: Labels) -> list[str]:
    """Land meeting each tier, all tiers against the target, and why each tier failed."""
    tiers = C("sep").join(C("circles_tier", m=f"{t['minutes']:g}", share=pct(t["covered_share_land"], C))
                          for t in s["tiers"])
    variant = (s.get("label_zh") or s["variant"]) if C.zh else s["variant"]
    out = [C("circles", name=analysis_name("circles", C.lang) if C.zh else name, variant=variant, tiers=tiers,
             share=pct(s["all_tiers_share_land"], C), target=pct(s["target"], C), verdict=_verdict(s, C))]
    out += [C("tier_not_met", m=f"{t['minutes']:g}", reasons=_reasons(t["reasons"], C, L))
            for t in s["tiers"] if t.get("reasons")]
    return out


def parks(name: str, s: Summary, C: ConsoleWords, L: Labels) -> list[str]:  # noqa: ARG001
    """Residential land within the park radius, straight line and network."""
    out = [C("parks", r=f"{s['radius_m']:g}", e=pct(s["covered_share_euclidean"], C),
             n=pct(s["covered_share_network"], C), target=pct(s["target"], C), verdict=_verdict(s, C))]
    if s.get("reasons"):
        out.append(C("not_met", reasons=_reasons(s["reasons"], C, L)))
    return out


def tod(name: str, s: Summary, C: ConsoleWords, L: Labels) -> list[str]:  # noqa: ARG001
    """Land (and residents) within the outer band of any station, per TOD variant."""
    parts = []
    for k, v in s.get("variants", {}).items():
        outer = v.get("bands", {}).get("outer", {})
        who = outer.get("share_of_residents")
        variant = (v.get("label_zh") or L.tod_variant(k)) if C.zh else k
        parts.append(C("tod_variant", variant=variant, m=f"{v.get('outer_minutes', 0):g}",
                       land=pct(outer.get("share_of_residential_land"), C))
                     + ("" if who is None else C("tod_variant_res", share=pct(who, C))))
    return [C("tod", n=s.get("stations", "?"), parts=C("sep").join(parts))]


def gaps(name: str, s: Summary, C: ConsoleWords, L: Labels) -> list[str]:  # noqa: ARG001
    """The headline of the gap analysis, its solver and the number of gap areas."""
    solver = s["solver"]
    if C.zh:
        kind = s.get("kind_label_zh") or L.kind(s["kind"])
        method = MAP_WORDS["zh"].get(f"method_{solver['method']}", solver["method"])
        status = _SOLVER_STATUS_ZH.get(solver["status"], solver["status"])  # CBC without a solution: greedy
        head = gaps_headline(dict(s), lang="zh")
    else:
        kind, method, status, head = s["kind"], solver["method"], solver["status"], s["headline"]
    return [C("gaps", kind=kind, m=f"{s['minutes']:g}", headline=head, method=method, status=status,
              n=s["gap_areas"])]


#: The siting solver's statuses (geo.siting) in Chinese.
_SOLVER_STATUS_ZH = {"optimal": "最优解", "greedy": "贪心解",
                     "time limit: best solution found": "达到时间上限，取已找到的最优解"}


def stations(name: str, s: Summary, C: ConsoleWords, L: Labels) -> list[str]:  # noqa: ARG001
    """The three best stations and what the widest band of any station reaches."""
    top = C("list_sep").join(C("stations_top", station=t.get("station"), score=f"{t.get('score', 0):.0f}")
                             for t in s.get("top_stations", [])[:3])
    last = (s.get("bands") or [{}])[-1]
    return [C("stations", n=s.get("stations"), top=top, m=f"{last.get('minutes', 0):g}",
              land=pct(last.get("share_of_residential_land"), C), res=pct(last.get("share_of_residents"), C))]


def clinics(name: str, s: Summary, C: ConsoleWords, L: Labels) -> list[str]:  # noqa: ARG001
    """The count and reach tests of S-H-01 and the overall verdict."""
    keys, n = s["keys"], s.get("units_count", 0)
    failed = [C(t) for t, k in (("test_count", "passes_count"), ("test_reach", "passes_reach")) if not s[k]]
    verdict = C("pass") if s["passes"] else C("clinics_fail", tests=C("tests_and").join(failed))
    return [C("clinics", centres=s.get("centres", "?"), verdict=verdict, count=s["units_passing_count"], n=n,
              reach=s["units_passing_reach"], share=pct(s.get(keys["share_residents"]), C),
              m=f"{s['walk_minutes']:g}", target=pct(s["reach_target_share"], C))]


def assess(name: str, s: Summary, C: ConsoleWords, L: Labels) -> list[str]:  # noqa: ARG001
    """The assessment's count of standards met, its units and its files."""
    c = s["counts"]
    units = len(s.get("units") or [])
    files = ", ".join(s.get("outputs", {}).values())
    out = [C("assess", n=c["standards"], met=c["met"], not_met=c["not_met"], no_target=c["no_target"],
             not_measured=c["not_measured"], units=C("assess_units", n=units) if units else C("assess_no_units"),
             files=files)]
    if s.get("pdf_not_written"):
        out.append(C("assess_no_pdf", reason=s["pdf_not_written"]))
    return out


_BY_ANALYSIS: dict[str, Lines] = {
    "circles": circles, "parks": parks, "tod": tod, "gaps": gaps, "stations": stations, "clinics": clinics,
    "assess": assess,
}


def lines(name: str, summary: Summary, *, lang: str = "en", labels: Labels | None = None) -> list[str]:
    """The console lines of one summary named ``name`` (``circles_<variant>`` is a circles summary).

    A summary with ``status = "not measured"`` gives its reason (in Chinese under a heading
    that says it is the program's English text); a name of no known analysis gives no line.
    ``labels`` names the kinds and TOD variants in Chinese (default: the built-in standards').
    """
    C = ConsoleWords(lang)
    if summary.get("status") == "not measured":
        return [C("not_measured", name=analysis_name(name, C.lang), reason=summary["reason"])]
    analysis = "circles" if name.startswith("circles") else name
    fn = _BY_ANALYSIS.get(analysis)
    if fn is None:
        return []
    L = labels if labels is not None else (_default_labels() if C.zh else Labels())
    return [*fn(name, summary, C, L), *unit_lines(name, summary, lang=C.lang)]


def _default_labels() -> Labels:
    from beichen_geo.present.messages import default_labels

    return default_labels("zh")


def footer(summaries: Mapping[str, Summary], *, lang: str = "en", labels: Labels | None = None) -> list[str]:
    """Where the facilities came from (files or OSM), and whether residents were estimated."""
    C = ConsoleWords(lang)
    L = labels if labels is not None else (_default_labels() if C.zh else Labels())
    first = next(iter(summaries.values()), {})
    files = {k: v for k, v in first.get("study", {}).get("facility_sources", {}).items() if v["source"] == "file"}
    if files:
        items = C("sep").join(C("facility_file", kind=L.kind(k) if C.zh else k, files=", ".join(v["files"]),
                                n=v["count"]) for k, v in files.items())
        out = [C("facilities_files", items=items)]
    else:
        out = [C("facilities_osm")]
    if str(first.get("population_source", "")).startswith("estimate"):
        out.append(C("residents_estimated"))
    return out


def results_in(out: Any, seconds: float, *, lang: str = "en") -> str:
    """``Results in DIR/ (2.4 s)``: the first result line."""
    return ConsoleWords(lang)("results_in", out=out, s=seconds)
