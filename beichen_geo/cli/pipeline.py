"""One command-line run: load the study, run the analyses of the registry, write and swap the run folder.

``--out DIR`` always holds exactly one whole run (:mod:`beichen_geo.outdir`): the run is
written into a staging folder beside DIR and swapped in at the end, under a lock that refuses
a second run into DIR.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from beichen_geo.cli import options
from beichen_geo.cli.registry import ANALYSES, ASSESS, DEMO, RunContext, Runner
from beichen_geo.progress import Steps
from geo.errors import DataError, InputError


def load(args: argparse.Namespace, steps: Steps, standards: Any) -> Any:
    """The study of the command line, loaded far enough for the longest walk any analysis needs."""
    from beichen_geo.study import load_study

    boundary, crs = options.boundary(args)
    longest = max(largest_minutes(standards), getattr(args, "minutes", None) or 0)
    if getattr(args, "bands", None):
        longest = max(longest, *options.bands(args.bands))
    reach_m = standards.travel.distance_m(longest)
    return load_study(
        osm=args.osm, place=args.place, boundary=boundary, kinds=standards.kind_filters(),
        facility_files=options.facility_files(args, list(standards.kinds)), crs=options.crs(crs),
        speed_kmh=standards.travel.speed_kmh("walk"), reach_m=reach_m,
        max_snap_m=float(standards.travel.max_snap_m.value), cache_dir=args.cache_dir,
        overpass_url=args.overpass_url, nominatim_url=args.nominatim_url, step=steps,
        download_limits={"deadline_s": args.download_deadline, "max_body_mib": args.download_max_mib},
        residential_buildings=standards.population.residential_buildings,
        residential=args.residential, residential_coords=args.residential_coords,
        residential_mode=args.residential_mode,
    )


def largest_minutes(standards: Any) -> float:
    """The longest walk (minutes) of any circle tier, TOD band or the clinics' reach test."""
    mins = [float(t.minutes.value) for v in standards.circles.variants.values() for t in v.tiers]
    mins += [v.minutes[1] for v in standards.tod.variants.values()]
    mins.append(float(standards.clinics.walk_minutes.value))
    return max(mins)


def demo(args: argparse.Namespace, steps: Steps) -> dict[str, Any]:
    """``beichen-geo demo``: every demo analysis (all circle variants unless ``--quick``) into one folder."""
    from beichen_geo.present.messages import ConsoleWords

    if args.osm is None and args.place is None and not args.quiet:
        print(ConsoleWords(args.lang)("demo_banner"), file=sys.stderr)
    from beichen_geo.standards import load_standards

    standards = load_standards(args.standards)
    variants: list[str | None] = [None] if args.quick else list(standards.circles.variants)
    return analyses(args, steps, list(DEMO), demo=True, circle_variants=variants)


#: ``finish(summaries, results, standards, run_folder)``: more outputs written into the run folder
#: from the analyses' summaries and results before it is swapped in (``assess``); returns more
#: summaries to print (name -> summary)
Finish = Callable[[dict[str, Any], dict[str, Any], Any, Any], dict[str, Any]]


def assess(args: argparse.Namespace, steps: Steps) -> dict[str, Any]:
    """``beichen-geo assess``: every standard's analysis (all circle and TOD variants), then the assessment.

    ``--lang`` defaults to zh with ``--boundary beichen`` and to en otherwise (maps, CSVs,
    workbook and report alike).
    """
    from beichen_geo.cli import assess as assess_mod
    from beichen_geo.present.messages import ConsoleWords, analysis_name
    from beichen_geo.standards import load_standards

    if args.lang is None:
        args.lang = "zh" if str(args.boundary or "").strip().lower() == "beichen" else "en"
    steps.lang = args.lang
    standards = load_standards(args.standards)
    variants: list[str | None] = list(standards.circles.variants)
    if not args.quiet:
        C = ConsoleWords(args.lang)
        print(C("assess_banner", analyses=C("list_sep").join(analysis_name(a, args.lang) for a in ASSESS),
                n=len(variants),
                pdf=(C("list_sep") + "assess.pdf") if args.pdf else "", lang=args.lang), file=sys.stderr)
    return analyses(args, steps, list(ASSESS), circle_variants=variants,
                    finish=functools.partial(assess_mod.write_assessment, args=args, steps=steps))


