"""Running chunk functions locally (a loop) or on a dask.distributed cluster.

Both give identical numbers; the cluster is an existing scheduler (``scheduler=``) or a
local one started for the run (``workers=N``) on the loopback interface.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Self

from geo.errors import InputError

from ._stations_batch import Chunk, Context

#: Interface a local Dask cluster (``workers=N``) listens on.
LOCAL_HOST = "127.0.0.1"


class Runner:
    """Run chunk functions locally (a loop) or on dask.distributed, with a tqdm progress bar."""

    def __init__(self, *, scheduler: str | None, workers: int | None, progress: bool) -> None:
        self.scheduler, self.workers, self.progress = scheduler, workers, progress
        self.client: Any = None
        self.cluster: Any = None

    def __enter__(self) -> Self:
        if self.scheduler is None and self.workers is None:
            return self
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is an optional extra
            raise InputError("running on a Dask cluster needs dask.distributed: "
                             "pip install 'beichen-geo[dask]'") from exc
        try:
            if self.scheduler is not None:
                if not str(self.scheduler).startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://", "ucx://")):
                    raise InputError(f"scheduler must be an address like tcp://host:8786, got {self.scheduler!r}")
                self.client = Client(self.scheduler, timeout="30s")
            else:
                # every socket on the loopback interface: scheduler, workers, nannies and the
                # dashboard (a free port; client.dashboard_link) are not reachable from the network
                self.cluster = LocalCluster(n_workers=int(self.workers or 1), processes=True, threads_per_worker=1,
                                            host=LOCAL_HOST, dashboard_address=f"{LOCAL_HOST}:0")
                self.client = Client(self.cluster)
        except InputError:
            self.close()
            raise
        except (OSError, TimeoutError) as exc:
            self.close()
            raise InputError(f"cannot reach the Dask scheduler {self.scheduler!r}: {exc}") from exc
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def put(self, ctx: Context) -> Any:
        """The context where tasks read it: itself locally, a broadcast future on Dask."""
        if self.client is None:
            return ctx
        return self.client.scatter(ctx, broadcast=True, hash=False)

    def map(self, fn: Callable[[Context, Chunk], Any], ref: Any, chunks: Sequence[Chunk], *, desc: str) -> list[Any]:
        from tqdm.auto import tqdm

        bar = tqdm(total=int(sum(len(c.ids) for c in chunks)), desc=desc, unit="station", disable=not self.progress,
                   leave=False)
        try:
            if self.client is None:
                out = []
                for c in chunks:
                    out.append(fn(ref, c))
                    bar.update(len(c.ids))
                return out
            from distributed import as_completed

            futures = [self.client.submit(fn, ref, c, pure=False) for c in chunks]
            where = {f.key: i for i, f in enumerate(futures)}
            results: list[Any] = [None] * len(futures)
            try:
                for fut, res in as_completed(futures, with_results=True):
                    i = where[fut.key]
                    results[i] = res
                    bar.update(len(chunks[i].ids))
            except ImportError as exc:
                raise InputError(f"the Dask workers cannot run beichen-geo ({exc}); install the same beichen-geo "
                                 "version in every worker's environment") from exc
            return results
        finally:
            bar.close()

    @property
    def n_workers(self) -> int:
        if self.client is None:
            return 1
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def describe(self) -> dict[str, Any]:
        if self.client is None:
            return {"scheduler": "local", "workers": 1}
        info = self.client.scheduler_info()
        n = len(info.get("workers", {}))
        plural = "es" if self.workers != 1 else ""
        return {"scheduler": "dask " + (str(self.scheduler) if self.scheduler
                                        else f"LocalCluster ({self.workers} worker process{plural})"),
                "workers": n}


