"""Delivery off the monitor's thread: retries, backoff, the failure counter, never raising."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from monitml.alerts import (
    Channel,
    Dispatcher,
    Notification,
    WebhookChannel,
    make_test_notification,
)
from monitml.alerts.dispatcher import backoff_delays
from monitml.alerts.settings import WebhookChannelSettings


def count(registry: CollectorRegistry, channel: str, status: str) -> float:
    value = registry.get_sample_value(
        "monitml_alert_notifications_total", {"channel": channel, "status": status}
    )
    return 0.0 if value is None else value


def webhook(url: str) -> WebhookChannel:
    return WebhookChannel(WebhookChannelSettings(url=url, timeout=2))


def no_wait(seconds: float) -> None:
    """Tests drive retries without sleeping."""


@pytest.fixture
def note() -> Notification:
    return make_test_notification(1_700_000_000.0)


def test_backoff_doubles_up_to_the_cap() -> None:
    assert backoff_delays(6, 1.0, 10.0) == [1.0, 2.0, 4.0, 8.0, 10.0]
    assert backoff_delays(1, 1.0, 10.0) == []


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(
    receiver: Any, note: Notification
) -> None:
    receiver.statuses.extend([500, 503])
    registry = CollectorRegistry()
    waits: list[float] = []
    dispatcher = Dispatcher(
        {"webhook": webhook(receiver.url)},
        registry=registry,
        max_attempts=4,
        backoff=0.5,
        wait=waits.append,
    )
    with dispatcher:
        dispatcher.submit([note])
        dispatcher.join()
    assert len(receiver.requests) == 3
    assert waits == [0.5, 1.0]
    assert count(registry, "webhook", "success") == 1
    assert count(registry, "webhook", "failure") == 0


def test_a_receiver_that_keeps_failing_is_counted_once_as_a_failure(
    receiver: Any, note: Notification
) -> None:
    receiver.statuses.extend([500] * 10)
    registry = CollectorRegistry()
    waits: list[float] = []
    dispatcher = Dispatcher(
        {"webhook": webhook(receiver.url)},
        registry=registry,
        max_attempts=3,
        backoff=2.0,
        max_backoff=3.0,
        wait=waits.append,
    )
    with dispatcher:
        dispatcher.submit([note, note])
        dispatcher.join()
    assert len(receiver.requests) == 6
    assert waits == [2.0, 3.0, 2.0, 3.0]
    assert count(registry, "webhook", "failure") == 2
    assert count(registry, "webhook", "success") == 0


def test_a_permanent_error_is_not_retried(receiver: Any, note: Notification) -> None:
    receiver.statuses.append(400)
    registry = CollectorRegistry()
    dispatcher = Dispatcher({"webhook": webhook(receiver.url)}, registry=registry, wait=no_wait)
    assert dispatcher.deliver("webhook", note) is False
    assert len(receiver.requests) == 1
    assert "HTTP 400" in dispatcher.last_error
    assert count(registry, "webhook", "failure") == 1


def test_real_backoff_waits_on_the_worker_thread_not_the_caller(
    receiver: Any, note: Notification
) -> None:
    receiver.statuses.extend([500])
    registry = CollectorRegistry()
    dispatcher = Dispatcher({"webhook": webhook(receiver.url)}, registry=registry, backoff=0.05)
    with dispatcher:
        dispatcher.submit([note])  # returns at once, whatever the receiver does
        dispatcher.join()
    assert len(receiver.requests) == 2
    assert count(registry, "webhook", "success") == 1


class Exploding:
    name = "exploding"

    def __init__(self) -> None:
        self.calls = 0

    def send(self, notification: Notification) -> None:
        self.calls += 1
        raise RuntimeError("bug in a channel")


def test_a_channel_raising_anything_never_reaches_the_caller(note: Notification) -> None:
    channel = Exploding()
    registry = CollectorRegistry()
    dispatcher = Dispatcher({"exploding": channel}, registry=registry, max_attempts=2, wait=no_wait)
    with dispatcher:
        dispatcher.submit([note])
        dispatcher.join()
    assert channel.calls == 2
    assert count(registry, "exploding", "failure") == 1


def test_every_channel_gets_every_notification(receiver: Any, note: Notification) -> None:
    other = Exploding()
    registry = CollectorRegistry()
    channels: dict[str, Channel] = {"webhook": webhook(receiver.url), "exploding": other}
    with Dispatcher(channels, registry=registry, max_attempts=1) as dispatcher:
        dispatcher.submit([note])
        dispatcher.join()
    assert len(receiver.requests) == 1
    assert other.calls == 1
    assert count(registry, "webhook", "success") == 1
    assert count(registry, "exploding", "failure") == 1


class Blocking:
    name = "blocking"

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()

    def send(self, notification: Notification) -> None:
        self.started.set()
        self.release.wait(5)


def test_a_full_queue_drops_and_counts_instead_of_blocking(note: Notification) -> None:
    channel = Blocking()
    registry = CollectorRegistry()
    with Dispatcher({"blocking": channel}, registry=registry, queue_size=1) as dispatcher:
        dispatcher.submit([note])
        assert channel.started.wait(5)
        dispatcher.submit([note, note, note])  # one fits in the queue, two are dropped
        assert count(registry, "blocking", "dropped") == 2
        channel.release.set()
        dispatcher.join()
    assert count(registry, "blocking", "success") == 2


def test_the_counter_starts_at_zero_for_each_channel(receiver: Any) -> None:
    registry = CollectorRegistry()
    Dispatcher({"webhook": webhook(receiver.url)}, registry=registry)
    assert (
        registry.get_sample_value(
            "monitml_alert_notifications_total", {"channel": "webhook", "status": "failure"}
        )
        == 0.0
    )


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="'max_attempts' parameter of Dispatcher"):
        Dispatcher({}, registry=CollectorRegistry(), max_attempts=0)
