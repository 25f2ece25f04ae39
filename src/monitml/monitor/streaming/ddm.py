"""DDM: the error rate against the lowest it has been, in standard errors.

river's ``DDM`` tracks the running error rate ``p`` and its standard error ``s`` since its
last detection, and detects when ``p + s`` exceeds the lowest ``p + s`` seen by
``drift_threshold`` standard errors (warning at two thirds of that, river's 2:3 ratio). Its
false alarms come early in a run, while ``p`` is still noisy, so it starts testing only after
``warm_start`` events, set to see 100 errors at the reference rate (1,000 at 10%; never
fewer than river's 30). ``drift_threshold`` is the calibrated parameter, on a grid from 1 to
10 in steps of 0.05; on a 10% error stream, calibrated to 100,000 events between false
alarms, it comes out at 2.6 (river's default is 3, with ``warm_start=30``).
Because the rate is cumulative, DDM grows slower to react the longer it has run without a
detection: it suits streams it is reset on, and it only watches the 0/1 error signal.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> detector = DDM(run_length=2_000).fit((rng.random(5_000) < 0.1).astype(float))
>>> detector.warm_start_
949
>>> errors = (rng.random(3_000) < np.where(np.arange(3_000) < 1_000, 0.1, 0.5)).astype(float)
>>> first = next(i for i, x in enumerate(errors) if detector.update(x))
>>> 1_000 <= first < 1_200
True
"""

from __future__ import annotations

import math

import numpy as np

from monitml.monitor.streaming.base import StreamingDetector, register_detector
from monitml.monitor.streaming.calibration import RiverDetector

__all__ = ["DDM"]

# Errors expected at the reference rate before DDM starts testing.
WARM_START_ERRORS = 100
# River's warning/drift ratio (2.0 / 3.0).
WARNING_SHARE = 2.0 / 3.0
_GRID = [round(1.0 + 0.05 * step, 2) for step in range(181)]


@register_detector
class DDM(StreamingDetector):
    """river's DDM on the 0/1 error signal, ``drift_threshold`` calibrated on the reference."""

    key = "ddm"
    parameter = "drift_threshold"
    binary = True
    summary = "error rate against its minimum, in standard errors (river DDM)"

    def _learn(self, values: np.ndarray) -> None:
        rarer = min(self.mean_, 1.0 - self.mean_)
        self.warm_start_ = max(30, math.ceil(WARM_START_ERRORS / rarer))

    def _grid(self) -> list[float]:
        return list(_GRID)

    def _build(self, value: float) -> RiverDetector:
        from river.drift import binary  # noqa: PLC0415 (river is optional)

        detector: RiverDetector = binary.DDM(
            warm_start=self.warm_start_,
            warning_threshold=WARNING_SHARE * value,
            drift_threshold=value,
        )
        return detector
