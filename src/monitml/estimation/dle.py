"""Direct loss estimation (DLE) for regressors: a model of the model's error.

Fitted on a labelled reference, two gradient-boosting regressors (LightGBM, through its C
library: ``monitml.estimation.boosting``) learn the absolute and the squared error from the
features and the prediction. They are grown for low bias, no early stopping: an estimate is the
mean over thousands of rows, where the row-level noise of a flexible model averages out but its
bias does not. The defaults, 50 iterations of trees with up to 63 leaves at a learning rate of
0.25, were chosen with scikit-learn's gradient boosting (what matters is the total step,
iterations × learning rate, here 12.5: below about 10 the models shrink towards the reference's
mean error, and a shifted chunk's estimate with them) and kept with LightGBM: on NannyML's car
price data its errors against the realised values are 7.2 in MAE and 9.1 in RMSE (NannyML's
DLE, LightGBM at its defaults: 9.0 and 13.6). One thread by default. On unlabelled data the
models' mean over a chunk estimates the MAE, and the square root of the mean squared one the
RMSE. Like CBPE it covers covariate shift, not a change in the relation between features and
target.

>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=6000)
>>> frame = pd.DataFrame({"x": x, "y": x + rng.normal(size=6000) * (1 + (x > 0)), "pred": x})
>>> dle = DLE(target="y", prediction="pred", features=["x"]).fit(frame.iloc[:4000])
>>> current = frame.iloc[4000:][lambda f: f["x"] > 0]  # only rows where errors are large
>>> round(dle.estimate(current, chunk="5000rows").chunks[0].metrics["mae"].estimated, 1)
1.6
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
from numpy.typing import NDArray

from monitml.errors import DataError
from monitml.estimation.base import Estimator, Frame, Rows
from monitml.estimation.boosting import BoostedTrees, require_lightgbm, side_by_side
from monitml.estimation.columns import Columns
from monitml.estimation.features import FeatureEncoder
from monitml.estimation.metrics import (
    REGRESSION_METRICS,
    regression_errors,
    regression_from_sums,
    regression_sums,
)
from monitml.estimation.result import Task

__all__ = ["DLE"]


@dataclass(frozen=True, slots=True)
class _Data:
    expected_absolute: NDArray[np.float64]
    expected_squared: NDArray[np.float64]
    absolute: NDArray[np.float64]  # realised, NaN where unlabelled
    squared: NDArray[np.float64]


class DLE(Estimator):
    """Estimate MAE and RMSE of a regressor without labels.

    Each error model is ``max_iter`` trees of at most ``max_leaf_nodes`` leaves (LightGBM's
    ``num_iterations`` and ``num_leaves``) on ``threads`` threads (``None``: OpenMP's default).
    """

    method = "dle"
    metrics = REGRESSION_METRICS
    summed_metrics = REGRESSION_METRICS  # means of per-row errors: both are ratios of sums
    bounded = False

    def __init__(
        self,
        *,
        target: str,
        prediction: str,
        features: Sequence[str] | None = None,
        max_iter: int = 50,
        max_leaf_nodes: int = 63,
        learning_rate: float = 0.25,
        threads: int | None = 1,
        sigmas: float = 3.0,
        bootstrap: int = 50,
        seed: int = 0,
    ) -> None:
        super().__init__(sigmas=sigmas, bootstrap=bootstrap, seed=seed)
        self.target = target
        self.prediction = prediction
        self.features = features
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.learning_rate = learning_rate
        self.threads = threads

    @property
    def task(self) -> Task:
        return "regression"

    def _fit(self, reference: Frame) -> _Data:
        require_lightgbm()
        for column, what in ((self.target, "target"), (self.prediction, "prediction")):
            if column not in reference.columns:
                raise DataError(f"the reference has no {what} column '{column}'")
        features = (
            list(self.features)
            if self.features is not None
            else [c for c in reference.columns if c not in (self.target, self.prediction)]
        )
        self.encoder_ = FeatureEncoder.fit(reference, [*features, self.prediction])
        truth = _numbers(reference, self.target, "reference")
        labelled = ~np.isnan(truth)
        if labelled.sum() < 2:
            raise DataError(f"the reference's target column '{self.target}' has no label")
        error = _errors(reference, truth, labelled, self.prediction, "reference")
        inputs = self.encoder_.matrix(reference, side="reference")[labelled]
        # Side by side, one OpenMP thread each: on two busy cores two OpenMP threads made the
        # fits 25-45 times slower (12.7 s against 0.48 s at load 3).
        self.absolute_model_, self.squared_model_ = BoostedTrees.fit_many(
            inputs,
            [np.abs(error), error**2],
            categorical=self.encoder_.categorical,
            iterations=self.max_iter,
            leaves=self.max_leaf_nodes,
            learning_rate=self.learning_rate,
            threads=self._threads,
            seed=self.seed,
        )
        # The reference only needs its realised errors (for the sampling error), not estimates.
        return self._prepare(reference, side="reference", expected=False)

    @property
    def _threads(self) -> int:
        return 0 if self.threads is None else self.threads  # 0: LightGBM's (OpenMP's) default

    def _prepare(self, frame: Frame, side: str = "analysis", expected: bool = True) -> _Data:
        absolute = squared = np.full(len(frame), np.nan)
        if expected:
            inputs = self.encoder_.matrix(frame, side=side)
            models = (self.absolute_model_, self.squared_model_)
            predictions = side_by_side(  # a thread each, as they were fitted
                [partial(model.predict, inputs, threads=self._threads) for model in models]
            )
            absolute, squared = (np.clip(values, 0.0, None) for values in predictions)
        real_abs = np.full(len(frame), np.nan)
        real_sq = np.full(len(frame), np.nan)
        if self.target in frame.columns:
            truth = _numbers(frame, self.target, side)
            known = ~np.isnan(truth)
            if known.any():
                error = _errors(frame, truth, known, self.prediction, side)
                real_abs[known], real_sq[known] = np.abs(error), error**2
        return _Data(absolute, squared, real_abs, real_sq)

    def _labelled(self, data: _Data) -> NDArray[np.bool_]:
        return ~np.isnan(data.absolute)

    @property
    def input_columns(self) -> tuple[str, ...]:
        return (*self.encoder_.columns, self.target)

    def _expected_sums(self, data: _Data, rows: Rows) -> dict[str, float]:
        return regression_sums(data.expected_absolute[rows], data.expected_squared[rows])

    def _from_sums(self, sums: dict[str, float]) -> dict[str, float]:
        return regression_from_sums(sums)

    def _expected(self, data: _Data, rows: Rows) -> dict[str, float]:
        return self._from_sums(self._expected_sums(data, rows))

    def _realized(self, data: _Data, rows: Rows) -> dict[str, float] | None:
        if rows.size == 0:
            return None
        return regression_errors(data.absolute[rows], data.squared[rows])


def _numbers(frame: Frame, column: str, side: str) -> NDArray[np.float64]:
    """The column as floats (NaN: missing); text is refused unless every value is missing.

    A window whose labels have not arrived has an all-None label column, which pandas types as
    object: with nothing to check, it is all missing.
    """
    if isinstance(frame, Columns):
        labels = frame.text(column)
        if labels is None:
            return np.asarray(frame[column], dtype=np.float64)
        present = bool((labels.codes >= 0).any())
    else:
        import pandas as pd  # noqa: PLC0415

        series = frame[column]
        if pd.api.types.is_numeric_dtype(series):
            return series.to_numpy(np.float64, na_value=np.nan)
        present = bool(series.notna().any())
    if present:
        raise DataError(f"column '{column}' is not numeric in the {side} data")
    return np.full(len(frame), np.nan)


def _errors(
    frame: Frame, truth: NDArray[np.float64], rows: NDArray[np.bool_], prediction: str, side: str
) -> NDArray[np.float64]:
    """Target minus prediction on ``rows`` (those with a label); refuses a missing prediction."""
    predicted = _numbers(frame, prediction, side)[rows]
    if np.isnan(predicted).any():
        raise DataError(f"prediction column '{prediction}' has missing values in the {side} data")
    return np.asarray(truth[rows] - predicted, dtype=np.float64)
