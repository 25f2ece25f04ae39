"""DLE: a model of the error estimates a regressor's MAE and RMSE without labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitml.errors import DataError
from monitml.estimation import DLE, MetricEstimate

CAR_FEATURES = [
    "car_age",
    "km_driven",
    "price_new",
    "accident_count",
    "door_count",
    "fuel",
    "transmission",
]


def _realised(metric: MetricEstimate) -> float:
    assert metric.realized is not None, "the chunk has labels"
    return metric.realized


def _noisy(rng: np.random.Generator, rows: int, centre: float) -> pd.DataFrame:
    """The model is exact on average, but its errors grow with |x| (and a category)."""
    x = rng.normal(centre, 1.0, rows)
    kind = rng.choice(["calm", "wild"], rows)
    noise = rng.normal(0, 1, rows) * (0.5 + np.abs(x)) * np.where(kind == "wild", 2.0, 1.0)
    return pd.DataFrame({"x": x, "kind": kind, "pred": 3 * x, "y": 3 * x + noise})


def test_when_current_rows_move_to_noisy_regions_the_estimated_errors_follow_the_realised() -> None:
    rng = np.random.default_rng(0)
    dle = DLE(target="y", prediction="pred", features=["x", "kind"]).fit(_noisy(rng, 20_000, 0.0))
    result = dle.estimate(pd.concat([_noisy(rng, 4_000, c) for c in (0.0, 1.5)]), chunk="4000rows")
    calm, noisy = result.chunks
    for name in ("mae", "rmse"):
        assert _realised(noisy.metrics[name]) > 1.5 * _realised(calm.metrics[name])
        for chunk in result.chunks:
            metric = chunk.metrics[name]
            assert metric.lower <= _realised(metric) <= metric.upper, (chunk.index, name)
    assert noisy.metrics["mae"].alert
    assert not calm.metrics["mae"].alert


def test_on_real_car_prices_the_estimates_hold_the_realised_errors_in_their_bands(
    car_price: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, analysis = car_price
    dle = DLE(target="y_true", prediction="y_pred", features=CAR_FEATURES).fit(reference)
    result = dle.estimate(analysis, chunk="1000rows")
    for chunk in result.chunks:
        for name, metric in chunk.metrics.items():
            assert metric.lower <= _realised(metric) <= metric.upper, (chunk.index, name)


def test_period_chunks_report_iso_times(car_price: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, analysis = car_price
    dle = DLE(target="y_true", prediction="y_pred", features=CAR_FEATURES).fit(reference)
    result = dle.estimate(analysis.drop(columns="y_true"), chunk="1w", timestamp="timestamp")
    first = result.chunks[0]
    assert str(first.start).endswith("+00:00")
    assert pd.Timestamp(first.end) - pd.Timestamp(first.start) == pd.Timedelta(days=7)
    assert sum(chunk.rows for chunk in result.chunks) == len(analysis)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="y"), "no target column 'y'"),
        (lambda f: f.drop(columns="kind"), "unknown column"),
        (lambda f: f.assign(y=np.nan), "has no label"),
    ],
    ids=["no-target", "no-feature", "no-labels"],
)
def test_an_unusable_reference_is_refused(change, message) -> None:  # type: ignore[no-untyped-def]
    reference = change(_noisy(np.random.default_rng(1), 300, 0.0))
    with pytest.raises(DataError, match=message):
        DLE(target="y", prediction="pred", features=["x", "kind"]).fit(reference)


def test_analysis_data_missing_a_feature_is_refused_naming_it() -> None:
    rng = np.random.default_rng(2)
    dle = DLE(target="y", prediction="pred", features=["x", "kind"]).fit(_noisy(rng, 500, 0.0))
    with pytest.raises(DataError, match="missing from the analysis data: kind"):
        dle.estimate(_noisy(rng, 100, 0.0).drop(columns="kind"))


def test_a_category_unseen_in_the_reference_is_treated_as_missing() -> None:
    rng = np.random.default_rng(3)
    dle = DLE(target="y", prediction="pred", features=["x", "kind"]).fit(_noisy(rng, 500, 0.0))
    current = _noisy(rng, 200, 0.0).assign(kind="brand new")
    estimate = dle.estimate(current, chunk="200rows").chunks[0].metrics["mae"].estimated
    assert np.isfinite(estimate)
