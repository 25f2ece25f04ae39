"""Confidence-based performance estimation (CBPE) for classifiers that output scores.

Fitted on a labelled reference, it calibrates each class's score (isotonic, kept only where a
held-out check shows it helps: see ``monitml.estimation.calibration``). On unlabelled data the
calibrated score of a row is the chance that the row belongs to the class, so the expected
confusion matrix of a chunk — and every metric built on it — needs no label. It assumes the
relation between score and outcome holds (no concept drift); covariate shift is what it covers.

Binary: one score column, the positive class being the larger of the two labels (1, True) unless
``positive`` says otherwise. Multiclass: one score column per class; metrics are macro averages.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> score = rng.random(4000)
>>> frame = pd.DataFrame({"y": (rng.random(4000) < score).astype(int), "p": score})
>>> frame["pred"] = (frame["p"] >= 0.5).astype(int)
>>> cbpe = CBPE(target="y", prediction="pred", scores="p").fit(frame.iloc[:2000])
>>> result = cbpe.estimate(frame.iloc[2000:].drop(columns="y"), chunk="1000rows")
>>> [round(c.metrics["accuracy"].estimated, 2) for c in result.chunks]
[0.75, 0.75]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from monitml.errors import DataError
from monitml.estimation.base import Estimator, Frame, Rows
from monitml.estimation.calibration import Calibrator, fit_calibrator
from monitml.estimation.metrics import (
    CLASSIFICATION_METRICS,
    binary_from_sums,
    binary_metrics,
    binary_sums,
    multiclass_from_sums,
    multiclass_metrics,
    multiclass_sums,
)
from monitml.estimation.result import Task

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CBPE"]


@dataclass(frozen=True, slots=True)
class _Data:
    scores: NDArray[np.float64]  # (rows, classes) raw scores; one column for binary
    probabilities: NDArray[np.float64]  # calibrated, same shape
    predicted: NDArray[np.int_]  # class index (binary: 1 = positive)
    labels: NDArray[np.float64]  # class index, NaN where unlabelled


class CBPE(Estimator):
    """Estimate accuracy, precision, recall, F1, specificity and ROC AUC without labels."""

    method = "cbpe"
    metrics = CLASSIFICATION_METRICS
    # Ratios of expected confusion counts; ROC AUC needs every row's score.
    summed_metrics = tuple(name for name in CLASSIFICATION_METRICS if name != "roc_auc")
    bounded = True

    def __init__(
        self,
        *,
        target: str,
        prediction: str,
        scores: str | Sequence[str] | Mapping[Any, str],
        task: Task | None = None,
        positive: Any = None,
        sigmas: float = 3.0,
        bootstrap: int = 50,
        seed: int = 0,
    ) -> None:
        super().__init__(sigmas=sigmas, bootstrap=bootstrap, seed=seed)
        self.target = target
        self.prediction = prediction
        self.scores = scores
        self.positive = positive
        self._task = task

    @property
    def task(self) -> Task:
        return self._task or "binary"

    def _fit(self, reference: Frame) -> _Data:
        if self.target not in reference.columns:
            raise DataError(
                f"the reference has no target column '{self.target}': CBPE needs labels"
            )
        uniques = _distinct_labels(reference, self.target)
        if len(uniques) == 0:
            raise DataError(f"the reference's target column '{self.target}' has no label")
        classes = sorted(uniques, key=_sort_key)
        if self._task is None:
            self._task = "binary" if len(classes) <= 2 else "multiclass"
        if self._task == "regression":
            raise DataError("CBPE estimates classifiers; use DLE for a regression")
        if self._task == "binary":
            if len(classes) != 2:
                raise DataError(
                    f"a binary target needs 2 classes in the reference, found {len(classes)}"
                )
            positive = classes[-1] if self.positive is None else self.positive
            if _key(positive) not in {_key(c) for c in classes}:
                raise DataError(f"positive class {positive!r} is not a class of '{self.target}'")
            negative = next(c for c in classes if _key(c) != _key(positive))
            self.classes_: list[Any] = [negative, positive]
        else:
            self.classes_ = list(classes)
        self.score_columns_ = self._score_columns()
        data = self._arrays(reference, calibrated=False, side="reference")
        labelled = ~np.isnan(data.labels)
        self.calibrators_: list[Calibrator] = []
        for k, column in enumerate(range(data.scores.shape[1])):
            target = (data.labels[labelled] == (1 if self._task == "binary" else k)).astype(float)
            self.calibrators_.append(
                fit_calibrator(data.scores[labelled, column], target, seed=self.seed)
            )
        return self._arrays(reference, calibrated=True, side="reference")

    def _prepare(self, frame: Frame) -> _Data:
        return self._arrays(frame, calibrated=True, side="analysis")

    def _labelled(self, data: _Data) -> NDArray[np.bool_]:
        return ~np.isnan(data.labels)

    def _score_columns(self) -> list[str]:
        given = self.scores
        if isinstance(given, str):
            given = [given]
        if isinstance(given, Mapping):
            by_key = {_key(name): column for name, column in given.items()}
            unknown = sorted(set(by_key) - {_key(c) for c in self.classes_})
            if unknown:
                raise DataError(f"--scores: no class {', '.join(unknown)} in '{self.target}'")
            if self._task == "binary":
                positive = _key(self.classes_[1])
                if positive not in by_key:
                    raise DataError(f"--scores: no score column for the positive class {positive}")
                return [by_key[positive]]
            missing = [_key(c) for c in self.classes_ if _key(c) not in by_key]
            if missing:
                raise DataError(f"--scores: no score column for class(es) {', '.join(missing)}")
            return [by_key[_key(c)] for c in self.classes_]
        columns = list(given)
        if self._task == "binary":
            if len(columns) == 2:
                return [columns[1]]  # in class order: the positive class's score
            if len(columns) != 1:
                raise DataError(f"a binary classifier needs one score column, got {len(columns)}")
            return columns
        if len(columns) != len(self.classes_):
            raise DataError(
                f"--scores: {len(columns)} score column(s) for {len(self.classes_)} classes "
                f"({', '.join(_key(c) for c in self.classes_)}); name them CLASS=COLUMN"
            )
        return columns

    def _arrays(self, frame: Frame, *, calibrated: bool, side: str) -> _Data:
        for column in (*self.score_columns_, self.prediction):
            if column not in frame.columns:
                what = "score" if column in self.score_columns_ else "prediction"
                raise DataError(f"the {side} data has no {what} column '{column}'")
        scores = np.column_stack(
            [_numbers(frame[column], column, side) for column in self.score_columns_]
        )
        index = {_key(c): i for i, c in enumerate(self.classes_)}
        predicted = _class_index(frame[self.prediction], index, self.prediction, side)
        labels = np.full(len(frame), np.nan)
        if self.target in frame.columns:
            target = frame[self.target]
            known = _known(target)
            labels[known] = _class_index(target[known], index, self.target, side).astype(float)
        probabilities = scores
        if calibrated:
            probabilities = np.column_stack(
                [cal(scores[:, k]) for k, cal in enumerate(self.calibrators_)]
            )
            if self._task == "multiclass":
                totals = probabilities.sum(axis=1, keepdims=True)
                even = np.full_like(probabilities, 1.0 / probabilities.shape[1])
                probabilities = np.where(
                    totals > 0, probabilities / np.where(totals > 0, totals, 1), even
                )
        return _Data(scores, probabilities, predicted, labels)

    @property
    def input_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.score_columns_, self.prediction, self.target]))

    def _expected_sums(self, data: _Data, rows: Rows) -> dict[str, float]:
        return self._sums(data.probabilities[rows], data.predicted[rows])

    def _sums(
        self, probabilities: NDArray[np.float64], predicted: NDArray[np.int_]
    ) -> dict[str, float]:
        if self._task == "binary":
            return binary_sums(probabilities[:, 0], predicted)
        return multiclass_sums(probabilities, predicted)

    def _from_sums(self, sums: dict[str, float]) -> dict[str, float]:
        if self._task == "binary":
            return binary_from_sums(sums)
        return multiclass_from_sums(sums, len(self.classes_))

    def _expected(self, data: _Data, rows: Rows) -> dict[str, float]:
        return self._metrics(data.probabilities[rows], data.predicted[rows], data.scores[rows])

    def _realized(self, data: _Data, rows: Rows) -> dict[str, float] | None:
        if rows.size == 0:
            return None
        return self._metrics(self._truth(data, rows), data.predicted[rows], data.scores[rows])

    def _realized_summed(self, data: _Data, rows: Rows) -> dict[str, float] | None:
        # The labels as certain probabilities: the same ratios as ``_realized``'s, no ROC AUC.
        if rows.size == 0:
            return None
        return self._from_sums(self._sums(self._truth(data, rows), data.predicted[rows]))

    def _truth(self, data: _Data, rows: Rows) -> NDArray[np.float64]:
        """The labels of ``rows`` as the probabilities of a certain classifier."""
        labels = data.labels[rows].astype(np.int_)
        if self._task == "binary":
            return labels.astype(np.float64)[:, None]
        truth = np.zeros((rows.size, len(self.classes_)))
        truth[np.arange(rows.size), labels] = 1.0
        return truth

    def _metrics(
        self,
        probabilities: NDArray[np.float64],
        predicted: NDArray[np.int_],
        scores: NDArray[np.float64],
    ) -> dict[str, float]:
        if self._task == "binary":
            return binary_metrics(probabilities[:, 0], predicted, scores[:, 0])
        return multiclass_metrics(probabilities, predicted, scores)

    def _reference_summary(self) -> dict[str, Any]:
        summary = super()._reference_summary()
        summary["classes"] = [_key(c) for c in self.classes_]
        summary["calibration"] = [
            {
                "calibrated": cal.calibrated,
                "raw_ece": cal.raw_ece,
                "calibrated_ece": cal.calibrated_ece,
                "brier_change": cal.brier_change,
            }
            for cal in self.calibrators_
        ]
        return summary


def _key(value: Any) -> str:
    """Classes compared by their text, so ``--scores 1=p1`` matches an integer label 1."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.generic):
        return _key(value.item())
    return str(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float | np.number) else (1, str(value))


