"""SQLAlchemy Core tables of the prediction store.

Every timestamp is a float of seconds since the Unix epoch, UTC, as in the record contract: one
representation in Python, SQLite and PostgreSQL, and windows are plain float comparisons.

JSON values are written as text that the store encodes itself (see ``monitml.store.encoding``) and
read back through :func:`json_text`, so that both backends take and give the same strings and a
window of 100k rows is parsed by one ``json.loads`` call instead of 100k.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import UserDefinedType

__all__ = [
    "alert_state",
    "alerts",
    "json_text",
    "labels",
    "leases",
    "metadata",
    "model_versions",
    "monitor_results",
    "monitor_signal_hours",
    "monitor_signals",
    "predictions",
    "promotions",
    "references",
    "routing",
    "schema_version",
    "write_batches",
]


class _PostgresJson(UserDefinedType[str]):
    """PostgreSQL ``JSON`` without SQLAlchemy's bind processing: we bind already-encoded text.

    psycopg sends a ``str`` parameter with an unknown type, which PostgreSQL casts to json (and
    validates); ``JSON`` rather than ``JSONB`` keeps the text as written and inserts faster.
    """

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "JSON"


# Text on SQLite (where JSON is text anyway), json on PostgreSQL.
JsonText = sa.Text().with_variant(_PostgresJson(), "postgresql")
# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

predictions = sa.Table(
    "predictions",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("request_id", sa.String, nullable=False),
    sa.Column("record_id", sa.String, nullable=False),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("version", sa.String, nullable=False),
    sa.Column("shadow", sa.Boolean, nullable=False),
    sa.Column("ts", sa.Double, nullable=False),
    sa.Column("features", JsonText, nullable=False),
    sa.Column("prediction", JsonText, nullable=False),
    sa.Column("probabilities", JsonText, nullable=True),
    sa.Column("latency_seconds", sa.Double, nullable=False),
    # Set when the model's fallback version answered instead of the routed one (migration 6):
    # why ("out_of_range", "unseen_category") and which routed version it answered for.
    sa.Column("fallback", sa.String, nullable=True),
    sa.Column("replaced_version", sa.String, nullable=True),
    # Windows filter by model and time, with or without a version; labels join on record_id.
    sa.Index(None, "model", "version", "ts"),
    sa.Index(None, "model", "ts"),
    sa.Index(None, "model", "record_id"),
)

labels = sa.Table(
    "labels",
    metadata,
    sa.Column("model", sa.String, primary_key=True),
    sa.Column("record_id", sa.String, primary_key=True),
    sa.Column("label", JsonText, nullable=False),
    sa.Column("ts", sa.Double, nullable=False),
    sa.Index(None, "ts"),  # retention prunes by age
)

references = sa.Table(
    "references",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("created_at", sa.Double, nullable=False),
    sa.Column("format", sa.String, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Index(None, "model", "created_at"),
)

monitor_results = sa.Table(
    "monitor_results",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("version", sa.String, nullable=True),
    sa.Column("run_at", sa.Double, nullable=False),
    sa.Column("window_start", sa.Double, nullable=True),
    sa.Column("window_end", sa.Double, nullable=True),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("payload", JsonText, nullable=False),
    # A few numbers of a window's payload, copied out when it is saved (monitml.store.summaries)
    # so that the dashboard charts months of windows without parsing a payload.
    sa.Column("window_rows", sa.Integer, nullable=True),
    sa.Column("prediction_mean", sa.Double, nullable=True),
    sa.Column("prediction_min", sa.Double, nullable=True),
    sa.Column("prediction_max", sa.Double, nullable=True),
    sa.Column("drift_share", sa.Double, nullable=True),
    sa.Column("dataset_drift", sa.Boolean, nullable=True),
    sa.Index(None, "model", "run_at"),
    # Covers the dashboard's reads of the summaries: SQLite keeps a row's columns after its
    # payload in the payload's overflow pages, so only an index-only read stays narrow.
    sa.Index(
        "ix_monitor_results_window_summaries",
        "model",
        "version",
        "window_end",
        "kind",
        "run_at",
        "window_rows",
        "prediction_mean",
        "prediction_min",
        "prediction_max",
        "drift_share",
        "dataset_drift",
    ),
)

# One row per feature or metric of a saved window: the feature's drift verdict (0/1) and missing
# share, and each performance metric. The index covers every column the dashboard groups by, so
# a heatmap over a month of windows is read from the index alone.
monitor_signals = sa.Table(
    "monitor_signals",
    metadata,
    sa.Column("result_id", BigId, primary_key=True, autoincrement=False),
    sa.Column("signal", sa.String, primary_key=True),
    sa.Column("subject", sa.String, primary_key=True),
    sa.Column("model", sa.String, nullable=False),
    sa.Column("version", sa.String, nullable=True),
    sa.Column("window_end", sa.Double, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.Index(None, "model", "signal", "window_end", "version", "subject", "value"),
)

# The signals summed per clock hour, kept up to date as windows are saved, so that a chart over
# weeks reads hours instead of every window: ``total / windows`` is the hour's mean (for
# ``feature_drift`` the share of its windows in which the feature drifted). ``version`` is ''
# for results saved without one. Clustered on its key in SQLite (no rowid): reads are index-only.
monitor_signal_hours = sa.Table(
    "monitor_signal_hours",
    metadata,
    sa.Column("model", sa.String, primary_key=True),
    sa.Column("signal", sa.String, primary_key=True),
    sa.Column("hour", sa.Double, primary_key=True),
    sa.Column("version", sa.String, primary_key=True),
    sa.Column("subject", sa.String, primary_key=True),
    sa.Column("total", sa.Double, nullable=False),
    sa.Column("windows", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)

alerts = sa.Table(
    "alerts",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("rule", sa.String, nullable=False),
    sa.Column("model", sa.String, nullable=True),
    sa.Column("version", sa.String, nullable=True),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("starts_at", sa.Double, nullable=False),
    sa.Column("ends_at", sa.Double, nullable=True),
    sa.Column("value", sa.Double, nullable=True),
    sa.Column("payload", JsonText, nullable=False),
    sa.Index(None, "model", "starts_at"),
    sa.Index(None, "rule", "starts_at"),
)

# One row per committed writer batch, written in the batch's own transaction: a batch whose commit
# was in doubt (connection cut after COMMIT was sent) or that sits in a spill file after a crash
# can be replayed, and is skipped if its id is already here. That is what makes replay exactly-once.
write_batches = sa.Table(
    "monitml_write_batches",
    metadata,
    sa.Column("batch_id", sa.String, primary_key=True),
    sa.Column("committed_at", sa.Double, nullable=False),
    sa.Column("records", sa.Integer, nullable=False),
    sa.Index(None, "committed_at"),  # retention prunes by age
)

# The routing every gateway replica serves: one row per model changed through PUT …/routing
# (the config's routing applies to the others). ``revision`` grows by one with every change,
# store-wide, so a replica polls ``max(revision)`` and reloads the table only when it moved.
routing = sa.Table(
    "monitml_routing",
    metadata,
    sa.Column("model", sa.String, primary_key=True),
    sa.Column("weights", JsonText, nullable=False),
    sa.Column("shadow", JsonText, nullable=False),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

# Leases with an expiry (SQLite's way of electing one active monitor; PostgreSQL uses an
# advisory lock instead, see ``monitml.store.lease``).
leases = sa.Table(
    "monitml_leases",
    metadata,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("holder", sa.String, nullable=False),
    sa.Column("expires_at", sa.Double, nullable=False),
)

# What the active monitor's alert engine needs to go on where it stopped (alerts pending or
# firing, which of them were notified and when): a standby taking over reads it back.
alert_state = sa.Table(
    "monitml_alert_state",
    metadata,
    sa.Column("name", sa.String, primary_key=True),
    sa.Column("state", JsonText, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

# Versions registered after start-up (by ``monitml retrain``): every gateway replica polls
# ``max(revision)`` as it does for routing, and loads a new version from its ``source``.
model_versions = sa.Table(
    "monitml_model_versions",
    metadata,
    sa.Column("model", sa.String, primary_key=True),
    sa.Column("version", sa.String, primary_key=True),
    sa.Column("source", JsonText, nullable=False),
    sa.Column("payload", JsonText, nullable=False),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("registered_at", sa.Double, nullable=False),
)

# One promotion per model at a time: its plan, step, checks and history, saved whole by the
# process that drives it, so that another process (after a restart or a failover) goes on.
promotions = sa.Table(
    "monitml_promotions",
    metadata,
    sa.Column("model", sa.String, primary_key=True),
    sa.Column("state", JsonText, nullable=False),
    sa.Column("updated_at", sa.Double, nullable=False),
)

schema_version = sa.Table(
    "monitml_schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("description", sa.String, nullable=False),
    sa.Column("applied_at", sa.Double, nullable=False),
)


def json_text(column: sa.ColumnElement[Any]) -> sa.ColumnElement[str]:
    """Select a JSON column as its text, whatever the backend's driver would decode it into."""
    return sa.cast(column, sa.Text)
