"""Peak memory and time of ``clinics`` (S-H-01) with many centres (issue 11, part 5).

The analysis runs in a CHILD process (``python scripts/bench_clinics_memory.py --child``):
it loads the Liechtenstein extract (``../shared/data/raw/valhalla/liechtenstein-latest.osm.pbf``,
about 54k walk nodes) the way ``beichen-geo clinics --osm FILE`` does, replaces the centres'
kind with N random points inside the study area (seed 0; a planner's file replacing a kind,
as in ``--facilities clinic=FILE``), estimates residents from buildings, and times
:func:`beichen_geo.analyses.clinics.clinics_per_community` alone. The parent reads the child's peak
resident set (``ru_maxrss`` of its only child, ``RUSAGE_CHILDREN``; it includes loading the study, reported apart as
``load_rss_mb``) and prints one JSON object with ``centres``, ``peak_rss_mb``, ``seconds``.

The child's memory is capped so a run of unbounded code cannot take the machine down: its
address space is limited (``--max-gb``, RLIMIT_AS) and a watchdog kills it when its resident
set passes the same number of GB. A capped run prints ``"peak_rss_mb": "> <cap> MB"``,
``"completed": false`` and the reason.

When the extract is absent the network comes from ``scripts/synthetic.py`` instead (the
JSON's ``network`` says which).

Usage::

    python scripts/bench_clinics_memory.py                      # 100,000 centres, this checkout
    PYTHONPATH=/path/to/other/checkout python scripts/bench_clinics_memory.py --max-gb 10
    python scripts/bench_clinics_memory.py --centres 1000 --chunk 256
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PBF = Path(os.environ.get("BEICHEN_SHARED", ROOT.parent / "shared")) / "data" / "raw" / "valhalla" / "liechtenstein-latest.osm.pbf"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


def _study(pbf: Path, std: Any) -> tuple[Any, str]:
    from beichen_geo.cli.pipeline import largest_minutes as _largest_minutes
    from beichen_geo.study import load_study

    reach_m = std.travel.distance_m(_largest_minutes(std))
    if pbf.exists():
        study = load_study(osm=pbf, kinds=std.kind_filters(), speed_kmh=std.travel.speed_kmh("walk"),
                           reach_m=reach_m, max_snap_m=float(std.travel.max_snap_m.value))
        return study, str(pbf)
    sys.path.insert(0, str(ROOT / "scripts"))
    import geopandas as gpd
    import shapely
    from synthetic import synthetic_network  # type: ignore[import-not-found]

    from beichen_geo.study import study_from_frames

    net = synthetic_network(54_000, seed=0)
    hull = shapely.convex_hull(shapely.union_all(net.nodes.geometry.to_numpy()))
    res = gpd.GeoDataFrame({"res_source": ["synthetic"]}, geometry=[hull.buffer(-200)], crs=net.crs)
    fac = gpd.GeoDataFrame({"kind": [], "name": []}, geometry=[], crs=net.crs)
    study = study_from_frames(net, fac, res, reach_m=reach_m, max_snap_m=float(std.travel.max_snap_m.value),
                              source="synthetic")
    return study, "scripts/synthetic.py (extract absent)"


def random_centres(study: Any, n: int, kind: str, *, seed: int = 0) -> Any:
    """``n`` uniform random points inside the study area (rejection sampling in its bounds)."""
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    x0, y0, x1, y1 = shapely.bounds(study.area)
    shapely.prepare(study.area)
    got: list[np.ndarray] = []
    have = 0
    while have < n:
        xy = np.column_stack([rng.uniform(x0, x1, 2 * n), rng.uniform(y0, y1, 2 * n)])
        xy = xy[shapely.contains_xy(study.area, xy[:, 0], xy[:, 1])]
        got.append(xy)
        have += len(xy)
    xy = np.concatenate(got)[:n]
    return gpd.GeoDataFrame({"name": [f"centre {i + 1}" for i in range(n)], "kind": kind},
                            geometry=shapely.points(xy), crs=study.crs)


def child(args: argparse.Namespace) -> int:
    import dataclasses

    import geopandas as gpd
    import pandas as pd

    import beichen_geo.analyses.clinics as clinics
    from beichen_geo.population import estimate_residents
    from beichen_geo.standards import load_standards

    std = load_standards()
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study, network = _study(args.osm, std)
        kind = std.clinics.kind
        fac = study.facilities
        cen = random_centres(study, args.centres, kind, seed=args.seed)
        fac = gpd.GeoDataFrame(pd.concat([fac.loc[fac["kind"] != kind], cen], ignore_index=True),
                               geometry="geometry", crs=study.crs)
        study = dataclasses.replace(study, facilities=fac, _cache={})
        residents = estimate_residents(study, std.population)
    load_s = time.perf_counter() - t
    load_rss = _rss_mb()
    kw: dict[str, Any] = {}
    if args.chunk is not None:
        kw["chunk_centres"] = args.chunk
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = clinics.clinics_per_community(study, std, residents=residents, **kw)
    seconds = time.perf_counter() - t
    s = res.summary
    print(json.dumps({
        "code": str(Path(clinics.__file__).resolve().parents[2]),
        "network": network, "nodes": int(len(study.net.nodes)), "demand_cells": int(len(study.demand)),
        "load_seconds": round(load_s, 2), "load_rss_mb": round(load_rss, 1), "seconds": round(seconds, 2),
        "centres_off_network": s["centres_off_network"],
        "share_residents_within_15min": s["share_residents_within_15min"],
        "reachable_residents_sum": float(res.tables["centres"]["reachable_residents"].sum()),
        "centres_reachable": int(res.tables["units"]["centres_reachable"].sum()),
    }), flush=True)
    return 0


def parent(args: argparse.Namespace) -> int:
    import psutil

    cap = int(args.max_gb * 2**30)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--centres", str(args.centres),
           "--seed", str(args.seed), "--osm", str(args.osm)]
    if args.chunk is not None:
        cmd += ["--chunk", str(args.chunk)]

    def limit() -> None:  # in the child, before exec
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=limit)
    killed = threading.Event()

    def watchdog() -> None:
        p = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                if p.memory_info().rss > cap:
                    killed.set()
                    proc.kill()
                    return
            except psutil.NoSuchProcess:
                return
            time.sleep(0.2)

    threading.Thread(target=watchdog, daemon=True).start()
    out_text, err_text = proc.communicate()  # drains the pipes and reaps the child
    wall = time.perf_counter() - t
    # the only child this process ever had: its ru_maxrss (KiB on Linux)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    out: dict[str, Any] = {"centres": args.centres, "chunk_centres": args.chunk, "cap_mb": round(cap / 2**20)}
    child_json = None
    for line in reversed(out_text.splitlines()):
        if line.startswith("{"):
            child_json = json.loads(line)
            break
    if proc.returncode == 0 and child_json is not None:
        out.update({"completed": True, "peak_rss_mb": round(peak, 1), "seconds": child_json.pop("seconds"), **child_json})
    else:
        why = "killed by the watchdog above the cap" if killed.is_set() else (
            "MemoryError under the address-space cap" if "MemoryError" in err_text else
            f"exit code {proc.returncode}: {err_text.strip().splitlines()[-1] if err_text.strip() else ''}")
        out.update({"completed": False, "peak_rss_mb": f"> {round(peak)} MB (capped at {round(cap / 2**20)} MB)",
                    "seconds": f"> {wall:.1f} (stopped)", "reason": why})
    print(json.dumps(out, indent=2))
    return 0 if out["completed"] else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--centres", type=int, default=100_000, help="random centres inside the study area")
    ap.add_argument("--osm", type=Path, default=DEFAULT_PBF, help="OSM extract (default: Liechtenstein in ../shared)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--chunk", type=int, help="chunk_centres passed to clinics_per_community (new code only)")
    ap.add_argument("--max-gb", type=float, default=10.0, help="memory cap of the child, GB (default 10)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
