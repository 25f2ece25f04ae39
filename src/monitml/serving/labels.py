"""``LabelWindow``: how long a label may wait for its prediction.

``POST /models/{m}/feedback`` stores a label for a record id the model has logged (in the store,
or still queued in this worker's writer). A label may also come *before* its prediction (a
service logging through ``/log`` later than it sends labels), so a label for an unknown id is
stored as well, reported in ``unknown_ids``, and the time it was first received is remembered.
Labels for that id keep being accepted until ``log.label_window`` after that first receipt; once
the window has passed and the id is still unknown, every further label for it is refused with a
422 naming the id, and nothing of that request is stored.

What is guaranteed, and what is not:

- The first receipt is remembered per model in this worker's memory, for at most ``max_ids``
  ids (the oldest are forgotten first). A forgotten id, or any id after a restart or in another
  worker, counts as received for the first time again: the window bounds how long a caller can
  keep labelling an id that never had a prediction, it does not make such labels impossible.
- Labels stored inside the window stay stored; pruning labels that never met a prediction is
  the store's retention, not the gateway's.
- The request path does no more database work than before: only ids whose window has passed
  are looked up again (one indexed query) before being refused.

>>> window = LabelWindow(60.0)
>>> window.received("m", ["a"], now=0.0)
>>> window.expired("m", ["a", "b"], now=30.0), window.expired("m", ["a", "b"], now=61.0)
([], ['a'])
>>> window.matched("m", ["a"]); window.expired("m", ["a"], now=61.0)
[]
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

__all__ = ["LabelWindow"]

_THIRTY_DAYS = 30 * 86_400.0


class LabelWindow:
    """First receipt of labels whose id had no logged prediction, per model. Thread-safe."""

    def __init__(self, window: float = _THIRTY_DAYS, *, max_ids: int = 100_000) -> None:
        if not window > 0:
            raise ValueError(
                f"The 'window' parameter of LabelWindow must be > 0. Got {window!r} instead."
            )
        if max_ids < 1:
            raise ValueError(
                f"The 'max_ids' parameter of LabelWindow must be >= 1. Got {max_ids!r} instead."
            )
        self.window = window
        self.max_ids = max_ids
        self._lock = threading.Lock()
        # (model, id) → first receipt, oldest first.
        self._first: OrderedDict[tuple[str, str], float] = OrderedDict()

    def __len__(self) -> int:
        return len(self._first)

    def expired(self, model: str, ids: Iterable[str], *, now: float) -> list[str]:
        """The ids, in order and once each, whose first unknown label is older than the window."""
        limit = now - self.window
        with self._lock:
            first = self._first
            return [i for i in dict.fromkeys(ids) if first.get((model, i), now) < limit]

    def received(self, model: str, unknown: Iterable[str], *, now: float) -> None:
        """Labels for ``unknown`` ids were stored: remember when each was first received."""
        with self._lock:
            first = self._first
            for record_id in unknown:
                first.setdefault((model, record_id), now)
            while len(first) > self.max_ids:
                first.popitem(last=False)

    def matched(self, model: str, ids: Iterable[str]) -> None:
        """These ids now have a prediction: their labels no longer wait."""
        with self._lock:
            first = self._first
            if first:
                for record_id in ids:
                    first.pop((model, record_id), None)
