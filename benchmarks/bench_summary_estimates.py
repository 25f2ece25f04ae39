"""What ``monitml check --estimate`` adds to a check from summaries, per estimator (docs/scale.md).

For each kind of model (``regression``: DLE; ``binary`` and ``multiclass``: CBPE over the
logged ``proba_<class>`` columns), one day's file of ``--rows`` rows × 20 features is written
once under ``benchmarks/.data/estimates/<kind>`` (half the labels null), and a monitor is built
from a seeded 100,000-row reference of the same kind (its estimator fitted there, not timed).
Then, alternately, ``--repeat`` times each: the file summarised as a worker does
(``summarise_fragment``) with and without the estimator's sums, and the whole check on the local
engine (``run_summary_check``, the estimates and their bands scored on the driver), each on
the monitor as it was built (nothing cached from the run before). Every
thread of the process is pinned to one CPU and BLAS held to one thread, as in
``bench_scale.py``. Prints one Markdown row per kind: the median (min–max) seconds of each.

    .venv/bin/python benchmarks/bench_summary_estimates.py --rows 1M --repeat 3

``--month N``: instead, a month of daily files of N to 3N rows each (30 sizes, one bootstrap
each before sizes shared a grid), and the whole check over it, with and without estimates.

    .venv/bin/python benchmarks/bench_summary_estimates.py --month 20K --kinds multiclass
"""

from __future__ import annotations

import os

for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from monitml import numpy_dispatch  # noqa: E402

numpy_dispatch.apply()

import argparse  # noqa: E402
import copy  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from bench_scale import FEATURES, START, _one_core, _size  # noqa: E402

KINDS = ("regression", "binary", "multiclass")
DAY = 86_400.0
CLASSES = {"binary": ("no", "yes"), "multiclass": ("a", "b", "c")}


def _rows(kind: str, rng: np.random.Generator, n: int) -> pd.DataFrame:
    frame = pd.DataFrame(rng.standard_normal((n, len(FEATURES))), columns=FEATURES)
    x0, x1 = frame["x00"].to_numpy(), frame["x01"].to_numpy()
    if kind == "regression":
        frame["prediction"] = 2.0 * x0 + x1
        frame["label"] = frame["prediction"] + rng.normal(0.0, 1.0, n) * (0.2 + np.abs(x0))
        return frame
    logits = np.column_stack([2 * x0, 2 * x1, np.zeros(n)])[:, : len(CLASSES[kind])]
    chances = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    classes = np.array(CLASSES[kind])
    for k, name in enumerate(classes):
        frame[f"proba_{name}"] = chances[:, k]
    frame["prediction"] = classes[chances.argmax(axis=1)]
    drawn = (rng.random((n, 1)) > chances.cumsum(axis=1)).sum(axis=1)
    frame["label"] = classes[np.minimum(drawn, len(classes) - 1)]
    return frame


