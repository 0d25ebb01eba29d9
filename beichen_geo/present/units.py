"""Units and zones presented: each analysis's headline share per unit, on the map and the console.

The headline of an analysis is the share its ``passes`` is judged on (or, for TOD, which has
no target, the share of residents within the default variant's outer band):

- circles: ``all_tiers_share_land`` (land meeting every tier);
- parks: ``covered_share_<primary method>`` (land within the radius of a park);
- tod: ``<default variant>.outer.share_of_residents`` (of land when residents are unknown);
- clinics: ``share_residents_within_<m>min`` (of land when residents are unknown).

:func:`add_units_layer` draws the units (and zones) of a result coloured by it, with the
unit's name, residents, shares and verdict in the popup; :func:`console_lines` says how many
units pass and names the failing ones with their figure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..units import minutes_tag
from .messages import PASS_WORDS, ConsoleWords

if TYPE_CHECKING:
    from geo.maps import MapBuilder

    from ..result import AnalysisResult

#: Failing units named on one console line before "... (+N more)".
CONSOLE_NAMES = 5

_WORDS = {
    "en": {"units": "Units", "zones": "Zones", "name": "name", "residents": "residents", "verdict": "result",
           "land": "residential land (ha)"},
    "zh": {"units": "单元", "zones": "分区", "name": "名称", "residents": "居民", "verdict": "结果",
           "land": "居住用地(公顷)"},
}


@dataclasses.dataclass(frozen=True)
class Headline:
    """The figure a unit is coloured and ranked by.

    ``path``: keys leading to it in a unit row of the summary; ``column``: its column in the
    ``units`` table and layer; ``label_en`` / ``label_zh``: what it is; ``has_target``: whether
    the analysis has a pass/fail (TOD has none).
    """

    path: tuple[str, ...]
    column: str
    label_en: str
    label_zh: str
    has_target: bool = True

    def value(self, row: Mapping[str, Any]) -> float | None:
        """The headline of one unit row of the summary (None when not measured)."""
        v: Any = row
        for k in self.path:
            if not isinstance(v, Mapping) or k not in v:
                return None
            v = v[k]
        return None if v is None else float(v)

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


def analysis_of(name: str) -> str:
    """``circles`` for ``circles_5-10-15``, else the name itself."""
    return "circles" if name.startswith("circles") else name


def headline(name: str, summary: Mapping[str, Any]) -> Headline | None:
    """The headline of analysis ``name`` (``circles_<variant>`` included), or None for one without units."""
    a = analysis_of(name)
    if a == "circles":
        return Headline(("all_tiers_share_land",), "all_tiers_share_land",
                        "land meeting every tier", "满足全部层级的居住用地比例")
    if a == "parks":
        m = summary.get("primary_method", "euclidean")
        how = {"euclidean": ("straight line", "直线"), "network": ("along the streets", "沿路网")}.get(m, (m, m))
        r = summary.get("radius_m")
        dist = f"{r:g} m" if r else "the radius"
        zh = f"公园{dist.replace(' m', '米')}覆盖的居住用地({how[1]})"
        return Headline((f"covered_share_{m}",), f"covered_share_{m}", f"land within {dist} of a park ({how[0]})", zh)
    if a == "tod":
        v = summary.get("default_variant")
        vd = (summary.get("variants") or {}).get(v) or {}
        minutes = vd.get("outer_minutes")
        if v is None or minutes is None:
            return None
        by_res = summary.get("residents") is not None
        key = "share_of_residents" if by_res else "share_of_residential_land"
        what = ("residents", "居民") if by_res else ("residential land", "居住用地")
        return Headline(("variants", v, "bands", "outer", key), f"{v}_outer_{minutes_tag(minutes)}_{key}",
                        f"{what[0]} within {minutes:g} min of a station ({v})",
                        f"站点{minutes:g}分钟步行范围内的{what[1]}比例（{vd.get('label_zh') or v}）", has_target=False)
    if a == "clinics":
        keys = summary.get("keys") or {}
        if not keys:
            return None
        walk = summary.get("walk_minutes", 15)
        if summary.get(keys["share_residents"]) is not None:
            return Headline((keys["share_residents"],), keys["share_residents"],
                            f"residents within {walk:g} min of a centre", f"{walk:g}分钟内可达中心的居民比例")
        return Headline((keys["share_land"],), keys["share_land"],
                        f"land within {walk:g} min of a centre", f"{walk:g}分钟内可达中心的居住用地比例")
    return None


def _pct(x: float | None) -> str:
    return "–" if x is None or not np.isfinite(x) else f"{x:.1%}"


def add_units_layer(m: MapBuilder, result: AnalysisResult, lang: str, *,
                    kinds: Sequence[str] = ("units", "zones")) -> MapBuilder:
    """Draw the result's units (and zones) coloured by the analysis's headline share.

    Only groupings the analysis was given (``<kind>_check`` in the summary, layer ``<kind>``)
    are drawn, off by default (the layer control shows them) so that they do not hide the
    analysis's own layers; the popup gives the unit's name, residents, headline share and
    verdict. Names are data: the map shows them as plain text.
    """
    s = result.summary
    h = headline(result.name, s)
    if h is None:
        return m
    W = _WORDS["zh" if lang == "zh" else "en"]
    words = PASS_WORDS["zh" if lang == "zh" else "en"]
    for kind in kinds:
        layer = result.layers.get(kind)
        if f"{kind}_check" not in s or layer is None or not len(layer) or h.column not in layer:
            continue
        g = layer.copy()
        g["_value"] = g[h.column].astype(float)
        g["_share"] = [_pct(v) for v in g["_value"]]
        g["_land_ha"] = (g["residential_area_m2"].astype(float) / 1e4).round(1)
        pop = {W["name"]: "name", W["residents"]: "residents", W["land"]: "_land_ha", h.label(lang): "_share"}
        if h.has_target and "passes" in g:
            g["_verdict"] = [words.get(None if v is None or (isinstance(v, float) and np.isnan(v)) else bool(v), "–")
                             for v in g["passes"]]
            pop[W["verdict"]] = "_verdict"
        m.add_choropleth(g, value_col="_value", name=W[kind], legend_title=f"{W[kind]}: {h.label(lang)}",
                         tooltip_cols={W["name"]: "name"}, popup_cols=pop, bins=[0.0, 0.25, 0.5, 0.75, 1.0],
                         value_format="{:.0%}", fill_opacity=0.55, show=False)
    return m


def console_lines(name: str, s: Mapping[str, Any], *, lang: str = "en") -> list[str]:
    """One line per grouping of a summary: how many units pass, and the failing ones with their headline.

    For TOD (no target) the units with the lowest headline are named instead. ``lang``: the
    language of the fixed words (:data:`~beichen_geo.present.messages.CONSOLE_WORDS`); unit
    names are data and stay as they are.
    """
    C = ConsoleWords(lang)
    h = headline(name, s)
    out: list[str] = []
    for kind in ("units", "zones"):
        rows = s.get(kind)
        if f"{kind}_check" not in s or not isinstance(rows, list) or h is None:
            continue
        what = C(f"grouping_{kind}")
        if not h.has_target:
            ranked = sorted((r for r in rows if h.value(r) is not None), key=lambda r: h.value(r) or 0.0)
            shown = C("list_sep").join(C("units_lowest_item", name=r["name"], share=_pct(h.value(r)))
                                       for r in ranked[:CONSOLE_NAMES])
            more = C("units_lowest_more", n=len(ranked) - CONSOLE_NAMES) if len(ranked) > CONSOLE_NAMES else ""
            out.append(C("units_lowest", kind=what, n=len(rows), label=h.label(lang), shown=shown or "–", more=more))
            continue
        passing = sum(r.get("passes") is True for r in rows)
        failing = [r for r in rows if r.get("passes") is False]
        unmeasured = sum(r.get("passes") is None for r in rows)
        line = C("units_pass", kind=what, passing=passing, n=len(rows))
        if unmeasured:
            line += C("units_unmeasured", n=unmeasured)
        if failing:
            shown = C("list_sep").join(C("units_failing_item", name=r["name"], share=_pct(h.value(r)))
                                       for r in failing[:CONSOLE_NAMES])
            more = C("units_failing_more", n=len(failing) - CONSOLE_NAMES) if len(failing) > CONSOLE_NAMES else ""
            line += C("units_failing", shown=shown, more=more, label=h.label(lang))
        out.append(line)
    return out
