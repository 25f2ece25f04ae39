"""Composition root of the monitor: settings → store, model monitors, gauges, alerts, promotions."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from prometheus_client import CollectorRegistry

from monitml.alerts import AlertEngine, Dispatcher, build_channels
from monitml.alerts.engine import AlertEvent
from monitml.app.explaining import ImportanceMeter
from monitml.app.models import build_served_model, read_reference
from monitml.app.promotion import build_promotion_driver
from monitml.app.retraining import build_retrain_action
from monitml.app.store import open_store
from monitml.config import ModelConfig, Settings
from monitml.errors import ConfigError, ModelError, StoreError
from monitml.monitor.gauges import MonitorGauges
from monitml.monitor.model_monitor import PREDICTION, ModelMonitor
from monitml.monitor.operational import OperationalSampler
from monitml.monitor.policy import MonitorPolicy
from monitml.monitor.runner import MonitorRunner
from monitml.monitor.streaming import StreamingPolicy
from monitml.promotion.driver import PromotionDriver
from monitml.promotion.retrain_action import RetrainAction
from monitml.store import PredictionStore
from monitml.store.lease import open_lease

__all__ = [
    "MonitorApp",
    "build_model_monitor",
    "build_monitor",
    "policy_from",
    "reference_for",
    "save_reference",
    "start_embedded_monitor",
    "streaming_from",
]

logger = logging.getLogger(__name__)

MONITOR_LEASE = "monitor"
ALERT_STATE = "alerts"  # the name the active monitor saves its alert engine's state under
# SQLite's lease row outlives a dead monitor by this many intervals (PostgreSQL: not at all).
_LEASE_INTERVALS = 3
_MIN_LEASE_SECONDS = 5.0


def policy_from(settings: Settings) -> MonitorPolicy:
    config = settings.monitor
    try:
        return MonitorPolicy(
            window_rows=config.window.rows,
            window_seconds=config.window.period,
            min_rows=config.min_rows,
            false_alarm_windows=config.false_alarm_windows,
            method=config.method,
            share_threshold=config.share_threshold,
            multivariate=config.multivariate,
        )
    except ValueError as error:
        raise ConfigError(f"monitor: {error}") from error


def streaming_from(settings: Settings) -> StreamingPolicy | None:
    """The streaming detectors' policy when ``monitor.streaming.enabled``, else None."""
    config = settings.monitor.streaming
    if not config.enabled:
        return None
    if find_spec("river") is None:
        raise ConfigError(
            "monitor.streaming.enabled: the streaming detectors need river: "
            "pip install 'monitml[streaming]'"
        )
    try:
        return StreamingPolicy(run_length=config.run_length)
    except ValueError as error:
        raise ConfigError(f"monitor.streaming: {error}") from error


def reference_for(name: str, config: ModelConfig, store: PredictionStore) -> pd.DataFrame:
    """The model's reference: the one set with ``monitml reference set``, else the config's."""
    stored = store.load_reference(name)
    if stored is not None:
        return stored
    if config.reference is None:
        raise ConfigError(
            f"models.{name}.reference: no reference data; set a path in the config "
            f"or run `monitml reference set {name} FILE`"
        )
    return read_reference(config.reference, f"models.{name}.reference")


def build_model_monitor(
    name: str,
    config: ModelConfig,
    store: PredictionStore,
    policy: MonitorPolicy,
    *,
    streaming: StreamingPolicy | None = None,
) -> ModelMonitor:
    """A monitor for one model; reference predictions are added by the model when absent.

    ``streaming`` turns the streaming detectors on: only the online monitor feeds them.
    """
    return _measured_model_monitor(name, config, store, policy, streaming=streaming)[0]


