"""MonitML's drift comparison against Evidently 0.7.23's ``DataDriftPreset``, on the same data.

Run with the project's environment; Evidently runs in its own (``benchmarks/.env-evidently``)
through ``benchmarks/evidently_worker.py``, so it never touches MonitML's dependencies::

    bash benchmarks/evidently_env.sh
    .venv/bin/python benchmarks/data.py
    .venv/bin/python benchmarks/bench_drift_vs_evidently.py                 # every data set
    .venv/bin/python benchmarks/bench_drift_vs_evidently.py --datasets nyc,vega --repeat 5
    .venv/bin/python benchmarks/bench_drift_vs_evidently.py --false-alarms 50 --datasets none

For each data set it measures

1. the comparison itself, in-process, after the data are loaded: MonitML's
   ``compare(ref, cur)`` against Evidently's ``Report([DataDriftPreset()]).run(...)``, each in
   a fresh process of its own, the median of ``--repeat`` runs, with that process's peak RSS;
2. the whole process a user runs: ``monitml drift ref.parquet cur.parquet --json out.json``
   against a Python process that imports Evidently, reads the same two files, runs the report
   and saves its JSON; wall time and peak RSS of each run from the kernel (``wait4``), the
   median of ``--whole-repeat`` runs;

and prints both tools' verdicts side by side per column. ``--pairs N`` measures only the whole
process, N pairs of runs (MonitML then Evidently, the 1-minute load average before each pair),
and prints each pair with its speed-up and memory share against the targets of issue 13, item 7
(NYC flights at least 10x faster; at most 1/3 of Evidently's peak memory)::

    flock /tmp/monitml-timing.lock .venv/bin/python benchmarks/bench_drift_vs_evidently.py \
        --pairs 3 --datasets nyc,synthetic_1m

``--false-alarms N`` draws N pairs of
random halves of flights-3m (800–2,500 rows per side, no drift by construction) and counts the
share of columns each tool's defaults flag.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
DATASETS = ["nyc", "vega", "synthetic_10k", "synthetic_100k", "synthetic_1m"]
EVIDENTLY_PYTHON = HERE / ".env-evidently" / "bin" / "python"
WORKER = HERE / "evidently_worker.py"
FLIGHTS_3M = DATA / "downloads" / "flights-3m.parquet"
SPLIT_COLUMNS = ["delay", "distance", "origin", "destination"]


# --------------------------------------------------------------------------- MonitML, in-process
def monitml_inproc(reference_path: str, current_path: str, repeat: int) -> dict[str, Any]:
    """Runs in a fresh process (``_monitml-inproc``): import, load, then time ``compare``."""
    started = time.perf_counter()
    import pandas as pd  # noqa: PLC0415

    from monitml.analysis import compare  # noqa: PLC0415

    imported = time.perf_counter()
    reference = pd.read_parquet(reference_path)
    current = pd.read_parquet(current_path)
    times: list[float] = []
    report = None
    for _ in range(repeat):
        start = time.perf_counter()
        report = compare(reference, current)
        times.append(time.perf_counter() - start)
    assert report is not None
    return {
        "tool": "monitml",
        "import_seconds": imported - started,
        "run_seconds": times,
        "run_median_seconds": statistics.median(times),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **monitml_verdicts(report),
    }


def monitml_verdicts(report: Any) -> dict[str, Any]:
    columns = {}
    for name, column in report.columns.items():
        entry = column.to_dict()
        columns[name] = {
            key: entry[key]
            for key in (
                "kind",
                "method",
                "statistic",
                "p_value",
                "threshold",
                "effect_size",
                "effect_threshold",
                "drift_detected",
            )
        }
    return {
        "columns": columns,
        "drifted_columns": report.drifted_columns,
        "total_columns": report.total_columns,
        "dataset_drift": report.dataset_drift,
    }


# --------------------------------------------------------------------------- measuring processes
def run_json(command: list[str]) -> dict[str, Any]:
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def timed_process(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one whole process, from the kernel's accounting."""
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {process.returncode}: {stderr[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def spread(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def whole_commands(name: str, out: Path) -> dict[str, list[str]]:
    folder = DATA / name
    ref, cur = str(folder / "reference.parquet"), str(folder / "current.parquet")
    monitml = str(Path(sys.executable).parent / "monitml")
    return {
        "monitml": [monitml, "drift", ref, cur, "--json", str(out / f"{name}-monitml.json")],
        "evidently": [
            str(EVIDENTLY_PYTHON),
            str(WORKER),
            "whole",
            ref,
            cur,
            "--json",
            str(out / f"{name}-evidently.json"),
        ],
    }


def bench_dataset(
    name: str, repeat: int, whole_repeat: int, out: Path, tools: list[str]
) -> dict[str, Any]:
    folder = DATA / name
    ref, cur = str(folder / "reference.parquet"), str(folder / "current.parquet")
    inproc = {
        "monitml": [sys.executable, __file__, "_monitml-inproc", ref, cur],
        "evidently": [str(EVIDENTLY_PYTHON), str(WORKER), "inproc", ref, cur],
    }
    result: dict[str, Any] = {"dataset": name, "whole": {}}
    for tool in tools:
        print(f"[{name}] in-process: {tool}", file=sys.stderr, flush=True)
        result[tool] = run_json([*inproc[tool], "--repeat", str(repeat)])
    if whole_repeat > 0:
        commands = whole_commands(name, out)
        runs: dict[str, list[tuple[float, float]]] = {tool: [] for tool in tools}
        for index in range(whole_repeat):  # alternate, so a drifting machine hits both
            for tool in tools:
                print(f"[{name}] whole process {index + 1}: {tool}", file=sys.stderr, flush=True)
                runs[tool].append(timed_process(commands[tool]))
        for tool, pairs in runs.items():
            result["whole"][tool] = {
                "wall_seconds": spread([wall for wall, _ in pairs]),
                "peak_rss_mb": spread([rss for _, rss in pairs]),
            }
    return result


def paired_runs(name: str, pairs: int, out: Path) -> dict[str, Any]:
    """Whole processes only, MonitML then Evidently, ``pairs`` times: each pair shares its load."""
    commands = whole_commands(name, out)
    runs = []
    for index in range(pairs):
        print(f"[{name}] pair {index + 1} of {pairs}", file=sys.stderr, flush=True)
        load = os.getloadavg()[0]
        mine, theirs = timed_process(commands["monitml"]), timed_process(commands["evidently"])
        runs.append(
            {
                "load_1min": load,
                "monitml": {"wall_seconds": mine[0], "peak_rss_mb": mine[1]},
                "evidently": {"wall_seconds": theirs[0], "peak_rss_mb": theirs[1]},
            }
        )
    return {"dataset": name, "pairs": runs}


# Issue 13, item 7: NYC flights at least 10x faster; at most 1/3 of the peak memory on both.
SPEED_TARGETS = {"nyc": 10.0}
MEMORY_TARGET = 1 / 3


def print_pairs(results: list[dict[str, Any]]) -> None:
    print("\n## Whole process, paired runs (MonitML then Evidently in each pair)")
    print(
        "| data | pair | load 1 min | MonitML wall s | Evidently wall s | speed-up "
        "| MonitML peak MB | Evidently peak MB | memory share |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for result in results:
        for index, run in enumerate(result["pairs"], start=1):
            mine, theirs = run["monitml"], run["evidently"]
            print(
                f"| {result['dataset']} | {index} | {run['load_1min']:.2f} "
                f"| {mine['wall_seconds']:.2f} | {theirs['wall_seconds']:.2f} "
                f"| {theirs['wall_seconds'] / mine['wall_seconds']:.1f}× "
                f"| {mine['peak_rss_mb']:.0f} | {theirs['peak_rss_mb']:.0f} "
                f"| {mine['peak_rss_mb'] / theirs['peak_rss_mb']:.3f} |"
            )
    print()
    for result in results:
        name, runs = result["dataset"], result["pairs"]
        speedups = [r["evidently"]["wall_seconds"] / r["monitml"]["wall_seconds"] for r in runs]
        shares = [r["monitml"]["peak_rss_mb"] / r["evidently"]["peak_rss_mb"] for r in runs]
        verdicts = [
            f"memory share {min(shares):.3f}–{max(shares):.3f} "
            f"(target ≤ {MEMORY_TARGET:.3f}: met in {sum(s <= MEMORY_TARGET for s in shares)}"
            f" of {len(runs)} pairs)"
        ]
        target = SPEED_TARGETS.get(name)
        if target is not None:
            verdicts.insert(
                0,
                f"speed-up {min(speedups):.1f}–{max(speedups):.1f}× (target ≥ {target:.0f}×: "
                f"met in {sum(s >= target for s in speedups)} of {len(runs)} pairs)",
            )
        print(f"{name}: " + "; ".join(verdicts))


def merge_earlier(results: list[dict[str, Any]], path: Path, tool: str) -> None:
    """Take ``tool``'s measurements from an earlier ``--out`` file (it did not change since)."""
    earlier = {entry["dataset"]: entry for entry in json.loads(path.read_text())["datasets"]}
    for result in results:
        old = earlier.get(result["dataset"])
        if old is None or tool not in old:
            raise SystemExit(f"{path} has no {tool} figures for {result['dataset']}")
        result[tool] = old[tool]
        if tool in old["whole"]:
            result["whole"][tool] = old["whole"][tool]


# --------------------------------------------------------------------------- printing
def _range(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f})"


def print_results(results: list[dict[str, Any]]) -> None:
    if not all("monitml" in result and "evidently" in result for result in results):
        print(json.dumps(results, indent=2))
        return
    print("\n## Comparison itself (in-process, data already loaded), seconds: median (min–max)")
    print(
        "| data | MonitML compare | Evidently report run | speed-up "
        "| peak RSS MonitML / Evidently |"
    )
    print("|---|---|---|---|---|")
    for result in results:
        mine, theirs = result["monitml"], result["evidently"]
        ratio = theirs["run_median_seconds"] / mine["run_median_seconds"]
        print(
            f"| {result['dataset']} | {_range(mine['run_seconds'])} | "
            f"{_range(theirs['run_seconds'])} | {ratio:.0f}× | "
            f"{mine['peak_rss_mb']:.0f} MB / {theirs['peak_rss_mb']:.0f} MB |"
        )
    if any(result["whole"] for result in results):
        print("\n## Whole process (import + read Parquet + compare + write JSON)")
        print(
            "| data | MonitML wall s | Evidently wall s | speed-up | peak RSS MonitML | Evidently |"
        )
        print("|---|---|---|---|---|---|")
        for result in results:
            whole = result["whole"]
            if "monitml" not in whole or "evidently" not in whole:
                continue
            mine, theirs = whole["monitml"], whole["evidently"]
            ratio = theirs["wall_seconds"]["median"] / mine["wall_seconds"]["median"]
            print(
                f"| {result['dataset']} | {_spread(mine['wall_seconds'])} | "
                f"{_spread(theirs['wall_seconds'])} | {ratio:.1f}× | "
                f"{mine['peak_rss_mb']['median']:.0f} MB | "
                f"{theirs['peak_rss_mb']['median']:.0f} MB |"
            )
    for result in results:
        print_verdicts(result)


def _spread(values: dict[str, float]) -> str:
    return f"{values['median']:.2f} ({values['min']:.2f}–{values['max']:.2f})"


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value != 0 and abs(value) < 1e-3:
        return f"{value:.1e}"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def print_verdicts(result: dict[str, Any]) -> None:
    mine, theirs = result["monitml"], result["evidently"]
    print(
        f"\n### {result['dataset']}: verdicts (Evidently {theirs['drifted_columns']}/"
        f"{theirs['total_columns']} drifted, dataset drift {theirs['dataset_drift']}; "
        f"MonitML {mine['drifted_columns']}/{mine['total_columns']}, "
        f"dataset drift {mine['dataset_drift']})"
    )
    print(
        "| column | Evidently method | score | thr | drift | MonitML method | statistic | "
        "p-value | effect (floor) | drift | same |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, their in theirs["columns"].items():
        my = mine["columns"].get(name, {})
        same = "yes" if my.get("drift_detected") == their["drift_detected"] else "**no**"
        effect = f"{_num(my.get('effect_size'))} ({_num(my.get('effect_threshold'))})"
        print(
            f"| {name} | {their['method']} | {_num(their['score'])} | {_num(their['threshold'])} "
            f"| {their['drift_detected']} | {my.get('method')} | {_num(my.get('statistic'))} | "
            f"{_num(my.get('p_value'))} | {effect} | {my.get('drift_detected')} | {same} |"
        )


# --------------------------------------------------------------------------- false alarms
def make_splits(count: int, seed: int, path: Path) -> None:
    """``count`` pairs of random, disjoint halves of flights-3m, 800–2,500 rows per side."""
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    flights = pd.read_parquet(FLIGHTS_3M, columns=SPLIT_COLUMNS)
    rng = np.random.default_rng(seed)
    parts = []
    for split in range(count):
        rows = int(rng.integers(800, 2501))
        picked = rng.choice(len(flights), size=2 * rows, replace=False)
        frame = flights.iloc[picked].reset_index(drop=True)
        frame.insert(0, "side", ["reference"] * rows + ["current"] * rows)
        frame.insert(0, "split", split)
        parts.append(frame)
    pd.concat(parts, ignore_index=True).to_parquet(path, index=False)


def monitml_splits(path: Path) -> list[dict[str, Any]]:
    import pandas as pd  # noqa: PLC0415

    from monitml.analysis import compare  # noqa: PLC0415

    data = pd.read_parquet(path)
    out = []
    for split, frame in data.groupby("split", sort=True):
        reference = frame.loc[frame["side"] == "reference", SPLIT_COLUMNS].reset_index(drop=True)
        current = frame.loc[frame["side"] == "current", SPLIT_COLUMNS].reset_index(drop=True)
        verdicts = monitml_verdicts(compare(reference, current))
        out.append({"split": int(split), "rows": len(reference), **verdicts})
    return out


def false_alarms(count: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "splits.parquet"
        make_splits(count, seed, path)
        print(f"[false alarms] {count} splits: MonitML", file=sys.stderr, flush=True)
        mine = monitml_splits(path)
        print(f"[false alarms] {count} splits: Evidently", file=sys.stderr, flush=True)
        theirs = run_json([str(EVIDENTLY_PYTHON), str(WORKER), "splits", str(path)])["splits"]
    summary: dict[str, Any] = {"splits": count, "seed": seed}
    for tool, splits in (("monitml", mine), ("evidently", theirs)):
        flagged = {name: 0 for name in SPLIT_COLUMNS}
        methods: dict[str, int] = {}
        for split in splits:
            for name, column in split["columns"].items():
                flagged[name] += bool(column["drift_detected"])
                if column["drift_detected"]:
                    methods[column["method"]] = methods.get(column["method"], 0) + 1
        cells = count * len(SPLIT_COLUMNS)
        summary[tool] = {
            "flagged_share": sum(flagged.values()) / cells,
            "flagged_by_column": flagged,
            "flagged_by_method": methods,
            "dataset_alarms": sum(bool(split["dataset_drift"]) for split in splits),
            "rows": [split["rows"] for split in splits],
        }
    rows = summary["monitml"]["rows"]
    print(
        f"\n## False alarms: {count} random halves of flights-3m, {min(rows)}–{max(rows)} rows "
        f"per side, columns {', '.join(SPLIT_COLUMNS)} (seed {seed})"
    )
    print("| tool | columns flagged | by column | dataset alarms |")
    print("|---|---|---|---|")
    for tool in ("evidently", "monitml"):
        entry = summary[tool]
        by_column = ", ".join(f"{name} {hits}" for name, hits in entry["flagged_by_column"].items())
        print(
            f"| {tool} | {entry['flagged_share']:.1%} | {by_column} | "
            f"{entry['dataset_alarms']}/{count} |"
        )
    print(f"Evidently's flags by method: {summary['evidently']['flagged_by_method']}")
    return summary


# --------------------------------------------------------------------------- entry point
def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_monitml-inproc":
        parser = argparse.ArgumentParser()
        parser.add_argument("reference")
        parser.add_argument("current")
        parser.add_argument("--repeat", type=int, default=3)
        args = parser.parse_args(sys.argv[2:])
        print(json.dumps(monitml_inproc(args.reference, args.current, args.repeat)))
        return
    parser = argparse.ArgumentParser(
        description="MonitML drift vs Evidently DataDriftPreset",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument(
        "--datasets",
        default=",".join(DATASETS),
        help=f"comma-separated, from {', '.join(DATASETS)}; 'none' for none",
    )
    parser.add_argument("--repeat", type=int, default=3, help="in-process runs per tool")
    parser.add_argument(
        "--whole-repeat", type=int, default=3, help="whole-process runs per tool (0: skip)"
    )
    parser.add_argument(
        "--pairs", type=int, default=0, help="only whole processes, this many paired runs"
    )
    parser.add_argument("--false-alarms", type=int, default=0, help="random-halves splits")
    parser.add_argument("--seed", type=int, default=2001)
    parser.add_argument("--out", type=Path, help="write all measurements here as JSON")
    parser.add_argument(
        "--tools", default="monitml,evidently", help="which tools to measure (comma-separated)"
    )
    parser.add_argument(
        "--evidently-from",
        type=Path,
        help="reuse Evidently's figures from an earlier --out file instead of measuring again",
    )
    args = parser.parse_args()

    if not EVIDENTLY_PYTHON.exists():
        raise SystemExit("no Evidently environment: run `bash benchmarks/evidently_env.sh` first")
    names = [] if args.datasets == "none" else args.datasets.split(",")
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        raise SystemExit(f"unknown data set(s): {', '.join(unknown)}; valid: {', '.join(DATASETS)}")
    missing = [name for name in names if not (DATA / name / "current.parquet").exists()]
    if missing or (args.false_alarms and not FLIGHTS_3M.exists()):
        raise SystemExit("data not prepared: run `.venv/bin/python benchmarks/data.py` first")

    tools = [tool for tool in args.tools.split(",") if tool]
    if args.evidently_from:
        tools = [tool for tool in tools if tool != "evidently"]
    if not set(tools) <= {"monitml", "evidently"}:
        raise SystemExit("--tools: monitml and/or evidently")
    results: list[dict[str, Any]] = []
    if args.pairs:
        with tempfile.TemporaryDirectory() as tmp:
            results = [paired_runs(name, args.pairs, Path(tmp)) for name in names]
        print_pairs(results)
        if args.out:
            args.out.write_text(json.dumps({"pairs": results}, indent=2), encoding="utf-8")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            results.append(bench_dataset(name, args.repeat, args.whole_repeat, Path(tmp), tools))
    if args.evidently_from:
        merge_earlier(results, args.evidently_from, "evidently")
    if results:
        print_results(results)
    summary = false_alarms(args.false_alarms, args.seed) if args.false_alarms else None
    if args.out:
        payload = {"datasets": results, "false_alarms": summary}
        args.out.write_text(json.dumps(payload, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
