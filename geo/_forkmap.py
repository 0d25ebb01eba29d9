"""Run a function over a few chunks of work in forked child processes, the caller doing one.

Threads do not help kernels that hold the GIL (numpy on small arrays, contourpy, scipy's
labelling); processes do, and on Linux a *forked* child inherits the caller's memory (the
compiled network, its segment arrays, the routing results) copy-on-write, so nothing but
the chunk's index and its result crosses the process boundary.

Forking is refused (:func:`fork_unavailable` gives the reason) where it is impossible or
unsafe: platforms without the ``fork`` start method, daemonic processes (a Dask or
multiprocessing worker cannot have children), and processes where other threads are
running (a web server's request thread, a notebook kernel): a fork copies only the calling
thread, and a lock another thread held at that moment would stay locked in the child.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def fork_unavailable(*, allow_threads: bool = False) -> str | None:
    """Why this process cannot fork workers now, or None when it can.

    Parameters
    ----------
    allow_threads
        Accept other running threads (the caller vouches that none holds a lock the
        children need).
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return "this platform has no 'fork' start method"
    if multiprocessing.current_process().daemon:
        return "this is a daemonic process (e.g. a Dask or multiprocessing worker), which cannot have children"
    if not allow_threads and threading.active_count() > 1:
        return f"{threading.active_count() - 1} other thread(s) are running (a fork would copy their locks)"
    return None


def _child(fn: Callable[[Any], Any], chunk: Any, conn: multiprocessing.connection.Connection) -> None:
    try:
        out: tuple[str, Any] = ("ok", fn(chunk))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent
        out = ("error", exc)
    try:
        conn.send(out)
    except Exception as exc:  # an unpicklable result or exception
        conn.send(("error", RuntimeError(f"worker result could not be sent back: {exc!r}")))
    finally:
        conn.close()


def fork_map(fn: Callable[[T], R], chunks: Sequence[T]) -> list[R]:
    """``[fn(c) for c in chunks]``, the chunks after the first in forked child processes.

    The caller computes ``chunks[0]`` while one child per further chunk computes its own;
    results (which must pickle) come back through pipes, in order. ``fn`` sees the caller's
    memory as it was at the fork. An exception in a child is raised again in the caller;
    a child that dies raises :class:`RuntimeError`. Check :func:`fork_unavailable` first.
    """
    if len(chunks) <= 1:
        return [fn(c) for c in chunks]
    ctx = multiprocessing.get_context("fork")
    procs: list[tuple[Any, multiprocessing.connection.Connection]] = []
    try:
        for chunk in chunks[1:]:
            recv, send = ctx.Pipe(duplex=False)
            p = ctx.Process(target=_child, args=(fn, chunk, send), daemon=True)
            p.start()
            send.close()  # the child holds its own copy; EOF on recv if it dies
            procs.append((p, recv))
        first = fn(chunks[0])
        results: list[R] = [first]
        for p, recv in procs:
            try:
                status, value = recv.recv()
            except EOFError:
                p.join()
                raise RuntimeError(f"a worker process died (exit code {p.exitcode})") from None
            if status == "error":
                raise value
            results.append(value)
        return results
    finally:
        for p, recv in procs:
            recv.close()
            if p.is_alive():
                p.terminate()
            p.join()
