"""Fixed histogram edges derived from a reference column, shared by every summary of it.

A histogram merges exactly (counts add) only when every part was cut at the same edges, so
the edges are fixed once, from the reference, before anything is summarised: the reference's
quantiles at ``fine`` levels (1024 by default: each bin holds about 0.1% of the reference),
split further in both tails (down to one millionth), and refined with the inner quantiles
that the binned divergences cut at (deciles for PSI, twenty bins for Jensen–Shannon,
Hellinger and KL). Because those coarse edges are among the fine ones, a coarse count is a
sum of fine counts and the binned methods are exact on summaries.

Bins are closed on the right, as ``monitml.stats.ecdf.quantile_bin_counts`` cuts them:
``(-inf, e0], (e0, e1], …, (e_last, inf)`` — an underflow and an overflow bin around the
reference's range, so a current value outside it is still counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from monitml.errors import DataError
from monitml.stats.ecdf import sorted_quantiles

__all__ = ["COARSE_BINS", "FINE_BINS", "Binning"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

FINE_BINS = 1024
# The bin counts of the binned divergences (monitml.stats.methods.divergences).
COARSE_BINS: tuple[int, ...] = (10, 20)
# Tail bins down to a share of 2^-20 (one row in a million) at either end.
TAIL_DEPTH = 20


@dataclass(frozen=True, slots=True, eq=False)
class Binning:
    """Sorted distinct edges, and where each coarse binning's inner edges are among them.

    >>> b = Binning.from_reference(np.arange(1000.0), coarse=(2,))
    >>> b.cells, float(b.edges[b.anchors[2][0]])
    (1046, 499.5)
    """

    edges: FloatArray
    anchors: dict[int, IntArray]

    def __post_init__(self) -> None:
        edges = self.edges
        if edges.ndim != 1 or edges.size == 0 or not np.isfinite(edges).all():
            raise DataError("binning edges must be a non-empty 1-D array of finite numbers")
        if edges.size > 1 and not bool(np.all(edges[1:] > edges[:-1])):
            raise DataError("binning edges must be strictly increasing")

    @classmethod
    def from_reference(
        cls, values: ArrayLike, *, fine: int = FINE_BINS, coarse: Iterable[int] = COARSE_BINS
    ) -> Binning:
        """Edges at the quantiles of the finite reference values (sorted or not)."""
        array = np.asarray(values, dtype=np.float64).ravel()
        ordered = np.sort(array[np.isfinite(array)])
        if ordered.size == 0:
            raise DataError("the reference column has no finite value to derive bins from")
        if fine < 1:
            raise ValueError(f"The 'fine' parameter of Binning must be >= 1. Got {fine!r} instead.")
        fine_levels = np.linspace(0.0, 1.0, fine + 1)
        # The outer fine bins of a long-tailed column are wide; split them geometrically
        # (shares 2^-11 … 2^-20 from either end) so a tail is not taken as flat.
        tails = 2.0 ** -np.arange(np.log2(fine) + 1, TAIL_DEPTH + 1)
        levels = np.concatenate([fine_levels, tails, 1.0 - tails])
        fine_edges = sorted_quantiles(ordered, np.sort(levels))
        # The same inner edges quantile_bin_counts computes, so coarse counts are exact.
        coarse_edges = {
            bins: np.unique(sorted_quantiles(ordered, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
            for bins in coarse
        }
        edges = np.unique(np.concatenate([fine_edges, *coarse_edges.values()]))
        anchors = {
            bins: np.searchsorted(edges, inner).astype(np.int64)
            for bins, inner in coarse_edges.items()
        }
        return cls(edges, anchors)

    @property
    def cells(self) -> int:
        """Number of bins, the under- and overflow bins included."""
        return int(self.edges.size + 1)

    def counts_of_sorted(self, ordered: FloatArray) -> IntArray:
        """Counts per bin of sorted finite values: one binary search per edge."""
        cut = np.searchsorted(ordered, self.edges, side="right")
        return np.diff(cut, prepend=0, append=ordered.size).astype(np.int64)

    def coarse_counts(self, counts: IntArray, bins: int) -> IntArray | None:
        """Counts in the coarse binning of ``bins`` bins, or ``None`` if it is not anchored."""
        anchors = self.anchors.get(bins)
        if anchors is None:
            return None
        below = np.cumsum(counts)[anchors]
        return np.diff(below, prepend=0, append=int(counts.sum())).astype(np.int64)

    def same_as(self, other: Binning) -> bool:
        """The same edges and anchors (a summary read back has an equal, not the same, one)."""
        if self is other:
            return True
        return (
            bool(np.array_equal(self.edges, other.edges))
            and self.anchors.keys() == other.anchors.keys()
            and all(np.array_equal(at, other.anchors[bins]) for bins, at in self.anchors.items())
        )