def _measured_model_monitor(
    name: str,
    config: ModelConfig,
    store: PredictionStore,
    policy: MonitorPolicy,
    *,
    streaming: StreamingPolicy | None = None,
) -> tuple[ModelMonitor, ImportanceMeter]:
    """``build_model_monitor``, and the meter that measured its versions' importance (the
    monitor service measures the versions registered later with it)."""
    served = build_served_model(name, config)
    reference = reference_for(name, config, store)
    numerical = [f.name for f in served.features.features if f.kind == "numerical"]
    categorical = [f.name for f in served.features.features if f.kind == "categorical"]
    if PREDICTION not in reference.columns:
        # So prediction drift works from day one: the champion predicts the reference.
        champion = max(served.routing.weights, key=lambda v: served.routing.weights[v])
        rows = _records(reference[list(served.features.names)])
        try:
            reference = reference.assign(
                **{PREDICTION: served.versions[champion].predict(rows).values}
            )
        except ModelError as error:
            raise ConfigError(f"models.{name}: cannot predict the reference: {error}") from error
    meter = ImportanceMeter.of(store, served, reference, target=config.target or "label")
    monitor = ModelMonitor(
        name,
        reference,
        features=list(served.features.names),
        numerical=numerical,
        categorical=categorical,
        target=config.target,
        task=config.task,
        policy=policy,
        streaming=streaming,
        segments=config.segments,
        importance=meter.measure_each(served.versions),
    )
    return monitor, meter


def _records(frame: pd.DataFrame) -> list[dict[str, object]]:
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in cleaned.to_dict(orient="records")
    ]


