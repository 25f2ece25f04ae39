"""Routing changes that outlive the process: one small JSON file, shared by every worker.

``PUT /models/{model}/routing`` writes the file (atomically: a temporary file, then a rename,
under an exclusive lock so two workers cannot lose each other's change). Every worker looks at
the file's modification time at most once per ``check_interval`` seconds on the request path
and reloads it when it changed, so a change made through one worker reaches all of them.

The file::

    {"format": "monitml.routing/1",
     "models": {"house-price": {"routing": {"v1": 90, "v2": 10}, "shadow": [],
                                "updated_at": 1.7e9}}}
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from monitml.serving.routing import Routing

__all__ = ["FORMAT", "RoutingStateFile"]

FORMAT = "monitml.routing/1"
logger = logging.getLogger(__name__)


class RoutingStateFile:
    """Read and write the routing of every model in ``path``."""

    def __init__(self, path: Path, *, check_interval: float = 1.0) -> None:
        self.path = Path(path)
        self.check_interval = check_interval
        self._seen: float | None = self._mtime()
        self._next_check = time.monotonic() + check_interval

    def _mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime_ns / 1e9
        except FileNotFoundError:
            return None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            logger.error("Ignoring the unreadable routing state %s: %s", self.path, error)
            return {}
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            logger.error("Ignoring %s: it is not a %s file", self.path, FORMAT)
            return {}
        models = data.get("models")
        return models if isinstance(models, dict) else {}

    def load(self) -> dict[str, Routing]:
        """The saved routing of each model (entries that cannot be read are left out)."""
        self._seen = self._mtime()
        saved: dict[str, Routing] = {}
        for model, entry in self._read().items():
            try:
                saved[model] = Routing(
                    {str(k): float(v) for k, v in entry["routing"].items()},
                    tuple(str(v) for v in entry.get("shadow", ())),
                )
            except (KeyError, TypeError, ValueError, AttributeError) as error:
                logger.error("Ignoring the saved routing of %r in %s: %s", model, self.path, error)
        return saved

    def save(self, model: str, routing: Routing) -> None:
        """Record the routing of ``model`` (the other models' entries are kept)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            models = self._read()
            models[model] = {**routing.to_json(), "updated_at": time.time()}
            text = json.dumps({"format": FORMAT, "models": models}, indent=2, sort_keys=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    file.write(text + "\n")
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        self._seen = self._mtime()

    def changed(self) -> bool:
        """True, at most once per ``check_interval``, when another process rewrote the file."""
        now = time.monotonic()
        if now < self._next_check:
            return False
        self._next_check = now + self.check_interval
        return self._mtime() != self._seen
