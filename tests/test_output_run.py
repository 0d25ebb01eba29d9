"""An output folder holds exactly one whole run, written all-or-nothing (real processes, signals, mounts).

Every run uses the embedded Helsinki sample (offline) and the quickest analysis, ``parks``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from beichen_geo.cli import main
from beichen_geo.outdir import HOLD_ENV, MANIFEST, RunFolder
from geo.errors import InputError

CLI = [sys.executable, "-m", "beichen_geo.cli"]


def _env(**extra: str) -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[1])
    return {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]), **extra}


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones included) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_one_whole_run(out: Path) -> dict:
    """The folder holds exactly the files of one run: those its manifest lists, unchanged,
    each JSON summary carrying the manifest's run id and listing files that are present."""
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    present = {p.name for p in out.iterdir()} - {MANIFEST}
    assert present == set(manifest["files"])
    for name, meta in manifest["files"].items():
        data = (out / name).read_bytes()
        assert len(data) == meta["bytes"] and hashlib.sha256(data).hexdigest() == meta["sha256"], name
    covered = set()
    for j in (p for p in out.glob("*.json") if not p.name.startswith(".")):
        summary = json.loads(j.read_text(encoding="utf-8"))
        assert summary["run_id"] == manifest["run_id"], j.name
        assert set(summary["outputs"].values()) <= present, j.name
        covered |= {j.name, *summary["outputs"].values()}
    assert covered == {n for n in present if not n.startswith(".")}
    return manifest


def _read_until(proc: subprocess.Popen, text: str, timeout: float = 120) -> str:
    deadline, seen = time.time() + timeout, ""
    while time.time() < deadline:  # char by char: a step line ends only when the step does
        ch = proc.stderr.read(1)
        seen += ch
        if seen.endswith(text) or not ch:
            break
    return seen


@pytest.fixture
def earlier(tmp_path) -> Path:
    """An earlier, complete parks run in tmp_path/o."""
    out = tmp_path / "o"
    assert main(["parks", "--out", str(out), "--quiet"]) == 0
    return out


@contextlib.contextmanager
def _tmpfs(where: Path, options: str):
    where.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.mark.slow
# ----------------------------------------------------------------------------- concurrency
def test_two_concurrent_runs_one_wins_the_other_names_the_lock(earlier, tmp_path):
    before = _assert_one_whole_run(earlier)
    earlier.chmod(0o750)  # the swapped-in folder keeps the folder's mode
    hold = tmp_path / "hold"  # the winner waits before its swap until the loser has been refused
    hold.write_text("")
    argv = CLI + ["parks", "--out", str(earlier), "--overwrite", "--quiet"]
    procs = [subprocess.Popen(argv, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                              env=_env(**{HOLD_ENV: str(hold)})) for _ in range(2)]
    try:
        deadline = time.time() + 120
        while all(p.poll() is None for p in procs) and time.time() < deadline:
            time.sleep(0.05)
        loser = next(p for p in procs if p.poll() is not None)
        winner = next(p for p in procs if p is not loser)
        err = loser.communicate(timeout=10)[1]
        assert loser.returncode == 2, err
        assert f"being written by another beichen-geo run (pid {winner.pid};" in err
        assert err.startswith("beichen-geo: error:") and len(err.strip().splitlines()) == 1
        assert _assert_one_whole_run(earlier) == before  # nothing swapped yet
    finally:
        hold.unlink()
    err = winner.communicate(timeout=120)[1]
    assert winner.returncode == 0, err
    after = _assert_one_whole_run(earlier)
    assert after["pid"] == winner.pid and after["run_id"] != before["run_id"]
    assert earlier.stat().st_mode & 0o7777 == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]  # no lock, staging or old folder left


