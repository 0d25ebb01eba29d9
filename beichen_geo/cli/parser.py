"""The argparse parser of ``beichen-geo``: the options every subcommand shares, one subparser per analysis.

The subcommands and their help come from :data:`beichen_geo.cli.registry.ANALYSES`; the options
of one analysis only (``gaps --n``, ``stations --bands``...) are added by the functions below,
named in that table.
"""

from __future__ import annotations

import argparse
import os

COORDS = ["wgs84", "gcj02", "bd09"]


def add_common(p: argparse.ArgumentParser, *, out_default: str | None) -> None:
    """Data and output options of every subcommand."""
    src = p.add_argument_group("data")
    g = src.add_mutually_exclusive_group()
    g.add_argument("--osm", metavar="PATH",
                   help="OSM .pbf or .osm file (default: the embedded Helsinki sample, offline)")
    g.add_argument("--place", metavar="NAME", help="download the area by name through Overpass (cached on disk)")
    src.add_argument("--boundary", metavar="PATH|beichen",
                     help="study-area polygons (GeoJSON/GPKG/SHP); 'beichen' = the built-in Beichen District "
                          "boundary (CRS EPSG:4548). Default: the extent of the data")
    src.add_argument("--standards", metavar="PATH", help="TOML file overriding any of the built-in standards")
    src.add_argument("--facilities", metavar="PATH", action="append", default=[],
                     help="a planner's facility file (CSV/Excel with lon/lat, GeoJSON, GPKG, SHP); repeatable, "
                          "each with its --kind (and --coords); it replaces OSM's facilities of that kind")
    src.add_argument("--kind", action="append", default=[], help="kind of the matching --facilities file, e.g. clinic")
    src.add_argument("--coords", action="append", default=[], choices=COORDS,
                     help="coordinate system of the matching --facilities file (default wgs84; give once for all)")
    src.add_argument("--layer", action="append", default=[],
                     help="layer of the matching --facilities GeoPackage/GIS file that holds several (once for all, or "
                          "once per file)")
    src.add_argument("--sheet", action="append", default=[],
                     help="sheet (name or 1-based number) of the matching --facilities Excel file (once for all, or "
                          "once per file)")
    src.add_argument("--lon-col", action="append", default=[],
                     help="longitude column of the matching --facilities table (default: found by name)")
    src.add_argument("--lat-col", action="append", default=[],
                     help="latitude column of the matching --facilities table (default: found by name)")
    src.add_argument("--population", metavar="PATH",
                     help="community/sub-district polygons with a population column, a table joined to --units, or a "
                          "GeoTIFF of persons per pixel (default: estimate from the buildings on residential land)")
    src.add_argument("--units", metavar="PATH",
                     help="named polygons (街道/镇, 社区, planning units) every analysis breaks its figures down by "
                          "(<command>_units.csv); their population column, when they have one, gives the residents "
                          "unless --population is given; with a --population TABLE (CSV/Excel) they are joined by "
                          "name or code")
    src.add_argument("--join-col", help="column shared by --units and a --population table (default: a name/code "
                                        "column)")
    src.add_argument("--pop-col", help="name of the population column in --population (or in --units without "
                                       "--population)")
    src.add_argument("--name-col", help="name of the unit-name column in --population and --units (default: found "
                                        "by name: name, 名称, 街道, 社区...)")
    src.add_argument("--zones", metavar="PATH",
                     help="a second grouping reported like --units (e.g. inside/outside the Outer Ring Road): "
                          "<command>_zones.csv")
    src.add_argument("--zones-name-col", help="name of the zone-name column in --zones (default: found by name)")
    src.add_argument("--residential", metavar="PATH",
                     help="a planner's residential land polygons (居住用地; GeoJSON/GPKG/SHP), see --residential-mode")
    src.add_argument("--residential-coords", choices=["wgs84", "gcj02", "bd09"], default="wgs84",
                     help="datum of --residential in longitude/latitude (Gaode: gcj02, Baidu: bd09; default wgs84)")
    src.add_argument("--residential-mode", choices=["add", "replace"], default="add",
                     help="add --residential to OSM's residential land (default) or replace it")
    src.add_argument("--crs", help="metric CRS for the analysis, e.g. 4548 (default: UTM zone; 4548 with --boundary "
                                   "beichen)")
    src.add_argument("--cache-dir", metavar="DIR", help="download cache for --place (default ~/.cache/beichen-geo)")
    src.add_argument("--overpass-url", default=os.environ.get("BEICHEN_OVERPASS_URL"),
                     help="Overpass API base URL for --place, e.g. an intranet mirror (env BEICHEN_OVERPASS_URL)")
    src.add_argument("--nominatim-url", default=os.environ.get("BEICHEN_NOMINATIM_URL"),
                     help="Nominatim base URL for --place (env BEICHEN_NOMINATIM_URL)")
    src.add_argument("--download-deadline", metavar="SECONDS", type=float,
                     help="for --place: one wall-clock deadline per download, retries included (default 600 s, 180 s "
                          "for Nominatim)")
    src.add_argument("--download-max-mib", metavar="MIB", type=float,
                     help="for --place: size cap of one downloaded answer (default 256 MiB)")
    o = p.add_argument_group("output")
    o.add_argument("--out", metavar="DIR", default=out_default, help=f"output folder (default {out_default})")
    o.add_argument("--overwrite", action="store_true", help="allow writing into a folder that already holds files")
    o.add_argument("--lang", choices=["zh", "en"], default="en",
                   help="language of the maps, and of the assess workbook and report (default en; assess: zh with "
                        "--boundary beichen)")
    o.add_argument("--basemap", choices=["positron", "osm", "gaode", "tianditu", "none"], default="positron",
                   help="map background; gaode shifts overlays to GCJ-02; tianditu needs TIANDITU_KEY")
    o.add_argument("--print-format", choices=["png", "pdf", "svg"], default="png",
                   help="format of each analysis's print map <command>.png|pdf|svg (default png, 2400 px, 300 dpi)")
    o.add_argument("--no-self-contained", dest="self_contained", action="store_false",
                   help="load Leaflet from the internet instead of inlining it (smaller HTML)")
    o.add_argument("--quiet", action="store_true", help="no progress display (the result lines are still printed)")


