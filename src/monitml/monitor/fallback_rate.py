"""The fallback rate of each version in a monitor pass, from the logged rows of its windows.

A record the fallback answered is logged under the fallback version, with the routed version
it replaced (``replaced_version``), so the records routed to version ``v`` in a pass are the
rows of ``v``'s window plus the rows of any window that name ``v`` as replaced:

    fallback_rate(v) = replaced(v) / (rows(v) + replaced(v))

the same ratio as the exported PromQL over ``monitml_fallback_total`` (``monitml.alerts.metrics``).

>>> import pandas as pd
>>> windows = {
...     "v1": count_fallbacks(pd.DataFrame({"replaced_version": [None] * 9})),
...     "rules": count_fallbacks(pd.DataFrame({"replaced_version": ["v1", None]})),
... }
>>> fallback_samples("house-price", windows)[0]
('fallback_rate', {'model': 'house-price', 'version': 'v1'}, 0.1)

What is guaranteed: with a time window (``monitor.window.period``) every version's window covers
the same span, so the rate is exact for it. What is not: with a row window each version's last
N rows cover different spans, so the rate mixes them; a version with no row and nothing
replaced has no rate (as its other series).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["FALLBACK_RATE", "FallbackCounts", "count_fallbacks", "fallback_samples"]

FALLBACK_RATE = "fallback_rate"
REPLACED = "replaced_version"  # the window frame's column (monitml.store.frames)


@dataclass(frozen=True, slots=True)
class FallbackCounts:
    """One window's rows, and how many of them the fallback answered for each routed version."""

    rows: int
    replaced: Mapping[str, int] = field(default_factory=dict)


def count_fallbacks(window: pd.DataFrame) -> FallbackCounts:
    """The counts of one window (a frame from ``PredictionStore.read_window``)."""
    if REPLACED not in window.columns:
        return FallbackCounts(len(window))
    counted = window[REPLACED].dropna().value_counts()
    return FallbackCounts(len(window), {str(k): int(n) for k, n in counted.items()})


def fallback_samples(
    model: str, windows: Mapping[str, FallbackCounts]
) -> list[tuple[str, dict[str, str], float]]:
    """``fallback_rate`` of each version of ``model`` over one pass's windows, by version."""
    replaced: Counter[str] = Counter()
    for counts in windows.values():
        replaced.update(counts.replaced)
    samples: list[tuple[str, dict[str, str], float]] = []
    for version, counts in windows.items():
        routed = counts.rows + replaced[version]
        if routed:
            labels = {"model": model, "version": version}
            samples.append((FALLBACK_RATE, labels, replaced[version] / routed))
    return samples
