"""Moves: the segment that moved beyond the rest is found; noise, tiny segments and a move of
every row alike are not news."""

from __future__ import annotations

import numpy as np
import pandas as pd

from monitml.explain import Explainer


def frame(rows: int, seed: int, *, shift: dict[str, float] | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    city = rng.choice(["north", "south", "east", "west"], rows, p=[0.4, 0.3, 0.2, 0.1])
    size = rng.normal(100, 20, rows)
    prediction = 1_000 + 5 * size + rng.normal(0, 50, rows)
    for name, factor in (shift or {}).items():
        prediction = np.where(city == name, prediction * factor, prediction)
    return pd.DataFrame({"city": city, "size": size, "prediction": prediction})


def explainer() -> Explainer:
    return Explainer(frame(5_000, 0), features=["city", "size"], task="regression")


def test_a_segment_whose_predictions_fell_a_fifth_is_named_with_its_fall() -> None:
    found = explainer().explain(frame(2_000, 1, shift={"east": 0.8}), None)
    top = found.segments[0]
    assert (top.column, top.segment, top.signal) == ("city", "east", "prediction")
    assert -0.22 < top.change < -0.18
    assert found.summary.startswith("prediction mean fell 20% in city=east")


def test_windows_like_the_reference_name_no_segment_in_a_hundred_seeds() -> None:
    fitted = explainer()
    named = [bool(fitted.explain(frame(1_000, seed), None).segments) for seed in range(1, 101)]
    assert sum(named) <= 2


def test_a_move_of_every_segment_alike_is_no_segment_move() -> None:
    shift = dict.fromkeys(["north", "south", "east", "west"], 0.7)
    found = explainer().explain(frame(2_000, 2, shift=shift), None)
    assert found.segments == ()
    assert found.summary == "no segment moved"


def test_a_segment_below_the_minimum_rows_is_ignored_however_far_it_moved() -> None:
    window = frame(2_000, 3)
    few = window.index[window["city"] == "west"][:20]
    window = window[(window["city"] != "west") | window.index.isin(few)].copy()
    window.loc[few, "prediction"] *= 0.1
    assert explainer().explain(window, None).segments == ()


def test_a_classifier_whose_positive_share_rose_in_one_segment_is_named_with_it() -> None:
    def scored(rows: int, seed: int, *, boost: float = 0.0) -> pd.DataFrame:
        rng = np.random.default_rng(seed)
        city = rng.choice(["north", "south", "east"], rows, p=[0.5, 0.3, 0.2])
        chance = 0.2 + np.where(city == "east", boost, 0.0)
        label = (rng.random(rows) < 0.2).astype(int)
        return pd.DataFrame(
            {"city": city, "prediction": (rng.random(rows) < chance).astype(int), "label": label}
        )

    fitted = Explainer(scored(6_000, 0), features=["city"], task="classification")
    found = fitted.explain(scored(3_000, 1, boost=0.3), None)
    top = next(m for m in found.segments if m.signal == "prediction")
    assert (top.column, top.segment) == ("city", "east")
    assert found.summary.startswith("share predicted '1' rose")
    assert "error rate rose" in found.summary
