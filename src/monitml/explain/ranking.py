"""Features ranked by the impact of their drift: how far each moved, times how much the model
relies on it.

Drift scores of different methods are put on one scale first, as a *magnitude* (a p-value
measures evidence, which grows with the sample size, not how far a column moved):

* a rule with an effect size (the default rule): ``effect_size / effect_threshold``;
* a distance (``p_value`` is null): ``statistic / threshold``;
* a test without an effect size: ``log10(p) / log10(α)``, 1 at the threshold, capped at
  ``MAX_TEST_SCORE`` (a p-value of 1e-300 is not 300 times more drift than 1e-3).

On each scale 1 is the line the method draws between "no drift" and "drift". The impact is that
score times the feature's share of the model's permutation importance
(:class:`~monitml.explain.importance.FeatureImportance`); without an importance every feature
weighs the same and the ranking is by drift alone.

>>> column = {"statistic": 0.3, "p_value": None, "threshold": 0.1, "drift_detected": True}
>>> round(drift_score(column), 9)
3.0
>>> drift_score({"p_value": 1e-6, "threshold": 0.01, "statistic": 0.2})
3.0
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_TEST_SCORE", "RankedFeature", "drift_score", "rank_features"]

MAX_TEST_SCORE = 10.0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def drift_score(column: Mapping[str, Any]) -> float | None:
    """A drift payload column's magnitude on the common scale (1 = its method's threshold)."""
    effect, floor = _number(column.get("effect_size")), _number(column.get("effect_threshold"))
    if effect is not None and floor:
        return effect / floor
    statistic = _number(column.get("statistic"))
    threshold = _number(column.get("threshold"))
    p_value = _number(column.get("p_value"))
    if p_value is None:
        if statistic is None or not threshold:
            return None
        return statistic / threshold
    if threshold is None or not 0 < threshold < 1:
        return None
    if p_value <= 0:
        return MAX_TEST_SCORE
    return min(math.log10(min(p_value, 1.0)) / math.log10(threshold), MAX_TEST_SCORE)


@dataclass(frozen=True, slots=True)
class RankedFeature:
    """One feature's drift on the common scale, its importance share and their product."""

    feature: str
    method: str
    drift_score: float
    importance: float | None  # share of the model's importance; None when not measured
    impact: float
    drift_detected: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "method": self.method,
            "drift_score": self.drift_score,
            "importance": self.importance,
            "impact": self.impact,
            "drift_detected": self.drift_detected,
        }


def rank_features(
    columns: Mapping[str, Mapping[str, Any]], shares: Mapping[str, float] | None
) -> tuple[RankedFeature, ...]:
    """The feature columns of a drift payload, largest impact first (ties: larger drift, name).

    ``shares`` are importance shares (summing to 1); features absent from them weigh 0.
    """
    features = {
        str(name): column
        for name, column in columns.items()
        if column.get("role", "feature") == "feature"
    }
    uniform = 1.0 / len(features) if features else 0.0
    ranked = []
    for name, column in features.items():
        score = drift_score(column)
        if score is None:
            continue
        weight = uniform if shares is None else float(shares.get(name, 0.0))
        ranked.append(
            RankedFeature(
                feature=name,
                method=str(column.get("method") or ""),
                drift_score=score,
                importance=None if shares is None else weight,
                impact=score * weight,
                drift_detected=bool(column.get("drift_detected")),
            )
        )
    ranked.sort(key=lambda r: (-r.impact, -r.drift_score, r.feature))
    return tuple(ranked)
