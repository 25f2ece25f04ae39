"""``monitml report`` as users run it: a file written, or one line on stderr and exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import PeriodConfig


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "monitml.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def test_report_writes_one_html_file(period_config: PeriodConfig, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = run(
        "report", "--config", period_config.path, "--model", "m",
        "--from", "2026-03-01", "--to", "2026-03-05", "--chunk", "1d", "--out", out,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"report of m: {out} (")
    html = out.read_text(encoding="utf-8")
    assert "drift in 1 of 4 chunks" in html
    assert "Bokeh" in html  # BokehJS inlined


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            ["--from", "yesterday", "--to", "2026-03-05"], "--from: expected an ISO date",
            id="a-relative-date",
        ),
        pytest.param(
            ["--from", "2026-03-05", "--to", "2026-03-01"], "--to must be after --from",
            id="an-empty-period",
        ),
        pytest.param(
            ["--from", "2026-03-01", "--to", "2026-03-05", "--chunk", "weekly"], "invalid chunk",
            id="an-unknown-chunk",
        ),
        pytest.param(
            ["--model", "nope", "--from", "2026-03-01", "--to", "2026-03-05"], "unknown model",
            id="an-unknown-model",
        ),
        pytest.param(
            ["--from", "2026-03-01", "--to", "2026-03-02", "--out", "/nonexistent/r.html"],
            "cannot write /nonexistent/r.html",
            id="an-unwritable-file",
        ),
    ],
)  # fmt: skip
def test_report_refuses_bad_input_with_one_line(
    period_config: PeriodConfig, tmp_path: Path, options: list[str], message: str
) -> None:
    base = ["report", "--config", str(period_config.path), "--out", str(tmp_path / "r.html")]
    if "--model" not in options:
        base += ["--model", "m"]
    result = run(*base, *options)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
