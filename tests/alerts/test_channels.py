"""Channels against real local servers: an HTTP receiver thread and a minimal SMTP server."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Callable, Iterator
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest

from monitml.alerts import (
    AlertEngine,
    AlertRule,
    ChannelError,
    ChannelsSettings,
    EmailChannel,
    MetricSample,
    Notification,
    SlackChannel,
    WebhookChannel,
    channel_named,
)
from monitml.alerts.payloads import ZERO_TIME, alertmanager_webhook, rfc3339
from monitml.alerts.settings import (
    EmailChannelSettings,
    SlackChannelSettings,
    WebhookChannelSettings,
)
from monitml.errors import ConfigError

RuleFactory = Callable[..., AlertRule]
V4_KEYS = [
    "version",
    "groupKey",
    "truncatedAlerts",
    "status",
    "receiver",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "alerts",
]
ALERT_KEYS = [
    "status",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "generatorURL",
    "fingerprint",
]


@pytest.fixture
def notifications(make_rule: RuleFactory) -> tuple[Notification, Notification]:
    """A firing and then a resolved notification for house-price v2."""
    engine = AlertEngine([make_rule()], group_wait=0.0, external_url="http://monitml:8000")
    sample = MetricSample("prediction_mean", {"model": "house-price", "version": "v2"}, 100.0)
    (firing,) = engine.evaluate([sample], 1_700_000_000.0)
    engine.evaluate([], 1_700_000_030.0)
    (resolved,) = engine.evaluate([], 1_700_000_300.0)
    return firing, resolved


def test_the_webhook_body_is_alertmanager_v4_field_for_field(
    notifications: tuple[Notification, Notification],
) -> None:
    firing, resolved = notifications
    body = alertmanager_webhook(firing)
    assert list(body) == V4_KEYS
    assert body["version"] == "4"
    assert body["status"] == "firing"
    assert body["truncatedAlerts"] == 0
    assert body["groupKey"] == '{}:{alertname="LowAveragePrediction", model="house-price"}'
    assert body["externalURL"] == "http://monitml:8000"
    (alert,) = body["alerts"]
    assert list(alert) == ALERT_KEYS
    assert alert["startsAt"] == "2023-11-14T22:13:20Z"
    assert alert["endsAt"] == ZERO_TIME
    assert alert["labels"]["version"] == "v2"
    gone = alertmanager_webhook(resolved)["alerts"][0]
    assert (gone["status"], gone["endsAt"]) == ("resolved", "2023-11-14T22:13:50Z")
    assert gone["fingerprint"] == alert["fingerprint"]


def test_rfc3339_keeps_sub_second_precision() -> None:
    assert rfc3339(0.5) == "1970-01-01T00:00:00.5Z"
    assert rfc3339(0) == "1970-01-01T00:00:00Z"


def test_the_webhook_channel_posts_v4_json_to_a_real_server(
    receiver: Any, notifications: tuple[Notification, Notification]
) -> None:
    channel = WebhookChannel(
        WebhookChannelSettings(url=receiver.url, headers_env={"Authorization": "HOOK_TOKEN"}),
        environ={"HOOK_TOKEN": "Bearer s3cret"},
    )
    firing, resolved = notifications
    channel.send(firing)
    channel.send(resolved)
    first, second = receiver.wait_for(2)
    assert first.path == "/hook"
    assert first.headers["Authorization"] == "Bearer s3cret"
    assert first.headers["Content-Type"] == "application/json"
    assert list(first.body) == V4_KEYS
    assert (first.body["status"], second.body["status"]) == ("firing", "resolved")
    assert first.body["receiver"] == "webhook"


def test_a_missing_header_secret_fails_without_retry(
    receiver: Any, notifications: tuple[Notification, Notification]
) -> None:
    channel = WebhookChannel(
        WebhookChannelSettings(url=receiver.url, headers_env={"Authorization": "NOPE"}),
        environ={},
    )
    with pytest.raises(ChannelError, match="NOPE is not set") as caught:
        channel.send(notifications[0])
    assert caught.value.retryable is False
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        pytest.param(500, True, id="500-retry"),
        pytest.param(503, True, id="503-retry"),
        pytest.param(429, True, id="429-retry"),
        pytest.param(404, False, id="404-give-up"),
    ],
)
def test_http_errors_say_whether_a_retry_may_help(
    receiver: Any, notifications: tuple[Notification, Notification], status: int, retryable: bool
) -> None:
    receiver.statuses.append(status)
    channel = WebhookChannel(WebhookChannelSettings(url=receiver.url))
    with pytest.raises(ChannelError, match=f"HTTP {status}") as caught:
        channel.send(notifications[0])
    assert caught.value.retryable is retryable


def test_an_unreachable_receiver_is_a_retryable_channel_error(
    notifications: tuple[Notification, Notification],
) -> None:
    channel = WebhookChannel(WebhookChannelSettings(url="http://127.0.0.1:9/hook", timeout=2))
    with pytest.raises(ChannelError, match="webhook: ConnectError") as caught:
        channel.send(notifications[0])
    assert caught.value.retryable


def test_slack_reads_its_url_from_a_file_and_posts_text_and_blocks(
    receiver: Any, notifications: tuple[Notification, Notification], tmp_path: Path
) -> None:
    secret = tmp_path / "slack_url"
    secret.write_text(receiver.url + "\n")
    channel = SlackChannel(SlackChannelSettings(webhook_url_file=secret, channel="#monitor"))
    channel.send(notifications[0])
    (request,) = receiver.wait_for(1)
    body = request.body
    assert body["text"] == "[FIRING:1] LowAveragePrediction house-price"
    assert body["channel"] == "#monitor"
    assert [block["type"] for block in body["blocks"]] == ["header", "section"]
    assert "version=v2" in body["blocks"][1]["text"]["text"]


def test_slack_reads_its_url_from_the_environment(
    receiver: Any, notifications: tuple[Notification, Notification]
) -> None:
    settings = SlackChannelSettings(webhook_url_env="SLACK_WEBHOOK_URL")
    SlackChannel(settings, environ={"SLACK_WEBHOOK_URL": receiver.url}).send(notifications[1])
    (request,) = receiver.wait_for(1)
    assert request.body["text"] == "[RESOLVED:1] LowAveragePrediction house-price"
    with pytest.raises(ChannelError, match="SLACK_WEBHOOK_URL is not set"):
        SlackChannel(settings, environ={}).send(notifications[1])


def test_slack_with_an_unreadable_secret_file_fails_without_retry(
    notifications: tuple[Notification, Notification], tmp_path: Path
) -> None:
    channel = SlackChannel(SlackChannelSettings(webhook_url_file=tmp_path / "missing"))
    with pytest.raises(ChannelError, match="cannot read") as caught:
        channel.send(notifications[0])
    assert not caught.value.retryable


class _SMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP (no TLS) to accept one message and keep it."""

    def _reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        server: Any = self.server
        self._reply("220 localhost ready")
        while raw := self.rfile.readline():
            command = raw.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-localhost")
                self._reply("250 AUTH PLAIN")
            elif verb == "AUTH":
                server.auth.append(command)
                self._reply("235 ok")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP", "HELO"):
                self._reply("250 ok")
            elif verb == "DATA":
                self._reply("354 go on")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line)
                server.messages.append(b"".join(lines))
                self._reply("250 queued")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    server: Any = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _SMTPHandler)
    server.daemon_threads = True
    server.messages, server.auth = [], []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_email_is_sent_through_smtp_with_login_from_the_environment(
    smtp_server: Any, notifications: tuple[Notification, Notification]
) -> None:
    settings = EmailChannelSettings.model_validate(
        {
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.server_address[1],
            "from": "monitml@example.com",
            "to": ["oncall@example.com", "ml@example.com"],
            "username_env": "SMTP_USER",
            "password_env": "SMTP_PASSWORD",
            "starttls": False,
        }
    )
    environ = {"SMTP_USER": "monitml", "SMTP_PASSWORD": "pw"}
    EmailChannel(settings, environ=environ).send(notifications[0])
    (raw,) = smtp_server.messages
    message = message_from_bytes(raw)
    assert message["Subject"] == "[FIRING:1] LowAveragePrediction house-price"
    assert message["To"] == "oncall@example.com, ml@example.com"
    assert "version=v2" in message.get_payload()
    assert smtp_server.auth
    assert smtp_server.auth[0].startswith("AUTH PLAIN")


def test_email_to_a_closed_port_is_a_retryable_channel_error(
    notifications: tuple[Notification, Notification],
) -> None:
    settings = EmailChannelSettings(smtp_host="127.0.0.1", smtp_port=9, to=["a@b.c"], timeout=2)
    with pytest.raises(ChannelError, match="email: ConnectionRefusedError") as caught:
        EmailChannel(settings).send(notifications[0])
    assert caught.value.retryable


def test_asking_for_an_unconfigured_channel_lists_what_is_configured() -> None:
    channels = ChannelsSettings(webhook=WebhookChannelSettings(url="http://h/x"))
    assert channel_named(channels, "webhook").name == "webhook"
    with pytest.raises(ConfigError, match=r"'slack' is not configured .*configured: webhook"):
        channel_named(channels, "slack")
