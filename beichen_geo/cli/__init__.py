"""The ``beichen-geo`` command line: a thin shell over the analyses.

Every subcommand loads one study (network, facilities, residential land), runs its
analysis and writes ``DIR/<subcommand>.json`` beside its GeoPackage, CSV tables and map.
Errors raised on purpose (bad files, empty data, network failures) become one readable
line on stderr and exit code 2; nothing is printed as a traceback.

``--out DIR`` always holds exactly one whole run (:mod:`beichen_geo.outdir`): the run is
written into a staging folder beside DIR and swapped in at the end, under a lock that refuses
a second run into DIR. An error, Ctrl-C (exit 130) or SIGTERM (exit 143) leaves DIR as it was.

Modules: :mod:`.parser` (argparse), :mod:`.options` (flags to API arguments),
:mod:`.registry` (the one table of analyses), :mod:`.pipeline` (load, run, write) and
:mod:`.main` (``main``/``run``, errors caught once).
"""

from __future__ import annotations

from beichen_geo.cli.main import main, run

__all__ = ["main", "run"]
