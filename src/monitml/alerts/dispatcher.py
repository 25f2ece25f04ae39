"""Delivery off the evaluation thread: a queue, one worker, retries with exponential backoff.

The monitor calls :meth:`Dispatcher.submit` and goes on; nothing a channel does (a slow, failing
or misconfigured receiver) raises into it. Outcomes are counted in
``monitml_alert_notifications_total{channel, status}`` with status ``success``, ``failure``
(every attempt failed) or ``dropped`` (the queue was full or the dispatcher closed).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Self

from prometheus_client import CollectorRegistry, Counter

from monitml.alerts.channels import Channel, ChannelError
from monitml.alerts.notification import Notification

__all__ = ["Dispatcher", "backoff_delays"]

logger = logging.getLogger(__name__)

_STOP = object()


def backoff_delays(attempts: int, base: float, cap: float) -> list[float]:
    """Waits between ``attempts`` tries: base, 2·base, 4·base, … each at most ``cap``.

    >>> backoff_delays(5, 0.5, 3.0)
    [0.5, 1.0, 2.0, 3.0]
    """
    return [min(cap, base * 2**i) for i in range(max(0, attempts - 1))]


class Dispatcher:
    """Sends each submitted notification to every channel, from one worker thread.

    ``wait(seconds)`` is how the worker pauses between attempts; by default it waits on the
    stop event, so :meth:`close` cuts a backoff short. Tests pass a recorder instead.
    """

    def __init__(
        self,
        channels: Mapping[str, Channel],
        *,
        registry: CollectorRegistry,
        max_attempts: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        queue_size: int = 1000,
        wait: Callable[[float], object] | None = None,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(
                f"The 'max_attempts' parameter of Dispatcher must be >= 1. Got {max_attempts}."
            )
        if backoff < 0 or max_backoff < 0:
            raise ValueError("The backoff parameters of Dispatcher must be >= 0.")
        self.channels = dict(channels)
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._stop = threading.Event()
        self._wait = wait if wait is not None else self._stop.wait
        self._thread: threading.Thread | None = None
        self.last_error = ""  # the last failure's message, for ``monitml alerts test``
        self.counter = Counter(
            "monitml_alert_notifications_total",
            "Alert notifications by channel and outcome (success, failure, dropped).",
            ["channel", "status"],
            registry=registry,
        )
        for name in self.channels:
            for status in ("success", "failure"):
                self.counter.labels(channel=name, status=status)

    def start(self) -> Self:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="monitml-alert-dispatcher", daemon=True
            )
            self._thread.start()
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def submit(self, notifications: Iterable[Notification]) -> None:
        """Queue notifications for every channel; never blocks, never raises."""
        for notification in notifications:
            if self._stop.is_set():
                self._count_dropped()
                continue
            try:
                self._queue.put_nowait(notification)
            except queue.Full:
                logger.warning("alert queue full: dropping %s", notification.group_key)
                self._count_dropped()

    def deliver(self, name: str, notification: Notification) -> bool:
        """Send to one channel now, retrying with backoff; True when it was delivered."""
        channel = self.channels[name]
        delays = backoff_delays(self.max_attempts, self.backoff, self.max_backoff)
        for attempt in range(1, self.max_attempts + 1):
            try:
                channel.send(notification)
            except Exception as exc:  # a channel must never take the dispatcher down
                retryable = not isinstance(exc, ChannelError) or exc.retryable
                self.last_error = str(exc)
                logger.warning(
                    "alert channel %s, attempt %d of %d: %s", name, attempt, self.max_attempts, exc
                )
                if not retryable or attempt == self.max_attempts or self._stop.is_set():
                    break
                self._wait(delays[attempt - 1])
            else:
                self.counter.labels(channel=name, status="success").inc()
                return True
        self.counter.labels(channel=name, status="failure").inc()
        return False

    def join(self) -> None:
        """Block until every queued notification was handled (delivered or given up)."""
        self._queue.join()

    def close(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (no more waiting between retries), then stop the worker."""
        if self._thread is None:
            return
        self._stop.set()
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._thread = None

    def _count_dropped(self) -> None:
        for name in self.channels:
            self.counter.labels(channel=name, status="dropped").inc()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if isinstance(item, Notification):
                    for name in self.channels:
                        self.deliver(name, item)
            finally:
                self._queue.task_done()
