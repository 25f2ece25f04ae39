"""Why a window drifted, and where: one :class:`Explanation` per window or chunk.

An :class:`Explainer` is fitted once on the model's reference (its segments cut, each
segment's prediction mean, error and estimated error summed); :meth:`Explainer.explain` then
takes a window and its drift payload's columns and returns the features ranked by impact
(:mod:`monitml.explain.ranking`), the segments that moved most (:mod:`monitml.explain.moves`),
the performance per segment of the configured columns (:mod:`monitml.explain.performance`) and
one sentence saying it, e.g. ``prediction mean fell 38% in neighborhood=Edwards; top drifted
by impact: gr_liv_area, overall_qual``.

Guaranteed: the same reference, window and importance give the same explanation; a window's
cost is a few vectorised passes over its rows (one per column and signal) plus one call of the
estimator's error model. Not guaranteed: a move names *where* a signal changed, not *why*; a
segment of a column correlated with the real cause moves too.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from monitml.analysis import DriftReport
from monitml.errors import ConfigError
from monitml.explain.importance import FeatureImportance
from monitml.explain.moves import SIGNALS, SegmentMove, find_moves, signal_name
from monitml.explain.performance import SegmentPerformance, segment_metric, segment_performance
from monitml.explain.ranking import RankedFeature, rank_features
from monitml.explain.row_errors import RowErrors, realised_row_errors
from monitml.explain.segments import Kind, SegmentColumn, SegmentSums, category_text

__all__ = [
    "MAX_ESTIMATED_ROWS",
    "MAX_REFERENCE_ROWS",
    "TOP_FEATURES",
    "Explainer",
    "Explanation",
    "drift_columns",
    "summarise",
]

# The reference's segment figures are means: 100,000 rows pin them down; more only costs time.
MAX_REFERENCE_ROWS = 100_000
TOP_FEATURES = 3  # features named in the sentence
# A window's estimated errors come from at most this many of its rows (see _estimated).
MAX_ESTIMATED_ROWS = 2_000
# The sentence gives the column's typical change too when it is at least this large.
OVERALL_CONTEXT = 0.05
LABEL, PREDICTION = "label", "prediction"

Signals = dict[str, np.ndarray[Any, np.dtype[np.float64]]]


@dataclass(frozen=True, slots=True)
class Explanation:
    """What one window's explanation found; ``summary`` is its one-line text."""

    summary: str
    features: tuple[RankedFeature, ...]
    segments: tuple[SegmentMove, ...]
    performance: Mapping[str, tuple[SegmentPerformance, ...]] = field(default_factory=dict)
    metric: str = "mae"
    importance: FeatureImportance | None = None
    compute_seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        importance = self.importance
        return {
            "summary": self.summary,
            "features": [f.to_dict() for f in self.features],
            "segments": [m.to_dict() for m in self.segments],
            "segment_performance": {
                column: {"metric": self.metric, "segments": [s.to_dict() for s in rows]}
                for column, rows in self.performance.items()
            },
            "importance": None
            if importance is None
            else {
                "method": "permutation",
                "metric": importance.metric,
                "rows": importance.rows,
                "repeats": importance.repeats,
            },
            "compute_seconds": self.compute_seconds,
        }


def drift_columns(report: DriftReport) -> dict[str, dict[str, Any]]:
    """A report's columns as the drift payload has them, without charts (cheap: no to_dict)."""
    return {
        name: {
            "role": column.role,
            "method": column.result.method,
            "statistic": column.result.statistic,
            "p_value": column.result.p_value,
            "threshold": column.result.threshold,
            "effect_size": column.result.effect_size,
            "effect_threshold": column.result.effect_threshold,
            "drift_detected": column.result.drift_detected,
        }
        for name, column in report.columns.items()
    }


def _mean(values: np.ndarray[Any, np.dtype[np.float64]]) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _percent(change: float) -> str:
    return f"{abs(change) * 100:.0f}%"


