"""A year of flights-like monitoring in monthly chunks, as ``PeriodResults``, without a store.

The shipped flights samples give seven real features (the current sample, from later in the
year, drifts against the reference); eight synthetic ones bring the total to fifteen. Each
chunk is scored by a real ``ModelMonitor``, so payloads have the shape reports get in
production.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.period import residual_spread, roc_curve
from monitml.monitor.policy import MonitorPolicy
from monitml.report.period import Histogram, PeriodResults, VersionPeriod

DATA = Path(__file__).resolve().parents[2] / "src" / "monitml" / "data"
NUMERICAL = ["dep_delay", "distance", "air_time", "hour"] + [f"n{i}" for i in range(5)]
CATEGORICAL = ["carrier", "origin", "dest"] + [f"k{i}" for i in range(3)]
FEATURES = NUMERICAL + CATEGORICAL
YEAR = pd.Timestamp("2026-01-01", tz="UTC")


def _with_synthetic(frame: pd.DataFrame, rng: np.random.Generator, shift: float) -> pd.DataFrame:
    n = len(frame)
    shares = [0.25] * 4 if shift == 0 else [0.55, 0.15, 0.15, 0.15]
    extra = {f"n{i}": rng.normal(shift, 1.0, n) for i in range(5)}
    extra |= {f"k{i}": rng.choice(["a", "b", "c", "d"], n, p=shares) for i in range(3)}
    return frame.reset_index(drop=True).assign(**extra)


def _score(frame: pd.DataFrame, task: str) -> pd.DataFrame:
    delay = frame["dep_delay"].fillna(0.0)
    if task == "classification":
        probability = 1 / (1 + np.exp(-(delay - 15) / 10))
        return frame.assign(
            prediction=np.where(probability >= 0.5, "1", "0"),
            proba_0=1 - probability,
            proba_1=probability,
            label=np.where(
                frame["arr_delay"].isna(), None, (frame["arr_delay"] > 15).astype(int).astype(str)
            ),
        )
    return frame.assign(prediction=0.9 * delay + 3.0, label=frame["arr_delay"])


def year_of_flights(
    *,
    task: str = "regression",
    versions: tuple[str, ...] = ("v1", "v2"),
    rows: int = 300,
    multivariate: tuple[str, ...] = (),
) -> PeriodResults:
    """Twelve monthly chunks per version; from July on, v2 serves the later flights sample and
    its eight synthetic features move (1σ, or a category taking 55% of rows): dataset drift.

    Chunks carry estimated performance (DLE; CBPE from ``proba_0``/``proba_1``), and with
    ``multivariate`` those methods' verdicts (``pca``, ``classifier``: a second a chunk)."""
    rng = np.random.default_rng(5)
    reference = _score(pd.read_parquet(DATA / "flights_reference.parquet"), task)
    current = pd.read_parquet(DATA / "flights_current.parquet")
    reference = _with_synthetic(reference, rng, 0.0)
    scores = [c for c in ("proba_0", "proba_1") if c in reference.columns]
    monitor = ModelMonitor(
        "flights",
        reference[[*FEATURES, "prediction", "label", *scores]],
        features=FEATURES,
        numerical=NUMERICAL,
        categorical=CATEGORICAL,
        target="label",
        task=task,
        policy=MonitorPolicy(min_rows=100, multivariate=bool(multivariate)),
    )
    monitor.multivariate = {k: v for k, v in monitor.multivariate.items() if k in multivariate}
    edges = [(YEAR + pd.DateOffset(months=m)).timestamp() for m in range(13)]
    entries = []
    for index, version in enumerate(versions):
        chunks, parts = [], []
        for month in range(12):
            drifted = index > 0 and month >= 6
            source = current if drifted else pd.read_parquet(DATA / "flights_reference.parquet")
            part = _score(source.sample(rows, random_state=month * 10 + index), task)
            part = _with_synthetic(part, rng, 1.0 if drifted else 0.0)
            part["timestamp"] = np.linspace(edges[month], edges[month + 1], rows, endpoint=False)
            parts.append(part)
            result = monitor.evaluate(
                part, version, window_start=edges[month], window_end=edges[month + 1]
            ).to_dict()
            result["alerts"] = (
                ["DatasetDrift"] if (result["drift"] or {}).get("dataset_drift") else []
            )
            chunks.append(result)
        rows_all = pd.concat(parts, ignore_index=True)
        overall = monitor.evaluate(rows_all, version, window_start=edges[0], window_end=edges[-1])
        if task == "regression":
            errors = [(p["prediction"] - p["label"]).dropna().to_numpy(np.float64) for p in parts]
            every = np.concatenate(errors)
            counts, bins = np.histogram(np.clip(every, -60, 90), bins=40, range=(-60, 90))
            entry = VersionPeriod(
                version,
                tuple(chunks),
                overall.to_dict(),
                residuals=tuple(residual_spread(e) for e in errors),
                residual_histogram=Histogram(tuple(bins.tolist()), tuple(counts.tolist())),
            )
        else:
            known = rows_all["label"].notna().to_numpy()
            roc = roc_curve(
                rows_all["proba_1"].to_numpy(np.float64)[known],
                rows_all["label"][known].to_numpy() == "1",
                "1",
            )
            entry = VersionPeriod(version, tuple(chunks), overall.to_dict(), roc=roc)
        entries.append(entry)
    return PeriodResults(
        model="flights",
        task=task,
        start=edges[0],
        end=edges[-1],
        chunk="1mo",
        versions=tuple(entries),
        alert_events=(
            {
                "rule": "HighDelayPrediction",
                "state": "firing",
                "starts_at": edges[7] + 3600,
                "model": "flights",
                "version": versions[-1],
                "value": 41.5,
            },
        ),
        generated_at=edges[-1],
    )
