"""``beichen-geo serve``: the what-if workbench, a local web app over one loaded study (issue 18).

- :mod:`.workbench`: :class:`Workbench`, the study, residents, standards and named scenarios,
  each a :class:`geo.whatif.CoverageState` edited incrementally;
- :mod:`.choices`: the (kind, minutes) choices of the standards;
- :mod:`.app`: :func:`create_app`, the FastAPI application (errors as ``{"error": ...}``);
- :mod:`.routes`: the ``/api`` routes;
- :mod:`.auth`: loopback-only by default, a random token for any other host;
- :mod:`.uploads`: size-capped facility lists read with the command line's readers;
- ``static/``: the page's files, served from the package (no internet needed).
"""

from __future__ import annotations

from .app import create_app
from .workbench import Scenario, ScenarioNotFound, Workbench

__all__ = ["Scenario", "ScenarioNotFound", "Workbench", "create_app"]