@pytest.mark.slow
# ----------------------------------------------------------------------------- signals
@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_while_writing_over_an_earlier_run_keeps_it_byte_for_byte(earlier, tmp_path, sig, code):
    before = _snapshot(earlier)
    hold = tmp_path / "hold"  # the swap cannot come before the signal, however fast the machine
    hold.write_text("")
    proc = subprocess.Popen(CLI + ["parks", "--out", str(earlier), "--overwrite"], stderr=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, text=True, env=_env(**{HOLD_ENV: str(hold)}))
    seen = _read_until(proc, "Writing parks outputs ...")
    assert seen.endswith("Writing parks outputs ..."), seen
    staging = [p.name for p in tmp_path.iterdir() if p.name.startswith(".o.staging-")]
    assert len(staging) == 1  # the run writes beside --out, not into it
    time.sleep(0.05)
    proc.send_signal(sig)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == code, seen + rest
    name = signal.Signals(sig).name
    assert rest.strip().splitlines()[-1] == (
        f"beichen-geo: interrupted ({name}); '{earlier}' holds its earlier contents, untouched; "
        "nothing of this run was kept")
    assert "Traceback" not in rest
    assert _snapshot(earlier) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hold", "o"]


@pytest.mark.slow
# ----------------------------------------------------------------------------- disk and permissions
@pytest.mark.parametrize("with_earlier, size", [(False, "200k"), (True, "2000k")])  # one parks run: 1.4 MB
def test_full_disk_is_one_line_and_keeps_the_earlier_run(tmp_path, with_earlier, size):
    with _tmpfs(tmp_path / "small", f"size={size}") as small:
        out = small / "o"
        args = CLI + ["parks", "--out", str(out), "--quiet"]
        if with_earlier:
            r = subprocess.run(args, capture_output=True, text=True, env=_env())
            assert r.returncode == 0, r.stderr
        before = _snapshot(small)
        r = subprocess.run(args + ["--overwrite"], capture_output=True, text=True, env=_env())
        assert r.returncode == 2, r.stderr
        # one error line (warnings about the data, e.g. excluded OSM features, may precede it, and so may
        # pyrosm's "Reading X.osm.pbf took 00:02" when the read is slow, e.g. on a loaded machine)
        lines = [ln for ln in r.stderr.strip().splitlines()
                 if not ln.startswith("beichen-geo: warning:") and not re.fullmatch(r"Reading \S+ took [\d:]+", ln)]
        assert len(lines) == 1 and lines[0].startswith("beichen-geo: error: cannot write"), r.stderr
        assert "no space left on device" in lines[0].lower() and ".staging-" not in lines[0]
        assert _snapshot(small) == before
        assert sorted(p.name for p in small.iterdir()) == (["o"] if with_earlier else [])


def _assert_refused_before_work(r: subprocess.CompletedProcess, reason: str) -> None:
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("beichen-geo: error: cannot write to output folder"), r.stderr
    assert reason in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert "Reading study area" not in r.stderr and "Loading" not in r.stderr  # no progress line at all


def test_read_only_parent_is_refused_before_any_work(tmp_path):
    with _tmpfs(tmp_path / "ro", "ro,size=1m") as ro:
        r = subprocess.run(CLI + ["parks", "--out", str(ro / "o")], capture_output=True, text=True, env=_env())
        _assert_refused_before_work(r, "Read-only file system")
        assert list(ro.iterdir()) == []


def test_immutable_out_is_refused_before_any_work(earlier, tmp_path):
    before = _snapshot(earlier)
    if subprocess.run(["chattr", "+i", str(earlier)], capture_output=True).returncode != 0:
        pytest.skip("chattr +i is not available here")
    try:
        r = subprocess.run(CLI + ["parks", "--out", str(earlier), "--overwrite"], capture_output=True,
                           text=True, env=_env())
    finally:
        subprocess.run(["chattr", "-i", str(earlier)], check=True)
    _assert_refused_before_work(r, "Operation not permitted")
    assert _snapshot(earlier) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


