"""The Ames housing story for explanations: a model trained on the 2006–2007 sales, its
reference (with the model's predictions and the prices) and the 2008–2010 sales as traffic."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pytest

from monitml.demo.models import (
    AMES_CATEGORICAL,
    AMES_NUMERICAL,
    AMES_TARGET,
    load_ames,
    split_ames,
    train_house_price_model,
)
from monitml.estimation.features import limited_threads

FEATURES = AMES_CATEGORICAL + AMES_NUMERICAL


@dataclass(frozen=True)
class Ames:
    model: Any
    reference: pd.DataFrame  # features, prediction, sale_price
    traffic: pd.DataFrame  # features, prediction, label (the price), as the log has them

    def predict(self, frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.asarray(self.model.predict(frame[FEATURES]), dtype=np.float64)


@pytest.fixture(scope="session")
def ames() -> Ames:
    reference, traffic = split_ames(load_ames())
    # OpenMP on two busy cores is many times slower than one thread; scikit-learn must be
    # loaded before the limit is set for the limit to apply.
    from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: F401, PLC0415

    with limited_threads(1):
        model = train_house_price_model(reference)
    reference = reference.assign(prediction=model.predict(reference[FEATURES]))
    logged = traffic[FEATURES].assign(
        prediction=model.predict(traffic[FEATURES]),
        label=traffic[AMES_TARGET].astype(float),
    )
    return Ames(model, reference, logged)
