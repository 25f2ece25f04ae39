"""Direct loss estimation (DLE) for regressors: a model of the model's error.

Fitted on a labelled reference, two gradient-boosting regressors (scikit-learn's
``HistGradientBoostingRegressor``) learn the absolute and the squared error from the features
and the prediction. They are grown for low bias, no early stopping: an estimate is the mean over
thousands of rows, where the row-level noise of a flexible model averages out but its bias does
not (on NannyML's car price data, early stopping at the default tree size left an error of 12.7
in MAE against 7.4 with 100 iterations of 255-leaf trees). The defaults, 50 iterations of trees
with up to 63 leaves at a learning rate of 0.25, fit four times faster with the same error
(7.5 in MAE, 8.0 in RMSE; NannyML's DLE: 9.0 and 13.6); what matters is the total step
(iterations × learning rate, here 12.5): below about 10 the models shrink towards the
reference's mean error and a shifted chunk's estimate with them. On
unlabelled data their mean over a chunk estimates the MAE, and the square root of the mean
squared one the RMSE. Like CBPE it covers covariate shift, not a change in the relation between
features and target.

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
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from monitml.errors import DataError
from monitml.estimation.base import Estimator, Frame, Rows
from monitml.estimation.features import FeatureEncoder, limited_threads, require_sklearn
from monitml.estimation.metrics import REGRESSION_METRICS, regression_errors
from monitml.estimation.result import Task

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DLE"]


@dataclass(frozen=True, slots=True)
class _Data:
    expected_absolute: NDArray[np.float64]
    expected_squared: NDArray[np.float64]
    absolute: NDArray[np.float64]  # realised, NaN where unlabelled
    squared: NDArray[np.float64]


class DLE(Estimator):
    """Estimate MAE and RMSE of a regressor without labels."""

    method = "dle"
    metrics = REGRESSION_METRICS
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
        require_sklearn()
        reference = _frame(reference)
        for column, what in ((self.target, "target"), (self.prediction, "prediction")):
            if column not in reference.columns:
                raise DataError(f"the reference has no {what} column '{column}'")
        features = (
            list(self.features)
            if self.features is not None
            else [c for c in reference.columns if c not in (self.target, self.prediction)]
        )
        self.encoder_ = FeatureEncoder.fit(reference, [*features, self.prediction])
        labelled = reference[self.target].notna().to_numpy()
        if labelled.sum() < 2:
            raise DataError(f"the reference's target column '{self.target}' has no label")
        inputs = self.encoder_.matrix(reference.loc[labelled], side="reference")
        error = _realised(reference.loc[labelled], self.target, self.prediction, "reference")
        absolute, squared = self._model(), self._model()  # loads scikit-learn's OpenMP first
        with limited_threads(self.threads):
            # One after the other: side by side in threads they took longer (6.5 s against
            # 4.2 s for both on 2 busy cores), tree building holding the GIL much of the time.
            self.absolute_model_ = absolute.fit(inputs, np.abs(error))
            self.squared_model_ = squared.fit(inputs, error**2)
        # The reference only needs its realised errors (for the sampling error), not estimates.
        return self._prepare(reference, side="reference", expected=False)

    def _model(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: PLC0415

        categorical = self.encoder_.categorical
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            learning_rate=self.learning_rate,
            categorical_features=categorical if categorical.any() else None,
            early_stopping=False,
            random_state=self.seed,
        )

    def _prepare(self, frame: Frame, side: str = "analysis", expected: bool = True) -> _Data:
        frame = _frame(frame)
        absolute = squared = np.full(len(frame), np.nan)
        if expected:
            inputs = self.encoder_.matrix(frame, side=side)
            with limited_threads(self.threads):
                absolute = np.clip(self.absolute_model_.predict(inputs), 0.0, None)
                squared = np.clip(self.squared_model_.predict(inputs), 0.0, None)
        real_abs = np.full(len(frame), np.nan)
        real_sq = np.full(len(frame), np.nan)
        if self.target in frame.columns:
            known = frame[self.target].notna().to_numpy()
            error = _realised(frame.loc[known], self.target, self.prediction, side)
            real_abs[known], real_sq[known] = np.abs(error), error**2
        return _Data(absolute, squared, real_abs, real_sq)

    def _labelled(self, data: _Data) -> NDArray[np.bool_]:
        return ~np.isnan(data.absolute)

    def _expected(self, data: _Data, rows: Rows) -> dict[str, float]:
        return regression_errors(data.expected_absolute[rows], data.expected_squared[rows])

    def _realized(self, data: _Data, rows: Rows) -> dict[str, float] | None:
        if rows.size == 0:
            return None
        return regression_errors(data.absolute[rows], data.squared[rows])


def _frame(frame: Frame) -> pd.DataFrame:
    import pandas as pd  # noqa: PLC0415

    if isinstance(frame, pd.DataFrame):
        return frame
    return pd.DataFrame({name: frame[name] for name in frame.columns})


def _realised(frame: pd.DataFrame, target: str, prediction: str, side: str) -> NDArray[np.float64]:
    import pandas as pd  # noqa: PLC0415

    for column in (target, prediction):
        # No labelled row at all (a window before its labels arrive) has nothing to check:
        # its label column is then all None, which pandas types as object.
        if len(frame) and not pd.api.types.is_numeric_dtype(frame[column]):
            raise DataError(f"column '{column}' is not numeric in the {side} data")
    truth = frame[target].to_numpy(np.float64, na_value=np.nan)
    predicted = frame[prediction].to_numpy(np.float64, na_value=np.nan)
    if np.isnan(predicted).any():
        raise DataError(f"prediction column '{prediction}' has missing values in the {side} data")
    return np.asarray(truth - predicted, dtype=np.float64)
