"""Turn the ``models`` section of the config into served models: features, loaded versions.

Every problem is a :class:`~monitml.errors.ConfigError` naming the key, found at start rather
than on the first request: a reference that cannot be read or lacks a feature, a model file
that cannot be loaded, a version that cannot predict one reference row, a fallback without a
reference. The fallback's bounds (the reference's range and categories) are computed here.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pandas as pd

from monitml.analysis import read_table
from monitml.config import ModelConfig
from monitml.errors import ConfigError, DataError, ModelError
from monitml.schema import ColumnMapping, dtype_family, infer_schema
from monitml.serving import Feature, FeatureSchema, Router, Routing, ServedModel
from monitml.serving.fallback import FallbackGuard, InputBounds
from monitml.serving.features import FeatureKind, JsonType
from monitml.serving.loaders import Predictor, load_entrypoint, load_file, make_predictor

__all__ = ["build_served_model", "input_bounds", "read_reference"]


def read_reference(path: Path, key: str) -> pd.DataFrame:
    """The reference data (Parquet or CSV) of a model; a bad file names the config key."""
    try:
        return read_table(path)
    except DataError as error:
        raise ConfigError(f"{key}: {error}") from error


def _json_type(kind: FeatureKind, column: pd.Series | None) -> JsonType:
    if column is None:
        return "number" if kind == "numerical" else "string"
    family = dtype_family(column)
    if family == "boolean":
        return "boolean"
    if family == "numeric":
        if kind == "categorical" and pd.api.types.is_integer_dtype(column.dtype):
            return "integer"
        return "number"
    return "string"


def _features(name: str, config: ModelConfig, reference: pd.DataFrame | None) -> FeatureSchema:
    key = f"models.{name}"
    if config.features is not None:
        kinds: list[tuple[str, FeatureKind]] = [
            *((f, "numerical") for f in config.features.numerical),
            *((f, "categorical") for f in config.features.categorical),
        ]
        if reference is not None:
            missing = [f for f, _ in kinds if f not in reference.columns]
            if missing:
                raise ConfigError(
                    f"{key}.reference: the reference data has no column for the features {missing}"
                )
    else:
        if reference is None:  # the config refuses this already; keep mypy and readers sure
            raise ConfigError(f"{key}.features: give the features, or a reference")
        prediction = "prediction" if "prediction" in reference.columns else None
        target = config.target if config.target in reference.columns else None
        try:
            schema = infer_schema(reference, ColumnMapping(target=target, prediction=prediction))
        except DataError as error:
            raise ConfigError(f"{key}.reference: {error}") from error
        kinds = [(spec.name, spec.kind) for spec in schema.features]
        if not kinds:
            raise ConfigError(f"{key}.reference: no feature columns to infer the features from")
    if "id" in {f for f, _ in kinds}:
        raise ConfigError(f"{key}.features: 'id' is reserved for the record id")
    return FeatureSchema(
        tuple(
            Feature(
                feature,
                kind,
                _json_type(kind, None if reference is None else reference[feature]),
            )
            for feature, kind in kinds
        )
    )


def _load_entrypoint(spec: str) -> Any:
    """``load_entrypoint``, with the user's module imported first.

    Importing it runs the user's code, so whatever it raises there (an error in their module,
    a SyntaxError) is theirs: a ModelError naming the entrypoint, like a loader that raises.
    A missing module is left to ``load_entrypoint``, which names it.
    """
    module_name = spec.partition(":")[0]
    try:
        importlib.import_module(module_name)
    except ImportError:
        pass
    except Exception as error:  # the user's module, as the user's loader in load_entrypoint
        raise ModelError(
            f"cannot import {spec!r}: its module raised {type(error).__name__}: {error}"
        ) from error
    return load_entrypoint(spec)


def _load_version(
    key: str, version: Any, features: FeatureSchema, task: str, sample: list[dict[str, Any]]
) -> Predictor:
    source = "path" if version.path is not None else "entrypoint"
    try:
        if version.path is not None:
            loaded = load_file(version.path)
        else:
            loaded = _load_entrypoint(version.entrypoint)
        predictor = make_predictor(loaded, features, task)
    except ModelError as error:
        raise ConfigError(f"{key}.{source}: {error}") from error
    if sample:
        try:
            predictor.predict(sample)
        except ModelError as error:
            raise ConfigError(f"{key}: cannot predict a reference row: {error}") from error
    return predictor


def input_bounds(reference: pd.DataFrame, features: FeatureSchema) -> InputBounds:
    """What the reference saw, computed once here so that the gateway only compares: ``(min,
    max)`` of each numerical feature, the set of values of each categorical one (missing values
    left out; a feature with none is not checked)."""
    ranges: dict[str, tuple[float, float]] = {}
    categories: dict[str, frozenset[Any]] = {}
    for feature in features:
        column = reference[feature.name].dropna()
        if feature.kind == "numerical":
            numbers = pd.to_numeric(column, errors="coerce").dropna()
            if not numbers.empty:
                ranges[feature.name] = (float(numbers.min()), float(numbers.max()))
        elif not column.empty:
            categories[feature.name] = frozenset(
                v.item() if hasattr(v, "item") else v for v in column.unique()
            )
    return InputBounds(ranges, categories)


def _fallback_guard(
    name: str, config: ModelConfig, features: FeatureSchema, reference: pd.DataFrame | None
) -> FallbackGuard | None:
    if config.fallback is None:
        return None
    if reference is None:
        raise ConfigError(
            f"models.{name}.fallback: needs the model's 'reference', the inputs it was trained on"
        )
    return FallbackGuard(config.fallback, input_bounds(reference, features))


def build_served_model(name: str, config: ModelConfig, *, seed: int | None = None) -> ServedModel:
    """Load everything one model needs, or fail with a ConfigError naming the key."""
    reference = None
    if config.reference is not None:
        reference = read_reference(config.reference, f"models.{name}.reference")
    features = _features(name, config, reference)
    if config.sticky_key is not None and config.sticky_key not in {"id", *features.names}:
        raise ConfigError(
            f"models.{name}.sticky_key: must be 'id' or a feature. Got {config.sticky_key!r}."
        )
    sample: list[dict[str, Any]] = []
    if reference is not None:
        complete = reference[list(features.names)].dropna().head(1)
        sample = [
            {str(k): (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in complete.to_dict(orient="records")
        ]
    versions = {
        version: _load_version(
            f"models.{name}.versions.{version}", spec, features, config.task, sample
        )
        for version, spec in config.versions.items()
    }
    return ServedModel(
        name=name,
        task=config.task,
        features=features,
        versions=versions,
        router=Router(Routing(config.routing, tuple(config.shadow)), seed=seed),
        target=config.target,
        sticky_key=config.sticky_key,
        fallback=_fallback_guard(name, config, features, reference),
    )
