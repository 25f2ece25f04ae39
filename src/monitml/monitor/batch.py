"""Batch monitoring: the same signals as the online monitor, per chunk of stored logs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from monitml.monitor.chunks import ChunkSpec, split_chunks
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.result import WindowResult
from monitml.store import PredictionStore

__all__ = ["CHECK_FORMAT", "BatchCheck", "ChunkAlert", "run_check"]

CHECK_FORMAT = "monitml.check/1"

Sample = tuple[str, dict[str, str], float]
# Given one chunk's samples, the names of the alert rules whose condition holds.
AlertJudge = Callable[[list[Sample]], list[str]]


@dataclass(frozen=True, slots=True)
class ChunkAlert:
    chunk: int
    rule: str


@dataclass(frozen=True, slots=True)
class BatchCheck:
    """Per-chunk results of one model over a time range, and the alerts they raise."""

    model: str
    version: str | None
    start: float
    end: float
    chunk: ChunkSpec
    results: list[WindowResult]
    alerts: list[ChunkAlert] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        chunks = []
        for index, result in enumerate(self.results):
            entry = result.to_dict()
            entry["alerts"] = [a.rule for a in self.alerts if a.chunk == index]
            chunks.append(entry)
        return {
            "format": CHECK_FORMAT,
            "model": self.model,
            "version": self.version,
            "from": self.start,
            "to": self.end,
            "chunk": self.chunk.describe(),
            "chunks": chunks,
            "alerts": len(self.alerts),
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
) -> BatchCheck:
    """Score every chunk of ``[start, end)``; alerts come from ``judge`` and dataset drift.

    Without rules, a chunk whose dataset drifted raises the built-in ``DatasetDrift`` alert.
    """
    frame = store.read_window(monitor.model, version, start=start, end=end)
    label = version or "all"
    results: list[WindowResult] = []
    alerts: list[ChunkAlert] = []
    for index, (lower, upper, part) in enumerate(split_chunks(frame, chunk, start=start, end=end)):
        result = monitor.evaluate(part, label, window_start=lower, window_end=upper)
        results.append(result)
        samples = result.metrics()
        fired = judge(samples) if judge is not None else []
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
                    "version": label,
                    "kind": "chunk",
                    "run_at": time.time(),
                    "window_start": lower,
                    "window_end": upper,
                    "payload": result.to_dict(),
                }
            )
    return BatchCheck(monitor.model, version, start, end, chunk, results, alerts)
