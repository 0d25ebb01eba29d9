"""Timings of station scoring (#6): 1,000 stations locally and on a 2-worker Dask LocalCluster.

Stations are network nodes sampled at random (seed 0) on the Liechtenstein extract
(``../shared/data/raw/valhalla/liechtenstein-latest.osm.pbf``; the script exits cleanly with a
message when it is absent). Each run scores every station on 5/10/15-min walks with the
residents estimated from buildings; times are wall-clock seconds of :func:`score_stations`
(the study is loaded once, before, and timed separately).

Runs:

- **growth**: 100, 300 and 1,000 stations, locally, scoring only (``polygons=0``) and with the
  default 20 isochrone polygons, to show the cost grows linearly with the number of stations;
- **dask**: 1,000 stations on ``LocalCluster(n_workers=2, processes=True)`` started by the run
  (``workers=2``, start-up and shutdown included) and on an already running cluster
  (``scheduler=tcp://...``), each checked IDENTICAL to the local run (same floats).

Usage::

    python scripts/bench_stations.py                    # about 1-2 minutes on 2 cores
    python scripts/bench_stations.py --sizes 100,1000 --json out.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PBF = Path(os.environ.get("BEICHEN_SHARED", ROOT.parent / "shared")) / "data" / "raw" / "valhalla" / "liechtenstein-latest.osm.pbf"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def load(path: Path, bands: tuple[float, ...]) -> tuple[Any, Any, Any, float]:
    from beichen_geo.population import estimate_residents
    from beichen_geo.standards import load_standards
    from beichen_geo.study import load_study

    std = load_standards()
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = load_study(osm=path, kinds=std.kind_filters(), speed_kmh=std.travel.speed_kmh("walk"),
                           reach_m=std.travel.distance_m(max(bands)), max_snap_m=float(std.travel.max_snap_m.value))
        residents = estimate_residents(study, std.population)
    return study, std, residents, time.perf_counter() - t


def sample_stations(study: Any, n: int, *, seed: int = 0) -> Any:
    import geopandas as gpd
    import numpy as np

    rng = np.random.default_rng(seed)
    nodes = rng.choice(len(study.net.nodes), min(n, len(study.net.nodes)), replace=False)
    return gpd.GeoDataFrame({"name": [f"node {i}" for i in nodes]}, geometry=study.net.nodes.geometry.to_numpy()[nodes],
                            crs=study.crs)


def timed(fn, *args, **kw) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t


def identical(a: Any, b: Any) -> bool:
    import pandas as pd
    import shapely

    try:
        for name in ("bands", "ranked"):
            pd.testing.assert_frame_equal(a.tables[name], b.tables[name], check_exact=True)
        ga, gb = a.layers["catchments"].geometry.to_numpy(), b.layers["catchments"].geometry.to_numpy()
        return bool(len(ga) == len(gb) and shapely.equals_exact(ga, gb, tolerance=0).all()
                    and a.summary["bands"] == b.summary["bands"])
    except AssertionError:
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--osm", type=Path, default=DEFAULT_PBF, help="OSM extract (default: Liechtenstein in ../shared)")
    ap.add_argument("--sizes", default="100,300,1000", help="station counts for the growth runs")
    ap.add_argument("--workers", type=int, default=2, help="Dask worker processes (default 2)")
    ap.add_argument("--polygons", type=int, default=20, help="isochrone polygons drawn (best-ranked stations)")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args(argv)
    if not args.osm.exists():
        log(f"bench_stations: {args.osm} not found; nothing to time (skipped)")
        return 0
    from distributed import Client, LocalCluster

    from beichen_geo.analyses.stations import DEFAULT_BANDS_MIN, score_stations

    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    bands = DEFAULT_BANDS_MIN
    log(f"loading {args.osm.name} ...")
    study, std, residents, t_load = load(args.osm, bands)
    net = study.net.summary()
    log(f"  {net['nodes']:,} nodes, {net['edges']:,} edges, {len(study.demand):,} demand cells, "
        f"{len(study.facilities)} facilities; {t_load:.1f} s")
    out: dict[str, Any] = {
        "extract": str(args.osm), "network": net, "demand_cells": int(len(study.demand)),
        "facilities": int(len(study.facilities)), "load_s": round(t_load, 2), "bands_min": list(bands),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
        "growth": [], "dask": {},
    }
    common = dict(bands_min=bands, residents=residents, progress=False)
    # warm-up (imports, first-call caches) so the first timed size is not penalised
    score_stations(study, std, stations=sample_stations(study, 10, seed=99), polygons=0, **common)
    local_big = None
    for n in sizes:
        st = sample_stations(study, n)
        r0, t0 = timed(score_stations, study, std, stations=st, polygons=0, **common)
        r1, t1 = timed(score_stations, study, std, stations=st, polygons=args.polygons, **common)
        row = {"stations": n, "on_network": r0.summary["stations_on_network"], "score_only_s": round(t0, 2),
               "score_only_ms_per_station": round(1000 * t0 / n, 2), f"with_{args.polygons}_polygons_s": round(t1, 2)}
        out["growth"].append(row)
        log(f"  local {n:>5} stations: scoring {t0:6.2f} s ({1000 * t0 / n:.2f} ms/station); "
            f"with {args.polygons} polygons {t1:6.2f} s")
        if n == max(sizes):
            local_big, t_local = r1, t1
    if len(sizes) >= 2:
        import numpy as np

        x = np.array([g["stations"] for g in out["growth"]], float)
        y = np.array([g["score_only_s"] for g in out["growth"]], float)
        slope, icpt = np.polyfit(x, y, 1)
        out["linear_fit_score_only"] = {"s_per_1000_stations": round(1000 * slope, 3), "fixed_s": round(icpt, 3),
                                        "max_rel_residual": round(float(np.max(np.abs(y - (slope * x + icpt)) / y)), 3)}
    n = max(sizes)
    st = sample_stations(study, n)
    log(f"  dask: workers={args.workers} (a LocalCluster started and closed by the run) ...")
    rw, tw = timed(score_stations, study, std, stations=st, polygons=args.polygons, workers=args.workers, **common)
    out["dask"][f"workers_{args.workers}"] = {"stations": n, "seconds": round(tw, 2),
                                              "identical_to_local": identical(rw, local_big)}
    log(f"    {tw:.2f} s, identical to local: {out['dask'][f'workers_{args.workers}']['identical_to_local']}")
    t = time.perf_counter()
    cluster = LocalCluster(n_workers=args.workers, processes=True, threads_per_worker=1, dashboard_address=":0")
    client = Client(cluster)
    t_start = time.perf_counter() - t
    try:
        client.run(lambda: __import__("beichen_geo.analyses.stations"))  # warm the workers' imports
        rs, ts = timed(score_stations, study, std, stations=st, polygons=args.polygons,
                       scheduler=cluster.scheduler_address, **common)
    finally:
        client.close()
        cluster.close()
    out["dask"]["running_cluster"] = {"stations": n, "seconds": round(ts, 2), "cluster_start_s": round(t_start, 2),
                                      "identical_to_local": identical(rs, local_big)}
    out["local"] = {"stations": n, "seconds": round(t_local, 2), "polygons": args.polygons}
    log(f"    on a running {args.workers}-worker cluster: {ts:.2f} s (cluster start {t_start:.1f} s), "
        f"identical to local: {out['dask']['running_cluster']['identical_to_local']}")
    log(f"1,000-station summary: local {t_local:.1f} s; dask workers={args.workers} {tw:.1f} s "
        f"(incl. start-up); running cluster {ts:.1f} s")
    text = json.dumps(out, indent=2)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
