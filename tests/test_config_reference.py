"""docs/configuration.md is generated from the settings models and kept up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from monitml.config import Settings, load_settings
from monitml.config_reference import render, walk

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "configuration.md"
REGENERATE = "python -m monitml.config_reference > docs/configuration.md"


def test_the_committed_reference_matches_the_settings_models() -> None:
    assert REFERENCE.read_text(encoding="utf-8") == render(), (
        f"docs/configuration.md is out of date: run `{REGENERATE}`"
    )


def test_the_module_prints_the_reference() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "monitml.config_reference"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert printed.stdout == render()


def test_every_key_has_a_type_a_default_and_a_description() -> None:
    lacking = [
        row.key for row in walk(Settings) if not (row.type and row.default and row.description)
    ]
    assert not lacking, f"add Field(description=...) to these keys: {lacking}"


def test_every_field_of_every_section_is_listed() -> None:
    keys = {row.key for row in walk(Settings)}
    for section in ("store", "server", "monitor", "auth"):
        fields = type(getattr(Settings(), section)).model_fields
        assert {f"{section}.{name}" for name in fields} <= keys
    assert "alerts.rules[].for" in keys  # aliases are the keys users write
    assert "alerts.channels.email.from" in keys
    assert "models.<model>.versions.<version>.path" in keys
    assert "base_dir" not in keys


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        pytest.param("server.port", "8123", 8123, id="server-port"),
        pytest.param("monitor.window.rows", "250", 250, id="nested-window-rows"),
        pytest.param("alerts.group_wait", "1m", 60.0, id="alerts-duration"),
        pytest.param("store.url", "sqlite:////tmp/x.db", "sqlite:////tmp/x.db", id="store-url"),
    ],
)
def test_the_documented_environment_variable_sets_the_key(
    key: str, value: str, expected: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = next(row for row in walk(Settings) if row.key == key)
    monkeypatch.setenv(row.env.strip("`"), value)
    settings: object = load_settings()
    for part in key.split("."):
        settings = getattr(settings, part)
    assert settings == expected
