"""Retention: delete what is older than ``store.retention``, a little at a time, in the background.

What is pruned: predictions (by ``ts``), labels (by the time they arrived), monitor results
(by ``run_at``, with their signals) and the writer's batch ids (by ``committed_at``). References,
alert history, routing and leases are kept: they are small and describe the present.

What is guaranteed, and what is not:

- Every transaction deletes at most ``batch_size`` rows of one table and the pruner sleeps
  ``pause`` seconds between two of them, so the log writer (which needs SQLite's one write lock)
  waits at most one small delete, never a whole pass.
- Predictions and results are found through their ``(model, ts)`` / ``(model, run_at)`` indexes,
  one model at a time (the models are listed by skipping along that index), labels and batch
  ids through their own age indexes: a pass over a large store reads only what it deletes.
- A batch id is forgotten ``retention`` after it was committed, and at most
  ``BATCH_ID_HORIZON`` (7 days) after even without a retention: they are bookkeeping, one row per
  writer batch (per fsync group with ``log.durability: disk``). A spill file or journal replayed
  later than that would insert its in-doubt batches again; replays happen at the next start.
- With a ``lease`` (``monitml.store.lease``), one pruner per store runs a pass at a time, however
  many gateway replicas and workers start one.
- Rows are deleted once they are older than the cutoff of the pass; a row that gets older
  during a pass waits for the next one (``interval`` later).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from monitml.store.lease import Lease
from monitml.store.tables import (
    labels,
    monitor_results,
    monitor_signals,
    predictions,
    write_batches,
)

__all__ = ["BATCH_ID_HORIZON", "PruneCounts", "Pruner", "prune"]

BATCH_ID_HORIZON = 7 * 86_400.0

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class PruneCounts:
    """Rows deleted by one pass, per table."""

    predictions: int = 0
    labels: int = 0
    results: int = 0
    write_batches: int = 0

    @property
    def total(self) -> int:
        return self.predictions + self.labels + self.results + self.write_batches


def _models(engine: sa.Engine, column: sa.Column[str]) -> list[str]:
    """The distinct values of an indexed column, one index probe each (a loose index scan)."""
    found: list[str] = []
    with engine.connect() as connection:
        while True:
            query = sa.select(column).order_by(column).limit(1)
            if found:
                query = query.where(column > found[-1])
            value = connection.execute(query).scalar()
            if value is None:
                return found
            found.append(value)


def _delete_batch(
    engine: sa.Engine,
    table: sa.Table,
    keys: tuple[sa.Column[Any], ...],
    where: sa.ColumnElement[bool],
    limit: int,
) -> int:
    """Delete up to ``limit`` rows of ``table`` matching ``where`` in one transaction."""
    # SQLite: take the write lock first; a read that a writer overtakes cannot become a write.
    options = {"monitml_sqlite_begin": "BEGIN IMMEDIATE"}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        rows = connection.execute(sa.select(*keys).where(where).limit(limit)).all()
        if not rows:
            return 0
        if len(keys) > 1:  # a composite key: one prepared DELETE per row
            match = sa.and_(*(key == sa.bindparam(f"k_{key.name}") for key in keys))
            params = [
                {f"k_{key.name}": value for key, value in zip(keys, row, strict=True)}
                for row in rows
            ]
            connection.execute(table.delete().where(match), params)
            return len(rows)
        ids = [row[0] for row in rows]
        if table is monitor_results:
            connection.execute(monitor_signals.delete().where(monitor_signals.c.result_id.in_(ids)))
        connection.execute(table.delete().where(keys[0].in_(ids)))
        return len(ids)


def prune(
    engine: sa.Engine,
    older_than: float | None,
    *,
    batch_size: int = 1_000,
    pause: float = 0.05,
    stop: threading.Event | None = None,
    batch_ids_older_than: float | None = None,
) -> PruneCounts:
    """Delete everything older than ``older_than`` (epoch seconds; None: no data) and the batch
    ids older than ``batch_ids_older_than`` (None: ``older_than``); return what was deleted.

    Stops early (between two batches) when ``stop`` is set.
    """
    if batch_size < 1:
        raise ValueError(
            f"The 'batch_size' parameter of prune must be >= 1. Got {batch_size!r} instead."
        )
    counts = PruneCounts()
    stop = stop if stop is not None else threading.Event()

    def drain(table: sa.Table, keys: tuple[sa.Column[Any], ...], where: Any) -> int:
        deleted = 0
        while not stop.is_set():
            done = _delete_batch(engine, table, keys, where, batch_size)
            deleted += done
            if done < batch_size:
                break
            stop.wait(pause)
        return deleted

    if older_than is not None:
        for model in _models(engine, predictions.c.model):
            where = sa.and_(predictions.c.model == model, predictions.c.ts < older_than)
            counts.predictions += drain(predictions, (predictions.c.id,), where)
        label_key = (labels.c.model, labels.c.record_id)
        counts.labels += drain(labels, label_key, labels.c.ts < older_than)
        for model in _models(engine, monitor_results.c.model):
            where = sa.and_(monitor_results.c.model == model, monitor_results.c.run_at < older_than)
            counts.results += drain(monitor_results, (monitor_results.c.id,), where)
    batch_cutoff = older_than if batch_ids_older_than is None else batch_ids_older_than
    if batch_cutoff is not None:
        counts.write_batches += drain(
            write_batches, (write_batches.c.batch_id,), write_batches.c.committed_at < batch_cutoff
        )
    return counts


@dataclass
class Pruner:
    """Run :func:`prune` every ``interval`` seconds with cutoff ``now - retention``, in a thread.

    With ``retention=None`` only batch ids older than ``BATCH_ID_HORIZON`` go.

    >>> pruner = Pruner(store.engine, retention=90 * 86400).start()   # doctest: +SKIP
    >>> pruner.close()                                                 # doctest: +SKIP
    """

    engine: sa.Engine
    retention: float | None
    interval: float = 3600.0
    batch_size: int = 1_000
    pause: float = 0.05
    first_delay: float = 10.0  # let the gateway start (and replay) before the first pass
    clock: Callable[[], float] = time.time
    lease: Lease | None = None
    last: PruneCounts | None = None
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("retention", "interval"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(
                    f"The '{name}' parameter of Pruner must be > 0. Got {value!r} instead."
                )

    def start(self) -> Pruner:
        self._thread = threading.Thread(target=self._run, name="monitml-retention", daemon=True)
        self._thread.start()
        return self

    def run_once(self) -> PruneCounts:
        now = self.clock()
        kept = BATCH_ID_HORIZON if self.retention is None else min(self.retention, BATCH_ID_HORIZON)
        counts = prune(
            self.engine,
            None if self.retention is None else now - self.retention,
            batch_size=self.batch_size,
            pause=self.pause,
            stop=self._stop,
            batch_ids_older_than=now - kept,
        )
        self.last = counts
        if counts.total:
            logger.info("Retention pruned %s", counts)
        return counts

    def _run(self) -> None:
        self._stop.wait(self.first_delay)
        while not self._stop.is_set():
            try:
                if self.lease is None or self.lease.acquire():
                    self.run_once()
            except exc.SQLAlchemyError as error:  # unreachable now: try again next time
                logger.warning("Retention pass skipped: %s", error)
            except Exception:  # the pruner must not die of one bad pass
                logger.exception("Retention pass failed")
            self._stop.wait(self.interval)

    def close(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.lease is not None:
            self.lease.release()
