"""Label-free estimates in checks from summaries: the estimates of the rows themselves.

A regressor (DLE) and a binary and a multiclass classifier (CBPE, scores logged as
``proba_<class>``), each logged over two days in two files a day, half the rows labelled.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitml.engines import get_engine
from monitml.monitor.batch import BatchCheck, run_check
from monitml.monitor.chunks import parse_chunk
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.monitor.result import WindowResult
from monitml.monitor.summarised import (
    ChunkSummary,
    evaluate_summary,
    plan_for,
    run_summary_check,
    summarise_fragment,
)
from monitml.store import PredictionStore
from monitml.store.partitions import log_fragments, read_log

DAY = 86_400.0
START = pd.Timestamp("2026-03-01", tz="UTC").timestamp()
DAYS = 2
KINDS = ["regression", "binary", "multiclass"]


def _rows(kind: str, rng: np.random.Generator, n: int, shift: float) -> pd.DataFrame:
    x1, x2 = rng.normal(shift, 1.0, n), rng.normal(0.0, 1.0, n)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "c": rng.choice(["a", "b", "c"], n)})
    if kind == "regression":
        frame["prediction"] = 2 * x1 + x2
        frame["label"] = frame["prediction"] + rng.normal(0, 1, n) * (0.2 + np.abs(x1))
    elif kind == "binary":
        chance = 1 / (1 + np.exp(-3 * x1))
        frame["proba_no"], frame["proba_yes"] = 1 - chance, chance
        frame["prediction"] = np.where(chance >= 0.5, "yes", "no")
        frame["label"] = np.where(rng.random(n) < chance, "yes", "no")
    else:
        logits = np.column_stack([2 * x1, 2 * x2, np.zeros(n)])
        chances = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        classes = np.array(["a", "b", "c"])
        for k, name in enumerate(classes):
            frame[f"proba_{name}"] = chances[:, k]
        frame["prediction"] = classes[chances.argmax(axis=1)]
        drawn = (rng.random((n, 1)) > chances.cumsum(axis=1)).sum(axis=1)
        frame["label"] = classes[np.minimum(drawn, 2)]
    return frame


def _monitor(kind: str) -> ModelMonitor:
    reference = _rows(kind, np.random.default_rng(1), 4_000, 0.0)
    return ModelMonitor(
        "m", reference, features=["x1", "x2", "c"], numerical=["x1", "x2"], categorical=["c"],
        target="label", task="regression" if kind == "regression" else "classification",
        policy=MonitorPolicy(min_rows=30),
    )  # fmt: skip


def _write_log(root: Path, kind: str, per_day: int = 1_000) -> None:
    """Two files a day of version v1; the second day's x1 moves by 1σ; half the labels null."""
    rng = np.random.default_rng(2)
    for day in range(DAYS):
        frame = _rows(kind, rng, per_day, 1.0 if day else 0.0)
        frame["label"] = frame["label"].where(np.arange(per_day) % 2 == 0, None)
        ts = START + day * DAY + (np.arange(per_day) + 0.5) * DAY / per_day
        micros = (ts * 1_000_000).astype(np.int64)
        frame.insert(0, "ts", pa.array(micros).cast(pa.timestamp("us", tz="UTC")))
        frame.insert(1, "record_id", [f"{day}-{i}" for i in range(per_day)])
        date = pd.Timestamp(START + day * DAY, unit="s").strftime("%Y-%m-%d")
        folder = root / "model=m" / "version=v1" / f"date={date}"
        folder.mkdir(parents=True)
        # Two files a day, their rows interleaved in time.
        for part in range(2):
            table = pa.Table.from_pandas(frame.iloc[part::2], preserve_index=False)
            pq.write_table(table, folder / f"part-{part}.parquet")


@pytest.fixture(scope="module", params=KINDS)
def logged(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, ModelMonitor, Path, PredictionStore]]:
    kind = str(request.param)
    root = tmp_path_factory.mktemp(f"log-{kind}")
    _write_log(root, kind)
    store = PredictionStore.from_url("sqlite:///:memory:")
    yield kind, _monitor(kind), root, store
    store.dispose()


def _checks(
    monitor: ModelMonitor, root: Path, store: PredictionStore, chunk: str
) -> tuple[BatchCheck, BatchCheck]:
    end, spec = START + DAYS * DAY, parse_chunk(chunk)
    rows = read_log(root, "m", start=START, end=end)
    exact = run_check(store, monitor, start=START, end=end, chunk=spec, frame=rows, save=False)
    summarised = run_summary_check(
        store, monitor, log_fragments(root, "m", start=START, end=end), get_engine("local"),
        start=START, end=end, chunk=spec, save=False, estimate=True,
    )  # fmt: skip
    return exact, summarised


