"""Composition of retraining: settings → served model → ``retrain``; and the alert action.

``monitml retrain`` and the monitor's ``retrain`` alert action both come through here, so a
retrain started by an alert is the same as one started by hand.
"""

from __future__ import annotations

from collections.abc import Callable

from monitml.alerts.notification import Notification
from monitml.app.models import build_served_model
from monitml.config import Settings
from monitml.errors import ConfigError
from monitml.promotion.retrain import RetrainOutcome, retrain
from monitml.promotion.retrain_action import RetrainAction
from monitml.serving import ServedModel
from monitml.store import PredictionStore

__all__ = ["build_retrain_action", "retrain_model"]

Notifier = Callable[[list[Notification]], None]


def retrain_model(
    settings: Settings,
    model: str,
    store: PredictionStore,
    *,
    version: str | None = None,
    now: float | None = None,
    notify: Notifier | None = None,
    served: ServedModel | None = None,
) -> RetrainOutcome:
    """Retrain ``model`` as configured (see :func:`monitml.promotion.retrain.retrain`);
    ``served`` is the model already loaded, when the caller has it."""
    if model not in settings.models:
        raise ConfigError(
            f"--model: unknown model '{model}'; configured: {', '.join(settings.models)}"
        )
    config = settings.models[model]
    served = build_served_model(model, config) if served is None else served
    return retrain(
        store,
        served,
        config.training,
        settings.registry,
        promotion=config.promotion,
        version=version,
        now=now,
        notify=notify,
    )


def build_retrain_action(
    settings: Settings, store: PredictionStore, notify: Notifier | None
) -> RetrainAction | None:
    """The action of the rules with ``actions: [retrain]``, or None when no rule has it.

    A rule whose model cannot be retrained (no training section) is a ConfigError now, not a
    failure at the first firing.
    """
    rules = [rule for rule in settings.alerts.rules if "retrain" in rule.actions]
    if not rules:
        return None
    for index, rule in enumerate(settings.alerts.rules):
        if "retrain" not in rule.actions:
            continue
        config = settings.models.get(rule.model)
        if config is None or config.training is None:
            raise ConfigError(
                f"alerts.rules.{index}.actions: retrain needs models.{rule.model}.training "
                "(training: {entrypoint: 'package.module:train'})"
            )
    return RetrainAction(
        rules, lambda model: retrain_model(settings, model, store, notify=notify), notify=notify
    )
