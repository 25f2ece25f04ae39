"""The gateway's Prometheus metrics, on a registry the caller owns (nothing global).

Names follow ``design.md``. The request path only does locked adds on label children that are
looked up once per model version; process figures are read at scrape time.

With several uvicorn workers set ``PROMETHEUS_MULTIPROC_DIR`` (``monitml serve --workers N``
does) before the workers start: each worker then writes its values to files in that folder and
any worker's ``/metrics`` adds them all up (prometheus_client's multiprocess mode). Gauges say
how they combine: queue depths add up over live workers, info and weights take the latest.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = [
    "CONTENT_TYPE_LATEST",
    "DEFAULT_PREDICTION_BUCKETS",
    "DURATION_BUCKETS",
    "REJECTIONS",
    "GatewayMetrics",
    "ProcessMetrics",
    "multiprocess_dir",
]

# 5 ms … 10 s like the seed's executor histogram, with finer steps below 5 ms.
DURATION_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
# 1-2-5 steps from 0.01 to 10 million: probabilities and scores, counts, and prices (the seed's
# alert line of 100,000 is a bucket edge), with 0 so that negative predictions stand apart.
DEFAULT_PREDICTION_BUCKETS = (
    0.0, *(round(m * 10.0**e, 2) for e in range(-2, 7) for m in (1, 2, 5)), 1e7,
)  # fmt: skip

_PID_IN_FILENAME = re.compile(r"_(\d+)\.db$")
# Why a request was answered 503 at once (the only values of the ``reason`` label).
REJECTIONS = ("overload", "log_unavailable")


def multiprocess_dir() -> str | None:
    """The folder of prometheus_client's multiprocess mode, when it is on."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class ProcessMetrics(Collector):
    """CPU seconds and resident memory of this process, or of every live worker that writes to
    the multiprocess folder (summed), read when Prometheus scrapes."""

    def __init__(self, folder: str | None = None) -> None:
        self.folder = folder

    def _pids(self) -> set[int]:
        pids = {os.getpid()}
        if self.folder is not None:
            for path in Path(self.folder).glob("*.db"):
                if match := _PID_IN_FILENAME.search(path.name):
                    pids.add(int(match.group(1)))
        return {pid for pid in pids if psutil.pid_exists(pid)}

    def collect(self) -> Iterable[Metric]:
        cpu = memory = 0.0
        workers = 0
        for pid in self._pids():
            try:
                process = psutil.Process(pid)
                times = process.cpu_times()
                memory += process.memory_info().rss
            except psutil.Error:  # ended between the listing and now
                continue
            cpu += times.user + times.system
            workers += 1
        yield CounterMetricFamily(
            "process_cpu_seconds", "User and system CPU time of the gateway's processes.", cpu
        )
        yield GaugeMetricFamily(
            "process_resident_memory_bytes", "Resident memory of the gateway's processes.", memory
        )
        yield GaugeMetricFamily(
            "monitml_worker_processes", "Gateway worker processes alive.", workers
        )


@dataclass(frozen=True, slots=True)
class _VersionChildren:
    ok: Any
    error: Any
    duration: Any
    value: Any


