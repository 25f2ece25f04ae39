"""CBPE: estimated classifier performance tracks the realised one without seeing labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitml.errors import DataError
from monitml.estimation import CBPE
from monitml.estimation.metrics import CLASSIFICATION_METRICS


def _binary(rng: np.random.Generator, rows: int, shift: float) -> pd.DataFrame:
    x = rng.normal(shift, 1.0, rows)
    chance = 1 / (1 + np.exp(-(2 * x - 0.5)))
    score = np.clip(chance**1.5, 0, 1)  # a model whose scores need calibration
    return pd.DataFrame(
        {
            "x": x,
            "y": (rng.random(rows) < chance).astype(int),
            "score": score,
            "pred": (score >= 0.5).astype(int),
        }
    )


def _misses(result, metrics=CLASSIFICATION_METRICS) -> list[tuple[int, str]]:  # type: ignore[no-untyped-def]
    return [
        (chunk.index, name)
        for chunk in result.chunks
        for name in metrics
        if not chunk.metrics[name].lower
        <= chunk.metrics[name].realized
        <= chunk.metrics[name].upper
    ]


def test_under_covariate_shift_every_estimate_holds_the_realised_value_in_its_band() -> None:
    rng = np.random.default_rng(0)
    reference = _binary(rng, 20_000, shift=0.0)
    shifted = pd.concat([_binary(rng, 5_000, shift) for shift in (0.0, 0.5, 1.0, -1.0)])
    cbpe = CBPE(target="y", prediction="pred", scores="score").fit(reference)
    result = cbpe.estimate(shifted, chunk="5000rows")
    assert _misses(result) == []
    realized = [chunk.metrics["accuracy"].realized for chunk in result.chunks]
    known = [value for value in realized if value is not None]
    assert len(known) == len(realized)
    assert max(known) - min(known) > 0.05  # the shift really moved performance


def test_a_real_classifiers_estimates_stay_close_to_realised_roc_auc_and_f1(
    employment: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, analysis = employment
    cbpe = CBPE(target="employed", prediction="prediction", scores="predicted_probability")
    result = cbpe.fit(reference).estimate(analysis, chunk="2000rows")
    assert len(result.chunks) == 3
    assert _misses(result, ("roc_auc", "f1", "accuracy")) == []


def test_without_labels_realised_values_are_none_and_estimates_do_not_change(
    employment: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, analysis = employment
    cbpe = CBPE(target="employed", prediction="prediction", scores="predicted_probability")
    cbpe.fit(reference)
    labelled = cbpe.estimate(analysis, chunk="2000rows")
    unlabelled = cbpe.estimate(analysis.drop(columns="employed"), chunk="2000rows")
    for with_labels, without in zip(labelled.chunks, unlabelled.chunks, strict=True):
        assert without.labelled_rows == 0
        assert all(metric.realized is None for metric in without.metrics.values())
        assert without.metrics["f1"].estimated == with_labels.metrics["f1"].estimated


def test_the_band_narrows_as_the_square_root_of_the_chunk_size() -> None:
    rng = np.random.default_rng(1)
    cbpe = CBPE(target="y", prediction="pred", scores="score").fit(_binary(rng, 10_000, 0.0))
    small, large = cbpe.estimate(_binary(rng, 4_000, 0.0), chunk="1000rows").chunks[:2]
    big = cbpe.estimate(_binary(rng, 4_000, 0.0), chunk="4000rows").chunks[0]
    assert small.metrics["f1"].sampling_error == large.metrics["f1"].sampling_error
    assert big.metrics["f1"].sampling_error == pytest.approx(
        small.metrics["f1"].sampling_error / 2, rel=0.25
    )


def test_multiclass_estimates_hold_the_realised_macro_metrics_in_their_bands() -> None:
    rng = np.random.default_rng(2)

    def sample(rows: int, tilt: float) -> pd.DataFrame:
        probabilities = rng.dirichlet([1.0 + tilt, 1.0, 1.0], rows)
        labels = (rng.random((rows, 1)) > probabilities.cumsum(axis=1)).sum(axis=1)
        frame = pd.DataFrame(probabilities, columns=["p_a", "p_b", "p_c"])
        frame["y"] = np.array(["a", "b", "c"])[labels]
        frame["pred"] = np.array(["a", "b", "c"])[probabilities.argmax(axis=1)]
        return frame

    cbpe = CBPE(target="y", prediction="pred", scores={"a": "p_a", "b": "p_b", "c": "p_c"})
    cbpe.fit(sample(15_000, 0.0))
    result = cbpe.estimate(pd.concat([sample(3_000, 0.0), sample(3_000, 2.0)]), chunk="3000rows")
    assert result.task == "multiclass"
    assert _misses(result) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.drop(columns="y"), "no target column 'y'"),
        (lambda f: f.assign(y=np.nan), "has no label"),
        (lambda f: f.assign(y=1), "needs 2 classes"),
        (lambda f: f.drop(columns="score"), "no score column 'score'"),
        (lambda f: f.assign(score="high"), "not numeric"),
    ],
    ids=["no-target", "no-labels", "one-class", "no-score", "text-score"],
)
def test_an_unusable_reference_is_refused_with_one_clear_message(change, message) -> None:  # type: ignore[no-untyped-def]
    reference = change(_binary(np.random.default_rng(3), 500, 0.0))
    with pytest.raises(DataError, match=message):
        CBPE(target="y", prediction="pred", scores="score").fit(reference)


def test_predictions_outside_the_reference_classes_are_refused() -> None:
    rng = np.random.default_rng(4)
    cbpe = CBPE(target="y", prediction="pred", scores="score").fit(_binary(rng, 500, 0.0))
    with pytest.raises(DataError, match="no class of the reference target: 7"):
        cbpe.estimate(_binary(rng, 100, 0.0).assign(pred=7))
