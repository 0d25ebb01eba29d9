"""``beichen-geo assess``: the assessment written into the run folder after its analyses.

Called by :func:`beichen_geo.cli.pipeline.analyses` with the analyses' summaries and results,
before the run folder is swapped in: builds the document (:mod:`beichen_geo.assess.document`)
and writes ``assess.xlsx``, ``assess.html``, with ``--pdf`` ``assess.pdf``, and last
``assess.json`` (listing the files written, or why the PDF is missing). Each part is a step
of the progress display.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from beichen_geo.progress import Steps

#: width (pixels) and resolution of the print maps drawn for the report: an A4 text width at 200 dpi
REPORT_MAP_PX, REPORT_MAP_DPI = 1600, 200


def print_maps(results: Mapping[str, Any], *, lang: str, folder: Path | None = None) -> dict[str, bytes]:
    """Static map PNGs of the analyses, by summary name.

    A ``<name>.png`` the run already wrote into ``folder`` (the analyses' print maps) is used as
    it is; otherwise the map builder's ``save_print`` draws one. A builder without
    ``save_print`` (no print maps in this version) gives none: the report then names each
    standard's interactive map instead.
    """
    maps: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="beichen-geo-print-") as tmp:
        for name, res in results.items():
            written = None if folder is None else folder / f"{name}.png"
            if written is not None and written.is_file():
                maps[name] = written.read_bytes()
                continue
            if res is None or res.make_map is None:
                continue
            builder = res.make_map(lang=lang, basemap="none")  # no tiles: the report stays offline
            save = getattr(builder, "save_print", None)
            if save is None:
                return maps
            path = Path(tmp) / f"{name}.png"
            save(path, fmt="png", width_px=REPORT_MAP_PX, dpi=REPORT_MAP_DPI)
            maps[name] = path.read_bytes()
    return maps


def write_assessment(summaries: dict[str, Any], results: dict[str, Any], standards: Any, run_folder: Any, *,
                     args: argparse.Namespace, steps: Steps) -> dict[str, Any]:
    """Write the assessment's files into the run folder's staging folder; returns ``{"assess": document}``."""
    from beichen_geo.assess.document import build_document
    from beichen_geo.assess.pdf import print_pdf
    from beichen_geo.assess.report import write_report
    from beichen_geo.assess.workbook import write_workbook
    from geo.io import write_json

    out = Path(run_folder.staging)
    lang = args.lang
    with steps("Assessment: every standard for the whole area and each unit"):
        doc = build_document(summaries, standards, lang=lang, run_id=run_folder.run_id)
    outputs = {}
    with steps("Writing assess.xlsx"):
        outputs["workbook"] = write_workbook(doc, out / "assess.xlsx", lang=lang).name
    with steps("Static maps for the report"):
        maps = print_maps(results, lang=lang, folder=out)
    with steps("Writing assess.html (charts per standard)"):
        outputs["report"] = write_report(doc, out / "assess.html", lang=lang, maps=maps).name
    if args.pdf:
        with steps("Printing assess.pdf (headless Chromium)"):
            outcome = print_pdf(out / "assess.html", out / "assess.pdf")
        if outcome.path is not None:
            outputs["pdf"] = outcome.path.name
        else:
            doc["pdf_not_written"] = outcome.reason
            from beichen_geo.present.messages import ConsoleWords

            print(ConsoleWords(lang)("assess_no_pdf_stderr", reason=outcome.reason), file=sys.stderr)
    doc["static_maps"] = sorted(maps)
    doc["outputs"] = outputs
    with steps("Writing assess.json"):
        write_json(doc, out / "assess.json")
    return {"assess": doc}
