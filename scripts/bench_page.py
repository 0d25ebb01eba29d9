"""What a planner waits for in the workbench page: click / drag / remove until the figures are redrawn (issue 18).

Starts ``beichen-geo serve`` on the Liechtenstein extract
(``../shared/data/raw/valhalla/liechtenstein-latest.osm.pbf``; the embedded Helsinki sample
with ``--sample``) on 127.0.0.1, opens the page in headless Chromium (``/usr/bin/chromium`` or
``$CHROMIUM``, every request outside the server refused) and times, from the browser's side:

- the page load: from ``goto`` until the map, cells and today's figures are drawn;
- ``add``: a mouse click on the map near a residential demand cell until the shares and the
  per-unit table show the server's answer (``figures`` redrawn), and until the new facility's
  marker and isochrone are drawn too (the queue is empty);
- ``move``: a drag of that facility's marker to another such place, the same two moments;
- ``remove``: the click on *Remove* in its popup until the figures are redrawn.

Times are wall clock (the machine is shared: the load average is printed) and include the
HTTP round trips, the server's work, JSON parsing and Leaflet's redrawing of the changed cells.

Usage::

    python scripts/bench_page.py                 # Liechtenstein, 12 rounds (~2 min)
    python scripts/bench_page.py --sample --rounds 20
    python scripts/bench_page.py --json bench-output/page.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
LI = ROOT.parent / "shared" / "data" / "raw" / "valhalla" / "liechtenstein-latest.osm.pbf"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def _serve(extra: list[str]) -> tuple[subprocess.Popen[str], str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "beichen_geo.cli", "serve", "--port", "0", "--quiet", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "serving at " in line:
            return proc, line.split("serving at ", 1)[1].strip(), time.perf_counter() - t
    raise SystemExit(f"serve exited with {proc.wait()}")


def _stats(ms: list[float]) -> dict[str, float]:
    a = np.asarray(ms)
    return {"n": len(a), "median_ms": round(float(np.median(a)), 1), "p90_ms": round(float(np.percentile(a, 90)), 1),
            "worst_ms": round(float(a.max()), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", action="store_true", help="the embedded Helsinki sample instead of Liechtenstein")
    ap.add_argument("--rounds", type=int, default=12, help="add + move + remove rounds (default 12)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--json", type=Path, help="also write the numbers here")
    args = ap.parse_args()
    if not args.sample and not LI.exists():
        raise SystemExit(f"needs {LI} (or --sample)")
    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    proc, url, serve_s = _serve([] if args.sample else ["--osm", str(LI)])
    rng = np.random.default_rng(args.seed)
    res: dict[str, list[float]] = {k: [] for k in ("add_figures", "add_all", "move_figures", "move_all", "remove")}
    try:
        import httpx

        with httpx.Client(base_url=url, timeout=120) as api:
            cells = api.get("/api/cells", params={"kind": "clinic", "minutes": 15}).json()["features"]
        import shapely
        from shapely.geometry import shape

        pts = [shapely.point_on_surface(shape(f["geometry"])) for f in cells if f["properties"]["on_network"]]
        with sync_playwright() as pw:
            b = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            ctx = b.new_context(viewport={"width": 1400, "height": 900})
            ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
            page = ctx.new_page()
            if os.environ.get("BENCH_PAGE_DEBUG"):  # every request and console line of the page
                page.on("request", lambda r: print(r.method, r.url[len(url):], r.post_data, file=sys.stderr))
                page.on("console", lambda m: print("console:", m.text, file=sys.stderr))
            t = time.perf_counter()
            page.goto(url)
            page.wait_for_function("document.body.dataset.ready === '1' && document.body.dataset.pending === '0'",
                                   timeout=300_000)
            load_s = time.perf_counter() - t

            def xy(p: Any) -> tuple[float, float]:
                return tuple(page.evaluate("""([lon, lat]) => { const m = window.workbench.map;
                    const q = m.latLngToContainerPoint([lat, lon]); const r = m.getContainer().getBoundingClientRect();
                    return [r.left + q.x, r.top + q.y]; }""", [p.x, p.y]))

            def version() -> int:
                return int(page.evaluate("+document.getElementById('figures').dataset.version"))

            def wait(v: int) -> float:
                """When the figures are redrawn after version ``v`` (or the edit is refused: then inf)."""
                page.wait_for_function(f"+document.getElementById('figures').dataset.version > {v} || "
                                       "document.getElementById('message').classList.contains('error')",
                                       timeout=120_000, polling="raf")
                t = time.perf_counter()
                if version() <= v:
                    print("refused:", page.text_content("#message"), file=sys.stderr)
                    page.evaluate("document.getElementById('message').classList.remove('error')")
                    return float("inf")
                return t

            def idle() -> float:
                page.wait_for_function("document.body.dataset.pending === '0'", timeout=120_000, polling="raf")
                return time.perf_counter()

            def marker_points() -> set[int]:
                return set(page.evaluate("[...window.workbench.state.markers.keys()]"))

            for _ in range(args.rounds):
                a, c = (pts[i] for i in rng.choice(len(pts), 2, replace=False))
                before = marker_points()
                v = version()
                x, y = xy(a)
                t = time.perf_counter()
                page.mouse.click(x, y)
                t_fig = wait(v)
                if t_fig == float("inf"):
                    idle()
                    continue
                res["add_figures"].append((t_fig - t) * 1000)
                res["add_all"].append((idle() - t) * 1000)
                new = sorted(marker_points() - before)
                if not new:  # the click fell on a marker: nothing added
                    continue
                fid = new[0]
                box = page.locator(f".leaflet-marker-icon[data-facility='{fid}']").bounding_box()
                x0, y0 = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
                x1, y1 = xy(c)
                page.mouse.move(x0, y0)
                page.mouse.down()
                page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=3)
                page.mouse.move(x1, y1, steps=3)
                v = version()
                t = time.perf_counter()
                page.mouse.up()
                t_fig = wait(v)
                if t_fig != float("inf"):
                    res["move_figures"].append((t_fig - t) * 1000)
                    res["move_all"].append((idle() - t) * 1000)
                idle()
                page.locator(f".leaflet-marker-icon[data-facility='{fid}']").click()
                button = page.locator(f".wb-popup[data-facility='{fid}'] .wb-remove")
                button.wait_for()
                v = version()
                t = time.perf_counter()
                button.click()
                res["remove"].append((wait(v) - t) * 1000)
                idle()
            info = page.evaluate("({cells: window.workbench.state.cellLayers.size})")
            b.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    out = {"data": "Helsinki sample" if args.sample else LI.name, "cells": info["cells"],
           "serve_start_s": round(serve_s, 1), "page_load_s": round(load_s, 2),
           "load_average_before": [round(v, 1) for v in load_before],
           "load_average_after": [round(v, 1) for v in os.getloadavg()],
           "ops": {k: _stats(v) for k, v in res.items() if v}}
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
