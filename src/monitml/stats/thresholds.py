"""Thresholds learned from the reference, for statistics that have no p-value.

A distance such as Jensen–Shannon has no null distribution of its own, and a fixed constant
(Evidently's 0.1) ignores the window size: small windows are noisy and cross it by chance.
Splitting the reference into chunks of the window's size and scoring each chunk against
the whole reference shows how large the statistic gets when nothing changed; the threshold
sits ``z`` standard deviations above that spread, ``z`` chosen for the wanted false-alarm
rate (already corrected for the number of features by the caller).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from monitml.stats.distributions import normal_isf

__all__ = ["MIN_REFERENCE_CHUNKS", "spread_threshold"]

# Fewer chunks than this give too noisy a spread; callers fall back to the default.
MIN_REFERENCE_CHUNKS = 5


def spread_threshold(chunk_statistics: ArrayLike, alpha: float) -> float | None:
    """``exp(mean + z(1 − α) · std)`` of the log statistic over reference chunks.

    Distances are positive and skewed to the right; on the log scale their spread is close to
    normal, so the far tail (α is small once corrected for features and windows) is not
    underestimated. Returns ``None`` with fewer than ``MIN_REFERENCE_CHUNKS`` positive values.

    >>> round(spread_threshold([0.02, 0.03, 0.025, 0.035, 0.03], alpha=0.00135), 4)
    0.0523
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(
            f"The 'alpha' parameter of spread_threshold must be in (0, 1). Got {alpha!r} instead."
        )
    values = np.asarray(chunk_statistics, dtype=np.float64)
    values = values[np.isfinite(values) & (values > 0)]
    if values.size < MIN_REFERENCE_CHUNKS:
        return None
    logs = np.log(values)
    z = normal_isf(alpha)
    spread = float(logs.std(ddof=1))
    return math.exp(float(logs.mean()) + z * (spread if math.isfinite(spread) else 0.0))
