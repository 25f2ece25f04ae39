"""Permutation importance of a model's features, measured once on its labelled reference.

A feature's importance is how much worse the model scores when that feature's values are
shuffled across rows (the link between the feature and everything else broken, its
distribution kept): the mean absolute error's rise for a regressor, the accuracy's fall for a
classifier, averaged over ``repeats`` seeded shuffles. A feature the model ignores scores 0; a
shuffle that happens to help can score slightly below 0, which :meth:`FeatureImportance.shares`
treats as 0.

Guaranteed: the same model, rows and seed give the same figures; each feature costs one call
of ``predict`` on ``repeats x rows`` rows (the shuffled copies stacked), never one per row.
Not guaranteed: importance says what the model relies on *on the reference*; it is not causal,
and two correlated features share (and can hide) each other's importance.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> frame = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
>>> frame["y"] = 3 * frame["a"]
>>> result = permutation_importance(
...     lambda f: 3 * f["a"].to_numpy(), frame, target="y", features=["a", "b"], task="regression"
... )
>>> result.shares()["a"], result.shares()["b"]
(1.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from monitml.errors import DataError
from monitml.estimation.features import limited_threads

__all__ = [
    "DEFAULT_IMPORTANCE_ROWS",
    "DEFAULT_REPEATS",
    "FeatureImportance",
    "PredictFunction",
    "permutation_importance",
]

PredictFunction = Callable[[pd.DataFrame], Any]
"""The model's predictions (one per row, array-like) for a frame of its feature columns."""

# A thousand rows rank a model's features stably (the shares move by a few points between
# seeds on the Ames data) at a cost of seconds even for slow models; more only costs time.
DEFAULT_IMPORTANCE_ROWS = 1_000
DEFAULT_REPEATS = 3


