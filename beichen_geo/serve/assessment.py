"""A scenario's assessment: ``beichen-geo assess``'s document and workbook for the scenario's facilities.

The analyses whose standards measure the scenario's kind at its minutes (``clinics`` for
S-H-01, ``parks`` for S-PG-01, ``circles`` of each variant with a tier of that kind and
minutes) run on the study with that kind's facilities replaced by the scenario's
(:meth:`Workbench.scenario_study`), exactly as ``assess --facilities scenario.csv --kind K``
would run them; their summaries become the assessment document
(:func:`beichen_geo.assess.document.build_document`), written as JSON or as the assess
workbook (:func:`beichen_geo.assess.workbook.write_workbook`). The document gains a
``scenario`` block: its name, kind, minutes, edits and facilities by origin.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from geo.errors import InputError

if TYPE_CHECKING:
    from .workbench import Scenario, Workbench

#: What a scenario can be exported as, for the page: ``id``, route tail, word of the page.
EXPORTS: tuple[dict[str, str], ...] = (
    {"id": "json", "path": "assess.json", "word": "export_json"},
    {"id": "xlsx", "path": "assess.xlsx", "word": "export_xlsx"},
)


def analyses_for(wb: Workbench, sc: Scenario) -> list[tuple[str, str | None]]:
    """``(analysis, circle variant)`` of every analysis measuring ``sc``'s kind within its minutes."""
    out: list[tuple[str, str | None]] = []
    for c in wb.choices:
        if c["kind"] != sc.kind or abs(float(c["minutes"]) - sc.minutes) > 1e-9:
            continue
        item: tuple[str, str | None] = (
            ("clinics", None) if c["id"] == "S-H-01" else ("parks", None) if c["id"] == "S-PG-01"
            else ("circles", str(c["variant"])))
        if item not in out:
            out.append(item)
    return out


def _summaries(wb: Workbench, sc: Scenario) -> dict[str, dict[str, Any]]:
    """The analyses' summaries on the scenario's facilities, by file stem, as their JSON files hold them."""
    from geo.io import jsonable

    from ..analyses.circles import living_circles
    from ..analyses.clinics import clinics_per_community
    from ..analyses.parks import park_coverage
    from ..cli.pipeline import study_info

    todo = analyses_for(wb, sc)
    if not todo:
        raise InputError(f"no analysis of the standards measures {sc.kind} within {sc.minutes:g} min: "
                         "export the facility CSV and run the command of your choice on it")
    with wb.lock:
        study = wb.scenario_study(sc)
    units = wb.units
    out: dict[str, dict[str, Any]] = {}
    for analysis, variant in todo:
        if analysis == "clinics":
            res = clinics_per_community(study, wb.standards, residents=wb.residents, units=units)
        elif analysis == "parks":
            res = park_coverage(study, wb.standards, residents=wb.residents, units=units)
        else:
            res = living_circles(study, wb.standards, variant=variant, residents=wb.residents, units=units)
            if variant != wb.standards.circles.default_variant:
                res.name = f"circles_{variant}"
        summary = dict(res.summary)
        summary["study"] = study_info(study, wb.standards)
        if wb.residents is not None:
            summary.update(wb.residents.summary())
        out[res.name] = jsonable(summary)
    return out


def scenario_document(wb: Workbench, sc: Scenario, *, lang: str) -> dict[str, Any]:
    """The assessment document of scenario ``sc`` (``assess.json``'s layout, plus ``scenario``)."""
    from ..assess.document import build_document

    doc = build_document(_summaries(wb, sc), wb.standards, lang=lang, run_id=None)
    with wb.lock:
        origins = Counter(f.origin for f in sc.facilities.values())
        doc["scenario"] = {"name": sc.name, "kind": sc.kind, "minutes": sc.minutes, "edits": len(sc.edits),
                           "facilities_open": len(sc.facilities), "facilities_by_origin": dict(origins),
                           "figures": {k: v for k, v in wb.figures(sc).items() if k != "units"}}
    return doc


def scenario_workbook(wb: Workbench, sc: Scenario, *, lang: str) -> bytes:
    """The assess workbook (``assess.xlsx``) of scenario ``sc``, as bytes."""
    from ..assess.workbook import write_workbook

    doc = scenario_document(wb, sc, lang=lang)
    with tempfile.TemporaryDirectory(prefix="beichen-assess-") as tmp:
        path = write_workbook(doc, Path(tmp) / "assess.xlsx", lang=lang)
        return path.read_bytes()
