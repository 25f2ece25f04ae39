"""The client's answers and inputs as frozen dataclasses (the gateway's JSON, typed)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "BatchPrediction",
    "FeatureInfo",
    "FeedbackReceipt",
    "Label",
    "LogEntry",
    "LogReceipt",
    "ModelInfo",
    "Prediction",
    "RecordId",
    "RecordPrediction",
    "Scalar",
    "VersionInfo",
]

Scalar = float | int | str | bool
RecordId = str | int
Label = Scalar


@dataclass(frozen=True, slots=True)
class Prediction:
    """The answer to one record: ``request_id`` is also its record id unless you gave one."""

    request_id: str
    version: str
    prediction: Scalar
    probabilities: dict[str, float] | None = None

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Prediction:
        return cls(
            body["request_id"], body["version"], body["prediction"], body.get("probabilities")
        )


@dataclass(frozen=True, slots=True)
class RecordPrediction:
    """One record of a batch answer; ``id`` is yours, or ``<request_id>-<index>``."""

    id: str
    version: str
    prediction: Scalar
    probabilities: dict[str, float] | None = None


@dataclass(frozen=True, slots=True)
class BatchPrediction:
    request_id: str
    predictions: list[RecordPrediction]

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> BatchPrediction:
        items = [
            RecordPrediction(p["id"], p["version"], p["prediction"], p.get("probabilities"))
            for p in body["predictions"]
        ]
        return cls(body["request_id"], items)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """A prediction your own service made, for ``POST /models/{model}/log``.

    Give ``id`` to send its label later; ``timestamp`` is epoch seconds (now when absent);
    ``version`` names your model version (the gateway's default is ``external``).
    """

    features: Mapping[str, Any]
    prediction: Scalar
    id: RecordId | None = None
    version: str | None = None
    probabilities: Mapping[str, float] | None = None
    timestamp: float | None = None
    latency_seconds: float | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"features": dict(self.features), "prediction": self.prediction}
        optional = {
            "id": self.id,
            "version": self.version,
            "probabilities": None if self.probabilities is None else dict(self.probabilities),
            "timestamp": self.timestamp,
            "latency_seconds": self.latency_seconds,
        }
        body.update({key: value for key, value in optional.items() if value is not None})
        return body


@dataclass(frozen=True, slots=True)
class LogReceipt:
    request_id: str
    logged: int


@dataclass(frozen=True, slots=True)
class FeedbackReceipt:
    """``unknown_ids``: no logged prediction of the model has them yet (stored all the same)."""

    received: int
    unknown_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class VersionInfo:
    loader: str
    weight: float
    shadow: bool


@dataclass(frozen=True, slots=True)
class FeatureInfo:
    name: str
    kind: str
    type: str


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """``GET /models/{model}``: versions, routing weights (percent), features."""

    name: str
    task: str
    target: str | None
    versions: dict[str, VersionInfo]
    routing: dict[str, float]
    shadow: list[str]
    sticky_key: str | None
    features: list[FeatureInfo]

    @property
    def label_field(self) -> str:
        """The label's key in ``/feedback``: the model's target, else ``label``."""
        return self.target or "label"

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> ModelInfo:
        return cls(
            name=body["name"],
            task=body["task"],
            target=body.get("target"),
            versions={
                name: VersionInfo(v["loader"], float(v["weight"]), bool(v["shadow"]))
                for name, v in body["versions"].items()
            },
            routing={name: float(w) for name, w in body["routing"].items()},
            shadow=list(body.get("shadow", [])),
            sticky_key=body.get("sticky_key"),
            features=[FeatureInfo(f["name"], f["kind"], f["type"]) for f in body["features"]],
        )
