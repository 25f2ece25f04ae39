"""What a report over a period is drawn from: plain, JSON-ready results, no store access.

The monitor assembles a :class:`PeriodResults` (see ``monitml.monitor.period``); the report
layer only formats and draws it. Chunk and period entries are ``WindowResult.to_dict()``
payloads (each chunk with its ``alerts``), the same shape ``monitml check --json`` writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Histogram", "PeriodResults", "RocCurve", "Spread", "VersionPeriod"]


@dataclass(frozen=True, slots=True)
class Spread:
    """Quantiles of a numeric sample (residuals of one chunk)."""

    count: int
    mean: float
    p05: float
    p25: float
    p50: float
    p75: float
    p95: float


@dataclass(frozen=True, slots=True)
class Histogram:
    """Counts per bin; ``edges`` has one more entry than ``counts``."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RocCurve:
    """The ROC curve of the positive label's score, at most a few hundred points."""

    positive: str
    count: int
    auc: float | None
    fpr: tuple[float, ...]
    tpr: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class VersionPeriod:
    """One version over the period: its chunks, the whole period at once, and performance.

    ``residuals`` is aligned with ``chunks`` (``None`` where a chunk had no labelled rows).
    """

    version: str
    chunks: tuple[Mapping[str, Any], ...]
    overall: Mapping[str, Any]
    residuals: tuple[Spread | None, ...] = ()
    residual_histogram: Histogram | None = None
    roc: RocCurve | None = None


@dataclass(frozen=True, slots=True)
class PeriodResults:
    """A model over ``[start, end)`` cut in chunks, version by version, and its alerts.

    ``alert_events`` are the store's alert events in the period (``list_alert_events``
    dicts); chunk alerts live in each chunk's ``alerts``.
    """

    model: str
    task: str
    start: float
    end: float
    chunk: str
    versions: tuple[VersionPeriod, ...]
    alert_events: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    generated_at: float = 0.0
