"""The Ames story: a neighbourhood's prices or predictions move, the explanation names it."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL, AMES_TARGET
from monitml.explain import Explainer, permutation_importance

from .conftest import FEATURES, Ames


def fitted(ames: Ames, **options: object) -> Explainer:
    return Explainer(
        ames.reference.rename(columns={AMES_TARGET: "label"}),
        features=FEATURES,
        task="regression",
        numerical=AMES_NUMERICAL,
        categorical=AMES_CATEGORICAL,
        **options,  # type: ignore[arg-type]
    )


def edwards(frame: pd.DataFrame) -> pd.Series:
    return frame["neighborhood"] == "Edwards"


def test_predictions_that_fell_38_percent_in_edwards_are_the_sentence(ames: Ames) -> None:
    window = ames.traffic.drop(columns="label")  # before any label arrived
    window.loc[edwards(window), "prediction"] *= 0.62
    found = fitted(ames).explain(window, None)
    top = found.segments[0]
    assert (top.column, top.segment, top.signal) == ("neighborhood", "Edwards", "prediction")
    observed = window.loc[edwards(window), "prediction"].mean()
    before = ames.reference.loc[edwards(ames.reference), "prediction"].mean()
    assert top.change == pytest.approx(observed / before - 1)
    assert found.summary.startswith(f"prediction mean fell {abs(top.change):.0%}")
    assert "in neighborhood=Edwards" in found.summary


def test_prices_that_fell_in_edwards_show_as_its_error_rising_most(ames: Ames) -> None:
    window = ames.traffic.copy()
    window.loc[edwards(window), "label"] *= 0.6
    found = fitted(ames).explain(window, None)
    errors = [m for m in found.segments if m.signal == "error"]
    assert (errors[0].column, errors[0].segment) == ("neighborhood", "Edwards")
    assert "mean absolute error rose" in found.summary
    assert "in neighborhood=Edwards" in found.summary
    unchanged = fitted(ames).explain(ames.traffic, None)
    assert all(m.segment != "Edwards" for m in unchanged.segments)


def test_the_sentence_names_the_drifted_features_the_model_relies_on(ames: Ames) -> None:
    importance = permutation_importance(
        ames.predict, ames.reference, target=AMES_TARGET, features=FEATURES, task="regression"
    )
    drift = {
        name: {"role": "feature", "method": "wasserstein", "statistic": 0.3, "p_value": None,
               "threshold": 0.1, "drift_detected": name in {"lot_area", "gr_liv_area",
                                                            "central_air", "overall_qual"}}
        for name in FEATURES
    }  # fmt: skip
    found = fitted(ames).explain(ames.traffic, drift, importance=importance)
    assert "top drifted by impact: gr_liv_area, overall_qual, lot_area" in found.summary
    assert found.to_dict()["importance"]["method"] == "permutation"


def test_performance_per_neighbourhood_is_each_segments_own_mae(ames: Ames) -> None:
    found = fitted(ames, segments=["neighborhood"]).explain(ames.traffic, None)
    rows = {s.segment: s for s in found.performance["neighborhood"]}
    part = ames.traffic[edwards(ames.traffic)]
    assert rows["Edwards"].rows == len(part)
    assert rows["Edwards"].value == pytest.approx((part["label"] - part["prediction"]).abs().mean())
    assert rows["Edwards"].prediction_mean == pytest.approx(part["prediction"].mean())
    table = found.to_dict()["segment_performance"]["neighborhood"]
    assert table["metric"] == "mae"
    assert {s["segment"] for s in table["segments"]} == set(rows)


def test_a_segment_column_missing_from_the_reference_is_a_config_error(ames: Ames) -> None:
    from monitml.errors import ConfigError  # noqa: PLC0415

    with pytest.raises(ConfigError, match=r"models\.model\.segments: no column 'zone'"):
        fitted(ames, segments=["zone"])


@pytest.mark.parametrize("rows", [1_000, 10_000], ids=["1k-rows", "10k-rows"])
def test_a_window_is_explained_in_well_under_a_second(ames: Ames, rows: int) -> None:
    explainer = fitted(ames, segments=["neighborhood"])
    window = ames.traffic.sample(rows, replace=True, random_state=0).reset_index(drop=True)
    started = time.perf_counter()
    found = explainer.explain(window, None)
    # A generous bound (two shared cores); benchmarks/bench_explain.py measures it.
    assert time.perf_counter() - started < 1.0
    assert np.isfinite(found.compute_seconds)
