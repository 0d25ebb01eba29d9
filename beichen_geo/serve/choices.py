"""The standards a planner can pick in the workbench: a facility kind and its walking minutes.

One choice per measurable (kind, minutes) of the standards: S-H-01 (the clinics' kind within
``walk_minutes``), S-PG-01 read on the network (parks within ``radius_m`` of walking, as
minutes at the walking speed), and every kind of every living-circle tier (within the tier's
minutes). Labels come from the standards (data, shown as text by any page).
"""

from __future__ import annotations

from typing import Any

from ..standards import Standards


def standard_choices(standards: Standards, *, metres_per_minute: float, max_minutes: float) -> list[dict[str, Any]]:
    """Every (kind, minutes) the workbench can measure, with the standard it comes from.

    Parameters
    ----------
    standards
        The study's standards.
    metres_per_minute
        Walking speed of the study's network, m/min (turns the park radius into minutes).
    max_minutes
        Longest walk the study was loaded for, minutes: choices beyond it are left out.

    Returns
    -------
    list of dict
        ``id``, ``standard``, ``kind``, ``minutes`` (min), ``distance_m`` (m), ``target_share``,
        ``label_en``, ``label_zh``, ``kind_label_en``, ``kind_label_zh``, ``source``, ``note``;
        circle tiers add ``variant`` and ``tier``.
    """
    out: list[dict[str, Any]] = []

    def add(cid: str, standard: str, kind: str, minutes: float, target: float, label_en: str, label_zh: str,
            source: str, note: str | None = None, **extra: Any) -> None:
        if kind not in standards.kinds or not 0 < minutes <= max_minutes + 1e-9:
            return
        k = standards.kinds[kind]
        out.append({"id": cid, "standard": standard, "kind": kind, "minutes": float(minutes),
                    "distance_m": round(float(minutes) * metres_per_minute, 1), "target_share": float(target),
                    "label_en": label_en, "label_zh": label_zh, "kind_label_en": k.label_en,
                    "kind_label_zh": k.label_zh, "source": source, "note": note, **extra})

    c = standards.clinics
    add("S-H-01", c.standard, c.kind, float(c.walk_minutes.value), float(c.reach_target_share.value),
        f"{c.standard}: community health service centre within {float(c.walk_minutes.value):g} min",
        f"{c.standard}: 社区卫生服务中心{float(c.walk_minutes.value):g}分钟可达", c.source)
    p = standards.parks
    if p.size_rule == "none":
        r = float(p.radius_m.value)
        add("S-PG-01", p.standard, p.kind, r / metres_per_minute, float(p.target_share.value),
            f"{p.standard}: park within {r:g} m (walked on the street network)",
            f"{p.standard}: 公园绿地{r:g}米(步行网络距离)", p.source,
            note="the network reading of the standard; its straight-line reading is the parks command's")
    for v in standards.circles.variants.values():
        for t in v.tiers:
            for kind in t.kinds:
                add(f"circles:{v.name}:{t.name}:{kind}", ", ".join(v.standards), kind, float(t.minutes.value),
                    float(t.target_share.value), f"{t.label_en} ({v.label_en})", f"{t.label_zh}({v.label_zh})",
                    v.source, variant=v.name, tier=t.name)
    return out
