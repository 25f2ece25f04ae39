"""The rule engine: alert states per rule and label set, and Alertmanager-like grouping.

Each evaluation takes the monitor's samples at one instant. Per rule and label set an alert is
inactive → pending (condition holds) → firing (held for ``for``) → resolved (no longer holds,
or its series disappeared). A pending alert whose condition stops holding goes back to inactive
without a notification, as in Prometheus.

Firing alerts are grouped by ``group_by`` labels. A new group waits ``group_wait`` before its
first notification; afterwards it is looked at every ``group_interval`` and notified when an
alert started firing or resolved, or again after ``repeat_interval`` while alerts still fire.
Time only moves through ``now``, so the engine is deterministic and needs no sleeping in tests.

>>> from monitml.alerts.settings import AlertRule
>>> rule = AlertRule(name="Low", model="m", expr="prediction_mean < 10")
>>> engine = AlertEngine([rule], group_wait=0)
>>> [n.status for n in engine.evaluate([MetricSample("prediction_mean", {"model": "m"}, 1.0)], 0)]
['firing']
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from monitml.alerts.expr import Condition
from monitml.alerts.notification import (
    Alert,
    Notification,
    expand_template,
    fingerprint,
    group_key,
)
from monitml.alerts.settings import AlertRule, AlertsSettings

__all__ = [
    "EXPLANATION",
    "STATE_FORMAT",
    "AlertEngine",
    "AlertEvent",
    "EventSink",
    "Explanations",
    "MetricSample",
]

STATE_FORMAT = "monitml.alert-state/1"
EXPLANATION = "explanation"  # the annotation an alert of an explained window gets

Explanations = Mapping[tuple[str, str], str]
"""The one-line explanation of each (model, version)'s newest window."""

logger = logging.getLogger(__name__)

AlertEvent = dict[str, Any]
"""``{"rule", "state", "starts_at", "model", "version", "ends_at", "value", "payload"}``, the
shape ``monitml.store`` saves (``PredictionStore.save_alert_event``)."""

EventSink = Callable[[AlertEvent], object]


class MetricSample(NamedTuple):
    """One signal at one instant, named as in :data:`monitml.alerts.metrics.METRICS`.

    ``labels`` carry ``model`` and ``version`` and, where the metric has them, ``feature`` or
    ``method``. A plain ``(name, labels, value)`` tuple is accepted wherever a sample is.
    """

    name: str
    labels: Mapping[str, str]
    value: float


@dataclass(slots=True)
class _Instance:
    """The state of one alert (one rule, one label set)."""

    rule: AlertRule
    labels: dict[str, str]
    active_at: float
    value: float
    firing: bool = False
    # The one-line explanation of the model version's window (monitml.explain), kept from
    # the evaluation that fired the alert.
    explanation: str = ""

    def snapshot(self, status: str, external_url: str, ends_at: float | None) -> Alert:
        annotations = {
            key: expand_template(text, self.labels, self.value, self.explanation)
            for key, text in self.rule.full_annotations().items()
        }
        if self.explanation and EXPLANATION not in annotations:
            annotations[EXPLANATION] = self.explanation
        return Alert(
            status="firing" if status == "firing" else "resolved",
            labels=dict(self.labels),
            annotations=annotations,
            starts_at=self.active_at,
            ends_at=ends_at,
            value=self.value,
            generator_url=external_url,
        )


@dataclass(slots=True)
class _Group:
    labels: dict[str, str]
    next_flush: float
    alerts: dict[str, Alert] = field(default_factory=dict)
    notified_firing: set[str] = field(default_factory=set)
    last_sent: float | None = None


