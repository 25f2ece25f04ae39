"""Bulk insert of prediction rows, below SQLAlchemy: the writer's hot loop.

Through SQLAlchemy, an ``executemany`` spends about as long building parameters per row as
SQLite spends inserting it, so rows go to the driver directly, as tuples, inside the caller's
SQLAlchemy transaction: ``COPY ... FROM STDIN`` on PostgreSQL (several times faster than even
pipelined INSERTs), ``executemany`` of one prepared INSERT on SQLite. Driver errors are classified
here, since SQLAlchemy never sees them: connection problems raise ``StoreError``, refused data
``DataError``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

import sqlalchemy as sa

from monitml.errors import DataError, StoreError
from monitml.store.encoding import ROW_COLUMNS, row_values
from monitml.store.records import PredictionRecord
from monitml.store.tables import predictions

__all__ = ["insert_rows"]


def insert_rows(connection: sa.Connection, records: Iterable[PredictionRecord]) -> int:
    """Insert records into ``predictions`` in the connection's transaction; return how many."""
    rows = [row_values(r) for r in records]
    if not rows:
        return 0
    table = connection.dialect.identifier_preparer.format_table(predictions)
    driver_connection = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        _copy(driver_connection, table, rows)
    else:
        _execute_many(driver_connection, table, rows)  # type: ignore[arg-type]
    return len(rows)


def _copy(driver_connection: object, table: str, rows: list[tuple[object, ...]]) -> None:
    import psycopg  # noqa: PLC0415 - an optional dependency, only needed with PostgreSQL

    sql = f"COPY {table} ({', '.join(ROW_COLUMNS)}) FROM STDIN"
    try:
        with driver_connection.cursor() as cursor, cursor.copy(sql) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
    except (psycopg.OperationalError, psycopg.InterfaceError) as error:
        raise StoreError(f"The store became unreachable during COPY: {error}") from error
    except psycopg.Error as error:
        raise DataError(f"The store refused a batch of predictions: {error}") from error


def _execute_many(
    driver_connection: sqlite3.Connection, table: str, rows: list[tuple[object, ...]]
) -> None:
    marks = ", ".join("?" * len(ROW_COLUMNS))
    sql = f"INSERT INTO {table} ({', '.join(ROW_COLUMNS)}) VALUES ({marks})"
    try:
        driver_connection.executemany(sql, rows)
    except sqlite3.OperationalError as error:  # locked, disk I/O, missing table: retry later
        raise StoreError(f"The store could not be written: {error}") from error
    except sqlite3.Error as error:
        raise DataError(f"The store refused a batch of predictions: {error}") from error
