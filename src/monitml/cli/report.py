"""``monitml report``: one self-contained HTML report of a model over a period."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitml.cli.common import ConfigOption, fail, parse_time, user_errors

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("report")(report)


def report(
    model: Annotated[str, typer.Option("--model", "-m", help="The model to report on.")],
    start: Annotated[str, typer.Option("--from", help="Start (ISO date/time, UTC).")],
    end: Annotated[str, typer.Option("--to", help="End, exclusive (ISO date/time, UTC).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
    config: ConfigOption = Path("monitml.yaml"),
    chunk: Annotated[str, typer.Option(help="1d, 1h, 15m or 10000rows.")] = "1d",
    version: Annotated[
        str | None, typer.Option(help="Only this version (default: each one on its own).")
    ] = None,
) -> None:
    """The model over a period, chunk by chunk and version by version, as one HTML file:
    predictions, drift (table and feature × chunk heatmap), distributions, data quality,
    performance where labels arrived, and the period's alerts. Opens offline.

    Exit status: 0; 2 on a user error.
    """
    from monitml.app.reporting import write_period_report  # noqa: PLC0415
    from monitml.config import load_settings  # noqa: PLC0415

    begin, finish = parse_time(start, "--from"), parse_time(end, "--to")
    if finish <= begin:
        fail("--to must be after --from")
    with user_errors():
        settings = load_settings(config)
        if model not in settings.models:
            fail(f"--model: unknown model '{model}'; configured: {', '.join(settings.models)}")
        path = write_period_report(
            settings, model, start=begin, end=finish, chunk=chunk, version=version, out=out
        )
    size = path.stat().st_size
    typer.echo(f"report of {model}: {path} ({size / 1e6:.1f} MB)")
