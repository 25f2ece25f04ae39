"""The ``alerts`` section of ``monitml.yaml``: rules, channels and Alertmanager-like timers.

Secrets (webhook URLs, SMTP passwords, header values) come from environment variables or files,
never from the YAML: a literal secret key such as ``webhook_url`` is a config error naming it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from monitml.alerts.durations import Duration
from monitml.alerts.expr import Condition, parse_expr

__all__ = [
    "AlertRule",
    "AlertsSettings",
    "ChannelsSettings",
    "EmailChannelSettings",
    "SlackChannelSettings",
    "WebhookChannelSettings",
]

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# Prometheus requires an alert name to be a valid metric name.
_ALERT_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
RESERVED_LABELS = ("alertname", "model", "version", "severity")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _no_inline_secrets(data: Any, secrets: dict[str, str]) -> Any:
    """Reject ``secret: value`` keys with a message naming the key and what to use instead."""
    if isinstance(data, dict):
        for key, instead in secrets.items():
            if key in data:
                raise ValueError(
                    f"{key!r} would put a secret in the config file; use {instead} instead"
                )
    return data


class SlackChannelSettings(_Section):
    """A Slack incoming webhook; its URL is a secret, read from an env var or a file."""

    webhook_url_env: str | None = Field(None, description="Variable holding the webhook URL.")
    webhook_url_file: Path | None = Field(None, description="File holding the webhook URL.")
    channel: str | None = Field(None, description="Channel to post to (else the webhook's).")
    timeout: Duration = Field(10.0, description="Time allowed for one delivery.")

    @model_validator(mode="before")
    @classmethod
    def _secrets(cls, data: Any) -> Any:
        instead = "webhook_url_env or webhook_url_file"
        return _no_inline_secrets(data, {"webhook_url": instead, "api_url": instead})

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.webhook_url_env is None) == (self.webhook_url_file is None):
            raise ValueError("set exactly one of webhook_url_env and webhook_url_file")
        return self


class WebhookChannelSettings(_Section):
    """A generic webhook receiving Alertmanager's webhook JSON (version 4).

    ``headers_env`` maps a header name to the environment variable holding its value.
    """

    url: str = Field(description="Where the JSON is POSTed (http:// or https://).")
    headers_env: dict[str, str] = Field(
        default_factory=dict, description="Header name → variable holding its value."
    )
    timeout: Duration = Field(10.0, description="Time allowed for one delivery.")

    @model_validator(mode="before")
    @classmethod
    def _secrets(cls, data: Any) -> Any:
        return _no_inline_secrets(data, {"headers": "headers_env (header: ENV_VAR)"})

    @field_validator("url")
    @classmethod
    def _http(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"the webhook url must start with http:// or https://. Got {url!r}")
        return url


class EmailChannelSettings(_Section):
    """Email through an SMTP server; the credentials come from environment variables."""

    smtp_host: str = Field(description="SMTP server.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    from_: str = Field("monitml@localhost", alias="from", description="Sender address.")
    to: list[str] = Field(min_length=1, description="Recipients.")
    username_env: str | None = Field(None, description="Variable holding the SMTP user.")
    password_env: str | None = Field(None, description="Variable holding the SMTP password.")
    starttls: bool = Field(True, description="Upgrade the connection with STARTTLS.")
    timeout: Duration = Field(10.0, description="Time allowed for one delivery.")

    @model_validator(mode="before")
    @classmethod
    def _secrets(cls, data: Any) -> Any:
        return _no_inline_secrets(
            data,
            {
                "password": "password_env",
                "username": "username_env",
                "auth_password": "password_env",
            },
        )


class ChannelsSettings(_Section):
    """Where notifications go; an absent channel is off."""

    slack: SlackChannelSettings | None = None
    webhook: WebhookChannelSettings | None = None
    email: EmailChannelSettings | None = None

    def configured(self) -> list[str]:
        """Names of the channels that are set, in a fixed order."""
        return [name for name in ("slack", "webhook", "email") if getattr(self, name) is not None]


class AlertRule(_Section):
    """One rule: ``expr`` must hold for ``for`` before the alert fires.

    Without ``version``, each version of ``model`` is its own alert.
    """

    name: str = Field(description="Alert name, like LowAveragePrediction (letters, digits, _).")
    model: str = Field(description="The model the rule watches.")
    version: str | None = Field(None, description="Only this version (else each separately).")
    expr: str = Field(description="Condition `metric OP number`, e.g. prediction_mean < 100000.")
    for_: Duration = Field(
        0.0, alias="for", description="How long expr must hold before the alert fires."
    )
    severity: str = Field("warning", description="Label sent with the alert.")
    labels: dict[str, str] = Field(default_factory=dict, description="Extra labels.")
    annotations: dict[str, str] = Field(
        default_factory=dict,
        description="summary, description …; {{ $labels.x }}, {{ $value }}, "
        "{{ $explanation }} (the window's one-line explanation; MonitML's engine only).",
    )
    actions: list[Literal["retrain"]] = Field(
        default_factory=list,
        description="What the monitor does when the alert fires: retrain fits, gates and "
        "registers a challenger (the model needs a training section).",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not _ALERT_NAME.match(name):
            raise ValueError(
                "a rule name must look like LowAveragePrediction (letters, digits, _); "
                f"got {name!r}"
            )
        return name

    @field_validator("expr")
    @classmethod
    def _expr(cls, expr: str) -> str:
        parse_expr(expr)  # ExprError is a ValueError: pydantic reports it under this key
        return expr

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: dict[str, str]) -> dict[str, str]:
        for key in labels:
            if not _LABEL_NAME.match(key):
                raise ValueError(f"{key!r} is not a valid label name")
            if key in RESERVED_LABELS:
                raise ValueError(f"label {key!r} is set by the rule itself; use its own field")
        return labels

    @property
    def condition(self) -> Condition:
        return parse_expr(self.expr)

    def full_annotations(self) -> dict[str, str]:
        """The rule's annotations, with a ``summary`` and ``description`` when it has none.

        Templates use the subset both MonitML and Prometheus expand:
        ``{{ $labels.NAME }}`` and ``{{ $value }}``.
        """
        defaults = {
            "summary": f"{self.name}: {self.expr}",
            "description": (
                f"{self.expr} on model {{{{ $labels.model }}}} version {{{{ $labels.version }}}} "
                "(value {{ $value }})"
            ),
        }
        return {**defaults, **self.annotations}


class AlertsSettings(_Section):
    """Rules, channels and notification timers (defaults as in Alertmanager)."""

    rules: list[AlertRule] = Field(default_factory=list)
    channels: ChannelsSettings = Field(default_factory=ChannelsSettings)
    group_by: list[str] = Field(
        default_factory=lambda: ["alertname", "model"],
        description="Labels whose alerts share one notification.",
    )
    group_wait: Duration = Field(10.0, description="Wait before a new group's first notification.")
    group_interval: Duration = Field(
        300.0, description="Wait before notifying changes to a group already notified."
    )
    repeat_interval: Duration = Field(
        3 * 3600.0, description="Wait before repeating a notification of a firing alert."
    )
    rate_window: Duration = Field(
        300.0, description="Range of rate() in exported Prometheus rules (e.g. 5m)."
    )
    external_url: str = Field(
        "", description="Link to MonitML sent with notifications (externalURL, generatorURL)."
    )

    @field_validator("group_by")
    @classmethod
    def _group_by(cls, labels: list[str]) -> list[str]:
        for key in labels:
            if not _LABEL_NAME.match(key):
                raise ValueError(f"{key!r} in group_by is not a valid label name")
        return labels

    @field_validator("group_interval", "repeat_interval", "rate_window")
    @classmethod
    def _positive(cls, seconds: float) -> float:
        if seconds <= 0:  # Alertmanager rejects zero intervals too
            raise ValueError("must be a positive duration such as 30s or 5m")
        return seconds

    @model_validator(mode="after")
    def _unique_rules(self) -> Self:
        seen: set[tuple[str, str, str | None]] = set()
        for rule in self.rules:
            key = (rule.name, rule.model, rule.version)
            if key in seen:
                version = f" version {rule.version!r}" if rule.version else ""
                raise ValueError(
                    f"rule {rule.name!r} is defined twice for model {rule.model!r}{version}"
                )
            seen.add(key)
        return self
