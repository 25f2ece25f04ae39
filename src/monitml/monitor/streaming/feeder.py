"""Feeding the streaming detectors from the monitor's windows, one event per row.

At each pass the monitor hands over the window it read (oldest first). Every row whose
prediction has not been fed yet feeds the ``prediction`` detectors, and every row whose label
has arrived since feeds the ``error`` detectors, in timestamp order: a label that comes an
hour late is fed an hour late, after the labels that came before it. Each version of a model
has its own detectors, with the parameters calibrated once on the model's reference.

What is guaranteed, and what is not:

* A row is fed at most once per signal: the ids already fed are remembered for as long as
  their rows stay in the window (memory bounded by the window's rows).
* A row is fed only if some pass sees it: traffic beyond the window's size between two passes,
  or a label that arrives after its row has left the window, is never fed. Size the window
  (``monitor.window``) to hold a pass's traffic and the label delay.
* The detectors live in the monitor's memory: a restart (or a standby taking over) starts
  them afresh, as after a detection.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from monitml.errors import DataError
from monitml.monitor.streaming.base import (
    DEFAULT_RUN_LENGTH,
    DEFAULT_RUNS,
    StreamingDetector,
    get_detector,
)
from monitml.monitor.streaming.signals import ERROR, SignalMaker
from monitml.stats.result import DriftResult

__all__ = ["DEFAULT_DETECTORS", "StreamMonitor", "StreamUpdate", "StreamingPolicy"]

logger = logging.getLogger(__name__)

DEFAULT_DETECTORS = ("adwin", "ddm", "page_hinkley")


@dataclass(frozen=True, slots=True)
class StreamingPolicy:
    """Which detectors run, and how rarely each may cry wolf on an unchanged stream.

    ``run_length`` is the expected number of events between two false alarms of one
    detector (see ``monitml.monitor.streaming.calibration``).
    """

    run_length: int = DEFAULT_RUN_LENGTH
    runs: int = DEFAULT_RUNS
    detectors: tuple[str, ...] = DEFAULT_DETECTORS
    seed: int = 0

    def __post_init__(self) -> None:
        for key in self.detectors:
            get_detector(key)  # an unknown key lists the valid ones
        for name in ("run_length", "runs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(
                    f"The '{name}' parameter of StreamingPolicy must be a positive integer. "
                    f"Got {value!r} instead."
                )


@dataclass(frozen=True, slots=True)
class StreamUpdate:
    """What one pass's new events did to one detector of one version.

    ``result`` is the detector's verdict (``drift_detected``: a detection on this pass's
    events); ``detections`` are the 0-based event indices of this pass's detections, counted
    over every event the detector has been fed; ``total_detections`` counts them all.
    """

    signal: str
    detector: str
    result: DriftResult
    events: int
    detections: tuple[int, ...]
    total_detections: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "detector": self.detector,
            "events": self.events,
            "detections": list(self.detections),
            "total_detections": self.total_detections,
            "result": self.result.to_dict(),
        }


@dataclass
class _Version:
    detectors: dict[tuple[str, str], StreamingDetector]
    fed: dict[str, set[str]] = field(default_factory=lambda: {ERROR: set(), "prediction": set()})
    total: dict[tuple[str, str], int] = field(default_factory=dict)


class StreamMonitor:
    """The calibrated streaming detectors of one model, fed window by window per version.

    ``reference`` has a ``prediction`` column and, for the error signal, a ``label`` one.
    A signal the reference cannot calibrate (no labels, constant predictions) is left out
    with a warning; ``signals`` says which remain.
    """

    def __init__(
        self, reference: pd.DataFrame, *, task: str, policy: StreamingPolicy | None = None
    ) -> None:
        self.policy = policy or StreamingPolicy()
        self.maker = SignalMaker(task).fit(reference)
        self.templates: dict[tuple[str, str], StreamingDetector] = {}
        for signal in self.maker.available:
            values = self.maker.values(signal, reference)
            for key in self.policy.detectors:
                cls = get_detector(key)
                if cls.binary and signal != ERROR:
                    continue
                detector = cls(
                    run_length=self.policy.run_length, runs=self.policy.runs, seed=self.policy.seed
                )
                try:
                    self.templates[(signal, key)] = detector.fit(values)
                except DataError as error:
                    logger.warning("streaming %s on %s left out: %s", key, signal, error)
        self.signals = tuple(dict.fromkeys(signal for signal, _ in self.templates))
        self._versions: dict[str, _Version] = {}

    def feed(self, window: pd.DataFrame, version: str) -> tuple[StreamUpdate, ...]:
        """Feed the window's rows not fed yet (labels: not fed since they arrived)."""
        state = self._versions.get(version)
        if state is None:
            state = _Version({k: _fresh(d) for k, d in self.templates.items()})
            self._versions[version] = state
        rows = _in_time_order(window)
        ids = rows["record_id"].astype(str).to_numpy() if "record_id" in rows else None
        updates: list[StreamUpdate] = []
        for signal in self.signals:
            values = self.maker.values(signal, rows)
            present = ~np.isnan(values)
            if ids is not None:
                fed = state.fed[signal]
                new = present & ~np.isin(ids, list(fed)) if fed else present
                # Only ids still in the window can come back: the rest are forgotten.
                state.fed[signal] = (fed & set(ids[present])) | set(ids[new])
            else:
                new = present
            updates.extend(self._feed_signal(state, signal, values[new].tolist()))
        return tuple(updates)

    def _feed_signal(
        self, state: _Version, signal: str, values: Sequence[float]
    ) -> list[StreamUpdate]:
        updates = []
        for (name, key), detector in state.detectors.items():
            if name != signal:
                continue
            since = detector.events_
            found = tuple(since + i for i, value in enumerate(values) if detector.update(value))
            total = state.total.get((signal, key), 0) + len(found)
            state.total[(signal, key)] = total
            updates.append(
                StreamUpdate(
                    signal=signal,
                    detector=key,
                    result=detector.result(feature=signal, since=since),
                    events=len(values),
                    detections=found,
                    total_detections=total,
                )
            )
        return updates


def _fresh(template: StreamingDetector) -> StreamingDetector:
    detector = copy.deepcopy(template)
    detector.reset()
    return detector


def _in_time_order(window: pd.DataFrame) -> pd.DataFrame:
    if "timestamp" not in window.columns or window.empty:
        return window
    return window.sort_values("timestamp", kind="stable")
