"""Mergeable estimates: a set of rows' expected sums, added up over its parts, give the estimate
of the whole set (the same values up to rounding, the same band and thresholds)."""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pandas as pd
import pytest

from monitml.errors import DataError, NotFittedError
from monitml.estimation import CBPE, DLE, Estimator
from monitml.estimation.base import ExpectedSums


def _parts(frame: pd.DataFrame, cuts: list[int]) -> list[pd.DataFrame]:
    edges = [0, *cuts, len(frame)]
    return [frame.iloc[a:b] for a, b in itertools.pairwise(edges)]


def _from_parts(estimator: Estimator, parts: list[pd.DataFrame]) -> ExpectedSums:
    worker = pickle.loads(pickle.dumps(estimator.for_workers()))  # as a worker gets it
    sums = [ExpectedSums.from_dict(worker.expected_sums(part).to_dict()) for part in parts]
    merged = sums[0]
    for other in sums[1:]:
        merged = merged.merge(other)
    return merged


def _assert_same_estimate(estimator: Estimator, frame: pd.DataFrame, sums: ExpectedSums) -> None:
    # From the sums first: their sampling error is bootstrapped for the summed metrics alone,
    # not read back from the rows' estimate of every metric at the same size.
    summed = estimator.estimate_from_sums(sums)
    rows = estimator.estimate(frame, chunk=f"{len(frame)}rows").chunks[0]
    assert summed.rows == rows.rows == len(frame)
    assert tuple(summed.metrics) == estimator.summed_metrics
    for name in estimator.summed_metrics:
        mine, theirs = summed.metrics[name], rows.metrics[name]
        assert np.isfinite(mine.estimated), name
        assert mine.estimated == pytest.approx(theirs.estimated, rel=1e-12, abs=1e-15), name
        assert mine.lower == pytest.approx(theirs.lower, rel=1e-12, abs=1e-15), name
        assert mine.upper == pytest.approx(theirs.upper, rel=1e-12, abs=1e-15), name
        # The same bootstrap at the same size: the very same error and thresholds.
        assert mine.sampling_error == theirs.sampling_error, name
        assert mine.lower_threshold == theirs.lower_threshold, name
        assert mine.upper_threshold == theirs.upper_threshold, name


@pytest.fixture(scope="module")
def dle(car_price: tuple[pd.DataFrame, pd.DataFrame]) -> DLE:
    reference, _ = car_price
    return DLE(target="y_true", prediction="y_pred", features=_car_features(reference)).fit(
        reference
    )


def _car_features(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in ("id", "y_true", "y_pred", "timestamp")]


