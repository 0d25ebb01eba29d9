"""The planner's deliverable of ``beichen-geo assess``: every standard, per unit, in one workbook and one report.

The steps, one module each:

- :mod:`~beichen_geo.assess.rows`: one extractor per analysis maps a summary-shaped dict (the
  whole area's summary, or one unit's entry of its ``units`` list) to standard rows
  (``circles:5-15-30:15min``: the measured value, its unit, the target, pass/fail, reasons);
- :mod:`~beichen_geo.assess.document`: the rows of the whole area and of every unit, with the
  data and assumptions, as the ``assess.json`` document;
- :mod:`~beichen_geo.assess.workbook` (``assess.xlsx``, openpyxl), :mod:`~beichen_geo.assess.charts`
  (bar charts, matplotlib), :mod:`~beichen_geo.assess.report` (``assess.html``, Jinja2 with
  autoescaping) and :mod:`~beichen_geo.assess.pdf` (headless Chromium) present that document;
- :mod:`~beichen_geo.assess.words`: every fixed word of the workbook and the report, zh and en.

The workbook and the report read the document only, so what they show is what ``assess.json`` says.
"""

from __future__ import annotations

# The writers import openpyxl, matplotlib and Jinja2; import them from their modules
# (``from beichen_geo.assess.workbook import write_workbook``) so that loading the package stays light.
