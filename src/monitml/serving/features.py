"""What a model takes: its features, their kinds and their JSON types.

The gateway builds request schemas from this; the composition root fills it in from the config
or from the reference data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = ["Feature", "FeatureKind", "FeatureSchema", "JsonType"]

FeatureKind = Literal["numerical", "categorical"]
JsonType = Literal["number", "integer", "string", "boolean"]


@dataclass(frozen=True, slots=True)
class Feature:
    """One input column: ``kind`` is for monitoring, ``type`` is what a request must send."""

    name: str
    kind: FeatureKind
    type: JsonType


@dataclass(frozen=True, slots=True)
class FeatureSchema:
    """The ordered features of a model (the order models receive their columns in)."""

    features: tuple[Feature, ...]

    def __post_init__(self) -> None:
        names = self.names
        if len(set(names)) != len(names):
            raise ValueError(f"The feature names must be distinct. Got {list(names)} instead.")

    def __iter__(self) -> Iterator[Feature]:
        return iter(self.features)

    def __len__(self) -> int:
        return len(self.features)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(feature.name for feature in self.features)

    def of_kind(self, kind: FeatureKind) -> list[str]:
        return [feature.name for feature in self.features if feature.kind == kind]
