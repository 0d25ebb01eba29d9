"""An output folder holds exactly one whole run, written all-or-nothing.

The command line never writes into ``--out`` directly. A :class:`RunFolder`

1. takes a lock (``fcntl.flock`` on ``.<name>.beichen-geo.lock`` beside the folder), so a
   second run into the same folder stops at once with a message naming the other pid;
2. decides whether the folder may be replaced (see *Policy*) and probes that it can write
   where the staging folder goes -- all before any analysis work;
3. lets the run write every file (stub JSONs included) into a staging folder on the same file
   system, and
4. at :meth:`RunFolder.commit` writes a manifest ``.beichen-geo-run.json`` (run id, command,
   pid, every file with its size and SHA-256) and swaps the staging folder in, with SIGINT and
   SIGTERM blocked for the few renames it takes.

Any error or interruption before the swap removes the staging folder and leaves ``--out``
exactly as it was. Leftover staging folders of a run killed outright (SIGKILL, power loss)
are removed by the next run into the same folder: it holds the lock, so no other run can be
using them.

Policy
------
* A folder that does not exist, or is empty, is simply created by the swap.
* A folder holding an earlier run (its manifest lists every file) is *replaced as a whole*
  by the new run: ``--overwrite`` is needed, except that the demo replaces an earlier demo
  run without it. So a folder never holds files of two runs.
* Files this program did not write (no manifest lists them) are never deleted or moved.
  Hidden ones (``.git``, ``.DS_Store``) need nothing; visible ones need ``--overwrite``.
  With such files present the run is committed *in place*: the earlier run's files (per its
  manifest) and files of the names this run writes are moved into a hidden backup folder,
  the new files are moved in, then the backup is deleted; on any failure everything is moved
  back. The same in-place commit is used when the folder cannot be renamed: it is the current
  directory, a mount point or a symbolic link, or the folder beside it is not writable.
* A folder of an older beichen-geo without a manifest counts as other files, except that the
  demo treats a folder carrying its marker ``.beichen-geo-demo`` as its own (as before).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from geo.errors import GeoError, InputError
from geo.io import write_json, write_text

MANIFEST = ".beichen-geo-run.json"
DEMO_MARKER = ".beichen-geo-demo"
INPLACE_PREFIX = ".beichen-geo."  # staging/backup folders inside --out (in-place commit)
HOLD_ENV = "BEICHEN_GEO_TEST_HOLD_BEFORE_COMMIT"  # test hook: wait before the swap while this file exists
_SIGNALS = {signal.SIGINT, signal.SIGTERM}


def _listing(names: Iterable[str], k: int = 4) -> str:
    names = sorted(names)
    return ", ".join(names[:k]) + (f" and {len(names) - k} more" if len(names) > k else "")


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@contextlib.contextmanager
def _signals_blocked() -> Iterator[None]:
    """Hold SIGINT/SIGTERM until the block ends (they are delivered then, not lost)."""
    old = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def read_manifest(folder: str | os.PathLike) -> dict[str, Any] | None:
    """The manifest of the run in ``folder``, or None if there is none (or it is unreadable)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return None
    return data


