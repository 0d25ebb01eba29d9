"""Standard rows: one extractor per analysis maps a summary-shaped dict to the standards it measures.

A *summary-shaped dict* is an analysis's whole-area summary, or one unit's entry of that
summary's ``units`` list (same measured keys, plus ``name``, ``residents``,
``residential_area_m2``, ``passes`` and ``reasons``). Each extractor is called with it and with
the whole-area summary (``whole``: targets, key names, labels), so the per-unit rows come from
the same code as the whole area's. A row carries:

``standard_id``
    ``circles:5-15-30:15min``, ``parks:500m:euclidean``, ``tod:glossary:10min``,
    ``clinics:S-H-01:count``, ``clinics:S-H-01:reach:15min``;
``value``, ``unit``, ``value_key``
    the measured value (a share 0-1 or a count), and the summary key it was read from;
``target``, ``passes``
    the target (None where the plan sets none: TOD) and the analysis's own verdict;
``reasons``
    why it is not met, as data (codes worded by :func:`beichen_geo.assess.words.reason_text`);
``details``
    further figures of the same summary (the residents' share, per kind, uncovered land...).

Values are copied from the summaries, never recomputed, so ``assess.json`` agrees with each
analysis's own JSON.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ..reasons import distance_reasons
from ..standards import Standards
from .words import plan_ref

Summary = Mapping[str, Any]

#: a variant named by its minutes ("5-15-30") is shown by that name in Chinese too; others by their label
_NUMERIC_NAME: Final = re.compile(r"[\d.\-]+")


@dataclasses.dataclass(frozen=True)
class Detail:
    """One further figure of a row: its key in the summary, its label and its unit."""

    key: str
    label_zh: str
    label_en: str
    unit: str
    value: Any


@dataclasses.dataclass(frozen=True)
class StandardRow:
    """One standard measured on one summary-shaped dict (the whole area or one unit).

    ``status`` is ``"measured"``, ``"not measured"`` (the analysis could not run: ``note``
    says why) or ``"not per unit"`` (a unit's row where the analysis gave no per-unit figures).
    ``primary`` is False for a reading reported for comparison only (parks along the streets
    when the plan's straight line decides).
    """

    standard_id: str
    analysis: str
    code: str
    label_zh: str
    label_en: str
    short_zh: str
    short_en: str
    source: str
    value_key: str
    value: float | None
    unit: str
    target: float | None
    passes: bool | None
    reasons: tuple[Mapping[str, Any], ...] = ()
    details: tuple[Detail, ...] = ()
    primary: bool = True
    status: str = "measured"
    note: str | None = None

    def definition(self) -> dict[str, Any]:
        """What the standard is (the same for every unit): ids, labels, plan source, unit, target."""
        return {
            "standard_id": self.standard_id, "analysis": self.analysis, "code": self.code,
            "label_zh": self.label_zh, "label_en": self.label_en, "short_zh": self.short_zh,
            "short_en": self.short_en, "source": self.source, "value_key": self.value_key, "unit": self.unit,
            "target": self.target, "primary": self.primary,
            "details": [{"key": d.key, "label_zh": d.label_zh, "label_en": d.label_en, "unit": d.unit}
                        for d in self.details],
        }

    def figures(self) -> dict[str, Any]:
        """What was measured: value, target, verdict, reasons and the details' values."""
        out: dict[str, Any] = {
            "standard_id": self.standard_id, "status": self.status, "value": self.value, "unit": self.unit,
            "target": self.target, "passes": self.passes, "reasons": [dict(r) for r in self.reasons],
            "details": {d.key: d.value for d in self.details},
        }
        if self.note:
            out["note"] = self.note
        return out

    def without_figures(self, status: str, note: str | None = None) -> StandardRow:
        """This standard with nothing measured (a unit the analysis did not break down)."""
        return dataclasses.replace(self, value=None, target=None, passes=None, reasons=(), status=status, note=note,
                                   details=tuple(dataclasses.replace(d, value=None) for d in self.details))


Extractor = Callable[..., list[StandardRow]]


def _passes(s: Summary, key: str, value: float | None, target: float | None, *, tol: float) -> bool | None:
    """The summary's own verdict ``s[key]``; computed from value and target only where it has none."""
    got = s.get(key)
    if got is not None:
        return bool(got)
    if value is None or target is None:
        return None
    return bool(value >= target - tol)


def _kind_labels(standards: Standards) -> tuple[dict[str, str], dict[str, str]]:
    return ({k: kd.label_zh for k, kd in standards.kinds.items()},
            {k: kd.label_en for k, kd in standards.kinds.items()})


# ------------------------------------------------------------------------------- circles
def circle_rows(s: Summary, *, name: str, whole: Summary, standards: Standards) -> list[StandardRow]:
    """One row per tier of the living-circle variant: the share of residential land meeting it.

    The tier passes when that share reaches the tier's target (the analysis's ``passes``);
    details: the residents' share and, per kind, the share of land reaching it.
    """
    v = standards.circle_variant(str(whole["variant"]))
    zh_l, en_l = _kind_labels(standards)
    whole_tiers = {t["tier"]: t for t in whole.get("tiers", [])}
    minutes_seen = [float(t.minutes.value) for t in v.tiers]
    rows = []
    for t in s.get("tiers", []):
        tier = v.tier(str(t["tier"]))
        tw = whole_tiers.get(t["tier"], t)
        mins = float(tw["minutes"])
        tag = f"{mins:g}min" + (f"-{tier.name}" if minutes_seen.count(mins) > 1 else "")
        target = float(tw["target"])
        value = t.get("covered_share_land")
        details = [Detail("covered_share_residents", "人口覆盖率", "share of residents", "share",
                          t.get("covered_share_residents"))]
        for k, cov in (t.get("kinds_coverage") or {}).items():
            details.append(Detail(f"kinds_coverage.{k}.covered_share_land", f"可达{zh_l.get(k, k)}的用地比例",
                                  f"land reaching {en_l.get(k, k)}", "share", cov.get("covered_share_land")))
        rows.append(StandardRow(
            standard_id=f"circles:{v.name}:{tag}", analysis=name, code="/".join(v.standards),
            label_zh=f"{v.label_zh}:{tier.label_zh}", label_en=f"{v.label_en}: {tier.label_en}",
            short_zh=f"{v.name if _NUMERIC_NAME.fullmatch(v.name) else v.label_zh} {mins:g}分钟",
            short_en=f"{v.name} {mins:g} min",
            source=plan_ref(tier.minutes.source, "en"), value_key=f"tiers[{tier.name}].covered_share_land",
            value=value, unit="share", target=target,
            passes=_passes(t, "passes", value, target, tol=1e-12),
            reasons=tuple(t.get("reasons") or ()), details=tuple(details),
        ))
    return rows


# ------------------------------------------------------------------------------- parks
_PARK_METHODS: Final = {
    "euclidean": ("直线", "straight line"),
    "network": ("沿路网", "along the streets"),
}


def park_rows(s: Summary, *, name: str, whole: Summary, standards: Standards) -> list[StandardRow]:
    """Two rows, straight line and along the streets: the share of residential land within the park radius.

    The method the standards name (``primary_method``, the plan's straight line) decides the
    standard; the other is reported beside it (``primary=False``).
    """
    p = standards.parks
    target = float(whole["target"])
    primary = str(whole.get("primary_method", p.primary_method))
    radius = whole.get("radius_m")
    tag = f"{float(radius):g}m" if radius is not None else str(whole.get("size_rule", p.size_rule))
    dist_zh = f"{float(radius):g}米" if radius is not None else "按公园规模"
    dist_en = f"{float(radius):g} m" if radius is not None else "by park size"
    off_share = s.get("demand_off_network_share_land",
                      whole.get("study", {}).get("log", {}).get("demand_off_network_share_land", 0.0)) or 0.0
    rows = []
    for method, (m_zh, m_en) in _PARK_METHODS.items():
        value = s.get(f"covered_share_{method}")
        passes = s.get(f"passes_{method}")
        if passes is None and method == primary:
            passes = s.get("passes")
        passes = _passes({"passes": passes}, "passes", value, target, tol=1e-9)
        if method == primary and s.get("reasons") is not None:
            reasons = tuple(s["reasons"])
        elif value is None:
            reasons = ()
        else:  # the analysis words the primary reading only; the same rule for the other
            reasons = tuple(distance_reasons(
                p.kind, facilities=int(s.get("parks_used", whole.get("parks_used", 0)) or 0), share=float(value),
                target=target, distance_m=None if radius is None else float(radius), method=method,
                off_network_share=float(off_share), max_snap_m=float(standards.travel.max_snap_m.value)))
        rows.append(StandardRow(
            standard_id=f"parks:{tag}:{method}", analysis=name, code=p.standard,
            label_zh=f"公园绿地{dist_zh}半径居住用地覆盖率({m_zh})",
            label_en=f"Residential land within {dist_en} of a park ({m_en})",
            short_zh=f"公园{dist_zh}({m_zh})", short_en=f"parks {dist_en} ({m_en})",
            source=plan_ref(p.radius_m.source, "en"), value_key=f"covered_share_{method}", value=value,
            unit="share", target=target, passes=passes, reasons=reasons, primary=method == primary,
            details=(
                Detail(f"covered_share_residents_{method}", "人口覆盖率", "share of residents", "share",
                       s.get(f"covered_share_residents_{method}")),
                Detail(f"uncovered_area_m2_{method}", "未覆盖居住用地", "residential land not covered", "m2",
                       s.get(f"uncovered_area_m2_{method}")),
            ),
        ))
    return rows


# ------------------------------------------------------------------------------- tod
_BANDS: Final = {"inner": ("内圈", "inner band"), "outer": ("外圈", "outer band")}


def tod_rows(s: Summary, *, name: str, whole: Summary, standards: Standards) -> list[StandardRow]:
    """One row per TOD variant and band: the share of residents within that walk of any station.

    The plan sets the bands but no share to reach, so the rows have no target (``passes``
    None); the share of residential land stands in for residents when they are unknown.
    """
    rows = []
    for vname, vw in (whole.get("variants") or {}).items():
        tv = standards.tod_variant(vname)
        v = (s.get("variants") or {}).get(vname, {})
        for band, (b_zh, b_en) in _BANDS.items():
            bw = vw["bands"][band]
            b = (v.get("bands") or {}).get(band, {})
            mins = float(bw["minutes"])
            key = "share_of_residents" if bw.get("share_of_residents") is not None else "share_of_residential_land"
            q = tv.inner_minutes if band == "inner" else tv.outer_minutes
            who_zh, who_en = ("居民", "residents") if key == "share_of_residents" else ("居住用地", "residential land")
            rows.append(StandardRow(
                standard_id=f"tod:{vname}:{mins:g}min", analysis=name, code=tv.standard,
                label_zh=f"{tv.label_zh}:站点{mins:g}分钟步行范围内的{who_zh}比例({b_zh})",
                label_en=f"{tv.label_en}: {who_en} within {mins:g} min walk of a station ({b_en})",
                short_zh=f"TOD {mins:g}分钟({tv.standard})", short_en=f"TOD {mins:g} min ({tv.standard})",
                source=plan_ref(q.source, "en"), value_key=f"variants.{vname}.bands.{band}.{key}",
                value=b.get(key), unit="share", target=None, passes=None,
                details=(
                    Detail("share_of_residential_land", "居住用地比例", "share of residential land", "share",
                           b.get("share_of_residential_land")),
                    Detail("residents_in_any", "范围内人口", "residents within", "persons", b.get("residents_in_any")),
                    Detail("residential_land_in_any_m2", "范围内居住用地", "residential land within", "m2",
                           b.get("residential_land_in_any_m2")),
                ),
            ))
    return rows


# ------------------------------------------------------------------------------- clinics
def _clinic_units(whole: Summary) -> list[Mapping[str, Any]]:
    """The per-unit rows of a clinics summary (``units`` when it is a list, else ``unit_table``)."""
    units = whole.get("units")
    if isinstance(units, list):
        return units
    return list(whole.get("unit_table") or [])


def _unit_name(u: Mapping[str, Any]) -> str:
    return str(u.get("name", u.get("unit_name", "")))


def clinic_rows(s: Summary, *, name: str, whole: Summary, standards: Standards) -> list[StandardRow]:
    """Two rows of S-H-01: the count test (centres against required centres) and the reach test.

    For one unit: its centres inside against its ``required_centres``, and its residents'
    share within the walk against ``reach_target_share``. For the whole area: all centres
    in the area against the sum of the units' required centres, and the whole area's share;
    the verdict is the analysis's (every unit passes), and the failing units are named.
    """
    c = standards.clinics
    keys = whole["keys"]
    walk = float(whole["walk_minutes"])
    target_share = float(whole["reach_target_share"])
    cap = float(whole.get("residents_per_centre_max", c.residents_per_centre_max.value))
    c_min = int(whole.get("min_per_town", c.min_per_town.value))
    is_whole = s is whole
    units = _clinic_units(whole)
    if is_whole:
        centres = s.get("centres_in_area")
        required = sum(int(u.get("required_centres") or 0) for u in units) if units else None
    else:
        centres, required = s.get("centres_inside"), s.get("required_centres")
    reach_key = keys["share_residents"] if whole.get(keys["share_residents"]) is not None else keys["share_land"]
    reach = s.get(reach_key)
    passes_count = _passes(s, "passes_count", centres, required, tol=0)
    passes_reach = _passes(s, "passes_reach", reach, target_share, tol=1e-12)
    if isinstance(s.get("reasons"), list):  # the analysis's own reasons, split by the test they explain
        count_reasons = [dict(r) for r in s["reasons"] if r.get("code") in _COUNT_CODES]
        reach_reasons = [dict(r) for r in s["reasons"] if r.get("code") not in _COUNT_CODES]
    else:  # the same codes, from the figures
        count_reasons, reach_reasons = [], []
        if passes_count is False and centres is not None and required is not None and centres < required:
            count_reasons.append({"code": "too_few_centres", "kind": c.kind, "centres_inside": int(centres),
                                  "required_centres": int(required)})
        if passes_reach is False and reach is not None:
            by_residents = reach_key == keys["share_residents"]
            reach_reasons.append({"code": "residents_beyond_minutes" if by_residents else "beyond_minutes",
                                  "kind": c.kind, "minutes": walk,
                                  ("covered_share_residents" if by_residents else "covered_share_land"):
                                      round(float(reach), 4)})
    if is_whole and len(units) > 1:
        for test, out in (("passes_count", count_reasons), ("passes_reach", reach_reasons)):
            failing = [_unit_name(u) for u in units if u.get(test) is False]
            if failing:
                out.append({"code": "units_failing", "units": failing})
    return [
        StandardRow(
            standard_id=f"clinics:{c.standard}:count", analysis=name, code=c.standard,
            label_zh=f"社区卫生服务中心数量(每个镇街或每{cap / 1e4:g}万人{c_min}所)",
            label_en=f"Community health centres ({c_min} per sub-district or town, or per {cap:,.0f} residents)",
            short_zh="社区卫生服务中心数量", short_en="health centres (count)",
            source=plan_ref(c.min_per_town.source, "en"),
            value_key="centres_in_area" if is_whole else "centres_inside", value=centres, unit="count",
            target=None if required is None else float(required), passes=passes_count, reasons=tuple(count_reasons),
            details=(
                Detail("centres_reachable", f"{walk:g}分钟内可达中心", f"centres within {walk:g} min", "count",
                       s.get("centres_reachable")),
                Detail("residents_per_centre", "每中心人口", "residents per centre", "persons",
                       s.get("residents_per_centre")),
            ),
        ),
        StandardRow(
            standard_id=f"clinics:{c.standard}:reach:{walk:g}min", analysis=name, code=c.standard,
            label_zh=f"社区卫生服务中心{walk:g}分钟步行可达",
            label_en=f"Residents within {walk:g} min walk of a community health centre",
            short_zh=f"卫生服务中心{walk:g}分钟", short_en=f"health centre {walk:g} min",
            source=plan_ref(c.walk_minutes.source, "en"), value_key=reach_key, value=reach, unit="share",
            target=target_share, passes=passes_reach, reasons=tuple(reach_reasons),
            details=(
                Detail(keys["share_land"], "用地覆盖率", "share of residential land", "share",
                       s.get(keys["share_land"])),
                Detail(keys["residents"], "可达人口", "residents within", "persons", s.get(keys["residents"])),
            ),
        ),
    ]


#: reason codes of the count test (the others explain the reach test)
_COUNT_CODES: Final = frozenset({"no_facilities", "too_few_centres"})

#: analysis -> its extractor (``circles_<variant>`` summaries are circles summaries)
EXTRACTORS: Final[Mapping[str, Extractor]] = {
    "circles": circle_rows, "parks": park_rows, "tod": tod_rows, "clinics": clinic_rows,
}

#: the analyses of an assessment, in the order of the workbook and the report
ANALYSES: Final = tuple(EXTRACTORS)

_NOT_MEASURED_LABELS: Final = {
    "circles": ("生活圈", "living circles"), "parks": ("公园绿地覆盖", "park coverage"),
    "tod": ("TOD站点地区", "TOD station areas"), "clinics": ("社区卫生服务中心", "community health centres"),
}


def analysis_of(name: str) -> str:
    """The analysis of a summary's file stem (``circles_5-10-15`` -> ``circles``)."""
    return "circles" if name.startswith("circles") else name


def standard_rows(name: str, s: Summary, *, whole: Summary, standards: Standards) -> list[StandardRow]:
    """The rows of summary ``name`` measured on ``s`` (``whole`` itself, or one of its units).

    A summary the analysis could not produce (``status = "not measured"``, e.g. no station in
    the data) gives one row saying so, with its reason.
    """
    analysis = analysis_of(name)
    if whole.get("status") == "not measured":
        zh, en = _NOT_MEASURED_LABELS[analysis]
        variant = name.partition("_")[2]
        tag = f" {variant}" if variant else ""
        return [StandardRow(standard_id=f"{analysis}:{variant or 'all'}:not-measured", analysis=name, code="",
                            label_zh=zh + tag, label_en=en + tag, short_zh=zh + tag, short_en=en + tag, source="",
                            value_key="", value=None, unit="share", target=None, passes=None, status="not measured",
                            note=str(whole.get("reason", "")))]
    return EXTRACTORS[analysis](s, name=name, whole=whole, standards=standards)


def unit_entries(name: str, whole: Summary, *, kind: str = "units") -> list[Mapping[str, Any]] | None:
    """The summary's per-unit (``kind="units"``) or per-zone (``"zones"``) dicts, or None when it has none.

    Without ``--units`` the clinics' single unit is the whole area itself: None.
    """
    if whole.get("status") == "not measured":
        return None
    if kind != "units":
        listed = whole.get(kind)
        return list(listed) if isinstance(listed, list) else None
    if analysis_of(name) == "clinics":
        if str(whole.get("units_source", "")).startswith("study area"):
            return None
        return _clinic_units(whole) or None
    listed = whole.get("units")
    return list(listed) if isinstance(listed, list) else None


def unit_name(u: Mapping[str, Any]) -> str:
    """A unit's name (``name``, or clinics' ``unit_name``)."""
    return _unit_name(u)


def sort_rows(rows: Sequence[StandardRow]) -> list[StandardRow]:
    """Rows in the order of :data:`ANALYSES` (circles variants, parks, TOD, clinics), stable within each."""
    order = {a: i for i, a in enumerate(ANALYSES)}
    return sorted(rows, key=lambda r: order.get(analysis_of(r.analysis), len(order)))
