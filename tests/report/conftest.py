"""A realistic ``monitml.drift/1`` payload, built by a factory so each test can bend it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

Payload = dict[str, Any]


def _histogram(seed: int, shift: float, bins: int = 20) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    reference = rng.normal(0.0, 1.0, 5_000)
    current = rng.normal(shift, 1.2, 5_000)
    edges = np.linspace(-4.0, 4.0 + shift, bins + 1)
    ref_counts, _ = np.histogram(reference, edges)
    cur_counts, _ = np.histogram(current, edges)
    return {
        "type": "histogram",
        "edges": [round(float(e), 4) for e in edges],
        "reference": [float(c) / ref_counts.sum() for c in ref_counts],
        "current": [float(c) / cur_counts.sum() for c in cur_counts],
    }


def _numerical_quality(mean: float) -> dict[str, Any]:
    return {
        "count": 9700,
        "missing": 300,
        "missing_share": 0.03,
        "min": mean - 40.0,
        "max": mean + 380.0,
        "mean": mean,
        "std": 44.6,
        "quantiles": {"0.05": -15.0, "0.25": -8.0, "0.5": -1.0, "0.75": 12.0, "0.95": 88.0},
    }


def build_payload() -> Payload:
    """Columns: two drifted numerical, one drifted categorical, a schema change, stable ones."""
    columns: dict[str, Any] = {
        "arr_delay": {
            "kind": "numerical",
            "role": "feature",
            "method": "ks",
            "statistic": 0.12,
            "p_value": 1e-9,
            "threshold": 0.01,
            "drift_detected": True,
            "effect_size": 0.15,
            "effect_threshold": 0.1,
            "reason": None,
            "reference": {"count": 9700, "missing": 300},
            "current": {"count": 9800, "missing": 200},
            "chart": _histogram(1, 0.6),
        },
        "dep_delay": {
            "kind": "numerical",
            "role": "feature",
            "method": "wasserstein",
            "statistic": 0.104,
            "p_value": None,
            "threshold": 0.1,
            "drift_detected": True,
            "effect_size": 0.31,
            "effect_threshold": 0.1,
            "reason": None,
            "reference": {"count": 9990, "missing": 10},
            "current": {"count": 9985, "missing": 15},
            "chart": _histogram(2, 1.0),
        },
        "distance": {
            "kind": "numerical",
            "role": "feature",
            "method": "ks",
            "statistic": 0.011,
            "p_value": 0.62,
            "threshold": 0.01,
            "drift_detected": False,
            "effect_size": 0.01,
            "effect_threshold": 0.1,
            "reason": None,
            "reference": {"count": 10000, "missing": 0},
            "current": {"count": 10000, "missing": 0},
            "chart": _histogram(3, 0.0),
        },
        "carrier": {
            "kind": "categorical",
            "role": "feature",
            "method": "chisquare",
            "statistic": 412.5,
            "p_value": 0.0,
            "threshold": 0.01,
            "drift_detected": True,
            "effect_size": 0.2,
            "effect_threshold": 0.1,
            "reason": None,
            "reference": {"count": 10000, "missing": 0},
            "current": {"count": 10000, "missing": 0},
            "chart": {
                "type": "bars",
                "categories": ["UA", "B6", "EV", "DL", "AA", "MQ", "(other)"],
                "reference": [0.18, 0.16, 0.16, 0.14, 0.1, 0.08, 0.18],
                "current": [0.12, 0.2, 0.1, 0.15, 0.11, 0.08, 0.24],
            },
        },
        "origin": {
            "kind": "categorical",
            "role": "feature",
            "method": "jensenshannon",
            "statistic": 0.02,
            "p_value": None,
            "threshold": 0.1,
            "drift_detected": False,
            "effect_size": 0.02,
            "effect_threshold": 0.1,
            "reason": None,
            "reference": {"count": 10000, "missing": 0},
            "current": {"count": 10000, "missing": 0},
            "chart": {
                "type": "bars",
                "categories": ["EWR", "JFK", "LGA"],
                "reference": [0.36, 0.33, 0.31],
                "current": [0.35, 0.34, 0.31],
            },
        },
        "tailnum": {
            "kind": "categorical",
            "role": "feature",
            "method": "schema",
            "statistic": None,
            "p_value": None,
            "threshold": None,
            "drift_detected": True,
            "effect_size": None,
            "effect_threshold": None,
            "reason": "column is empty in current",
            "reference": {"count": 9900, "missing": 100},
            "current": {"count": 0, "missing": 10000},
            "chart": None,
        },
        "air_time": {
            "kind": "numerical",
            "role": "feature",
            "method": "ks",
            "statistic": float("nan"),
            "p_value": float("nan"),
            "threshold": 0.01,
            "drift_detected": False,
            "effect_size": float("inf"),
            "effect_threshold": 0.1,
            "reason": None,
            "reference": {"count": 9700, "missing": 300},
            "current": {"count": 9700, "missing": 300},
            "chart": {
                "type": "histogram",
                "edges": [float("-inf"), 0.0, 100.0, 200.0, float("inf")],
                "reference": [0.0, 0.5, float("nan"), 0.1],
                "current": [0.0, 0.45, 0.45, 0.1],
            },
        },
        "hour": {
            "kind": "numerical",
            "role": "feature",
            "method": "ks",
            "statistic": 0.004,
            "p_value": 0.99,
            "threshold": 0.01,
            "drift_detected": False,
            "effect_size": 0.004,
            "effect_threshold": 0.1,
            "reason": None,
            "reference": {"count": 10000, "missing": 0},
            "current": {"count": 10000, "missing": 0},
            "chart": _histogram(4, 0.0, bins=12),
        },
    }
    quality_columns: dict[str, Any] = {
        "arr_delay": {
            "kind": "numerical",
            "type_mismatch": None,
            "constant": False,
            "reference": _numerical_quality(6.9),
            "current": _numerical_quality(12.4),
            "out_of_range_share": 0.01,
        },
        "hour": {
            "kind": "numerical",
            "type_mismatch": "int64 → string",
            "constant": True,
            "reference": _numerical_quality(13.0),
            "current": _numerical_quality(13.0),
            "out_of_range_share": 0.0,
        },
        "carrier": {
            "kind": "categorical",
            "type_mismatch": None,
            "constant": False,
            "reference": {"count": 10000, "missing": 0, "missing_share": 0.0, "unique": 16},
            "current": {"count": 10000, "missing": 0, "missing_share": 0.0, "unique": 17},
            "unseen_categories": ["XX"],
            "unseen_share": 0.02,
        },
        "tailnum": {
            "kind": "categorical",
            "type_mismatch": None,
            "constant": False,
            "reference": {"count": 9900, "missing": 100, "missing_share": 0.01, "unique": 3000},
            "current": {"count": 0, "missing": 10000, "missing_share": 1.0, "unique": 0},
            "unseen_categories": [],
            "unseen_share": 0.0,
        },
    }
    return {
        "format": "monitml.drift/1",
        "generated_at": "2026-11-24T15:00:00Z",
        "reference": {"rows": 10000, "source": "ref.parquet"},
        "current": {"rows": 10000, "source": "cur.parquet"},
        "dataset_drift": True,
        "drift_share": 0.5,
        "drifted_columns": 4,
        "total_columns": 8,
        "share_threshold": 0.5,
        "columns": columns,
        "quality": {
            "columns": quality_columns,
            "issues": [
                "current: 'tailnum' is entirely empty",
                "current: 'carrier' has 1 unseen category (2.0% of rows)",
            ],
        },
        "performance": {
            "task": "regression",
            "target": "arr_delay",
            "prediction": "pred",
            "reference": {
                "count": 9700,
                "me": 0.4,
                "mae": 21.3,
                "rmse": 38.2,
                "mape": 0.91,
                "r2": 0.42,
            },
            "current": {
                "count": 9800,
                "me": 3.1,
                "mae": 25.7,
                "rmse": 44.0,
                "mape": 1.1,
                "r2": 0.31,
            },
        },
    }


CLASSIFICATION = {
    "task": "classification",
    "target": "delayed",
    "prediction": "pred",
    "labels": ["0", "1"],
    "reference": {
        "count": 9700,
        "accuracy": 0.81,
        "precision": 0.74,
        "recall": 0.62,
        "f1": 0.675,
        "roc_auc": 0.86,
        "log_loss": 0.41,
        "confusion_matrix": [[6200, 700], [1143, 1657]],
    },
    "current": {
        "count": 9800,
        "accuracy": 0.76,
        "precision": 0.7,
        "recall": 0.55,
        "f1": 0.616,
        "roc_auc": 0.81,
        "log_loss": 0.48,
        "confusion_matrix": [[5900, 800], [1552, 1548]],
    },
}


@pytest.fixture
def payload() -> Payload:
    return build_payload()


@pytest.fixture
def make_payload() -> Callable[..., Payload]:
    """A payload with top-level keys overridden, e.g. ``make_payload(performance=None)``."""

    def make(**overrides: Any) -> Payload:
        data = build_payload()
        data.update(copy.deepcopy(overrides))
        return data

    return make
