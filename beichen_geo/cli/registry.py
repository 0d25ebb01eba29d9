"""The one table of the analyses the command line runs.

Each entry names the analysis's module and public entry function (imported only when the
analysis runs) and how its runners are built from the command line; adding an analysis is one
entry here (plus its options in :mod:`beichen_geo.cli.parser` and its lines in
:mod:`beichen_geo.present.console`). A runner is a call without arguments returning an
:class:`~beichen_geo.result.AnalysisResult`; one analysis may give several (one per circle variant),
keyed ``"<analysis>:<variant>"``.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import importlib
from collections.abc import Callable, Mapping
from types import MappingProxyType, ModuleType
from typing import Any, Final

from beichen_geo.cli import options, parser
from beichen_geo.result import AnalysisResult

Runner = Callable[[], AnalysisResult]


@dataclasses.dataclass(frozen=True)
class RunContext:
    """What every runner is built from: the parsed command line and the loaded study."""

    args: argparse.Namespace
    study: Any
    standards: Any
    residents: Any
    units: Any = None
    zones: Any = None
    circle_variants: list[str | None] | None = None


RunnerBuilder = Callable[[Callable[..., AnalysisResult], ModuleType, RunContext], dict[str, Runner]]


@dataclasses.dataclass(frozen=True)
class Analysis:
    """One analysis of the command line.

    ``module`` and ``entry`` name the public entry function; ``runners`` builds the runners
    from it (and its module, for helpers such as ``read_stations``); ``options`` adds the
    subcommand's own flags; ``in_demo`` says whether ``beichen-geo demo`` runs it;
    ``by_units`` whether it breaks its figures down by ``--units`` / ``--zones``.
    """

    module: str
    entry: str
    runners: RunnerBuilder
    help: str
    options: Callable[[argparse.ArgumentParser], None] | None = None
    in_demo: bool = False
    by_units: bool = False

    def build(self, ctx: RunContext) -> dict[str, Runner]:
        """Import the module and build this analysis's runners."""
        mod = importlib.import_module(self.module)
        return self.runners(getattr(mod, self.entry), mod, ctx)


def _circles(entry: Callable[..., AnalysisResult], mod: ModuleType, ctx: RunContext) -> dict[str, Runner]:  # noqa: ARG001
    variants = ctx.circle_variants or [getattr(ctx.args, "variant", None)]
    return {f"circles:{v}": functools.partial(entry, ctx.study, ctx.standards, variant=v, residents=ctx.residents,
                                              units=ctx.units, zones=ctx.zones)
            for v in variants}


def _parks(entry: Callable[..., AnalysisResult], mod: ModuleType, ctx: RunContext) -> dict[str, Runner]:  # noqa: ARG001
    return {"parks": functools.partial(entry, ctx.study, ctx.standards, residents=ctx.residents, units=ctx.units,
                                       zones=ctx.zones)}


def _tod(entry: Callable[..., AnalysisResult], mod: ModuleType, ctx: RunContext) -> dict[str, Runner]:  # noqa: ARG001
    tv = getattr(ctx.args, "variant", None) if ctx.args.command == "tod" else None
    return {"tod": functools.partial(entry, ctx.study, ctx.standards, variants=tv, residents=ctx.residents,
                                     units=ctx.units, zones=ctx.zones)}


def _clinics(entry: Callable[..., AnalysisResult], mod: ModuleType, ctx: RunContext) -> dict[str, Runner]:  # noqa: ARG001
    return {"clinics": functools.partial(entry, ctx.study, ctx.standards, residents=ctx.residents, units=ctx.units,
                                         zones=ctx.zones)}


def _gaps(entry: Callable[..., AnalysisResult], mod: ModuleType, ctx: RunContext) -> dict[str, Runner]:  # noqa: ARG001
    args = ctx.args
    cand = None
    if args.candidates:
        from geo.io import read_points

        cand = read_points(args.candidates, coords=args.candidates_coords, what="candidate sites")
        cand.attrs["coords"] = args.candidates_coords  # sites are also given back in the planner's system
    return {"gaps": functools.partial(
        entry, ctx.study, ctx.standards, kind=args.kind[0], minutes=args.minutes, variant=args.variant,
        residents=ctx.residents, n_new=args.n, candidates=cand, method=args.method, objective=args.objective,
        target_share=args.target_share, max_candidates=args.max_candidates, time_limit_s=args.time_limit,
    )}


def _stations(entry: Callable[..., AnalysisResult], mod: ModuleType, ctx: RunContext) -> dict[str, Runner]:
    args = ctx.args
    stations = None
    if args.stations and args.stations.lower() != "osm":
        stations = mod.read_stations(args.stations, coords=args.stations_coords)
    polygons: int | str = args.polygons if args.polygons == "all" else options.whole_number(args.polygons, "--polygons")
    return {"stations": lambda: entry(  # bands and weights are read when the run starts, as before
        ctx.study, ctx.standards, stations=stations, bands_min=options.bands(args.bands), residents=ctx.residents,
        weights=options.weights(args.weights), polygons=polygons, scheduler=args.scheduler, workers=args.workers,
        chunk_size=args.chunk_size, progress=not args.quiet,
    )}


#: name -> analysis, in the order of ``--help`` and of a demo run. The module paths are the only
#: place the CLI names the analyses' modules.
ANALYSES: Final[Mapping[str, Analysis]] = MappingProxyType({
    "circles": Analysis("beichen_geo.analyses.circles", "living_circles", _circles, in_demo=True,
                        by_units=True, options=parser.circles_options,
                        help="5-15-30 (or another variant's) living circles: homes reaching every required kind"),
    "parks": Analysis("beichen_geo.analyses.parks", "park_coverage", _parks, in_demo=True, by_units=True,
                      help="share of residential land within 500 m of parks (straight line and network)"),
    "tod": Analysis("beichen_geo.analyses.tod", "tod_station_areas", _tod, in_demo=True, by_units=True,
                    options=parser.tod_options,
                    help="walking catchments and TOD figures of rail and metro stations"),
    "clinics": Analysis("beichen_geo.analyses.clinics", "clinics_per_community", _clinics, in_demo=True,
                        by_units=True,
                        help="community health centres per community / sub-district (S-H-01)"),
    "gaps": Analysis("beichen_geo.analyses.gaps", "gap_analysis", _gaps, options=parser.gaps_options,
                     help="where coverage of a kind fails, and where N new facilities close the gap best"),
    "stations": Analysis("beichen_geo.analyses.stations", "score_stations", _stations, options=parser.stations_options,
                         help="batch-score and rank many station areas (TOD potential), locally or on Dask"),
})

#: what ``beichen-geo demo`` runs (``gaps`` and ``stations`` are separate)
DEMO: Final = tuple(name for name, a in ANALYSES.items() if a.in_demo)

#: what ``beichen-geo assess`` runs: every analysis that measures a standard of the plan (the
#: demo's four), all living-circle and TOD variants
ASSESS: Final = DEMO
