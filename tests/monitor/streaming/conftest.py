"""Seeded error and standardised-prediction streams, and detectors calibrated at the default."""

from __future__ import annotations

import numpy as np
import pytest

from monitml.monitor.streaming import STREAMING_REGISTRY, StreamingDetector

REFERENCE_EVENTS = 20_000
BASE_RATE = 0.10


def error_stream(
    seed: int, events: int, *, step_at: int | None = None, after: float = 0.16
) -> np.ndarray:
    """0/1 errors at 10%, rising to ``after`` from event ``step_at`` on."""
    rng = np.random.default_rng(seed)
    rate = np.full(events, BASE_RATE)
    if step_at is not None:
        rate[step_at:] = after
    return (rng.random(events) < rate).astype(np.float64)


def z_stream(
    seed: int, events: int, *, step_at: int | None = None, shift: float = 0.2
) -> np.ndarray:
    """Standard normal values, shifted by ``shift`` from event ``step_at`` on."""
    values = np.random.default_rng(seed).standard_normal(events)
    if step_at is not None:
        values[step_at:] += shift
    return values


@pytest.fixture(scope="session")
def calibrated_on_errors() -> dict[str, StreamingDetector]:
    """Each detector calibrated at the default run length on a 10% error reference."""
    reference = error_stream(0, REFERENCE_EVENTS)
    return {key: cls().fit(reference) for key, cls in STREAMING_REGISTRY.items()}


@pytest.fixture(scope="session")
def calibrated_on_predictions() -> dict[str, StreamingDetector]:
    """ADWIN and Page-Hinkley calibrated at the default run length on standardised values."""
    reference = z_stream(0, REFERENCE_EVENTS)
    return {key: cls().fit(reference) for key, cls in STREAMING_REGISTRY.items() if not cls.binary}
