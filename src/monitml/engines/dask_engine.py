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
"""

from __future__ import annotations

import importlib
from collections import deque
from collections.abc import Iterator, Sequence
from typing import Any

from distributed import Client, LocalCluster

from monitml import numpy_dispatch
from monitml.monitor.chunk_summary import Part, SummaryPlan, summarise_fragment
from monitml.store.partitions import LogFragment

__all__ = ["DaskEngine", "open_engine"]


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
