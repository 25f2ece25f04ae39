"""What every route shares at run time: the models, the writer, the store, the metrics."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from starlette.concurrency import run_in_threadpool

from monitml.serving.handoff import LogHandoff
from monitml.serving.labels import LabelWindow
from monitml.serving.metrics import GatewayMetrics
from monitml.serving.model import ServedModel
from monitml.serving.registered import RegisteredVersions
from monitml.serving.routing import Routing, check_routing
from monitml.serving.routing_state import RoutingState
from monitml.store import LogWriter, PredictionRecord, PredictionStore

__all__ = ["GatewayState"]

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class GatewayState:
    models: Mapping[str, ServedModel]
    store: PredictionStore
    writer: LogWriter
    metrics: GatewayMetrics
    routing_state: RoutingState | None = None
    registered: RegisteredVersions | None = None
    admin_token: str | None = None
    ingest_token: str | None = None
    predict_token: str | None = None
    label_window: LabelWindow = field(default_factory=LabelWindow)
    handoff: LogHandoff | None = None
    ready: bool = False

    def log(self, records: Iterable[PredictionRecord]) -> bool:
        """Hand records to the writer; False if one could be neither queued nor spilled.

        The writer counts such a record in ``dropped_total`` rather than raising, so a rise
        during the hand-off means this request's record was lost (or, rarely, that the writer
        thread lost a batch at the same moment: the answer is then a 503 it did not need).
        """
        writer = self.writer
        before = writer.dropped_total
        writer.submit_many(list(records))
        return writer.dropped_total == before

    async def log_answered(self, records: Iterable[PredictionRecord]) -> bool:
        """:meth:`log` for a request about to be answered: with ``log.durability: disk`` the
        writer waits for the journal's fsync, so off the event loop; else right here."""
        if self.writer.durability == "memory":
            # Held for the next grouped hand-off when the queue has room (monitml.serving.handoff).
            held = list(records)
            if self.handoff is not None and self.handoff.offer(held):
                return True
            return self.log(held)
        return await run_in_threadpool(self.log, list(records))

    def pending_ids(self, among: Iterable[str]) -> set[str]:
        """Ids among ``among`` with a prediction answered but not yet in the store."""
        ids = list(among)
        held = self.handoff.held_ids(ids) if self.handoff is not None else set()
        return held | self.writer.pending_record_ids(ids)

    def publish_models(self) -> None:
        for model in self.models.values():
            self.publish(model)

    def publish(self, model: ServedModel) -> None:
        versions = {name: (model.task, p.kind) for name, p in model.versions.items()}
        self.metrics.set_model(model.name, versions, dict(model.routing.weights))

    def apply_saved_routing(self) -> None:
        """Take the routing saved by a ``PUT`` (in this or another replica, or before a restart)."""
        if self.routing_state is None:
            return
        for name, routing in self.routing_state.load().items():
            model = self.models.get(name)
            if model is None or routing == model.routing:
                continue
            try:
                check_routing(routing.weights, routing.shadow, model.versions)
            except ValueError as error:
                logger.warning("Ignoring the saved routing of %r: %s", name, error)
                continue
            model.router.update(routing)
            self.publish(model)

    def load_registered(self) -> bool:
        """Load the versions registered since the last call; True when any was new."""
        if self.registered is None:
            return False
        changed = self.registered.load_into(self.models)
        for model in changed:
            self.publish(model)
        return bool(changed)

    def sync_routing(self) -> None:
        """Reload the routing if another replica changed it, and load newly registered
        versions first (a routing may name them): a query or two; off the request path."""
        if self.registered is not None and self.registered.changed() and self.load_registered():
            self.apply_saved_routing()  # a routing saved before its version loaded applies now
        elif self.routing_state is not None and self.routing_state.changed():
            self.apply_saved_routing()

    def change_routing(self, model: ServedModel, routing: Routing) -> None:
        """Save the change for every replica, then apply it here (StoreError: not applied)."""
        if self.routing_state is not None:
            self.routing_state.save(model.name, routing)
        model.router.update(routing)
        self.publish(model)

    def refresh_log_metrics(self) -> None:
        held = len(self.handoff) if self.handoff is not None else 0
        self.metrics.set_log_state(self.writer.queue_depth + held, self.writer.dropped_total)
