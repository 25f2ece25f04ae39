"""Bodies the channels send, as pure functions of a notification.

``alertmanager_webhook`` is Alertmanager's webhook JSON, version 4, field for field, so any
receiver written for Alertmanager (and the end-to-end test) reads MonitML's webhook the same.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from monitml.alerts.notification import Alert, Notification

__all__ = ["ZERO_TIME", "alertmanager_webhook", "email_text", "rfc3339", "slack_message"]

ZERO_TIME = "0001-01-01T00:00:00Z"
"""What Alertmanager sends as ``endsAt`` for an alert that still fires."""

_SLACK_HEADER_LIMIT = 150
_SLACK_SECTION_LIMIT = 3000


def rfc3339(seconds: float) -> str:
    """Unix seconds as RFC 3339 in UTC: ``2026-11-01T12:00:00.5Z``."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "status": alert.status,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "startsAt": rfc3339(alert.starts_at),
        "endsAt": ZERO_TIME if alert.ends_at is None else rfc3339(alert.ends_at),
        "generatorURL": alert.generator_url,
        "fingerprint": alert.fingerprint,
    }


def alertmanager_webhook(
    notification: Notification, *, receiver: str = "webhook"
) -> dict[str, Any]:
    """Alertmanager's webhook body, version 4."""
    return {
        "version": "4",
        "groupKey": notification.group_key,
        "truncatedAlerts": 0,
        "status": notification.status,
        "receiver": receiver,
        "groupLabels": dict(notification.group_labels),
        "commonLabels": notification.common_labels,
        "commonAnnotations": notification.common_annotations,
        "externalURL": notification.external_url,
        "alerts": [_alert_json(alert) for alert in notification.alerts],
    }


def _alert_lines(alert: Alert) -> list[str]:
    summary = alert.annotations.get("summary") or alert.labels.get("alertname", "alert")
    labels = ", ".join(
        f"{k}={v}" for k, v in sorted(alert.labels.items()) if k not in ("alertname",)
    )
    lines = [f"{alert.status.upper()}: {summary}"]
    if alert.annotations.get("description"):
        lines.append(alert.annotations["description"])
    if alert.annotations.get("explanation"):  # what the window that fired it showed
        lines.append(f"why: {alert.annotations['explanation']}")
    lines.append(f"labels: {labels}")
    lines.append(f"since: {rfc3339(alert.starts_at)}")
    if alert.ends_at is not None:
        lines.append(f"resolved: {rfc3339(alert.ends_at)}")
    return lines


def slack_message(notification: Notification, *, channel: str | None = None) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (fallback) and ``blocks``."""
    title = notification.title()
    body = "\n\n".join("\n".join(_alert_lines(a)) for a in notification.alerts)
    if len(body) > _SLACK_SECTION_LIMIT:
        body = body[: _SLACK_SECTION_LIMIT - 1] + "…"
    message: dict[str, Any] = {
        "text": title,
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": title[:_SLACK_HEADER_LIMIT]},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": body}},
        ],
    }
    if channel:
        message["channel"] = channel
    return message


def email_text(notification: Notification) -> tuple[str, str]:
    """(subject, plain-text body)."""
    sections = ["\n".join(_alert_lines(a)) for a in notification.alerts]
    footer = [f"\n{notification.external_url}"] if notification.external_url else []
    return notification.title(), "\n\n".join(sections + footer) + "\n"
