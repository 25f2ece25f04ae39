"""The composition root of the gateway: settings → models → store → writer → FastAPI app.

``build_gateway_app(settings)`` is what ``monitml serve`` runs in one process;
``app_from_env()`` is the factory each uvicorn worker calls when there are several (it reads
the config path from ``MONITML_CONFIG``).

Routing changes live in the store, shared by every replica (``monitml.serving.routing_state``),
and so do versions registered after start-up (``monitml.serving.registered``).
Files next to the config (``server.spill_path``): the writer's spill file
(``monitml-spill.jsonl``; worker *k* > 0 of several uses ``monitml-spill.k.jsonl``, claimed
with a lock so that a restarted worker replays what its predecessor left) and, with
``log.durability: disk``, its journal (``monitml-spill.jsonl.journal.*.seg``).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

from fastapi import FastAPI

from monitml.app.dashboard import gateway_dashboard
from monitml.app.models import build_served_model
from monitml.app.monitoring import start_embedded_monitor
from monitml.app.retention import start_retention
from monitml.app.store import open_store
from monitml.config import Settings, load_settings
from monitml.errors import ConfigError
from monitml.serving import GatewayMetrics, RoutingState, create_app
from monitml.serving.registered import RegisteredVersions
from monitml.store import LogWriter, PredictionStore

__all__ = [
    "CONFIG_ENV",
    "app_from_env",
    "build_gateway_app",
    "check_gateway",
    "claim_spill_path",
    "limit_model_threads",
    "required_token",
]

CONFIG_ENV = "MONITML_CONFIG"
_MAX_WORKERS = 256


def claim_spill_path(base: Path) -> tuple[Path, IO[bytes]]:
    """The first spill file no other live process holds, and the open lock that holds it."""
    base.parent.mkdir(parents=True, exist_ok=True)
    for slot in range(_MAX_WORKERS):
        path = base if slot == 0 else base.with_name(f"{base.stem}.{slot}{base.suffix}")
        lock = open(path.with_name(path.name + ".lock"), "ab")  # noqa: SIM115 - held for life
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return path, lock
    raise ConfigError(f"server.spill_path: {_MAX_WORKERS} processes already use {base}")


def limit_model_threads(threads: int | None) -> None:
    """Cap OpenMP/BLAS threads for libraries loaded from now on, and for those loaded already."""
    if threads is None:
        return
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(threads)
    try:
        from threadpoolctl import (  # type: ignore[import-untyped]  # noqa: PLC0415
            threadpool_limits,  # comes with scikit-learn
        )
    except ImportError:
        return
    threadpool_limits(threads)


def required_token(variable: str | None, key: str) -> str | None:
    """The token in ``variable``; None when no variable is named. Fails closed: a named
    variable that is unset or empty is a ConfigError, never an open route."""
    if variable is None:
        return None
    token = os.environ.get(variable)
    if not token:
        raise ConfigError(f"{key}: the environment variable {variable} is not set or empty")
    return token


def check_gateway(settings: Settings) -> None:
    """Fail with a ConfigError now if the gateway could not start (loads and drops the models)."""
    if not settings.models:
        raise ConfigError("models: no model is configured")
    required_token(settings.auth.ingest_token_env, "auth.ingest_token_env")
    required_token(settings.auth.predict_token_env, "auth.predict_token_env")
    for name, config in settings.models.items():
        build_served_model(name, config)
    open_store(settings).dispose()


def build_gateway_app(settings: Settings) -> FastAPI:
    """Load every model, open the store and the writer, and return the gateway app."""
    if not settings.models:
        raise ConfigError("models: no model is configured")
    ingest_token = required_token(settings.auth.ingest_token_env, "auth.ingest_token_env")
    predict_token = required_token(settings.auth.predict_token_env, "auth.predict_token_env")
    limit_model_threads(settings.server.model_threads)
    served = [build_served_model(name, config) for name, config in settings.models.items()]
    limit_model_threads(settings.server.model_threads)  # for the libraries the models loaded
    store = open_store(settings)
    spill_path, spill_lock = claim_spill_path(settings.server.spill_path)
    writer = LogWriter(
        store,
        max_queue=settings.server.log_queue,
        spill_path=spill_path,
        durability=settings.log.durability,
    )
    metrics = GatewayMetrics()
    stop_monitor = _embedded_monitor(settings, metrics, store)
    stop_retention = start_retention(settings, store)

    def release() -> None:
        stop_monitor()
        stop_retention()
        store.dispose()
        spill_lock.close()

    app = create_app(
        served,
        store=store,
        writer=writer,
        metrics=metrics,
        routing_state=RoutingState(store),
        registered=RegisteredVersions(store, {model.name: model for model in served}),
        admin_token=os.environ.get(settings.auth.admin_token_env) or None,
        ingest_token=ingest_token,
        predict_token=predict_token,
        allow_external_versions=settings.log.allow_external_versions,
        label_window=settings.log.label_window,
        max_body_bytes=settings.server.max_body_bytes,
        max_batch=settings.server.max_batch,
        max_concurrency=settings.server.max_concurrency,
        log_queue=settings.server.log_queue,
        shutdown_timeout=settings.server.shutdown_timeout,
        on_shutdown=release,
    )
    app.mount("/ui", gateway_dashboard(settings, app.state.gateway, metrics))
    return app


def _embedded_monitor(
    settings: Settings, metrics: GatewayMetrics, store: PredictionStore
) -> Callable[[], None]:
    """Start the monitor in this process when ``monitor.embedded``; return how to stop it.

    Its gauges go on the gateway's registry, so one ``/metrics`` shows both.
    """
    if not settings.monitor.embedded:
        return lambda: None
    if metrics.folder is not None:
        raise ConfigError(
            "monitor.embedded: runs with one worker only; with --workers N run `monitml monitor` "
            "beside the gateway, or each worker would alert on its own"
        )
    return start_embedded_monitor(settings, metrics.registry, store)


def app_from_env() -> FastAPI:
    """The uvicorn factory for ``--workers N``: the config path comes from ``MONITML_CONFIG``."""
    path = os.environ.get(CONFIG_ENV)
    return build_gateway_app(load_settings(Path(path) if path else None))