def _file(kind: str, rows: int, root: Path) -> Any:
    from monitml.store.partitions import LogFragment  # noqa: PLC0415

    folder = root / kind / "model=bench" / "version=v1" / "date=2026-01-01"
    path = folder / "part-0.parquet"
    if not path.exists() or pq.ParquetFile(path).metadata.num_rows != rows:
        folder.mkdir(parents=True, exist_ok=True)
        frame = _rows(kind, np.random.default_rng(3), rows)
        frame["label"] = frame["label"].where(np.arange(rows) % 2 == 0, None)
        micros = (START.value // 1_000 + np.arange(rows) * int(DAY * 1e6 // rows)).astype(np.int64)
        frame.insert(0, "ts", pa.array(micros).cast(pa.timestamp("us", tz="UTC")))
        frame.insert(1, "record_id", np.arange(rows).astype(str))
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
    return LogFragment(str(path), "bench", "v1", "2026-01-01")


def _month(kind: str, smallest: int, root: Path) -> list[Any]:
    """30 daily files of ``smallest`` to ``3 × smallest`` rows (written once)."""
    from monitml.store.partitions import LogFragment  # noqa: PLC0415

    sizes = np.random.default_rng(5).integers(smallest, 3 * smallest, 30)
    fragments = []
    for day, rows in enumerate(sizes):
        date = (START + pd.Timedelta(days=day)).strftime("%Y-%m-%d")
        folder = root / f"{kind}-month-{smallest}" / "model=bench" / "version=v1" / f"date={date}"
        path = folder / "part-0.parquet"
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            frame = _rows(kind, np.random.default_rng(day), int(rows))
            frame["label"] = frame["label"].where(np.arange(rows) % 2 == 0, None)
            step = int(DAY * 1e6 // rows)
            first = START.value // 1_000 + day * int(DAY * 1e6)
            micros = (first + np.arange(rows) * step).astype(np.int64)
            frame.insert(0, "ts", pa.array(micros).cast(pa.timestamp("us", tz="UTC")))
            frame.insert(1, "record_id", np.arange(rows).astype(str))
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
        fragments.append(LogFragment(str(path), "bench", "v1", date))
    return fragments


def measure_month(kind: str, smallest: int, root: Path) -> str:
    from monitml.engines import get_engine  # noqa: PLC0415
    from monitml.monitor.chunks import parse_chunk  # noqa: PLC0415
    from monitml.monitor.summarised import run_summary_check  # noqa: PLC0415
    from monitml.store import PredictionStore  # noqa: PLC0415

    fragments = _month(kind, smallest, root)
    built = _monitor(kind)
    start, end = START.timestamp(), START.timestamp() + 30 * DAY
    store = PredictionStore.from_url("sqlite:///:memory:")
    engine = get_engine("local")
    seconds = {}
    try:
        for estimate in (False, True):
            monitor = copy.deepcopy(built)
            began = time.perf_counter()
            run_summary_check(
                store, monitor, fragments, engine, start=start, end=end,
                chunk=parse_chunk("1d"), save=False, estimate=estimate,
            )  # fmt: skip
            seconds[estimate] = time.perf_counter() - began
    finally:
        engine.close()
        store.dispose()
    return (
        f"| {kind} | {smallest:,}–{3 * smallest:,} | {seconds[False]:.2f} | {seconds[True]:.2f} |"
    )


def _monitor(kind: str) -> Any:
    from monitml.monitor.model_monitor import ModelMonitor  # noqa: PLC0415
    from monitml.monitor.policy import MonitorPolicy  # noqa: PLC0415

    reference = _rows(kind, np.random.default_rng(1_000_003), 100_000)
    return ModelMonitor(
        "bench", reference, features=FEATURES, numerical=FEATURES, target="label",
        task="regression" if kind == "regression" else "classification",
        policy=MonitorPolicy(min_rows=100),
    )  # fmt: skip


def _spread(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):.2f} ({min(seconds):.2f}–{max(seconds):.2f})"


def measure(kind: str, rows: int, root: Path, repeat: int) -> dict[str, Any]:
    from monitml.engines import get_engine  # noqa: PLC0415
    from monitml.monitor.chunk_summary import summarise_fragment  # noqa: PLC0415
    from monitml.monitor.chunks import parse_chunk  # noqa: PLC0415
    from monitml.monitor.summarised import plan_for, run_summary_check  # noqa: PLC0415
    from monitml.store import PredictionStore  # noqa: PLC0415

    fragment = _file(kind, rows, root)
    built = _monitor(kind)
    assert built.estimator is not None, f"{kind}: the monitor has no label-free estimator"
    # Each check gets the monitor as built: a bootstrap is cached per chunk size, and a
    # `monitml check` process meets each of its chunks' sizes once.
    start, end, chunk = START.timestamp(), START.timestamp() + DAY, parse_chunk("1d")
    store = PredictionStore.from_url("sqlite:///:memory:")
    engine = get_engine("local")
    timings: dict[str, list[float]] = {
        "summarise": [], "summarise_estimated": [], "check": [], "check_estimated": [],
    }  # fmt: skip
    estimated: set[str] = set()
    try:
        for _ in range(repeat):
            for estimate in (False, True):
                suffix = "_estimated" if estimate else ""
                monitor = copy.deepcopy(built)
                plan = plan_for(monitor, start=start, end=end, chunk=chunk, estimate=estimate)
                began = time.perf_counter()
                summarise_fragment(plan, fragment)
                timings["summarise" + suffix].append(time.perf_counter() - began)
                monitor = copy.deepcopy(built)
                began = time.perf_counter()
                check = run_summary_check(
                    store, monitor, [fragment], engine, start=start, end=end, chunk=chunk,
                    save=False, estimate=estimate,
                )  # fmt: skip
                timings["check" + suffix].append(time.perf_counter() - began)
                if estimate:
                    estimated |= set(check.results[0].estimated)
    finally:
        engine.close()
        store.dispose()
    return {"kind": kind, "estimator": type(monitor.estimator).__name__, "timings": timings,
            "estimated": sorted(estimated)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1M")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--root", type=Path, default=Path("benchmarks/.data/estimates"))
    parser.add_argument("--month", default=None, help="a month of daily files of N-3N rows")
    arguments = parser.parse_args()
    _one_core()
    if arguments.month is not None:
        print("| model | rows a day | check s | with estimates |\n|---|---|---|---|")
        for kind in arguments.kinds.split(","):
            print(measure_month(kind, _size(arguments.month), arguments.root), flush=True)
        return
    rows = _size(arguments.rows)
    print(
        f"{rows:,} rows × {len(FEATURES)} features, one pinned core, median (min–max) of "
        f"{arguments.repeat}, load {os.getloadavg()[0]:.2f}\n"
    )
    print(
        "| model | estimator | summarise s | with estimates | check s | with estimates "
        "| added to the check | estimated |\n|---|---|---|---|---|---|---|---|"
    )
    for kind in arguments.kinds.split(","):
        found = measure(kind, rows, arguments.root, arguments.repeat)
        t = found["timings"]
        added = statistics.median(t["check_estimated"]) / statistics.median(t["check"]) - 1
        print(
            f"| {kind} | {found['estimator']} | {_spread(t['summarise'])} "
            f"| {_spread(t['summarise_estimated'])} | {_spread(t['check'])} "
            f"| {_spread(t['check_estimated'])} | +{added:.0%} | {', '.join(found['estimated'])} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
