"""Control of false alarms when many columns (and many windows) are tested at once."""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Correction", "adjusted_alpha", "reject"]

Correction = Literal["none", "bonferroni", "holm", "fdr_bh"]


def adjusted_alpha(alpha: float, tests: int, correction: Correction = "bonferroni") -> float:
    """Per-test level that keeps the family-wise error at ``alpha`` (Bonferroni)."""
    if correction == "none" or tests <= 1:
        return alpha
    return alpha / tests


def reject(p_values: ArrayLike, alpha: float, correction: Correction = "holm") -> NDArray[np.bool_]:
    """Which hypotheses to reject among ``p_values`` at family level ``alpha``.

    ``holm`` controls the family-wise error rate (uniformly more powerful than Bonferroni);
    ``fdr_bh`` the false discovery rate (Benjamini–Hochberg). NaN p-values are never rejected.

    >>> reject([0.001, 0.03, 0.04], 0.05, "holm").tolist()
    [True, False, False]
    >>> reject([0.001, 0.03, 0.04], 0.05, "fdr_bh").tolist()
    [True, True, True]
    """
    p = np.asarray(p_values, dtype=np.float64)
    valid = np.isfinite(p)
    result = np.zeros(p.shape, dtype=bool)
    m = int(valid.sum())
    if m == 0:
        return result
    values = p[valid]
    if correction == "none":
        result[valid] = values < alpha
        return result
    if correction == "bonferroni":
        result[valid] = values < alpha / m
        return result
    order = np.argsort(values, kind="stable")
    ranked = values[order]
    ranks = np.arange(1, m + 1)
    if correction == "holm":
        passes = ranked < alpha / (m - ranks + 1)
        # Step-down: stop at the first failure.
        cutoff = m if passes.all() else int(np.argmin(passes))
    else:
        passes = ranked <= alpha * ranks / m
        # Step-up: the largest rank that passes, and every smaller one.
        cutoff = int(np.nonzero(passes)[0].max()) + 1 if passes.any() else 0
    accepted = np.zeros(m, dtype=bool)
    accepted[order[:cutoff]] = True
    result[valid] = accepted
    return result
