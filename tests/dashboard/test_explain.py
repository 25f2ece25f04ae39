"""The model page's Why panel: the newest window's sentence, features by impact, the segments
that moved and the performance per configured segment over the recent windows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

from monitml.dashboard import ModelView, create_dashboard
from monitml.dashboard.explain import SEGMENT_WINDOWS, explanation_panel
from monitml.dashboard.pages import model_page
from monitml.monitor.model_monitor import ModelMonitor
from monitml.monitor.policy import MonitorPolicy
from monitml.store import PredictionStore

from .conftest import serve

NOW = 1_790_000_000.0
MODEL = ModelView("house-price", "regression", ("v1",), {"v1": 100.0})


def houses(rng: np.random.Generator, rows: int, *, gravel_factor: float = 1.0) -> pd.DataFrame:
    area = rng.normal(100.0, 20.0, rows)
    street = rng.choice(["pave", "grvl"], rows, p=[0.7, 0.3])
    prediction = 1_000.0 * area * np.where(street == "grvl", gravel_factor, 1.0)
    price = 1_000.0 * area + rng.normal(0.0, 5_000.0, rows)
    return pd.DataFrame({"area": area, "street": street, "prediction": prediction, "price": price})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[PredictionStore]:
    """Twenty one-minute windows; in the last five the gravel houses are priced 40% lower."""
    rng = np.random.default_rng(11)
    monitor = ModelMonitor(
        "house-price", houses(rng, 4_000), features=["area", "street"], numerical=["area"],
        categorical=["street"], target="price", policy=MonitorPolicy(min_rows=50),
        segments=["street"],
    )  # fmt: skip
    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    for index in range(20):
        end = NOW - (19 - index) * 60.0
        window = houses(rng, 600, gravel_factor=0.6 if index >= 15 else 1.0)
        result = monitor.evaluate(window.rename(columns={"price": "label"}), "v1")
        store.save_monitor_result(
            {"model": "house-price", "version": "v1", "kind": "window", "run_at": end,
             "window_start": end - 60.0, "window_end": end, "payload": result.to_dict()}
        )  # fmt: skip
    yield store
    store.dispose()


def test_the_panel_names_the_segment_that_moved_with_its_performance_over_time(
    store: PredictionStore,
) -> None:
    page = model_page(store, MODEL, {}, now=NOW, range_key="1h")
    panel = page["explanations"]["v1"]
    assert panel.summary.startswith("prediction mean fell")
    assert "in street=grvl" in panel.summary
    assert any(move.startswith("street=grvl: prediction mean -4") for move in panel.moves)
    ((column, metric, rows),) = panel.segments
    assert (column, metric) == ("street", "MAE")
    gravel = {row.segment: row for row in rows}["grvl"]
    assert len(gravel.recent) == panel.recent_windows == SEGMENT_WINDOWS
    # The gravel houses' error went up in the five shifted windows only.
    recent = [float(value.replace(",", "")) for value in gravel.recent]
    assert min(recent[-4:]) > 3 * max(recent[:-4])


def test_the_model_page_shows_the_panel(store: PredictionStore) -> None:
    dashboard = create_dashboard(store, lambda: [MODEL], clock=lambda: NOW)
    with serve(Starlette(routes=[Mount("/ui", dashboard)])) as client:
        html = client.get("/ui/models/house-price").text
    assert 'data-testid="why-v1"' in html
    assert "in street=grvl" in html
    assert 'data-testid="segments-v1-street"' in html


def test_a_payload_without_explanation_has_no_panel(payloads: dict[str, dict[str, Any]]) -> None:
    bare = {k: v for k, v in payloads["calm"].items() if k != "explanation"}
    assert explanation_panel(bare) is None
    assert explanation_panel(payloads["small"]) is None
