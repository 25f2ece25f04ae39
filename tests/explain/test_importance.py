"""Permutation importance: what the model relies on, measured once, seeded, one call a feature."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from monitml.demo.models import AMES_TARGET
from monitml.errors import DataError
from monitml.explain import FeatureImportance, permutation_importance

from .conftest import FEATURES, Ames


def linear_frame(rows: int = 800, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({name: rng.normal(size=rows) for name in ("a", "b", "c")})
    return frame.assign(y=4 * frame["a"] + 1 * frame["b"])


def linear(frame: pd.DataFrame) -> Any:
    return (4 * frame["a"] + 1 * frame["b"]).to_numpy()


def test_a_feature_the_model_ignores_has_no_importance_and_a_stronger_one_more() -> None:
    result = permutation_importance(
        linear, linear_frame(), target="y", features=["a", "b", "c"], task="regression"
    )
    shares = result.shares()
    assert shares["c"] == 0.0
    assert shares["a"] > 3 * shares["b"] > 0
    assert sum(shares.values()) == pytest.approx(1.0)
    assert result.metric == "mae"
    assert result.baseline == 0.0


def test_the_same_seed_gives_the_same_figures_and_another_seed_others() -> None:
    frame = linear_frame()
    options: dict[str, Any] = {"target": "y", "features": ["a", "b"], "task": "regression"}
    first = permutation_importance(linear, frame, seed=3, **options)
    assert permutation_importance(linear, frame, seed=3, **options) == first
    assert permutation_importance(linear, frame, seed=4, **options) != first


def test_each_feature_costs_one_predict_call_on_the_stacked_shuffles() -> None:
    calls: list[int] = []

    def counted(frame: pd.DataFrame) -> Any:
        calls.append(len(frame))
        return linear(frame)

    permutation_importance(
        counted, linear_frame(500), target="y", features=["a", "b", "c"], task="regression",
        repeats=4, max_rows=300,
    )  # fmt: skip
    assert calls == [300] + [4 * 300] * 3


def test_a_classifier_is_scored_by_accuracy_with_labels_from_json_as_floats() -> None:
    frame = linear_frame()
    frame["y"] = (frame["a"] > 0).astype(float)  # 1.0 / 0.0, as labels come back from JSON

    def classify(rows: pd.DataFrame) -> Any:
        return (rows["a"] > 0).astype(int).to_numpy()

    result = permutation_importance(
        classify, frame, target="y", features=["a", "b"], task="classification"
    )
    assert result.metric == "accuracy"
    assert result.baseline == 1.0
    assert result.importances["a"] > 0.3
    assert result.importances["b"] == 0.0


def test_on_ames_the_living_area_and_the_quality_matter_most(ames: Ames) -> None:
    result = permutation_importance(
        ames.predict, ames.reference, target=AMES_TARGET, features=FEATURES, task="regression"
    )
    top = sorted(result.shares(), key=lambda name: -result.shares()[name])[:2]
    assert set(top) == {"gr_liv_area", "overall_qual"}
    assert result.rows == 1_000
    assert result.reference_rows == len(ames.reference)


def test_a_reference_without_labels_is_refused_naming_the_column() -> None:
    frame = linear_frame().assign(y=np.nan)
    with pytest.raises(DataError, match=r"no labelled row.*'y'"):
        permutation_importance(linear, frame, target="y", features=["a"], task="regression")


def test_an_importance_travels_as_json_and_back_unchanged() -> None:
    result = permutation_importance(
        linear, linear_frame(), target="y", features=["a", "b"], task="regression"
    )
    assert FeatureImportance.from_dict(result.to_dict()) == result
    with pytest.raises(DataError, match="not a feature importance payload"):
        FeatureImportance.from_dict({"metric": "mae"})