def _distinct_labels(frame: Frame, column: str) -> list[Any]:
    values = frame[column]
    if isinstance(values, np.ndarray):  # numeric Columns
        return list(_unique(values[_known(values)])[0])
    import pandas as pd  # noqa: PLC0415

    return list(pd.unique(values.dropna()))


def _known(values: pd.Series | NDArray[Any]) -> NDArray[np.bool_]:
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            return np.asarray(~np.isnan(values))
        return np.ones(len(values), dtype=bool)
    return np.asarray(values.notna().to_numpy(), dtype=bool)


def _numbers(series: pd.Series | NDArray[Any], column: str, side: str) -> NDArray[np.float64]:
    if isinstance(series, np.ndarray):
        if series.dtype.kind not in "biuf":
            raise DataError(f"score column '{column}' is not numeric in the {side} data")
        values = series.astype(np.float64)
    else:
        import pandas as pd  # noqa: PLC0415

        if not pd.api.types.is_numeric_dtype(series):
            raise DataError(f"score column '{column}' is not numeric in the {side} data")
        values = series.to_numpy(np.float64, na_value=np.nan)
    missing = int(np.isnan(values).sum())
    if missing:
        raise DataError(
            f"score column '{column}' has {missing} missing value(s) in the {side} data"
        )
    return values


