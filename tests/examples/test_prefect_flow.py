"""examples/prefect_flow.py runs for real under Prefect's test harness on a small SQLite store.

Three days of logged predictions of a small model: two like its reference, the third with
one of its two features shifted, so the check must alert on that day only (the dataset
drifts when half of the features do) and the report must cover the three days.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml

from monitml.store import PredictionRecord, PredictionStore

ROOT = Path(__file__).resolve().parents[2]
MODEL = "rent"
DAY = 86_400.0
START = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
ROWS_PER_DAY = 300


def _frame(generator: np.random.Generator, rows: int, area_shift: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "area": generator.uniform(20, 150, rows) + area_shift,
            "rooms": generator.integers(1, 6, rows).astype(float),
        }
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    from sklearn.linear_model import LinearRegression  # noqa: PLC0415

    generator = np.random.default_rng(11)
    reference = _frame(generator, 2_000)
    reference["rent"] = 12.0 * reference["area"] + 50.0 * reference["rooms"]
    model = LinearRegression().fit(reference[["area", "rooms"]], reference["rent"])
    joblib.dump(model, tmp_path / "v1.joblib")
    reference.to_parquet(tmp_path / "reference.parquet", index=False)
    settings = {
        "store": {"url": "sqlite:///monitml.db"},
        "models": {
            MODEL: {
                "task": "regression",
                "target": "rent",
                "reference": "reference.parquet",
                "versions": {"v1": {"path": "v1.joblib"}},
            }
        },
        "monitor": {"min_rows": 100},
    }
    path = tmp_path / "monitml.yaml"
    path.write_text(yaml.safe_dump(settings), encoding="utf-8")

    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'monitml.db'}")
    try:
        for day, shift in enumerate([0.0, 0.0, 60.0]):
            rows = _frame(generator, ROWS_PER_DAY, area_shift=shift)
            predictions = model.predict(rows)
            records = [
                PredictionRecord(
                    f"day{day}",
                    f"day{day}-{i}",
                    MODEL,
                    "v1",
                    START + day * DAY + i * (DAY / ROWS_PER_DAY),
                    {"area": float(row.area), "rooms": float(row.rooms)},
                    float(predictions[i]),
                    0.001,
                )
                for i, row in enumerate(rows.itertuples())
            ]
            store.insert_predictions(records)
    finally:
        store.dispose()
    return path


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "prefect_flow", ROOT / "examples" / "prefect_flow.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    from prefect.testing.utilities import prefect_test_harness  # noqa: PLC0415

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect-home")))
        with prefect_test_harness(server_startup_timeout=120):
            yield


def test_the_flow_alerts_on_the_drifted_day_and_writes_the_report(
    example: ModuleType, harness: None, config: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    payload = example.monitoring_flow(
        str(config), MODEL, "2026-11-01", "2026-11-04", chunk="1d", out=str(out)
    )
    assert payload["format"] == "monitml.check/1"
    assert [len(chunk["alerts"]) > 0 for chunk in payload["chunks"]] == [False, False, True]
    assert [chunk["rows"] for chunk in payload["chunks"]] == [ROWS_PER_DAY] * 3
    report = Path(payload["report"])
    assert report.parent == out
    assert "area" in report.read_text(encoding="utf-8")
    json.dumps(payload)  # the flow's result is plain JSON, storable by Prefect


def test_the_flow_fails_on_alerts_when_asked(
    example: ModuleType, harness: None, config: Path, tmp_path: Path
) -> None:
    with pytest.raises(example.AlertsRaisedError, match=r"rent: 1 alert\(s\)"):
        example.monitoring_flow(
            str(config), MODEL, "2026-11-01", "2026-11-04", out=str(tmp_path), fail_on_alert=True
        )
