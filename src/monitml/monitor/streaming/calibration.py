"""Choosing a streaming detector's threshold from the reference stream.

river's defaults are tuned for raw 0/1 errors of a learner that starts from nothing; on a
monitored model they either fire thousands of times (Page-Hinkley's ``threshold=50`` on raw
predictions in the hundreds of thousands) or waste sensitivity (ADWIN's ``delta=0.002``
gives about 1.8 million events between false alarms on a 10% error stream). So each
detector's one threshold parameter is chosen on a simulation of the reference stream:

1. **Simulate.** ``runs`` streams of ``run_length`` events are drawn with replacement from
   the reference signal (a bootstrap, seeded): what the stream looks like when nothing has
   changed. The events are independent, as the reference's rows are exchangeable.
2. **Count false alarms.** On each stream a fresh river detector runs as it would in
   production, resetting itself after each detection, and its detections are counted; the
   count stops as soon as it passes ``runs`` over all streams.
3. **Search.** Along a grid ordered from most to least sensitive, a bisection finds the most
   sensitive value with at most ``runs / 2`` detections over the ``runs`` streams: at most
   one false alarm per two ``run_length`` streams, counted from a fresh start.

Half, not one per stream, because so few counts are noisy: a value whose mean run length is
exactly ``run_length`` would pass a one-per-stream rule about as often as not, and half the
detectors would then fire more often than promised. Allowing one per two streams puts the
chosen value's mean run length between false alarms at about twice ``run_length``, so that
it is at least ``run_length`` with a margin.

Each stream starts a fresh detector because false alarms cluster after a start (DDM's
almost only come in its first few thousand events, while its error rate is still noisy):
one long stream would count a detector that survives its start as never firing again.
With the defaults (``run_length=100_000``, ``runs=4``: 400,000 simulated events, 2 false
alarms allowed) the tests measure the chosen values on ten fresh seeded streams of 100,000
events: at most one false alarm per stream on average, none on most. Every candidate sees
the same simulated events (common random numbers), so the count falls as the parameter
grows stricter and the bisection's answer is reproducible.

>>> import numpy as np
>>> streams = bootstrap_streams(np.array([0.0, 1.0]), runs=2, events=10, seed=0)
>>> [len(stream) for stream in streams], set(streams[0]) <= {0.0, 1.0}
([10, 10], True)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Protocol

import numpy as np

from monitml.errors import DataError

__all__ = ["RiverDetector", "bootstrap_streams", "count_detections", "most_sensitive"]


class RiverDetector(Protocol):
    """What MonitML uses of a river drift detector."""

    @property
    def drift_detected(self) -> bool: ...

    def update(self, x: float, /) -> object: ...


def bootstrap_streams(
    reference: np.ndarray, *, runs: int, events: int, seed: int
) -> list[list[float]]:
    """``runs`` streams of ``events`` values drawn with replacement from ``reference``, as
    Python floats (river updates one float at a time; a NumPy scalar per call costs more)."""
    rng = np.random.default_rng(seed)
    drawn: list[list[float]] = rng.choice(reference, size=(runs, events), replace=True).tolist()
    return drawn


def count_detections(
    build: Callable[[], RiverDetector], streams: Sequence[Sequence[float]], *, limit: int
) -> int:
    """Detections of a fresh detector on each stream, summed; counting stops past ``limit``."""
    found = 0
    for stream in streams:
        detector = build()
        for value in stream:
            detector.update(value)
            if detector.drift_detected:
                found += 1
                if found > limit:
                    return found
    return found


def most_sensitive(
    build: Callable[[float], RiverDetector],
    grid: Sequence[float],
    streams: Sequence[Sequence[float]],
    *,
    allowed: int,
    name: str,
) -> float:
    """The first value of ``grid`` (most sensitive first) whose detectors raise at most
    ``allowed`` detections over ``streams``; a ``DataError`` when even the last one raises more.
    """
    low, high = -1, len(grid)  # invariant: grid[low] fires too often, grid[high] does not
    while high - low > 1:
        middle = (low + high) // 2
        if count_detections(partial(build, grid[middle]), streams, limit=allowed) <= allowed:
            high = middle
        else:
            low = middle
    if high == len(grid):
        events = sum(len(stream) for stream in streams)
        raise DataError(
            f"{name}: no value up to {grid[-1]!r} keeps false alarms to {allowed} in "
            f"{events} simulated reference events"
        )
    return float(grid[high])