def _class_index(
    series: pd.Series | NDArray[Any], index: dict[str, int], column: str, side: str
) -> NDArray[np.int_]:
    codes, uniques = _factorize(series)  # classes are few: map each distinct value once
    if (codes < 0).any():
        raise DataError(f"column '{column}' has missing values in the {side} data")
    lookup = np.array([index.get(_key(value), -1) for value in uniques], dtype=np.int_)
    if (lookup < 0).any():
        unknown = sorted(
            _key(value) for value, code in zip(uniques, lookup, strict=True) if code < 0
        )
        raise DataError(
            f"column '{column}' in the {side} data holds values that are no class of the "
            f"reference target: {', '.join(unknown[:3])}"
        )
    return np.asarray(lookup[codes], dtype=np.int_)


def _factorize(values: pd.Series | NDArray[Any]) -> tuple[NDArray[np.intp], Any]:
    """Codes (-1 where missing) and the distinct values, as ``pandas.factorize``."""
    if isinstance(values, np.ndarray):
        missing = ~_known(values)
        uniques, codes = _unique(values[~missing])
        full = np.full(len(values), -1, dtype=np.intp)
        full[~missing] = codes
        return full, uniques
    import pandas as pd  # noqa: PLC0415

    return pd.factorize(values)


def _unique(values: NDArray[Any]) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """Sorted distinct values and each row's index among them.

    Integers and bools spanning a small range are counted, not sorted (``np.unique`` sorts:
    0.2 s of a classifier's estimate on 280,000 rows).
    """
    if values.dtype.kind in "biu" and values.size:
        numbers = values.astype(np.int64)
        low = int(numbers.min())
        span = int(numbers.max()) - low + 1
        if span <= 1_000_000:
            offsets = numbers - low
            present = np.bincount(offsets, minlength=span) > 0
            position = np.cumsum(present) - 1
            uniques = (np.flatnonzero(present) + low).astype(values.dtype)
            return uniques, position[offsets].astype(np.intp)
    uniques, codes = np.unique(values, return_inverse=True)
    return uniques, codes.astype(np.intp).reshape(-1)
