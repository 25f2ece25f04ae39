"""MonitML's label-free estimates against NannyML 0.13.1 on the same chunks (issue 11).

- CBPE on NannyML's US census employment data (68,785 reference rows, 208,892 analysis rows,
  10,000-row chunks): mean absolute error of each tool's estimate against the realised ROC AUC
  and F1, both computed here with scikit-learn on each tool's own chunks (the bounds are checked
  to be the same).
- DLE on NannyML's synthetic car price data (60,000 + 60,000 rows, 6,000-row chunks): the same
  for MAE and RMSE.
- Whole process (import, read the files, fit, estimate, write JSON) of each tool, timed one run
  at a time with ``/usr/bin/time -v`` (wall time and peak RSS), in ``--repeat`` pairs (MonitML
  then NannyML): each pair's ratio NannyML / MonitML, and the median and range of the ratios,
  since the shared machine's speed drifts between pairs more than within one.
- ``--multivariate``: the domain classifier and the PCA detector on 50,000 × 20 rows per side,
  in-process and as ``monitml drift --multivariate``.

NannyML lives in its own venv (``--venv``, default /tmp/nml-venv), created here with pip when
missing, and always runs with ``NML_DISABLE_USAGE_LOGGING=1``; it is never a MonitML dependency.
Its data files are read from that venv's package folder without importing it.

    flock /tmp/monitml-timing.lock .venv/bin/python benchmarks/bench_estimation_vs_nannyml.py \
        --tasks dle --repeat 7
    .venv/bin/python benchmarks/bench_estimation_vs_nannyml.py --multivariate
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MONITML = ROOT / ".venv" / "bin" / "monitml"
NANNYML = "nannyml==0.13.1"
CAR_FEATURES = [
    "car_age",
    "km_driven",
    "price_new",
    "accident_count",
    "door_count",
    "fuel",
    "transmission",
]
EMPLOYMENT_CHUNK = 10_000
CAR_CHUNK = 6_000


# ---------------------------------------------------------------- NannyML's side (its own venv)


def nannyml_worker(task: str, work: Path, out: Path) -> None:
    """Runs under the NannyML venv: import, read, fit, estimate, write JSON."""
    import nannyml as nml  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    if task == "cbpe":
        reference = pd.read_parquet(work / "employment_reference.parquet")
        analysis = pd.read_parquet(work / "employment_analysis.parquet")
        estimator = nml.CBPE(
            y_pred_proba="predicted_probability",
            y_pred="prediction",
            y_true="employed",
            metrics=["roc_auc", "f1"],
            chunker=nml.chunk.SizeBasedChunker(chunk_size=EMPLOYMENT_CHUNK, incomplete="keep"),
            problem_type="classification_binary",
        )
        metrics = ["roc_auc", "f1"]
    else:
        reference = pd.read_parquet(work / "car_reference.parquet")
        analysis = pd.read_parquet(work / "car_analysis.parquet")
        estimator = nml.DLE(
            feature_column_names=CAR_FEATURES,
            y_pred="y_pred",
            y_true="y_true",
            metrics=["mae", "rmse"],
            chunker=nml.chunk.SizeBasedChunker(chunk_size=CAR_CHUNK, incomplete="keep"),
            tune_hyperparameters=False,
        )
        metrics = ["mae", "rmse"]
    estimator.fit(reference)
    frame = estimator.estimate(analysis).filter(period="analysis").to_df()
    chunks = [
        {
            "start": int(row[("chunk", "start_index")]),
            "end": int(row[("chunk", "end_index")]) + 1,  # NannyML's end index is inclusive
            "metrics": {name: float(row[(name, "value")]) for name in metrics},
        }
        for _, row in frame.iterrows()
    ]
    out.write_text(json.dumps({"chunks": chunks}), encoding="utf-8")


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('nannyml'))"],
        capture_output=True,
        text=True,
        check=False,
    )
    pandas = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('pandas'))"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if probe.stdout.strip() != NANNYML.split("==")[1] or not pandas.startswith("2."):
        # statsmodels: NannyML imports it without declaring it; pandas 3's Arrow strings break
        # its DLE (ArrowStringArray has no reshape)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", NANNYML, "statsmodels", "pandas<3"],
            check=True,
        )
    return python


def prepare_data(python: Path, work: Path) -> None:
    """NannyML's files, read from its package folder (found without importing it)."""
    import pandas as pd  # noqa: PLC0415

    if (work / "car_targets.parquet").exists():
        return
    work.mkdir(parents=True, exist_ok=True)
    find = (
        "import importlib.util as u, pathlib; "
        "print(pathlib.Path(u.find_spec('nannyml').origin).parent)"
    )
    folder = (
        Path(
            subprocess.run(
                [str(python), "-c", find], capture_output=True, text=True, check=True
            ).stdout.strip()
        )
        / "datasets"
        / "data"
    )
    pd.read_parquet(folder / "employment_MA_reference.pq").to_parquet(
        work / "employment_reference.parquet"
    )
    pd.read_parquet(folder / "employment_MA_analysis.pq").to_parquet(
        work / "employment_analysis.parquet"
    )
    pd.read_parquet(folder / "employment_MA_analysis_target.pq").to_parquet(
        work / "employment_targets.parquet"
    )
    pd.read_csv(folder / "regression_synthetic_reference.csv").to_parquet(
        work / "car_reference.parquet"
    )
    pd.read_csv(folder / "regression_synthetic_analysis.csv").to_parquet(
        work / "car_analysis.parquet"
    )
    pd.read_csv(folder / "regression_synthetic_analysis_targets.csv").to_parquet(
        work / "car_targets.parquet"
    )


