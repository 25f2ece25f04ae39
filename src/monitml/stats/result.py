"""The one result type every drift detector returns, batch or streaming."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

__all__ = ["ColumnKind", "DriftResult"]

ColumnKind = Literal["numerical", "categorical"]


def _finite_or_none(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True, slots=True)
class DriftResult:
    """The verdict of one drift method on one column.

    ``statistic`` is always the method's own statistic (named by ``method``); ``p_value`` is
    ``None`` for distance methods. When a default rule also requires a minimum effect,
    ``effect_size`` and ``effect_threshold`` say which and how large it was.
    """

    feature: str
    method: str
    kind: ColumnKind
    statistic: float | None
    p_value: float | None
    threshold: float | None
    drift_detected: bool
    reference_size: int
    current_size: int
    effect_size: float | None = None
    effect_threshold: float | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: non-finite numbers become ``None``."""
        data = asdict(self)
        for key in ("statistic", "p_value", "threshold", "effect_size", "effect_threshold"):
            data[key] = _finite_or_none(data[key])
        return data
