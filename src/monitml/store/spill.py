"""The writer's append-only spill file: records that could not go to the database yet.

One JSON object per line, ``{"b": batch_id, "r": record}``. Lines of one batch are contiguous, and
the batch id is the one the database is told when the batch is finally inserted, so a batch is
inserted at most once however often it is replayed (see ``tables.write_batches``).

To replay, the file is first renamed to ``<name>.<ns>.replay`` (new records go to a fresh file),
replayed, and deleted only once every batch in it is in the database. A ``.replay`` file left by
a crash is replayed at the next start. Every append is fsynced before it returns.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

from monitml.store.encoding import dumps, record_from_json, record_to_json
from monitml.store.records import PredictionRecord

__all__ = ["SpillFile", "new_batch_id", "read_batches"]

logger = logging.getLogger(__name__)


def new_batch_id() -> str:
    """A batch id that no other writer, process or host will make."""
    return uuid.uuid4().hex


class SpillFile:
    """Append records from any thread; hand whole files over for replay. Thread-safe."""

    def __init__(self, path: Path, *, loose_batch_size: int) -> None:
        self.path = path
        self._loose_batch_size = loose_batch_size
        self._lock = threading.Lock()
        self._handle: IO[str] | None = None
        self._loose_id: str | None = None
        self._loose_count = 0
        self._after_failed_write = False
        self._has_records = path.is_file() and path.stat().st_size > 0
        self._replay_waiting = bool(self.replay_files())
        self.lines_written = 0

    def append(self, records: Sequence[PredictionRecord], batch_id: str | None = None) -> None:
        """Append records, under ``batch_id`` or (``None``) a batch of single records.

        Raises ``OSError`` when the file cannot be written; then nothing of it may be relied on.
        """
        with self._lock:
            if batch_id is None:
                # Single records from the request path share a batch until it is full or another
                # batch is written in between, so each batch's lines stay contiguous.
                if self._loose_id is None or self._loose_count >= self._loose_batch_size:
                    self._loose_id, self._loose_count = new_batch_id(), 0
                batch_id = self._loose_id
                self._loose_count += len(records)
            else:
                self._loose_id = None
            head = '{"b":"' + batch_id + '","r":'
            text = "".join(head + dumps(record_to_json(r)) + "}\n" for r in records)
            if self._after_failed_write:
                text = "\n" + text  # end a line a failed write may have left half-written
            if self._handle is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._handle = self.path.open("a", encoding="utf-8")
            try:
                self._handle.write(text)
                # On disk now: the records survive the process dying and the machine losing
                # power. It costs an fsync per append, paid only while the queue is full or
                # the database is unreachable.
                self._handle.flush()
                os.fsync(self._handle.fileno())
            except OSError:
                self._after_failed_write = True
                self._loose_id = None
                raise
            self._after_failed_write = False
            self._has_records = True
            self.lines_written += len(records)

    def has_records(self) -> bool:
        """True while some spilled record may still be waiting for replay."""
        return self._has_records or self._replay_waiting

    def replay_files(self) -> list[Path]:
        """Files already handed over for replay (and not finished), oldest first."""
        return sorted(self.path.parent.glob(self.path.name + ".*.replay"))

    def take_for_replay(self) -> list[Path]:
        """Hand the current file over for replay; return every file waiting for replay."""
        with self._lock:
            self._close_handle()
            if self._has_records and self.path.is_file():
                self.path.rename(self.path.with_name(f"{self.path.name}.{time.time_ns()}.replay"))
            self._has_records = False
            self._loose_id = None
            files = self.replay_files()
            self._replay_waiting = bool(files)
        return files

    def finished(self, path: Path) -> None:
        """Every batch of replay file ``path`` is in the database: delete the file."""
        path.unlink(missing_ok=True)
        with self._lock:
            self._replay_waiting = bool(self.replay_files())

    def close(self) -> None:
        with self._lock:
            self._close_handle()

    def _close_handle(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def read_batches(path: Path) -> Iterator[tuple[str, list[PredictionRecord]]]:
    """The batches of a spill file in order, each with its id.

    A line that does not parse (the last one, cut short by a crash or a full disk) is skipped
    with a warning: it holds at most the record being written when that happened.
    """
    batch_id: str | None = None
    records: list[PredictionRecord] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                line_batch, record = data["b"], record_from_json(data["r"])
            except (ValueError, KeyError, TypeError):
                logger.warning("Skipping unreadable line %d of spill file %s", number, path)
                continue
            if line_batch != batch_id and records:
                yield batch_id or "", records
                records = []
            batch_id = line_batch
            records.append(record)
    if records:
        yield batch_id or "", records
