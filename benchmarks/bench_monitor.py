"""Cost of one monitor run: a 10,000-row window, 20 features, against a 20,000-row reference.

Measures ``ModelMonitor.evaluate`` (the compute of one run: drift per feature and of the
prediction, quality, prediction statistics, performance on labelled rows), not the store
read. Prints the median, min and max over repeated runs and the per-stage split.

    .venv/bin/python benchmarks/bench_monitor.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import pandas as pd

from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy

FEATURES = 20
WINDOW = 10_000
REFERENCE = 20_000
RUNS = 30


def frame(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    columns = {f"num{i}": rng.normal(0, 1, rows) for i in range(FEATURES - 4)}
    columns |= {f"cat{i}": rng.choice(list("abcdefgh"), rows) for i in range(4)}
    data = pd.DataFrame(columns)
    data["prediction"] = data["num0"] * 3 + data["num1"]
    data["label"] = data["prediction"] + rng.normal(0, 0.5, rows)
    return data


def main() -> None:
    rng = np.random.default_rng(0)
    reference = frame(rng, REFERENCE)
    features = [c for c in reference.columns if c.startswith(("num", "cat"))]
    started = time.perf_counter()
    monitor = ModelMonitor(
        "bench",
        reference,
        features=features,
        target="label",
        policy=MonitorPolicy(window_rows=WINDOW),
    )
    fit_seconds = time.perf_counter() - started
    window = frame(rng, WINDOW)
    window.loc[window.index[::2], "label"] = np.nan  # half the labels have arrived
    for _ in range(3):
        monitor.evaluate(window, "v1")
    timings = []
    for _ in range(RUNS):
        result = monitor.evaluate(window, "v1")
        timings.append(result.compute_seconds)
    median = statistics.median(timings)
    print(f"monitor run: {WINDOW:,}-row window, {FEATURES} features, reference {REFERENCE:,} rows")
    print(f"  reference fitted once in {fit_seconds * 1000:.1f} ms")
    print(
        f"  one run: median {median * 1000:.1f} ms "
        f"(min {min(timings) * 1000:.1f}, max {max(timings) * 1000:.1f}) over {RUNS} runs"
    )
    print(f"  target < 100 ms: {'met' if median < 0.1 else 'MISSED'}")


if __name__ == "__main__":
    main()
