"""Versions registered after start-up, and the state of each model's promotion.

What is guaranteed, and what is not:

- Registering a version is one transaction that takes a store-wide ``revision`` one above every
  earlier one (under the same kind of lock as routing changes, see ``monitml.store.shared``), so
  a gateway replica that polls :func:`versions_revision` and sees it move reloads the list and
  serves the new version without a restart. Registering the same (model, version) again
  replaces its source and payload and moves the revision.
- A version's ``source`` says where its model is (``{"path": "/abs/model.joblib"}`` or
  ``{"mlflow": "models:/name/3"}``); the store never reads the model itself.
- A promotion's state is a document saved whole, last writer wins: only the process holding the
  monitor lease drives promotions, so there is one writer at a time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from monitml.store.encoding import dumps
from monitml.store.tables import json_text, model_versions, promotions

__all__ = [
    "delete_promotion",
    "list_promotions",
    "list_versions",
    "load_promotion",
    "register_version",
    "save_promotion",
    "versions_revision",
]

_VERSIONS_LOCK_KEY = 0x6D6C76657273  # "mlvers"


def register_version(
    connection: sa.Connection,
    model: str,
    version: str,
    source: Mapping[str, Any],
    payload: Mapping[str, Any],
) -> int:
    """Record ``version`` of ``model`` in the caller's transaction; return its revision.

    On SQLite the transaction must have been begun with ``BEGIN IMMEDIATE`` (the store does it).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_VERSIONS_LOCK_KEY)))
    revision = versions_revision(connection) + 1
    row = {
        "source": dumps(dict(source)),
        "payload": dumps(dict(payload)),
        "revision": revision,
        "registered_at": time.time(),
    }
    table = model_versions
    updated = connection.execute(
        table.update().where(table.c.model == model, table.c.version == version).values(**row)
    )
    if updated.rowcount == 0:
        connection.execute(table.insert().values(model=model, version=version, **row))
    return revision


def versions_revision(connection: sa.Connection) -> int:
    """The newest registration's revision, 0 when nothing was ever registered."""
    found = connection.execute(sa.select(sa.func.max(model_versions.c.revision))).scalar()
    return int(found or 0)


def list_versions(connection: sa.Connection, model: str | None = None) -> list[dict[str, Any]]:
    """Registered versions in the order they were (last) registered."""
    table = model_versions
    query = sa.select(
        table.c.model,
        table.c.version,
        json_text(table.c.source).label("source"),
        json_text(table.c.payload).label("payload"),
        table.c.revision,
        table.c.registered_at,
    ).order_by(table.c.revision)
    if model is not None:
        query = query.where(table.c.model == model)
    return [
        {
            "model": row.model,
            "version": row.version,
            "source": json.loads(row.source),
            "payload": json.loads(row.payload),
            "revision": int(row.revision),
            "registered_at": float(row.registered_at),
        }
        for row in connection.execute(query)
    ]


def save_promotion(connection: sa.Connection, model: str, state: Mapping[str, Any]) -> None:
    """Replace the promotion state of ``model``."""
    row = {"state": dumps(dict(state)), "updated_at": time.time()}
    updated = connection.execute(
        promotions.update().where(promotions.c.model == model).values(**row)
    )
    if updated.rowcount == 0:
        connection.execute(promotions.insert().values(model=model, **row))


def load_promotion(connection: sa.Connection, model: str) -> dict[str, Any] | None:
    """The promotion state of ``model``, or None when it never had one."""
    text = connection.execute(
        sa.select(json_text(promotions.c.state)).where(promotions.c.model == model)
    ).scalar()
    if text is None:
        return None
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def list_promotions(connection: sa.Connection) -> dict[str, dict[str, Any]]:
    """Every model's promotion state, by model."""
    rows = connection.execute(
        sa.select(promotions.c.model, json_text(promotions.c.state).label("state"))
    ).all()
    return {row.model: json.loads(row.state) for row in rows}


def delete_promotion(connection: sa.Connection, model: str) -> bool:
    """Forget the promotion state of ``model``; True when there was one."""
    deleted = connection.execute(promotions.delete().where(promotions.c.model == model))
    return bool(deleted.rowcount)
