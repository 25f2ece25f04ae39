"""The contract every streaming detector keeps, and what its calibration buys."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from monitml.errors import DataError, NotFittedError, UnknownMethodError
from monitml.monitor.streaming import (
    ADWIN,
    DDM,
    STREAMING_REGISTRY,
    PageHinkley,
    StreamingDetector,
    get_detector,
)
from monitml.stats.result import DriftResult

from .conftest import error_stream, z_stream

KEYS = sorted(STREAMING_REGISTRY)
SMALL = 5_000  # run length of the quick contract checks


def detections(detector: StreamingDetector, values: np.ndarray) -> list[int]:
    detector.reset()
    return [i for i, x in enumerate(values.tolist()) if detector.update(x)]


@pytest.fixture(params=KEYS)
def small(request: pytest.FixtureRequest) -> StreamingDetector:
    return STREAMING_REGISTRY[request.param](run_length=SMALL).fit(error_stream(1, 5_000))


# -- the contract ------------------------------------------------------------------------


def test_the_registry_holds_river_s_three_detectors() -> None:
    assert {"adwin": ADWIN, "ddm": DDM, "page_hinkley": PageHinkley} == STREAMING_REGISTRY


def test_an_unknown_detector_key_lists_the_valid_ones() -> None:
    with pytest.raises(UnknownMethodError, match="valid detectors: adwin, ddm, page_hinkley"):
        get_detector("kswin")


@pytest.mark.parametrize("key", KEYS)
def test_a_detector_cannot_be_updated_before_it_is_fitted(key: str) -> None:
    with pytest.raises(NotFittedError, match="call fit"):
        STREAMING_REGISTRY[key]().update(0.0)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize(
    ("argument", "value"),
    [
        pytest.param("run_length", 0, id="run-length-zero"),
        pytest.param("runs", 1.5, id="runs-float"),
    ],
)
def test_bad_parameters_are_named_with_what_they_must_be(
    key: str, argument: str, value: object
) -> None:
    detector = STREAMING_REGISTRY[key](**{argument: value})  # type: ignore[arg-type]
    with pytest.raises(
        ValueError, match=rf"The '{argument}' parameter .* must be a positive integer"
    ):
        detector.fit(error_stream(1, 1_000))


@pytest.mark.parametrize("key", KEYS)
def test_a_constant_or_tiny_reference_cannot_be_calibrated(key: str) -> None:
    cls = STREAMING_REGISTRY[key]
    with pytest.raises(DataError, match="constant"):
        cls().fit(np.zeros(1_000))
    with pytest.raises(DataError, match="at least 100"):
        cls().fit(error_stream(1, 50))


def test_ddm_only_takes_a_0_1_signal() -> None:
    with pytest.raises(DataError, match="0/1 signal"):
        DDM().fit(z_stream(1, 1_000))


def test_fit_returns_the_detector_and_starts_it_undrifted(small: StreamingDetector) -> None:
    assert small.drift_detected is False
    assert small.events_ == 0
    assert small.value_ > 0


def test_calibration_is_reproducible_from_its_seed(small: StreamingDetector) -> None:
    again = type(small)(run_length=SMALL).fit(error_stream(1, 5_000))
    assert again.value_ == small.value_


def test_a_given_value_is_used_as_is_without_calibrating(small: StreamingDetector) -> None:
    fixed = type(small)(value=small.value_ * 2).fit(error_stream(1, 5_000))
    assert fixed.value_ == small.value_ * 2


def test_reset_replays_a_stream_to_the_same_detections(small: StreamingDetector) -> None:
    stream = error_stream(2, 6_000, step_at=2_000, after=0.4)
    first = detections(small, stream)
    assert first  # a jump from 10% to 40% is always found
    assert detections(small, stream) == first
    small.reset()
    assert small.events_ == 0
    assert small.detections_ == []


def test_a_copy_is_independent_of_its_original(small: StreamingDetector) -> None:
    twin = copy.deepcopy(small)
    for value in error_stream(3, 3_000, step_at=500, after=0.5).tolist():
        twin.update(value)
    assert twin.events_ == 3_000
    assert small.events_ == 0


def test_the_verdict_is_the_one_drift_result_type(small: StreamingDetector) -> None:
    stream = error_stream(2, 6_000, step_at=2_000, after=0.4)
    found = detections(small, stream)
    result = small.result(feature="error", since=found[0])
    assert isinstance(result, DriftResult)
    assert (result.feature, result.method, result.kind) == ("error", small.key, "numerical")
    assert result.drift_detected is True
    assert result.threshold == small.value_
    assert result.p_value is None
    assert result.reference_size == 5_000
    # The statistic is the signal's mean since the last detection, over that many events.
    tail = stream[found[-1] + 1 :]
    assert result.current_size == tail.size
    assert result.statistic == pytest.approx(tail.mean())
    assert small.result(since=len(stream)).drift_detected is False


# -- golden detections (exact indices on seeded streams) ---------------------------------

# Page-Hinkley finds the step, then (its running mean still catching up) once more.
GOLDEN_ERROR_STEP = {"adwin": [5535], "ddm": [5536], "page_hinkley": [5498, 9537]}


@pytest.mark.parametrize("key", KEYS)
def test_calibrated_detectors_find_a_10_to_16_percent_step_at_known_indices(
    key: str, calibrated_on_errors: dict[str, StreamingDetector]
) -> None:
    stream = error_stream(200, 15_000, step_at=5_000)
    assert detections(calibrated_on_errors[key], stream) == GOLDEN_ERROR_STEP[key]


def test_the_calibrated_parameters_are_the_ones_the_docstrings_name(
    calibrated_on_errors: dict[str, StreamingDetector],
    calibrated_on_predictions: dict[str, StreamingDetector],
) -> None:
    errors, predictions = calibrated_on_errors, calibrated_on_predictions
    assert errors["adwin"].value_ == pytest.approx(0.036, rel=0.05)
    assert errors["ddm"].value_ == 2.6
    assert errors["page_hinkley"].value_ == pytest.approx(13.7, abs=0.05)
    assert errors["page_hinkley"].value_ / errors["page_hinkley"].scale_ == pytest.approx(45, abs=1)
    assert predictions["adwin"].value_ == pytest.approx(0.019, rel=0.05)
    assert predictions["page_hinkley"].value_ == pytest.approx(42, abs=0.5)


# -- what the calibration buys -----------------------------------------------------------

SEEDS = range(10)
EVENTS = 100_000


@pytest.mark.slow
@pytest.mark.parametrize("key", KEYS)
def test_calibrated_detectors_raise_about_one_false_alarm_per_100k_error_events(
    key: str, calibrated_on_errors: dict[str, StreamingDetector]
) -> None:
    """The target is one per 100,000 events; the Poisson estimate is good to about ±50%."""
    alarms = [
        len(detections(calibrated_on_errors[key], error_stream(100 + seed, EVENTS)))
        for seed in SEEDS
    ]
    assert sum(alarms) / len(alarms) <= 1.5, alarms
    assert sorted(alarms)[len(alarms) // 2] <= 1, alarms  # most seeds: none or one


@pytest.mark.slow
@pytest.mark.parametrize("key", ["adwin", "page_hinkley"])
def test_calibrated_detectors_raise_about_one_false_alarm_per_100k_standardised_predictions(
    key: str, calibrated_on_predictions: dict[str, StreamingDetector]
) -> None:
    alarms = [
        len(detections(calibrated_on_predictions[key], z_stream(100 + seed, EVENTS)))
        for seed in SEEDS
    ]
    assert sum(alarms) / len(alarms) <= 1.5, alarms
    assert sorted(alarms)[len(alarms) // 2] <= 1, alarms


STEP_AT = 5_000
MAX_DELAY = 2_000


def delays(detector: StreamingDetector, streams: list[np.ndarray]) -> tuple[list[int], int]:
    """Delay of the first detection after the step in each stream; streams alarmed before it."""
    late, early = [], 0
    for stream in streams:
        found = detections(detector, stream)
        early += any(i < STEP_AT for i in found)
        late.append(next((i - STEP_AT for i in found if i >= STEP_AT), len(stream)))
    return late, early


@pytest.mark.slow
@pytest.mark.parametrize("key", KEYS)
def test_calibrated_detectors_catch_an_error_rate_step_from_10_to_16_percent_within_2000_events(
    key: str, calibrated_on_errors: dict[str, StreamingDetector]
) -> None:
    streams = [error_stream(200 + seed, 15_000, step_at=STEP_AT) for seed in SEEDS]
    late, early = delays(calibrated_on_errors[key], streams)
    assert max(late) <= MAX_DELAY, late
    assert early <= 1  # a false alarm in the 5,000 events before the step, at most once


@pytest.mark.slow
@pytest.mark.parametrize("key", ["adwin", "page_hinkley"])
def test_calibrated_detectors_catch_a_fifth_of_a_sigma_prediction_shift_within_2000_events(
    key: str, calibrated_on_predictions: dict[str, StreamingDetector]
) -> None:
    streams = [z_stream(200 + seed, 15_000, step_at=STEP_AT) for seed in SEEDS]
    late, early = delays(calibrated_on_predictions[key], streams)
    assert max(late) <= MAX_DELAY, late
    assert early <= 1


def test_river_s_default_page_hinkley_fires_thousands_of_times_on_raw_predictions(
    calibrated_on_predictions: dict[str, StreamingDetector],
) -> None:
    """Why calibrate: 100,000 house prices around 180,000 ± 50,000, nothing changing."""
    from river import drift  # noqa: PLC0415

    standardised = z_stream(5, EVENTS)
    river_default = drift.PageHinkley()
    fired = 0
    for value in (180_000 + 50_000 * standardised).tolist():
        river_default.update(value)
        fired += river_default.drift_detected
    assert fired > 1_000
    assert len(detections(calibrated_on_predictions["page_hinkley"], standardised)) <= 1
