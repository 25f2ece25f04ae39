"""What a challenger must show before it is registered: four kinds of gate, one verdict.

Champion and challenger are scored on the same held-out rows (the most recent labelled ones),
with the metrics of :mod:`monitml.stats.performance`. The gates, in order:

- ``min_rows``: labelled rows (training and held out together) at least ``gates.min_rows``, and
  both parts non-empty;
- ``schema``: the challenger takes the champion's features and the log holds all of them
  (unless ``allow_schema_change``); the value is how many features differ;
- ``improvement``: on the chosen metric, the challenger's relative improvement over the champion
  is at least ``min_improvement`` (0 lets a tie pass);
- ``degradation.<metric>``: no other metric is worse than the champion's by more than
  ``max_degradation``, relative to the champion's value.

A relative change is taken against ``|champion|``; when the champion's value is 0 the plain
difference is used instead. A metric that is undefined for either model (R² of a constant
target, ROC AUC without scores) is not compared, except the chosen one, whose gate then fails.

>>> from monitml.promotion.settings import GatesConfig
>>> champion, challenger = {"mae": 100.0, "rmse": 150.0}, {"mae": 90.0, "rmse": 152.0}
>>> [(g.name, g.passed) for g in metric_gates(GatesConfig(), "mae", champion, challenger)]
[('improvement', True), ('degradation.rmse', True)]
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from monitml.promotion.settings import GatesConfig

__all__ = [
    "HIGHER_IS_BETTER",
    "LOWER_IS_BETTER",
    "Gate",
    "check_metric",
    "default_metric",
    "metric_gates",
    "rows_gate",
    "schema_gate",
]

LOWER_IS_BETTER = frozenset({"mae", "rmse", "mape", "log_loss"})
HIGHER_IS_BETTER = frozenset({"r2", "accuracy", "precision", "recall", "f1", "roc_auc"})
TASK_METRICS = {
    "regression": ("mae", "rmse", "mape", "r2"),
    "classification": ("accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"),
}


@dataclass(frozen=True, slots=True)
class Gate:
    """One gate's figures: what was measured, against what, and whether it passed."""

    name: str
    value: float | None
    threshold: float | None
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_metric(task: str, labels: int) -> str:
    """MAE for a regressor; F1 for a binary classifier; accuracy for more classes."""
    if task == "regression":
        return "mae"
    return "f1" if labels <= 2 else "accuracy"


def check_metric(task: str, metric: str) -> None:
    """Raise ValueError unless ``metric`` is one the gates can compare for ``task``."""
    known = TASK_METRICS[task]
    if metric not in known:
        raise ValueError(
            f"gates.metric: {metric!r} is not a {task} metric; choose one of {list(known)}"
        )


def rows_gate(config: GatesConfig, training: int, held_out: int) -> Gate:
    rows = training + held_out
    passed = rows >= config.min_rows and training > 0 and held_out > 0
    return Gate(
        "min_rows",
        float(rows),
        float(config.min_rows),
        passed,
        f"{rows} labelled rows ({training} to train, {held_out} held out)",
    )


def schema_gate(
    config: GatesConfig,
    champion: Collection[str],
    challenger: Collection[str],
    missing_from_log: Collection[str] = (),
) -> Gate:
    added = sorted(set(challenger) - set(champion))
    removed = sorted(set(champion) - set(challenger))
    changes = [*(f"+{n}" for n in added), *(f"-{n}" for n in removed)]
    changes += [f"{n} never logged" for n in sorted(missing_from_log)]
    passed = not changes or config.allow_schema_change
    detail = "same features" if not changes else "features differ: " + ", ".join(changes)
    return Gate("schema", float(len(changes)), 0.0, passed, detail)


def relative_improvement(metric: str, champion: float, challenger: float) -> float:
    """How much better the challenger is, as a share of ``|champion|`` (negative: worse)."""
    gain = champion - challenger if metric in LOWER_IS_BETTER else challenger - champion
    return gain / abs(champion) if champion != 0 else gain


def metric_gates(
    config: GatesConfig,
    metric: str,
    champion: Mapping[str, Any],
    challenger: Mapping[str, Any],
) -> list[Gate]:
    """The improvement gate on ``metric``, then one degradation gate per other metric."""
    gates = []
    ours, theirs = challenger.get(metric), champion.get(metric)
    if ours is None or theirs is None:
        gates.append(
            Gate("improvement", None, config.min_improvement, False, f"{metric} is undefined")
        )
    else:
        gain = relative_improvement(metric, float(theirs), float(ours))
        gates.append(
            Gate(
                "improvement",
                gain,
                config.min_improvement,
                gain >= config.min_improvement,
                f"{metric} {float(theirs):.6g} -> {float(ours):.6g}",
            )
        )
    for other in sorted((LOWER_IS_BETTER | HIGHER_IS_BETTER) - {metric}):
        ours, theirs = challenger.get(other), champion.get(other)
        if ours is None or theirs is None:
            continue
        worse = -relative_improvement(other, float(theirs), float(ours))
        gates.append(
            Gate(
                f"degradation.{other}",
                worse,
                config.max_degradation,
                worse <= config.max_degradation,
                f"{other} {float(theirs):.6g} -> {float(ours):.6g}",
            )
        )
    return gates