def circles_options(p: argparse.ArgumentParser) -> None:
    """``circles --variant``."""
    p.add_argument("--variant", help="living-circle variant (default from the standards: 5-15-30)")


def tod_options(p: argparse.ArgumentParser) -> None:
    """``tod --variant`` (repeatable)."""
    p.add_argument("--variant", action="append", help="TOD band variant(s) (default: all, side by side)")


def gaps_options(g: argparse.ArgumentParser) -> None:
    """``gaps``: the kind analysed (``--kind``), the tier, the number of new sites and the solver."""
    g.set_defaults(kind_is_subject=True)
    g.add_argument("--circle", "--minutes", dest="minutes", type=float,
                   help="walking minutes of the standard (default: the circle tier that lists the kind, e.g. 15 for "
                        "clinic)")
    g.add_argument("--variant", help="living-circle variant giving the tier (default from the standards)")
    g.add_argument("--n", type=int, help="number of new sites (default: as many as needed to reach the target share)")
    g.add_argument("--candidates", metavar="PATH", help="candidate sites (planner's list); default: generated on the "
                                                        "walk network")
    g.add_argument("--candidates-coords", choices=COORDS, default="wgs84")
    g.add_argument("--method", choices=["auto", "exact", "greedy"], default="auto",
                   help="exact (spopt + CBC), greedy (stated bound), or auto by problem size")
    g.add_argument("--objective", choices=["residents", "land"], help="what the sites maximise / the target counts")
    g.add_argument("--target-share", type=float, help="target share when --n is not given (default: the tier's target)")
    g.add_argument("--max-candidates", type=int, default=1000)
    g.add_argument("--time-limit", type=float, default=120.0, help="CBC time limit, seconds")


def stations_options(sc: argparse.ArgumentParser) -> None:
    """``stations``: the station list, bands, weights, polygons and the Dask cluster."""
    sc.add_argument("--stations", default="osm", metavar="FILE|osm",
                    help="station list (CSV/Excel/GeoJSON/GPKG) or 'osm' for the data's stations (default)")
    sc.add_argument("--stations-coords", choices=COORDS, default="wgs84",
                    help="coordinate system of --stations FILE (Gaode: gcj02, Baidu: bd09)")
    sc.add_argument("--bands", default="5,10,15", help="walking bands in minutes (default 5,10,15)")
    sc.add_argument("--weights", help="composite-score weights, e.g. residents=0.3,services_total=0.2")
    sc.add_argument("--polygons", default="all", help="draw catchment polygons for the N best stations, or 'all' "
                                                      "(default all)")
    dk = sc.add_mutually_exclusive_group()
    dk.add_argument("--scheduler", metavar="tcp://host:port", help="run on an existing dask.distributed cluster")
    dk.add_argument("--workers", type=int, help="run on a local Dask cluster of N worker processes")
    sc.add_argument("--chunk-size", type=int, default=128, help="stations per task (default 128)")


def assess_options(a: argparse.ArgumentParser) -> None:
    """``assess --pdf``; its ``--lang`` defaults to zh with ``--boundary beichen`` (en otherwise)."""
    a.set_defaults(lang=None)
    a.add_argument("--pdf", action="store_true",
                   help="also print assess.html to assess.pdf with headless Chromium (a line says why when it cannot)")


def serve_options(sv: argparse.ArgumentParser) -> None:
    """``serve``: where the what-if workbench listens."""
    w = sv.add_argument_group("server")
    w.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; any other asks for the access "
                        "token printed at start)")
    w.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free port)")


def build_parser() -> argparse.ArgumentParser:
    """The whole parser: ``demo`` and one subcommand per entry of the registry, in its order."""
    from beichen_geo import __version__
    from beichen_geo.cli.registry import ANALYSES

    parser = argparse.ArgumentParser(
        prog="beichen-geo",
        description="Measure how well Beichen District's public services reach residents (5-15-30 min living "
                    "circles, parks within 500 m, TOD station areas, clinics per community) on OSM data.",
    )
    parser.add_argument("--version", action="version", version=f"beichen-geo {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    d = sub.add_parser("demo", help="run all four analyses offline on the embedded sample and write maps")
    add_common(d, out_default="maps")
    d.add_argument("--quick", action="store_true", help="a smaller variant (one circle variant, fewer map layers)")
    a = sub.add_parser("assess", help="every standard (all living-circle and TOD variants, parks, clinics) per unit: "
                                      "assess.json, assess.xlsx, assess.html (and --pdf)")
    add_common(a, out_default="out")
    assess_options(a)
    for name, analysis in ANALYSES.items():
        sp = sub.add_parser(name, help=analysis.help)
        add_common(sp, out_default="out")
        if analysis.options is not None:
            analysis.options(sp)
    sv = sub.add_parser("serve", help="the what-if workbench: load the study once and serve a local web app and "
                                      "JSON API (add, move, remove facilities; scenarios; best next site)")
    add_common(sv, out_default=None)
    serve_options(sv)
    return parser
