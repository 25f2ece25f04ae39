"""The writer's journal (``log.durability: disk``): records on disk, fsynced, before the answer.

:meth:`Journal.append` writes a request's records to the current segment file and returns only
once they are fsynced. Group commit: while one caller (the leader) writes and fsyncs, records of
other callers gather, and the next leader writes and fsyncs all of them at once, so fsyncs per
second stay bounded by the disk's latency however many requests arrive.

Each fsync group becomes one batch of the store, under a batch id written with its lines (the
spill file's format, ``monitml.store.spill``), so a journal left by a crash is replayed like a
spill file, exactly once: the database skips every group it committed before.

What is guaranteed, and what is not:

- A record whose ``append`` returned is on disk (fsynced; a new segment's folder entry too): it
  survives the process dying and the machine losing power.
- A segment is deleted once every group in it has reached the store, the spill file or the
  rejected file (:meth:`Journal.committed`) and a newer segment has taken over; the segment in
  use is deleted by :meth:`Journal.close` when nothing in it is outstanding. Anything else is
  left for :func:`adopt_leftovers` at the next start.
- Thread-safe. One journal per spill path: two processes must not share one.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from monitml.store.encoding import dumps, record_to_json
from monitml.store.records import PredictionRecord
from monitml.store.spill import new_batch_id

__all__ = ["Journal", "adopt_leftovers", "journal_segments"]

logger = logging.getLogger(__name__)

OnDurable = Callable[[str, list[PredictionRecord]], None]


def journal_segments(base: Path) -> list[Path]:
    """The segment files of the journal at ``base``, oldest first."""
    return sorted(base.parent.glob(base.name + ".*.seg"))


def adopt_leftovers(base: Path, spill_path: Path) -> int:
    """Hand a previous run's journal segments over to the spill file's replay; return how many.

    They are renamed to spill replay files (``<spill>.<ns>.replay``), which the writer replays at
    start, exactly once, before anything new.
    """
    adopted = 0
    for segment in journal_segments(base):
        if segment.stat().st_size == 0:
            segment.unlink()
            continue
        target = spill_path.with_name(f"{spill_path.name}.{time.time_ns()}.replay")
        segment.rename(target)
        adopted += 1
        logger.warning("Replaying the journal %s left by an earlier run (%s)", segment, target)
    return adopted


class _Segment:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.handle: IO[str] = path.open("a", encoding="utf-8")
        self.size = 0
        self.outstanding: set[str] = set()
        _fsync_folder(path.parent)


class Journal:
    """Append records durably; ``on_durable(batch_id, records)`` hears of every fsynced group."""

    def __init__(
        self, base: Path, *, on_durable: OnDurable, segment_bytes: int = 64 * 1024 * 1024
    ) -> None:
        self.base = Path(base)
        self.on_durable = on_durable
        self.segment_bytes = segment_bytes
        self.fsyncs = 0  # groups written, for tests and benchmarks
        self._cond = threading.Condition()
        self._waiting: list[tuple[list[PredictionRecord], list[str]]] = []
        self._appended = 0  # callers' sequence numbers: appended, and made durable
        self._durable = 0
        self._failed: dict[int, OSError] = {}
        self._leading = False
        self._segment: _Segment | None = None
        self._groups: dict[str, _Segment] = {}  # outstanding batch id -> its segment
        self._old: list[_Segment] = []  # rotated segments with groups still outstanding

    def append(self, records: Sequence[PredictionRecord]) -> None:
        """Return once ``records`` are fsynced. Raises ``OSError`` if they could not be."""
        batch = list(records)
        encoded = [dumps(record_to_json(r)) for r in batch]  # off the lock
        with self._cond:
            self._waiting.append((batch, encoded))
            self._appended += 1
            mine = self._appended
            while self._durable < mine:
                if self._leading:
                    self._cond.wait()
                    continue
                self._lead()
            error = self._failed.pop(mine, None)
        if error is not None:
            raise error

    def _lead(self) -> None:
        """Write and fsync everything waiting (called, and returning, with the lock held)."""
        self._leading = True
        taken, self._waiting = self._waiting, []
        first, last = self._durable + 1, self._appended
        self._cond.release()
        batch_id, records, error = new_batch_id(), [r for b, _ in taken for r in b], None
        try:
            self._write(batch_id, [line for _, encoded in taken for line in encoded])
        except OSError as failure:
            error = failure
            logger.exception("Cannot write the journal %s", self.base)
        finally:
            self._cond.acquire()
        if error is not None:
            for number in range(first, last + 1):
                self._failed[number] = error
        self._durable = last
        self._leading = False
        self._cond.notify_all()
        if error is None:
            self._cond.release()
            try:
                self.on_durable(batch_id, records)
            finally:
                self._cond.acquire()

    def _write(self, batch_id: str, encoded: list[str]) -> None:
        segment = self._current()
        head = '{"b":"' + batch_id + '","r":'
        lines = "".join(head + record + "}\n" for record in encoded)
        with self._cond:
            segment.outstanding.add(batch_id)
            self._groups[batch_id] = segment
        segment.handle.write(lines)
        segment.handle.flush()
        os.fsync(segment.handle.fileno())
        segment.size += len(lines)
        self.fsyncs += 1

    def _current(self) -> _Segment:
        """The segment to write to; only the leader calls it, so no lock is needed for it."""
        segment = self._segment
        if segment is not None and segment.size < self.segment_bytes:
            return segment
        fresh = _Segment(self.base.with_name(f"{self.base.name}.{time.time_ns()}.seg"))
        with self._cond:
            if segment is not None:
                self._retire(segment)
            self._segment = fresh
        return fresh

    def _retire(self, segment: _Segment) -> None:
        segment.handle.close()
        if segment.outstanding:
            self._old.append(segment)
        else:
            segment.path.unlink(missing_ok=True)

    def committed(self, batch_id: str) -> None:
        """Group ``batch_id`` is in the store (or spilled, or rejected): its lines may go."""
        with self._cond:
            segment = self._groups.pop(batch_id, None)
            if segment is None:
                return
            segment.outstanding.discard(batch_id)
            if segment is not self._segment and not segment.outstanding:
                self._old.remove(segment)
                segment.path.unlink(missing_ok=True)

    def close(self) -> None:
        """Close the segment in use; delete it if nothing in it is outstanding."""
        with self._cond:
            if self._segment is not None:
                self._retire(self._segment)
                self._segment = None


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
