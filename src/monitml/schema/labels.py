"""Class labels as the text every performance count is keyed by."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["class_labels_as_text"]


def class_labels_as_text(labels: pd.Series) -> np.ndarray[Any, np.dtype[Any]]:
    """``labels`` (no missing value among them) as text, whole floats as integers.

    An integer column that held a missing value comes back from a store or a Parquet file
    as floats; its classes are still "0" and "1", not "0.0" and "1.0".
    """
    if labels.dtype.kind == "f" and bool(np.all(np.mod(labels.to_numpy(), 1.0) == 0.0)):
        labels = labels.astype(np.int64)
    elif labels.dtype.kind == "O":  # Python objects: a float among them may be a whole one
        return np.array([_text(value) for value in labels.tolist()], dtype=object)
    return labels.astype(str).to_numpy()


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
