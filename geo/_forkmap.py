"""Run a function over a few chunks of work in forked child processes, the caller doing one.

Threads do not help kernels that hold the GIL (numpy on small arrays, contourpy, scipy's
labelling); processes do, and on Linux a *forked* child inherits the caller's memory (the
compiled network, its segment arrays, the routing results) copy-on-write, so nothing but
the chunk's index and its pickled result crosses the process boundary.

A child is a bare ``os.fork``: it computes its chunk, writes the pickled result (and the
warnings it raised, replayed in the caller) to a pipe and leaves with ``os._exit``, without
running exit handlers or flushing the standard streams; it never prints. Forking is refused
(:func:`fork_unavailable` gives the reason) where it is impossible or unsafe: platforms
other than Linux, daemonic processes (a Dask or multiprocessing worker must not leave
children behind), a forked worker itself, and processes where other threads run (a web
server's request threads, a notebook kernel): a fork copies only the calling thread, and a
lock another thread held at that moment would stay locked in the child. tqdm's progress-bar
monitor thread is the one exception: it takes only tqdm's lock and writes only to the
progress bar's stream, neither of which a child touches.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Threads that may run while a child is forked (see the module docstring).
SAFE_THREADS = frozenset({"tqdm_monitor"})

_IN_CHILD = False


def fork_unavailable(*, allow_threads: bool = False) -> str | None:
    """Why this process cannot fork workers now, or None when it can.

    Parameters
    ----------
    allow_threads
        Accept other running threads (the caller vouches that none holds a lock the
        children need).
    """
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        # macOS has fork, but system libraries there are not fork-safe (Python's default is spawn)
        return f"forked workers are used on Linux only (this is {sys.platform})"
    if _IN_CHILD:
        return "this is a forked worker process"
    if multiprocessing.current_process().daemon:
        return "this is a daemonic process (e.g. a Dask or multiprocessing worker), which cannot have children"
    if not allow_threads:
        others = [t.name for t in threading.enumerate()
                  if t is not threading.current_thread() and t.name not in SAFE_THREADS]
        if others:
            return f"{len(others)} other thread(s) are running (a fork would copy their locks)"
    return None


def _run_child(fn: Callable[[Any], Any], chunk: Any, fd: int, encode: Callable[[Any], Any] | None) -> None:
    """In the child: compute, send ``(status, value, warnings)`` to ``fd``, exit. Never returns."""
    global _IN_CHILD
    _IN_CHILD = True
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)  # the caller handles Ctrl-C; the child just ends
        with warnings.catch_warnings(record=True) as seen:
            try:
                value = fn(chunk)
                out: tuple[str, Any] = ("ok", value if encode is None else encode(value))
            except Exception as exc:
                out = ("error", exc)
        said = [(w.message, w.category, w.filename, w.lineno) for w in seen]
        try:
            data = pickle.dumps((*out, said), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as exc:  # an unpicklable result or exception
            data = pickle.dumps(("error", RuntimeError(f"a worker's result could not be sent back: {exc!r}"), said))
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 1
    finally:
        os._exit(code)


def _read_all(fd: int) -> bytes:
    parts = []
    while chunk := os.read(fd, 1 << 20):
        parts.append(chunk)
    return b"".join(parts)


def fork_map(fn: Callable[[T], R], chunks: Sequence[T], *, encode: Callable[[R], Any] | None = None,
             decode: Callable[[Any], R] | None = None) -> list[R]:
    """``[fn(c) for c in chunks]``, the chunks after the first in forked child processes.

    The caller computes ``chunks[0]`` while one child per further chunk computes its own;
    results come back pickled through pipes, in order (``encode`` turns a child's result
    into something quicker to pickle, ``decode`` turns it back in the caller), and the
    warnings the children raised are raised again in the caller. ``fn`` sees the caller's
    memory as it was at the fork. An exception in a child is raised again in the caller;
    a child that dies raises :class:`RuntimeError`. Check :func:`fork_unavailable` first.
    """
    if len(chunks) <= 1:
        return [fn(c) for c in chunks]
    kids: list[tuple[int, int]] = []  # (pid, read end); pid 0 once reaped, fd -1 once closed
    try:
        for chunk in chunks[1:]:
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
                os.close(r)
                _run_child(fn, chunk, w, encode)
            os.close(w)
            kids.append((pid, r))
        results: list[R] = [fn(chunks[0])]
        for i, (pid, r) in enumerate(kids):
            data = _read_all(r)
            os.close(r)
            kids[i] = (pid, -1)
            if not data:
                _, status = os.waitpid(pid, 0)
                kids[i] = (0, -1)
                raise RuntimeError(f"a worker process died ({_describe(status)})")
            state, value, said = pickle.loads(data)
            for message, category, filename, lineno in said:
                warnings.warn_explicit(message, category, filename, lineno)
            if state == "error":
                raise value
            results.append(value if decode is None else decode(value))
        for i, (pid, _) in enumerate(kids):  # reaped last: a child's exit overlaps the decoding
            os.waitpid(pid, 0)
            kids[i] = (0, -1)
        return results
    finally:
        for pid, r in kids:
            if r >= 0:
                os.close(r)
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.waitstatus_to_exitcode(status)}"
