"""State that every replica reads from the store: routing changes and the alert engine's state.

What is guaranteed, and what is not:

- A routing change is one transaction: the model's row and a store-wide ``revision`` one above
  every earlier one (taken under a lock: ``pg_advisory_xact_lock`` on PostgreSQL, the write lock
  of ``BEGIN IMMEDIATE`` on SQLite), so a replica that saw revision *n* and now reads *n + k*
  knows that something changed, and two changes made at once on two replicas are both kept, in
  the order they committed (the later one wins for the same model).
- :func:`routing_revision` is one index-only aggregate over a table of one row per changed
  model: cheap enough to poll twice a second from every replica.
- The alert state is a document saved whole, last writer wins. Only the monitor that holds the
  lease saves it (``monitml.store.lease``), so there is one writer at a time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from monitml.store.encoding import dumps
from monitml.store.tables import alert_state, json_text, routing

__all__ = [
    "SavedRouting",
    "load_alert_state",
    "load_routing",
    "routing_revision",
    "save_alert_state",
    "save_routing",
]

# Another constant than the migrations' lock: a routing change never waits for a migration.
_ROUTING_LOCK_KEY = 0x6D6C726F757465  # "mlroute"


@dataclass(frozen=True, slots=True)
class SavedRouting:
    """One model's routing as a ``PUT …/routing`` left it."""

    weights: dict[str, float]
    shadow: tuple[str, ...]
    revision: int
    updated_at: float


def save_routing(
    connection: sa.Connection, model: str, weights: Mapping[str, float], shadow: Sequence[str]
) -> int:
    """Record the routing of ``model`` in the caller's transaction; return its revision.

    On SQLite the transaction must have been begun with ``BEGIN IMMEDIATE`` (the store does it),
    so that two writers cannot read the same ``max(revision)``.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_ROUTING_LOCK_KEY)))
    revision = int(connection.execute(sa.select(sa.func.max(routing.c.revision))).scalar() or 0)
    row = {
        "weights": dumps({str(k): float(v) for k, v in weights.items()}),
        "shadow": dumps([str(v) for v in shadow]),
        "revision": revision + 1,
        "updated_at": time.time(),
    }
    updated = connection.execute(routing.update().where(routing.c.model == model).values(**row))
    if updated.rowcount == 0:
        connection.execute(routing.insert().values(model=model, **row))
    return revision + 1


def routing_revision(connection: sa.Connection) -> int:
    """The newest routing revision in the store, 0 when no routing was ever changed."""
    return int(connection.execute(sa.select(sa.func.max(routing.c.revision))).scalar() or 0)


def load_routing(connection: sa.Connection) -> dict[str, SavedRouting]:
    """Every changed model's routing."""
    rows = connection.execute(
        sa.select(
            routing.c.model,
            json_text(routing.c.weights).label("weights"),
            json_text(routing.c.shadow).label("shadow"),
            routing.c.revision,
            routing.c.updated_at,
        )
    ).all()
    return {
        row.model: SavedRouting(
            {str(k): float(v) for k, v in json.loads(row.weights).items()},
            tuple(str(v) for v in json.loads(row.shadow)),
            int(row.revision),
            float(row.updated_at),
        )
        for row in rows
    }


def save_alert_state(connection: sa.Connection, name: str, state: Mapping[str, Any]) -> None:
    """Replace the alert state saved under ``name``."""
    row = {"state": dumps(dict(state)), "updated_at": time.time()}
    updated = connection.execute(
        alert_state.update().where(alert_state.c.name == name).values(**row)
    )
    if updated.rowcount == 0:
        connection.execute(alert_state.insert().values(name=name, **row))


def load_alert_state(connection: sa.Connection, name: str) -> dict[str, Any] | None:
    """The alert state saved under ``name``, or None."""
    text = connection.execute(
        sa.select(json_text(alert_state.c.state)).where(alert_state.c.name == name)
    ).scalar()
    if text is None:
        return None
    loaded: dict[str, Any] = json.loads(text)
    return loaded