# ---------------------------------------------------------------- running and timing


def timed(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Wall and CPU (user + system) seconds and peak RSS (MB) of one whole process, from
    ``/usr/bin/time -v``. CPU time moves less with the load of the shared machine than wall
    time does (a process waiting for a core is not charged)."""
    result = subprocess.run(
        ["/usr/bin/time", "-v", *command],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **(env or {})},
    )
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed:\n{result.stderr[-3000:]}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", result.stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr)
    cpu = [
        re.search(rf"{kind} time \(seconds\): ([\d.]+)", result.stderr)
        for kind in ("User", "System")
    ]
    if wall is None or rss is None or None in cpu:
        raise SystemExit("cannot read /usr/bin/time -v output")
    hours, minutes, seconds = wall.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds)
    used = sum(float(found.group(1)) for found in cpu if found is not None)
    return {"seconds": total, "cpu_seconds": used, "rss_mb": int(rss.group(1)) / 1024}


def monitml_command(task: str, work: Path, out: Path) -> list[str]:
    if task == "cbpe":
        return [
            str(MONITML),
            "estimate",
            str(work / "employment_reference.parquet"),
            str(work / "employment_analysis.parquet"),
            "--task",
            "binary",
            "--target",
            "employed",
            "--prediction",
            "prediction",
            "--score",
            "predicted_probability",
            "--chunk",
            f"{EMPLOYMENT_CHUNK}rows",
            "--json",
            str(out),
            "-q",
        ]
    return [
        str(MONITML),
        "estimate",
        str(work / "car_reference.parquet"),
        str(work / "car_analysis.parquet"),
        "--task",
        "regression",
        "--target",
        "y_true",
        "--prediction",
        "y_pred",
        "--features",
        ",".join(CAR_FEATURES),
        "--chunk",
        f"{CAR_CHUNK}rows",
        "--json",
        str(out),
        "-q",
    ]


def realised(task: str, work: Path, start: int, end: int) -> dict[str, float]:
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415
    from sklearn import metrics  # noqa: PLC0415

    name = "employment" if task == "cbpe" else "car"
    cache = realised.__dict__.setdefault(name, None)
    if cache is None:
        analysis = pd.read_parquet(work / f"{name}_analysis.parquet")
        cache = analysis.merge(
            pd.read_parquet(work / f"{name}_targets.parquet"), on="id", how="left"
        )
        realised.__dict__[name] = cache
    part = cache.iloc[start:end]
    if task == "cbpe":
        return {
            "roc_auc": metrics.roc_auc_score(part["employed"], part["predicted_probability"]),
            "f1": metrics.f1_score(part["employed"], part["prediction"]),
        }
    error = part["y_true"] - part["y_pred"]
    return {"mae": float(error.abs().mean()), "rmse": float(np.sqrt((error**2).mean()))}


def errors(task: str, work: Path, chunks: list[dict[str, Any]], metric: str) -> float:
    gaps = [
        abs(c["estimated"][metric] - realised(task, work, c["start"], c["end"])[metric])
        for c in chunks
    ]
    return statistics.fmean(gaps)


def compare(task: str, python: Path, work: Path, repeat: int) -> dict[str, Any]:
    ours, theirs = work / f"monitml_{task}.json", work / f"nannyml_{task}.json"
    env = {"NML_DISABLE_USAGE_LOGGING": "1"}
    runs: dict[str, list[dict[str, float]]] = {"monitml": [], "nannyml": []}
    load = [os.getloadavg()[0]]
    for _ in range(repeat):  # one process at a time, alternating
        runs["monitml"].append(timed(monitml_command(task, work, ours)))
        worker = [
            str(python),
            str(Path(__file__).resolve()),
            "--nannyml-worker",
            task,
            str(work),
            str(theirs),
        ]
        runs["nannyml"].append(timed(worker, env))
        ours_run, their_run = runs["monitml"][-1], runs["nannyml"][-1]
        print(
            f"{task} pair {len(runs['monitml'])}: MonitML {ours_run['seconds']:.2f} s "
            f"({ours_run['cpu_seconds']:.2f} s CPU), NannyML {their_run['seconds']:.2f} s "
            f"({their_run['cpu_seconds']:.2f} s CPU)",
            file=sys.stderr,
        )
    load.append(os.getloadavg()[0])
    pairs = list(zip(runs["monitml"], runs["nannyml"], strict=True))
    ratios = [b["seconds"] / a["seconds"] for a, b in pairs]
    cpu_ratios = [b["cpu_seconds"] / a["cpu_seconds"] for a, b in pairs]
    mine = [
        {
            "start": c["start"],
            "end": c["end"],
            "estimated": {k: v["estimated"] for k, v in c["metrics"].items()},
        }
        for c in json.loads(ours.read_text())["chunks"]
    ]
    nml = [
        {"start": c["start"], "end": c["end"], "estimated": c["metrics"]}
        for c in json.loads(theirs.read_text())["chunks"]
    ]
    same = [(c["start"], c["end"]) for c in mine] == [(c["start"], c["end"]) for c in nml]
    names = ["roc_auc", "f1"] if task == "cbpe" else ["mae", "rmse"]
    return {
        "task": task,
        "chunks": len(mine),
        "same_chunks": same,
        "mae": {
            name: {
                "monitml": errors(task, work, mine, name),
                "nannyml": errors(task, work, nml, name),
            }
            for name in names
        },
        "runs": runs,
        "load_average": {"start": load[0], "end": load[1]},
        "ratios": ratios,
        "ratio": {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)},
        "cpu_ratios": cpu_ratios,
        "median": {
            tool: {
                key: statistics.median(r[key] for r in rs)
                for key in ("seconds", "cpu_seconds", "rss_mb")
            }
            for tool, rs in runs.items()
        },
    }


# ---------------------------------------------------------------- multivariate run time


def multivariate(work: Path, rows: int, columns: int) -> dict[str, Any]:
    import numpy as np  # noqa: PLC0415
    import pandas as pd  # noqa: PLC0415

    sys.path.insert(0, str(ROOT / "src"))
    from monitml.estimation.multivariate import DomainClassifier, PCAReconstruction  # noqa: PLC0415

    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(columns, columns)) / np.sqrt(columns)
    names = [f"x{i}" for i in range(columns)]
    reference = pd.DataFrame(rng.normal(size=(rows, columns)) @ mixing, columns=names)
    current = pd.DataFrame(rng.normal(size=(rows, columns)) @ mixing, columns=names)
    current["x0"] = rng.permutation(current["x0"].to_numpy())  # a broken correlation
    found: dict[str, Any] = {"rows_per_side": rows, "columns": columns}
    for name, detector in (("classifier", DomainClassifier()), ("pca", PCAReconstruction())):
        begin = time.perf_counter()
        result = detector.fit(reference).score(current)
        found[name] = {"seconds": time.perf_counter() - begin, **result.to_dict()}
    work.mkdir(parents=True, exist_ok=True)
    reference.to_parquet(work / "mv_reference.parquet")
    current.to_parquet(work / "mv_current.parquet")
    found["whole_process"] = timed(
        [
            str(MONITML),
            "drift",
            str(work / "mv_reference.parquet"),
            str(work / "mv_current.parquet"),
            "--multivariate",
            "--json",
            str(work / "mv.json"),
            "-q",
        ]
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--venv", type=Path, default=Path("/tmp/nml-venv"))
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / ".data" / "estimation")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--tasks", default="cbpe,dle")
    parser.add_argument("--multivariate", action="store_true")
    parser.add_argument("--nannyml-worker", nargs=3, metavar=("TASK", "WORK", "OUT"))
    args = parser.parse_args()
    if args.nannyml_worker:
        task, work, out = args.nannyml_worker
        nannyml_worker(task, Path(work), Path(out))
        return
    if args.multivariate:
        print(json.dumps(multivariate(args.work, 50_000, 20), indent=2))
        return
    python = ensure_venv(args.venv)
    prepare_data(python, args.work)
    load = os.getloadavg()[0]
    results = [compare(task, python, args.work, args.repeat) for task in args.tasks.split(",")]
    print(json.dumps({"load_average_at_start": load, "results": results}, indent=2))
    for result in results:
        mine, theirs = result["median"]["monitml"], result["median"]["nannyml"]
        print(
            f"\n{result['task']}: {result['chunks']} chunks, same chunks: {result['same_chunks']}"
        )
        for name, pair in result["mae"].items():
            print(
                f"  MAE vs realised {name}: MonitML {pair['monitml']:.4f}, "
                f"NannyML {pair['nannyml']:.4f}"
            )
        ratio, ratios = result["ratio"], result["ratios"]
        print(
            f"  whole process (medians): MonitML {mine['seconds']:.2f} s / "
            f"{mine['rss_mb']:.0f} MB, NannyML {theirs['seconds']:.2f} s / "
            f"{theirs['rss_mb']:.0f} MB; load average {result['load_average']['start']:.1f} "
            f"at the start, {result['load_average']['end']:.1f} at the end"
        )
        print(
            f"  NannyML / MonitML per pair: median {ratio['median']:.1f}x "
            f"({ratio['min']:.1f}-{ratio['max']:.1f}x over {len(ratios)} pairs); target 5x: "
            f"{sum(r >= 5 for r in ratios)} of {len(ratios)} pairs "
            f"({'met in every pair' if ratio['min'] >= 5 else 'NOT met in every pair'})"
        )
        cpu = result["cpu_ratios"]
        print(
            f"  CPU seconds (medians): MonitML {mine['cpu_seconds']:.2f}, NannyML "
            f"{theirs['cpu_seconds']:.2f}; per pair: median {statistics.median(cpu):.1f}x "
            f"({min(cpu):.1f}-{max(cpu):.1f}x)"
        )
    worse = [
        f"{result['task']} {name}"
        for result in results
        for name, pair in result["mae"].items()
        if pair["monitml"] > pair["nannyml"]
    ]
    if worse:  # accuracy is the hard criterion: no worse than NannyML on the same chunks
        raise SystemExit(f"MonitML's error is worse than NannyML's: {', '.join(worse)}")


if __name__ == "__main__":
    main()
