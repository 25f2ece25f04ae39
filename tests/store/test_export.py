"""``export_log``: the Hive layout, idempotent and incremental runs, late labels, crashes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from monitml.errors import DataError
from monitml.store import LabelRecord, PredictionStore
from monitml.store.export import STATE_FILE, export_log
from monitml.store.partitions import read_log

from .conftest import RecordFactory

DAY = 86_400.0
START = pd.Timestamp("2026-03-01", tz="UTC").timestamp()


def _files(root: Path) -> dict[str, float]:
    """Every data file under ``root`` and when it was last written."""
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*.parquet")}


def _log(root: Path, model: str = "churn") -> pd.DataFrame:
    return read_log(root, model).sort_values("record_id").reset_index(drop=True)


def test_the_export_is_hive_partitioned_by_model_version_and_utc_date(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    # 30 records 2 hours apart from 22:00 on 28 Feb: three UTC days.
    store.insert_predictions(make_records(30, start=START - 2 * 3600, step=2 * 3600.0))
    store.insert_predictions(make_records(4, version="v2", start=START, prefix="w"))
    store.insert_predictions(make_records(3, shadow=True, prefix="s"))
    store.insert_labels([LabelRecord("churn", "r1", 1, START)])

    done = export_log(store, tmp_path / "log")

    folders = sorted({str(Path(f).parent) for f in _files(tmp_path / "log")})
    assert folders == [
        "model=churn/version=v1/date=2026-02-28",
        "model=churn/version=v1/date=2026-03-01",
        "model=churn/version=v1/date=2026-03-02",
        "model=churn/version=v1/date=2026-03-03",
        "model=churn/version=v2/date=2026-03-01",
    ]
    assert done.rows == 34
    table = ds.dataset(tmp_path / "log" / "model=churn/version=v1/date=2026-03-01").to_table()
    assert table.schema.names == [
        "ts", "record_id", "tenure", "charges", "plan", "prediction", "label",
    ]  # fmt: skip
    assert table.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    frame = _log(tmp_path / "log")
    assert len(frame) == 34  # the shadow predictions are not exported
    assert frame.set_index("record_id").loc["r1", "label"] == 1
    assert frame.set_index("record_id")["label"].drop("r1").isna().all()


def test_a_second_run_with_nothing_new_writes_nothing(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    store.insert_predictions(make_records(50, start=START, step=3600.0))
    store.insert_labels([LabelRecord("churn", f"r{i}", i % 2, START) for i in range(0, 50, 3)])
    export_log(store, tmp_path / "log")
    before = _files(tmp_path / "log")

    again = export_log(store, tmp_path / "log")

    assert (again.rows, again.rewritten, again.files) == (0, 0, 0)
    assert _files(tmp_path / "log") == before


def test_new_predictions_are_appended_without_touching_the_files_already_written(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    store.insert_predictions(make_records(10, start=START, step=60.0))
    export_log(store, tmp_path / "log")
    before = _files(tmp_path / "log")
    store.insert_predictions(make_records(5, start=START + 3600, step=60.0, prefix="n"))

    done = export_log(store, tmp_path / "log")

    after = _files(tmp_path / "log")
    assert (done.rows, done.rewritten) == (5, 0)
    assert {k: v for k, v in after.items() if k in before} == before
    assert len(after) == len(before) + 1
    assert len(_log(tmp_path / "log")) == 15


def test_a_late_label_reaches_its_row_and_rewrites_only_its_day(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    store.insert_predictions(make_records(48, start=START, step=3600.0))  # two days
    export_log(store, tmp_path / "log")
    before = _files(tmp_path / "log")

    store.insert_labels([LabelRecord("churn", "r30", 1, START + 2 * DAY)])  # on day 2
    done = export_log(store, tmp_path / "log")

    assert (done.rows, done.rewritten) == (0, 1)
    after = _files(tmp_path / "log")
    first_day = {k: v for k, v in before.items() if "2026-03-01" in k}
    assert {k: v for k, v in after.items() if "2026-03-01" in k} == first_day
    frame = _log(tmp_path / "log").set_index("record_id")
    assert len(frame) == 48
    assert frame.loc["r30", "label"] == 1
    assert frame["label"].notna().sum() == 1


def test_a_replaced_label_replaces_the_exported_one(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    store.insert_predictions(make_records(6, start=START))
    store.insert_labels([LabelRecord("churn", "r2", "no", START)])
    export_log(store, tmp_path / "log")

    store.insert_labels([LabelRecord("churn", "r2", "yes", START + 60)])
    export_log(store, tmp_path / "log")

    assert _log(tmp_path / "log").set_index("record_id").loc["r2", "label"] == "yes"


def test_files_of_a_run_that_died_before_saving_its_state_are_not_counted_twice(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    root = tmp_path / "log"
    store.insert_predictions(make_records(10, start=START))
    export_log(store, root)
    state = (root / STATE_FILE).read_bytes()
    store.insert_predictions(make_records(5, start=START + 60, prefix="n"))
    export_log(store, root)
    (root / STATE_FILE).write_bytes(state)  # as if the second run died before its state

    export_log(store, root)

    assert sorted(_log(root)["record_id"]) == sorted(
        [f"r{i}" for i in range(10)] + [f"n{i}" for i in range(5)]
    )


def test_rows_lost_to_retention_stay_in_the_export(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    store.insert_predictions(make_records(24, start=START, step=3600.0))
    store.insert_labels([LabelRecord("churn", "r3", 1, START)])
    export_log(store, tmp_path / "log")
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM labels")
        connection.exec_driver_sql("DELETE FROM predictions WHERE record_id IN ('r1', 'r2')")
    store.insert_predictions(make_records(2, start=START + DAY, prefix="n"))

    done = export_log(store, tmp_path / "log")

    assert (done.rows, done.rewritten) == (2, 0)
    frame = _log(tmp_path / "log").set_index("record_id")
    assert len(frame) == 26
    assert frame.loc["r3", "label"] == 1


def test_a_folder_holding_a_log_without_an_export_state_is_refused(
    store: PredictionStore, make_records: RecordFactory, tmp_path: Path
) -> None:
    store.insert_predictions(make_records(3, start=START))
    export_log(store, tmp_path / "log")
    (tmp_path / "log" / STATE_FILE).unlink()

    with pytest.raises(DataError, match=r"no _monitml_export\.json"):
        export_log(store, tmp_path / "log")
