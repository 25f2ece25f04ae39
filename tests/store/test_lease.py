"""One holder at a time: PostgreSQL advisory locks, SQLite lease rows."""

from __future__ import annotations

import time

import pytest

from monitml.store import PredictionStore
from monitml.store.lease import AdvisoryLease, RowLease, open_lease


def _second(store_url: str) -> PredictionStore:
    return PredictionStore.from_url(store_url)


def test_only_one_of_two_processes_holds_the_lease_until_it_releases_it(
    store: PredictionStore, store_url: str
) -> None:
    other = _second(store_url)
    first = open_lease(store.engine, "monitor", ttl=60.0)
    second = open_lease(other.engine, "monitor", ttl=60.0)
    try:
        assert first.acquire()
        assert not second.acquire()
        assert first.acquire()  # the holder keeps it
        assert not second.acquire()

        first.release()

        assert second.acquire()
        assert not first.acquire()
    finally:
        first.release()
        second.release()
        other.dispose()


def test_leases_of_different_names_do_not_exclude_each_other(store: PredictionStore) -> None:
    monitor = open_lease(store.engine, "monitor", ttl=60.0)
    pruner = open_lease(store.engine, "retention", ttl=60.0)
    try:
        assert monitor.acquire()
        assert pruner.acquire()
    finally:
        monitor.release()
        pruner.release()


def test_a_lease_row_whose_holder_stopped_renewing_is_taken_over_once_it_expires(
    store: PredictionStore,
) -> None:
    now = [1_000.0]
    dead = RowLease(store.engine, "monitor", ttl=30.0, holder="dead", clock=lambda: now[0])
    standby = RowLease(store.engine, "monitor", ttl=30.0, holder="standby", clock=lambda: now[0])
    assert dead.acquire()

    now[0] += 29.0
    assert not standby.acquire()
    now[0] += 1.0

    assert standby.acquire()
    assert not dead.acquire()


@pytest.mark.postgres
def test_an_advisory_lease_is_free_as_soon_as_its_holders_session_ends(postgres_url: str) -> None:
    store, other = _second(postgres_url), _second(postgres_url)
    holder, standby = AdvisoryLease(store.engine, "monitor"), AdvisoryLease(other.engine, "monitor")
    try:
        assert holder.acquire()
        assert not standby.acquire()
        assert holder._connection is not None
        # What a killed process leaves: the server ends its session.
        with other.engine.connect() as admin:
            pid = admin.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        holder_pid = holder._connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        assert pid != holder_pid
        with other.engine.connect() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(holder_pid)})")

        deadline = time.monotonic() + 5
        while not standby.acquire():  # the backend ends a moment after the signal
            assert time.monotonic() < deadline, "the lock outlived its session"
            time.sleep(0.05)
        assert not holder.acquire()  # it notices its session is gone
    finally:
        holder.release()
        standby.release()
        store.dispose()
        other.dispose()
