"""``export_log``: the prediction log, labels joined, to the Parquet layout of
``monitml.store.partitions``, incrementally.

Each run appends the predictions stored since the last one and rewrites the date partitions
whose labels changed since. Its state is ``ROOT/_monitml_export.json``: per model, the highest
store id exported (``last_id``) and, per partition ``version/date``, a fingerprint of what was
exported (rows, labelled rows, and integer sums of the labels' timestamps and lengths).

What is guaranteed, and what is not:

- Idempotent: a run with nothing new in the store writes no file (the state is rewritten, the
  same). Shadow predictions are not exported (the monitor never reads them).
- Incremental: new predictions go to new files ``part-<first id>-<last id>-<i>.parquet`` in their
  partitions; the files already there are not read or rewritten.
- A late label reaches its row: a partition whose fingerprint changed (a label arrived for one
  of its rows, or replaced an earlier one with a new timestamp or text) is rewritten whole,
  its rows up to ``last_id`` read again from the store. A replaced label with the same
  timestamp and the same length of text is not noticed.
- Crash-safe: the state is replaced atomically after the files are written. A run that dies
  before leaves files whose first id is above the saved ``last_id``: the next run deletes them
  and writes those rows again, so no row is exported twice. A rewrite that dies midway is
  redone by the next run (the state still holds the old fingerprint).
- The export is an archive: a partition that lost rows or labels to ``store.retention`` keeps
  what was exported (it is neither rewritten nor emptied).
- Each run reads the fingerprints with one aggregate over the model's rows and labels in the
  store (no row leaves the database for that) and the new rows in batches of ``batch_rows``.
- On PostgreSQL, a prediction whose transaction commits after a run read the highest id, with
  an id below it, is missed (ids are drawn before commit). One writer process (``LogWriter``)
  with batches committed in order makes that a crash-time corner; SQLite commits in id order.
- One exporter at a time per ROOT: two concurrent runs on the same folder may duplicate rows.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import sqlalchemy as sa

from monitml.errors import DataError
from monitml.store.database import PredictionStore
from monitml.store.frames import META_COLUMNS, frame_from_rows
from monitml.store.partitions import TS_TYPE, date_of, partition_folders, partitioning
from monitml.store.tables import json_text, labels, predictions

__all__ = ["EXPORT_FORMAT", "STATE_FILE", "ExportSummary", "export_log"]

EXPORT_FORMAT = "monitml.log-export/1"
STATE_FILE = "_monitml_export.json"
_FILE = re.compile(r"^part-(\d+)-(\d+)-\d+\.parquet$")
_DAY = 86_400


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What one run wrote: new rows appended, partitions rewritten for labels, files written."""

    rows: int
    rewritten: int
    files: int
    models: tuple[str, ...]


Fingerprint = tuple[int, int, int, int]  # rows, labelled, sum of label ms, sum of label length


