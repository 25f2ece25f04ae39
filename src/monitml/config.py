"""Settings: a YAML file plus ``MONITML_`` environment variables, built by :func:`load_settings`.

Every key can be set from the environment with ``__`` between levels, and the environment wins
over the file::

    MONITML_STORE__URL=postgresql+psycopg://monitml@db/monitml
    MONITML_MODELS__HOUSE_PRICE__ROUTING__V1=50

Nothing here runs at import time. Relative paths (model files, reference data, SQLite files, the
spill and routing-state files) are resolved against the folder of the config file. A config
that cannot work raises :class:`~monitml.errors.ConfigError` naming the key and the problem.

This module checks the shape of the file and what can be checked without loading anything;
the composition root (``monitml.app``) loads the models and the reference data and reports
their problems with the same kind of message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal, Self

import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from monitml.alerts.durations import Duration
from monitml.alerts.settings import AlertsSettings
from monitml.errors import ConfigError
from monitml.promotion.settings import PromotionConfig, RegistryConfig, TrainingConfig
from monitml.serving.routing import check_routing

__all__ = [
    "AuthConfig",
    "DashboardConfig",
    "FeaturesConfig",
    "LogConfig",
    "ModelConfig",
    "MonitorConfig",
    "ServerConfig",
    "Settings",
    "StoreConfig",
    "StreamingConfig",
    "VersionConfig",
    "WindowConfig",
    "load_settings",
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreConfig(_Section):
    """Where predictions, labels, references, monitor results and alerts are kept."""

    url: str = Field(
        "sqlite:///monitml.db",
        description="SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://user@host/db; "
        "a relative SQLite file is resolved against the config folder.",
    )
    retention: Duration | None = Field(
        None,
        description="Predictions, labels, monitor results and writer batch ids older than this "
        "(e.g. 90d) are deleted by the gateway in the background, in small batches; null: kept "
        "(writer batch ids still go after 7 days).",
    )

    @model_validator(mode="after")
    def _positive_retention(self) -> Self:
        if self.retention is not None and self.retention <= 0:
            raise ValueError(".retention: must be positive, like 90d")
        return self


class FeaturesConfig(_Section):
    numerical: list[str] = Field(default_factory=list, description="Numerical feature names.")
    categorical: list[str] = Field(default_factory=list, description="Categorical feature names.")

    @property
    def names(self) -> list[str]:
        return [*self.numerical, *self.categorical]

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        both = sorted(set(self.numerical) & set(self.categorical))
        if both:
            raise ValueError(f"features listed as both numerical and categorical: {both}")
        if len(set(self.names)) != len(self.names):
            raise ValueError("a feature is listed twice")
        if "id" in self.names:
            raise ValueError("'id' is reserved for the record id and cannot be a feature")
        return self


class VersionConfig(_Section):
    """One model version: a file (joblib, pickle or ONNX) or a ``pkg.module:callable``."""

    path: Path | None = Field(
        None, description="Model file: joblib or pickle (with predict; predict_proba) or .onnx."
    )
    entrypoint: str | None = Field(
        None, description="'package.module:callable' returning the model, instead of a path."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.path is None) == (self.entrypoint is None):
            raise ValueError("give exactly one of 'path' or 'entrypoint'")
        if self.entrypoint is not None:
            module, _, attribute = self.entrypoint.partition(":")
            if not module or not attribute:
                raise ValueError(
                    f".entrypoint: must look like 'package.module:callable'. "
                    f"Got {self.entrypoint!r} instead."
                )
        return self


class ModelConfig(_Section):
    task: Literal["regression", "classification"] = Field(description="What the model predicts.")
    target: str | None = Field(
        None, description="Name of the label in /feedback and in the reference (else 'label')."
    )
    features: FeaturesConfig | None = Field(
        None, description="Features and their kinds; inferred from the reference when absent."
    )
    reference: Path | None = Field(
        None, description="Reference data (.parquet or .csv) that drift is measured against."
    )
    versions: dict[str, VersionConfig] = Field(description="The model's versions by name.")
    routing: dict[str, float] = Field(
        default_factory=dict,
        description="Traffic share of each version in percent, summing to 100 (one version: 100).",
    )
    shadow: list[str] = Field(
        default_factory=list, description="Versions run on a copy of the traffic, never answering."
    )
    sticky_key: str | None = Field(
        None, description="A feature (or 'id') whose value always picks the same version."
    )
    segments: list[str] = Field(
        default_factory=list,
        description="Columns whose values (or quantile bins) get their own performance, over time.",
    )
    fallback: str | None = Field(
        None,
        description="Version answering a request whose inputs are outside the reference's range "
        "or in categories it never saw (null: the routed version answers).",
    )
    training: TrainingConfig | None = Field(
        None, description="How monitml retrain fits a challenger (null: it cannot)."
    )
    promotion: PromotionConfig | None = Field(
        None, description="How a registered challenger is promoted through the routing weights."
    )

    @model_validator(mode="before")
    @classmethod
    def _one_version_takes_all(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("routing"):
            versions = data.get("versions")
            if isinstance(versions, dict) and len(versions) == 1:
                return {**data, "routing": {next(iter(versions)): 100}}
        return data

    @model_validator(mode="after")
    def _routing_is_consistent(self) -> Self:
        if not self.versions:
            raise ValueError(".versions: a model needs at least one version")
        if not self.routing:
            raise ValueError(".routing: required when a model has several versions")
        check_routing(self.routing, self.shadow, self.versions)
        if self.fallback is not None and self.fallback not in self.versions:
            raise ValueError(
                f".fallback: {self.fallback!r} is not one of the versions {sorted(self.versions)}"
            )
        if self.features is None and self.reference is None:
            raise ValueError(".features: give the features, or a 'reference' to infer them from")
        return self


class AuthConfig(_Section):
    """Bearer tokens are read from these environment variables, never from the file."""

    admin_token_env: str = Field(
        "MONITML_ADMIN_TOKEN",
        description="Variable with the bearer token of PUT /models/{m}/routing (unset: refused).",
    )
    # Null keeps the route open; a name makes the token required, and the gateway refuses to
    # start while that variable is unset or empty (fail closed, never silently open).
    ingest_token_env: str | None = Field(
        None,
        description="Variable with the bearer token of /log and /feedback (null: open to all).",
    )
    predict_token_env: str | None = Field(
        None, description="Variable with the bearer token of /predict (null: open to all)."
    )


class LogConfig(_Section):
    """What ``POST /models/{m}/log`` and ``/feedback`` accept, and how logged records are kept."""

    allow_external_versions: bool = Field(
        False, description="Let /log name versions that are not configured (else a 422)."
    )
    label_window: Duration = Field(
        30 * 86_400.0,
        description="How long after its first label an id with no logged prediction may still "
        "be labelled; later labels for it get a 422.",
    )
    durability: Literal["memory", "disk"] = Field(
        "memory", description="Where queued records wait for the store: memory or disk."
    )

    @model_validator(mode="after")
    def _positive_window(self) -> Self:
        if self.label_window <= 0:
            raise ValueError(".label_window: must be positive")
        return self


class ServerConfig(_Section):
    """The gateway that ``monitml serve`` runs."""

    @model_validator(mode="before")
    @classmethod
    def _routing_state_is_gone(cls, data: Any) -> Any:
        if isinstance(data, dict) and "routing_state" in data:
            raise ValueError(
                ".routing_state: no longer used: routing changes made through "
                "PUT /models/{m}/routing are kept in the store (store.url), shared by every "
                "gateway replica; remove this key"
            )
        return data

    host: str = Field("127.0.0.1", description="Address the gateway listens on.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port of the gateway.")
    max_body_bytes: int = Field(default=1_048_576, ge=1, description="Larger bodies get a 413.")
    max_batch: int = Field(default=1_000, ge=1, description="Longer batches get a 422.")
    log_queue: int = Field(
        default=100_000, ge=1, description="Records waiting for the writer before spilling."
    )
    spill_path: Path = Field(
        Path("monitml-spill.jsonl"),
        description="Append-only file of records the store could not take yet.",
    )
    shutdown_timeout: float = Field(
        default=10.0, gt=0, description="Seconds to flush the log writer when stopping."
    )
    max_concurrency: int | None = Field(
        default=256,
        ge=1,
        description="Requests handled at once per worker; more get a 503 with Retry-After "
        "(null: no limit).",
    )
    # Threads one prediction may use inside the model (OpenMP, BLAS). Requests already run in
    # parallel; letting each single-row prediction start a thread team costs far more than it
    # gains, above all on a busy machine. None leaves the libraries' defaults.
    model_threads: int | None = Field(
        default=1, ge=1, description="OpenMP/BLAS threads per prediction; null: the libraries'."
    )


class WindowConfig(_Section):
    """The monitor's sliding window: the last ``rows`` rows, or the last ``period``."""

    rows: int | None = Field(default=None, ge=1, description="The last N logged rows.")
    period: Duration | None = Field(None, description="The rows logged in the last period.")

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.rows is None) == (self.period is None):
            raise ValueError("give exactly one of 'rows' and 'period'")
        if self.period is not None and self.period <= 0:
            raise ValueError(".period: must be positive")
        return self


