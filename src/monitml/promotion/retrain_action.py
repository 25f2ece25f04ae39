"""The alert action ``retrain``: a rule with ``actions: [retrain]`` retrains its model as it fires.

The alert engine records every state change through its event sink; ``RetrainAction.on_event``
sits there and, on a ``firing`` event of such a rule, starts the retrain
(:func:`monitml.promotion.retrain.retrain`) in a thread of its own, so the monitor's loop never
waits for a training. The outcome (registered, refused by the gates, or failed) is notified
through the alert channels, like promotions.

What is guaranteed, and what is not:

- One retrain per firing: the engine emits ``firing`` once per alert as it starts firing (not
  on repeats, nor on a standby taking over). A firing while a retrain of the same model still
  runs (another version's alert of the same rule) starts none: it would train on the same rows.
- The retrain runs on whichever monitor process saw the firing (the one holding the lease);
  if that process stops mid-way, the retrain is lost, with nothing registered, and a later
  firing (or ``monitml retrain``) starts it again.
- A notification is handed to the dispatcher when the retrain ends; one that ends after the
  monitor closed its dispatcher is dropped (counted as such).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from monitml.alerts.notification import Alert, Notification, group_key
from monitml.alerts.settings import AlertRule
from monitml.errors import MonitmlError
from monitml.promotion.retrain import RetrainOutcome

__all__ = ["ALERT_NAME", "RetrainAction", "outcome_notification"]

ALERT_NAME = "MonitmlRetrain"
logger = logging.getLogger(__name__)

Notifier = Callable[[list[Notification]], None]
Retrainer = Callable[[str], RetrainOutcome]


def _summary(outcome: RetrainOutcome) -> tuple[str, str, str]:
    """(event, summary, description) of a finished retrain."""
    record = outcome.record
    model, challenger = record["model"], record["challenger"]
    metrics = record.get("metrics") or {}
    metric = metrics.get("metric")
    moved = ""
    if metric is not None:
        before, after = metrics["champion"].get(metric), metrics["challenger"].get(metric)
        if before is not None and after is not None:
            moved = f" ({metric} {before:.6g} -> {after:.6g} against {record['champion']})"
    failed = [gate for gate in outcome.gates if not gate["passed"]]
    details = "; ".join(f"{gate['name']}: {gate['detail']}" for gate in outcome.gates)
    if outcome.registered is not None:
        return "registered", f"{model}: challenger {challenger} registered{moved}", details
    refused = ", ".join(gate["name"] for gate in failed)
    return "refused", f"{model}: challenger {challenger} refused by {refused}{moved}", details


def outcome_notification(
    model: str,
    rule: str,
    now: float,
    outcome: RetrainOutcome | None = None,
    error: str | None = None,
) -> Notification:
    """One alert-channel notification saying how the retrain triggered by ``rule`` ended."""
    if outcome is not None:
        event, summary, description = _summary(outcome)
        version = outcome.record["challenger"]
    else:
        event, summary, description, version = "failed", f"{model}: retrain failed", error or "", ""
    labels = {
        "alertname": ALERT_NAME,
        "model": model,
        "version": version,
        "event": event,
        "rule": rule,
        "severity": "info" if event == "registered" else "warning",
    }
    annotations = {"summary": summary, "description": description}
    alert = Alert("firing", labels, annotations, starts_at=now, ends_at=None, value=0.0)
    groups = {"alertname": ALERT_NAME, "model": model, "event": event}
    return Notification(group_key(groups), groups, (alert,))


class RetrainAction:
    """Start a background retrain when an alert of a ``retrain`` rule starts firing."""

    def __init__(
        self,
        rules: Sequence[AlertRule],
        retrain: Retrainer,
        *,
        notify: Notifier | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.models = {rule.name: rule.model for rule in rules if "retrain" in rule.actions}
        self.retrain = retrain
        self.notify = notify
        self.clock = clock
        self._running: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()

    def on_event(self, event: Mapping[str, Any]) -> bool:
        """The alert engine's event sink; True when this event started a retrain."""
        rule = str(event.get("rule"))
        model = self.models.get(rule)
        if event.get("state") != "firing" or model is None:
            return False
        with self._lock:
            if model in self._running:
                logger.info("%s fired while %s is being retrained: not started again", rule, model)
                return False
            thread = threading.Thread(
                target=self._run, args=(model, rule), name=f"monitml-retrain-{model}", daemon=True
            )
            self._running[model] = thread
        thread.start()
        return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the retrains under way (tests, and a graceful stop)."""
        with self._lock:
            threads = list(self._running.values())
        for thread in threads:
            thread.join(timeout)

    def _run(self, model: str, rule: str) -> None:
        try:
            outcome = self.retrain(model)
        except MonitmlError as error:  # the user's training function or config
            logger.warning("retrain of %s triggered by %s failed: %s", model, rule, error)
            self._send(outcome_notification(model, rule, self.clock(), error=str(error)))
        except Exception as error:  # a thread's failure must still be told, then logged whole
            logger.exception("retrain of %s triggered by %s failed", model, rule)
            message = f"{type(error).__name__}: {error}"
            self._send(outcome_notification(model, rule, self.clock(), error=message))
        else:
            logger.info("retrain of %s triggered by %s: %s", model, rule, outcome.record["status"])
            self._send(outcome_notification(model, rule, self.clock(), outcome))
        finally:
            with self._lock:
                self._running.pop(model, None)

    def _send(self, notification: Notification) -> None:
        if self.notify is not None:
            self.notify([notification])
