"""Plain records that cross from the gateway to the store.

They are the contract between ``monitml.serving`` (which creates them on the request path)
and ``monitml.store`` (which writes them in batches off the request path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["LabelRecord", "PredictionRecord"]

Scalar = float | int | str | bool | None


@dataclass(frozen=True, slots=True)
class PredictionRecord:
    """One answered (or shadow) prediction, as logged.

    ``record_id`` is the caller's ``id`` when given (labels join on it), else a generated one.
    ``timestamp`` is seconds since the Unix epoch, UTC. ``fallback`` is why the model's fallback
    version answered instead of the routed one (``"out_of_range"``, ``"unseen_category"``), and
    ``replaced_version`` the routed version it answered for; both None for a plain prediction.
    """

    request_id: str
    record_id: str
    model: str
    version: str
    timestamp: float
    features: dict[str, Any]
    prediction: Scalar
    latency_seconds: float
    shadow: bool = False
    probabilities: dict[str, float] | None = field(default=None)
    fallback: str | None = None
    replaced_version: str | None = None


@dataclass(frozen=True, slots=True)
class LabelRecord:
    """A ground-truth label that arrived later, joined to predictions by ``record_id``."""

    model: str
    record_id: str
    label: Scalar
    timestamp: float
