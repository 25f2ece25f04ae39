"""Leases: which one of several processes sharing a store is the active one (the monitor).

>>> lease = open_lease(store.engine, "monitor", ttl=90.0)   # doctest: +SKIP
>>> if lease.acquire(): ...                                 # doctest: +SKIP  (call it every pass)

What is guaranteed, and what is not:

- PostgreSQL (:class:`AdvisoryLease`): a session advisory lock, taken with
  ``pg_try_advisory_lock`` on a connection kept for the lease alone. At most one session holds
  it. When the holder dies (kill -9, OOM, a lost machine whose TCP connection the server drops)
  the server ends its session and the lock is free at once: a standby calling
  :meth:`~AdvisoryLease.acquire` every interval takes over within one interval. The holder
  checks its connection on every ``acquire``; if the connection is gone, so is the lock, and it
  reports ``False``. The lock is named after the lease and the connection's ``current_schema()``,
  so stores in different schemas of one database have different leases.
- SQLite (:class:`RowLease`): a row with a holder and an expiry, taken or renewed in a
  ``BEGIN IMMEDIATE`` transaction. A holder that dies keeps it until it expires, so a standby
  takes over within ``ttl`` plus one interval; a holder that cannot renew within ``ttl`` (a pass
  much longer than expected) may overlap with its successor by one pass. SQLite stores are on
  one machine; the clocks compared are that machine's.
- Neither fences a holder that is paused (SIGSTOP, a stuck disk) and resumes after losing the
  lease: it finds out at its next ``acquire``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy import exc

from monitml.store.tables import leases

__all__ = ["AdvisoryLease", "Lease", "RowLease", "new_holder", "open_lease"]

logger = logging.getLogger(__name__)


class Lease(Protocol):
    """``acquire()`` takes or keeps the lease and says whether this process holds it now."""

    def acquire(self) -> bool: ...

    def release(self) -> None: ...


def new_holder() -> str:
    """A holder name no other process makes, readable in the table: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def open_lease(engine: sa.Engine, name: str, *, ttl: float) -> Lease:
    """The lease ``name`` of the store behind ``engine``: advisory on PostgreSQL, else a row."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine, name)
    return RowLease(engine, name, ttl=ttl)


class AdvisoryLease:
    """A PostgreSQL session advisory lock on a connection of its own."""

    def __init__(self, engine: sa.Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._connection: sa.Connection | None = None
        self._key: int | None = None
        self._held = False

    def acquire(self) -> bool:
        try:
            connection = self._connect()
            if self._held:
                connection.execute(sa.text("SELECT 1"))  # the lock lives as long as the session
                return True
            got = connection.execute(sa.select(sa.func.pg_try_advisory_lock(self._key))).scalar()
        except exc.SQLAlchemyError as error:
            if self._held:
                logger.warning("Lost the %r lease: its connection failed (%s)", self.name, error)
            self._drop()
            return False
        self._held = bool(got)
        return self._held

    def _connect(self) -> sa.Connection:
        if self._connection is None:
            # Autocommit: a session lock needs no transaction, and none stays open idle.
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            try:
                schema = str(connection.execute(sa.select(sa.func.current_schema())).scalar())
            except BaseException:
                connection.close()
                raise
            digest = hashlib.blake2b(f"monitml:{schema}:{self.name}".encode(), digest_size=8)
            self._key = int.from_bytes(digest.digest(), "big", signed=True)
            self._connection = connection
        return self._connection

    def _drop(self) -> None:
        self._held = False
        if self._connection is not None:
            try:
                self._connection.invalidate()  # never back to the pool: it may hold the lock
                self._connection.close()
            except exc.SQLAlchemyError:
                pass
            self._connection = None

    def release(self) -> None:
        """Unlock now (the server would also unlock when the session ends, a moment later)."""
        if self._held and self._connection is not None:
            with contextlib.suppress(exc.SQLAlchemyError):
                self._connection.execute(sa.select(sa.func.pg_advisory_unlock(self._key)))
        self._drop()


class RowLease:
    """A row of ``monitml_leases``: taken when free or expired, renewed by its holder."""

    def __init__(
        self,
        engine: sa.Engine,
        name: str,
        *,
        ttl: float,
        holder: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not ttl > 0:
            raise ValueError(f"The 'ttl' parameter of RowLease must be > 0. Got {ttl!r} instead.")
        self.engine = engine
        self.name = name
        self.ttl = ttl
        self.holder = holder or new_holder()
        self.clock = clock

    def acquire(self) -> bool:
        options = {"monitml_sqlite_begin": "BEGIN IMMEDIATE"}
        try:
            with (
                self.engine.connect().execution_options(**options) as connection,
                connection.begin(),
            ):
                return self._take(connection)
        except exc.SQLAlchemyError as error:
            logger.warning("Cannot take or renew the %r lease: %s", self.name, error)
            return False

    def _take(self, connection: sa.Connection) -> bool:
        now = self.clock()
        row = connection.execute(
            sa.select(leases.c.holder, leases.c.expires_at).where(leases.c.name == self.name)
        ).first()
        values = {"holder": self.holder, "expires_at": now + self.ttl}
        if row is None:
            connection.execute(leases.insert().values(name=self.name, **values))
            return True
        if row.holder != self.holder and row.expires_at > now:
            return False
        connection.execute(leases.update().where(leases.c.name == self.name).values(**values))
        return True

    def release(self) -> None:
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    leases.delete()
                    .where(leases.c.name == self.name)
                    .where(leases.c.holder == self.holder)
                )
        except exc.SQLAlchemyError as error:
            logger.warning(
                "Cannot release the %r lease (it expires on its own): %s", self.name, error
            )