def analyses(args: argparse.Namespace, steps: Steps, names: list[str], *, demo: bool = False,
             circle_variants: list[str | None] | None = None, finish: Finish | None = None) -> dict[str, Any]:
    """Run ``names`` into ``--out`` (staged, swapped in at the end) and print the result lines.

    ``finish`` writes further outputs from the analyses' summaries and results into the same
    run before it is swapped in (the assessment).
    """
    from beichen_geo.outdir import RunFolder
    from beichen_geo.standards import load_standards

    standards = clinics_from_file(load_standards(args.standards), args)
    options.facility_files(args, list(standards.kinds))  # unknown kinds and option counts refused before any work
    if args.zones and not all(ANALYSES[n].by_units for n in names):
        raise InputError(f"{', '.join(names)} gives no figures per zone: leave out --zones (circles, parks, tod, "
                         "clinics and demo take it)")
    if args.zones_name_col and not args.zones:
        raise InputError("--zones-name-col names a column of --zones FILE: give --zones too")
    if args.basemap == "tianditu" and not os.environ.get("TIANDITU_KEY"):
        raise InputError("--basemap tianditu needs a Tianditu browser key in the TIANDITU_KEY environment variable "
                         "(free from console.tianditu.gov.cn); or choose another --basemap")
    if args.print_format and args.lang == "zh":
        from geo.maps.printing import fonts_for

        fonts_for("zh", [])  # a Chinese print map needs a CJK font: refused before any work
    # the lock, the overwrite policy and a write probe come before any analysis work
    command = "demo" if demo else args.command
    with RunFolder(args.out, command=command, overwrite=args.overwrite) as run_folder:
        summaries, results = _run_analyses(args, steps, names, standards, run_folder, circle_variants=circle_variants)
        if finish is not None:
            summaries.update(finish(summaries, results, standards, run_folder))
        out = run_folder.commit()
    # the result lines stay with --quiet (it hides progress only)
    print_summaries(summaries, out, steps, lang=args.lang, standards=standards)
    return summaries


def _context(args: argparse.Namespace, steps: Steps, standards: Any, names: list[str],
             circle_variants: list[str | None] | None) -> RunContext:
    """Load the study, its residents, and the --units / --zones groupings every analysis breaks down by."""
    from beichen_geo.population import residents_for

    study = load(args, steps, standards)
    with steps("Map context: streets, water, railways, place names"):
        _ = study.context  # read once, counted in study.log before any summary is written
    with steps("Residents per demand cell"):
        residents = residents_for(study, standards.population, population=args.population, pop_col=args.pop_col,
                                  name_col=args.name_col, units=args.units, join_col=args.join_col)
    for msg in residents.warnings:  # e.g. much residential land holds nobody, and why
        warnings.warn(msg, stacklevel=2)
    by_units = all(ANALYSES[n].by_units for n in names)
    if not by_units:
        _refuse_unused_units(args, names, residents)
    units, zones = groupings(args, study, residents) if by_units else (None, None)
    return RunContext(args=args, study=study, standards=standards, residents=residents, units=units, zones=zones,
                      circle_variants=circle_variants)


def _refuse_unused_units(args: argparse.Namespace, names: list[str], residents: Any) -> None:
    """``gaps`` and ``stations`` give no per-unit figures: a --units layer that gives them no residents
    (neither joined to a --population table nor carrying a population column) is refused."""
    from beichen_geo.population import TABLE_SUFFIXES

    what = ", ".join(names)
    units_give_residents = residents.units is not None and (
        args.population is None or str(args.population).lower().endswith(TABLE_SUFFIXES))
    if args.units and not units_give_residents:
        raise InputError(f"{what} gives no figures per unit, and --units {args.units} gives it no residents (no "
                         "population column, no --population table to join): leave out --units")


def groupings(args: argparse.Namespace, study: Any, residents: Any) -> tuple[Any, Any]:
    """The --units and --zones groupings (None when not given).

    With a --population table joined to --units, the units carry the joined populations.
    """
    from beichen_geo.population import TABLE_SUFFIXES
    from beichen_geo.units import grouping_for, read_grouping

    units = zones = None
    if args.units:
        joined = (args.population is not None and str(args.population).lower().endswith(TABLE_SUFFIXES)
                  and residents.units is not None)
        if joined:
            units = grouping_for(study, residents.units, kind="units", residents=residents, name_col=None,
                                 source=os.path.basename(str(args.units)))
        else:
            units = read_grouping(args.units, study, kind="units", residents=residents, name_col=args.name_col)
    if args.zones:
        zones = read_grouping(args.zones, study, kind="zones", residents=residents, name_col=args.zones_name_col)
    return units, zones


