"""Quantiles of cumulative histogram buckets, the way Prometheus's ``histogram_quantile`` works."""

from __future__ import annotations

import math

__all__ = ["histogram_quantile"]


def histogram_quantile(q: float, cumulative: dict[float, float]) -> float | None:
    """The ``q`` quantile of cumulative bucket counts ``{upper bound: count}``; None if empty.

    Linear within the bucket that holds the rank; a rank in the ``+Inf`` bucket gives the largest
    finite bound, as in Prometheus.

    >>> histogram_quantile(0.5, {1.0: 0.0, 2.0: 10.0, math.inf: 10.0})
    1.5
    """
    bounds = sorted(cumulative)
    total = cumulative[bounds[-1]] if bounds else 0.0
    if total <= 0:
        return None
    rank = q * total
    previous_bound, previous_count = 0.0, 0.0
    for bound in bounds:
        count = cumulative[bound]
        if count >= rank:
            if math.isinf(bound):
                return previous_bound
            width = count - previous_count
            share = (rank - previous_count) / width if width > 0 else 0.0
            return previous_bound + (bound - previous_bound) * share
        previous_bound, previous_count = bound, count
    return previous_bound
