"""``monitml check`` without ``--version``: every version gets its own chunks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

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
