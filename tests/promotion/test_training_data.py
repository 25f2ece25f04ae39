"""The training data: labelled rows of every version, within the window, oldest first."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from monitml.promotion.training_data import read_labelled
from monitml.store import LabelRecord, PredictionRecord, PredictionStore

from .conftest import log_labelled

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PredictionStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = PredictionStore.from_url(url)
    yield opened
    opened.dispose()


def frame(n: int, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {"x": [float(i + offset) for i in range(n)], "c": ["ab"[i % 2] for i in range(n)]}
    ).assign(y=lambda f: 2 * f["x"])


def test_labelled_rows_of_every_version_are_read_oldest_first_and_unlabelled_ones_left_out(
    store: PredictionStore,
) -> None:
    log_labelled(store, "m", frame(4), ["x", "c"], "y", [100, 101, 102, 103], version="v1")
    log_labelled(
        store, "m", frame(3, 10), ["x", "c"], "y", [50, 150, 250], version="v2", prefix="s"
    )
    log_labelled(store, "m", frame(2, 20), ["x", "c"], "y", [300, 301], prefix="u", labelled=False)
    log_labelled(store, "other", frame(2), ["x", "c"], "y", [100, 101], prefix="o")

    data = read_labelled(store, "m", ["x", "c"], "y", window=None, now=1_000.0, task="regression")

    assert data.rows == 7
    assert list(data.frame.columns) == ["x", "c", "y", "timestamp"]
    assert data.frame["timestamp"].tolist() == [50, 100, 101, 102, 103, 150, 250]
    assert data.frame["x"].tolist() == [10.0, 0.0, 1.0, 2.0, 3.0, 11.0, 12.0]
    assert data.frame["y"].tolist() == [20.0, 0.0, 2.0, 4.0, 6.0, 22.0, 24.0]
    assert (data.window_start, data.window_end(), data.missing_features) == (None, 250.0, ())


def test_only_rows_logged_within_the_training_window_are_read(store: PredictionStore) -> None:
    log_labelled(store, "m", frame(10), ["x", "c"], "y", [float(t) for t in range(0, 100, 10)])

    data = read_labelled(store, "m", ["x", "c"], "y", window=35.0, now=100.0, task="regression")

    assert data.window_start == 65.0
    assert data.frame["timestamp"].tolist() == [70.0, 80.0, 90.0]


def test_the_newest_share_is_held_out(store: PredictionStore) -> None:
    log_labelled(store, "m", frame(10), ["x", "c"], "y", [float(t) for t in range(10)])
    data = read_labelled(store, "m", ["x", "c"], "y", window=None, now=100.0, task="regression")

    training, held_out = data.split(0.25)

    assert training["timestamp"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert held_out["timestamp"].tolist() == [7, 8, 9]


def test_shadow_copies_are_left_out_and_a_feature_never_logged_is_reported(
    store: PredictionStore,
) -> None:
    log_labelled(store, "m", frame(3), ["x", "c"], "y", [1.0, 2.0, 3.0])
    shadow = PredictionRecord("q", "r0", "m", "v9", 1.5, {"x": 0.0, "c": "a"}, 0.0, 0.001, True)
    store.insert_predictions([shadow])
    store.insert_labels([LabelRecord("m", "r0", 0.0, 9.0)])

    data = read_labelled(store, "m", ["x", "c", "z"], "y", window=None, now=9.0, task="regression")

    assert data.rows == 3
    assert data.missing_features == ("z",)
    assert data.frame["z"].isna().all()


def test_classification_labels_are_kept_as_they_were_sent(store: PredictionStore) -> None:
    labelled = frame(3).assign(y=["yes", "no", "yes"])
    log_labelled(store, "m", labelled, ["x", "c"], "y", [1.0, 2.0, 3.0])
    data = read_labelled(store, "m", ["x", "c"], "y", window=None, now=9.0, task="classification")
    assert data.frame["y"].tolist() == ["yes", "no", "yes"]
