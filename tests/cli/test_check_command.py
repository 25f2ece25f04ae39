"""``monitml check`` without ``--version``: every version gets its own chunks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import PeriodConfig


def test_check_without_a_version_chunks_each_version_on_its_own(
    period_config: PeriodConfig, tmp_path: Path
) -> None:
    out = tmp_path / "check.json"
    command = [
        sys.executable, "-m", "monitml.cli", "check", "--config", str(period_config.path),
        "--model", "m", "--from", "2026-03-01", "--to", "2026-03-05", "--chunk", "1d",
        "--json", str(out),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr
    payload = json.loads(out.read_text())
    assert payload["version"] is None
    assert payload["versions"] == ["v1", "v2"]
    assert [(c["version"], c["rows"]) for c in payload["chunks"]] == (
        [("v1", 120)] * 4 + [("v2", 60)] * 4
    )
    alerted = [(c["version"], c["alerts"]) for c in payload["chunks"] if c["alerts"]]
    assert alerted == [("v2", ["DatasetDrift"])]
    assert "m/v1: 120 rows" in result.stdout
    assert "m/v2: 60 rows" in result.stdout
    assert result.stdout.strip().endswith("8 chunk(s) of version(s) v1, v2, 1 alert(s)")


def _check_json(config: Path, out: Path, *extra: str) -> dict[str, Any]:
    from typer.testing import CliRunner  # noqa: PLC0415

    from monitml.cli.main import app  # noqa: PLC0415

    result = CliRunner().invoke(app, [
        "check", "--config", str(config), "--model", "m", "--from", "2026-03-01",
        "--to", "2026-03-05", "--json", str(out), *extra,
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(out.read_text())
    return payload


def test_a_check_of_a_parquet_log_on_an_engine_estimates_what_a_check_of_the_store_does(
    period_config: PeriodConfig, tmp_path: Path
) -> None:
    from monitml.store import PredictionStore  # noqa: PLC0415
    from monitml.store.export import export_log  # noqa: PLC0415

    store = PredictionStore.from_url(f"sqlite:///{period_config.path.parent / 'store.db'}")
    try:
        export_log(store, tmp_path / "log")
    finally:
        store.dispose()
    config, parquet = period_config.path, f"parquet:{tmp_path / 'log'}"
    rows = _check_json(config, tmp_path / "rows.json")
    estimated = _check_json(
        config, tmp_path / "est.json", "--source", parquet, "--engine", "local", "--estimate"
    )
    plain = _check_json(
        config, tmp_path / "plain.json", "--source", parquet, "--engine", "local", "--no-estimate"
    )
    assert len(estimated["chunks"]) == len(rows["chunks"]) == 8
    for mine, theirs in zip(estimated["chunks"], rows["chunks"], strict=True):
        assert set(mine["estimated_performance"]) == {"mae", "rmse"}
        assert mine["estimated_performance"] == pytest.approx(
            theirs["estimated_performance"], rel=1e-9
        )
        assert set(mine["estimated_bands"]) == {"mae", "rmse"}
        for name, band in theirs["estimated_bands"].items():
            assert mine["estimated_bands"][name] == pytest.approx(band, rel=1e-9), name
    assert [c["estimated_performance"] for c in plain["chunks"]] == [{}] * 8
    assert [c["alerts"] for c in plain["chunks"]] == [c["alerts"] for c in estimated["chunks"]]


def test_the_commands_estimate_default_is_the_one_of_checks_from_summaries() -> None:
    from monitml.cli.monitor import ESTIMATE_DEFAULT  # noqa: PLC0415
    from monitml.monitor.summarised import ESTIMATE  # noqa: PLC0415

    assert ESTIMATE_DEFAULT is ESTIMATE
