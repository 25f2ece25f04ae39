"""Evidently's side of the benchmark; runs with the benchmark's own Evidently environment.

It is never imported by MonitML and needs only Evidently 0.7.23, pandas < 3.1 and pyarrow
(``bash benchmarks/evidently_env.sh`` creates ``benchmarks/.env-evidently``).

Modes (each prints one JSON object on stdout, except ``whole``)::

    PY=benchmarks/.env-evidently/bin/python
    # the report run alone, timed in-process, REPEAT times after loading the data once
    $PY benchmarks/evidently_worker.py inproc REF.parquet CUR.parquet --repeat 3
    # what a user would run as a whole process: import, read both files, run, save the JSON
    $PY benchmarks/evidently_worker.py whole REF.parquet CUR.parquet --json OUT.json
    # default verdicts on many splits (a parquet with columns split, side and the data)
    $PY benchmarks/evidently_worker.py splits SPLITS.parquet
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from typing import Any

os.environ.setdefault("DO_NOT_TRACK", "1")

_STARTED = time.perf_counter()
import pandas as pd  # noqa: E402
from evidently import Report  # noqa: E402
from evidently.presets import DataDriftPreset  # noqa: E402

_IMPORTED = time.perf_counter()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _run(reference: pd.DataFrame, current: pd.DataFrame) -> Any:
    return Report([DataDriftPreset()]).run(reference_data=reference, current_data=current)


def verdicts(snapshot: Any) -> dict[str, Any]:
    """Per-column method, score, threshold and verdict, plus Evidently's own drifted count."""
    columns: dict[str, Any] = {}
    counted: dict[str, Any] = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        kind = config["type"].rsplit(":", 1)[-1]
        if kind == "ValueDrift":
            method = config["method"]
            score = float(metric["value"])
            threshold = float(config["threshold"])
            # Evidently's tests report a p-value (drift when p <= threshold), its distances a
            # distance (drift when distance >= threshold).
            is_p_value = "p_value" in method
            drifted = score <= threshold if is_p_value else score >= threshold
            columns[config["column"]] = {
                "method": method,
                "score": score,
                "score_is_p_value": is_p_value,
                "threshold": threshold,
                "drift_detected": bool(drifted),
            }
        elif kind == "DriftedColumnsCount":
            counted = {"count": int(metric["value"]["count"]), "share": metric["value"]["share"]}
    drifted = sum(column["drift_detected"] for column in columns.values())
    if counted and counted["count"] != drifted:
        raise RuntimeError(f"verdicts disagree with Evidently's count: {drifted} vs {counted}")
    share = counted.get("share", drifted / len(columns) if columns else 0.0)
    return {
        "columns": columns,
        "drifted_columns": drifted,
        "total_columns": len(columns),
        "dataset_drift": bool(share >= 0.5),
    }


def inproc(args: argparse.Namespace) -> None:
    reference = pd.read_parquet(args.reference)
    current = pd.read_parquet(args.current)
    times: list[float] = []
    snapshot = None
    for _ in range(args.repeat):
        start = time.perf_counter()
        snapshot = _run(reference, current)
        times.append(time.perf_counter() - start)
    result = {
        "tool": "evidently",
        "import_seconds": _IMPORTED - _STARTED,
        "run_seconds": times,
        "run_median_seconds": statistics.median(times),
        "peak_rss_mb": _peak_rss_mb(),
        **verdicts(snapshot),
    }
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


def whole(args: argparse.Namespace) -> None:
    reference = pd.read_parquet(args.reference)
    current = pd.read_parquet(args.current)
    snapshot = _run(reference, current)
    snapshot.save_json(args.json)


def splits(args: argparse.Namespace) -> None:
    data = pd.read_parquet(args.splits)
    features = [name for name in data.columns if name not in ("split", "side")]
    out = []
    for split, frame in data.groupby("split", sort=True):
        reference = frame.loc[frame["side"] == "reference", features].reset_index(drop=True)
        current = frame.loc[frame["side"] == "current", features].reset_index(drop=True)
        result = verdicts(_run(reference, current))
        out.append({"split": int(split), "rows": len(reference), **result})
    json.dump({"tool": "evidently", "splits": out}, sys.stdout)
    sys.stdout.write("\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    one = sub.add_parser("inproc")
    one.add_argument("reference")
    one.add_argument("current")
    one.add_argument("--repeat", type=int, default=3)
    one.set_defaults(func=inproc)
    two = sub.add_parser("whole")
    two.add_argument("reference")
    two.add_argument("current")
    two.add_argument("--json", required=True)
    two.set_defaults(func=whole)
    three = sub.add_parser("splits")
    three.add_argument("splits")
    three.set_defaults(func=splits)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
