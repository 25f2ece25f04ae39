"""Feature frames for gradient boosting: numbers as floats, categories as categories.

For DLE's LightGBM models (``matrix`` with ``categorical``, from a DataFrame or from the CLI's
pandas-free ``Columns``: the same matrix from both) and the domain classifier's scikit-learn one
(``transform``, DataFrames).

Categories are learned from the reference, most frequent first (ties in text order); a category
unseen there becomes missing, which gradient boosting handles natively. A column with more
categories than a tree can split on is encoded by its category code instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from monitml.errors import DataError
from monitml.estimation.columns import Columns, Labels

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FeatureEncoder", "limited_threads"]

# Both bin a categorical feature into at most 255 values (one kept for missing in scikit-learn).
_MAX_CATEGORIES = 254


@dataclass(frozen=True, slots=True)
class FeatureEncoder:
    """The columns to use and, for each categorical one, its reference categories."""

    columns: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]

    @classmethod
    def fit(cls, reference: pd.DataFrame | Columns, columns: Sequence[str]) -> FeatureEncoder:
        missing = [name for name in columns if name not in reference.columns]
        if missing:
            raise DataError(f"unknown column(s) in the reference: {', '.join(missing)}")
        if not columns:
            raise DataError("no feature column to fit on")
        categories: dict[str, tuple[str, ...]] = {}
        for name in columns:
            found = _categories(reference, name)
            if found is not None:
                categories[name] = found
        return cls(tuple(columns), categories)

    def transform(self, frame: pd.DataFrame, *, side: str = "analysis") -> pd.DataFrame:
        """The encoded frame (``side`` names the data set in errors)."""
        import pandas as pd  # noqa: PLC0415

        missing = [name for name in self.columns if name not in frame.columns]
        if missing:
            raise DataError(f"column(s) missing from the {side} data: {', '.join(missing)}")
        encoded: dict[str, pd.Series] = {}
        for name in self.columns:
            series = frame[name]
            if name not in self.categories:
                if not _is_numeric(series):
                    raise DataError(f"column '{name}' is numerical in the reference, not in {side}")
                encoded[name] = pd.Series(series.to_numpy(np.float64, na_value=np.nan))
                continue
            known = self.categories[name]
            text = series.astype("string").astype(object).where(series.notna(), None)
            text = text.where(text.isin(known), None)  # unseen in the reference: missing
            values = pd.Categorical(text, categories=known)
            if len(known) <= _MAX_CATEGORIES:
                encoded[name] = pd.Series(values)
            else:
                codes = values.codes.astype(np.float64)
                codes[codes < 0] = np.nan
                encoded[name] = pd.Series(codes)
        return pd.DataFrame(encoded)

    @property
    def categorical(self) -> NDArray[np.bool_]:
        """Which columns of ``matrix`` hold category codes (those a tree can split on)."""
        return np.array(
            [
                len(self.categories.get(name, ())) in range(1, _MAX_CATEGORIES + 1)
                for name in self.columns
            ],
            dtype=bool,
        )

    def matrix(
        self, frame: pd.DataFrame | Columns, *, side: str = "analysis"
    ) -> NDArray[np.float64]:
        """The columns as one float array: categories by their code, missing as NaN.

        With ``categorical`` flagging the category columns, gradient boosting splits the codes
        as categories; it needs no frame (scikit-learn's encoding of a frame, a column
        transformer on every fit and predict, took ~0.1 s of a DLE run on 60,000 rows).
        """
        if isinstance(frame, Columns):
            return self._columns_matrix(frame, side)
        encoded = self.transform(frame, side=side)
        out = np.empty((len(encoded), len(self.columns)), dtype=np.float64)
        for j, name in enumerate(self.columns):
            values = encoded[name]
            if isinstance(values.dtype, _categorical_dtype()):
                codes = values.cat.codes.to_numpy().astype(np.float64)
                codes[codes < 0] = np.nan
                out[:, j] = codes
            else:
                out[:, j] = values.to_numpy(np.float64, na_value=np.nan)
        return out

    def _columns_matrix(self, frame: Columns, side: str) -> NDArray[np.float64]:
        missing = [name for name in self.columns if name not in frame]
        if missing:
            raise DataError(f"column(s) missing from the {side} data: {', '.join(missing)}")
        out = np.empty((len(frame), len(self.columns)), dtype=np.float64)
        for j, name in enumerate(self.columns):
            labels = frame.text(name)
            if name not in self.categories:
                if labels is not None:
                    raise DataError(f"column '{name}' is numerical in the reference, not in {side}")
                out[:, j] = frame[name]
                continue
            if labels is None:  # numbers where the reference had text: compared as text
                labels = _as_labels(frame[name])
            position = {value: code for code, value in enumerate(self.categories[name])}
            lookup = np.array([position.get(v, -1) for v in labels.values], dtype=np.float64)
            codes = lookup[np.maximum(labels.codes, 0)] if lookup.size else labels.codes * 0.0
            codes[(labels.codes < 0) | (codes < 0)] = np.nan  # missing, or unseen in the reference
            out[:, j] = codes
        return out


def _categories(frame: pd.DataFrame | Columns, name: str) -> tuple[str, ...] | None:
    """The column's categories, most frequent first; ``None`` for a numeric column."""
    if isinstance(frame, Columns):
        labels = frame.text(name)
        if labels is None:
            return None
        return _by_frequency(labels.values, labels.counts().tolist())
    series = frame[name]
    if _is_numeric(series):
        return None
    counts = series.dropna().astype(str).value_counts()
    return _by_frequency([str(value) for value in counts.index], counts.tolist())


def _by_frequency(values: Sequence[str], counts: Sequence[int]) -> tuple[str, ...]:
    """Values seen at least once, most frequent first, ties in text order (the same on any path)."""
    order = sorted((-count, value) for value, count in zip(values, counts, strict=True) if count)
    return tuple(value for _, value in order)


def _as_labels(values: NDArray[np.generic]) -> Labels:
    """Numbers as text labels, written as pandas writes them (``astype("string")``)."""
    present = ~np.isnan(values) if values.dtype.kind == "f" else np.ones(len(values), dtype=bool)
    distinct, codes = np.unique(values[present], return_inverse=True)
    full = np.full(len(values), -1, dtype=np.int64)
    full[present] = codes
    return Labels(full, tuple(str(value) for value in distinct.tolist()))


def _categorical_dtype() -> type:
    import pandas as pd  # noqa: PLC0415

    return pd.CategoricalDtype


def _is_numeric(series: pd.Series) -> bool:
    import pandas as pd  # noqa: PLC0415

    return bool(pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


@contextmanager
def limited_threads(threads: int | None) -> Iterator[None]:
    """Run scikit-learn's OpenMP loops on at most ``threads`` threads (``None``: no limit).

    Why a limit by default: these fits are small, and on a busy machine OpenMP's spinning
    worker threads cost more than they give (a DLE fit on 60k rows took 16.7 s on two shared
    cores with all threads, 3.8 s with one). Import the estimator before entering: a library
    that loads inside the block is not limited.
    """
    if threads is None:
        yield
        return
    from threadpoolctl import (  # type: ignore[import-untyped]  # noqa: PLC0415
        threadpool_limits,  # comes with scikit-learn
    )

    with threadpool_limits(limits=threads, user_api="openmp"):
        yield
