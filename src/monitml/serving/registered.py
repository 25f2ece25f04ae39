"""Versions registered after start-up (``monitml retrain``), loaded by every gateway replica.

Each replica polls the store's ``versions_revision()`` with the routing poll, off the request
path; when it moved, it lists the registered versions and loads the new ones (or those
registered again) from their ``source["path"]``, with the model's configured feature schema.
A routing change naming them (``PUT /models/{m}/routing`` or ``store.save_routing``) is then
served without a restart, and ``GET /models/{m}`` lists them.

What is guaranteed, and what is not:

- A version is served only once its file loaded and took the model's features; one that
  cannot be loaded is logged and skipped until it is registered again, and a routing naming it
  is ignored (as any routing naming an unknown version is) until then.
- A registered name that is also a configured version is ignored: the config wins.
- The model's versions are swapped as a whole mapping, so a request in flight sees either the
  old set or the new one; nothing is ever removed from a running replica.
- Loading runs the unpickling in a worker thread; a large model delays that replica's next
  routing poll by as long as it takes to load.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from monitml.errors import ModelError
from monitml.serving.loaders import load_file, make_predictor
from monitml.serving.model import ServedModel
from monitml.store import PredictionStore

__all__ = ["RegisteredVersions"]

logger = logging.getLogger(__name__)


class RegisteredVersions:
    """Load the versions registered in ``store`` into the served models, as they appear."""

    def __init__(self, store: PredictionStore, models: Mapping[str, ServedModel]) -> None:
        self.store = store
        self._configured = {name: frozenset(model.versions) for name, model in models.items()}
        self._seen = -1  # the revision last loaded; -1: nothing loaded yet
        self._loaded: dict[tuple[str, str], int] = {}  # (model, version) -> revision loaded

    def changed(self) -> bool:
        """True when a version was registered since the last load (one cheap query)."""
        return self.store.versions_revision() != self._seen

    def load_into(self, models: Mapping[str, ServedModel]) -> list[ServedModel]:
        """Load what is new into ``models``; return the models whose versions changed."""
        entries = self.store.list_versions()
        self._seen = max((int(e["revision"]) for e in entries), default=0)
        changed: dict[str, ServedModel] = {}
        for entry in entries:
            name, version, revision = entry["model"], entry["version"], int(entry["revision"])
            model = models.get(name)
            if model is None or self._loaded.get((name, version)) == revision:
                continue
            self._loaded[(name, version)] = revision  # a failure is not retried until re-registered
            if version in self._configured.get(name, frozenset()):
                logger.warning("Ignoring registered %s %s: a configured version", name, version)
                continue
            path = entry["source"].get("path")
            try:
                if not isinstance(path, str):
                    raise ModelError("its source has no 'path'")
                predictor = make_predictor(load_file(Path(path)), model.features, model.task)
            except ModelError as error:
                logger.error("Cannot serve registered %s %s: %s", name, version, error)
                continue
            model.versions = {**model.versions, version: predictor}
            changed[name] = model
        return list(changed.values())
