"""A served model: its features, its loaded versions and the router between them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from monitml.serving.fallback import FallbackGuard
from monitml.serving.features import FeatureSchema
from monitml.serving.loaders import Predictor
from monitml.serving.routing import Router, Routing, check_routing

__all__ = ["ServedModel", "Task"]

Task = Literal["regression", "classification"]


@dataclass(slots=True)
class ServedModel:
    """Everything the gateway needs to answer for one model name.

    ``sticky_key`` names a feature (or ``"id"``) whose value picks the version, so that one
    customer keeps seeing one version; without it each record is routed at random.
    ``fallback`` answers the records whose inputs the reference never saw
    (``monitml.serving.fallback``).
    """

    name: str
    task: Task
    features: FeatureSchema
    versions: Mapping[str, Predictor]
    router: Router
    target: str | None = None
    sticky_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    fallback: FallbackGuard | None = None

    def __post_init__(self) -> None:
        routing = self.router.routing
        try:
            check_routing(routing.weights, routing.shadow, self.versions)
        except ValueError as error:
            raise ValueError(f"The routing of {self.name!r} is invalid: {error}") from error
        if self.sticky_key is not None and self.sticky_key not in {"id", *self.features.names}:
            raise ValueError(
                f"The sticky_key of {self.name!r} must be 'id' or a feature. "
                f"Got {self.sticky_key!r} instead."
            )
        if self.fallback is not None and self.fallback.version not in self.versions:
            raise ValueError(
                f"The fallback of {self.name!r} must be one of its versions "
                f"{sorted(self.versions)}. Got {self.fallback.version!r} instead."
            )

    @property
    def routing(self) -> Routing:
        return self.router.routing

    def describe(self) -> dict[str, Any]:
        """The JSON of ``GET /models/{model}``."""
        routing = self.router.routing
        return {
            "name": self.name,
            "task": self.task,
            "target": self.target,
            "versions": {
                name: {
                    "loader": predictor.kind,
                    "weight": routing.weights.get(name, 0.0),
                    "shadow": name in routing.shadow,
                }
                for name, predictor in self.versions.items()
            },
            "routing": dict(routing.weights),
            "shadow": list(routing.shadow),
            "sticky_key": self.sticky_key,
            "fallback": None if self.fallback is None else self.fallback.version,
            "features": [{"name": f.name, "kind": f.kind, "type": f.type} for f in self.features],
        }
