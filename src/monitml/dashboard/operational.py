"""Requests per second, error rate and latency quantiles from the gateway's metrics text.

The gateway's ``/metrics`` (or its registry, read in process) only holds running totals; a rate
needs two reads. :class:`OperationalRates` keeps the reads it made over the last few minutes and
reports each figure over the span between the oldest read at least ``span`` old (else the oldest
it has) and now. On the very first read it falls back to the totals since the counters were
created (the ``_created`` series), and says so in ``over``.

Latency quantiles are computed from the histogram's bucket counts as Prometheus's
``histogram_quantile`` does (linear within a bucket).
"""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from monitml.stats.histograms import histogram_quantile

__all__ = ["OperationalFigures", "OperationalRates"]

Key = tuple[str, str]
REQUESTS = "monitml_requests_total"
CREATED = "monitml_requests_created"
BUCKETS = "monitml_request_duration_seconds_bucket"


@dataclass(frozen=True, slots=True)
class OperationalFigures:
    """One model version's traffic over ``over`` (a phrase: "the last 60 s", "since start")."""

    requests_per_second: float
    error_rate: float | None
    latency_p50: float | None
    latency_p95: float | None
    over: str


@dataclass
class _Read:
    at: float
    requests: dict[Key, float] = field(default_factory=dict)
    errors: dict[Key, float] = field(default_factory=dict)
    created: dict[Key, float] = field(default_factory=dict)
    buckets: dict[Key, dict[float, float]] = field(default_factory=dict)


def _parse(text: str, at: float) -> _Read:
    requests: dict[Key, float] = defaultdict(float)
    errors: dict[Key, float] = defaultdict(float)
    created: dict[Key, float] = {}
    buckets: dict[Key, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            key = (labels.get("model", ""), labels.get("version", ""))
            if not key[0] or key[1] == "none":  # "none": requests that did not validate
                continue
            if sample.name == REQUESTS:
                requests[key] += sample.value
                if labels.get("status") == "error":
                    errors[key] += sample.value
            elif sample.name == CREATED:
                created[key] = min(created.get(key, math.inf), sample.value)
            elif sample.name == BUCKETS:
                buckets[key][float(labels["le"])] += sample.value
    return _Read(
        at,
        dict(requests),
        dict(errors),
        created,
        {key: dict(value) for key, value in buckets.items()},
    )


class OperationalRates:
    """Figures per (model, version) from successive reads of a metrics text.

    Thread-safe. ``read_metrics`` returns the text exposition ("" when it cannot be read).
    """

    def __init__(
        self,
        read_metrics: Callable[[], str],
        *,
        span: float = 60.0,
        keep: float = 600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._read_metrics = read_metrics
        self.span = span
        self.keep = keep
        self._clock = clock
        self._reads: deque[_Read] = deque()
        self._lock = threading.Lock()

    def figures(self) -> dict[Key, OperationalFigures]:
        now = self._clock()
        current = _parse(self._read_metrics(), now)
        with self._lock:
            while self._reads and self._reads[0].at < now - self.keep:
                self._reads.popleft()
            older = [r for r in self._reads if r.at <= now - self.span]
            baseline = older[-1] if older else (self._reads[0] if self._reads else None)
            if not self._reads or now - self._reads[-1].at >= 1.0:
                self._reads.append(current)
        found: dict[Key, OperationalFigures] = {}
        for key, total in current.requests.items():
            figures = self._between(key, baseline, current, total)
            if figures is not None:
                found[key] = figures
        return found

    @staticmethod
    def _between(
        key: Key, baseline: _Read | None, current: _Read, total: float
    ) -> OperationalFigures | None:
        if baseline is not None and current.at - baseline.at > 0:
            elapsed = current.at - baseline.at
            over = f"the last {elapsed:.0f} s"
            old_requests = baseline.requests.get(key, 0.0)
            old_errors = baseline.errors.get(key, 0.0)
            old_buckets = baseline.buckets.get(key, {})
        elif key in current.created and current.at > current.created[key]:
            elapsed = current.at - current.created[key]
            over = "since start"
            old_requests = old_errors = 0.0
            old_buckets = {}
        else:
            return None
        delta = max(total - old_requests, 0.0)
        errors = current.errors.get(key, 0.0) - old_errors
        deltas = {b: c - old_buckets.get(b, 0.0) for b, c in current.buckets.get(key, {}).items()}
        return OperationalFigures(
            requests_per_second=delta / elapsed,
            error_rate=errors / delta if delta > 0 else None,
            latency_p50=histogram_quantile(0.5, deltas),
            latency_p95=histogram_quantile(0.95, deltas),
            over=over,
        )
