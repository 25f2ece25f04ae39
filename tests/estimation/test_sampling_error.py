"""The sampling error: bootstrapped once per size of a grid, and scaled to each chunk's rows."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from monitml.estimation import CBPE, DLE
from monitml.estimation.base import EXACT_BOOTSTRAP_ROWS, bootstrap_size


def _binary(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    chance = 1 / (1 + np.exp(-2 * rng.normal(0.0, 1.0, rows)))
    return pd.DataFrame(
        {"y": (rng.random(rows) < chance).astype(int), "score": chance, "pred": chance >= 0.5}
    ).astype({"pred": int})


def test_sizes_up_to_the_exact_limit_are_their_own_and_larger_ones_round_up_a_little() -> None:
    assert [bootstrap_size(n) for n in (0, 1, 30, 4_096)] == [1, 1, 30, 4_096]
    sizes = np.unique(np.geomspace(4_097, 5_000_000, 4_000).astype(int))
    grid = np.array([bootstrap_size(int(n)) for n in sizes])
    assert np.all(grid >= sizes)
    assert np.all(grid <= np.ceil(sizes * 2**0.25))  # at most 19% more rows
    assert np.all(np.diff(grid) >= 0)
    # About four sizes per doubling: a year of daily chunks of 5k-50k rows needs ~14 bootstraps.
    assert len(set(grid)) == pytest.approx(4 * math.log2(5_000_000 / 4_097), abs=2)


def _counting(estimator: Any) -> list[int]:
    """Count the bootstrap draws ``estimator`` computes (each a realised-metrics call)."""
    calls: list[int] = []
    for name in ("_realized", "_realized_summed"):
        original = getattr(estimator, name)

        def counted(data: Any, rows: Any, original: Any = original) -> Any:
            calls.append(len(rows))
            return original(data, rows)

        setattr(estimator, name, counted)
    return calls


@pytest.mark.parametrize("summed_only", [False, True])
def test_chunks_of_nearby_sizes_share_one_bootstrap_scaled_to_their_rows(summed_only: bool) -> None:
    cbpe = CBPE(target="y", prediction="pred", scores="score").fit(
        _binary(np.random.default_rng(3), 20_000)
    )
    draws = _counting(cbpe)

    first = cbpe.standard_error(5_000, summed_only=summed_only)
    second = cbpe.standard_error(5_400, summed_only=summed_only)

    size = bootstrap_size(5_000)
    assert bootstrap_size(5_400) == size > 5_400
    assert draws == [size] * cbpe.bootstrap  # one bootstrap, at the grid's size
    for name in first:
        assert second[name] == pytest.approx(first[name] * math.sqrt(5_000 / 5_400), rel=1e-12)


def test_a_scaled_error_is_close_to_a_bootstrap_at_the_chunks_own_size() -> None:
    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"x": rng.normal(size=30_000)})
    frame["y_pred"] = 2 * frame["x"]
    frame["y_true"] = frame["y_pred"] + rng.normal(size=len(frame)) * (0.5 + frame["x"].abs())
    dle = DLE(target="y_true", prediction="y_pred", features=["x"]).fit(frame)
    rows = EXACT_BOOTSTRAP_ROWS + 700

    scaled = dle.standard_error(rows)
    exact = dle._bootstrap(rows, dle.metrics, dle._realized)  # what every size once cost

    assert bootstrap_size(rows) > rows
    for name in dle.metrics:
        assert scaled[name] == pytest.approx(exact[name], rel=0.3), name