class StreamingConfig(_Section):
    """The streaming drift detectors (river's ADWIN, DDM, Page-Hinkley) of ``monitml monitor``."""

    enabled: bool = Field(
        False,
        description="Feed each new prediction and label to the streaming detectors "
        "(needs the streaming extra; calibrating them costs seconds at start-up).",
    )
    run_length: int = Field(
        default=100_000,
        ge=1,
        description="Expected events between two false alarms of one detector.",
    )


class MonitorConfig(_Section):
    """How ``monitml monitor`` (or the monitor inside ``monitml serve``) runs."""

    interval: Duration = Field(30.0, description="Time between two monitor passes.")
    window: WindowConfig = WindowConfig(rows=1_000)
    min_rows: int = Field(
        default=100, ge=1, description="Fewer rows: insufficient_data, never 'no drift'."
    )
    # Expected undrifted windows between two false alarms; sets the per-window test level.
    false_alarm_windows: float = Field(
        default=10_000.0,
        gt=1,
        description="Expected undrifted windows between two false alarms.",
    )
    method: str = Field("auto", description="Drift method of every feature: auto or a key.")
    share_threshold: float = Field(
        default=0.5, gt=0, le=1, description="Share of drifted features that is dataset drift."
    )
    host: str = Field("127.0.0.1", description="Address of the monitor's /metrics.")
    port: int = Field(default=9108, ge=0, le=65535, description="Port of the monitor's /metrics.")
    embedded: bool = Field(
        False, description="Run inside monitml serve, gauges on the gateway's /metrics."
    )
    # The gateway whose /metrics give error_rate, latency_p95 and requests_per_second.
    gateway_url: str | None = Field(
        None, description="Gateway whose /metrics give error_rate, latency_p95 and request rate."
    )
    streaming: StreamingConfig = StreamingConfig()
    multivariate: bool = Field(
        False,
        description="Multivariate drift (PCA reconstruction error and a domain classifier) in "
        "every window and check chunk; the classifier costs seconds per window.",
    )


