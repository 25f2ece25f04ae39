"""Schema migrations: idempotent, stamped, serialised between processes."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from monitml.errors import StoreError
from monitml.store import PredictionStore
from monitml.store.migrations import MIGRATIONS, current_version, migrate
from monitml.store.tables import schema_version


def test_opening_a_fresh_store_stamps_the_latest_version(store: PredictionStore) -> None:
    with store.engine.connect() as connection:
        assert current_version(connection) == MIGRATIONS[-1].version
        tables = set(sa.inspect(connection).get_table_names())
    assert {"predictions", "labels", "references", "monitor_results", "alerts"} <= tables


def test_migrating_again_changes_nothing(store: PredictionStore) -> None:
    assert store.create_schema() == []
    assert store.create_schema() == []
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(schema_version.c.version)).scalars().all()
    assert rows == [m.version for m in MIGRATIONS]


def test_two_processes_opening_a_fresh_store_at_once_migrate_it_once(store_url: str) -> None:
    engines = [PredictionStore.from_url(store_url, migrate=False).engine for _ in range(4)]
    applied: list[list[int]] = []
    errors: list[BaseException] = []

    def open_store(engine: sa.Engine) -> None:
        try:
            applied.append(migrate(engine))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=open_store, args=(e,)) for e in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for engine in engines:
        engine.dispose()

    assert errors == []
    assert sorted(applied) == [[], [], [], [m.version for m in MIGRATIONS]]


def test_a_store_from_a_newer_monitml_is_refused(store: PredictionStore) -> None:
    with store.engine.begin() as connection:
        connection.execute(
            schema_version.insert().values(version=999, description="future", applied_at=0.0)
        )

    with pytest.raises(StoreError, match="version 999"):
        store.create_schema()


def test_upgrading_a_version_two_store_adds_the_shared_state_tables_and_age_indexes(
    store: PredictionStore,
) -> None:
    with store.engine.begin() as connection:
        for table in ("monitml_routing", "monitml_leases", "monitml_alert_state"):
            connection.execute(sa.text(f"DROP TABLE {table}"))
        connection.execute(sa.text("DROP INDEX ix_labels_ts"))
        connection.execute(sa.text("DROP INDEX ix_monitml_write_batches_committed_at"))
        connection.execute(schema_version.delete().where(schema_version.c.version > 2))

    assert store.create_schema() == [m.version for m in MIGRATIONS if m.version > 2]

    with store.engine.connect() as connection:
        inspector = sa.inspect(connection)
        tables = set(inspector.get_table_names())
        label_indexes = {i["name"] for i in inspector.get_indexes("labels")}
        batch_indexes = {i["name"] for i in inspector.get_indexes("monitml_write_batches")}
    assert {"monitml_routing", "monitml_leases", "monitml_alert_state"} <= tables
    assert "ix_labels_ts" in label_indexes
    assert "ix_monitml_write_batches_committed_at" in batch_indexes
