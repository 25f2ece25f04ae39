"""ADWIN: an adaptive window that is cut where its two halves' means differ.

river's ``ADWIN`` keeps a window of recent events and drops its older part when the means of
the two parts differ by more than a bound set by ``delta`` (checked every 32 events). A
larger ``delta`` cuts sooner: it is the calibrated parameter, searched on a log grid from
0.9 down to 10⁻⁹. On a 10% error stream the calibration to 100,000 events between false
alarms gives ``delta`` of about 0.036 (river's default, 0.002, gives about 1.8 million); on
the standardised prediction about 0.019.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> detector = ADWIN(run_length=2_000).fit((rng.random(5_000) < 0.1).astype(float))
>>> errors = (rng.random(3_000) < np.where(np.arange(3_000) < 1_000, 0.1, 0.5)).astype(float)
>>> first = next(i for i, x in enumerate(errors) if detector.update(x))
>>> 1_000 <= first < 1_200
True
"""

from __future__ import annotations

import numpy as np

from monitml.monitor.streaming.base import StreamingDetector, register_detector
from monitml.monitor.streaming.calibration import RiverDetector

__all__ = ["ADWIN"]

_GRID = np.geomspace(0.9, 1e-9, 97).tolist()


@register_detector
class ADWIN(StreamingDetector):
    """river's ADWIN on any numerical signal, ``delta`` calibrated on the reference."""

    key = "adwin"
    parameter = "delta"
    summary = "adaptive window cut where the means of its two parts differ (river ADWIN)"

    def _grid(self) -> list[float]:
        return list(_GRID)

    def _build(self, value: float) -> RiverDetector:
        from river import drift  # noqa: PLC0415 (river is optional)

        detector: RiverDetector = drift.ADWIN(delta=value)  # type: ignore[no-untyped-call]
        return detector
