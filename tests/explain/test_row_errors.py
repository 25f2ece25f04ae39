"""Per-row errors: realised from labels, estimated by the monitor's DLE or CBPE."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitml.demo.models import AMES_TARGET
from monitml.estimation import CBPE, DLE
from monitml.explain import estimated_row_errors, realised_row_errors

from .conftest import FEATURES, Ames


def test_a_regressors_realised_error_is_the_absolute_error_and_nan_without_label() -> None:
    frame = pd.DataFrame({"prediction": [10.0, 5.0, 1.0], "label": [12.0, 1.0, None]})
    assert realised_row_errors(frame, "regression").tolist()[:2] == [2.0, 4.0]
    assert np.isnan(realised_row_errors(frame, "regression")[2])


def test_a_classifiers_realised_error_is_a_wrong_class_with_json_float_labels() -> None:
    frame = pd.DataFrame({"prediction": [1, 0, 1], "label": [1.0, 1.0, None]})
    errors = realised_row_errors(frame, "classification")
    assert errors[:2].tolist() == [0.0, 1.0]
    assert np.isnan(errors[2])


def test_the_mean_of_dles_row_estimates_is_its_own_mae_estimate(ames: Ames) -> None:
    reference = ames.reference.rename(columns={AMES_TARGET: "label"})
    dle = DLE(target="label", prediction="prediction", features=FEATURES).fit(reference)
    window = ames.traffic.drop(columns="label")
    rows = estimated_row_errors(dle)
    assert rows is not None
    expected = dle.estimate(window, chunk=f"{len(window)}rows").chunks[0].metrics["mae"]
    assert rows(window).mean() == pytest.approx(expected.estimated)


def test_the_mean_of_cbpes_row_estimates_is_one_minus_its_accuracy_estimate() -> None:
    rng = np.random.default_rng(0)
    score = rng.random(6_000)
    frame = pd.DataFrame({"label": (rng.random(6_000) < score).astype(int), "proba_1": score})
    frame["prediction"] = (frame["proba_1"] >= 0.5).astype(int)
    cbpe = CBPE(target="label", prediction="prediction", scores="proba_1").fit(frame[:3_000])
    window = frame[3_000:].drop(columns="label")
    rows = estimated_row_errors(cbpe)
    assert rows is not None
    accuracy = cbpe.estimate(window, chunk="3000rows").chunks[0].metrics["accuracy"]
    assert 1 - rows(window).mean() == pytest.approx(accuracy.estimated)


def test_a_window_the_estimator_cannot_read_gives_nan_not_an_error(ames: Ames) -> None:
    reference = ames.reference.rename(columns={AMES_TARGET: "label"})
    dle = DLE(target="label", prediction="prediction", features=FEATURES).fit(reference)
    rows = estimated_row_errors(dle)
    assert rows is not None
    assert np.isnan(rows(ames.traffic.drop(columns=["prediction", "label"]))).all()
    assert estimated_row_errors(None) is None
