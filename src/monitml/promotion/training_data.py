"""The data a retrain learns from: the model's labelled predictions in the store.

Every version's logged inputs count (the features do not depend on who answered), shadow
copies do not (they repeat a routed record). A record logged twice keeps its latest copy. Rows
are oldest first, so the most recent ``holdout`` share is the tail of the frame.

What is guaranteed, and what is not:

- The frame has exactly the model's features, in the configured order, then the target column
  (named like the model's ``target``, else ``label``), then ``timestamp``; a feature that was
  never logged is a column of missing values and is reported in ``missing_features``.
- The window is ``[now - training.window, ∞)`` on the log's timestamps; without a window every
  labelled row is read. The store reads the window with its labels and drops the unlabelled rows
  here, so an old log with few labels costs a full read of the window.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from monitml.store import PredictionStore
from monitml.store.frames import FEATURE_PREFIX, META_COLUMNS

__all__ = ["LabelledData", "read_labelled"]

TIMESTAMP = "timestamp"


@dataclass(frozen=True, slots=True)
class LabelledData:
    """Labelled rows of one model, oldest first, and where the window started."""

    frame: pd.DataFrame
    features: tuple[str, ...]
    target: str
    window_start: float | None
    missing_features: tuple[str, ...]

    @property
    def rows(self) -> int:
        return len(self.frame)

    def split(self, holdout: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(training, held out): the most recent ``holdout`` share of the rows is held out.

        >>> data = LabelledData(pd.DataFrame({"x": range(8)}), ("x",), "y", None, ())
        >>> [len(part) for part in data.split(0.25)]
        [6, 2]
        """
        if not 0 < holdout < 1:
            raise ValueError(f"The 'holdout' share must be in (0, 1). Got {holdout!r} instead.")
        held = min(self.rows, math.ceil(self.rows * holdout))
        cut = self.rows - held
        return self.frame.iloc[:cut], self.frame.iloc[cut:]

    def window_end(self) -> float | None:
        """The newest labelled row's timestamp (None when there is none)."""
        return float(self.frame[TIMESTAMP].iloc[-1]) if self.rows else None


def read_labelled(
    store: PredictionStore,
    model: str,
    features: Sequence[str],
    target: str,
    *,
    window: float | None,
    now: float,
    task: str,
) -> LabelledData:
    """The labelled rows of ``model`` logged since ``now - window`` (every one without it)."""
    start = None if window is None else now - window
    logged = store.read_window(model, start=start)
    labelled = logged[logged["label"].notna()] if len(logged) else logged
    labelled = labelled.drop_duplicates("record_id", keep="last")
    columns: dict[str, object] = {}
    missing: list[str] = []
    for name in features:
        # A feature named like a window column was renamed feature_<name> by the store.
        column = FEATURE_PREFIX + name if name in META_COLUMNS else name
        if column in labelled.columns:
            columns[name] = labelled[column].to_numpy()
        else:
            missing.append(name)
            columns[name] = np.full(len(labelled), np.nan)
    label = labelled["label"]
    columns[target] = label.astype(float).to_numpy() if task == "regression" else label.to_numpy()
    columns[TIMESTAMP] = labelled["timestamp"].astype(float).to_numpy()
    frame = pd.DataFrame(columns).reset_index(drop=True)
    return LabelledData(frame, tuple(features), target, start, tuple(missing))