class DashboardConfig(_Section):
    """The pages under /ui, in the gateway and in ``monitml monitor`` running on its own."""

    reports_dir: Path = Field(
        Path("reports"),
        description="Folder whose *.html reports (monitml report --out) /ui lists and serves.",
    )
    refresh: Duration = Field(10.0, gt=0, description="How often a page refreshes itself.")


class Settings(BaseSettings):
    """The whole configuration; build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(
        env_prefix="MONITML_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    store: StoreConfig = StoreConfig()
    models: dict[str, ModelConfig] = Field(
        default_factory=dict, description="The served models by name (the name is in the URLs)."
    )
    auth: AuthConfig = AuthConfig()
    log: LogConfig = LogConfig()
    server: ServerConfig = ServerConfig()
    monitor: MonitorConfig = MonitorConfig()
    dashboard: DashboardConfig = DashboardConfig()
    alerts: AlertsSettings = Field(default_factory=AlertsSettings)
    registry: RegistryConfig = RegistryConfig()
    # Where relative paths were resolved from (the config file's folder).
    base_dir: Path = Field(default=Path(), exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML file arrives as init values; the environment overrides it.
        return (env_settings, init_settings)


def load_settings(path: Path | None = None) -> Settings:
    """Read ``path`` (YAML) and the ``MONITML_`` environment into validated :class:`Settings`.

    Without a path, only the environment and the defaults are used, and relative paths resolve
    against the current folder.
    """
    values: dict[str, Any] = {}
    base_dir = Path.cwd()
    if path is not None:
        values = _read_yaml(path)
        base_dir = path.resolve().parent
    try:
        settings = Settings(**values)
    except ValidationError as error:
        where = f" in {path}" if path is not None else ""
        raise ConfigError(f"Invalid config{where}: {_describe(error)}") from error
    return _resolved(settings, base_dir)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"Cannot read the config file {path}: {error.strerror}") from error
    try:
        values = yaml.safe_load(text)
    except yaml.YAMLError as error:
        first = str(error).replace("\n", " ")
        raise ConfigError(f"The config file {path} is not valid YAML: {first}") from error
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ConfigError(f"The config file {path} must hold a mapping of sections at the top.")
    return values


def _describe(error: ValidationError) -> str:
    """``models.house-price.routing: weights must sum to 100 …`` for each problem, ``; ``-joined."""
    parts = []
    for item in error.errors():
        # Pydantic adds the validator's own name to the path of model-level errors.
        location = [str(part) for part in item["loc"] if not str(part).startswith("function-")]
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        key = ".".join(location) or "config"
        if message.startswith("."):  # a model-level check naming its own key: ".routing: …"
            key, _, message = (key + message).partition(": ")
        parts.append(f"{key}: {message}")
    return "; ".join(parts)


def _resolved(settings: Settings, base_dir: Path) -> Settings:
    """Every ``Path`` in the settings, at any depth, made absolute against ``base_dir`` once.

    Walking the whole tree, rather than listing the keys, means a path key added later is
    resolved too; the store URL is the one path inside a string.
    """
    resolved: Settings = _absolute_paths(settings, base_dir)
    store = resolved.store.model_copy(update={"url": _sqlite_url(resolved.store.url, base_dir)})
    return resolved.model_copy(update={"store": store, "base_dir": base_dir})


def _absolute_paths(value: Any, base_dir: Path) -> Any:
    if isinstance(value, Path):
        return value if value.is_absolute() else base_dir / value
    if isinstance(value, BaseModel):
        update = {
            name: _absolute_paths(getattr(value, name), base_dir)
            for name in type(value).model_fields
            if name != "base_dir"
        }
        return value.model_copy(update=update)
    if isinstance(value, dict):
        return {key: _absolute_paths(item, base_dir) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_absolute_paths(item, base_dir) for item in value)
    return value


def _sqlite_url(url: str, base_dir: Path) -> str:
    """A relative SQLite file resolves against the config folder, like every other path."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as error:
        raise ConfigError(f"store.url: not a database URL: {url!r}") from error
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    if database.startswith("file:") or Path(database).is_absolute():
        return url
    return parsed.set(database=str(base_dir / database)).render_as_string(hide_password=False)
