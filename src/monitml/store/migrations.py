"""Ordered, idempotent schema migrations, recorded in ``monitml_schema_version``.

The rule, as Alembic recommends for a fresh database: an empty database gets the current tables
from ``monitml.store.tables`` in one go and is stamped with the latest version; a database at an
older version gets each later migration in order. So a migration only ever upgrades an existing
database, and ``tables.py`` always describes the newest schema.

Everything runs in one transaction that holds a lock (``pg_advisory_xact_lock`` on PostgreSQL,
``BEGIN IMMEDIATE`` on SQLite), so two processes opening the same store at once (gateway and
monitor) cannot both migrate it. DDL is transactional on both backends: a failed migration leaves
the database at its previous version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from monitml.errors import StoreError
from monitml.store.results import HOUR, insert_signals
from monitml.store.summaries import SUMMARY_COLUMNS, summarise
from monitml.store.tables import (
    alert_state,
    json_text,
    labels,
    leases,
    metadata,
    model_versions,
    monitor_results,
    monitor_signal_hours,
    monitor_signals,
    predictions,
    promotions,
    routing,
    schema_version,
    write_batches,
)

__all__ = ["MIGRATIONS", "Migration", "current_version", "migrate"]

# Any constant works; it only has to be the same in every MonitML process.
_ADVISORY_LOCK_KEY = 0x6D6F6E69746D6C  # "monitml"


@dataclass(frozen=True, slots=True)
class Migration:
    """One step from ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[sa.Connection], None]


def _create_tables(connection: sa.Connection) -> None:
    metadata.create_all(connection, checkfirst=True)


_BACKFILL_BATCH = 1_000


def _add_result_summaries(connection: sa.Connection) -> None:
    """Summary columns, their (model, version, window_end, …) index and ``monitor_signals``,
    filled in from the payloads already stored."""
    table, preparer = monitor_results, connection.dialect.identifier_preparer
    for name in SUMMARY_COLUMNS:
        kind = table.c[name].type.compile(dialect=connection.dialect)
        connection.execute(
            sa.text(
                f"ALTER TABLE {preparer.format_table(table)} "
                f"ADD COLUMN {preparer.quote(name)} {kind}"
            )
        )
    for index in table.indexes:
        if index.name == "ix_monitor_results_window_summaries":
            index.create(connection)
    monitor_signals.create(connection)
    last = 0
    while True:
        rows = connection.execute(
            sa.select(
                table.c.id,
                table.c.model,
                table.c.version,
                table.c.run_at,
                table.c.window_end,
                json_text(table.c.payload).label("payload"),
            )
            .where(table.c.id > last)
            .order_by(table.c.id)
            .limit(_BACKFILL_BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            columns, signals = summarise(json.loads(row.payload))
            if any(value is not None for value in columns.values()):
                connection.execute(table.update().where(table.c.id == row.id).values(**columns))
            if signals:
                insert_signals(connection, row.id, dict(row._mapping), signals)
        last = rows[-1].id


def _add_shared_state(connection: sa.Connection) -> None:
    """Routing, leases and alert state shared by replicas; the age indexes retention prunes by."""
    # checkfirst: a store downgraded by hand (or by a test) may hold some of them already.
    for table in (routing, leases, alert_state):
        table.create(connection, checkfirst=True)
    for table in (labels, write_batches):
        for index in table.indexes:
            if [c.name for c in index.columns] in (["ts"], ["committed_at"]):
                index.create(connection, checkfirst=True)


def _add_signal_hours(connection: sa.Connection) -> None:
    """``monitor_signal_hours``, summed from the signals already stored."""
    if sa.inspect(connection).has_table(monitor_signal_hours.name):
        return  # a store downgraded by hand (or by a test) that kept it: already summed
    monitor_signal_hours.create(connection)
    s = monitor_signals
    if connection.dialect.name == "postgresql":
        hour = sa.func.floor(s.c.window_end / HOUR) * HOUR
    else:  # SQLite truncates towards zero: the floor of an epoch time
        hour = sa.cast(s.c.window_end / HOUR, sa.Integer) * HOUR
    version = sa.func.coalesce(s.c.version, "")
    summed = sa.select(
        s.c.model, s.c.signal, hour, version, s.c.subject, sa.func.sum(s.c.value), sa.func.count()
    ).group_by(s.c.model, s.c.signal, hour, version, s.c.subject)
    h = monitor_signal_hours
    columns = ["model", "signal", "hour", "version", "subject", "total", "windows"]
    connection.execute(h.insert().from_select([h.c[name] for name in columns], summed))


def _add_registered_versions(connection: sa.Connection) -> None:
    """Versions registered by ``monitml retrain``, and promotion states."""
    for table in (model_versions, promotions):
        table.create(connection, checkfirst=True)


def _add_fallback_columns(connection: sa.Connection) -> None:
    """``predictions.fallback`` and ``predictions.replaced_version``, null on the rows logged
    before (no fallback answered them)."""
    table, preparer = predictions, connection.dialect.identifier_preparer
    # A store downgraded by hand (or by a test) may have them already.
    present = {column["name"] for column in sa.inspect(connection).get_columns(table.name)}
    for name in ("fallback", "replaced_version"):
        if name in present:
            continue
        kind = table.c[name].type.compile(dialect=connection.dialect)
        connection.execute(
            sa.text(
                f"ALTER TABLE {preparer.format_table(table)} "
                f"ADD COLUMN {preparer.quote(name)} {kind}"
            )
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "predictions, labels, references, monitor results, alerts", _create_tables),
    Migration(2, "monitor result summaries and signals, for the dashboard", _add_result_summaries),
    Migration(
        3, "routing, leases and alert state shared by replicas; age indexes", _add_shared_state
    ),
    Migration(4, "monitor signals summed per hour, for the dashboard", _add_signal_hours),
    Migration(5, "versions registered after start-up; promotion states", _add_registered_versions),
    Migration(
        6, "why a fallback answered a prediction, and for which version", _add_fallback_columns
    ),
)


def current_version(connection: sa.Connection) -> int:
    """The schema version recorded in the database, 0 when it has none."""
    if not sa.inspect(connection).has_table(schema_version.name):
        return 0
    found = connection.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
    return int(found or 0)


def migrate(engine: sa.Engine) -> list[int]:
    """Bring the database to the latest version; return the versions applied (empty if none)."""
    # The SQLite begin hook in monitml.store.engine reads this option to take the write lock now.
    options = {"monitml_sqlite_begin": "BEGIN IMMEDIATE"}
    with engine.connect().execution_options(**options) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_ADVISORY_LOCK_KEY)))
        found = current_version(connection)
        latest = MIGRATIONS[-1].version
        if found > latest:
            raise StoreError(
                f"The store's schema is at version {found}, newer than this MonitML "
                f"knows ({latest}); upgrade MonitML."
            )
        if found == 0:
            _create_tables(connection)
            pending: tuple[Migration, ...] = MIGRATIONS
        else:
            pending = tuple(m for m in MIGRATIONS if m.version > found)
            for migration in pending:
                migration.apply(connection)
        if pending:
            connection.execute(
                schema_version.insert(),
                [
                    {
                        "version": m.version,
                        "description": m.description,
                        "applied_at": time.time(),
                    }
                    for m in pending
                ],
            )
    return [m.version for m in pending]
