"""The JSON summaries of every analysis on the embedded sample, normalised for comparison.

``python tests/golden.py`` (re)writes ``tests/data/golden/*.json``; :mod:`test_golden` runs the
same commands and compares. The files were written once, on the commit before the
restructuring of issue 12, so that moving code cannot change a figure unnoticed. Regenerate
them only for a change that is meant to change results, and say so in its commit.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"

#: Commands whose summaries are compared (name -> CLI arguments after the subcommand).
COMMANDS: dict[str, list[str]] = {
    "demo": ["demo", "--lang", "en"],
    "gaps": ["gaps", "--kind", "clinic", "--n", "2", "--method", "exact"],
    "stations": ["stations", "--bands", "5,10"],
}

#: Keys whose values differ from run to run or machine to machine (times, ids, paths).
VOLATILE = {"timings_s", "run_id", "solve_time_s", "elapsed_s", "seconds"}


def normalise(obj: Any) -> Any:
    """Drop volatile keys, keep file names without folders, floats as they are."""
    if isinstance(obj, dict):
        return {k: normalise(v) for k, v in sorted(obj.items()) if k not in VOLATILE}
    if isinstance(obj, list):
        return [normalise(v) for v in obj]
    if isinstance(obj, str) and ("/" in obj or "\\" in obj) and obj.rstrip().endswith((".pbf", ".toml", ".osm")):
        return Path(obj).name
    return obj


def run_all(out_root: Path) -> dict[str, dict[str, Any]]:
    """Run every command into ``out_root`` and return {file stem: normalised summary}."""
    from beichen_geo.cli import run

    got: dict[str, dict[str, Any]] = {}
    for name, argv in COMMANDS.items():
        out = out_root / name
        run([*argv, "--out", str(out), "--quiet", "--no-self-contained"])
        for path in sorted(out.glob("*.json")):
            if path.name.startswith("."):
                continue
            got[f"{name}__{path.stem}"] = normalise(json.loads(path.read_text(encoding="utf-8")))
    return got


def diff(a: Any, b: Any, path: str = "", *, rel: float = 1e-9) -> list[str]:
    """Where two normalised summaries differ (floats within ``rel``)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: only in {'golden' if k in a else 'new'}" for k in sorted(set(a) ^ set(b))]
        for k in sorted(set(a) & set(b)):
            out += diff(a[k], b[k], f"{path}.{k}", rel=rel)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items in golden, {len(b)} now"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{path}[{i}]", rel=rel)]
    if isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        return [] if math.isclose(a, b, rel_tol=rel, abs_tol=1e-12) else [f"{path}: {a!r} -> {b!r}"]
    return [] if a == b else [f"{path}: {a!r} -> {b!r}"]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        summaries = run_all(Path(tmp))
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for old in GOLDEN.glob("*.json"):
        old.unlink()
    for stem, s in summaries.items():
        (GOLDEN / f"{stem}.json").write_text(json.dumps(s, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
                                             encoding="utf-8")
    print(f"wrote {len(summaries)} golden summaries to {GOLDEN}", file=sys.stderr)
