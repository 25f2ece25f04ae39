"""A model's ``fallback`` in monitml.yaml: a rule-based version by entrypoint, no routing share."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pandas as pd
import pytest
import yaml

from monitml.app.gateway import build_gateway_app
from monitml.app.monitoring import build_monitor
from monitml.config import load_settings
from monitml.errors import ConfigError

from .conftest import running

RULES_MODULE = '''
import numpy as np


class PricePerArea:
    """A rule: 80 per square foot of living area, whatever else the house is."""

    def predict(self, x):
        return np.asarray(x["gr_liv_area"], dtype=float) * 80.0


def load():
    return PricePerArea()
'''


def _config(demo_config: Path, tmp_path: Path, **model_changes: Any) -> Path:
    folder = tmp_path / "gateway"
    shutil.copytree(demo_config.parent, folder)
    config = yaml.safe_load((folder / "monitml.yaml").read_text())
    config["models"]["house-price"].update(model_changes)
    (folder / "monitml.yaml").write_text(yaml.safe_dump(config))
    return folder / "monitml.yaml"


@pytest.fixture
def rules_entrypoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    folder = tmp_path / "user-code"
    folder.mkdir()
    (folder / "fallback_rules_for_tests.py").write_text(RULES_MODULE)
    monkeypatch.syspath_prepend(str(folder))
    return "fallback_rules_for_tests:load"


def _with_rules(demo_config: Path, entrypoint: str) -> dict[str, Any]:
    versions = yaml.safe_load(demo_config.read_text())["models"]["house-price"]["versions"]
    return {"versions": {**versions, "rules": {"entrypoint": entrypoint}}, "fallback": "rules"}


def test_a_rule_based_fallback_outside_the_routing_answers_out_of_range_inputs(
    demo_config: Path, tmp_path: Path, rules_entrypoint: str
) -> None:
    # routing stays {v1: 75, v2: 25}: the fallback is named nowhere in it.
    path = _config(demo_config, tmp_path, **_with_rules(demo_config, rules_entrypoint))
    reference = pd.read_parquet(path.parent / "reference.parquet")
    features = yaml.safe_load(path.read_text())["models"]["house-price"]["features"]
    row = reference[features["numerical"] + features["categorical"]].iloc[0].to_dict()
    row = {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
    huge = float(reference["gr_liv_area"].max()) * 2

    async def ask(app: Any) -> list[dict[str, Any]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            inside = await client.post("/models/house-price/predict", json=row)
            outside = await client.post(
                "/models/house-price/predict", json={**row, "gr_liv_area": huge}
            )
            described = await client.get("/models/house-price")
        return [inside.json(), outside.json(), described.json()]

    with (
        running(build_gateway_app(load_settings(path))) as app,
        anyio.from_thread.start_blocking_portal() as portal,
    ):
        inside, outside, described = portal.call(ask, app)
    assert inside["version"] in {"v1", "v2"}
    assert "fallback" not in inside
    assert outside["version"] == "rules"
    assert outside["prediction"] == pytest.approx(huge * 80.0)
    assert outside["fallback"]["reason"] == "out_of_range"
    assert outside["fallback"]["feature"] == "gr_liv_area"
    assert described["fallback"] == "rules"
    assert described["versions"]["rules"]["weight"] == 0.0


def test_a_fallback_that_is_not_a_version_is_a_config_error(
    demo_config: Path, tmp_path: Path
) -> None:
    with pytest.raises(
        ConfigError, match=re.escape("fallback: 'rules' is not one of the versions")
    ):
        load_settings(_config(demo_config, tmp_path, fallback="rules"))


def test_a_fallback_without_a_reference_is_a_config_error(
    demo_config: Path, tmp_path: Path, rules_entrypoint: str
) -> None:
    path = _config(
        demo_config, tmp_path, reference=None, **_with_rules(demo_config, rules_entrypoint)
    )
    with pytest.raises(ConfigError, match=re.escape("models.house-price.fallback: needs")):
        build_gateway_app(load_settings(path))


def test_fallbacks_through_the_gateway_fire_a_fallback_rate_rule_in_the_monitor(
    demo_config: Path, tmp_path: Path, rules_entrypoint: str, webhook: Any
) -> None:
    """Gateway → log → monitor pass → rule → webhook, with the composition roots as served."""
    path = _config(
        demo_config,
        tmp_path,
        routing={"v1": 100},
        **_with_rules(demo_config, rules_entrypoint),
    )
    config = yaml.safe_load(path.read_text())
    config["monitor"] = {"window": {"period": "1h"}, "min_rows": 10}
    config["alerts"] = {
        "rules": [{"name": "FallingBack", "model": "house-price", "expr": "fallback_rate > 0.05"}],
        "channels": {"webhook": {"url": webhook.url}},
        "group_wait": "0s",
    }
    path.write_text(yaml.safe_dump(config))
    settings = load_settings(path)
    reference = pd.read_parquet(path.parent / "reference.parquet")
    features = config["models"]["house-price"]["features"]
    columns = features["numerical"] + features["categorical"]
    rows = [
        {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
        for row in reference[columns].dropna().head(48).to_dict("records")
    ]
    for row in rows[:8]:  # 8 of 48 in a neighbourhood the reference never held: 1/6
        row["neighborhood"] = "Atlantis"

    async def send(app: Any) -> list[str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            answers = [await client.post("/models/house-price/predict", json=r) for r in rows]
        return [answer.json()["version"] for answer in answers]

    with (
        running(build_gateway_app(settings)) as app,
        anyio.from_thread.start_blocking_portal() as portal,
    ):
        versions = portal.call(send, app)
    assert versions == ["rules"] * 8 + ["v1"] * 40

    built = build_monitor(settings)
    try:
        built.runner.run_once()
        body = webhook.wait_for(lambda _: True, timeout=10, what="a notification")
        events = built.store.list_alert_events(model="house-price")
    finally:
        built.close()
    (alert,) = body["alerts"]
    assert alert["labels"]["alertname"] == "FallingBack"
    assert alert["labels"]["version"] == "v1"
    assert body["status"] == "firing"
    assert any(e["state"] == "firing" and e["value"] == pytest.approx(8 / 48) for e in events)
