"""The online monitor: every interval, each model version's window against its reference.

Several monitors may share a store (a standby beside the active one, or a monitor embedded in
each gateway replica); only the one holding the ``lease`` (``monitml.store.lease``) runs passes,
evaluates alerts and notifies. The others stand by and try the lease every interval: on
PostgreSQL a standby takes over within one interval of the active one dying, on SQLite within
the lease's expiry plus one interval. ``on_takeover`` runs each time a monitor becomes active,
before its first pass: that is where the alert state the previous one saved is read back, so
that an alert already notified is not notified again. ``after_pass`` runs at the end of each
pass, so also only on the active monitor (the promotion driver is one): a failure there is
logged and does not undo the pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

from monitml.errors import StoreError
from monitml.monitor.fallback_rate import FallbackCounts, count_fallbacks, fallback_samples
from monitml.monitor.gauges import MonitorGauges
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.operational import OperationalSampler
from monitml.monitor.result import WindowResult
from monitml.store import PredictionStore
from monitml.store.lease import Lease

__all__ = ["MetricsSink", "MonitorRunner"]

logger = logging.getLogger(__name__)

Sample = tuple[str, dict[str, str], float]
MetricsSink = Callable[[list[Sample], float], None]


class MonitorRunner:
    """Reads windows from the store, scores them, sets gauges, saves results, feeds alerts.

    ``versions`` names the versions to watch per model; a watched version with no rows in
    its window is reported with zero rows (its series disappear), never skipped silently.
    """

    def __init__(
        self,
        store: PredictionStore,
        monitors: Mapping[str, ModelMonitor],
        *,
        versions: Mapping[str, Sequence[str]],
        shadow_versions: Mapping[str, Sequence[str]] | None = None,
        gauges: MonitorGauges | None = None,
        sink: MetricsSink | None = None,
        operational: OperationalSampler | None = None,
        save_results: bool = True,
        clock: Callable[[], float] = time.time,
        lease: Lease | None = None,
        on_takeover: Callable[[], None] | None = None,
        after_pass: Callable[[float], object] | None = None,
    ) -> None:
        self.store = store
        self.monitors = dict(monitors)
        self.versions = {model: list(names) for model, names in versions.items()}
        self.shadow_versions = {m: set(names) for m, names in (shadow_versions or {}).items()}
        self.gauges = gauges
        self.sink = sink
        self.operational = operational
        self.save_results = save_results
        self.clock = clock
        self.lease = lease
        self.on_takeover = on_takeover
        self.after_pass = after_pass
        self.active = False  # holds the lease (or needs none) and has taken over
        self.last_results: list[WindowResult] = []

    def run_once(self) -> list[WindowResult]:
        """One pass over every model version; returns the window results."""
        now = self.clock()
        results: list[WindowResult] = []
        fallbacks: list[Sample] = []
        for model, monitor in self.monitors.items():
            counts: dict[str, FallbackCounts] = {}
            for version in self.versions.get(model, []):
                results.append(self._run_version(model, version, monitor, now, counts))
            fallbacks.extend(fallback_samples(model, counts))
        samples: list[Sample] = [s for r in results for s in r.metrics()]
        samples.extend(fallbacks)
        if self.operational is not None:
            samples.extend(self.operational.sample(now))
        if self.sink is not None:
            self.sink(samples, now)
        self.last_results = results
        if self.after_pass is not None:
            try:
                self.after_pass(now)
            except Exception:  # extra work must not cost the pass its results
                logger.exception("monitor: the work after the pass failed")
        return results

    def _run_version(
        self,
        model: str,
        version: str,
        monitor: ModelMonitor,
        now: float,
        fallbacks: dict[str, FallbackCounts],
    ) -> WindowResult:
        policy = monitor.policy
        # A shadow version's predictions are logged with the shadow flag: watch those.
        shadow = version in self.shadow_versions.get(model, set())
        if policy.window_seconds is not None:
            start: float | None = now - policy.window_seconds
            window = self.store.read_window(
                model, version, start=start, end=now, include_shadow=shadow
            )
        else:
            start = None
            window = self.store.read_window(
                model, version, last_n=policy.window_rows, include_shadow=shadow
            )
        if start is None and len(window):
            start = float(window["timestamp"].iloc[0])
        fallbacks[version] = count_fallbacks(window)  # the model's fallback_rate, per pass
        result = monitor.evaluate(window, version, window_start=start, window_end=now, stream=True)
        if self.gauges is not None:
            self.gauges.update(result)
        if self.save_results:
            self.store.save_monitor_result(
                {
                    "model": model,
                    "version": version,
                    "kind": "window",
                    "run_at": result.run_at,
                    "window_start": start,
                    "window_end": now,
                    "payload": result.to_dict(),
                }
            )
        return result

    def run_forever(self, interval: float, stop: threading.Event) -> None:
        """Run every ``interval`` seconds until ``stop`` is set; a failed run is logged.

        With a lease, a pass runs only while this monitor holds it; it is released at the end.
        """
        try:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    if self._lead():
                        self.run_once()
                except StoreError as exc:
                    logger.warning("monitor run skipped: %s", exc)
                except Exception:  # the monitor must outlive any one bad run
                    logger.exception("monitor run failed")
                stop.wait(max(0.0, interval - (time.monotonic() - started)))
        finally:
            if self.lease is not None:
                self.lease.release()
            self.active = False

    def _lead(self) -> bool:
        """Take or keep the lease; True when this monitor is the active one now."""
        held = self.lease is None or self.lease.acquire()
        if not held:
            if self.active:
                logger.warning("monitor: lost the lease; standing by")
            self.active = False
            return False
        if not self.active:
            if self.on_takeover is not None:
                try:
                    self.on_takeover()
                except Exception:  # without the saved state, running could notify twice
                    logger.exception("monitor: cannot take over yet; standing by")
                    if self.lease is not None:
                        self.lease.release()
                    return False
            if self.lease is not None:
                logger.warning("monitor: holds the lease; active")
            self.active = True
        return True