class GatewayMetrics:
    """Every gateway metric, registered on ``registry`` (a fresh one by default)."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        *,
        prediction_buckets: Sequence[float] = DEFAULT_PREDICTION_BUCKETS,
    ) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.folder = multiprocess_dir()
        r = self.registry
        self.requests = Counter(
            "monitml_requests_total",
            "Prediction requests by model, version and outcome (ok, error, invalid).",
            ["model", "version", "status"],
            registry=r,
        )
        self.duration = Histogram(
            "monitml_request_duration_seconds",
            "Time to answer a prediction request, validation to answer.",
            ["model", "version"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self.model_info = Gauge(
            "monitml_model_info",
            "Served model versions (always 1): task and loader (python or onnx).",
            ["model", "version", "task", "loader"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.routing_weight = Gauge(
            "monitml_routing_weight_ratio",
            "Share of a model's traffic routed to a version (0-1).",
            ["model", "version"],
            multiprocess_mode="livemax",
            registry=r,
        )
        self.queue_depth = Gauge(
            "monitml_log_queue_depth",
            "Predictions waiting to be written to the store.",
            multiprocess_mode="livesum",
            registry=r,
        )
        self.dropped = Counter(
            "monitml_log_records_dropped_total",
            "Predictions lost because neither the store nor the spill file took them.",
            registry=r,
        )
        self.prediction_value = Histogram(
            "monitml_prediction_value",
            "Predicted values of regression models.",
            ["model", "version"],
            buckets=prediction_buckets,
            registry=r,
        )
        self.predicted_class = Counter(
            "monitml_predicted_class_total",
            "Predicted classes of classification models.",
            ["model", "version", "class"],
            registry=r,
        )
        self.rejected_requests = Counter(
            "monitml_requests_rejected_total",
            "Requests answered 503 at once: overload (server.max_concurrency reached) or "
            "log_unavailable (a record could be neither queued nor spilled).",
            ["reason"],
            registry=r,
        )
        self._rejected = {reason: self.rejected_requests.labels(reason) for reason in REJECTIONS}
        self.fallbacks = Counter(
            "monitml_fallback_total",
            "Records answered by the model's fallback version instead of the routed version "
            "(the version label), by reason: out_of_range or unseen_category.",
            ["model", "version", "reason"],
            registry=r,
        )
        self._fallback_children: dict[tuple[str, str, str], Any] = {}
        if self.folder is None:
            r.register(ProcessMetrics())
        self._children: dict[tuple[str, str], _VersionChildren] = {}
        self._dropped_seen = 0

    def children(self, model: str, version: str) -> _VersionChildren:
        """The label children of one version, looked up once."""
        key = (model, version)
        found = self._children.get(key)
        if found is None:
            found = _VersionChildren(
                ok=self.requests.labels(model, version, "ok"),
                error=self.requests.labels(model, version, "error"),
                duration=self.duration.labels(model, version),
                value=self.prediction_value.labels(model, version),
            )
            self._children[key] = found
        return found

    def observe(
        self, model: str, version: str, task: str, seconds: float, values: Sequence[Any]
    ) -> None:
        """One answered request of ``len(values)`` records."""
        children = self.children(model, version)
        children.ok.inc()
        children.duration.observe(seconds)
        self.observe_values(model, version, task, values)

    def observe_values(self, model: str, version: str, task: str, values: Sequence[Any]) -> None:
        if task == "regression":
            histogram = self.children(model, version).value
            for value in values:
                histogram.observe(value)
        else:
            for value in values:
                self.predicted_class.labels(model, version, str(value)).inc()

    def failed(self, model: str, version: str, seconds: float) -> None:
        children = self.children(model, version)
        children.error.inc()
        children.duration.observe(seconds)

    def fell_back(self, model: str, replaced: str, reason: str, records: int = 1) -> None:
        """``records`` routed to ``replaced`` were answered by the fallback, for ``reason``."""
        key = (model, replaced, reason)
        child = self._fallback_children.get(key)
        if child is None:
            child = self._fallback_children[key] = self.fallbacks.labels(*key)
        child.inc(records)

    def expect_fallbacks(self, model: str, versions: Iterable[str], reasons: Iterable[str]) -> None:
        """Publish a zero for each (version, reason), so that a rate exists before the first."""
        for version in versions:
            for reason in reasons:
                self.fell_back(model, version, reason, 0)

    def rejected(self, reason: str) -> None:
        """A request answered 503 at once; ``reason`` is one of ``REJECTIONS``."""
        self._rejected[reason].inc()

    def invalid(self, model: str) -> None:
        # No version was chosen for a request that did not validate.
        self.requests.labels(model, "none", "invalid").inc()

    def set_model(
        self, model: str, versions: Mapping[str, tuple[str, str]], weights: Mapping[str, float]
    ) -> None:
        """Publish a model's versions (``{version: (task, loader)}``) and routing weights."""
        for version, (task, loader) in versions.items():
            self.model_info.labels(model, version, task, loader).set(1)
            self.routing_weight.labels(model, version).set(weights.get(version, 0.0) / 100.0)

    def set_log_state(self, queue_depth: int, dropped_total: int) -> None:
        """Copy the writer's figures (called periodically and at scrape time)."""
        self.queue_depth.set(queue_depth)
        if dropped_total > self._dropped_seen:
            self.dropped.inc(dropped_total - self._dropped_seen)
            self._dropped_seen = dropped_total

    def render(self) -> bytes:
        """The text exposition: this registry, or every worker's values in multiprocess mode."""
        if self.folder is None:
            return bytes(generate_latest(self.registry))
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=self.folder)  # type: ignore[no-untyped-call]
        registry.register(ProcessMetrics(self.folder))
        return bytes(generate_latest(registry))

    def process_exited(self) -> None:
        """Drop this worker's live gauges from the multiprocess folder (on shutdown)."""
        if self.folder is not None:
            multiprocess.mark_process_dead(os.getpid(), self.folder)  # type: ignore[no-untyped-call]
