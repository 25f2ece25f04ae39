"""Channels: where a notification goes. Each ``send`` delivers once or raises ``ChannelError``.

Secrets (Slack webhook URL, header values, SMTP credentials) are read at send time from the
environment variable or file the settings name, so a rotated secret needs no restart.
"""

from __future__ import annotations

import os
import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

import httpx

from monitml.alerts.notification import Notification
from monitml.alerts.payloads import alertmanager_webhook, email_text, slack_message
from monitml.alerts.settings import (
    ChannelsSettings,
    EmailChannelSettings,
    SlackChannelSettings,
    WebhookChannelSettings,
)
from monitml.errors import ConfigError, MonitmlError

__all__ = [
    "Channel",
    "ChannelError",
    "EmailChannel",
    "SlackChannel",
    "WebhookChannel",
    "build_channels",
    "channel_named",
]

_RETRYABLE_STATUS = {408, 425, 429}


class ChannelError(MonitmlError):
    """A notification was not delivered; ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class Channel(Protocol):
    """Anything that can deliver a notification."""

    name: str

    def send(self, notification: Notification) -> None: ...


def _env(environ: Mapping[str, str], name: str, what: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ChannelError(f"{what}: environment variable {name} is not set", retryable=False)
    return value


def _file(path: Path, what: str) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ChannelError(f"{what}: cannot read {path}: {exc.strerror}", retryable=False) from exc
    if not value:
        raise ChannelError(f"{what}: {path} is empty", retryable=False)
    return value


def _post_json(
    channel: str, url: str, body: dict[str, Any], headers: Mapping[str, str], timeout: float
) -> None:
    try:
        response = httpx.post(url, json=body, headers=dict(headers), timeout=timeout)
    except httpx.HTTPError as exc:
        raise ChannelError(f"{channel}: {type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        status = response.status_code
        retryable = status >= 500 or status in _RETRYABLE_STATUS
        raise ChannelError(f"{channel}: HTTP {status} from the receiver", retryable=retryable)


class SlackChannel:
    """A Slack incoming webhook (``text`` and ``blocks``)."""

    name = "slack"

    def __init__(
        self, settings: SlackChannelSettings, environ: Mapping[str, str] | None = None
    ) -> None:
        self.settings = settings
        self.environ = os.environ if environ is None else environ

    def url(self) -> str:
        if self.settings.webhook_url_file is not None:
            return _file(self.settings.webhook_url_file, "slack webhook_url_file")
        if self.settings.webhook_url_env is None:  # the settings forbid this; keep mypy honest
            raise ChannelError("slack: no webhook URL configured", retryable=False)
        return _env(self.environ, self.settings.webhook_url_env, "slack webhook_url_env")

    def send(self, notification: Notification) -> None:
        body = slack_message(notification, channel=self.settings.channel)
        _post_json(self.name, self.url(), body, {}, self.settings.timeout)


class WebhookChannel:
    """POSTs Alertmanager's webhook JSON (version 4) to ``url``."""

    name = "webhook"

    def __init__(
        self, settings: WebhookChannelSettings, environ: Mapping[str, str] | None = None
    ) -> None:
        self.settings = settings
        self.environ = os.environ if environ is None else environ

    def send(self, notification: Notification) -> None:
        headers = {
            header: _env(self.environ, variable, f"webhook header {header}")
            for header, variable in self.settings.headers_env.items()
        }
        body = alertmanager_webhook(notification, receiver=self.name)
        _post_json(self.name, self.settings.url, body, headers, self.settings.timeout)


class EmailChannel:
    """Plain-text email through SMTP, with STARTTLS and login when configured."""

    name = "email"

    def __init__(
        self, settings: EmailChannelSettings, environ: Mapping[str, str] | None = None
    ) -> None:
        self.settings = settings
        self.environ = os.environ if environ is None else environ

    def message(self, notification: Notification) -> EmailMessage:
        subject, body = email_text(notification)
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.settings.from_
        message["To"] = ", ".join(self.settings.to)
        message.set_content(body)
        return message

    def send(self, notification: Notification) -> None:
        s = self.settings
        username = (
            _env(self.environ, s.username_env, "email username_env") if s.username_env else None
        )
        password = (
            _env(self.environ, s.password_env, "email password_env") if s.password_env else None
        )
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls()
                if username is not None and password is not None:
                    smtp.login(username, password)
                smtp.send_message(self.message(notification))
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError("email: the SMTP server refused the login", retryable=False) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelError(f"email: {type(exc).__name__}: {exc}") from exc


def build_channels(
    settings: ChannelsSettings, environ: Mapping[str, str] | None = None
) -> dict[str, Channel]:
    """One channel per configured section, by name."""
    channels: dict[str, Channel] = {}
    if settings.slack is not None:
        channels["slack"] = SlackChannel(settings.slack, environ)
    if settings.webhook is not None:
        channels["webhook"] = WebhookChannel(settings.webhook, environ)
    if settings.email is not None:
        channels["email"] = EmailChannel(settings.email, environ)
    return channels


def channel_named(
    settings: ChannelsSettings, name: str, environ: Mapping[str, str] | None = None
) -> Channel:
    """The configured channel ``name``; an unknown or unconfigured one is a config error."""
    channels = build_channels(settings, environ)
    if name not in channels:
        configured = ", ".join(channels) or "none"
        known = "slack, webhook, email"
        raise ConfigError(
            f"channel {name!r} is not configured under alerts.channels "
            f"(configured: {configured}; channel names: {known})"
        )
    return channels[name]
