"""Summarising speed (issue 13, item 1): cells per second on one core, and what it costs after.

Columns of ``--rows`` rows (1M by default) are summarised one at a time, in this process, with
BLAS held to one thread so the figure is per core: continuous (normal, lognormal), discrete
(Poisson: kept exactly), mostly-missing, and categorical (dictionary codes, as pandas hands
them over, and strings). Then: summary sizes, merging 100 partition summaries, and the
default drift rule from two summaries against the same rule on the two full samples.

    .venv/bin/python benchmarks/bench_summaries.py [--rows 1000000] [--repeat 7]

The machine is shared: the load average is printed before and after, and every figure is a
median with its min–max over the repeats.
"""

from __future__ import annotations

import os

# Per core: no BLAS thread pool behind the dot products.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import platform
import statistics
import time
from collections.abc import Callable

import numpy as np

from monitml.stats.catalog import get_method
from monitml.stats.samples import NumericSample
from monitml.stats.summaries import (
    Binning,
    Vocabulary,
    dumps,
    summarise_categorical,
    summarise_codes,
    summarise_numeric,
)


def _timed(action: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    action()  # warm-up: the sketch library's import, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def _line(name: str, cells: int, timing: tuple[float, float, float]) -> None:
    median, low, high = timing
    rate = cells / median / 1e6
    print(
        f"| {name} | {median * 1e3:.1f} ({low * 1e3:.1f}–{high * 1e3:.1f}) | {rate:.1f} "
        f"({cells / high / 1e6:.1f}–{cells / low / 1e6:.1f}) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    rows, repeat = args.rows, args.repeat
    rng = np.random.default_rng(0)
    print(f"python {platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} cores")
    print(f"load average before: {os.getloadavg()}")

    reference = rng.normal(10.0, 3.0, 100_000)
    binning = Binning.from_reference(reference)
    numeric = {
        "normal": rng.normal(10.0, 3.0, rows),
        "lognormal": rng.lognormal(2.0, 1.0, rows),
        "poisson (exact)": rng.poisson(10.0, rows).astype(np.float64),
        "90% missing": np.where(rng.random(rows) < 0.9, np.nan, rng.normal(10.0, 3.0, rows)),
    }
    names = np.array([f"cat{i}" for i in range(200)])
    vocabulary = Vocabulary(tuple(names[:150].tolist()))
    codes = rng.integers(-1, 200, rows)
    strings = names[rng.integers(0, 200, rows)].astype(object)

    print(f"\n{rows:,} rows a column; ms median (min–max) and M cells/s per core\n")
    print("| column | ms | M cells/s |")
    print("|---|---|---|")
    for name, values in numeric.items():
        _line(name, rows, _timed(lambda v=values: summarise_numeric(v, binning), repeat))
    _line(
        "categorical, 200 codes",
        rows,
        _timed(lambda: summarise_codes(codes, names, vocabulary), repeat),
    )
    _line(
        "categorical, 200 strings",
        rows,
        _timed(lambda: summarise_categorical(strings, vocabulary), max(1, repeat // 3)),
    )

    print("\nsummary sizes (bytes of monitml.summary/1 JSON)")
    for name, values in numeric.items():
        print(f"  {name}: {len(dumps(summarise_numeric(values, binning))):,}")
    print(f"  categorical: {len(dumps(summarise_codes(codes, names, vocabulary))):,}")

    parts = [summarise_numeric(part, binning) for part in np.array_split(numeric["normal"], 100)]

    def merge_all() -> object:
        merged = parts[0]
        for part in parts[1:]:
            merged = merged.merge(part)
        return merged

    median, low, high = _timed(merge_all, repeat)
    print(f"\nmerging 100 partition summaries: {median * 1e3:.1f} ms", end=" ")
    print(f"({low * 1e3:.1f}–{high * 1e3:.1f})")

    current = rng.normal(10.3, 3.0, rows)
    ref_summary = summarise_numeric(rng.normal(10.0, 3.0, rows), binning)
    cur_summary = summarise_numeric(current, binning)
    from_summaries = _timed(lambda: get_method("auto").fit(ref_summary).score(cur_summary), repeat)
    ref_sample = NumericSample.from_values(rng.normal(10.0, 3.0, rows))
    cur_sample = NumericSample.from_values(current)
    from_samples = _timed(lambda: get_method("auto").fit(ref_sample).score(cur_sample), repeat)
    print(f"default drift rule, {rows:,} rows a side:", end=" ")
    print(f"from summaries {from_summaries[0] * 1e3:.1f} ms,", end=" ")
    print(f"from sorted samples {from_samples[0] * 1e3:.1f} ms")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