def _move_text(moves: Sequence[SegmentMove], task: str, positive: str | None) -> str | None:
    """The largest prediction move and the largest error move (realised or estimated), in one
    clause when they are in the same segment. Each kind is named on its own: an error's
    relative change (from the small errors of the reference) is not comparable with a mean's."""
    shown = [m for m in (
        next((m for m in moves if m.signal == "prediction"), None),
        next((m for m in moves if m.signal != "prediction"), None),
    ) if m is not None]  # fmt: skip
    if not shown:
        return None

    def change(move: SegmentMove) -> str:
        verb = "rose" if move.change > 0 else "fell"
        text = f"{signal_name(move.signal, task, positive)} {verb} {_percent(move.change)}"
        if abs(move.typical_change) >= OVERALL_CONTEXT:  # else "fell 38%" says it all
            sign = "+" if move.typical_change > 0 else "-"
            text += f" (typical {move.column}: {sign}{_percent(move.typical_change)})"
        return text

    def where(move: SegmentMove) -> str:
        return f"in {move.column}={move.segment}"

    if len(shown) == 2 and (shown[0].column, shown[0].segment) == (
        shown[1].column,
        shown[1].segment,
    ):
        return f"{change(shown[0])} and {change(shown[1])} {where(shown[0])}"
    return "; ".join(f"{change(m)} {where(m)}" for m in shown)


def summarise(
    moves: Sequence[SegmentMove],
    features: Sequence[RankedFeature],
    *,
    task: str,
    positive: str | None = None,
    weighted: bool = True,
) -> str:
    """The one-line text: the largest segment moves, then the drifted features by impact.

    >>> move = SegmentMove("neighborhood", "Edwards", "prediction", 100.0, 62.0, -0.38, 90, 80, -9)
    >>> summarise([move], [], task="regression")
    'prediction mean fell 38% in neighborhood=Edwards'
    """
    parts = []
    moved = _move_text(moves, task, positive)
    if moved is not None:
        parts.append(moved)
    drifted = [f for f in features if f.drift_detected]
    mattering = [f.feature for f in drifted if f.impact > 0][:TOP_FEATURES]
    if mattering:
        label = "top drifted by impact" if weighted else "top drifted"
        parts.append(f"{label}: {', '.join(mattering)}")
    elif drifted:
        names = ", ".join(f.feature for f in drifted[:TOP_FEATURES])
        parts.append(f"drifted, without importance to the model: {names}")
    elif features:
        parts.append("no feature drifted")
    if not parts:
        return "no segment moved"
    return "; ".join(parts)


