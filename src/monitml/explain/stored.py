"""Feature importance stored once per model version, as a ``feature_importance`` monitor result.

Guaranteed: :func:`importance_for` measures a version's importance only when no stored one
matches it (same features, measured on a reference of the same number of rows), and stores
what it measured, so a monitor, a check or a report started later reuses it. Not guaranteed:
two processes starting at once may both measure and store it (the newest is used; both are the
same figures, the measurement being seeded); a reference replaced by another one of exactly the
same length and features is not noticed (store a new result, or delete the old one, to force a
new measurement).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from monitml.errors import DataError
from monitml.explain.importance import FeatureImportance
from monitml.store import PredictionStore

__all__ = ["IMPORTANCE_KIND", "importance_for", "load_importance", "save_importance"]

IMPORTANCE_KIND = "feature_importance"

logger = logging.getLogger(__name__)


def load_importance(
    store: PredictionStore,
    model: str,
    version: str,
    *,
    features: Sequence[str],
    reference_rows: int,
) -> FeatureImportance | None:
    """The newest stored importance of ``model``/``version`` that fits; None when none does."""
    for row in store.list_monitor_results(model, version=version, kind=IMPORTANCE_KIND):
        try:
            found = FeatureImportance.from_dict(row["payload"])
        except DataError as error:
            logger.warning("ignoring stored importance %s of %s: %s", row.get("id"), model, error)
            continue
        if list(found.features) == list(features) and found.reference_rows == reference_rows:
            return found
    return None


def save_importance(
    store: PredictionStore,
    model: str,
    version: str,
    importance: FeatureImportance,
    *,
    now: float | None = None,
) -> int:
    """Store ``importance`` as a ``feature_importance`` result; return its id."""
    return store.save_monitor_result(
        {
            "model": model,
            "version": version,
            "kind": IMPORTANCE_KIND,
            "run_at": time.time() if now is None else now,
            "payload": importance.to_dict(),
        }
    )


def importance_for(
    store: PredictionStore,
    model: str,
    version: str,
    measure: Callable[[], FeatureImportance],
    *,
    features: Sequence[str],
    reference_rows: int,
    now: float | None = None,
) -> FeatureImportance:
    """The stored importance of the version when one fits, else ``measure()``, stored."""
    found = load_importance(store, model, version, features=features, reference_rows=reference_rows)
    if found is not None:
        return found
    measured = measure()
    save_importance(store, model, version, measured, now=now)
    return measured
