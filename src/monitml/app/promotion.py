"""Composition root of progressive delivery: settings → the promotion driver and its models.

The monitor's loop runs :meth:`PromotionDriver.tick` after each pass (``build_monitor`` wires
it); ``monitml promote`` uses :func:`plan_for` and the notifier built here. A model's versions
are loaded the first time one of its promotions is judged: configured versions the way the
gateway loads them, registered ones (``monitml retrain``) from the file their ``source`` names.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from monitml.app.models import build_served_model, read_reference
from monitml.config import ModelConfig, Settings
from monitml.errors import ConfigError, ModelError, MonitmlError
from monitml.promotion.delivery import Notifier
from monitml.promotion.driver import ModelSetup, PromotionDriver
from monitml.promotion.estimated import LabelFreeEstimates
from monitml.promotion.settings import PromotionConfig
from monitml.serving.loaders import Predictor, load_file, make_predictor
from monitml.store import PredictionStore

__all__ = ["build_promotion_driver", "model_setup", "plan_for"]

logger = logging.getLogger(__name__)


def plan_for(settings: Settings, model: str) -> PromotionConfig:
    """The model's configured plan, else the default one (10, 25, 50, 100 every 10 minutes)."""
    if model not in settings.models:
        known = ", ".join(settings.models) or "none"
        raise ConfigError(f"models.{model}: no such model; configured: {known}")
    return settings.models[model].promotion or PromotionConfig()


def model_setup(name: str, config: ModelConfig, store: PredictionStore) -> ModelSetup:
    """Load the configured versions now and registered ones when first asked for."""
    served = build_served_model(name, config)
    loaded: dict[str, Predictor] = dict(served.versions)
    lock = threading.Lock()

    def predictor(version: str) -> Predictor:
        with lock:
            if version not in loaded:
                entry = next(
                    (e for e in store.list_versions(name) if e["version"] == version), None
                )
                if entry is None or "path" not in entry["source"]:
                    raise ModelError(f"{name}: version {version!r} is neither configured nor "
                                     "registered with a file")  # fmt: skip
                model = load_file(Path(entry["source"]["path"]))
                loaded[version] = make_predictor(model, served.features, config.task)
            return loaded[version]

    # The reference the monitor uses: the stored one, else the config's file.
    reference = store.load_reference(name)
    if reference is None and config.reference is not None:
        reference = read_reference(config.reference, f"models.{name}.reference")
    estimates = LabelFreeEstimates(
        reference,
        features=list(served.features.names),
        target=config.target or "label",
        task=config.task,
    )
    return ModelSetup(config.task, list(served.features.names), predictor, estimates)


def build_promotion_driver(
    settings: Settings,
    store: PredictionStore,
    *,
    notify: Notifier | None = None,
    read_gateway_metrics: Callable[[], str] | None = None,
    clock: Callable[[], float] | None = None,
) -> PromotionDriver:
    """A driver for the configured models' promotions (a model that fails to load is skipped)."""

    def setup(model: str) -> ModelSetup | None:
        config = settings.models.get(model)
        if config is None:
            return None
        try:
            return model_setup(model, config, store)
        except MonitmlError as error:
            logger.error("promotion of %s cannot be driven: %s", model, error)
            return None

    return PromotionDriver(
        store,
        setup,
        notify=notify,
        read_gateway_metrics=read_gateway_metrics,
        clock=time.time if clock is None else clock,
    )
