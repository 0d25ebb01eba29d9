"""Time the maps of every analysis: the web page and the print map (PNG, PDF, SVG), and their sizes.

Runs ``beichen-geo demo`` (or ``gaps``...) offline and, for each analysis, times
``make_map`` (the builder with its street context), ``to_html`` and ``save_print`` in each
format, best of ``--repeat`` runs. Usage::

    python scripts/bench_print.py                          # the demo on the embedded sample
    python scripts/bench_print.py --osm ../shared/data/raw/valhalla/liechtenstein-latest.osm.pbf
    python scripts/bench_print.py -- gaps --kind clinic     # another command (after --)

Prints a Markdown table (seconds and bytes per analysis); BENCHMARKS.md keeps the results.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a file: make the repo's packages importable
    sys.path.insert(0, str(ROOT))


def _best(fn: Any, repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--osm", help="OSM file (default: the embedded sample)")
    ap.add_argument("--repeat", type=int, default=2, help="runs per measurement, best kept (default 2)")
    ap.add_argument("--lang", default="en", choices=["en", "zh"])
    ap.add_argument("command", nargs="*", help="command and its options (default: demo --quick)")
    a = ap.parse_args(argv)

    import beichen_geo.result as result_mod
    from beichen_geo.cli import run

    rows: list[dict[str, Any]] = []
    real = result_mod.write_result

    def timed(res: Any, out: Path, **kw: Any) -> Any:
        lang, basemap = kw.get("lang", "en"), kw.get("basemap", "positron")
        t_build, mb = _best(lambda: res.make_map(lang=lang, basemap=basemap), a.repeat)
        t_html, page = _best(lambda: mb.to_html(), a.repeat)
        row = {"analysis": res.name, "make_map_s": t_build, "to_html_s": t_html, "html_bytes": len(page.encode())}
        for fmt in ("png", "pdf", "svg"):
            path = Path(out) / f"_bench.{fmt}"
            t, _ = _best(lambda fmt=fmt, path=path: mb.save_print(path, fmt=fmt), a.repeat)
            row[f"{fmt}_s"] = t
            row[f"{fmt}_bytes"] = path.stat().st_size
            path.unlink()
        rows.append(row)
        return real(res, out, **{**kw, "print_format": None})

    cmd = a.command or ["demo", "--quick"]
    with tempfile.TemporaryDirectory() as tmp:
        argv2 = [*cmd, "--out", str(Path(tmp) / "out"), "--quiet", "--lang", a.lang]
        if a.osm:
            argv2 += ["--osm", a.osm]
        result_mod.write_result = timed
        try:
            t0 = time.perf_counter()
            run(argv2)
            total = time.perf_counter() - t0
        finally:
            result_mod.write_result = real
    print(f"| analysis | make_map s | to_html s | HTML kB | PNG s | PNG kB | PDF s | PDF kB | SVG s | SVG kB |  "
          f"({' '.join(cmd)}{' --osm ' + Path(a.osm).name if a.osm else ''}, --lang {a.lang}; "
          f"whole run {total:.1f} s incl. the timings)")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['analysis']} | {r['make_map_s']:.2f} | {r['to_html_s']:.2f} | {r['html_bytes'] / 1e3:.0f} | "
              f"{r['png_s']:.2f} | {r['png_bytes'] / 1e3:.0f} | {r['pdf_s']:.2f} | {r['pdf_bytes'] / 1e3:.0f} | "
              f"{r['svg_s']:.2f} | {r['svg_bytes'] / 1e3:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
