"""``retrain``: fit a challenger on recent labelled data, gate it against the champion, register it.

The steps, each timed and recorded:

1. **data**: the model's labelled predictions within ``training.window``
   (:mod:`monitml.promotion.training_data`), split in time: the most recent ``holdout`` share
   is held out, the rest is given to the user's ``training.entrypoint`` as one DataFrame of the
   features and the target column; it returns a fitted model.
2. **train**, then **evaluate**: champion (the version with the highest routing weight, as the
   store's routing says, else the config's) and challenger predict the held-out rows.
3. **gates** (:mod:`monitml.promotion.gates`); too few rows refuses without training.
4. **register**: the challenger's file in the local registry, in MLflow when configured, then
   in the store, which every gateway replica polls; then its promotion, when the model has a
   ``promotion`` plan.

The record (``kind="retrain"`` in the store's monitor results, also what ``--json`` writes) holds
the figures of every step. What is guaranteed, and what is not:

- A refused or failed challenger is never registered; a registered one has a record whose id is
  its payload's ``retrain_id``. The record is saved before the registration, so a store failing
  in between leaves a record naming a version that was not registered (and ``retrain`` raises).
- The user's training function runs in the calling thread with no time limit; what it raises
  (or a model it returns that cannot predict the held-out rows) is a :class:`ModelError`
  naming the entrypoint, recorded with status ``failed``.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from monitml.alerts.notification import Notification
from monitml.errors import ConfigError, ModelError
from monitml.promotion.gates import (
    Gate,
    check_metric,
    default_metric,
    metric_gates,
    rows_gate,
    schema_gate,
)
from monitml.promotion.mlflow_registry import MlflowRegistry
from monitml.promotion.registry import LocalRegistry
from monitml.promotion.settings import PromotionConfig, RegistryConfig, TrainingConfig
from monitml.promotion.training_data import LabelledData, read_labelled
from monitml.serving.loaders import Predictions, Predictor, load_file, make_predictor
from monitml.serving.model import ServedModel
from monitml.stats.performance import classification_metrics, regression_metrics
from monitml.store import PredictionStore

__all__ = ["FORMAT", "RetrainOutcome", "champion_of", "retrain"]

FORMAT = "monitml.retrain/1"
Clock = Callable[[], float]
Notifier = Callable[[list[Notification]], None]


@dataclass(frozen=True, slots=True)
class RetrainOutcome:
    """What a retrain did: its record (as saved), its id in the store, the version registered."""

    record: dict[str, Any]
    result_id: int | None
    registered: str | None

    @property
    def gates(self) -> list[dict[str, Any]]:
        gates: list[dict[str, Any]] = self.record["gates"]
        return gates


@dataclass
class _Timer:
    clock: Clock
    durations: dict[str, float] = field(default_factory=dict)

    def step(self, name: str, started: float) -> None:
        self.durations[name] = round(self.clock() - started, 6)


def champion_of(store: PredictionStore, served: ServedModel) -> str:
    """The version with the highest routing weight: the store's routing, else the config's."""
    saved = store.load_routing().get(served.name)
    weights = dict(saved.weights) if saved is not None else dict(served.routing.weights)
    return max(weights, key=lambda name: weights[name])


def _training_function(training: TrainingConfig, key: str) -> Callable[..., Any]:
    module_name, _, attribute = training.entrypoint.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise ConfigError(
            f"{key}.entrypoint: cannot import {training.entrypoint!r}: {error}"
        ) from error
    except Exception as error:  # the user's module raised while importing
        raise ConfigError(
            f"{key}.entrypoint: importing {training.entrypoint!r} raised "
            f"{type(error).__name__}: {error}"
        ) from error
    if not callable(target):
        raise ConfigError(f"{key}.entrypoint: {training.entrypoint!r} is not callable")
    return target  # type: ignore[no-any-return]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    cleaned = frame.astype(object).where(frame.notna(), None)
    return [
        {str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
        for row in cleaned.to_dict(orient="records")
    ]


def _metrics(task: str, truth: pd.Series, predicted: Predictions) -> dict[str, Any]:
    if task == "regression":
        return regression_metrics(truth.to_numpy(dtype=float), np.asarray(predicted.values))
    values = np.asarray(predicted.values, dtype=object)
    plain = classification_metrics(truth.to_numpy(dtype=object), values)
    positive = plain["positive_label"]
    if predicted.probabilities is None or positive is None:
        return plain
    scores = [p.get(positive, np.nan) for p in predicted.probabilities]
    return classification_metrics(
        truth.to_numpy(dtype=object), values, labels=plain["labels"], scores=scores
    )


def _predictor_features(predictor: Predictor, fallback: tuple[str, ...]) -> list[str]:
    columns = getattr(predictor, "columns", None) or getattr(predictor, "names", None)
    return [str(c) for c in columns] if columns else list(fallback)


def _champion_predictor(store: PredictionStore, served: ServedModel, name: str) -> Predictor:
    if name in served.versions:
        return served.versions[name]
    for entry in store.list_versions(served.name):
        if entry["version"] == name and "path" in entry["source"]:
            loaded = load_file(Path(entry["source"]["path"]))
            return make_predictor(loaded, served.features, served.task)
    raise ModelError(
        f"the champion {name!r} of {served.name!r} is neither configured nor registered"
    )


def retrain(
    store: PredictionStore,
    served: ServedModel,
    training: TrainingConfig | None,
    registry: RegistryConfig,
    *,
    promotion: PromotionConfig | None = None,
    version: str | None = None,
    now: float | None = None,
    clock: Clock = time.perf_counter,
    notify: Notifier | None = None,
) -> RetrainOutcome:
    """Fit, evaluate, gate and (when every gate passes) register a challenger of ``served``.

    With a ``promotion`` plan, the registered challenger's promotion is started
    (``monitml.promotion.delivery.start_promotion``; ``notify`` gets its notification). User
    errors raise ConfigError or ModelError naming the key.
    """
    key = f"models.{served.name}.training"
    if training is None:
        raise ConfigError(
            f"{key}: the model has no training section; add "
            "training: {entrypoint: 'package.module:train'} to retrain it"
        )
    now = time.time() if now is None else now
    task = served.task
    if training.gates.metric is not None:
        try:
            check_metric(task, training.gates.metric)
        except ValueError as error:
            raise ConfigError(f"{key}.{error}") from error
    local = LocalRegistry(registry.path)
    taken = set(served.versions) | {v["version"] for v in store.list_versions(served.name)}
    if version is not None and version in served.versions:
        raise ConfigError(f"--version: {version!r} is a configured version of {served.name!r}")
    # Claimed before the long fit: two retrains of one model at once get two names.
    name = local.claim(served.name, taken, version)
    try:
        return _retrain_as(
            name, store, served, training, registry, local,
            promotion=promotion, now=now, clock=clock, notify=notify, key=key,
        )  # fmt: skip
    finally:
        local.release(served.name, name)


def _retrain_as(
    name: str,
    store: PredictionStore,
    served: ServedModel,
    training: TrainingConfig,
    registry: RegistryConfig,
    local: LocalRegistry,
    *,
    promotion: PromotionConfig | None,
    now: float,
    clock: Clock,
    notify: Notifier | None,
    key: str,
) -> RetrainOutcome:
    """:func:`retrain` once ``name`` is claimed."""
    task = served.task
    train = _training_function(training, key)
    champion = champion_of(store, served)
    timer = _Timer(clock)
    record: dict[str, Any] = {
        "format": FORMAT,
        "model": served.name,
        "status": "running",
        "entrypoint": training.entrypoint,
        "champion": champion,
        "challenger": name,
        "started_at": now,
        "data": {},
        "metrics": {},
        "gates": [],
        "registered": None,
        "promotion": None,
        "durations": timer.durations,
    }

    started = clock()
    target = served.target or "label"
    features = tuple(served.features.names)
    data = read_labelled(
        store, served.name, features, target, window=training.window, now=now, task=task
    )
    fit_part, held_out = data.split(training.holdout) if data.rows else (data.frame, data.frame)
    record["data"] = _data_figures(data, fit_part, held_out)
    timer.step("data", started)

    gates = [rows_gate(training.gates, len(fit_part), len(held_out))]
    if not gates[0].passed:
        return _finish(store, record, gates, data)

    started = clock()
    try:
        fitted = train(fit_part[[*features, target]].reset_index(drop=True))
    except Exception as error:  # the user's function: whatever it raises is theirs
        message = (
            f"{key}.entrypoint: {training.entrypoint!r} raised {type(error).__name__}: {error}"
        )
        _fail(store, record, data, message)
        raise ModelError(message) from error
    timer.step("train", started)

    fitted_features = getattr(fitted, "feature_names_in_", None)
    challenger_features = (
        [str(f) for f in fitted_features] if fitted_features is not None else list(features)
    )
    champion_predictor = _champion_predictor(store, served, champion)
    gates.append(
        schema_gate(
            training.gates,
            _predictor_features(champion_predictor, features),
            challenger_features,
            data.missing_features,
        )
    )
    if not gates[-1].passed:
        return _finish(store, record, gates, data)

    started = clock()
    rows = _records(held_out[list(features)])
    truth = held_out[target].reset_index(drop=True)
    try:
        challenger = make_predictor(fitted, served.features, task)
        challenger_metrics = _metrics(task, truth, challenger.predict(rows))
    except ModelError as error:
        message = (
            f"{key}.entrypoint: the model {training.entrypoint!r} returned cannot predict "
            f"the held-out rows: {error}"
        )
        _fail(store, record, data, message)
        raise ModelError(message) from error
    champion_metrics = _metrics(task, truth, champion_predictor.predict(rows))
    metric = training.gates.metric or default_metric(task, len(champion_metrics.get("labels", [])))
    record["metrics"] = {
        "metric": metric,
        "champion": champion_metrics,
        "challenger": challenger_metrics,
    }
    timer.step("evaluate", started)
    gates += metric_gates(training.gates, metric, champion_metrics, challenger_metrics)
    if not all(gate.passed for gate in gates):
        return _finish(store, record, gates, data)

    started = clock()
    path = local.save(served.name, name, fitted)
    source: dict[str, Any] = {"path": str(path)}
    if registry.mlflow is not None:
        mlflow = MlflowRegistry(registry.mlflow.tracking_uri, registry.path / "mlflow-artifacts")
        numbers = {k: v for k, v in challenger_metrics.items() if isinstance(v, int | float)}
        source["mlflow"] = mlflow.register(served.name, name, path, numbers)
    record["registered"] = {"version": name, "source": source}
    outcome = _finish(store, record, gates, data)
    payload = {
        "features": challenger_features,
        "task": task,
        "trained_rows": len(fit_part),
        "retrain_id": outcome.result_id,
        "champion": champion,
        "metric": metric,
        "metrics": {k: v for k, v in challenger_metrics.items() if k != "confusion_matrix"},
    }
    revision = store.register_version(served.name, name, source, payload)
    record["registered"]["revision"] = revision
    timer.step("register", started)
    if promotion is not None:
        started = clock()
        record["promotion"] = _promote(store, served.name, champion, name, promotion, now, notify)
        timer.step("promotion", started)
    return RetrainOutcome(record, outcome.result_id, name)


def _promote(
    store: PredictionStore,
    model: str,
    champion: str,
    challenger: str,
    plan: PromotionConfig,
    now: float,
    notify: Notifier | None,
) -> dict[str, Any]:
    """Start the promotion; one already under way is reported, not raised: the challenger is
    registered either way, and ``monitml promote`` can start it later."""
    from monitml.promotion.delivery import PromotionError, start_promotion  # noqa: PLC0415

    try:
        state = start_promotion(store, model, champion, challenger, plan, now, notify=notify)
    except PromotionError as error:
        return {"started": False, "reason": str(error)}
    return {"started": True, "state": state.to_dict()}


def _data_figures(
    data: LabelledData, fit_part: pd.DataFrame, held_out: pd.DataFrame
) -> dict[str, Any]:
    def first_last(part: pd.DataFrame) -> list[float | None]:
        if not len(part):
            return [None, None]
        return [float(part["timestamp"].iloc[0]), float(part["timestamp"].iloc[-1])]

    return {
        "rows": data.rows,
        "training_rows": len(fit_part),
        "holdout_rows": len(held_out),
        "window": {"start": data.window_start, "end": data.window_end()},
        "training_span": first_last(fit_part),
        "holdout_span": first_last(held_out),
        "missing_features": list(data.missing_features),
    }


def _save(store: PredictionStore, record: Mapping[str, Any], data: LabelledData) -> int:
    return store.save_monitor_result(
        {
            "model": record["model"],
            "kind": "retrain",
            "version": record["challenger"],
            "payload": dict(record),
            "run_at": record["started_at"],
            "window_start": data.window_start,
            "window_end": data.window_end(),
        }
    )


def _fail(store: PredictionStore, record: dict[str, Any], data: LabelledData, message: str) -> None:
    record["status"] = "failed"
    record["error"] = message
    _save(store, record, data)


def _finish(
    store: PredictionStore,
    record: dict[str, Any],
    gates: list[Gate],
    data: LabelledData,
) -> RetrainOutcome:
    record["gates"] = [gate.to_dict() for gate in gates]
    passed = all(gate.passed for gate in gates)
    record["status"] = "registered" if passed else "refused"
    result_id = _save(store, record, data)
    return RetrainOutcome(record, result_id, record["challenger"] if passed else None)
