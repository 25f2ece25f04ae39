"""Build a SQLAlchemy engine from a store URL, and tell connection failures from bad data.

SQLite gets WAL (readers never wait for the writer), ``synchronous=NORMAL`` (durable at each WAL
checkpoint, safe against corruption, much faster than FULL) and a busy timeout so that the
monitor and the gateway writing the same file wait instead of failing. pysqlite's own implicit
transactions are turned off and SQLAlchemy emits ``BEGIN`` itself, so DDL is transactional and a
connection may ask for ``BEGIN IMMEDIATE`` (see ``monitml.store.migrations``).
"""

from __future__ import annotations

import re
import sqlite3
import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc

__all__ = [
    "DEFAULT_URL",
    "create_store_engine",
    "hide_passwords",
    "is_connection_error",
    "safe_url",
]

DEFAULT_URL = "sqlite:///monitml.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 5


# ``user:secret@`` in a URL, with or without its ``scheme://``.
_PASSWORD = re.compile(r"([^:/@\s'\"]*):[^@\s/'\"]+@")


def safe_url(url: str | sa.URL) -> str:
    """The URL as it may be shown in a message or a log: password hidden.

    >>> safe_url("postgresql://monitml:s3cret@db/monitml")
    'postgresql://monitml:***@db/monitml'
    """
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:  # not parseable: still never show what looks like a password
        return hide_passwords(str(url))


def hide_passwords(text: str) -> str:
    """``scheme://user:secret@host`` → ``scheme://user:***@host`` wherever it is in ``text``.

    >>> hide_passwords("Could not parse 'postgresql://monitml:s3cret@db:port/x'")
    "Could not parse 'postgresql://monitml:***@db:port/x'"
    """
    return _PASSWORD.sub(r"\1:***@", text)


def create_store_engine(url: str) -> sa.Engine:
    """An engine for ``sqlite:///path.db`` or ``postgresql+psycopg://...`` (plain ``postgresql://``
    is taken to mean psycopg 3, the driver MonitML installs)."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed)
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(
        parsed,
        # A pooled connection may have died with the server or the network: test it before use.
        pool_pre_ping=True,
        connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S},
    )


def _configure_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _enter_wal(cursor)
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        statement = connection.get_execution_options().get("monitml_sqlite_begin", "BEGIN")
        connection.exec_driver_sql(statement)


def _enter_wal(cursor: sqlite3.Cursor) -> None:
    """``PRAGMA journal_mode = WAL``, retried while another connection converts a new file.

    Switching a fresh database to WAL needs an exclusive lock, and SQLite answers "database is
    locked" at once instead of waiting out the busy timeout when several processes open the
    same new file together; once the file is in WAL mode the pragma takes no lock at all.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def is_connection_error(error: BaseException) -> bool:
    """True when retrying later may succeed: the database is unreachable, restarting or locked.

    False for errors that retrying the same statement would repeat (bad data, missing column).
    """
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    # OperationalError covers refused/dropped connections, server shutdown and SQLite's
    # "database is locked"; InterfaceError a connection psycopg already knows is closed.
    return isinstance(error, exc.OperationalError | exc.InterfaceError | exc.DisconnectionError)
