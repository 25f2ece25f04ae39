"""A version registered while the gateway runs is served after a routing change, no restart."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest
import yaml

from monitml.demo.models import ConstantModel
from monitml.promotion.registry import LocalRegistry
from monitml.store import PredictionStore

from .test_serve import _traffic, serving

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]
TOKEN = {"Authorization": "Bearer registry-token"}


@pytest.fixture(params=BACKENDS)
def config(
    request: pytest.FixtureRequest,
    demo_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Path:
    monkeypatch.setenv("MONITML_ADMIN_TOKEN", "registry-token")
    folder = tmp_path / "gateway"
    shutil.copytree(demo_config.parent, folder)
    settings = yaml.safe_load((folder / "monitml.yaml").read_text())
    if request.param == "postgres":
        settings["store"] = {"url": request.getfixturevalue("postgres_url")}
    (folder / "monitml.yaml").write_text(yaml.safe_dump(settings))
    return folder / "monitml.yaml"


def _store_url(config: Path) -> str:
    url = str(yaml.safe_load(config.read_text())["store"]["url"])
    if url == "sqlite:///monitml.db":
        return f"sqlite:///{config.parent / 'monitml.db'}"
    return url


def _register(store: PredictionStore, config: Path, version: str, answer: float) -> None:
    """What ``monitml retrain`` does once the gates passed: a file, then the store's row."""
    path = LocalRegistry(config.parent / "registry").save(
        "house-price", version, ConstantModel(answer)
    )
    store.register_version("house-price", version, {"path": str(path)}, {"task": "regression"})


def _wait_for(url: str, version: str, seconds: float = 5.0) -> float:
    started = time.monotonic()
    while version not in httpx.get(f"{url}/models/house-price").json()["versions"]:
        assert time.monotonic() - started < seconds, f"{version} is not listed after {seconds} s"
        time.sleep(0.05)
    return time.monotonic() - started


def _answers(url: str, rows: list[dict[str, object]]) -> set[tuple[str, float]]:
    return {
        (body["version"], body["prediction"])
        for body in (
            httpx.post(f"{url}/models/house-price/predict", json=row).json() for row in rows
        )
    }


def test_a_registered_version_is_listed_then_served_once_the_routing_names_it(
    config: Path,
) -> None:
    rows = _traffic(config, 10)
    store = PredictionStore.from_url(_store_url(config))
    try:
        with serving(config) as (url, _process):
            assert set(httpx.get(f"{url}/models/house-price").json()["versions"]) == {"v1", "v2"}
            refused = httpx.put(
                f"{url}/models/house-price/routing", json={"routing": {"v3": 100}}, headers=TOKEN
            )
            assert refused.status_code == 422  # not registered yet: an unknown version

            _register(store, config, "v3", 123_456.0)
            waited = _wait_for(url, "v3")
            listed = httpx.get(f"{url}/models/house-price").json()["versions"]
            assert listed["v3"] == {"loader": "python", "weight": 0.0, "shadow": False}
            assert {version for version, _ in _answers(url, rows)} <= {"v1", "v2"}

            changed = httpx.put(
                f"{url}/models/house-price/routing",
                json={"routing": {"v1": 0, "v2": 0, "v3": 100}},
                headers=TOKEN,
            )
            assert changed.status_code == 200, changed.text
            assert _answers(url, rows) == {("v3", 123_456.0)}
        assert waited < 2.0  # within a few routing polls
    finally:
        store.dispose()


def test_a_routing_saved_with_its_new_version_applies_and_survives_a_restart(
    config: Path,
) -> None:
    rows = _traffic(config, 10)
    store = PredictionStore.from_url(_store_url(config))
    try:
        with serving(config) as (url, _process):
            # As another replica or the promotion driver would: register, then route at once.
            _register(store, config, "v7", 7.0)
            store.save_routing("house-price", {"v1": 0, "v2": 0, "v7": 100})
            started = time.monotonic()
            while _answers(url, rows[:1]) != {("v7", 7.0)}:
                assert time.monotonic() - started < 5.0, "v7 is not served"
                time.sleep(0.05)
        with serving(config) as (url, _process):
            assert _answers(url, rows) == {("v7", 7.0)}
            assert httpx.get(f"{url}/models/house-price").json()["routing"]["v7"] == 100.0
    finally:
        store.dispose()
