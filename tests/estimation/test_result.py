"""The estimate's typed result: the monitml.estimate/1 JSON, a frame and a self-contained page."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from monitml.estimation import FORMAT, EstimationResult, estimate


@pytest.fixture(scope="module")
def result(employment: tuple[pd.DataFrame, pd.DataFrame]) -> EstimationResult:
    reference, analysis = employment
    return estimate(
        reference,
        analysis,
        task="binary",
        target="employed",
        prediction="prediction",
        scores="predicted_probability",
        chunk="2500rows",
    )


def test_the_json_has_its_format_task_and_chunks_in_order_with_row_bounds(
    result: EstimationResult,
) -> None:
    document = json.loads(result.to_json())
    assert document["format"] == FORMAT == "monitml.estimate/1"
    assert document["task"] == "binary"
    assert [(c["start"], c["end"]) for c in document["chunks"]] == [
        (0, 2500),
        (2500, 5000),
        (5000, 5969),
    ]
    metric = document["chunks"][0]["metrics"]["f1"]
    assert {"estimated", "lower", "upper", "realized"} <= set(metric)
    assert metric["lower"] <= metric["estimated"] <= metric["upper"]
    assert set(document["chunks"][0]["metrics"]) == {
        "roc_auc",
        "f1",
        "precision",
        "recall",
        "specificity",
        "accuracy",
    }


def test_the_frame_has_one_row_per_chunk_and_metric(result: EstimationResult) -> None:
    frame = result.to_frame()
    assert len(frame) == len(result.chunks) * 6
    assert frame.groupby("chunk")["metric"].nunique().eq(6).all()


def test_the_html_page_is_self_contained_with_a_chart_per_metric(
    result: EstimationResult, tmp_path: Path
) -> None:
    page = result.save_html(tmp_path / "estimate.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 6
    assert "src=" not in page
    assert "<script" not in page
