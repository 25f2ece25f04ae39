"""Every path in a config is resolved once, against the config file's folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from monitml.config import load_settings

RELATIVE: dict[str, Any] = {
    "store": {"url": "sqlite:///state/monitml.db"},
    "models": {
        "house-price": {
            "task": "regression",
            "reference": "data/reference.parquet",
            "versions": {"v1": {"path": "models/gbm.joblib"}},
        }
    },
    "server": {"spill_path": "state/spill.jsonl"},
    "alerts": {"channels": {"slack": {"webhook_url_file": "secrets/slack-url"}}},
}


def _write(folder: Path, config: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def _paths(value: Any, where: str = "") -> Iterator[tuple[str, Path]]:
    """Every Path in the settings tree, with its dotted key."""
    if isinstance(value, Path):
        yield where, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            if name != "base_dir":
                yield from _paths(getattr(value, name), f"{where}.{name}".lstrip("."))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _paths(item, f"{where}.{index}")


@pytest.fixture
def elsewhere(tmp_path: Path) -> Iterator[Path]:
    """Run from a folder that is not the config's, as a user in another shell would."""
    other = tmp_path / "somewhere-else"
    other.mkdir()
    before = Path.cwd()
    os.chdir(other)
    try:
        yield other
    finally:
        os.chdir(before)


def test_every_path_in_the_settings_is_absolute_and_under_the_config_folder(
    tmp_path: Path, elsewhere: Path
) -> None:
    settings = load_settings(_write(tmp_path / "project", RELATIVE))
    found = dict(_paths(settings))
    # The keys the config sets, and the defaults (every Path the tree holds is checked).
    assert {
        "models.house-price.reference",
        "models.house-price.versions.v1.path",
        "server.spill_path",
        "alerts.channels.slack.webhook_url_file",
    } <= set(found)
    for key, path in found.items():
        assert path.is_absolute(), key
        assert path.is_relative_to(tmp_path / "project"), key
    assert settings.models["house-price"].reference == tmp_path / "project/data/reference.parquet"
    assert settings.store.url == f"sqlite:///{tmp_path}/project/state/monitml.db"


def test_a_relative_config_path_resolves_against_its_own_folder_not_the_working_one(
    tmp_path: Path, elsewhere: Path
) -> None:
    _write(elsewhere / "sub", RELATIVE)
    settings = load_settings(Path("sub/monitml.yaml"))
    assert settings.base_dir == elsewhere / "sub"
    assert settings.server.spill_path == elsewhere / "sub/state/spill.jsonl"
    assert settings.store.url == f"sqlite:///{elsewhere}/sub/state/monitml.db"


def test_absolute_paths_and_urls_are_kept_as_written(tmp_path: Path) -> None:
    absolute = {
        **RELATIVE,
        "store": {"url": f"sqlite:///{tmp_path}/abs/monitml.db"},
        "server": {"spill_path": str(tmp_path / "abs/spill.jsonl")},
    }
    settings = load_settings(_write(tmp_path / "project", absolute))
    assert settings.store.url == f"sqlite:///{tmp_path}/abs/monitml.db"
    assert settings.server.spill_path == tmp_path / "abs/spill.jsonl"


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("sqlite:///:memory:", id="memory"),
        pytest.param("postgresql+psycopg://monitml@db:5432/monitml", id="postgres"),
    ],
)
def test_urls_that_name_no_local_file_are_left_alone(tmp_path: Path, url: str) -> None:
    settings = load_settings(_write(tmp_path, {**RELATIVE, "store": {"url": url}}))
    assert settings.store.url == url
