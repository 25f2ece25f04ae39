"""Why a window drifted, and where: features ranked by impact, segments that moved, performance
per segment. Works on frames and drift payloads; the monitor, the check and the reports call it.
"""

from monitml.explain.explainer import Explainer, Explanation, drift_columns, summarise
from monitml.explain.importance import FeatureImportance, PredictFunction, permutation_importance
from monitml.explain.moves import SegmentMove
from monitml.explain.performance import SegmentPerformance
from monitml.explain.ranking import RankedFeature, drift_score, rank_features
from monitml.explain.row_errors import estimated_row_errors, realised_row_errors
from monitml.explain.stored import IMPORTANCE_KIND, importance_for, load_importance, save_importance

__all__ = [
    "IMPORTANCE_KIND",
    "Explainer",
    "Explanation",
    "FeatureImportance",
    "PredictFunction",
    "RankedFeature",
    "SegmentMove",
    "SegmentPerformance",
    "drift_columns",
    "drift_score",
    "estimated_row_errors",
    "importance_for",
    "load_importance",
    "permutation_importance",
    "rank_features",
    "realised_row_errors",
    "save_importance",
    "summarise",
]
