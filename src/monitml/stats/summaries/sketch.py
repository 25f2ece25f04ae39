"""A quantile sketch with a stated rank error: Apache DataSketches' KLL, behind a small wrapper.

KLL (Karnin, Lang & Liberty 2016) keeps a few thousand weighted values whatever the input
size; any rank it answers is within ``rank_error`` of the true normalised rank with 99%
confidence (``k = 400``: 0.68%; DataSketches states the bound). Below about ``k`` values
it keeps them all and is exact. Merging two sketches gives a sketch of the union with the
same bound; the result depends on the order of merges only within that bound (compaction
flips a coin), so merges are associative and commutative up to the stated error.

Why this library: Apache-maintained, C++ with numpy bindings (a million values in about 70
ms), no dependency but numpy, and a portable binary format. It is imported lazily: the
default drift rule on samples never needs it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["DEFAULT_K", "QuantileSketch"]

FloatArray = NDArray[np.float64]
DEFAULT_K = 400


def _library() -> Any:
    import datasketches  # noqa: PLC0415  # 0.13 s to import: only when a summary is built

    return datasketches


class QuantileSketch:
    """A KLL sketch of float64 values. Treat it as immutable: ``merge`` returns a new one.

    >>> s = QuantileSketch.of(np.arange(100.0))
    >>> s.n, s.quantiles([0.0, 1.0]).tolist(), s.rank_error < 0.01
    (100, [0.0, 99.0], True)
    """

    __slots__ = ("_quantiles", "_sketch")

    def __init__(self, sketch: Any) -> None:
        self._sketch = sketch
        # The last levels asked for and their quantiles: a reference's sketch is asked for
        # the same levels by every chunk it is compared with.
        self._quantiles: tuple[bytes, FloatArray] | None = None

    @classmethod
    def empty(cls, k: int = DEFAULT_K) -> QuantileSketch:
        return cls(_library().kll_doubles_sketch(int(k)))

    @classmethod
    def of(cls, values: ArrayLike, k: int = DEFAULT_K) -> QuantileSketch:
        """A sketch of finite values (the caller drops missing ones)."""
        sketch = _library().kll_doubles_sketch(int(k))
        array = np.ascontiguousarray(values, dtype=np.float64)
        if array.size:
            sketch.update(array)
        return cls(sketch)

    @property
    def k(self) -> int:
        return int(self._sketch.k)

    @property
    def n(self) -> int:
        return int(self._sketch.n)

    @property
    def rank_error(self) -> float:
        """Bound on the error of any normalised rank, at 99% confidence (0 while exact)."""
        if not self._sketch.is_estimation_mode():
            return 0.0
        return float(self._sketch.normalized_rank_error(False))

    def merge(self, other: QuantileSketch) -> QuantileSketch:
        if other.k != self.k:
            raise ValueError(f"cannot merge sketches of k={self.k} and k={other.k}")
        merged = self.copy()
        merged._sketch.merge(other._sketch)
        return merged

    def copy(self) -> QuantileSketch:
        return QuantileSketch.from_bytes(self.to_bytes())

    def cdf(self, points: FloatArray) -> FloatArray:
        """Share of values ≤ each point (any order, repeats allowed)."""
        if self.n == 0:
            return np.zeros(points.size, dtype=np.float64)
        unique, inverse = np.unique(points, return_inverse=True)
        # get_cdf returns one more value (the share ≤ +inf, i.e. 1) than split points.
        ranks = np.asarray(self._sketch.get_cdf(unique, True), dtype=np.float64)[:-1]
        return np.asarray(ranks[inverse], dtype=np.float64)

    def quantiles(self, levels: ArrayLike) -> FloatArray:
        """The values at normalised ranks ``levels`` (a read-only array)."""
        values = np.asarray(levels, dtype=np.float64).ravel()
        if self.n == 0:
            return np.full(values.size, np.nan)
        key = values.tobytes()
        if self._quantiles is not None and self._quantiles[0] == key:
            return self._quantiles[1]
        found = np.asarray(self._sketch.get_quantiles(values, True), dtype=np.float64)
        found.flags.writeable = False
        self._quantiles = (key, found)
        return found

    def to_bytes(self) -> bytes:
        return bytes(self._sketch.serialize())

    @classmethod
    def from_bytes(cls, data: bytes) -> QuantileSketch:
        return cls(_library().kll_doubles_sketch.deserialize(data))
