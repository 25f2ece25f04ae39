"""Batch checks of large partitioned logs on each engine (issue 13, item 5).

``generate`` writes a partitioned log (``model=bench/version=v1/date=…``) of N rows × 20
features straight to Parquet, one file a day of ``--rows-per-day`` rows (500K), streamed in blocks
with numpy (memory stays at one block whatever N). Half the labels are null; the last day's
first twelve features move by 0.5σ, so exactly one chunk drifts (12 of 20 features).

``run`` is one measurement in its own process: build the monitor from a seeded 100,000-row
reference and open the engine (not timed: a cluster's or JVM's start, and the workers'
imports, are reported apart), then ``monitml check``'s summary path over the whole log with
daily chunks on one engine (timed), and print one JSON line: seconds, rows/s, rows/s and
cells/s per core (cells = rows × (features + prediction + label)), the driver's peak RSS
(this process; workers and the JVM are other processes) and CPU seconds, and the summaries
that came back. Cores: 1 for local, whose every thread is pinned to one CPU; the workers
for dask and spark (2: the whole machine, the driver included). BLAS is held to one thread
in every process, as the workers of Dask and Spark hold it.

``all`` generates what is missing and runs each size × engine, one after the other (never two
timings at once), and prints a Markdown table.

    .venv/bin/python benchmarks/bench_scale.py all --sizes 1M,10M --engines local,dask,spark
    .venv/bin/python benchmarks/bench_scale.py generate --rows 100M --out benchmarks/.data/scale
    .venv/bin/python benchmarks/bench_scale.py run --root benchmarks/.data/scale/100M --engine local
"""

from __future__ import annotations

import os

# Before numpy is imported: one BLAS thread (a 500,000-value dot product gains nothing from
# more, and its spinning threads would share the local engine's one core).
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

# As the monitml command does: numpy's AVX2 sort on Zen 4 (monitml.numpy_dispatch).
from monitml import numpy_dispatch  # noqa: E402

numpy_dispatch.apply()

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Iterator, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

FEATURES = [f"x{i:02d}" for i in range(20)]
START = pd.Timestamp("2026-01-01", tz="UTC")
BLOCK = 250_000
DRIFTED = FEATURES[:12]
HEADER = (
    "| rows | engine | cores | check s | rows/s per core | M cells/s per core "
    "| peak driver RSS MB | driver CPU s | engine start s | summaries back, KB a file "
    "| drifted chunks |"
)


def _size(text: str) -> int:
    units = {"K": 1_000, "M": 1_000_000, "G": 1_000_000_000}
    text = text.strip().upper()
    return int(float(text[:-1]) * units[text[-1]]) if text[-1] in units else int(text)


def _schema() -> pa.Schema:
    return pa.schema(
        [
            ("ts", pa.timestamp("us", tz="UTC")),
            ("record_id", pa.string()),
            *((name, pa.float64()) for name in FEATURES),
            ("prediction", pa.float64()),
            ("label", pa.float64()),
        ]
    )


