"""Batch monitoring: the same signals as the online monitor, per chunk of stored logs.

Like the online monitor, a check treats each model version on its own: without a ``version``
every version with rows in the range gets its own chunks, scored and stored under its name.

JSON (``monitml.check/1``): ``version`` is the version asked for (``null`` for all of them),
``versions`` lists the versions checked, and ``chunks`` is one flat list ordered by version and
then by time, each chunk naming its ``version`` (as every monitor result does) with its
``alerts``; ``alerts`` at the top counts them all.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from monitml.monitor.chunks import ChunkSpec, split_chunks
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.result import WindowResult
from monitml.store import PredictionStore

__all__ = [
    "CHECK_FORMAT",
    "BatchCheck",
    "ChunkAlert",
    "finish_check",
    "run_check",
    "split_versions",
]

CHECK_FORMAT = "monitml.check/1"

Sample = tuple[str, dict[str, str], float]
# Given one chunk's samples, the names of the alert rules whose condition holds.
AlertJudge = Callable[[list[Sample]], list[str]]


@dataclass(frozen=True, slots=True)
class ChunkAlert:
    """Rule ``rule`` held on ``BatchCheck.results[chunk]``."""

    chunk: int
    rule: str


@dataclass(frozen=True, slots=True)
class BatchCheck:
    """Per-chunk results of one model over a time range, and the alerts they raise.

    ``results`` holds every version's chunks, version by version, each in time order.
    """

    model: str
    version: str | None
    start: float
    end: float
    chunk: ChunkSpec
    results: list[WindowResult]
    alerts: list[ChunkAlert] = field(default_factory=list)

    @property
    def versions(self) -> list[str]:
        """The versions checked, in the order of ``results``."""
        return list(dict.fromkeys(result.version for result in self.results))

    def alerts_of(self, index: int) -> list[str]:
        """The rules that held on chunk ``index`` of ``results``."""
        return [a.rule for a in self.alerts if a.chunk == index]

    def to_dict(self) -> dict[str, Any]:
        chunks = []
        for index, result in enumerate(self.results):
            entry = result.to_dict()
            entry["alerts"] = self.alerts_of(index)
            chunks.append(entry)
        return {
            "format": CHECK_FORMAT,
            "model": self.model,
            "version": self.version,
            "versions": self.versions,
            "from": self.start,
            "to": self.end,
            "chunk": self.chunk.describe(),
            "chunks": chunks,
            "alerts": len(self.alerts),
        }


def split_versions(frame: pd.DataFrame, version: str | None) -> dict[str, pd.DataFrame]:
    """The rows of each version (only ``version``'s when given), versions in sorted order."""
    if version is not None:
        return {version: frame}
    if frame.empty or "version" not in frame.columns:
        return {}
    return {
        str(name): part.reset_index(drop=True)
        for name, part in sorted(frame.groupby("version", sort=False), key=lambda g: str(g[0]))
    }


def run_check(
    store: PredictionStore,
    monitor: ModelMonitor,
    *,
    start: float,
    end: float,
    chunk: ChunkSpec,
    version: str | None = None,
    judge: AlertJudge | None = None,
    save: bool = True,
    frame: pd.DataFrame | None = None,
) -> BatchCheck:
    """Score every chunk of ``[start, end)`` of each version; alerts come from ``judge`` and
    dataset drift.

    Without rules, a chunk whose dataset drifted raises the built-in ``DatasetDrift`` alert.
    With ``save``, each chunk is stored as a monitor result of kind ``chunk`` under its
    version. ``frame`` is the window already read from ``store`` (to read it once).
    """
    if frame is None:
        frame = store.read_window(monitor.model, version, start=start, end=end)
    results = (
        monitor.evaluate(part, name, window_start=lower, window_end=upper)
        for name, rows in split_versions(frame, version).items()
        for lower, upper, part in split_chunks(rows, chunk, start=start, end=end)
    )
    return finish_check(
        store, monitor, results, start=start, end=end, chunk=chunk, version=version,
        judge=judge, save=save,
    )  # fmt: skip


def finish_check(
    store: PredictionStore,
    monitor: ModelMonitor,
    results: Iterable[WindowResult],
    *,
    start: float,
    end: float,
    chunk: ChunkSpec,
    version: str | None = None,
    judge: AlertJudge | None = None,
    save: bool = True,
) -> BatchCheck:
    """The alerts of each chunk's result (``judge`` and dataset drift), each result stored
    with ``save``: what every check does once its chunks are scored, from rows or summaries."""
    kept: list[WindowResult] = []
    alerts: list[ChunkAlert] = []
    for result in results:
        index = len(kept)
        kept.append(result)
        fired = judge(result.metrics()) if judge is not None else []
        if (
            result.report is not None
            and result.report.dataset_drift
            and "DatasetDrift" not in fired
        ):
            fired.append("DatasetDrift")
        alerts.extend(ChunkAlert(index, rule) for rule in fired)
        if save:
            store.save_monitor_result(
                {
                    "model": monitor.model,
                    "version": result.version,
                    "kind": "chunk",
                    "run_at": time.time(),
                    "window_start": result.window_start,
                    "window_end": result.window_end,
                    "payload": result.to_dict(),
                }
            )
    return BatchCheck(monitor.model, version, start, end, chunk, kept, alerts)
