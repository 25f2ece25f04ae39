"""Routing changes kept in the store, so that every gateway replica serves the same routing.

``PUT /models/{model}/routing`` saves the change in the store (``monitml.store.shared``: one row
per model and a store-wide revision) before the replica that took it applies it. Every replica,
and every worker of each, polls the store's newest revision from a background task, off the
request path, every ``ROUTING_POLL_SECONDS``, and reloads the routing when it moved: a change
made on one replica is in force on all of them within about that long. Routing saved before a
restart applies from the start.

What is guaranteed, and what is not:

- Replicas converge: each ends on the newest saved routing of every model (the later of two
  concurrent changes of one model wins, in commit order).
- Between a change and the next poll (at most ``ROUTING_POLL_SECONDS`` plus one query), the other
  replicas still route with the previous weights.
- While the store is unreachable, a replica keeps routing as it last knew and a ``PUT`` fails
  (503): a change is never in force on one replica only.
- A saved routing that no longer fits the config (a version was removed) is ignored, with a
  warning, and the config's routing applies to that model.
"""

from __future__ import annotations

import logging

from monitml.serving.routing import Routing
from monitml.store import PredictionStore

__all__ = ["ROUTING_POLL_SECONDS", "RoutingState"]

ROUTING_POLL_SECONDS = 0.5
logger = logging.getLogger(__name__)


class RoutingState:
    """Read and write the routing of every model in ``store``; tell when another replica did."""

    def __init__(self, store: PredictionStore) -> None:
        self.store = store
        self._seen = -1  # the revision last loaded; -1: nothing loaded yet

    def load(self) -> dict[str, Routing]:
        """The saved routing of each model (entries that cannot be read are left out)."""
        saved = self.store.load_routing()
        self._seen = max((entry.revision for entry in saved.values()), default=0)
        routings: dict[str, Routing] = {}
        for model, entry in saved.items():
            try:
                routings[model] = Routing(entry.weights, entry.shadow)
            except ValueError as error:
                logger.error("Ignoring the saved routing of %r: %s", model, error)
        return routings

    def save(self, model: str, routing: Routing) -> None:
        """Record the routing of ``model`` for every replica (the other models' are kept)."""
        # The revision seen stays: a change another replica made just before this one is
        # loaded at the next poll, with this one.
        self.store.save_routing(model, dict(routing.weights), list(routing.shadow))

    def changed(self) -> bool:
        """True when the store holds a routing revision this replica has not loaded (a query)."""
        return self.store.routing_revision() != self._seen
