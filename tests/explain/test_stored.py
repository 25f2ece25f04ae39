"""Importance is measured once per model version and reused from the store afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitml.explain import FeatureImportance, importance_for, load_importance
from monitml.explain.stored import IMPORTANCE_KIND
from monitml.store import PredictionStore


def importance(reference_rows: int = 100, value: float = 2.0) -> FeatureImportance:
    return FeatureImportance(
        importances={"a": value, "b": 0.0},
        spread={"a": 0.1, "b": 0.0},
        metric="mae",
        baseline=1.0,
        rows=100,
        repeats=3,
        seed=0,
        reference_rows=reference_rows,
        features=("a", "b"),
    )


@pytest.fixture
def store(tmp_path: Path) -> PredictionStore:
    return PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")


def test_the_first_call_measures_and_stores_and_the_next_reuses(store: PredictionStore) -> None:
    measured: list[int] = []

    def measure() -> FeatureImportance:
        measured.append(1)
        return importance()

    first = importance_for(store, "m", "v1", measure, features=["a", "b"], reference_rows=100)
    again = importance_for(store, "m", "v1", measure, features=["a", "b"], reference_rows=100)
    assert first == again == importance()
    assert measured == [1]
    (row,) = store.list_monitor_results("m", version="v1", kind=IMPORTANCE_KIND)
    assert row["payload"]["importances"] == {"a": 2.0, "b": 0.0}


def test_another_version_or_reference_or_feature_list_is_measured_anew(
    store: PredictionStore,
) -> None:
    importance_for(store, "m", "v1", importance, features=["a", "b"], reference_rows=100)
    assert load_importance(store, "m", "v2", features=["a", "b"], reference_rows=100) is None
    assert load_importance(store, "m", "v1", features=["a", "b"], reference_rows=200) is None
    assert load_importance(store, "m", "v1", features=["a"], reference_rows=100) is None
    assert load_importance(store, "m", "v1", features=["a", "b"], reference_rows=100) is not None
