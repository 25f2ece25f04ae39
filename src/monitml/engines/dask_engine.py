"""The Dask engine: one task per file on a ``distributed`` cluster, each reading its file with
pyarrow and summarising it where it runs; only the summaries come back.

The driver decodes no Parquet. Files are submitted a few per worker ahead, earlier files at
higher priority, and their parts fetched in file order, each future released once fetched:
the driver holds one file's summaries at a time while the workers keep busy. Tasks are
plain futures (``Client.submit``) over the file list: a ``dask.dataframe`` partition per
file (``from_map``) computed one at a time cost the driver about 50 ms of CPU a file in
graph handling, a submitted task about 0.1 ms, and computing them all at once has the
scheduler run the last files first, so nothing comes back before the end.

Without ``master`` it starts a ``LocalCluster`` of ``workers`` processes (one thread each: the
summaries are numpy work that holds the GIL in parts) and stops it on ``close``; with
``master`` it connects to that scheduler, whose workers must have MonitML installed. Either
way each worker imports the summarising code once when the engine opens, not on its first
file, and the plan (bins and vocabularies) is sent to every worker once per check.

The workers of its own ``LocalCluster`` keep glibc's adaptive ``malloc``. Dask's nanny
exports ``MALLOC_TRIM_THRESHOLD_=65536`` to its workers by default, to hand freed memory
back at once. That also pins glibc's mmap threshold at 128 KiB. A file's summary allocates
and frees a few hundred MB of column buffers, so every one of them was mapped and unmapped
again: about 50,000 page faults a 500k-row file, and 13-15% of the throughput (BENCHMARKS.md).
Without it a worker keeps its freed buffers for the next file, so it holds the working set of
a few of a file's columns between tasks. A ``MALLOC_TRIM_THRESHOLD_`` the user exports still
reaches the workers, and a cluster at ``master`` runs as its own configuration says.
"""

from __future__ import annotations

import importlib
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

import dask.config
from distributed import Client, LocalCluster

from monitml import numpy_dispatch
from monitml.monitor.chunk_summary import Part, SummaryPlan, summarise_fragment
from monitml.store.partitions import LogFragment

__all__ = ["DaskEngine", "open_engine"]

_SPAWN_ENVIRONMENT = "distributed.nanny.pre-spawn-environ"


def _warm_up() -> None:
    """Import what a task runs (MonitML's summaries, the sketch library) in this worker."""
    importlib.import_module("monitml.monitor.chunk_summary")
    importlib.import_module("datasketches")


class DaskEngine:
    def __init__(self, client: Any, cluster: Any | None) -> None:
        self.client = client
        self.cluster = cluster

    def __call__(self, plan: SummaryPlan, fragments: Sequence[LogFragment]) -> Iterator[list[Part]]:
        if not fragments:
            return
        shared = self.client.scatter(plan, broadcast=True)
        in_flight = 2 * max(sum(self.client.nthreads().values()), 1) + 2
        pending: deque[Any] = deque()
        try:
            for index, fragment in enumerate(fragments):
                pending.append(
                    self.client.submit(
                        summarise_fragment, shared, fragment, priority=-index, pure=False
                    )
                )
                if len(pending) >= in_flight:
                    yield _parts(pending.popleft())
            while pending:
                yield _parts(pending.popleft())
        finally:
            for future in pending:
                future.cancel()
            shared.release()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _parts(future: Any) -> list[Part]:
    """A file's parts, its future released (the driver keeps no file's summaries)."""
    parts: list[Part] = future.result()
    future.release()
    return parts


def open_engine(*, workers: int = 2, master: str | None = None) -> DaskEngine:
    if master is not None:
        client = Client(master)  # type: ignore[no-untyped-call]
        client.run(_warm_up)
        return DaskEngine(client, None)
    with dask.config.set({_SPAWN_ENVIRONMENT: _without_malloc_trim()}):
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # a free port: never 8787 of another cluster
            silence_logs=40,  # logging.ERROR: a check prints its chunks, not the cluster's chatter
            env=numpy_dispatch.sort_environment(),  # numpy's fast sort on Zen 4 (numpy_dispatch)
        )
    client = Client(cluster)  # type: ignore[no-untyped-call]
    client.wait_for_workers(workers)
    client.run(_warm_up)
    return DaskEngine(client, cluster)


def _without_malloc_trim() -> dict[str, Any]:
    """Dask's pre-spawn environment without its ``MALLOC_TRIM_THRESHOLD_`` (the module's
    docstring says why); a nanny reads it when it is made, restarts included."""
    environment = dict(dask.config.get(_SPAWN_ENVIRONMENT, default={}) or {})
    environment.pop("MALLOC_TRIM_THRESHOLD_", None)
    return environment