def _assert_same_estimates(mine: WindowResult, theirs: WindowResult, kind: str) -> None:
    # What is not a ratio of sums (ROC AUC) is left out of the summarised estimate.
    expected = {k: v for k, v in theirs.estimated.items() if k != "roc_auc"}
    assert set(expected) == ({"mae", "rmse"} if kind == "regression" else
                             {"f1", "precision", "recall", "specificity", "accuracy"})  # fmt: skip
    assert mine.estimated == pytest.approx(expected, rel=1e-9, abs=1e-12)
    bands = {k: v for k, v in theirs.estimated_bands.items() if k != "roc_auc"}
    assert set(mine.estimated_bands) == set(bands)
    for name, (low, high) in bands.items():
        assert mine.estimated_bands[name] == pytest.approx((low, high), rel=1e-9, abs=1e-12)


def test_a_check_from_summaries_gives_each_chunk_the_estimates_of_its_rows(
    logged: tuple[str, ModelMonitor, Path, PredictionStore],
) -> None:
    kind, monitor, root, store = logged
    exact, summarised = _checks(monitor, root, store, "1d")
    assert [r.rows for r in summarised.results] == [r.rows for r in exact.results] == [1000, 1000]
    for mine, theirs in zip(summarised.results, exact.results, strict=True):
        _assert_same_estimates(mine, theirs, kind)
    payload = summarised.to_dict()["chunks"][0]
    assert set(payload["estimated_performance"]) == set(summarised.results[0].estimated)
    assert set(payload["estimated_bands"]) == set(summarised.results[0].estimated_bands)


def test_the_estimates_of_a_chunk_of_several_files_do_not_depend_on_their_order(
    logged: tuple[str, ModelMonitor, Path, PredictionStore],
) -> None:
    kind, monitor, root, _store = logged
    end = START + DAYS * DAY
    plan = plan_for(monitor, start=START, end=end, chunk=parse_chunk("1mo"), estimate=True)
    parts = [p for f in log_fragments(root, "m") for p in summarise_fragment(plan, f)]
    assert len(parts) == 2 * DAYS  # four files, all in the month's one chunk
    rows = read_log(root, "m", start=START, end=end)
    theirs = monitor.evaluate(rows, "v1", window_start=START, window_end=end)
    for order in itertools.islice(itertools.permutations(parts), 0, None, 7):
        merged: ChunkSummary | None = None
        for _, _, data in order:
            summary = ChunkSummary.from_bytes(data)
            merged = summary if merged is None else merged.merge(summary)
        mine = evaluate_summary(monitor, merged, "v1", window_start=START, window_end=end)
        assert mine.rows == len(rows)
        _assert_same_estimates(mine, theirs, kind)


def test_without_estimates_the_plan_reads_no_score_column_and_chunks_estimate_nothing(
    logged: tuple[str, ModelMonitor, Path, PredictionStore],
) -> None:
    kind, monitor, root, store = logged
    end, spec = START + DAYS * DAY, parse_chunk("1d")
    plan = plan_for(monitor, start=START, end=end, chunk=spec, estimate=False)
    assert plan.estimator is None
    assert not any(name.startswith("proba_") for name in plan.columns)
    check = run_summary_check(
        store, monitor, log_fragments(root, "m"), get_engine("local"),
        start=START, end=end, chunk=spec, save=False, estimate=False,
    )  # fmt: skip
    assert [(r.estimated, r.estimated_bands) for r in check.results] == [({}, {})] * DAYS
    if kind != "regression":
        planned = plan_for(monitor, start=START, end=end, chunk=spec, estimate=True)
        assert {"proba_a", "proba_yes"} & set(planned.columns)


def test_a_file_without_the_score_columns_leaves_its_chunk_unestimated_as_its_rows_do(
    tmp_path: Path,
) -> None:
    _write_log(tmp_path, "binary")
    second_day = sorted((tmp_path / "model=m" / "version=v1").glob("date=*"))[1]
    file = second_day / "part-1.parquet"
    pq.write_table(pq.read_table(file).drop_columns(["proba_no", "proba_yes"]), file)
    monitor = _monitor("binary")
    store = PredictionStore.from_url("sqlite:///:memory:")
    try:
        exact, summarised = _checks(monitor, tmp_path, store, "1d")
    finally:
        store.dispose()
    assert [bool(r.estimated) for r in exact.results] == [True, False]
    assert [bool(r.estimated) for r in summarised.results] == [True, False]
    _assert_same_estimates(summarised.results[0], exact.results[0], "binary")
