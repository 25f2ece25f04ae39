"""Performance estimation without labels (CBPE, DLE) and multivariate drift."""

from monitml.estimation.base import Estimator
from monitml.estimation.cbpe import CBPE
from monitml.estimation.dle import DLE
from monitml.estimation.estimate import TASKS, estimate, label_free_estimator, make_estimator
from monitml.estimation.result import FORMAT, ChunkEstimate, EstimationResult, MetricEstimate

__all__ = [
    "CBPE",
    "DLE",
    "FORMAT",
    "TASKS",
    "ChunkEstimate",
    "EstimationResult",
    "Estimator",
    "MetricEstimate",
    "estimate",
    "label_free_estimator",
    "make_estimator",
]
