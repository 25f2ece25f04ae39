"""The Python API: compare two DataFrames (issue 3, items 2, 4, 5, 6, 8)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitml.analysis import Comparator, compare
from monitml.errors import DataError, UnknownMethodError
from monitml.schema import ColumnMapping


@pytest.fixture
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 3_000

    def make(shift: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "age": rng.normal(40 + shift, 10, n),
                "income": rng.lognormal(10, 0.5, n),
                "city": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2]),
                "flag": rng.random(n) < 0.3,
                "children": rng.integers(0, 4, n),
                "id": np.arange(n),
            }
        )

    return make(0.0), make(5.0)


def test_a_shifted_column_drifts_and_the_others_do_not(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, current = frames
    report = compare(reference, current, mapping=ColumnMapping(id="id"))
    drifted = {name for name, c in report.columns.items() if c.result.drift_detected}
    assert drifted == {"age"}
    assert report.total_columns == 5
    assert report.drift_share == pytest.approx(0.2)
    assert not report.dataset_drift


def test_kinds_are_inferred_and_overridable(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, current = frames
    report = compare(reference, current, mapping=ColumnMapping(id="id"))
    kinds = {name: c.kind for name, c in report.columns.items()}
    assert kinds == {
        "age": "numerical",
        "income": "numerical",
        "city": "categorical",
        "flag": "categorical",
        "children": "categorical",  # 4 distinct integers: a small code, not a measurement
    }
    overridden = compare(reference, current, mapping=ColumnMapping(id="id", numerical=["children"]))
    assert overridden.columns["children"].kind == "numerical"


def test_roles_keep_target_prediction_and_id_out_of_feature_drift() -> None:
    rng = np.random.default_rng(1)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 2_000), "y": rng.normal(0, 1, 2_000)})
    reference["pred"] = reference["x"] * 2
    reference["id"] = np.arange(2_000)
    current = reference.copy()
    current["y"] = current["y"] + 3
    report = compare(
        reference, current, mapping=ColumnMapping(target="y", prediction="pred", id="id")
    )
    assert set(report.columns) == {"x", "y", "pred"}
    assert report.columns["y"].role == "target"
    assert report.columns["y"].result.drift_detected  # target drift is reported ...
    assert report.drifted_columns == 0  # ... but it is not a feature
    assert report.performance is not None
    assert report.performance["task"] == "regression"
    assert report.performance["current"]["mae"] > report.performance["reference"]["mae"]


def test_missing_values_are_counted_and_not_fed_to_the_test() -> None:
    rng = np.random.default_rng(2)
    reference = pd.DataFrame({"x": rng.normal(0, 1, 1_000)})
    current = pd.DataFrame({"x": rng.normal(0, 1, 1_000)})
    current.loc[:299, "x"] = np.nan
    report = compare(reference, current)
    column = report.columns["x"]
    assert column.current_missing == 300
    assert column.current_count == 700
    assert column.result.current_size == 700
    assert report.quality["columns"]["x"]["current"]["missing_share"] == pytest.approx(0.3)


def test_an_empty_column_or_a_changed_type_is_schema_drift_not_a_crash() -> None:
    reference = pd.DataFrame(
        {"a": [1.0, 2.0, 3.0] * 100, "b": [1.5, 2.5, 3.5] * 100, "c": ["x", "y", "z"] * 100}
    )
    current = pd.DataFrame(
        {"a": [np.nan] * 300, "b": ["oops", "no", "yes"] * 100, "c": ["x", "y", "z"] * 100}
    )
    report = compare(reference, current)
    assert report.columns["a"].result.method == "schema"
    assert report.columns["a"].result.reason == "column is empty in current"
    assert (
        report.columns["b"].result.reason == "type changed: numeric in reference, string in current"
    )
    assert (
        report.quality["columns"]["b"]["type_mismatch"] == "numeric in reference, string in current"
    )
    assert report.columns["a"].result.drift_detected
    assert not report.columns["c"].result.drift_detected
    assert report.drifted_columns == 2
    payload = report.to_dict()
    assert payload["columns"]["a"]["statistic"] is None


def test_a_column_missing_from_current_is_schema_drift() -> None:
    reference = pd.DataFrame({"a": np.arange(100.0), "b": np.arange(100.0)})
    report = compare(reference, reference[["a"]])
    assert report.columns["b"].result.reason == "column is missing from current"


def test_the_json_has_the_shape_of_the_design(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, current = frames
    payload = json.loads(compare(reference, current).to_json())
    assert payload["format"] == "monitml.drift/1"
    for key in (
        "dataset_drift",
        "drift_share",
        "drifted_columns",
        "total_columns",
        "share_threshold",
    ):
        assert key in payload
    column = payload["columns"]["age"]
    for key in (
        "kind",
        "method",
        "statistic",
        "p_value",
        "threshold",
        "drift_detected",
        "reference",
        "current",
    ):
        assert key in column
    assert set(column["reference"]) == {"count", "missing"}
    assert "quality" in payload
    assert "performance" in payload


def test_methods_are_chosen_globally_or_per_column(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, current = frames
    report = compare(reference, current, method="psi")
    assert {c.result.method for c in report.columns.values()} == {"psi"}
    report = compare(reference, current, method="wasserstein")
    assert report.columns["age"].result.method == "wasserstein"
    assert report.columns["city"].result.method == "chisquare"  # auto where the method does not fit
    report = compare(reference, current, column_methods={"age": "kl", "city": "hellinger"})
    assert report.columns["age"].result.method == "kl"
    assert report.columns["city"].result.method == "hellinger"


def test_bad_method_choices_fail_with_a_clear_message(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, current = frames
    with pytest.raises(UnknownMethodError, match="valid methods: anderson, auto, chisquare"):
        compare(reference, current, method="nope")
    with pytest.raises(DataError, match="does not work on categorical column 'city'"):
        compare(reference, current, column_methods={"city": "ks"})
    with pytest.raises(DataError, match="unknown column"):
        compare(reference, current, column_methods={"nope": "ks"})


def test_frames_without_a_common_column_are_refused() -> None:
    with pytest.raises(DataError, match="share no column"):
        compare(pd.DataFrame({"a": [1]}), pd.DataFrame({"b": [1]}))


def test_a_comparator_fitted_once_scores_many_current_sets(
    frames: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, current = frames
    comparator = Comparator(reference, mapping=ColumnMapping(id="id"))
    first, second = (
        comparator.compare(reference.sample(1_000, random_state=1)),
        comparator.compare(current),
    )
    assert first.drifted_columns == 0
    assert second.columns["age"].result.drift_detected


def test_the_result_saves_html_and_json_and_gives_a_frame(
    frames: tuple[pd.DataFrame, pd.DataFrame], tmp_path: Path
) -> None:
    reference, current = frames
    report = compare(reference, current)
    html = report.save_html(tmp_path / "r.html").read_text(encoding="utf-8")
    assert "age" in html
    assert "<svg" in html
    assert (
        json.loads(report.save_json(tmp_path / "r.json").read_text())["format"] == "monitml.drift/1"
    )
    frame = report.to_frame()
    assert frame.iloc[0]["column"] == "age"
    assert bool(frame.iloc[0]["drift_detected"])


def test_binary_classification_metrics_from_scores() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    truth = rng.random(n) < 0.4
    score = np.clip(truth * 0.6 + rng.random(n) * 0.5, 0, 1)
    frame = pd.DataFrame({"x": rng.normal(0, 1, n), "y": truth.astype(int), "p": score})
    report = compare(
        frame, frame, mapping=ColumnMapping(target="y", prediction="p", categorical=["y"])
    )
    performance = report.performance
    assert performance is not None
    assert performance["task"] == "classification"
    assert performance["labels"] == ["0", "1"]
    assert performance["current"]["roc_auc"] > 0.9


def test_a_bounded_reference_keeps_summaries_and_reports_like_the_whole_reference() -> None:
    rng = np.random.default_rng(21)
    rows = 150_000
    reference = pd.DataFrame(
        {
            "amount": rng.lognormal(3.0, 1.0, rows),
            "items": rng.poisson(3.0, rows).astype(float),
            "shop": rng.choice(["a", "b", "c"], rows),
        }
    )
    reference.loc[::50, "amount"] = np.nan
    current = reference.sample(5_000, random_state=1).reset_index(drop=True)
    current["amount"] = current["amount"] * 1.3
    whole = Comparator(reference).compare(current)
    bounded_comparator = Comparator(reference, bounded_reference_rows=100_000)
    bounded = bounded_comparator.compare(current)
    kept = {
        name: type(column.sample).__name__
        for name, column in bounded_comparator.references_.items()
    }
    assert kept == {
        "amount": "NumericSummary",
        "items": "NumericSummary",
        "shop": "CategoricalSample",
    }
    for name, column in whole.columns.items():
        found = bounded.columns[name]
        assert found.result.drift_detected == column.result.drift_detected, name
        assert (found.reference_count, found.reference_missing) == (
            column.reference_count,
            column.reference_missing,
        )
        assert found.chart is not None
        assert column.chart is not None
        assert found.chart.keys() == column.chart.keys()
    assert bounded.columns["amount"].result.drift_detected
    # A discrete column is kept exactly: the same statistic to the last digit.
    assert bounded.columns["items"].result.statistic == whole.columns["items"].result.statistic
    quality, expected = bounded.quality["columns"]["amount"], whole.quality["columns"]["amount"]
    assert quality["reference"]["count"] == expected["reference"]["count"]
    assert quality["reference"]["missing"] == expected["reference"]["missing"]
    assert quality["out_of_range_share"] == expected["out_of_range_share"]