# ----------------------------------------------------------------------------- policy
def test_other_files_need_overwrite_and_are_kept(tmp_path, capsys):
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.docx").write_text("planner's notes")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref")
    assert main(["parks", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "beichen-geo did not write (notes.docx)" in err and "--overwrite" in err
    assert sorted(p.name for p in out.iterdir()) == [".git", "notes.docx"]
    assert main(["parks", "--out", str(out), "--quiet", "--overwrite"]) == 0
    first = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert set(first["files"]) == {"parks.gpkg", "parks.html", "parks.png", "parks.json", "parks_cells.csv"}
    # the next run replaces that run (and only it): the planner's files stay
    assert main(["clinics", "--out", str(out), "--quiet", "--overwrite"]) == 0
    second = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    names = {p.name for p in out.iterdir()}
    assert names == set(second["files"]) | {MANIFEST, "notes.docx", ".git"}
    assert not any(n.startswith("parks") for n in names) and "clinics.json" in names
    assert (out / "notes.docx").read_text() == "planner's notes" and (out / ".git" / "HEAD").read_text() == "ref"


def test_current_directory_as_out_is_committed_in_place(earlier, monkeypatch):
    monkeypatch.chdir(earlier)
    old = _assert_one_whole_run(earlier)
    assert main(["clinics", "--out", ".", "--quiet", "--overwrite"]) == 0
    assert Path.cwd().samefile(earlier)  # the folder we stand in was not renamed away
    new = _assert_one_whole_run(earlier)
    assert new["run_id"] != old["run_id"] and "clinics.json" in new["files"] and "parks.json" not in new["files"]
    assert sorted(p.name for p in earlier.parent.iterdir()) == ["o"]


def test_a_command_over_an_earlier_run_of_another_analysis_needs_overwrite(earlier, capsys):
    before = _snapshot(earlier)
    assert main(["clinics", "--out", str(earlier), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "holds an earlier beichen-geo parks run" in err and "--overwrite" in err
    assert _snapshot(earlier) == before


def test_leftovers_of_a_killed_run_are_cleaned_and_a_half_done_swap_is_undone(earlier, tmp_path, capsys):
    before = _snapshot(earlier)
    (tmp_path / ".o.staging-999999-deadbeef").mkdir()
    (tmp_path / ".o.staging-999999-deadbeef" / "parks.gpkg").write_bytes(b"half")
    (tmp_path / ".o.beichen-geo.lock").write_text("999999\n")  # the lock of a SIGKILLed run
    (earlier / ".beichen-geo.staging-999998-cafe").mkdir()
    # SIGKILL between the two renames of a swap: no --out, the earlier run aside
    earlier.rename(tmp_path / ".o.old-999999-deadbeef")
    assert main(["parks", "--out", str(earlier), "--quiet"]) == 2  # refused: the restored run is there
    assert "holds an earlier beichen-geo parks run" in capsys.readouterr().err
    assert _snapshot(earlier) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_inplace_commit_failure_moves_everything_back(tmp_path, monkeypatch):
    out = tmp_path / "o"
    out.mkdir()
    (out / "notes.txt").write_text("keep")
    (out / "parks.json").write_text("old parks")  # same name as a new file: set aside, then restored
    before = _snapshot(out)
    real_rename = os.rename
    calls = []

    def flaky(src, dst):
        calls.append((Path(src).name, Path(dst).parent.name))
        if Path(src).name == "parks_cells.csv" and Path(dst).parent == out:
            raise OSError(28, "No space left on device", str(dst))
        return real_rename(src, dst)

    with pytest.raises(InputError) as err:
        with RunFolder(out, command="parks", overwrite=True) as rf:
            for name in ("parks.json", "parks.gpkg", "parks_cells.csv"):
                (rf.staging / name).write_text("new " + name)
            monkeypatch.setattr(os, "rename", flaky)
            rf.commit()
    monkeypatch.setattr(os, "rename", real_rename)
    assert "No space left on device" in str(err.value) and "holds its earlier contents, untouched" in str(err.value)
    assert ("parks.gpkg", "o") in calls  # new files had been moved in before the failure
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]