def export_log(
    store: PredictionStore,
    root: Path,
    *,
    models: Sequence[str] | None = None,
    batch_rows: int = 200_000,
) -> ExportSummary:
    """Bring ``root`` up to date with ``store`` (every model, or ``models``)."""
    if batch_rows < 1:
        raise ValueError(
            f"The 'batch_rows' parameter of export_log must be >= 1. Got {batch_rows!r} instead."
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DataError(f"cannot create {root}: {error.strerror or error}") from error
    state = _load_state(root)
    names = list(models) if models is not None else _stored_models(store)
    rows = rewritten = files = 0
    for model in names:
        saved = state["models"].get(model, {"last_id": 0, "partitions": {}})
        last_id = int(saved["last_id"])
        _delete_orphans(root, model, last_id)
        high = max(_highest_id(store, model), last_id)
        before: dict[str, Fingerprint] = {k: tuple(v) for k, v in saved["partitions"].items()}
        now = _fingerprints(store, model, high)
        for key, old in before.items():
            new = now.get(key)
            if new is None or not _labels_changed(old, new):
                now[key] = old if new is None or new[0] < old[0] or new[1] < old[1] else new
                continue
            version, date = key.split("/", 1)
            files += _rewrite(store, root, model, version, date, last_id)
            rewritten += 1
        for lo, hi, table in _batches(store, model, last_id, high, batch_rows):
            files += _write(
                root, table, f"part-{lo:012d}-{hi:012d}-{{i}}.parquet", "overwrite_or_ignore"
            )
            rows += table.num_rows
        state["models"][model] = {"last_id": high, "partitions": dict(sorted(now.items()))}
        _save_state(root, state)
    return ExportSummary(rows, rewritten, files, tuple(names))


def _labels_changed(old: Fingerprint, new: Fingerprint) -> bool:
    """More labels, or as many with other timestamps or texts; fewer means retention pruned."""
    rows_kept = new[0] >= old[0]
    return rows_kept and (new[1] > old[1] or (new[1] == old[1] and new[2:] != old[2:]))


def _load_state(root: Path) -> dict[str, Any]:
    path = root / STATE_FILE
    if not path.exists():
        if any(root.glob("model=*")):
            raise DataError(
                f"{root} holds a partitioned log but no {STATE_FILE}: export to a new folder"
            )
        return {"format": EXPORT_FORMAT, "models": {}}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DataError(f"cannot read the export state {path}: {error}") from error
    if not isinstance(state, dict) or state.get("format") != EXPORT_FORMAT:
        raise DataError(f"{path} is not a {EXPORT_FORMAT} export state")
    return state


def _save_state(root: Path, state: dict[str, Any]) -> None:
    path = root / STATE_FILE
    partial = path.with_name(path.name + ".tmp")
    with partial.open("w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def _delete_orphans(root: Path, model: str, last_id: int) -> None:
    """Files of a run that died before saving its state: their rows will be written again."""
    for name, folder in partition_folders(root, "model"):
        if name != model:
            continue
        for path in folder.glob("version=*/date=*/part-*.parquet"):
            match = _FILE.match(path.name)
            if match is not None and int(match.group(1)) > last_id:
                path.unlink()


def _stored_models(store: PredictionStore) -> list[str]:
    query = sa.select(predictions.c.model).distinct().order_by(predictions.c.model)
    with store.engine.connect() as connection:
        return [str(m) for m in connection.execute(query).scalars()]


def _highest_id(store: PredictionStore, model: str) -> int:
    query = sa.select(sa.func.max(predictions.c.id)).where(predictions.c.model == model)
    with store.engine.connect() as connection:
        return int(connection.execute(query).scalar_one() or 0)


def _day(store: PredictionStore) -> sa.ColumnElement[Any]:
    """Whole days since the epoch of ``predictions.ts`` (SQLite's CAST truncates; ts >= 0)."""
    days = predictions.c.ts / _DAY
    if store.engine.dialect.name == "postgresql":
        return sa.cast(sa.func.floor(days), sa.BigInteger)
    return sa.cast(days, sa.Integer)


def _fingerprints(store: PredictionStore, model: str, high: int) -> dict[str, Fingerprint]:
    p, lab = predictions, labels
    day = _day(store).label("day")
    label_ms = sa.cast(lab.c.ts * 1000, sa.BigInteger)
    query = (
        sa.select(
            p.c.version,
            day,
            sa.func.count(),
            sa.func.count(lab.c.record_id),
            sa.func.coalesce(sa.func.sum(label_ms), 0),
            sa.func.coalesce(sa.func.sum(sa.func.length(json_text(lab.c.label))), 0),
        )
        .select_from(
            p.outerjoin(lab, sa.and_(lab.c.model == p.c.model, lab.c.record_id == p.c.record_id))
        )
        .where(p.c.model == model, p.c.id <= high, p.c.shadow.is_(False))
        .group_by(p.c.version, day)
    )
    with store.engine.connect() as connection:
        found = connection.execute(query).all()
    return {
        f"{version}/{date_of(int(days) * _DAY)}": (int(n), int(k), int(ms), int(chars))
        for version, days, n, k, ms, chars in found
    }


def _select(model: str) -> sa.Select[Any]:
    p, lab = predictions, labels
    return (
        sa.select(
            p.c.id,
            p.c.record_id,
            p.c.request_id,
            p.c.version,
            p.c.shadow,
            p.c.ts,
            p.c.latency_seconds,
            json_text(p.c.features),
            json_text(p.c.prediction),
            json_text(p.c.probabilities),
            json_text(lab.c.label),
            p.c.fallback,
            p.c.replaced_version,
        )
        .select_from(
            p.outerjoin(lab, sa.and_(lab.c.model == p.c.model, lab.c.record_id == p.c.record_id))
        )
        .where(p.c.model == model, p.c.shadow.is_(False))
        .order_by(p.c.id)
    )


def _batches(
    store: PredictionStore, model: str, after: int, high: int, batch_rows: int
) -> Iterator[tuple[int, int, pa.Table]]:
    """The rows ``after < id <= high`` as tables of at most ``batch_rows`` (first id, last id)."""
    lowest = after
    while lowest < high:
        query = _select(model).where(predictions.c.id > lowest, predictions.c.id <= high)
        with store.engine.connect() as connection:
            rows = list(connection.execute(query.limit(batch_rows)).all())
        if not rows:
            return
        first, lowest = int(rows[0][0]), int(rows[-1][0])
        yield first, lowest, _table(model, rows)


def _rewrite(
    store: PredictionStore, root: Path, model: str, version: str, date: str, last_id: int
) -> int:
    start = pd.Timestamp(date, tz="UTC").timestamp()
    query = _select(model).where(
        predictions.c.version == version,
        predictions.c.ts >= start,
        predictions.c.ts < start + _DAY,
        predictions.c.id <= last_id,
    )
    with store.engine.connect() as connection:
        rows = list(connection.execute(query).all())
    if not rows:
        return 0
    name = f"part-{int(rows[0][0]):012d}-{last_id:012d}-{{i}}.parquet"
    return _write(root, _table(model, rows), name, "delete_matching")


def _write(root: Path, table: pa.Table, basename: str, behaviour: str) -> int:
    written: list[str] = []
    try:
        ds.write_dataset(
            table,
            root,
            format="parquet",
            partitioning=partitioning(),
            basename_template=basename,
            existing_data_behavior=behaviour,
            file_visitor=lambda file: written.append(file.path),
        )
    except OSError as error:
        raise DataError(f"cannot write the partitioned log at {root}: {error}") from error
    return len(written)


def _table(model: str, rows: Sequence[Sequence[Any]]) -> pa.Table:
    """Rows of :func:`_select` as the log's columns, plus the partition keys."""
    frame = frame_from_rows([row[1:] for row in rows])
    seconds = frame["timestamp"].to_numpy(np.float64)
    micros = np.round(seconds * 1_000_000).astype(np.int64)
    features = [c for c in frame.columns if c not in META_COLUMNS and not c.startswith("proba_")]
    prediction = _column(frame["prediction"])
    label = _column(frame["label"])
    if pa.types.is_null(label.type) and not pa.types.is_null(prediction.type):
        label = label.cast(prediction.type)
    columns: dict[str, pa.Array] = {
        "ts": pa.array(micros, pa.int64()).cast(TS_TYPE),
        "record_id": pa.array(frame["record_id"].astype(str), pa.string()),
        **{str(name): _column(frame[name]) for name in features},
        "prediction": prediction,
        "label": label,
        "model": pa.array([model] * len(frame), pa.string()),
        "version": pa.array(frame["version"].astype(str), pa.string()),
        "date": pa.array([date_of(s) for s in (micros // 1_000_000).tolist()], pa.string()),
    }
    return pa.table(columns)


def _column(series: pd.Series) -> pa.Array:
    """A column as Arrow infers it; values of mixed types become text (``None`` stays null)."""
    try:
        array = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        text = [None if v is None or v != v else str(v) for v in series.tolist()]  # noqa: PLR0124
        return pa.array(text, pa.string())
    if pa.types.is_integer(array.type) and array.type != pa.int64():
        array = array.cast(pa.int64())
    return array