def test_dle_sums_of_one_set_of_rows_give_its_row_estimate(
    dle: DLE, car_price: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    analysis = car_price[1].iloc[:1500]
    _assert_same_estimate(dle, analysis, _from_parts(dle, [analysis]))


@pytest.mark.parametrize("seed", [0, 1])
def test_dle_sums_of_parts_in_any_order_give_the_estimate_of_the_whole(
    dle: DLE, car_price: tuple[pd.DataFrame, pd.DataFrame], seed: int
) -> None:
    analysis = car_price[1].drop(columns="y_true")  # no label: estimates only
    parts = _parts(analysis, [400, 1100, 2000])
    np.random.default_rng(seed).shuffle(parts)  # type: ignore[arg-type]
    _assert_same_estimate(dle, analysis, _from_parts(dle, parts))


def test_cbpe_binary_sums_of_parts_give_the_estimate_of_the_whole_but_roc_auc(
    employment: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, analysis = employment
    cbpe = CBPE(target="employed", prediction="prediction", scores="predicted_probability")
    cbpe.fit(reference)
    parts = _parts(analysis, [700, 1900])
    sums = _from_parts(cbpe, parts[::-1])
    _assert_same_estimate(cbpe, analysis, sums)
    assert "roc_auc" in cbpe.metrics
    assert "roc_auc" not in cbpe.estimate_from_sums(sums).metrics


def _multiclass(rng: np.random.Generator, rows: int, tilt: float) -> pd.DataFrame:
    probabilities = rng.dirichlet([1.0 + tilt, 1.0, 1.0], rows)
    labels = (rng.random((rows, 1)) > probabilities.cumsum(axis=1)).sum(axis=1)
    frame = pd.DataFrame(probabilities, columns=["p_a", "p_b", "p_c"])
    frame["y"] = np.array(["a", "b", "c"])[labels]
    frame["pred"] = np.array(["a", "b", "c"])[probabilities.argmax(axis=1)]
    return frame


def test_cbpe_multiclass_sums_of_parts_give_the_estimate_of_the_whole() -> None:
    rng = np.random.default_rng(5)
    cbpe = CBPE(target="y", prediction="pred", scores={"a": "p_a", "b": "p_b", "c": "p_c"})
    cbpe.fit(_multiclass(rng, 6_000, 0.0))
    analysis = pd.concat([_multiclass(rng, 1_500, 0.0), _multiclass(rng, 1_500, 2.0)])
    analysis = analysis.reset_index(drop=True)
    assert cbpe.task == "multiclass"
    parts = _parts(analysis, [1000, 1700, 2900])
    _assert_same_estimate(
        cbpe, analysis, _from_parts(cbpe, [parts[2], parts[0], *parts[3:], parts[1]])
    )


def test_rows_that_cannot_be_estimated_make_the_merged_sums_fail_with_their_reason(
    employment: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, analysis = employment
    cbpe = CBPE(target="employed", prediction="prediction", scores="predicted_probability")
    cbpe.fit(reference)
    good = cbpe.expected_sums(analysis.iloc[:100])
    broken = analysis.iloc[100:200].assign(predicted_probability=np.nan)
    with pytest.raises(DataError, match="missing value") as raised:
        cbpe.expected_sums(broken)
    merged = good.merge(ExpectedSums({}, str(raised.value)))
    assert merged.error == str(raised.value)
    with pytest.raises(DataError, match="'predicted_probability' has 100 missing value"):
        cbpe.estimate_from_sums(merged)


def test_a_copy_for_workers_leaves_the_reference_data_behind(dle: DLE) -> None:
    worker = dle.for_workers()
    assert not hasattr(worker, "reference_data_")
    assert hasattr(dle, "reference_data_")  # the driver's estimator is untouched
    assert len(pickle.dumps(worker)) < len(pickle.dumps(dle))
    with pytest.raises(NotFittedError, match="only computes expected_sums"):
        worker.estimate_from_sums(ExpectedSums({"rows": 10.0, "absolute": 1.0, "squared": 1.0}))
    with pytest.raises(NotFittedError, match="not fitted"):
        DLE(target="y", prediction="p").expected_sums(pd.DataFrame({"p": [1.0]}))


@pytest.mark.parametrize("classes", [2, 3])
def test_the_sampling_error_of_summed_metrics_alone_is_that_of_every_metric(classes: int) -> None:
    """Bootstrapped without ROC AUC (which sorts every draw once per class), the summed
    metrics get the very same errors: the same draws of the reference."""
    rng = np.random.default_rng(6)
    frame = _multiclass(rng, 4_000, 0.5)
    if classes == 2:
        frame = frame.assign(y=np.where(frame["y"] == "a", "a", "b"))
        frame = frame.assign(pred=np.where(frame["p_a"] >= 0.5, "a", "b"))
        cbpe = CBPE(target="y", prediction="pred", scores="p_a", positive="a")
    else:
        cbpe = CBPE(target="y", prediction="pred", scores={"a": "p_a", "b": "p_b", "c": "p_c"})
    cbpe.fit(frame)

    alone = cbpe.standard_error(777, summed_only=True)
    every = pickle.loads(pickle.dumps(cbpe)).standard_error(777)

    assert set(alone) == set(cbpe.summed_metrics)
    assert "roc_auc" in every
    assert all(np.isfinite(alone[name]) for name in alone)
    assert {name: every[name] for name in alone} == alone
    assert cbpe.standard_error(777) == every  # every metric asked for later: bootstrapped then
    assert cbpe.standard_error(777, summed_only=True) == every  # and reused for the summed ones
