"""The typed result of a comparison, for notebooks and for every output format."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitml.report.json import to_json
from monitml.schema import ColumnSpec
from monitml.stats.result import ColumnKind, DriftResult
from monitml.stats.samples import Sample
from monitml.stats.summaries import NumericSummary

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FORMAT", "ColumnDrift", "DriftReport"]

FORMAT = "monitml.drift/1"


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """One column's drift verdict with its role, sample sizes and chart data."""

    name: str
    kind: ColumnKind
    role: str
    result: DriftResult
    reference_count: int
    reference_missing: int
    current_count: int
    current_missing: int
    chart: dict[str, Any] | None = None

    @classmethod
    def of(
        cls,
        spec: ColumnSpec,
        result: DriftResult,
        reference: Sample | NumericSummary,
        current: Sample | None,
        chart: dict[str, Any] | None = None,
    ) -> ColumnDrift:
        """A column's verdict with the sizes of its two samples (none when current is absent)."""
        return cls(
            name=spec.name,
            kind=spec.kind,
            role=spec.role,
            result=result,
            reference_count=reference.size,
            reference_missing=reference.missing,
            current_count=current.size if current is not None else 0,
            current_missing=current.missing if current is not None else 0,
            chart=chart,
        )

    def to_dict(self) -> dict[str, Any]:
        result = self.result.to_dict()
        return {
            "kind": self.kind,
            "role": self.role,
            "method": result["method"],
            "statistic": result["statistic"],
            "p_value": result["p_value"],
            "threshold": result["threshold"],
            "drift_detected": result["drift_detected"],
            "effect_size": result["effect_size"],
            "effect_threshold": result["effect_threshold"],
            "reason": result["reason"],
            "reference": {"count": self.reference_count, "missing": self.reference_missing},
            "current": {"count": self.current_count, "missing": self.current_missing},
            "chart": self.chart,
        }


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Drift, data quality and performance of a current data set against a reference.

    Only feature columns count towards ``drift_share``; target and prediction drift are
    reported as columns with their role.
    """

    columns: dict[str, ColumnDrift]
    share_threshold: float
    quality: dict[str, Any]
    performance: dict[str, Any] | None = None
    sources: dict[str, Any] = field(default_factory=dict)
    generated_at: str = ""

    @property
    def feature_columns(self) -> list[ColumnDrift]:
        return [column for column in self.columns.values() if column.role == "feature"]

    @property
    def drifted_columns(self) -> int:
        return sum(column.result.drift_detected for column in self.feature_columns)

    @property
    def total_columns(self) -> int:
        return len(self.feature_columns)

    @property
    def drift_share(self) -> float:
        return self.drifted_columns / self.total_columns if self.total_columns else 0.0

    @property
    def dataset_drift(self) -> bool:
        return self.total_columns > 0 and self.drift_share >= self.share_threshold

    def to_dict(self) -> dict[str, Any]:
        """The versioned JSON shape (``monitml.drift/1``)."""
        return {
            "format": FORMAT,
            "generated_at": self.generated_at,
            "reference": self.sources.get("reference", {}),
            "current": self.sources.get("current", {}),
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "drifted_columns": self.drifted_columns,
            "total_columns": self.total_columns,
            "share_threshold": self.share_threshold,
            "columns": {name: column.to_dict() for name, column in self.columns.items()},
            "quality": self.quality,
            "performance": self.performance,
        }

    def to_json(self) -> str:
        return to_json(self.to_dict())

    def rows(self) -> list[dict[str, Any]]:
        """One row per column (``to_dict`` without the chart), in ``to_frame``'s order.

        Plain Python, so printing a table needs no pandas: drifted columns first, then by
        effect size and statistic, each descending with missing values last; ties keep the
        columns' order.
        """
        rows = [
            {"column": name, **{k: v for k, v in column.to_dict().items() if k != "chart"}}
            for name, column in self.columns.items()
        ]
        return sorted(
            rows,
            key=lambda row: (
                not row["drift_detected"],
                *_descending(row["effect_size"]),
                *_descending(row["statistic"]),
            ),
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per column, sorted with drifted columns and large effects first."""
        import pandas as pd  # noqa: PLC0415

        rows = [
            {"column": name, **{k: v for k, v in column.to_dict().items() if k != "chart"}}
            for name, column in self.columns.items()
        ]
        frame = pd.DataFrame(rows)
        if frame.empty:
            return frame
        for side in ("reference", "current"):
            frame[f"{side}_count"] = frame[side].map(lambda entry: entry["count"])
            frame[f"{side}_missing"] = frame[side].map(lambda entry: entry["missing"])
        frame = frame.drop(columns=["reference", "current"])
        return frame.sort_values(
            ["drift_detected", "effect_size", "statistic"],
            ascending=[False, False, False],
            na_position="last",
        ).reset_index(drop=True)

    def save_html(self, path: str | Path, *, title: str | None = None) -> Path:
        from monitml.report import render_html  # noqa: PLC0415  # Jinja2, only for HTML

        target = Path(path)
        target.write_text(render_html(self.to_dict(), title=title), encoding="utf-8")
        return target

    def save_json(self, path: str | Path) -> Path:
        target = Path(path)
        target.write_text(self.to_json(), encoding="utf-8")
        return target


def _descending(value: Any) -> tuple[bool, float]:
    """A sort key putting large values first and missing ones (None, NaN) last."""
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return (missing, 0.0 if missing else -float(value))
