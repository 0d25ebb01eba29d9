"""Latency of the what-if workbench's edits: add / move / remove one facility (issue 18).

Two networks:

- the Liechtenstein extract (``../shared/data/raw/valhalla/liechtenstein-latest.osm.pbf``),
  loaded as ``beichen-geo serve`` loads it (the study, estimated residents), S-H-01 (clinics
  within 15 min) and S-PG-01 (parks within 500 m), each with at least 25 facilities (the
  extract maps 0 clinics and 6 parks: the rest are placed first, untimed), every click within
  40 m of a residential demand cell; timed through :class:`beichen_geo.serve.Workbench` (the server's code path without
  HTTP: snap the clicked point, the incremental search, the figures the API returns) and the
  engine alone (:class:`geo.whatif.CoverageState`);
- the 1M-node synthetic network (``scripts/synthetic.py``), 500,000 demand points near its
  streets, 1,000 facilities within 15 min: the engine alone, plus the figures (covered shares
  over all points).

Each edit is timed with wall clock and CPU time (``time.process_time``): the machine is shared,
so the CPU time says what the edit costs and the wall time what a user waited. The load average
is printed before and after.

Usage::

    python scripts/bench_whatif.py                    # both networks (~3 min)
    python scripts/bench_whatif.py --only li --edits 60
    python scripts/bench_whatif.py --json bench-output/whatif.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LI = ROOT.parent / "shared" / "data" / "raw" / "valhalla" / "liechtenstein-latest.osm.pbf"


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def _stats(rows: list[tuple[str, float, float]]) -> dict[str, dict[str, float]]:
    out = {}
    for op in ("add", "move", "remove"):
        wall = np.array([w for o, w, _ in rows if o == op]) * 1000
        cpu = np.array([c for o, _, c in rows if o == op]) * 1000
        if len(wall):
            out[op] = {"n": len(wall), "median_ms": float(np.median(wall)), "worst_ms": float(wall.max()),
                       "p90_ms": float(np.percentile(wall, 90)), "cpu_median_ms": float(np.median(cpu)),
                       "cpu_worst_ms": float(cpu.max())}
    return out


def _ops(rng: np.random.Generator, n: int) -> list[str]:
    """A fixed mix: a third of each, shuffled (removes and moves pick an open facility)."""
    ops = (["add", "move", "remove"] * (n // 3 + 1))[:n]
    rng.shuffle(ops)
    return ops


def bench_liechtenstein(n_edits: int, seed: int) -> list[dict]:
    from beichen_geo.population import residents_for
    from beichen_geo.serve.workbench import Workbench
    from beichen_geo.standards import load_standards
    from beichen_geo.study import load_study
    from geo.whatif import CoverageState

    t = time.perf_counter()
    standards = load_standards()
    study = load_study(osm=LI, kinds=standards.kind_filters(), speed_kmh=4.0, reach_m=2000.0)
    residents = residents_for(study, standards.population)
    wb = Workbench(study, standards, residents, max_minutes=30.0)
    load_s = time.perf_counter() - t
    rng = np.random.default_rng(seed)
    # clicks where people live: demand cells' points (the extract's residential land), in WGS84
    import geopandas as gpd

    from geo.projection import WEB_CRS

    cell_xy = np.column_stack([study.demand["point"].x.to_numpy(), study.demand["point"].y.to_numpy()])
    cells_ll = gpd.GeoSeries(study.demand["point"], crs=study.crs).to_crs(WEB_CRS)
    nodes_lonlat = np.column_stack([cells_ll.x.to_numpy(), cells_ll.y.to_numpy()])
    out = []
    for choice in ("S-H-01", "S-PG-01"):
        c = next(c for c in wb.choices if c["id"] == choice)
        kind, minutes = c["kind"], c["minutes"]
        name = f"bench {choice}"
        sc = wb.create_scenario(name, kind=kind, minutes=minutes)
        existing = len(sc.facilities)
        seeded = 0
        while len(sc.facilities) < 25:  # the extract maps few or none: place some first (not timed)
            lon, lat = nodes_lonlat[rng.integers(len(nodes_lonlat))]
            wb.edit(name, {"op": "add", "at": [float(lon), float(lat)]})
            seeded += 1
        rows_wb: list[tuple[str, float, float]] = []
        for op in _ops(rng, n_edits):
            open_ids = sorted(wb.scenario(name).facilities)
            lon, lat = nodes_lonlat[rng.integers(len(nodes_lonlat))]
            if op == "add" or not open_ids:
                edit = {"op": "add", "at": [float(lon), float(lat)]}
            elif op == "move":
                edit = {"op": "move", "id": int(rng.choice(open_ids)), "to": [float(lon), float(lat)]}
            else:
                edit = {"op": "remove", "id": int(rng.choice(open_ids))}
            w, cpu = _timed(lambda e=edit, n=name: wb.edit(n, e))
            rows_wb.append((edit["op"], w, cpu))
        # the same through the API (in-process ASGI: routing, validation, JSON in and out; no socket)
        from fastapi.testclient import TestClient

        from beichen_geo.serve import create_app

        client = TestClient(create_app(wb), base_url="http://127.0.0.1")
        rows_http: list[tuple[str, float, float]] = []
        for op in _ops(rng, n_edits):
            open_ids = sorted(wb.scenario(name).facilities)
            lon, lat = nodes_lonlat[rng.integers(len(nodes_lonlat))]
            body: dict = {"op": "add", "at": [float(lon), float(lat)]}
            if op == "move" and open_ids:
                body = {"op": "move", "id": int(rng.choice(open_ids)), "to": [float(lon), float(lat)]}
            elif op == "remove" and open_ids:
                body = {"op": "remove", "id": int(rng.choice(open_ids))}

            def post(b: dict = body, n: str = name) -> None:
                r = client.post(f"/api/scenarios/{n}/edits", json=b)
                assert r.status_code == 200, r.text

            w, cpu = _timed(post)
            rows_http.append((body["op"], w, cpu))
        # the engine alone, the same kind of edits on the study's snaps
        acc = study.snapped_facilities(kind)
        state = CoverageState(study.engine, study.demand_snap, acc, cutoff_min=minutes,
                              weights={"area_m2": study.demand["area_m2"].to_numpy()})
        for _ in range(max(0, 25 - acc.n_features)):
            state.add(_snap_random(study.net, rng, cell_xy, max_snap_m=study.max_snap_m))
        rows_eng = _engine_edits(state, study.net, rng, n_edits, cell_xy, max_snap_m=study.max_snap_m)
        out.append({"network": "liechtenstein-latest", "nodes": len(study.net.nodes),
                    "demand_cells": len(study.demand), "standard": choice, "kind": kind, "minutes": minutes,
                    "facilities_in_data": existing, "facilities_seeded": seeded,
                    "access_points": len(acc.points), "load_s": round(load_s, 1),
                    "http": _stats(rows_http), "workbench": _stats(rows_wb), "engine": _stats(rows_eng)})
    return out


def _snap_random(net, rng: np.random.Generator, xy: np.ndarray, *, max_snap_m: float = 150.0):
    """One of ``xy`` (metres, n x 2) moved by up to 40 m, snapped."""
    import geopandas as gpd

    from geo.snapping import snap_points

    x, y = xy[rng.integers(len(xy))] + rng.uniform(-40, 40, 2)
    g = gpd.GeoDataFrame(geometry=gpd.points_from_xy([x], [y]), crs=net.crs)
    return snap_points(net, g, max_snap_m=max_snap_m, warn=False)


def _engine_edits(state, net, rng: np.random.Generator, n_edits: int, xy: np.ndarray, *, max_snap_m: float = 150.0
                  ) -> list[tuple[str, float, float]]:
    rows = []
    for op in _ops(rng, n_edits):
        ids = state.open_ids
        if op == "add" or not ids:
            w, c = _timed(lambda: state.add(_snap_random(net, rng, xy, max_snap_m=max_snap_m)))
        elif op == "move":
            fid = int(rng.choice(ids))
            w, c = _timed(lambda f=fid: state.move(f, _snap_random(net, rng, xy, max_snap_m=max_snap_m)))
        else:
            fid = int(rng.choice(ids))
            w, c = _timed(lambda f=fid: state.remove(f))
        rows.append((op, w, c))
    return rows


def bench_synthetic(n_nodes: int, n_edits: int, seed: int, *, n_demand: int = 500_000, n_fac: int = 1000) -> dict:
    import geopandas as gpd

    from geo.demand import share
    from geo.engine import TravelTimeEngine
    from geo.snapping import snap_points
    from geo.whatif import CoverageState
    from scripts.synthetic import random_facilities, synthetic_network

    t = time.perf_counter()
    net = synthetic_network(n_nodes, seed=seed, speed_kmh=4.0)
    eng = TravelTimeEngine(net)
    rng = np.random.default_rng(seed)
    xy = net.nodes.geometry.to_numpy()
    pick = xy[rng.integers(len(xy), size=n_demand)]
    dem = gpd.GeoDataFrame(geometry=gpd.points_from_xy([p.x for p in pick] + rng.uniform(-40, 40, n_demand),
                                                       [p.y for p in pick] + rng.uniform(-40, 40, n_demand)),
                           crs=net.crs)
    ds = snap_points(net, dem, warn=False)
    fac = random_facilities(net, {"clinic": n_fac}, seed=seed + 1)
    fs = snap_points(net, fac, warn=False)
    area = rng.uniform(500, 2500, n_demand)
    setup_s = time.perf_counter() - t
    t = time.perf_counter()
    state = CoverageState(eng, ds, fs, cutoff_min=15.0, weights={"area_m2": area})
    start_s = time.perf_counter() - t
    import shapely

    node_xy = np.column_stack([shapely.get_x(xy), shapely.get_y(xy)])
    rows = _engine_edits(state, net, rng, n_edits, node_xy)
    # the figures of every answer: covered shares over all points
    fig = [_timed(lambda: share(area, state.covered))[0] for _ in range(5)]
    return {"network": f"synthetic {n_nodes:,}", "nodes": n_nodes, "demand_cells": n_demand, "facilities": n_fac,
            "kind": "clinic", "minutes": 15.0, "setup_s": round(setup_s, 1), "start_state_s": round(start_s, 2),
            "engine": _stats(rows), "figures_median_ms": float(np.median(fig) * 1000),
            "covered_share_land": share(area, state.covered)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", choices=["li", "synthetic"], help="one network only")
    ap.add_argument("--edits", type=int, default=90, help="edits per network (a third each of add, move, remove)")
    ap.add_argument("--nodes", type=int, default=1_000_000, help="synthetic network size")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args(argv)
    out: dict = {"date_utc": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "nproc": os.cpu_count(),
                 "load_before": os.getloadavg(), "runs": []}
    if args.only in (None, "li"):
        if LI.exists():
            out["runs"].extend(bench_liechtenstein(args.edits, args.seed))
        else:
            print(f"skipping Liechtenstein: {LI} not found", file=sys.stderr)
    if args.only in (None, "synthetic"):
        out["runs"].append(bench_synthetic(args.nodes, args.edits, args.seed))
    out["load_after"] = os.getloadavg()
    print(json.dumps(out, indent=1))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
