"""``store.retention`` in the gateway: a background pruner, one per store thanks to a lease.

Without a retention the pruner still runs, for the writer's batch ids alone (older than
``BATCH_ID_HORIZON``): they grow with every batch, and with ``log.durability: disk`` with every
fsync group.
"""

from __future__ import annotations

from collections.abc import Callable

from monitml.config import Settings
from monitml.store import PredictionStore
from monitml.store.lease import open_lease
from monitml.store.retention import Pruner

__all__ = ["PRUNE_INTERVAL_SECONDS", "start_retention"]

PRUNE_INTERVAL_SECONDS = 3600.0


def start_retention(
    settings: Settings, store: PredictionStore, *, first_delay: float = 10.0
) -> Callable[[], None]:
    """Start pruning (the first pass ``first_delay`` seconds from now, then every hour); return
    how to stop it."""
    retention = settings.store.retention
    # Held for two intervals: a pruner that died lets another replica prune an hour later.
    lease = open_lease(store.engine, "retention", ttl=2 * PRUNE_INTERVAL_SECONDS)
    pruner = Pruner(
        store.engine,
        retention,
        interval=PRUNE_INTERVAL_SECONDS,
        first_delay=first_delay,
        lease=lease,
    )
    return pruner.start().close
