"""What explaining a window adds to the monitor's pass, on the Ames housing data.

The Ames model (the demo's gradient boosting, 11 features, trained on the 2006–2007 sales) is
monitored with ``segments: [neighborhood]`` and its permutation importance; windows of 1,000
and 10,000 rows are drawn (with replacement, seeded) from the 2008–2010 sales, half of them
labelled. For each size it times, alternating, ``ModelMonitor.evaluate`` of the same window
and the explanation alone (``Explainer.explain``, as ``evaluate`` calls it), ``--repeats``
times each, and prints the median and p90 of each and the explanation's share of a pass.
The importance is measured once (its time is printed too): it is not part of a window's cost.

    flock /tmp/monitml-timing.lock .venv/bin/python benchmarks/bench_explain.py --repeats 15
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

from monitml.demo.models import (
    AMES_CATEGORICAL,
    AMES_NUMERICAL,
    AMES_TARGET,
    load_ames,
    split_ames,
    train_house_price_model,
)
from monitml.estimation.features import limited_threads
from monitml.explain import drift_columns, permutation_importance
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy

FEATURES = AMES_CATEGORICAL + AMES_NUMERICAL


def _quantiles(values: list[float]) -> str:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms, p90 {p90 * 1000:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: F401, PLC0415

    reference, traffic = split_ames(load_ames())
    with limited_threads(1):
        model = train_house_price_model(reference)
    reference = reference.assign(prediction=model.predict(reference[FEATURES]))
    started = time.perf_counter()
    importance = permutation_importance(
        lambda frame: model.predict(frame[FEATURES]),
        reference,
        target=AMES_TARGET,
        features=FEATURES,
        task="regression",
    )
    measured = time.perf_counter() - started
    monitor = ModelMonitor(
        "house-price",
        reference,
        features=FEATURES,
        numerical=AMES_NUMERICAL,
        categorical=AMES_CATEGORICAL,
        target=AMES_TARGET,
        policy=MonitorPolicy(min_rows=50),
        segments=["neighborhood"],
        importance={"v1": importance},
    )
    logged = traffic.assign(prediction=model.predict(traffic[FEATURES]))
    logged = logged.rename(columns={AMES_TARGET: "label"}).astype({"label": float})
    print(f"load average (1 min) at start: {os.getloadavg()[0]:.2f}")
    print(
        f"importance, once per version: {measured:.2f} s "
        f"({importance.rows} rows x {importance.repeats} repeats x {len(FEATURES)} features)"
    )
    rng = np.random.default_rng(0)
    for size in (int(s) for s in args.sizes.split(",")):
        window = logged.sample(size, replace=True, random_state=size).reset_index(drop=True)
        window.loc[rng.random(size) < 0.5, "label"] = np.nan
        report = monitor.evaluate(window, "v1").report
        assert report is not None
        columns = drift_columns(report)
        passes, explains = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            monitor.evaluate(window, "v1")
            passes.append(time.perf_counter() - started)
            started = time.perf_counter()
            monitor.explainer.explain(window, columns, importance=importance)
            explains.append(time.perf_counter() - started)
        share = statistics.median(explains) / statistics.median(passes)
        print(f"{size:>6} rows: evaluate  {_quantiles(passes)}")
        print(f"{size:>6} rows: explain   {_quantiles(explains)} ({share:.0%} of a pass)")
    print(f"load average (1 min) at end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
