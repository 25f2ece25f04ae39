"""The checks of one promotion step: the challenger against the champion on the same window.

Each check is a pure function of arrays and plain numbers and returns a
:class:`~monitml.promotion.plan.Check` (``passed`` None when the window cannot say):

- :func:`error_rate_check` — the share of requests the gateway answered with a model error
  (``monitml_requests_total{status="error"}``), counted since the step started, as Flagger's
  request-success rate;
- :func:`latency_check` — p95 of the logged request latencies, as Flagger's request duration;
- :func:`prediction_drift_check` — the challenger's predictions against the champion's *on the
  same requests* (the driver replays one version's requests through the other), with the
  project's default drift rule (``monitml.stats.auto``); a retrained model is expected to differ
  a little, so a flagged drift fails only beyond ``max_prediction_drift`` standard deviations;
- :func:`performance_check` — realised performance on the window's labelled rows, both versions
  scored on the same rows; :func:`estimated_check` does the same from label-free estimates
  (CBPE, DLE) where labels have not arrived.

Not guaranteed: with few rows these figures are noisy; ``min_rows`` in the plan is what keeps a
step from being judged on a handful of requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from monitml.errors import DataError
from monitml.promotion.plan import Check
from monitml.stats.catalog import get_method
from monitml.stats.performance import classification_metrics, regression_metrics
from monitml.stats.samples import CategoricalSample, NumericSample

__all__ = [
    "LATENCY_SLACK_SECONDS",
    "Counters",
    "error_rate_check",
    "estimated_check",
    "latency_check",
    "metric_for",
    "performance_check",
    "prediction_drift_check",
]

# Below a few milliseconds a p95 ratio measures the machine's scheduling, not the model: a
# challenger is never failed for being slower by less than this.
LATENCY_SLACK_SECONDS = 0.005
DRIFT_METHOD = "auto"  # the project's default rule: a valid test and a minimum effect size
Counters = Mapping[str, Mapping[str, float]]  # {"requests"|"errors": {version: count}}
_LOWER_IS_BETTER = {"mae", "rmse", "mape"}


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def error_rate_check(
    before: Counters | None,
    after: Counters | None,
    *,
    champion: str,
    challenger: str,
    max_error_rate: float,
) -> Check:
    """Fail when the challenger's error rate exceeds the champion's by more than the bound.

    ``before`` and ``after`` are the gateway's cumulative counters at the step's start and now.
    """
    name = "error_rate"
    if before is None or after is None:
        return Check(name, None, "error rate: no gateway metrics (set monitor.gateway_url)")
    rates: dict[str, float | None] = {}
    for version in (champion, challenger):
        requests = after["requests"].get(version, 0.0) - before["requests"].get(version, 0.0)
        errors = after["errors"].get(version, 0.0) - before["errors"].get(version, 0.0)
        if requests < 0 or errors < 0:  # the gateway restarted: its counters began again
            return Check(name, None, "error rate: the gateway's counters were reset")
        rates[version] = errors / requests if requests > 0 else None
    ours, theirs = rates[challenger], rates[champion]
    if ours is None:
        return Check(name, None, "error rate: no challenger request counted yet")
    baseline = theirs or 0.0
    bound = baseline + max_error_rate
    passed = ours <= bound
    relation = "<=" if passed else ">"
    message = f"error rate {_percent(ours)} {relation} {_percent(max_error_rate)}"
    if theirs:
        message += f" above the champion's {_percent(theirs)}"
    return Check(name, passed, message, ours, theirs, bound)


def _p95(values: ArrayLike) -> float | None:
    array = np.asarray(values, dtype=np.float64)
    array = array[np.isfinite(array)]
    return float(np.quantile(array, 0.95)) if array.size else None


def latency_check(
    challenger_latency: ArrayLike, champion_latency: ArrayLike, *, max_ratio: float
) -> Check:
    """Fail when the challenger's p95 latency is over ``max_ratio`` times the champion's."""
    name = "latency"
    ours, theirs = _p95(challenger_latency), _p95(champion_latency)
    if ours is None:
        return Check(name, None, "latency: no challenger request logged yet")
    if theirs is None:
        return Check(
            name, None, f"latency p95 {ours * 1000:.1f} ms: no champion request to compare"
        )
    bound = max(theirs * max_ratio, theirs + LATENCY_SLACK_SECONDS)
    passed = ours <= bound
    relation = "<=" if passed else ">"
    message = f"latency p95 {ours * 1000:.1f} ms {relation} {bound * 1000:.1f} ms"
    return Check(name, passed, message, ours, theirs, bound)


def _mean_text(values: np.ndarray[Any, Any]) -> str:
    return f"{float(np.mean(values)):,.6g}"


def prediction_drift_check(
    challenger: ArrayLike, champion: ArrayLike, *, task: str, max_effect: float
) -> Check:
    """Fail when the drift rule flags the paired predictions with an effect over ``max_effect``.

    ``challenger[i]`` and ``champion[i]`` answer the same request.
    """
    name = "prediction_drift"
    ours, theirs = np.asarray(challenger), np.asarray(champion)
    if ours.size == 0:
        return Check(name, None, "prediction drift: no paired request yet")
    method = get_method(DRIFT_METHOD)
    try:
        if task == "regression":
            ours, theirs = ours.astype(np.float64), theirs.astype(np.float64)
            result = method.fit(NumericSample.from_values(theirs)).score(
                NumericSample.from_values(ours), feature="prediction"
            )
            means = f"prediction mean {_mean_text(ours)} vs the champion's {_mean_text(theirs)}"
        else:
            result = method.fit(CategoricalSample.from_values(theirs.astype(str))).score(
                CategoricalSample.from_values(ours.astype(str)), feature="prediction"
            )
            agree = float(np.mean(ours.astype(str) == theirs.astype(str)))
            means = f"predicted classes agree on {_percent(agree)} of requests"
    except DataError as error:
        return Check(name, None, f"prediction drift: {error}")
    effect = result.effect_size if result.effect_size is not None else float("inf")
    passed = not (result.drift_detected and effect > max_effect)
    relation = "<=" if passed else ">"
    message = f"{means}; drift effect {effect:.2f} {relation} {max_effect:g}"
    if result.p_value is not None:
        message += f" ({result.method} p={result.p_value:.2g})"
    return Check(name, passed, message, effect, None, max_effect)


def metric_for(task: str) -> str:
    """The metric a step is judged on: MAE for a regressor, accuracy for a classifier."""
    return "mae" if task == "regression" else "accuracy"


def _compare(
    name: str, metric: str, ours: float, theirs: float, max_drop: float, what: str
) -> Check:
    lower_better = metric in _LOWER_IS_BETTER
    if lower_better:
        bound = theirs * (1 + max_drop)
        passed = ours <= bound
    else:
        bound = theirs * (1 - max_drop)
        passed = ours >= bound
    worse = (ours - theirs) / abs(theirs) if theirs else 0.0
    change = f"{'+' if worse >= 0 else ''}{_percent(worse)}"
    message = (
        f"{what} {metric} {ours:,.4g} vs the champion's {theirs:,.4g} ({change}, "
        f"{'within' if passed else 'beyond'} {_percent(max_drop)})"
    )
    return Check(name, passed, message, ours, theirs, bound)


def performance_check(
    labels: ArrayLike,
    challenger: ArrayLike,
    champion: ArrayLike,
    *,
    task: str,
    max_drop: float,
) -> Check:
    """Realised performance of both versions on the same labelled requests."""
    name = "performance"
    truth = np.asarray(labels)
    if truth.size == 0:
        return Check(name, None, "performance: no label has arrived for this step yet")
    metric = metric_for(task)
    scored: list[float] = []
    for predicted in (challenger, champion):
        if task == "regression":
            value = regression_metrics(truth.astype(np.float64), np.asarray(predicted))[metric]
        else:
            value = classification_metrics(truth, np.asarray(predicted))[metric]
        if value is None:
            return Check(name, None, f"performance: {metric} is undefined on these labels")
        scored.append(float(value))
    what = f"realised on {truth.size} rows:"
    return _compare(name, metric, scored[0], scored[1], max_drop, what)


def estimated_check(
    metric: str, challenger: float | None, champion: float | None, *, max_drop: float
) -> Check:
    """Label-free estimates (CBPE, DLE) of both versions on the same requests."""
    name = "estimated_performance"
    if challenger is None or champion is None:
        return Check(name, None, f"estimated {metric}: cannot be estimated for both versions")
    return _compare(name, metric, challenger, champion, max_drop, "estimated")
