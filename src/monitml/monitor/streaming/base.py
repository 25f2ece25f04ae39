"""One interface for streaming drift detectors, and the registry they add themselves to.

A streaming detector is fitted on the reference signal (which calibrates its threshold, see
``monitml.monitor.streaming.calibration``) and then updated one event at a time, river's
shape: ``update(x)``, ``drift_detected``, ``reset()``. Its verdict is the same frozen
:class:`~monitml.stats.result.DriftResult` a batch method returns:

* ``feature`` — the signal (``error`` or ``prediction``); ``method`` — the detector's key;
* ``statistic`` — the signal's mean since the last detection (the error rate, or the mean
  standardised prediction, the detector now sees); ``current_size`` — the events it is on;
* ``threshold`` — the calibrated parameter (ADWIN's ``delta``, DDM's ``drift_threshold``,
  Page-Hinkley's ``threshold``); ``p_value`` — none;
* ``drift_detected`` — a detection on the last event, or on any event since ``since``;
* ``reference_size`` — the reference events it was calibrated on.

The detectors themselves are river's (``pip install monitml[streaming]``), imported when a
detector is first built, so importing MonitML never needs river.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import ClassVar, Self

import numpy as np

from monitml.errors import DataError, NotFittedError, UnknownMethodError
from monitml.monitor.streaming.calibration import (
    RiverDetector,
    bootstrap_streams,
    most_sensitive,
)
from monitml.stats.result import DriftResult

__all__ = [
    "DEFAULT_RUNS",
    "DEFAULT_RUN_LENGTH",
    "MIN_REFERENCE_EVENTS",
    "STREAMING_REGISTRY",
    "StreamingDetector",
    "allowed_alarms",
    "get_detector",
    "register_detector",
]

# Expected events between two false alarms of one detector on an unchanged stream.
DEFAULT_RUN_LENGTH = 100_000
# Simulated streams of ``run_length`` events; half as many false alarms allowed over them.
DEFAULT_RUNS = 4


def allowed_alarms(runs: int) -> int:
    """False alarms allowed over ``runs`` simulated streams: one per two streams (at least one)."""
    return max(1, runs // 2)


# A bootstrap of fewer reference events than this is not a picture of the stream.
MIN_REFERENCE_EVENTS = 100

STREAMING_REGISTRY: dict[str, type[StreamingDetector]] = {}


class StreamingDetector(ABC):
    """Base of every streaming detector: a calibrated river detector behind one interface.

    Subclasses set ``key``, ``parameter`` (the river argument that is calibrated),
    ``binary`` (whether the signal must be 0/1) and ``summary``, and implement ``_grid``
    (candidate values, most sensitive first) and ``_build(value)`` (the river detector).
    ``value`` fixes the parameter instead of calibrating it.
    """

    key: ClassVar[str]
    parameter: ClassVar[str]
    binary: ClassVar[bool] = False
    summary: ClassVar[str]

    def __init__(
        self,
        *,
        run_length: int = DEFAULT_RUN_LENGTH,
        runs: int = DEFAULT_RUNS,
        seed: int = 0,
        value: float | None = None,
    ) -> None:
        self.run_length = run_length
        self.runs = runs
        self.seed = seed
        self.value = value

    # -- fitting -------------------------------------------------------------------------

    def fit(self, reference: np.ndarray) -> Self:
        """Learn the reference signal's scale and calibrate the threshold; return ``self``."""
        self._check_parameters()
        values = np.asarray(reference, dtype=np.float64)
        values = values[~np.isnan(values)]
        if values.size < MIN_REFERENCE_EVENTS:
            raise DataError(
                f"{self.key}: the reference signal has {values.size} events; "
                f"calibration needs at least {MIN_REFERENCE_EVENTS}"
            )
        if not np.isfinite(values).all():
            raise DataError(f"{self.key}: the reference signal has infinite values")
        if self.binary and not np.isin(values, (0.0, 1.0)).all():
            raise DataError(f"{self.key} works on a 0/1 signal (errors), not on other values")
        scale = float(values.std())
        if scale == 0.0:
            raise DataError(
                f"{self.key}: the reference signal is constant ({values[0]!r}); "
                "there is no false-alarm rate to calibrate against"
            )
        self.reference_size_ = int(values.size)
        self.mean_ = float(values.mean())
        self.scale_ = scale
        self._learn(values)
        if self.value is None:
            streams = bootstrap_streams(
                values, runs=self.runs, events=self.run_length, seed=self.seed
            )
            self.value_ = most_sensitive(
                self._build, self._grid(), streams, allowed=allowed_alarms(self.runs), name=self.key
            )
        else:
            self.value_ = float(self.value)
        self.reset()
        return self

    def _learn(self, values: np.ndarray) -> None:  # noqa: B027 (optional hook)
        """Set fixed, reference-derived parameters before calibrating (none by default)."""

    @abstractmethod
    def _grid(self) -> list[float]:
        """Candidate values of the calibrated parameter, most sensitive first."""

    @abstractmethod
    def _build(self, value: float) -> RiverDetector:
        """A fresh river detector with the calibrated parameter set to ``value``."""

    def _check_parameters(self) -> None:
        name = type(self).__name__
        for label, number in (("run_length", self.run_length), ("runs", self.runs)):
            if isinstance(number, bool) or not isinstance(number, int) or number < 1:
                raise ValueError(
                    f"The '{label}' parameter of {name} must be a positive integer. "
                    f"Got {number!r} instead."
                )
        if self.value is not None and not math.isfinite(self.value):
            raise ValueError(
                f"The 'value' parameter of {name} must be a finite number. "
                f"Got {self.value!r} instead."
            )

    # -- streaming -----------------------------------------------------------------------

    def reset(self) -> None:
        """Forget every event: a fresh river detector with the calibrated parameter."""
        self.detector_ = self._build(self._fitted_value())
        self.events_ = 0
        self.detections_: list[int] = []
        self._count = 0
        self._total = 0.0

    def update(self, x: float) -> bool:
        """Feed one event; True when it completes a detection."""
        detector = self._fitted_detector()
        if self.binary and x not in (0.0, 1.0):
            raise DataError(f"{self.key} works on a 0/1 signal (errors); got {x!r}")
        if detector.drift_detected:  # river resets itself on the event after a detection
            self._count, self._total = 0, 0.0
        detector.update(float(x))
        self._count += 1
        self._total += float(x)
        self.events_ += 1
        if detector.drift_detected:
            self.detections_.append(self.events_ - 1)
            return True
        return False

    @property
    def drift_detected(self) -> bool:
        """Whether the last event completed a detection."""
        return self._fitted_detector().drift_detected

    def result(self, *, feature: str = "", since: int | None = None) -> DriftResult:
        """The current verdict; with ``since``, drift means a detection at an event index
        of at least ``since`` (0-based over every event fed since the last reset)."""
        detector = self._fitted_detector()
        if since is None:
            detected = detector.drift_detected
        else:
            detected = any(index >= since for index in self.detections_)
        return DriftResult(
            feature=feature,
            method=self.key,
            kind="numerical",
            statistic=self._total / self._count if self._count else None,
            p_value=None,
            threshold=self.value_,
            drift_detected=bool(detected),
            reference_size=self.reference_size_,
            current_size=self._count,
        )

    def _fitted_value(self) -> float:
        value = getattr(self, "value_", None)
        if value is None:
            raise NotFittedError(
                f"{type(self).__name__} is not fitted; call fit(reference signal) first"
            )
        return float(value)

    def _fitted_detector(self) -> RiverDetector:
        detector: RiverDetector | None = getattr(self, "detector_", None)
        if detector is None:
            raise NotFittedError(
                f"{type(self).__name__} is not fitted; call fit(reference signal) first"
            )
        return detector


def register_detector(cls: type[StreamingDetector]) -> type[StreamingDetector]:
    """Class decorator: make a streaming detector selectable by its ``key``."""
    if cls.key in STREAMING_REGISTRY:
        raise ValueError(f"streaming detector key '{cls.key}' is registered twice")
    STREAMING_REGISTRY[cls.key] = cls
    return cls


def get_detector(key: str) -> type[StreamingDetector]:
    """The detector class registered under ``key``; an unknown key lists the valid ones."""
    found = STREAMING_REGISTRY.get(key)
    if found is None:
        valid = ", ".join(sorted(STREAMING_REGISTRY))
        raise UnknownMethodError(f"unknown streaming detector '{key}'; valid detectors: {valid}")
    return found