def _block(
    rng: np.random.Generator, first: int, n: int, day: int, per_day: int, shift: float
) -> pa.Table:
    start_us = (START + pd.Timedelta(days=day)).value // 1_000
    offsets = np.arange(first, first + n, dtype=np.int64) * (86_400_000_000 // per_day)
    features = rng.standard_normal((len(FEATURES), n))
    features[: len(DRIFTED)] += shift
    prediction = features[0] * 2.0 + features[1]
    label = prediction + rng.normal(0.0, 0.1, n)
    columns: dict[str, Any] = {
        "ts": pa.array(start_us + offsets, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
        "record_id": pa.array(day * per_day + first + np.arange(n), pa.int64()).cast(pa.string()),
    }
    columns.update({name: features[i] for i, name in enumerate(FEATURES)})
    columns["prediction"] = prediction
    columns["label"] = pa.array(label, mask=rng.random(n) < 0.5)
    return pa.table(columns, schema=_schema())


def generate(rows: int, out: Path, per_day: int) -> Path:
    """The log of ``rows`` rows in ``out``; returns ``out``. Written once (a marker at the end)."""
    done = out / "_generated.json"
    if done.exists() and json.loads(done.read_text())["rows"] == rows:
        return out
    days = -(-rows // per_day)
    started = time.perf_counter()
    for day in range(days):
        n_day = min(per_day, rows - day * per_day)
        rng = np.random.default_rng(day)
        folder = (
            out / "model=bench" / "version=v1" / f"date={(START + pd.Timedelta(days=day)).date()}"
        )
        folder.mkdir(parents=True, exist_ok=True)
        shift = 0.5 if day == days - 1 and days > 1 else 0.0
        with pq.ParquetWriter(folder / "part-0.parquet", _schema()) as writer:
            for first in range(0, n_day, BLOCK):
                writer.write_table(
                    _block(rng, first, min(BLOCK, n_day - first), day, per_day, shift)
                )
    done.write_text(json.dumps({"rows": rows, "days": days, "per_day": per_day}))
    size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
    took = time.perf_counter() - started
    print(
        f"generated {rows:,} rows, {days} files, {size / 1e9:.2f} GB, {took:.0f} s", file=sys.stderr
    )
    return out


def _monitor() -> Any:
    from monitml.monitor.model_monitor import ModelMonitor  # noqa: PLC0415
    from monitml.monitor.policy import MonitorPolicy  # noqa: PLC0415

    rng = np.random.default_rng(1_000_003)
    reference = pd.DataFrame(rng.standard_normal((100_000, len(FEATURES))), columns=FEATURES)
    reference["prediction"] = reference["x00"] * 2.0 + reference["x01"]
    reference["label"] = reference["prediction"] + rng.normal(0.0, 0.1, len(reference))
    return ModelMonitor(
        "bench", reference, features=FEATURES, numerical=FEATURES, target="label",
        policy=MonitorPolicy(min_rows=100),
    )  # fmt: skip


def _one_core() -> None:
    """Pin every thread of this process (numpy's BLAS, Arrow's pool…) to one CPU, and the
    threads they start after: the local engine's "per core" is then one core, not the
    threads' several."""
    cpu = min(os.sched_getaffinity(0))
    for thread in os.listdir("/proc/self/task"):
        os.sched_setaffinity(int(thread), {cpu})


def run(root: Path, engine_name: str, workers: int, repeat: int = 1) -> dict[str, Any]:
    from monitml.engines import get_engine  # noqa: PLC0415
    from monitml.monitor.chunks import parse_chunk  # noqa: PLC0415
    from monitml.monitor.summarised import SummaryPlan, run_summary_check  # noqa: PLC0415
    from monitml.store import PredictionStore  # noqa: PLC0415
    from monitml.store.partitions import LogFragment, log_fragments  # noqa: PLC0415

    if engine_name == "local":
        _one_core()
    meta = json.loads((root / "_generated.json").read_text())
    built = time.perf_counter()
    monitor = _monitor()
    monitor_seconds = time.perf_counter() - built
    store = PredictionStore.from_url("sqlite:///:memory:")
    end = (START + pd.Timedelta(days=meta["days"])).timestamp()
    fragments = log_fragments(root, "bench", start=START.timestamp(), end=end)
    opened = time.perf_counter()
    engine = get_engine(engine_name, workers=workers)
    engine_seconds = time.perf_counter() - opened
    came_back = {"parts": 0, "bytes": 0}

    def counted(
        plan: SummaryPlan, files: Sequence[LogFragment]
    ) -> Iterator[list[tuple[str, float, bytes]]]:
        for parts in engine(plan, files):
            came_back["parts"] += len(parts)
            came_back["bytes"] += sum(len(part[2]) for part in parts)
            yield parts

    try:
        peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started, cpu = time.perf_counter(), time.process_time()
        check = run_summary_check(
            store, monitor, fragments, counted, start=START.timestamp(), end=end,
            chunk=parse_chunk("1d"), save=False,
        )  # fmt: skip
        seconds, driver_cpu = time.perf_counter() - started, time.process_time() - cpu
        again = []  # the same check on the same, now warm, engine (a long-running cluster's)
        for _ in range(repeat - 1):
            restarted = time.perf_counter()
            run_summary_check(
                store, monitor, fragments, engine, start=START.timestamp(), end=end,
                chunk=parse_chunk("1d"), save=False,
            )  # fmt: skip
            again.append(time.perf_counter() - restarted)
    finally:
        engine.close()
        store.dispose()
    rows = sum(r.rows for r in check.results)
    cores = 1 if engine_name == "local" else workers
    cells = rows * (len(FEATURES) + 2)
    drifted = [
        i for i, r in enumerate(check.results) if r.report is not None and r.report.dataset_drift
    ]
    return {
        "engine": engine_name,
        "rows": rows,
        "files": len(fragments),
        "cores": cores,
        "seconds": seconds,
        "monitor_seconds": monitor_seconds,
        "engine_start_seconds": engine_seconds,
        "driver_cpu_seconds": driver_cpu,
        "rows_per_s": rows / seconds,
        "rows_per_s_per_core": rows / seconds / cores,
        "cells_per_s_per_core": cells / seconds / cores,
        "peak_driver_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_driver_rss_before_check_mb": peak_before,
        "parts": came_back["parts"],
        "parts_kb_per_file": came_back["bytes"] / 1024 / max(len(fragments), 1),
        "drifted_chunks": drifted,
        "chunks": len(check.results),
        "load_before": os.getloadavg()[0],
        "warm_seconds": again,
        "warm_cells_per_s_per_core": [cells / s / cores for s in again],
    }


def _child(root: Path, engine: str, workers: int) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "run",
        "--root",
        str(root),
        "--engine",
        engine,
        "--workers",
        str(workers),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{engine} on {root} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate")
    gen.add_argument("--rows", required=True)
    gen.add_argument("--out", type=Path, required=True)
    gen.add_argument("--rows-per-day", default="500K")
    one = commands.add_parser("run")
    one.add_argument("--root", type=Path, required=True)
    one.add_argument("--engine", default="local")
    one.add_argument("--workers", type=int, default=2)
    one.add_argument("--repeat", type=int, default=1, help="then the check again, warm, N-1 times")
    every = commands.add_parser("all")
    every.add_argument("--sizes", default="1M,10M")
    every.add_argument("--engines", default="local,dask,spark")
    every.add_argument("--out", type=Path, default=Path(__file__).parent / ".data" / "scale")
    every.add_argument("--rows-per-day", default="500K")
    every.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.command == "generate":
        generate(_size(args.rows), args.out, _size(args.rows_per_day))
    elif args.command == "run":
        print(json.dumps(run(args.root, args.engine, args.workers, args.repeat)))
    else:
        print(HEADER)
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        for size in args.sizes.split(","):
            root = generate(_size(size), args.out / size, _size(args.rows_per_day))
            for engine in args.engines.split(","):
                r = _child(root, engine, args.workers)
                print(
                    f"| {size} | {engine} | {r['cores']} | {r['seconds']:.1f} | "
                    f"{r['rows_per_s_per_core']:,.0f} | {r['cells_per_s_per_core'] / 1e6:.1f} | "
                    f"{r['peak_driver_rss_before_check_mb']:.0f} → {r['peak_driver_rss_mb']:.0f} | "
                    f"{r['driver_cpu_seconds']:.1f} | {r['engine_start_seconds']:.1f} | "
                    f"{r['parts_kb_per_file']:.0f} | "
                    f"{r['drifted_chunks']} of {r['chunks']} (load {r['load_before']:.1f}) |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