class AlertEngine:
    """Evaluates ``rules`` on samples; returns the notifications due at each instant.

    ``on_event`` receives every state change (pending, firing, resolved, inactive) as a plain
    dict for the alert history; it may be ``store.save_alert_event``. A failing sink is logged,
    never raised: alerting must not stop the monitor.
    """

    def __init__(
        self,
        rules: Sequence[AlertRule],
        *,
        group_by: Sequence[str] = ("alertname", "model"),
        group_wait: float = 10.0,
        group_interval: float = 300.0,
        repeat_interval: float = 3 * 3600.0,
        external_url: str = "",
        on_event: EventSink | None = None,
    ) -> None:
        for name, value in (
            ("group_wait", group_wait),
            ("group_interval", group_interval),
            ("repeat_interval", repeat_interval),
        ):
            if value < 0:
                raise ValueError(
                    f"The {name!r} parameter of AlertEngine must be >= 0. Got {value} instead."
                )
        self.rules = list(rules)
        self.group_by = tuple(group_by)
        self.group_wait = group_wait
        self.group_interval = group_interval
        self.repeat_interval = repeat_interval
        self.external_url = external_url
        self.on_event = on_event
        self._conditions: list[Condition] = [rule.condition for rule in self.rules]
        self._instances: list[dict[str, _Instance]] = [{} for _ in self.rules]
        self._groups: dict[str, _Group] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls, settings: AlertsSettings, *, on_event: EventSink | None = None
    ) -> AlertEngine:
        return cls(
            settings.rules,
            group_by=settings.group_by,
            group_wait=settings.group_wait,
            group_interval=settings.group_interval,
            repeat_interval=settings.repeat_interval,
            external_url=settings.external_url,
            on_event=on_event,
        )

    # -- evaluation -------------------------------------------------------------------------

    def evaluate(
        self,
        samples: Iterable[tuple[str, Mapping[str, str], float]],
        now: float,
        *,
        explanations: Explanations | None = None,
    ) -> list[Notification]:
        """Update every alert from ``samples`` taken at ``now`` (Unix seconds); flush groups.

        ``explanations`` gives an alert of a model version the one-line explanation of that
        version's window: its ``explanation`` annotation and ``{{ $explanation }}``, taken
        while it is pending and kept from the evaluation that fires it.
        """
        samples = list(samples)
        with self._lock:
            for index in range(len(self.rules)):
                self._update_rule(index, self._matching(index, samples), now, explanations or {})
            return self._flush(now)

    def holds(self, samples: Iterable[tuple[str, Mapping[str, str], float]]) -> list[str]:
        """Names of the rules whose condition holds on some sample; no state, no ``for``.

        For batch checks, where each chunk is judged on its own.
        """
        samples = list(samples)
        return [rule.name for i, rule in enumerate(self.rules) if self._matching(i, samples)]

    def alerts(self) -> list[Alert]:
        """Alerts now pending or firing (pending ones have status ``firing`` and no flush yet)."""
        with self._lock:
            return [
                instance.snapshot("firing", self.external_url, None)
                for instances in self._instances
                for instance in instances.values()
            ]

    def states(self) -> dict[str, str]:
        """``fingerprint -> "pending" | "firing"`` for every active alert."""
        with self._lock:
            return {
                fp: "firing" if instance.firing else "pending"
                for instances in self._instances
                for fp, instance in instances.items()
            }

    def _matching(
        self, index: int, samples: list[tuple[str, Mapping[str, str], float]]
    ) -> dict[str, tuple[dict[str, str], float]]:
        """The label sets (by fingerprint) for which rule ``index`` holds, with their values."""
        rule, condition = self.rules[index], self._conditions[index]
        active: dict[str, tuple[dict[str, str], float]] = {}
        for name, labels, value in samples:
            if labels.get("model") != rule.model:
                continue
            if rule.version is not None and labels.get("version") != rule.version:
                continue
            if not condition.selects(name, labels) or not condition.holds(float(value)):
                continue
            alert_labels = {
                **{k: v for k, v in labels.items() if k != "__name__"},
                **rule.labels,
                "alertname": rule.name,
                "severity": rule.severity,
            }
            active[fingerprint(alert_labels)] = (alert_labels, float(value))
        return active

    def _update_rule(
        self,
        index: int,
        active: dict[str, tuple[dict[str, str], float]],
        now: float,
        explanations: Explanations,
    ) -> None:
        rule, instances = self.rules[index], self._instances[index]

        def explain(instance: _Instance) -> None:
            key = (instance.labels.get("model", ""), instance.labels.get("version", ""))
            if not instance.firing and explanations.get(key):
                instance.explanation = explanations[key]

        for fp in list(instances):
            instance = instances[fp]
            if fp in active:
                instance.value = active[fp][1]
                explain(instance)
                if not instance.firing and now - instance.active_at >= rule.for_:
                    self._fire(fp, instance, now)
                elif instance.firing:
                    self._group_of(instance.labels, now).alerts[fp] = instance.snapshot(
                        "firing", self.external_url, None
                    )
                continue
            del instances[fp]
            if instance.firing:
                self._record(instance, "resolved", now, ends_at=now)
                group = self._group_of(instance.labels, now)
                group.alerts[fp] = instance.snapshot("resolved", self.external_url, now)
            else:
                self._record(instance, "inactive", now, ends_at=now)
        for fp, (labels, value) in active.items():
            if fp in instances:
                continue
            instance = _Instance(rule, labels, active_at=now, value=value)
            explain(instance)
            instances[fp] = instance
            self._record(instance, "pending", now)
            if rule.for_ <= 0:
                self._fire(fp, instance, now)

    def _fire(self, fp: str, instance: _Instance, now: float) -> None:
        instance.firing = True
        self._record(instance, "firing", now)
        group = self._group_of(instance.labels, now)
        group.alerts[fp] = instance.snapshot("firing", self.external_url, None)

    def _group_of(self, labels: Mapping[str, str], now: float) -> _Group:
        group_labels = {k: labels[k] for k in self.group_by if k in labels}
        key = group_key(group_labels)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(group_labels, next_flush=now + self.group_wait)
        return group

    # -- grouping ---------------------------------------------------------------------------

    def _flush(self, now: float) -> list[Notification]:
        notifications: list[Notification] = []
        for key in list(self._groups):
            group = self._groups[key]
            if now < group.next_flush:
                continue
            firing = {fp for fp, a in group.alerts.items() if a.status == "firing"}
            resolved = {
                fp
                for fp, a in group.alerts.items()
                if a.status == "resolved" and fp in group.notified_firing
            }
            repeat_due = group.last_sent is None or now - group.last_sent >= self.repeat_interval
            if (firing - group.notified_firing) or resolved or (firing and repeat_due):
                alerts = tuple(
                    group.alerts[fp] for fp in sorted(group.alerts) if fp in firing | resolved
                )
                notifications.append(
                    Notification(key, dict(group.labels), alerts, external_url=self.external_url)
                )
                group.notified_firing = firing
                group.last_sent = now
            for fp in [fp for fp, a in group.alerts.items() if a.status == "resolved"]:
                del group.alerts[fp]
            group.next_flush = now + self.group_interval
            if not group.alerts:
                del self._groups[key]
        return notifications

    # -- state, for a standby that takes over -----------------------------------------------

    def export_state(self) -> dict[str, Any]:
        """Everything :meth:`restore_state` needs to go on where this engine is now, as JSON.

        Alerts pending or firing (by rule name and fingerprint) and each group's schedule and
        what it last notified, so that an engine restored from it neither notifies an alert
        again nor forgets to resolve it.
        """
        with self._lock:
            return {
                "format": STATE_FORMAT,
                "instances": {
                    rule.name: {
                        fp: {
                            "labels": dict(i.labels),
                            "active_at": i.active_at,
                            "value": i.value,
                            "firing": i.firing,
                            "explanation": i.explanation,
                        }
                        for fp, i in self._instances[index].items()
                    }
                    for index, rule in enumerate(self.rules)
                },
                "groups": {
                    key: {
                        "labels": dict(group.labels),
                        "next_flush": group.next_flush,
                        "alerts": {fp: _alert_json(a) for fp, a in group.alerts.items()},
                        "notified_firing": sorted(group.notified_firing),
                        "last_sent": group.last_sent,
                    }
                    for key, group in self._groups.items()
                },
            }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Replace this engine's alerts and groups by those of :meth:`export_state`.

        Alerts of rules that are no longer configured are dropped; a state of another format
        is ignored with a warning (the engine starts afresh).
        """
        if state.get("format") != STATE_FORMAT:
            logger.warning("Ignoring an alert state of format %r", state.get("format"))
            return
        by_name = {rule.name: index for index, rule in enumerate(self.rules)}
        with self._lock:
            self._instances = [{} for _ in self.rules]
            for name, instances in state.get("instances", {}).items():
                index = by_name.get(name)
                if index is None:
                    continue
                for fp, saved in instances.items():
                    self._instances[index][fp] = _Instance(
                        self.rules[index],
                        {str(k): str(v) for k, v in saved["labels"].items()},
                        active_at=float(saved["active_at"]),
                        value=float(saved["value"]),
                        firing=bool(saved["firing"]),
                        explanation=str(saved.get("explanation") or ""),
                    )
            self._groups = {
                key: _Group(
                    {str(k): str(v) for k, v in saved["labels"].items()},
                    next_flush=float(saved["next_flush"]),
                    alerts={fp: _alert_from_json(a) for fp, a in saved["alerts"].items()},
                    notified_firing=set(saved["notified_firing"]),
                    last_sent=saved["last_sent"],
                )
                for key, saved in state.get("groups", {}).items()
            }

    # -- history ----------------------------------------------------------------------------

    def _record(
        self, instance: _Instance, state: str, now: float, *, ends_at: float | None = None
    ) -> None:
        if self.on_event is None:
            return
        event: AlertEvent = {
            "rule": instance.rule.name,
            "state": state,
            "starts_at": instance.active_at,
            "model": instance.labels.get("model"),
            "version": instance.labels.get("version"),
            "ends_at": ends_at,
            "value": instance.value,
            "payload": {
                "at": now,
                "labels": dict(instance.labels),
                "fingerprint": fingerprint(instance.labels),
                "expr": instance.rule.expr,
                "severity": instance.rule.severity,
            },
        }
        try:
            self.on_event(event)
        except Exception:  # the history is best effort; alerting goes on without it
            logger.exception("could not record alert event %s %s", instance.rule.name, state)


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "status": alert.status,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "value": alert.value,
        "generator_url": alert.generator_url,
    }


def _alert_from_json(data: Mapping[str, Any]) -> Alert:
    return Alert(
        status="firing" if data["status"] == "firing" else "resolved",
        labels={str(k): str(v) for k, v in data["labels"].items()},
        annotations={str(k): str(v) for k, v in data["annotations"].items()},
        starts_at=float(data["starts_at"]),
        ends_at=None if data["ends_at"] is None else float(data["ends_at"]),
        value=float(data["value"]),
        generator_url=str(data.get("generator_url", "")),
    )
