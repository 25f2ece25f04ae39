"""Operational signals (traffic, errors, latency) from the gateway's own metrics.

The gateway counts every request in Prometheus metrics; the monitor reads them (in
process, or from the gateway's ``/metrics`` URL) and turns the change since its last run
into rates, so MonitML's own alert rules can use ``error_rate``, ``latency_p95`` and
``requests_per_second`` without a Prometheus server.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

from monitml.stats.histograms import histogram_quantile

__all__ = ["OperationalSampler"]

Key = tuple[str, str]


@dataclass
class _Snapshot:
    at: float
    requests: dict[Key, float] = field(default_factory=dict)
    errors: dict[Key, float] = field(default_factory=dict)
    buckets: dict[Key, dict[float, float]] = field(default_factory=dict)


def _parse(text: str, at: float) -> _Snapshot:
    snapshot = _Snapshot(at)
    requests: dict[Key, float] = defaultdict(float)
    errors: dict[Key, float] = defaultdict(float)
    buckets: dict[Key, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            key = (labels.get("model", ""), labels.get("version", ""))
            if sample.name == "monitml_requests_total":
                requests[key] += sample.value
                # The gateway labels each request ok, error (the model failed) or invalid.
                if labels.get("status") == "error":
                    errors[key] += sample.value
            elif sample.name == "monitml_request_duration_seconds_bucket":
                buckets[key][float(labels["le"])] += sample.value
    snapshot.requests, snapshot.errors = dict(requests), dict(errors)
    snapshot.buckets = {key: dict(value) for key, value in buckets.items()}
    return snapshot


class OperationalSampler:
    """Rates between two reads of the gateway's metrics text."""

    def __init__(self, read_metrics: Callable[[], str]) -> None:
        self._read = read_metrics
        self._last: _Snapshot | None = None

    def sample(self, now: float) -> list[tuple[str, dict[str, str], float]]:
        """(name, labels, value) per model version; empty on the first call."""
        current = _parse(self._read(), now)
        previous, self._last = self._last, current
        if previous is None or current.at <= previous.at:
            return []
        elapsed = current.at - previous.at
        samples: list[tuple[str, dict[str, str], float]] = []
        for key, total in current.requests.items():
            if not key[0]:
                continue
            labels = {"model": key[0], "version": key[1]}
            delta = total - previous.requests.get(key, 0.0)
            samples.append(("requests_per_second", labels, delta / elapsed))
            if delta > 0:
                failed = current.errors.get(key, 0.0) - previous.errors.get(key, 0.0)
                samples.append(("error_rate", labels, failed / delta))
            old = previous.buckets.get(key, {})
            deltas = {b: c - old.get(b, 0.0) for b, c in current.buckets.get(key, {}).items()}
            p95 = histogram_quantile(0.95, deltas)
            if p95 is not None:
                samples.append(("latency_p95", labels, p95))
        return samples