class Explainer:
    """Fitted on a model's reference; explains windows of its logged predictions.

    ``reference`` holds the features, ``prediction`` and (for errors) ``label``; ``segments``
    are the columns whose performance per segment is reported (each must be in the reference);
    ``row_errors`` estimates each row's error without its label (the monitor's estimator).
    """

    def __init__(
        self,
        reference: pd.DataFrame,
        *,
        features: Sequence[str],
        task: str,
        numerical: Sequence[str] = (),
        categorical: Sequence[str] = (),
        segments: Sequence[str] = (),
        row_errors: RowErrors | None = None,
        model: str = "model",
    ) -> None:
        missing = [name for name in segments if name not in reference.columns]
        if missing:
            raise ConfigError(
                f"models.{model}.segments: no column {', '.join(map(repr, missing))} "
                f"in the reference; segments must be columns of the reference and of the log"
            )
        self.task = task
        self.row_errors = row_errors
        self.segment_names = list(dict.fromkeys(segments))
        kinds: dict[str, Kind] = {n: "numerical" for n in numerical}
        kinds |= {n: "categorical" for n in categorical}
        if len(reference) > MAX_REFERENCE_ROWS:
            reference = reference.sample(MAX_REFERENCE_ROWS, random_state=0)
        names = list(dict.fromkeys([*features, *self.segment_names]))
        self.columns = {
            name: SegmentColumn.fit(name, reference[name], kinds.get(name))
            for name in names
            if name in reference.columns
        }
        self.positive = self._positive(reference)
        signals = self._signals(reference, sample=False)
        self.reference = self._sums(reference, signals)
        self.reference_means = {name: _mean(values) for name, values in signals.items()}

    def _positive(self, reference: pd.DataFrame) -> str | None:
        """A classifier's positive class: the larger of its predicted classes (as CBPE)."""
        if self.task == "regression" or PREDICTION not in reference.columns:
            return None
        classes = sorted(category_text(reference[PREDICTION]).dropna().unique().tolist())
        return str(classes[-1]) if classes else None

    def _signals(self, frame: pd.DataFrame, *, sample: bool = True) -> Signals:
        signals: Signals = {}
        if PREDICTION in frame.columns:
            if self.task == "regression":
                values = pd.to_numeric(frame[PREDICTION], errors="coerce")
                signals["prediction"] = np.asarray(values, dtype=np.float64)
            elif self.positive is not None:
                text = category_text(frame[PREDICTION])
                hit = (text == self.positive).astype("Float64").where(text.notna())
                signals["prediction"] = np.asarray(hit.to_numpy(np.float64, na_value=np.nan))
        if LABEL in frame.columns:
            signals["error"] = realised_row_errors(frame, self.task)
        if self.row_errors is not None and len(frame):
            estimated = self._estimated(frame, sample=sample)
            if np.isfinite(estimated).any():
                signals["estimated_error"] = estimated
        return signals

    def _estimated(self, frame: pd.DataFrame, *, sample: bool) -> np.ndarray[Any, Any]:
        """Each row's estimated error; past ``MAX_ESTIMATED_ROWS`` rows of a window only a
        seeded sample's (the others NaN): the error model's predictions are most of an
        explanation's cost, and a segment's estimated mean needs no more rows than that."""
        if self.row_errors is None:
            return np.full(len(frame), np.nan)
        if not sample or len(frame) <= MAX_ESTIMATED_ROWS:
            return self.row_errors(frame)
        rng = np.random.default_rng(0)
        rows = np.sort(rng.choice(len(frame), MAX_ESTIMATED_ROWS, replace=False))
        estimated = np.full(len(frame), np.nan)
        estimated[rows] = self.row_errors(frame.iloc[rows])
        return estimated

    def _sums(self, frame: pd.DataFrame, signals: Signals) -> dict[tuple[str, str], SegmentSums]:
        sums: dict[tuple[str, str], SegmentSums] = {}
        ones = np.ones(len(frame))
        for name, column in self.columns.items():
            if name not in frame.columns:
                continue
            codes = column.codes(frame[name])
            sums[(name, "rows")] = SegmentSums.of(codes, ones, column.size)
            for signal in SIGNALS:
                if signal in signals:
                    sums[(name, signal)] = SegmentSums.of(codes, signals[signal], column.size)
        return sums

    def rank(
        self,
        drift_columns: Mapping[str, Mapping[str, Any]] | None,
        *,
        importance: FeatureImportance | None = None,
    ) -> Explanation:
        """The explanation a check from summaries can give, without rows: the drifted
        features ranked by impact (drift times importance); no segment (those need rows)."""
        started = time.perf_counter()
        shares = importance.shares() if importance is not None else None
        ranked = rank_features(drift_columns or {}, shares)
        summary = summarise(
            (), ranked, task=self.task, positive=self.positive, weighted=shares is not None
        )
        return Explanation(
            summary=summary,
            features=ranked,
            segments=(),
            metric=segment_metric(self.task),
            importance=importance,
            compute_seconds=time.perf_counter() - started,
        )

    def explain(
        self,
        window: pd.DataFrame,
        drift_columns: Mapping[str, Mapping[str, Any]] | None,
        *,
        importance: FeatureImportance | None = None,
    ) -> Explanation:
        """The explanation of ``window`` given its drift payload's ``columns``."""
        started = time.perf_counter()
        signals = self._signals(window)
        current = self._sums(window, signals)
        overall = {
            name: (self.reference_means[name], _mean(values))
            for name, values in signals.items()
            if name in self.reference_means
        }
        moves = find_moves(
            self.columns,
            self.reference,
            {key: sums for key, sums in current.items() if key[1] != "rows"},
            overall=overall,
        )
        shares = importance.shares() if importance is not None else None
        ranked = rank_features(drift_columns or {}, shares)
        performance = {
            name: segment_performance(
                self.columns[name],
                self.task,
                rows=current[(name, "rows")],
                prediction=current.get((name, "prediction")),
                error=current.get((name, "error")),
                estimated=current.get((name, "estimated_error")),
                reference_error=self.reference.get((name, "error")),
            )
            for name in self.segment_names
            if (name, "rows") in current
        }
        summary = summarise(
            moves, ranked, task=self.task, positive=self.positive, weighted=shares is not None
        )
        return Explanation(
            summary=summary,
            features=ranked,
            segments=moves,
            performance=performance,
            metric=segment_metric(self.task),
            importance=importance,
            compute_seconds=time.perf_counter() - started,
        )