class RunFolder:
    """Stage one run's outputs and swap them into ``out`` all-or-nothing.

    Use as a context manager; write into :attr:`staging`, then call :meth:`commit`. Leaving
    the block without a commit (an error, Ctrl-C, SIGTERM) discards the staging folder and
    leaves ``out`` untouched. See the module docstring for the overwrite policy.

    Parameters
    ----------
    out
        The output folder (``--out``).
    command
        The subcommand (``demo``, ``parks``, ...), recorded in the manifest.
    overwrite
        ``--overwrite``: allow replacing an earlier run or writing beside other files.
    """

    def __init__(self, out: str | os.PathLike, *, command: str, overwrite: bool) -> None:
        self.target = Path(os.path.abspath(Path(out).expanduser()))
        self.command = command
        self.overwrite = overwrite
        self.demo = command == "demo"
        self.run_id = uuid.uuid4().hex[:16]
        self.staging: Path | None = None
        self.committed = False
        self.existed = False
        self._lock_fd: int | None = None
        self._lock_path: Path | None = None
        self._inplace = False
        self._replace: set[str] = set()  # names in target that belong to the earlier run

    # ------------------------------------------------------------------ context manager
    def __enter__(self) -> RunFolder:
        try:
            self.open()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        staging = self.staging
        self.close()
        if isinstance(ev, GeoError) and staging is not None and ev.args and isinstance(ev.args[0], str):
            # name the real output folder, not the hidden staging one, and say what was kept
            msg = ev.args[0].replace(str(staging), str(self.target))
            ev.args = (f"{msg} {self.outcome()[0].upper()}{self.outcome()[1:]}.", *ev.args[1:])
        if isinstance(ev, KeyboardInterrupt):
            ev.outcome = self.outcome()  # type: ignore[attr-defined]

    def outcome(self) -> str:
        """What ``out`` holds now, in words (for the interruption and error messages)."""
        if self.committed:
            return f"the results of this run are complete in '{self.target}'"
        if self.existed:
            return f"'{self.target}' holds its earlier contents, untouched; nothing of this run was kept"
        return f"nothing was written ('{self.target}' was not created)"

    # ------------------------------------------------------------------ open
    def open(self) -> Path:
        """Lock, check the overwrite policy and create the staging folder; return it."""
        t = self.target
        if t.exists() and not t.is_dir():
            raise InputError(f"output folder '{t}' is a file: choose a folder name with --out.")
        self.existed = t.is_dir()
        try:
            t.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(f"cannot create output folder '{t}': {_reason(exc)}. "
                             "Choose another folder with --out.") from exc
        lock_beside = self._lock()
        self._recover_and_clean()
        manifest = read_manifest(t) if self.existed else None
        entries = {e.name for e in t.iterdir()} if self.existed else set()
        if manifest is not None:
            self._replace = (set(manifest["files"]) | {MANIFEST, DEMO_MARKER}) & entries
        elif self.demo and DEMO_MARKER in entries:
            self._replace = {DEMO_MARKER}
        foreign = entries - self._replace
        visible = sorted(n for n in foreign if not n.startswith("."))
        self._check_policy(manifest, visible, legacy_demo=manifest is None and DEMO_MARKER in entries)
        self._inplace = bool(foreign) or not lock_beside or (self.existed and not self._renamable())
        where = t if self._inplace else t.parent
        name = f"{INPLACE_PREFIX}staging-" if self._inplace else f".{t.name}.staging-"
        self.staging = where / f"{name}{os.getpid()}-{self.run_id[:8]}"
        self._probe()
        return self.staging

    def _check_policy(self, manifest: dict[str, Any] | None, visible: list[str], *, legacy_demo: bool) -> None:
        t = self.target
        if self.overwrite:
            return
        if manifest is not None and not (self.demo and manifest.get("command") == "demo"):
            files = [n for n in manifest["files"] if not n.startswith(".")]
            raise InputError(
                f"output folder '{t}' holds an earlier beichen-geo {manifest.get('command', '')} run "
                f"({_listing(files)}): earlier results would be overwritten. Pass --overwrite to replace "
                "that run as a whole, or choose another --out folder."
            )
        if visible and not (self.demo and legacy_demo):
            raise InputError(
                f"output folder '{t}' already holds {len(visible)} file(s) beichen-geo did not write "
                f"({_listing(visible)}). Pass --overwrite to write this run beside them (they are kept; "
                "files of the same names are replaced), or choose an empty or new folder with --out."
            )

    def _lock(self) -> bool:  # noqa: C901 - one retry loop over two places
        """Take the folder's lock; True if the lock file sits beside the folder."""
        t = self.target
        candidates = [t.parent / f".{t.name}.beichen-geo.lock"]
        if self.existed:
            candidates.append(t / f"{INPLACE_PREFIX}lock")  # the folder beside is not writable
        failure: OSError | None = None
        for i, path in enumerate(candidates):
            for _ in range(10):
                try:
                    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
                except OSError as exc:
                    failure = exc
                    break
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError as exc:
                    other = _holder_pid(fd)
                    os.close(fd)
                    if exc.errno not in (errno.EAGAIN, errno.EACCES):
                        raise InputError(f"cannot lock output folder '{t}' ({path}): {_reason(exc)}.") from exc
                    raise InputError(
                        f"output folder '{t}' is being written by another beichen-geo run (pid {other}; "
                        f"lock file {path}). Wait for it to finish, or choose another folder with --out."
                    ) from None
                try:
                    same = os.stat(path).st_ino == os.fstat(fd).st_ino
                except FileNotFoundError:
                    same = False
                if not same:  # the holder removed the file as we opened it: take the new one
                    os.close(fd)
                    continue
                try:
                    os.ftruncate(fd, 0)
                    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                except OSError as exc:
                    os.close(fd)
                    failure = exc
                    break
                self._lock_fd, self._lock_path = fd, path
                return i == 0
        assert failure is not None
        raise InputError(
            f"cannot write to output folder '{t}': {_reason(failure)} ({failure.filename or t}). "
            "Choose a writable folder with --out."
        ) from failure

    def _recover_and_clean(self) -> None:
        """Remove staging/backup folders of earlier runs into this folder that were killed.

        We hold the lock, so no live run can be using them. A run killed outright (SIGKILL)
        between the two renames of its swap left no ``out`` but its ``.<name>.old-*`` folder:
        that earlier run is put back first.
        """
        t = self.target
        olds = sorted(t.parent.glob(f".{t.name}.old-*"), key=lambda p: p.stat().st_mtime)
        if not t.exists() and olds and read_manifest(olds[-1]) is not None:
            os.rename(olds.pop(), t)
            self.existed = True
        stale = list(t.parent.glob(f".{t.name}.staging-*")) + olds
        if self.existed:
            stale += [p for p in t.glob(f"{INPLACE_PREFIX}*") if p.is_dir()]
        for p in stale:
            shutil.rmtree(p, ignore_errors=True)

    def _renamable(self) -> bool:
        t = self.target
        if t.is_symlink() or os.path.ismount(t):
            return False
        with contextlib.suppress(OSError):
            if os.path.samefile(t, os.getcwd()):
                return False
        return True

    def _probe(self) -> None:
        """Create the staging folder and a small file in it (and in an existing ``out``)."""
        assert self.staging is not None
        places = [self.staging / ".probe"]
        if self.existed:
            places.append(self.target / f"{INPLACE_PREFIX}probe-{os.getpid()}")
        try:
            self.staging.mkdir()
            if self.existed and not self._inplace:  # the swapped-in folder keeps the old one's mode
                os.chmod(self.staging, self.target.stat().st_mode & 0o7777)
            for probe in places:
                with open(probe, "wb") as fh:
                    fh.write(b"beichen-geo write probe\n" * 64)
                    fh.flush()
                    os.fsync(fh.fileno())
                probe.unlink()
        except OSError as exc:
            for probe in places:
                with contextlib.suppress(OSError):
                    probe.unlink()
            raise InputError(
                f"cannot write to output folder '{self.target}': {_reason(exc)} ({exc.filename or self.staging}). "
                "Choose a writable folder with --out."
            ) from exc

    # ------------------------------------------------------------------ commit
    def commit(self) -> Path:
        """Write the manifest and swap the staging folder in; return ``out``."""
        assert self.staging is not None and not self.committed
        if self.demo:
            write_text("written by beichen-geo demo; the next demo run replaces this folder\n",
                       self.staging / DEMO_MARKER)
        files = {}
        for p in sorted(self.staging.iterdir()):
            files[p.name] = {"bytes": p.stat().st_size, "sha256": _sha256(p)}
        from beichen_geo import __version__

        write_json({
            "program": "beichen-geo", "version": __version__, "run_id": self.run_id, "command": self.command,
            "pid": os.getpid(), "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": files,
        }, self.staging / MANIFEST)
        hold = os.environ.get(HOLD_ENV)
        while hold and os.path.exists(hold):
            time.sleep(0.05)
        try:
            with _signals_blocked():
                self._inplace_commit() if self._inplace else self._swap()
                self.committed = True
        except OSError as exc:
            raise InputError(
                f"cannot move this run's results into '{self.target}': {_reason(exc)} ({exc.filename})."
            ) from exc
        return self.target

    def _swap(self) -> None:
        t, staging = self.target, self.staging
        assert staging is not None
        if not self.existed:
            os.rename(staging, t)
            return
        old = t.parent / f".{t.name}.old-{os.getpid()}-{self.run_id[:8]}"
        os.rename(t, old)
        try:
            os.rename(staging, t)
        except OSError:
            os.rename(old, t)
            raise
        shutil.rmtree(old, ignore_errors=True)

    def _inplace_commit(self) -> None:
        t, staging = self.target, self.staging
        assert staging is not None
        new = sorted(p.name for p in staging.iterdir())
        backup = t / f"{INPLACE_PREFIX}old-{os.getpid()}-{self.run_id[:8]}"
        backup.mkdir()
        moved_old: list[str] = []
        moved_new: list[str] = []
        try:
            for name in sorted(self._replace | {n for n in new if (t / n).exists()}):
                os.rename(t / name, backup / name)
                moved_old.append(name)
            for name in new:
                os.rename(staging / name, t / name)
                moved_new.append(name)
        except OSError:
            for name in moved_new:
                os.rename(t / name, staging / name)
            for name in moved_old:
                os.rename(backup / name, t / name)
            raise
        shutil.rmtree(backup, ignore_errors=True)
        with contextlib.suppress(OSError):
            staging.rmdir()

    # ------------------------------------------------------------------ close
    def close(self) -> None:
        """Remove the staging folder (if not swapped in) and release the lock."""
        with _signals_blocked():
            if self.staging is not None and not self.committed:
                shutil.rmtree(self.staging, ignore_errors=True)
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    assert self._lock_path is not None
                    if os.stat(self._lock_path).st_ino == os.fstat(self._lock_fd).st_ino:
                        self._lock_path.unlink()
                os.close(self._lock_fd)
                self._lock_fd = None


def _holder_pid(fd: int, *, wait_s: float = 1.0) -> str:
    """The pid written in a held lock file, once the holder has written it.

    The holder takes the lock and then writes its pid, so right after its ``flock`` the file
    may still be empty or hold a dead run's pid: read again (up to ``wait_s``) until it names a
    live process.
    """
    import time

    deadline = time.monotonic() + wait_s
    text = ""
    while True:
        text = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
        if text.isdigit() and _alive(int(text)):
            return text
        if time.monotonic() >= deadline:
            return text or "unknown"
        time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
