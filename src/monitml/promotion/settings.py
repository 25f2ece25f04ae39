"""The model config's ``training`` and ``promotion`` sections and the top-level ``registry``.

Plain pydantic models, no imports beyond the durations: ``monitml.config`` builds them, and the
rest of this package reads them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from monitml.alerts.durations import Duration

__all__ = ["GatesConfig", "MlflowConfig", "PromotionConfig", "RegistryConfig", "TrainingConfig"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GatesConfig(_Section):
    """What a challenger must show on held-out recent labelled data to be registered."""

    metric: str | None = Field(
        None,
        description="Metric the challenger must improve (null: mae for regression, f1 for "
        "binary classification, accuracy for multiclass).",
    )
    min_improvement: float = Field(
        0.0,
        ge=0,
        description="Relative improvement on metric over the champion, e.g. 0.05 for 5%.",
    )
    max_degradation: float = Field(
        0.05,
        ge=0,
        description="No other metric may be worse than the champion's by more than this share.",
    )
    min_rows: int = Field(
        200, ge=1, description="Fewer labelled rows (training and held-out together): refused."
    )
    allow_schema_change: bool = Field(
        False, description="Let the challenger's features differ from the champion's."
    )


class TrainingConfig(_Section):
    """How ``monitml retrain`` (and the ``retrain`` alert action) fits a challenger."""

    entrypoint: str = Field(
        description="'package.module:train', called with a DataFrame of the features and the "
        "target column; returns a fitted model."
    )
    window: Duration | None = Field(
        None,
        description="Train on the labelled rows logged in this last period (e.g. 365d); "
        "null: every labelled row.",
    )
    holdout: float = Field(
        0.25,
        gt=0,
        lt=1,
        description="Share of the most recent labelled rows held out to compare champion "
        "and challenger.",
    )
    gates: GatesConfig = GatesConfig()

    @model_validator(mode="after")
    def _entrypoint_shape(self) -> Self:
        module, _, attribute = self.entrypoint.partition(":")
        if not module or not attribute:
            raise ValueError(
                f".entrypoint: must look like 'package.module:train'. "
                f"Got {self.entrypoint!r} instead."
            )
        return self


class PromotionConfig(_Section):
    """A progressive-delivery plan: the challenger's weight, step by step, gated by checks."""

    steps: list[float] = Field(
        default_factory=lambda: [10.0, 25.0, 50.0, 100.0],
        description="The challenger's traffic share in percent at each step, rising to 100.",
    )
    interval: Duration = Field(600.0, description="Time spent at a step before it is checked.")
    max_failed_checks: int = Field(
        2, ge=1, description="Failed checks (each holds the step) before the rollback."
    )
    min_rows: int = Field(
        30, ge=1, description="Challenger rows a step needs in its window before it is judged."
    )
    max_error_rate: float = Field(
        0.01,
        ge=0,
        le=1,
        description="Most the challenger's share of failed requests may exceed the champion's.",
    )
    max_latency_ratio: float = Field(
        1.5, gt=0, description="Challenger p95 latency over the champion's, at most."
    )
    max_metric_drop: float = Field(
        0.05,
        ge=0,
        description="Most the challenger's realised or estimated performance may be worse than "
        "the champion's on the same window, as a share of the champion's.",
    )
    max_prediction_drift: float = Field(
        0.5,
        ge=0,
        description="Largest effect size (in standard deviations of the champion's predictions; "
        "for classes, the drift method's category-share effect) by which the challenger's "
        "predictions may differ from the champion's on the same requests once the drift method "
        "flags them. A retrained model is expected to differ a little; a broken one, a lot.",
    )

    @model_validator(mode="after")
    def _rising_to_all(self) -> Self:
        if not self.steps:
            raise ValueError(".steps: give at least one step, ending at 100")
        if any(not 0 < step <= 100 for step in self.steps):
            raise ValueError(".steps: each step is a percentage in (0, 100]")
        if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise ValueError(".steps: steps must rise")
        if self.steps[-1] != 100:
            raise ValueError(".steps: the last step must be 100")
        if self.interval <= 0:
            raise ValueError(".interval: must be positive")
        return self


class MlflowConfig(_Section):
    tracking_uri: str = Field(
        description="MLflow tracking/registry URI, e.g. sqlite:///mlflow.db or a server URL."
    )


class RegistryConfig(_Section):
    """Where ``monitml retrain`` registers challengers (the gateway loads them from there)."""

    path: Path = Field(
        Path("registry"),
        description="Local registry folder: one file per registered version.",
    )
    mlflow: MlflowConfig | None = Field(
        None, description="Register in this MLflow model registry as well (the mlflow extra)."
    )
