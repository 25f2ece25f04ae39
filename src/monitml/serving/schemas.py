"""Request and answer bodies, generated per model from its features.

Each model gets its own pydantic classes so that ``/docs`` lists its fields and types, and a
request that misses a field, sends a wrong type, an unknown field or a non-finite number gets a
422 whose ``loc`` names the field (``["body", "record", "gr_liv_area"]``, or
``["body", "batch", 3, "gr_liv_area"]`` in a batch).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    create_model,
)

from monitml.serving.fallback import Reason
from monitml.serving.features import Feature, FeatureSchema

__all__ = [
    "FallbackAnswer",
    "FeedbackAnswer",
    "LogAnswer",
    "ModelSchemas",
    "PredictAnswer",
    "PredictBatchAnswer",
    "RecordAnswer",
    "RoutingChange",
    "build_schemas",
]

FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]
RecordId = (
    Annotated[str, StringConstraints(min_length=1, max_length=256)]
    | Annotated[int, Field(strict=True)]
)
Scalar = (
    FiniteFloat
    | Annotated[int, Field(strict=True)]
    | Annotated[str, Field(strict=True)]
    | Annotated[bool, Field(strict=True)]
)
_Closed = ConfigDict(extra="forbid")

_FIELD_TYPES: dict[str, Any] = {
    "number": FiniteFloat,
    "integer": Annotated[int, Field(strict=True)],
    "string": Annotated[str, Field(strict=True, max_length=10_000)],
    "boolean": Annotated[bool, Field(strict=True)],
}


def _class_name(model: str, suffix: str) -> str:
    words = re.split(r"[^0-9A-Za-z]+", model)
    stem = "".join(word[:1].upper() + word[1:] for word in words if word) or "Model"
    return f"{'M' if stem[0].isdigit() else ''}{stem}{suffix}"


def _feature_field(index: int, feature: Feature) -> tuple[str, Any]:
    # Internal names f0, f1, … with the feature name as alias: any column name works.
    described = Field(alias=feature.name, title=feature.name, description=f"{feature.kind} feature")
    return f"f{index}", (_FIELD_TYPES[feature.type], described)


def _one_or_many(value: Any) -> str:
    return "batch" if isinstance(value, list) else "record"


def _body(record: type[BaseModel], max_batch: int) -> Any:
    """One record or a batch of 1 to ``max_batch`` records."""
    batch = Annotated[list[record], Field(min_length=1, max_length=max_batch)]  # type: ignore[valid-type]
    return Annotated[
        Annotated[record, Tag("record")] | Annotated[batch, Tag("batch")],
        Discriminator(_one_or_many),
    ]


@dataclass(frozen=True, slots=True)
class ModelSchemas:
    """The generated classes of one model and the body types built from them."""

    features: type[BaseModel]
    record: type[BaseModel]
    predict_body: Any
    log_record: type[BaseModel]
    log_body: Any
    feedback_record: type[BaseModel]
    feedback_body: Any
    label_field: str


def _version_field(versions: Sequence[str] | None) -> tuple[Any, Any]:
    """Any name (``"external"`` when absent), or one of the configured versions (required)."""
    if versions is None:
        name = Annotated[str, StringConstraints(min_length=1, max_length=64)]
        return name, Field("external", description="Your own name for the model version.")
    return Literal[tuple(versions)], Field(description="One of the configured versions.")


def build_schemas(
    model: str,
    features: FeatureSchema,
    task: str,
    target: str | None,
    max_batch: int,
    versions: Sequence[str] | None = None,
) -> ModelSchemas:
    """Generate the request classes of ``model``; ``/log`` takes only ``versions`` if given."""
    fields = dict(_feature_field(i, f) for i, f in enumerate(features))
    features_cls = create_model(_class_name(model, "Features"), __config__=_Closed, **fields)
    record_cls = create_model(
        _class_name(model, "Record"),
        __base__=features_cls,
        id=(RecordId | None, Field(default=None, description="Your id, to send labels later.")),
    )
    prediction: Any = FiniteFloat if task == "regression" else Scalar
    log_cls = create_model(
        _class_name(model, "LoggedPrediction"),
        __config__=_Closed,
        id=(RecordId | None, None),
        version=_version_field(versions),
        features=(features_cls, ...),
        prediction=(prediction, ...),
        probabilities=(
            dict[Annotated[str, StringConstraints(max_length=256)], FiniteFloat] | None,
            None,
        ),
        timestamp=(
            FiniteFloat | None,
            Field(default=None, description="Epoch seconds; now if absent."),
        ),
        latency_seconds=(Annotated[FiniteFloat, Field(ge=0)] | None, None),
    )
    label_field = target or "label"
    label_type: Any = FiniteFloat if task == "regression" else Scalar
    feedback_cls = create_model(
        _class_name(model, "Label"),
        __config__=_Closed,
        id=(RecordId, ...),
        label=(label_type, Field(alias=label_field)),
    )
    return ModelSchemas(
        features=features_cls,
        record=record_cls,
        predict_body=_body(record_cls, max_batch),
        log_record=log_cls,
        log_body=_body(log_cls, max_batch),
        feedback_record=feedback_cls,
        feedback_body=_body(feedback_cls, max_batch),
        label_field=label_field,
    )


class FallbackAnswer(BaseModel):
    """Present when the model's fallback version answered instead of the routed one."""

    reason: Reason = Field(
        description="out_of_range: a number outside the reference's [min, max]; "
        "unseen_category: a category the reference never held."
    )
    feature: str = Field(description="The first feature that failed, in the model's order.")
    replaced: str = Field(description="The routed version the fallback answered for.")


class RecordAnswer(BaseModel):
    id: str
    version: str = Field(description="The version that answered (the fallback, if it did).")
    prediction: float | int | str | bool
    probabilities: dict[str, float] | None = None
    fallback: FallbackAnswer | None = None


class PredictAnswer(BaseModel):
    request_id: str
    version: str = Field(description="The version that answered (the fallback, if it did).")
    prediction: float | int | str | bool
    probabilities: dict[str, float] | None = None
    fallback: FallbackAnswer | None = None


class PredictBatchAnswer(BaseModel):
    request_id: str
    predictions: list[RecordAnswer]


class LogAnswer(BaseModel):
    request_id: str
    logged: int


class FeedbackAnswer(BaseModel):
    received: int
    unknown_ids: list[str] = Field(
        description="Ids with no logged prediction of this model: stored, but not joined yet; "
        "they may be labelled until log.label_window after their first label."
    )


class RoutingChange(BaseModel):
    model_config = _Closed

    routing: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], FiniteFloat]
    shadow: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = Field(
        default=None, description="Shadow versions; unchanged when absent."
    )