@dataclass
class MonitorApp:
    """Everything ``monitml monitor`` runs: the runner, its registry and the alert dispatcher."""

    runner: MonitorRunner
    registry: CollectorRegistry
    dispatcher: Dispatcher | None
    engine: AlertEngine | None
    store: PredictionStore
    promotions: PromotionDriver | None = None
    retraining: RetrainAction | None = None

    def close(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.close()
        self.store.dispose()


def build_monitor(
    settings: Settings,
    *,
    registry: CollectorRegistry | None = None,
    store: PredictionStore | None = None,
    read_gateway_metrics: Callable[[], str] | None = None,
    environ: dict[str, str] | None = None,
) -> MonitorApp:
    """Build the monitor for every configured model (a ConfigError names a bad key)."""
    if not settings.models:
        raise ConfigError("models: no model is configured")
    registry = registry if registry is not None else CollectorRegistry()
    store = store if store is not None else open_store(settings)
    policy = policy_from(settings)
    streaming = streaming_from(settings)
    built = {
        name: _measured_model_monitor(name, config, store, policy, streaming=streaming)
        for name, config in settings.models.items()
    }
    monitors = {name: monitor for name, (monitor, _) in built.items()}
    meters = {name: meter for name, (_, meter) in built.items()}
    engine: AlertEngine | None = None
    dispatcher: Dispatcher | None = None
    channels = build_channels(settings.alerts.channels, environ or dict(os.environ))
    if settings.alerts.rules or channels:  # promotions notify through the channels too
        dispatcher = Dispatcher(channels, registry=registry).start()
    notify = dispatcher.submit if dispatcher is not None else None
    retraining = build_retrain_action(settings, store, notify)
    if settings.alerts.rules:
        engine = AlertEngine.from_settings(
            settings.alerts, on_event=_recorded(store.save_alert_event, retraining)
        )

    def sink(samples: list[tuple[str, dict[str, str], float]], now: float) -> None:
        if engine is not None and dispatcher is not None:
            explanations = {
                (model, version): text
                for model, monitor in monitors.items()
                for version, text in monitor.explanations.items()
            }
            notifications = engine.evaluate(samples, now, explanations=explanations)
            # Saved before sending: a standby that takes over never sends these again (a
            # monitor killed between the two loses them, until repeat_interval re-sends).
            try:
                store.save_alert_state(ALERT_STATE, engine.export_state())
            except StoreError as error:
                logger.warning("cannot save the alert state: %s", error)
            dispatcher.submit(notifications)

    def take_over() -> None:
        """Go on from the alert state the previous active monitor saved (StoreError: not yet)."""
        if engine is not None:
            saved = store.load_alert_state(ALERT_STATE)
            if saved is not None:
                engine.restore_state(saved)

    if read_gateway_metrics is None and settings.monitor.gateway_url:
        read_gateway_metrics = _metrics_reader(settings.monitor.gateway_url)
    promotions = build_promotion_driver(
        settings,
        store,
        notify=dispatcher.submit if dispatcher is not None else None,
        read_gateway_metrics=read_gateway_metrics,
    )

    def after_pass(now: float) -> None:
        try:
            promotions.tick(now)
        finally:
            _watch_registered(runner, store, meters)

    runner = MonitorRunner(
        store,
        monitors,
        versions={name: list(config.versions) for name, config in settings.models.items()},
        shadow_versions={name: list(config.shadow) for name, config in settings.models.items()},
        gauges=MonitorGauges(registry),
        sink=sink,
        operational=OperationalSampler(read_gateway_metrics) if read_gateway_metrics else None,
        lease=open_lease(
            store.engine,
            MONITOR_LEASE,
            ttl=max(_LEASE_INTERVALS * settings.monitor.interval, _MIN_LEASE_SECONDS),
        ),
        on_takeover=take_over,
        after_pass=after_pass,
    )
    return MonitorApp(runner, registry, dispatcher, engine, store, promotions, retraining)


def _watch_registered(
    runner: MonitorRunner, store: PredictionStore, meters: Mapping[str, ImportanceMeter]
) -> None:
    """Watch the versions registered since start-up (``monitml retrain``) from the next pass
    on, as the gateway serves them (one query per pass), each with its importance.

    A new version is measured once, here: it is watched from now on whatever the measurement
    gives, so no later pass measures it again. Every new version is watched before any is
    measured, so a store that fails while measuring one costs the others only their importance.
    """
    added = []
    for entry in store.list_versions():
        watched = runner.versions.get(entry["model"])
        if watched is not None and entry["version"] not in watched:
            watched.append(entry["version"])
            added.append(entry)
    for entry in added:
        importance = meters[entry["model"]].registered(entry)
        if importance is not None:
            runner.monitors[entry["model"]].importance[entry["version"]] = importance


def _recorded(
    save: Callable[[AlertEvent], object], retraining: RetrainAction | None
) -> Callable[[AlertEvent], None]:
    """The engine's event sink: the alert history, then the ``retrain`` action (non-blocking)."""

    def record(event: AlertEvent) -> None:
        try:
            save(event)
        finally:  # a history the store cannot take does not stop the action
            if retraining is not None:
                retraining.on_event(event)

    return record


def start_embedded_monitor(
    settings: Settings, registry: CollectorRegistry, store: PredictionStore
) -> Callable[[], None]:
    """Run the monitor in a daemon thread of the gateway; return the function that stops it."""
    from prometheus_client import generate_latest  # noqa: PLC0415

    built = build_monitor(
        settings,
        registry=registry,
        store=store,
        read_gateway_metrics=lambda: generate_latest(registry).decode(),
    )
    stop = threading.Event()
    thread = threading.Thread(
        target=built.runner.run_forever,
        args=(settings.monitor.interval, stop),
        name="monitml-monitor",
        daemon=True,
    )
    thread.start()

    def halt() -> None:
        stop.set()
        thread.join(timeout=30)
        if built.dispatcher is not None:
            built.dispatcher.close()

    return halt


def _metrics_reader(base_url: str) -> Callable[[], str]:
    url = base_url.rstrip("/") + "/metrics"

    def read() -> str:
        try:
            return httpx.get(url, timeout=5.0).text
        except httpx.HTTPError as error:
            logger.warning("cannot read the gateway's metrics at %s: %s", url, error)
            return ""

    return read


def save_reference(settings: Settings, model: str, path: Path) -> int:
    """``monitml reference set``: store a file as the model's reference; return its rows."""
    if model not in settings.models:
        known = ", ".join(settings.models)
        raise ConfigError(f"models.{model}: no such model; configured: {known}")
    frame = read_reference(path, f"reference file {path}")
    store = open_store(settings)
    try:
        store.save_reference(model, frame)
    finally:
        store.dispose()
    return len(frame)
