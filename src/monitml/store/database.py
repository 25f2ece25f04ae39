"""``PredictionStore``: predictions, labels and windows on SQLite or PostgreSQL.

>>> store = PredictionStore.from_url("sqlite:///:memory:")   # doctest: +SKIP
>>> store.insert_predictions(records)                         # doctest: +SKIP
>>> window = store.read_window("churn", last_n=5_000)         # doctest: +SKIP

Reference data, monitor results and alert events live in ``monitml.store.results``; the store
exposes them as methods so that callers hold one object.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import exc
from sqlalchemy.dialects import postgresql, sqlite

from monitml.errors import StoreError
from monitml.store import registered, results, shared
from monitml.store.bulk import insert_rows
from monitml.store.encoding import dumps
from monitml.store.engine import (
    DEFAULT_URL,
    create_store_engine,
    hide_passwords,
    is_connection_error,
    safe_url,
)
from monitml.store.frames import frame_from_rows
from monitml.store.migrations import migrate
from monitml.store.records import LabelRecord, PredictionRecord
from monitml.store.tables import json_text, labels, predictions, write_batches

__all__ = ["PredictionStore"]

_ID_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits


class PredictionStore:
    """The prediction log and everything the monitor keeps, behind one SQLAlchemy engine.

    Thread-safe: every method takes its own pooled connection. Connection failures raise
    :class:`~monitml.errors.StoreError`; records the database refuses raise
    :class:`~monitml.errors.DataError`.
    """

    def __init__(self, engine: sa.Engine) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise StoreError(
                f"The store supports sqlite and postgresql URLs. Got {engine.dialect.name} instead."
            )
        self.engine = engine

    @classmethod
    def from_url(cls, url: str = DEFAULT_URL, *, migrate: bool = True) -> PredictionStore:
        """Open the store at ``url`` and, by default, migrate its schema to the latest version.

        With ``migrate=False`` nothing connects yet; call :meth:`create_schema` later.
        """
        try:
            store = cls(create_store_engine(url))
        except exc.ArgumentError as error:
            shown = hide_passwords(f"Cannot use the store URL {url}: {error}")
            raise StoreError(shown) from error
        if migrate:
            store.create_schema()
        return store

    def create_schema(self) -> list[int]:
        """Create or upgrade the tables (idempotent); return the schema versions applied now."""
        with self._connection_errors():
            return migrate(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextmanager
    def _connection_errors(self) -> Iterator[None]:
        try:
            yield
        except exc.SQLAlchemyError as error:
            if is_connection_error(error):
                where = safe_url(self.engine.url)
                message = f"The store at {where} is unreachable: {type(error).__name__}"
                raise StoreError(message) from error
            raise

    def _insert(self) -> Any:
        return postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert

    # -- predictions -------------------------------------------------------------------------

    def insert_predictions(
        self, records: Sequence[PredictionRecord], *, batch_id: str | None = None
    ) -> int:
        """Insert records in one transaction; return how many were inserted.

        With a ``batch_id``, the batch is written at most once: if a batch with that id was
        committed before, nothing is inserted and 0 is returned (see ``tables.write_batches``).
        """
        if batch_id is not None:
            return self.insert_batches([(batch_id, records)])
        with self._connection_errors(), self.engine.begin() as connection:
            return insert_rows(connection, records)

    def insert_batches(self, batches: Sequence[tuple[str, Sequence[PredictionRecord]]]) -> int:
        """Insert several identified batches in one transaction, each at most once.

        Batches whose id was committed before are skipped. Returns the records inserted.
        """
        by_id = dict(batches)  # an id given twice is one batch
        if not by_id:
            return 0
        with self._connection_errors(), self.engine.begin() as connection:
            claimed = self._claim_batches(connection, by_id)
            return insert_rows(connection, (r for b in claimed for r in by_id[b]))

    def _claim_batches(
        self, connection: sa.Connection, batches: Mapping[str, Sequence[PredictionRecord]]
    ) -> list[str]:
        """Record the batch ids in ``write_batches``; return those not recorded before."""
        now = time.time()
        claim = self._insert()(write_batches).values(
            [{"batch_id": b, "committed_at": now, "records": len(r)} for b, r in batches.items()]
        )
        # RETURNING rather than rowcount, which psycopg leaves at -1 here.
        claim = claim.on_conflict_do_nothing().returning(write_batches.c.batch_id)
        fresh = set(connection.execute(claim).scalars())
        return [b for b in batches if b in fresh]

    def count_predictions(self, model: str | None = None) -> int:
        """How many predictions are stored (for one model, or all)."""
        query = sa.select(sa.func.count()).select_from(predictions)
        if model is not None:
            query = query.where(predictions.c.model == model)
        with self._connection_errors(), self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    # -- labels ------------------------------------------------------------------------------

    def insert_labels(self, labels_in: Sequence[LabelRecord]) -> list[str]:
        """Store labels (a later label for the same record replaces the earlier one) and return
        the record ids, in input order, that have no stored prediction for their model.

        Those labels are stored anyway: a label may arrive before its prediction is written.
        """
        latest: dict[tuple[str, str], LabelRecord] = {}
        for label in labels_in:  # the same record twice in one batch: the later one wins
            latest[(label.model, label.record_id)] = label
        if not latest:
            return []
        rows = [
            {"model": m, "record_id": r, "label": dumps(x.label), "ts": x.timestamp}
            for (m, r), x in latest.items()
        ]
        upsert = self._insert()(labels)
        upsert = upsert.on_conflict_do_update(
            index_elements=[labels.c.model, labels.c.record_id],
            set_={"label": upsert.excluded.label, "ts": upsert.excluded.ts},
        )
        by_model: dict[str, list[str]] = {}
        for model, record_id in latest:
            by_model.setdefault(model, []).append(record_id)
        with self._connection_errors(), self.engine.begin() as connection:
            connection.execute(upsert, rows)
            unknown = {
                (model, record_id)
                for model, ids in by_model.items()
                for record_id in set(ids) - self._known(connection, model, ids)
            }
        return list(dict.fromkeys(r for (m, r) in latest if (m, r) in unknown))

    def known_record_ids(self, model: str, ids: Iterable[str]) -> set[str]:
        """The subset of ``ids`` that have at least one stored prediction for ``model``."""
        with self._connection_errors(), self.engine.connect() as connection:
            return self._known(connection, model, list(ids))

    @staticmethod
    def _known(connection: sa.Connection, model: str, ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), _ID_CHUNK):
            query = (
                sa.select(predictions.c.record_id)
                .where(predictions.c.model == model)
                .where(predictions.c.record_id.in_(unique[start : start + _ID_CHUNK]))
                .distinct()
            )
            found.update(connection.execute(query).scalars())
        return found

    # -- windows -----------------------------------------------------------------------------

    def read_window(
        self,
        model: str,
        version: str | None = None,
        *,
        last_n: int | None = None,
        start: float | None = None,
        end: float | None = None,
        include_shadow: bool = False,
        with_labels: bool = True,
    ) -> pd.DataFrame:
        """Predictions of ``model`` as a frame, oldest first.

        Columns: one per feature; ``prediction``; ``proba_<class>`` when probabilities were
        logged; ``label`` (joined by record id, missing when unknown or ``with_labels=False``);
        ``timestamp`` (epoch seconds); ``version``, ``shadow``, ``record_id``, ``request_id``,
        ``latency_seconds``; ``fallback`` and ``replaced_version`` (why the model's fallback
        answered, for which routed version; None otherwise). Rows have ``start <= timestamp <
        end``; ``last_n`` keeps the most recent ones of those. Shadow predictions are left out
        unless ``include_shadow``.
        """
        if last_n is not None and last_n < 1:
            raise ValueError(
                f"The 'last_n' parameter of read_window must be >= 1. Got {last_n!r} instead."
            )
        p = predictions
        label_column = json_text(labels.c.label) if with_labels else sa.null()
        query = sa.select(
            p.c.record_id,
            p.c.request_id,
            p.c.version,
            p.c.shadow,
            p.c.ts,
            p.c.latency_seconds,
            json_text(p.c.features),
            json_text(p.c.prediction),
            json_text(p.c.probabilities),
            label_column,
            p.c.fallback,
            p.c.replaced_version,
        ).where(p.c.model == model)
        if with_labels:
            query = query.select_from(
                p.outerjoin(
                    labels,
                    sa.and_(labels.c.model == p.c.model, labels.c.record_id == p.c.record_id),
                )
            )
        if version is not None:
            query = query.where(p.c.version == version)
        if not include_shadow:
            query = query.where(p.c.shadow.is_(False))
        if start is not None:
            query = query.where(p.c.ts >= start)
        if end is not None:
            query = query.where(p.c.ts < end)
        if last_n is not None:
            query = query.order_by(p.c.ts.desc(), p.c.id.desc()).limit(last_n)
        else:
            query = query.order_by(p.c.ts, p.c.id)
        with self._connection_errors(), self.engine.connect() as connection:
            rows = list(connection.execute(query).all())
        if last_n is not None:
            rows.reverse()
        return frame_from_rows(rows)

    # -- reference data, monitor results, alert events (see monitml.store.results) -----------

    def save_reference(
        self, model: str, frame: pd.DataFrame, *, created_at: float | None = None
    ) -> int:
        """Store ``frame`` as the newest reference data of ``model``; return its id."""
        with self._connection_errors(), self.engine.begin() as connection:
            return results.save_reference(connection, model, frame, created_at)

    def load_reference(self, model: str) -> pd.DataFrame | None:
        """The newest reference data saved for ``model``, or None."""
        with self._connection_errors(), self.engine.connect() as connection:
            return results.load_reference(connection, model)

    def save_monitor_result(self, result: Mapping[str, Any]) -> int:
        """Store one monitor result (see :func:`monitml.store.results.save_monitor_result`)."""
        with self._connection_errors(), self.engine.begin() as connection:
            return results.save_monitor_result(connection, result)

    def list_monitor_results(
        self,
        model: str,
        *,
        version: str | None = None,
        kind: str | None = None,
        since: float | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Monitor results of ``model``, newest first."""
        with self._connection_errors(), self.engine.connect() as connection:
            return results.list_monitor_results(
                connection, model, version=version, kind=kind, since=since, limit=limit
            )

    def save_alert_event(self, event: Mapping[str, Any]) -> int:
        """Store one alert event (see :func:`monitml.store.results.save_alert_event`)."""
        with self._connection_errors(), self.engine.begin() as connection:
            return results.save_alert_event(connection, event)

    def list_alert_events(
        self,
        *,
        model: str | None = None,
        rule: str | None = None,
        since: float | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Alert events, newest first."""
        with self._connection_errors(), self.engine.connect() as connection:
            return results.list_alert_events(
                connection, model=model, rule=rule, since=since, limit=limit
            )

    # -- state shared by replicas (see monitml.store.shared) ---------------------------------

    def save_routing(
        self, model: str, weights: Mapping[str, float], shadow: Sequence[str] = ()
    ) -> int:
        """Record a routing change for every replica; return its store-wide revision."""
        options = {"monitml_sqlite_begin": "BEGIN IMMEDIATE"}
        with (
            self._connection_errors(),
            self.engine.connect().execution_options(**options) as connection,
            connection.begin(),
        ):
            return shared.save_routing(connection, model, weights, shadow)

    def load_routing(self) -> dict[str, shared.SavedRouting]:
        """The routing of every model changed through :meth:`save_routing`."""
        with self._connection_errors(), self.engine.connect() as connection:
            return shared.load_routing(connection)

    def routing_revision(self) -> int:
        """The newest routing revision (0: never changed); cheap enough to poll."""
        with self._connection_errors(), self.engine.connect() as connection:
            return shared.routing_revision(connection)

    def save_alert_state(self, name: str, state: Mapping[str, Any]) -> None:
        """Replace the alert engine state saved under ``name``."""
        with self._connection_errors(), self.engine.begin() as connection:
            shared.save_alert_state(connection, name, state)

    def load_alert_state(self, name: str) -> dict[str, Any] | None:
        """The alert engine state saved under ``name``, or None."""
        with self._connection_errors(), self.engine.connect() as connection:
            return shared.load_alert_state(connection, name)

    # -- versions registered after start-up, promotions (see monitml.store.registered) -------

    def register_version(
        self, model: str, version: str, source: Mapping[str, Any], payload: Mapping[str, Any]
    ) -> int:
        """Record a version every replica will serve; return its store-wide revision."""
        options = {"monitml_sqlite_begin": "BEGIN IMMEDIATE"}
        with (
            self._connection_errors(),
            self.engine.connect().execution_options(**options) as connection,
            connection.begin(),
        ):
            return registered.register_version(connection, model, version, source, payload)

    def list_versions(self, model: str | None = None) -> list[dict[str, Any]]:
        """Registered versions, oldest registration first."""
        with self._connection_errors(), self.engine.connect() as connection:
            return registered.list_versions(connection, model)

    def versions_revision(self) -> int:
        """The newest registration's revision (0: none); cheap enough to poll."""
        with self._connection_errors(), self.engine.connect() as connection:
            return registered.versions_revision(connection)

    def save_promotion(self, model: str, state: Mapping[str, Any]) -> None:
        """Replace the promotion state of ``model``."""
        with self._connection_errors(), self.engine.begin() as connection:
            registered.save_promotion(connection, model, state)

    def load_promotion(self, model: str) -> dict[str, Any] | None:
        """The promotion state of ``model``, or None."""
        with self._connection_errors(), self.engine.connect() as connection:
            return registered.load_promotion(connection, model)

    def list_promotions(self) -> dict[str, dict[str, Any]]:
        """Every model's promotion state."""
        with self._connection_errors(), self.engine.connect() as connection:
            return registered.list_promotions(connection)

    def delete_promotion(self, model: str) -> bool:
        """Forget the promotion state of ``model``."""
        with self._connection_errors(), self.engine.begin() as connection:
            return registered.delete_promotion(connection, model)

    def prune_write_batches(self, older_than: float) -> int:
        """Forget writer batch ids committed before ``older_than`` (epoch seconds)."""
        query = write_batches.delete().where(write_batches.c.committed_at < older_than)
        with self._connection_errors(), self.engine.begin() as connection:
            return int(connection.execute(query).rowcount)
