"""The typed result of a performance estimate: one entry per chunk and metric.

Each metric of a chunk carries the estimate, its sampling-error band (``lower``/``upper``: the
estimate ± ``sigmas`` standard errors at the chunk's size), the realised value when the chunk
has labels, and NannyML-style thresholds — the reference's realised value ± the same band —
with an alert when the estimate leaves them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from monitml.report import to_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMAT", "ChunkEstimate", "EstimationResult", "MetricEstimate", "Task"]

FORMAT = "monitml.estimate/1"
Task = Literal["binary", "multiclass", "regression"]


def _number(value: float | None) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class MetricEstimate:
    """One metric of one chunk."""

    estimated: float
    lower: float
    upper: float
    realized: float | None
    sampling_error: float
    lower_threshold: float | None = None
    upper_threshold: float | None = None

    @property
    def alert(self) -> bool:
        """True when the estimate falls outside the reference thresholds."""
        if not math.isfinite(self.estimated):
            return False
        low, high = self.lower_threshold, self.upper_threshold
        return (low is not None and self.estimated < low) or (
            high is not None and self.estimated > high
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "estimated": _number(self.estimated),
            "lower": _number(self.lower),
            "upper": _number(self.upper),
            "realized": _number(self.realized),
            "sampling_error": _number(self.sampling_error),
            "lower_threshold": _number(self.lower_threshold),
            "upper_threshold": _number(self.upper_threshold),
            "alert": self.alert,
        }


@dataclass(frozen=True, slots=True)
class ChunkEstimate:
    """A chunk's place (row positions, end exclusive, or ISO times) and its metrics."""

    index: int
    start: int | str
    end: int | str
    rows: int
    labelled_rows: int
    metrics: dict[str, MetricEstimate]

    def estimates(self) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
        """The finite estimates by metric, and each one's band (lower, upper) where finite:
        a monitor result's ``estimated`` and ``estimated_bands``."""
        finite = {n: m for n, m in self.metrics.items() if math.isfinite(m.estimated)}
        bands = {
            name: (float(metric.lower), float(metric.upper))
            for name, metric in finite.items()
            if math.isfinite(metric.lower) and math.isfinite(metric.upper)
        }
        return {name: metric.estimated for name, metric in finite.items()}, bands

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start": self.start,
            "end": self.end,
            "rows": self.rows,
            "labelled_rows": self.labelled_rows,
            "metrics": {name: metric.to_dict() for name, metric in self.metrics.items()},
        }


@dataclass(frozen=True, slots=True)
class EstimationResult:
    """Estimated (and, where labels exist, realised) performance per chunk, in order."""

    task: Task
    method: str
    chunking: str
    sigmas: float
    chunks: tuple[ChunkEstimate, ...]
    reference: dict[str, Any] = field(default_factory=dict)

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(self.chunks[0].metrics) if self.chunks else ()

    @property
    def alerts(self) -> list[tuple[int, str]]:
        """``(chunk index, metric)`` for every estimate outside its thresholds."""
        return [
            (chunk.index, name)
            for chunk in self.chunks
            for name, metric in chunk.metrics.items()
            if metric.alert
        ]

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON shape (``monitml.estimate/1``)."""
        return {
            "format": FORMAT,
            "task": self.task,
            "method": self.method,
            "chunking": self.chunking,
            "band": {"sigmas": self.sigmas},
            "reference": self.reference,
            "chunks": [chunk.to_dict() for chunk in self.chunks],
        }

    def to_json(self) -> str:
        return to_json(self.to_dict())

    def to_frame(self) -> pd.DataFrame:
        """One row per chunk and metric, in chunk order."""
        import pandas as pd  # noqa: PLC0415  # the CLI's classifier path runs without it

        rows = [
            {
                "chunk": chunk.index,
                "start": chunk.start,
                "end": chunk.end,
                "rows": chunk.rows,
                "metric": name,
                **metric.to_dict(),
            }
            for chunk in self.chunks
            for name, metric in chunk.metrics.items()
        ]
        return pd.DataFrame(rows)

    def save_json(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(self.to_json(), encoding="utf-8")
        return target

    def save_html(self, path: str | Path, *, title: str | None = None) -> Path:
        from monitml.estimation.html import render_estimate_html  # noqa: PLC0415

        target = Path(path)
        target.write_text(render_estimate_html(self.to_dict(), title=title), encoding="utf-8")
        return target