def _run_analyses(args: argparse.Namespace, steps: Steps, names: list[str], standards: Any, run_folder: Any,
                  *, circle_variants: list[str | None] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Load the study and write every analysis (and stub) into the run folder's staging folder.

    Returns the summaries and the results (``AnalysisResult``; None for a stub), by file stem.
    """
    ctx = _context(args, steps, standards, names, circle_variants)
    runners: dict[str, Runner] = {}
    for name in names:
        runners.update(ANALYSES[name].build(ctx))
    summaries: dict[str, Any] = {}
    results: dict[str, Any] = {}
    info = study_info(ctx.study, standards)
    for key, fn in runners.items():
        analysis, _, variant = key.partition(":")
        name, summary, res = _run_one(args, steps, fn, analysis, variant, standards, run_folder, info, ctx.residents,
                                      alone=len(runners) == 1)
        summaries[name] = summary
        results[name] = res
    return summaries, results


def _run_one(args: argparse.Namespace, steps: Steps, fn: Runner, analysis: str, variant: str, standards: Any,
             run_folder: Any, info: dict[str, Any], residents: Any,
             *, alone: bool) -> tuple[str, dict[str, Any], Any]:
    """Run one analysis and write its outputs; a DataError in a multi-analysis run writes a stub instead."""
    from beichen_geo.result import write_result
    from geo.io import write_json

    out = run_folder.staging
    named_variant = variant not in ("", "None")
    label = analysis + (f" ({variant})" if named_variant else "")
    try:
        with steps(f"Analysis: {label}"):
            res = fn()
    except DataError as exc:
        if alone:
            raise
        # in a multi-analysis run one empty layer (e.g. no stations) must not stop the others
        stub = {"analysis": analysis, "status": "not measured", "reason": str(exc), "study": info,
                **residents.summary(), "run_id": run_folder.run_id, "outputs": {}}
        name = f"{analysis}_{variant}" if named_variant else analysis
        write_json(stub, out / f"{name}.json")
        return name, stub, None
    if analysis == "circles" and named_variant and variant != standards.circles.default_variant:
        res.name = f"circles_{variant}"
    res.summary["study"] = info
    res.summary.update(residents.summary())  # population_source, residents_unplaced, land without residents
    res.summary["run_id"] = run_folder.run_id
    # what the study found (off-network land, merged duplicates, files outside the area) belongs
    # in every result's warnings, not only in study.log
    res.summary["warnings"] = list(dict.fromkeys([*info["log"].get("warnings", []), *residents.warnings,
                                                  *res.summary.get("warnings", [])]))
    with steps(f"Writing {res.name} outputs"):
        write_result(res, out, labels=_labels(standards, args.lang), lang=args.lang, basemap=args.basemap,
                     self_contained=args.self_contained, print_format=args.print_format)
    return res.name, res.summary, res


def clinics_from_file(standards: Any, args: argparse.Namespace) -> Any:
    """Use a planner's ``chsc`` list for S-H-01 when given and the standards name the OSM proxy.

    ``[clinics] kind = "clinic"`` is OSM's proxy for 社区卫生服务中心; an official list given as
    ``--facilities FILE --kind chsc`` is the better source, so it is used instead (and said so in
    the clinics summary through ``study.facility_sources``).
    """
    if "chsc" in args.kind and standards.clinics.kind == "clinic" and "chsc" in standards.kinds:
        return dataclasses.replace(standards, clinics=dataclasses.replace(standards.clinics, kind="chsc"))
    return standards


def facility_sources(study: Any, kinds: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Where each kind's facilities come from: ``{"source": "file"|"osm", "files": [...], "count": n}``."""
    fac = study.facilities
    from_file = fac["source_file"].notna() if "source_file" in fac else None
    out: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        mask = (fac["kind"] == kind).to_numpy()
        if from_file is not None and (mask & from_file.to_numpy()).any():
            paths = fac.loc[mask & from_file.to_numpy(), "source_file"]
            files = sorted({os.path.basename(str(p)) for p in paths})
            out[kind] = {"source": "file", "files": files, "count": int(mask.sum())}
        else:
            out[kind] = {"source": "osm", "count": int(mask.sum())}
    return out


def study_info(study: Any, standards: Any) -> dict[str, Any]:
    """The ``study`` block of every summary: data, facility sources, network, area, standards files, log."""
    return {
        "data": study.source,
        "facility_sources": facility_sources(study, list(standards.kinds)),
        "clinics_kind": standards.clinics.kind,
        "network": study.net.summary(),
        "area_km2": round(study.area.area / 1e6, 3),
        "standards_files": list(standards.files),
        "log": study.log,
    }


def _labels(standards: Any, lang: str | None) -> Any:
    """The standards' display names in ``lang`` (kinds, TOD variants) for the console and CSV headers."""
    from beichen_geo.present.messages import Labels

    return Labels.from_standards(standards, lang or "en")


def print_summaries(summaries: dict[str, Any], out: Path, steps: Steps, *, lang: str | None = "en",
                    standards: Any = None) -> None:
    """The folder, the elapsed time and every analysis's result lines (:mod:`beichen_geo.present.console`),
    in ``lang``; ``standards`` names the kinds and TOD variants (default: the built-in standards)."""
    from beichen_geo.present import console

    lang = lang or "en"
    labels = None if standards is None else _labels(standards, lang)
    print("\n" + console.results_in(out, steps.elapsed, lang=lang))
    for name, s in summaries.items():
        for line in console.lines(name, s, lang=lang, labels=labels):
            print(line)
    for line in console.footer(summaries, lang=lang, labels=labels):
        print(line)
