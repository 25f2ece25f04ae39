"""The monitor feeds each row once per signal, in time order, and exports what was found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from prometheus_client import CollectorRegistry

from monitml.alerts import parse_expr
from monitml.monitor.gauges import MonitorGauges
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.streaming import StreamingPolicy, StreamMonitor
from monitml.monitor.streaming.signals import SignalMaker

RUN_LENGTH = 2_000  # quick calibration; the claims at the default are in test_detectors


def reference(n: int = 4_000, seed: int = 0) -> pd.DataFrame:
    """A binary classifier right 90% of the time."""
    rng = np.random.default_rng(seed)
    label = rng.integers(0, 2, n)
    wrong = rng.random(n) < 0.1
    return pd.DataFrame(
        {"x": rng.normal(size=n), "prediction": np.where(wrong, 1 - label, label), "label": label}
    )


def window(ids: range, *, error_rate: float, labelled: bool = True, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(ids)
    label = rng.integers(0, 2, n)
    wrong = rng.random(n) < error_rate
    return pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in ids],
            "timestamp": [float(i) for i in ids],
            "x": rng.normal(size=n),
            "prediction": np.where(wrong, 1 - label, label),
            "label": label.astype(object) if labelled else [None] * n,
        }
    )


@pytest.fixture(scope="module")
def streams() -> StreamMonitor:
    return StreamMonitor(
        reference(), task="classification", policy=StreamingPolicy(run_length=RUN_LENGTH)
    )


def fresh(template: StreamMonitor) -> StreamMonitor:
    import copy  # noqa: PLC0415

    clone = copy.deepcopy(template)
    clone._versions.clear()
    return clone


def test_a_classifier_gets_five_detectors_over_two_signals(streams: StreamMonitor) -> None:
    assert sorted(streams.templates) == [
        ("error", "adwin"), ("error", "ddm"), ("error", "page_hinkley"),
        ("prediction", "adwin"), ("prediction", "page_hinkley"),
    ]  # fmt: skip


def test_a_reference_without_labels_gets_no_error_signal() -> None:
    unlabelled = reference().drop(columns="label")
    monitor = StreamMonitor(
        unlabelled, task="classification", policy=StreamingPolicy(run_length=RUN_LENGTH)
    )
    assert monitor.signals == ("prediction",)


def test_a_regressor_misses_when_its_error_passes_the_reference_s_90th_percentile() -> None:
    rng = np.random.default_rng(0)
    prediction = rng.normal(size=10_000)
    frame = pd.DataFrame({"prediction": prediction, "label": prediction + rng.normal(size=10_000)})
    maker = SignalMaker("regression").fit(frame)
    assert np.nanmean(maker.error(frame)) == pytest.approx(0.1, abs=0.001)


def test_each_row_is_fed_once_even_when_passes_overlap(streams: StreamMonitor) -> None:
    monitor = fresh(streams)
    first = monitor.feed(window(range(0, 500), error_rate=0.1), "v1")
    second = monitor.feed(window(range(250, 750), error_rate=0.1), "v1")
    assert {u.events for u in first} == {500}
    assert {u.events for u in second} == {250}  # rows 250-499 were fed already
    assert {u.result.current_size for u in second if u.detector == "ddm"} <= {750}


def test_a_late_label_feeds_the_error_signal_when_it_arrives(streams: StreamMonitor) -> None:
    monitor = fresh(streams)
    unlabelled = window(range(0, 300), error_rate=0.1, labelled=False)
    first = {(u.signal, u.detector): u.events for u in monitor.feed(unlabelled, "v1")}
    assert first[("error", "adwin")] == 0
    assert first[("prediction", "adwin")] == 300
    labelled = window(range(0, 300), error_rate=0.1)
    second = {(u.signal, u.detector): u.events for u in monitor.feed(labelled, "v1")}
    assert second[("error", "adwin")] == 300
    assert second[("prediction", "adwin")] == 0


def test_versions_have_their_own_detectors(streams: StreamMonitor) -> None:
    monitor = fresh(streams)
    monitor.feed(window(range(0, 400), error_rate=0.1), "v1")
    other = monitor.feed(window(range(1_000, 1_100), error_rate=0.1), "v2")
    assert {u.result.current_size for u in other} == {100}


def test_rows_are_fed_in_timestamp_order(streams: StreamMonitor) -> None:
    ordered = window(range(0, 3_000), error_rate=0.1)
    ordered.loc[1_500:, "prediction"] = 1 - ordered.loc[1_500:, "label"].astype(int)  # all wrong
    in_order = fresh(streams).feed(ordered, "v1")
    shuffled = fresh(streams).feed(ordered.sample(frac=1.0, random_state=3), "v1")
    assert [u.detections for u in shuffled] == [u.detections for u in in_order]
    # With a run length of 2,000 a false alarm before the jump may come; the jump is found.
    assert all(
        any(1_500 <= d < 1_600 for d in u.detections) for u in in_order if u.signal == "error"
    )


def test_an_error_rate_step_is_found_exported_and_alertable(streams: StreamMonitor) -> None:
    rows = window(range(0, 2_000), error_rate=0.1)
    monitor = ModelMonitor(
        "m",
        reference(),
        features=["x"],
        numerical=["x"],
        target="label",
        task="classification",
        streaming=StreamingPolicy(run_length=RUN_LENGTH),
    )
    calm = monitor.evaluate(rows, "v1", stream=True)
    step = window(range(2_000, 4_000), error_rate=0.5, seed=2)
    found = monitor.evaluate(step, "v1", stream=True)
    error_updates = {u.detector: u for u in found.streams if u.signal == "error"}
    assert all(u.result.drift_detected for u in error_updates.values())
    assert all(2_000 <= u.detections[0] < 3_000 for u in error_updates.values())

    registry = CollectorRegistry()
    gauges = MonitorGauges(registry)
    gauges.update(calm)
    gauges.update(found)
    labels = {"model": "m", "version": "v1", "signal": "error", "detector": "ddm"}
    assert registry.get_sample_value("monitml_stream_drift_detected", labels) == 1.0
    assert registry.get_sample_value("monitml_stream_drift_total", labels) == float(
        error_updates["ddm"].total_detections
    )
    condition = parse_expr('stream_drift_detected{signal="error",detector="ddm"} > 0')
    fired = [s for s in found.metrics() if condition.selects(s[0], s[1]) and condition.holds(s[2])]
    assert len(fired) == 1
    assert found.to_dict()["streams"][0]["signal"] in ("error", "prediction")


def test_a_batch_evaluation_feeds_nothing(streams: StreamMonitor) -> None:
    monitor = ModelMonitor(
        "m", reference(), features=["x"], numerical=["x"], target="label", task="classification",
        streaming=StreamingPolicy(run_length=RUN_LENGTH),
    )  # fmt: skip
    assert monitor.evaluate(window(range(0, 500), error_rate=0.1), "v1").streams == ()
