"""What the engine hands to channels: alerts grouped into one notification.

The shapes follow Alertmanager's so that the webhook channel can send its JSON (version 4)
unchanged, and fingerprints are computed the way Prometheus computes them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "EXPLANATION_VARIABLE",
    "Alert",
    "Notification",
    "expand_template",
    "fingerprint",
    "group_key",
    "make_test_notification",
]

Status = Literal["firing", "resolved"]

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_MASK = 2**64 - 1
_SEPARATOR = 0xFF


def fingerprint(labels: Mapping[str, str]) -> str:
    """Prometheus' label-set fingerprint (FNV-1a 64 over sorted names and values), as hex.

    >>> fingerprint({"alertname": "LowAveragePrediction", "model": "house-price"})
    'ea74d7fe7c5a65f3'
    """
    value = _FNV_OFFSET
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in part.encode():
                value = ((value ^ byte) * _FNV_PRIME) & _MASK
            value = ((value ^ _SEPARATOR) * _FNV_PRIME) & _MASK
    return f"{value:016x}"


_TEMPLATE = re.compile(
    r"\{\{\s*\$(?:labels\.([a-zA-Z_][a-zA-Z0-9_]*)|(value)|(explanation))\s*\}\}"
)
# MonitML's own variable: the one-line explanation of the window that fired the alert.
EXPLANATION_VARIABLE = re.compile(r"\{\{\s*\$explanation\s*\}\}")


def format_value(value: float) -> str:
    """A sample value as Prometheus templates print it: 100 → ``100``, 0.25 → ``0.25``."""
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value)


def expand_template(
    text: str, labels: Mapping[str, str], value: float, explanation: str = ""
) -> str:
    """Expand ``{{ $labels.NAME }}``, ``{{ $value }}`` and ``{{ $explanation }}`` (the
    explanation of the window that fired the alert); a missing label expands to ``""``.

    >>> expand_template("{{ $labels.model }}: {{ $explanation }}", {"model": "m"}, 1.0, "why")
    'm: why'
    """

    def replace(match: re.Match[str]) -> str:
        if match.group(2):
            return format_value(value)
        if match.group(3):
            return explanation
        return labels.get(match.group(1), "")

    return _TEMPLATE.sub(replace, text)


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert instance as notified; times are Unix seconds, ``ends_at`` None while firing."""

    status: Status
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: float
    ends_at: float | None
    value: float
    generator_url: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)


@dataclass(frozen=True, slots=True)
class Notification:
    """One group's alerts at one flush: firing ones, and resolved ones once."""

    group_key: str
    group_labels: Mapping[str, str]
    alerts: tuple[Alert, ...]
    receiver: str = "monitml"
    external_url: str = ""

    @property
    def status(self) -> Status:
        """``firing`` while any alert of the group fires, as in Alertmanager."""
        return "firing" if any(a.status == "firing" for a in self.alerts) else "resolved"

    @property
    def common_labels(self) -> dict[str, str]:
        return _common([a.labels for a in self.alerts])

    @property
    def common_annotations(self) -> dict[str, str]:
        return _common([a.annotations for a in self.alerts])

    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "firing"]

    def resolved(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "resolved"]

    def title(self) -> str:
        """``[FIRING:1] LowAveragePrediction house-price`` (Alertmanager's default title)."""
        count = len(self.firing()) if self.status == "firing" else len(self.alerts)
        values = " ".join(self.group_labels[k] for k in sorted(self.group_labels))
        return f"[{self.status.upper()}:{count}] {values}".rstrip()


def _common(mappings: list[Mapping[str, str]]) -> dict[str, str]:
    if not mappings:
        return {}
    first = mappings[0]
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in mappings[1:])}


def group_key(group_labels: Mapping[str, str]) -> str:
    """Alertmanager's group key for the root route: ``{}:{alertname="X", model="m"}``."""
    inner = ", ".join(f'{k}="{group_labels[k]}"' for k in sorted(group_labels))
    return f"{{}}:{{{inner}}}"


def make_test_notification(now: float, *, external_url: str = "") -> Notification:
    """A one-alert notification that ``monitml alerts test CHANNEL`` sends."""
    labels = {"alertname": "MonitmlTestNotification", "severity": "info"}
    alert = Alert(
        status="firing",
        labels=labels,
        annotations={
            "summary": "Test notification from MonitML",
            "description": "If you can read this, the channel works.",
        },
        starts_at=now,
        ends_at=None,
        value=0.0,
        generator_url=external_url,
    )
    group_labels = {"alertname": labels["alertname"]}
    return Notification(group_key(group_labels), group_labels, (alert,), external_url=external_url)