@dataclass(frozen=True, slots=True)
class FeatureImportance:
    """Each feature's mean score loss when shuffled, and what it was measured on."""

    importances: Mapping[str, float]
    spread: Mapping[str, float]  # standard deviation over the repeats
    metric: str  # "mae" (regression) or "accuracy" (classification)
    baseline: float  # the metric on the unshuffled rows
    rows: int
    repeats: int
    seed: int
    reference_rows: int = 0  # rows of the reference it was measured on (before sampling)
    features: tuple[str, ...] = field(default=())

    def shares(self) -> dict[str, float]:
        """Importances as shares of their total, negative ones as 0; all 0 when none is > 0."""
        positive = {name: max(value, 0.0) for name, value in self.importances.items()}
        total = sum(positive.values())
        if total <= 0:
            return dict.fromkeys(positive, 0.0)
        return {name: value / total for name, value in positive.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "permutation",
            "metric": self.metric,
            "baseline": self.baseline,
            "rows": self.rows,
            "repeats": self.repeats,
            "seed": self.seed,
            "reference_rows": self.reference_rows,
            "features": list(self.features or self.importances),
            "importances": dict(self.importances),
            "spread": dict(self.spread),
        }

    @classmethod
    def from_dict(cls, payload: Mapping[str, Any]) -> FeatureImportance:
        """The inverse of :meth:`to_dict` (a stored ``feature_importance`` monitor result)."""
        try:
            importances = {str(k): float(v) for k, v in payload["importances"].items()}
            return cls(
                importances=importances,
                spread={str(k): float(v) for k, v in (payload.get("spread") or {}).items()},
                metric=str(payload["metric"]),
                baseline=float(payload["baseline"]),
                rows=int(payload["rows"]),
                repeats=int(payload["repeats"]),
                seed=int(payload["seed"]),
                reference_rows=int(payload.get("reference_rows") or 0),
                features=tuple(str(f) for f in payload.get("features") or importances),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise DataError(f"not a feature importance payload: {error}") from error


def _label_key(values: NDArray[Any]) -> NDArray[np.str_]:
    """Class labels as text, 1.0 and 1 alike (labels come back from JSON as floats)."""
    keys = [
        str(int(v)) if isinstance(v, float) and math.isfinite(v) and v.is_integer() else str(v)
        for v in values.tolist()
    ]
    return np.asarray(keys, dtype=np.str_)


def _scorer(task: str, truth: NDArray[Any]) -> tuple[str, Callable[[NDArray[Any]], NDArray[Any]]]:
    """The metric's name and a function from predictions (repeats x rows) to the loss per
    repeat, where larger is worse (MAE; 1 - accuracy)."""
    if task == "regression":
        numbers = truth.astype(np.float64)

        def mae(predicted: NDArray[Any]) -> NDArray[Any]:
            return np.asarray(np.mean(np.abs(predicted.astype(np.float64) - numbers), axis=-1))

        return "mae", mae
    keys = _label_key(truth)

    def error_rate(predicted: NDArray[Any]) -> NDArray[Any]:
        flat = _label_key(predicted.reshape(-1)).reshape(predicted.shape)
        return np.asarray(np.mean(flat != keys, axis=-1))

    return "accuracy", error_rate


def permutation_importance(
    predict: PredictFunction,
    reference: pd.DataFrame,
    *,
    target: str,
    features: Sequence[str],
    task: str,
    repeats: int = DEFAULT_REPEATS,
    max_rows: int = DEFAULT_IMPORTANCE_ROWS,
    seed: int = 0,
    threads: int | None = 1,
) -> FeatureImportance:
    """Shuffle each feature ``repeats`` times on at most ``max_rows`` labelled rows.

    ``threads`` limits the OpenMP threads of the model's predictions (scikit-learn's boosters
    spend more spinning than working on a busy machine: 0.2 s for 3,900 Ames rows on one
    thread, 0.4-1.7 s on all at a load of 6); ``None`` leaves them alone.

    Raises :class:`~monitml.errors.DataError` without labelled rows or with a missing column.
    """
    if repeats < 1:
        raise ValueError(
            f"The 'repeats' parameter of permutation_importance must be >= 1. Got {repeats}."
        )
    missing = [c for c in (*features, target) if c not in reference.columns]
    if missing:
        raise DataError(f"the reference has no column(s) {', '.join(missing)}")
    labelled = reference[reference[target].notna()]
    if labelled.empty:
        raise DataError(f"the reference has no labelled row (column '{target}')")
    rng = np.random.default_rng(seed)
    if len(labelled) > max_rows:
        labelled = labelled.iloc[np.sort(rng.choice(len(labelled), max_rows, replace=False))]
    frame = labelled[list(features)].reset_index(drop=True)
    truth = labelled[target].to_numpy()
    with limited_threads(threads):
        return _measure(predict, frame, truth, task, repeats, rng, seed, len(reference))


def _measure(
    predict: PredictFunction,
    frame: pd.DataFrame,
    truth: NDArray[Any],
    task: str,
    repeats: int,
    rng: np.random.Generator,
    seed: int,
    reference_rows: int,
) -> FeatureImportance:
    features = list(frame.columns)
    name, loss = _scorer(task, truth)
    rows = len(frame)
    baseline = float(loss(np.asarray(predict(frame)).reshape(1, rows))[0])
    # Each feature's shuffled copies are stacked into one frame: one predict call per feature.
    stacked = pd.concat([frame] * repeats, ignore_index=True)
    importances: dict[str, float] = {}
    spread: dict[str, float] = {}
    for feature in features:
        order = np.concatenate([rng.permutation(rows) + r * rows for r in range(repeats)])
        shuffled = stacked.copy(deep=False)
        shuffled[feature] = stacked[feature].to_numpy()[order]
        predicted = np.asarray(predict(shuffled)).reshape(repeats, rows)
        drops = loss(predicted) - baseline
        importances[feature] = float(np.mean(drops))
        spread[feature] = float(np.std(drops, ddof=1)) if repeats > 1 else 0.0
    return FeatureImportance(
        importances=importances,
        spread=spread,
        metric=name,
        baseline=baseline if name == "mae" else 1.0 - baseline,
        rows=rows,
        repeats=repeats,
        seed=seed,
        reference_rows=reference_rows,
        features=tuple(features),
    )
