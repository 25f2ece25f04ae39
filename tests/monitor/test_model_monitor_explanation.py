"""Windows and batch chunks carry their explanation (monitml.explain) in their payload."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitml.errors import ConfigError
from monitml.monitor.batch import run_check
from monitml.monitor.chunks import parse_chunk
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.store import PredictionStore
from monitml.store.records import PredictionRecord

START = 1_789_948_800.0  # a midnight, UTC: daily chunks start there
# 40% less, give or take the sampling of the window's gravel houses against the reference's.
FELL_40 = r"prediction mean fell (3[89]|4[012])% in street=grvl"


def houses(rng: np.random.Generator, rows: int, *, gravel_factor: float = 1.0) -> pd.DataFrame:
    area = rng.normal(100.0, 20.0, rows)
    street = rng.choice(["pave", "grvl"], rows, p=[0.7, 0.3])
    prediction = 1_000.0 * area * np.where(street == "grvl", gravel_factor, 1.0)
    price = 1_000.0 * area + rng.normal(0.0, 5_000.0, rows)
    return pd.DataFrame({"area": area, "street": street, "prediction": prediction, "price": price})


def monitor(**options: object) -> ModelMonitor:
    return ModelMonitor(
        "house-price", houses(np.random.default_rng(0), 3_000), features=["area", "street"],
        numerical=["area"], categorical=["street"], target="price",
        policy=MonitorPolicy(min_rows=50), **options,  # type: ignore[arg-type]
    )  # fmt: skip


def test_a_window_payload_carries_its_explanation_and_a_small_one_none() -> None:
    watched = monitor(segments=["street"])
    # As the store reads windows: the label column is there, empty until labels arrive.
    window = houses(np.random.default_rng(1), 500, gravel_factor=0.6)
    window = window.rename(columns={"price": "label"}).assign(label=np.nan)
    payload = watched.evaluate(window, "v1").to_dict()
    assert re.match(FELL_40, payload["explanation"]["summary"])
    assert [
        s["segment"] for s in payload["explanation"]["segment_performance"]["street"]["segments"]
    ] == ["pave", "grvl"]
    assert watched.evaluate(window.head(10), "v1").to_dict()["explanation"] is None


def test_only_online_windows_set_the_explanation_alerts_read() -> None:
    watched = monitor()
    window = houses(np.random.default_rng(2), 500, gravel_factor=0.6)
    window = window.rename(columns={"price": "label"})
    watched.evaluate(window, "v1")
    assert watched.explanations == {}
    result = watched.evaluate(window, "v1", stream=True)
    assert result.explanation is not None
    assert watched.explanations == {"v1": result.explanation.summary}


def test_a_segment_column_the_reference_lacks_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"models\.house-price\.segments: no column 'zone'"):
        monitor(segments=["zone"])


def test_each_chunk_of_a_batch_check_is_explained_on_its_own(tmp_path: Path) -> None:
    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    rng = np.random.default_rng(3)
    records = []
    for day, factor in enumerate((1.0, 0.6)):
        for index, row in enumerate(houses(rng, 400, gravel_factor=factor).to_dict("records")):
            records.append(
                PredictionRecord(
                    request_id=uuid.uuid4().hex, record_id=f"d{day}-{index}",
                    model="house-price", version="v1", timestamp=START + day * 86_400 + index,
                    features={"area": row["area"], "street": row["street"]},
                    prediction=row["prediction"], latency_seconds=0.01,
                )
            )  # fmt: skip
    store.insert_predictions(records)
    check = run_check(
        store, monitor(segments=["street"]), start=START, end=START + 2 * 86_400,
        chunk=parse_chunk("1d"), save=False,
    )  # fmt: skip
    first, second = (chunk["explanation"] for chunk in check.to_dict()["chunks"])
    assert "street=grvl" not in first["summary"]
    assert re.match(FELL_40, second["summary"])
    store.dispose()
