"""``LogWriter``: one background thread moves predictions from a bounded queue into the store.

The request path only ever calls :meth:`LogWriter.submit` (or :meth:`~LogWriter.submit_many`),
which puts the records on the queue or, when the queue is full, appends them to the spill file;
it never waits for the database. With ``durability="disk"`` it first appends them to the
journal (``monitml.store.journal``) and waits for their fsync, shared with every request that
arrived meanwhile (group commit).

What is guaranteed, and what is not:

- Every submitted record ends up in the store exactly once, or in the spill file (to be replayed
  later), as long as the process lives to finish :meth:`LogWriter.close`. A batch the database
  refuses (not a connection problem: bad data) goes to ``<spill>.rejected`` and counts in
  ``rejected_total``; a record is dropped (``dropped_total``) only when no file can be written.
- Exactly once survives connection cuts and crashes for everything that reached the database or
  the spill file: each batch is inserted with an id recorded in the same transaction, and a spilled
  or in-doubt batch (the connection died after COMMIT was sent) is replayed under that id, so the
  database skips it if it was committed. Spilled lines are fsynced: they survive the process
  dying and the machine losing power.
- ``durability="memory"`` (the default): records still in the queue when the process dies
  without ``close`` (kill -9, OOM) are lost: at most ``max_queue`` plus one batch. That is the
  price of a request path that never waits for a disk.
- ``durability="disk"``: nothing submitted is lost to a crash once ``submit`` has returned (the
  record is fsynced in the journal, ``<spill>.journal.*.seg``); a journal left by a crash is
  replayed at the next start, exactly once, by the batch ids of its fsync groups. ``submit``
  blocks for one fsync (call it off the event loop); ``max_queue`` then counts fsync groups. A
  journal that cannot be written falls back to the memory path for those records.
- One spill path per writer: two processes must not share a spill file (nor its journal).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Literal

from monitml.errors import DataError, StoreError
from monitml.store.database import PredictionStore
from monitml.store.encoding import dumps, record_to_json
from monitml.store.journal import Journal, adopt_leftovers
from monitml.store.records import PredictionRecord
from monitml.store.spill import SpillFile, new_batch_id, read_batches

__all__ = ["Durability", "LogWriter"]

Durability = Literal["memory", "disk"]
# A queue item: the records of one journal group under its batch id, or (memory) one record.
_Item = tuple[str | None, Sequence[PredictionRecord]]

logger = logging.getLogger(__name__)

_FIRST_RETRY_SECONDS = 0.05
# Replay this many batch_size's worth of records per transaction, then serve the queue again.
_REPLAY_BATCHES_PER_TRANSACTION = 5


class LogWriter:
    """Batch predictions into ``store`` from one background thread; spill what cannot go yet.

    >>> writer = LogWriter(store, spill_path=Path("spill.jsonl")).start()  # doctest: +SKIP
    >>> writer.submit(record)                                              # doctest: +SKIP
    >>> writer.close(timeout=10)                                           # doctest: +SKIP
    """

    def __init__(
        self,
        store: PredictionStore,
        *,
        spill_path: Path,
        max_queue: int = 100_000,
        batch_size: int = 2_000,
        flush_interval: float = 0.2,
        max_retry_interval: float = 2.0,
        max_pending_ids: int = 1_000_000,
        durability: Durability = "memory",
    ) -> None:
        for name, value in (("max_queue", max_queue), ("batch_size", batch_size)):
            if value < 1:
                raise ValueError(
                    f"The '{name}' parameter of LogWriter must be >= 1. Got {value!r} instead."
                )
        for name, number in (
            ("flush_interval", flush_interval),
            ("max_retry_interval", max_retry_interval),
        ):
            if not number > 0:
                raise ValueError(
                    f"The '{name}' parameter of LogWriter must be > 0. Got {number!r} instead."
                )
        self.store = store
        self.spill_path = Path(spill_path)
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.max_retry_interval = max_retry_interval
        self.max_pending_ids = max_pending_ids
        if durability not in ("memory", "disk"):
            raise ValueError(
                "The 'durability' parameter of LogWriter must be 'memory' or 'disk'. "
                f"Got {durability!r} instead."
            )
        self.durability: Durability = durability

        self._queue: queue.Queue[_Item] = queue.Queue(maxsize=max_queue)
        # Whatever the mode now: a journal an earlier run left is replayed like a spill file.
        journal_base = self.spill_path.with_name(self.spill_path.name + ".journal")
        adopt_leftovers(journal_base, self.spill_path)
        self._spill = SpillFile(self.spill_path, loose_batch_size=batch_size)
        self._journal = (
            Journal(journal_base, on_durable=self._journaled) if durability == "disk" else None
        )
        self._rejected_path = self.spill_path.with_name(self.spill_path.name + ".rejected")
        self._lock = threading.Lock()  # guards _pending and the counters below
        self._pending: Counter[str] = Counter()
        self._written = self._spilled = self._dropped = self._rejected = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._healthy = True
        self._retry_at = 0.0
        self._retry_interval = _FIRST_RETRY_SECONDS
        self._replaying: tuple[Path, Iterator[tuple[str, list[PredictionRecord]]]] | None = None
        self._replayed: dict[Path, set[str]] = {}  # batch ids of a replay file now in the store

    # -- the request path ---------------------------------------------------------------------

    def start(self) -> LogWriter:
        """Start the background thread (it first replays what an earlier run left spilled)."""
        if self._thread is not None:
            raise RuntimeError("This LogWriter was already started.")
        # A daemon, so that an unreachable database can never keep the process from exiting;
        # close() is what makes sure nothing is left behind.
        self._thread = threading.Thread(target=self._run, name="monitml-log-writer", daemon=True)
        self._thread.start()
        return self

    def submit(self, record: PredictionRecord) -> None:
        """Log a record: onto the queue, or into the spill file if it is full.

        With ``durability="disk"``, journaled first: returns once the record is fsynced.
        """
        if self._journal is not None:
            self.submit_many((record,))
            return
        self._count_pending((record,))
        try:
            self._queue.put_nowait((None, (record,)))
        except queue.Full:
            self._spill_records([record], None)
        self._after_submit()

    def submit_many(self, records: Sequence[PredictionRecord]) -> None:
        """Log several records; with ``durability="disk"``, one fsync wait for all of them."""
        if self._journal is None:
            for record in records:
                self.submit(record)
            return
        self._count_pending(records)
        try:
            self._journal.append(records)  # _journaled queues them once they are on disk
        except OSError:
            for record in records:  # the journal's disk failed: keep them the memory way
                try:
                    self._queue.put_nowait((None, (record,)))
                except queue.Full:
                    self._spill_records([record], None)
        self._after_submit()

    def _journaled(self, batch_id: str, records: list[PredictionRecord]) -> None:
        """Called by the journal once a group is fsynced: queue it under its batch id."""
        try:
            self._queue.put_nowait((batch_id, records))
        except queue.Full:
            self._spill_records(records, batch_id)
            self._committed(batch_id)

    def _count_pending(self, records: Iterable[PredictionRecord]) -> None:
        with self._lock:
            for record in records:
                if record.record_id in self._pending or len(self._pending) < self.max_pending_ids:
                    self._pending[record.record_id] += 1

    def _after_submit(self) -> None:
        if self._stop.is_set() and not self._running():
            self._spill_queue()  # submitted after close: nobody else will take it
            self._spill.close()

    def _committed(self, batch_id: str | None) -> None:
        if batch_id is not None and self._journal is not None:
            self._journal.committed(batch_id)

    def _running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _spill_queue(self) -> None:
        while items := self._take(self.batch_size, wait=False):
            self._spill_items(items)

    def _spill_items(self, items: Sequence[_Item]) -> None:
        for batch_id, records in _batches(items):
            self._spill_records(records, batch_id)
            self._committed(batch_id)

    @property
    def journal_fsyncs(self) -> int:
        """Fsync groups written to the journal (0 with ``durability="memory"``)."""
        return 0 if self._journal is None else self._journal.fsyncs

    @property
    def queue_depth(self) -> int:
        """Items waiting: records, or with ``durability="disk"`` fsync groups."""
        return self._queue.qsize()

    @property
    def written_total(self) -> int:
        """Records inserted into the store (replayed ones included)."""
        return self._written

    @property
    def spilled_total(self) -> int:
        """Records appended to the spill file (a record may be spilled, replayed, spilled again)."""
        return self._spilled

    @property
    def dropped_total(self) -> int:
        """Records lost because neither the store nor any file could take them."""
        return self._dropped

    @property
    def rejected_total(self) -> int:
        """Records the database refused as invalid, kept in ``<spill>.rejected``."""
        return self._rejected

    def pending_record_ids(self, among: Iterable[str] | None = None) -> set[str]:
        """Record ids submitted but not yet in the store (queued, being written or spilled).

        With ``among``, only those of the given ids: cheap enough for every feedback request.
        Tracks at most ``max_pending_ids`` distinct ids (beyond that, during a long outage, a
        label for a spilled record is still stored but reported unknown).
        """
        with self._lock:
            if among is None:
                return set(self._pending)
            return {record_id for record_id in among if record_id in self._pending}

    def close(self, timeout: float = 10.0) -> bool:
        """Write or spill everything submitted; False if the thread outlived ``timeout``.

        When it returns True, every submitted record is in the store or in the spill file. On
        False, the queue has been spilled but the thread is still writing one batch, which it
        will insert or spill on its own.
        """
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        finished = not self._running()
        self._spill_queue()
        self._spill.close()
        if self._journal is not None:
            self._journal.close()
        return finished

    # -- the background thread ----------------------------------------------------------------

    def _run(self) -> None:
        final_probe_done = False
        while True:
            stopping = self._stop.is_set()
            if stopping and not final_probe_done:
                # Closing: try the database once more now rather than after the backoff.
                self._retry_at, final_probe_done = 0.0, True
            replay_due = self._spill.has_records() and (self._healthy or self._retry_due())
            items = self._take(self.batch_size, wait=not replay_due)
            if items:
                if self._healthy or self._retry_due():
                    self._write(_batches(items))
                else:
                    self._spill_items(items)
            if self._spill.has_records() and (self._healthy or self._retry_due()):
                try:
                    self._replay_some()
                except OSError:  # an unreadable spill file must not stop the writer
                    logger.exception("Cannot replay the spill files of %s", self.spill_path)
                    self._replaying = None
                    self._unreachable(None)
            # Stopping: finish a replay only while the database answers; else leave it spilled.
            idle = self._queue.empty() and not (self._healthy and self._spill.has_records())
            if stopping and idle:
                break
        self._spill.close()

    def _take(self, limit: int, *, wait: bool) -> list[_Item]:
        """Items holding about ``limit`` records (a journal group is never split)."""
        try:
            first = (
                self._queue.get(timeout=self.flush_interval) if wait else self._queue.get_nowait()
            )
        except queue.Empty:
            return []
        items, size = [first], len(first[1])
        try:
            while size < limit:
                item = self._queue.get_nowait()
                items.append(item)
                size += len(item[1])
        except queue.Empty:
            pass
        return items

    def _retry_due(self) -> bool:
        return time.monotonic() >= self._retry_at

    def _write(self, batches: list[tuple[str, list[PredictionRecord]]]) -> None:
        """Insert batches in one transaction; spill them if the database is unreachable."""
        try:
            self.store.insert_batches(batches)
        except StoreError as error:
            self._unreachable(error)
            self._spill_batches(batches)
            return
        except DataError as error:
            if len(batches) > 1:  # find the batch at fault, keep the others
                for batch in batches:
                    self._write([batch])
                return
            batch_id, records = batches[0]
            logger.error(
                "The store refused %d records (%s); kept in %s",
                len(records),
                error,
                self._rejected_path,
            )
            self._reject(records)
        except Exception:  # a bug must not kill the writer thread and lose what it holds
            size = sum(len(records) for _, records in batches)
            logger.exception("Unexpected error writing %d records; spilled, will retry", size)
            self._unreachable(None)
            self._spill_batches(batches)
            return
        else:
            with self._lock:
                self._written += sum(len(records) for _, records in batches)
        self._reachable()
        for batch_id, records in batches:
            self._forget(records)
            self._committed(batch_id)

    def _spill_batches(self, batches: list[tuple[str, list[PredictionRecord]]]) -> None:
        for batch_id, records in batches:
            self._spill_records(records, batch_id)
            self._committed(batch_id)

    def _replay_some(self) -> None:
        """Replay one transaction's worth of spilled batches."""
        if self._replaying is None:
            files = self._spill.take_for_replay()
            if not files:
                return
            self._replaying = (files[0], read_batches(files[0]))
        path, batches = self._replaying
        done = self._replayed.setdefault(path, set())
        chunk: dict[str, list[PredictionRecord]] = {}
        size, exhausted = 0, False
        # Spilled batches are often small (what the queue held at the time): many go in at once.
        while size < self.batch_size * _REPLAY_BATCHES_PER_TRANSACTION:
            item = next(batches, None)
            if item is None:
                exhausted = True
                break
            batch_id, records = item
            if batch_id not in done and batch_id not in chunk:
                chunk[batch_id] = records
                size += len(records)
        if chunk and not self._replay(list(chunk.items()), done):
            # Read the file again next time; batches already in are skipped by id.
            self._replaying = None
            return
        if exhausted:
            self._spill.finished(path)
            del self._replayed[path]
            self._replaying = None
            logger.info("Replayed spill file %s into the store", path)

    def _replay(self, batches: list[tuple[str, list[PredictionRecord]]], done: set[str]) -> bool:
        """Insert spilled batches and add their ids to ``done``; False if the database is
        unreachable."""
        try:
            self.store.insert_batches(batches)
        except StoreError as error:
            self._unreachable(error)
            return False
        except DataError as error:
            if len(batches) > 1:  # find the batch at fault, keep the others
                return all(self._replay([batch], done) for batch in batches)
            logger.error("The store refused %d spilled records (%s)", len(batches[0][1]), error)
            self._reject(batches[0][1])
        else:
            # Inserted now, or found committed by an earlier, in-doubt attempt: in the store.
            with self._lock:
                self._written += sum(len(records) for _, records in batches)
        self._reachable()
        for batch_id, records in batches:
            self._forget(records)
            done.add(batch_id)
        return True

    def _unreachable(self, error: Exception | None) -> None:
        if self._healthy:
            logger.warning(
                "The prediction store is unreachable (%s); spilling to %s", error, self.spill_path
            )
        else:
            self._retry_interval = min(self._retry_interval * 2, self.max_retry_interval)
        self._healthy = False
        self._retry_at = time.monotonic() + self._retry_interval

    def _reachable(self) -> None:
        if not self._healthy:
            logger.warning("The prediction store is reachable again; replaying %s", self.spill_path)
        self._healthy = True
        self._retry_interval = _FIRST_RETRY_SECONDS

    def _spill_records(self, records: Sequence[PredictionRecord], batch_id: str | None) -> None:
        try:
            self._spill.append(records, batch_id)
        except OSError:
            logger.exception(
                "Cannot write spill file %s: %d records lost", self.spill_path, len(records)
            )
            with self._lock:
                self._dropped += len(records)
            self._forget(records)
            return
        with self._lock:
            self._spilled += len(records)

    def _reject(self, records: Sequence[PredictionRecord]) -> None:
        try:
            with self._rejected_path.open("a", encoding="utf-8") as rejected:
                rejected.write("".join(dumps(record_to_json(r)) + "\n" for r in records))
        except OSError:
            logger.exception("Cannot write %s: %d records lost", self._rejected_path, len(records))
            with self._lock:
                self._dropped += len(records)
        else:
            with self._lock:
                self._rejected += len(records)

    def _forget(self, records: Sequence[PredictionRecord]) -> None:
        with self._lock:
            pending = self._pending
            for record in records:
                count = pending.get(record.record_id, 0)
                if count > 1:
                    pending[record.record_id] = count - 1
                elif count == 1:
                    del pending[record.record_id]


def _batches(items: Sequence[_Item]) -> list[tuple[str, list[PredictionRecord]]]:
    """Journal groups keep their batch ids; loose records share one new batch."""
    batches = [(batch_id, list(records)) for batch_id, records in items if batch_id is not None]
    loose = [record for batch_id, records in items if batch_id is None for record in records]
    if loose:
        batches.append((new_batch_id(), loose))
    return batches
