"""``monitml demo``: the seeds' stories on shipped real data, with no server and no set-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitml.cli.common import user_errors

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[Path, typer.Option(help="Folder for the config, store and reports.")] = Path(
        "demo-output"
    ),
    serve: Annotated[
        bool, typer.Option("--serve", help="Keep the gateway up afterwards (Ctrl-C stops it).")
    ] = False,
) -> None:
    """The seeds' two stories on shipped real data, on SQLite, in this process.

    1. Canary housing: Ames v1 (gradient boosting) and v2 (always 100) served 75/25; the sales
       of 2008–2010 replayed over HTTP; the LowAveragePrediction alert fires for v2, v2 is
       routed to 0% and the alert resolves; monitml check per month and version.
    2. Delayed labels: a flight-delay classifier's predictions sent to /log month by month,
       the arrivals to /feedback a month later; drift, quality and performance per month.
    """
    from monitml.demo import run_demo  # noqa: PLC0415  # trains models: only when asked

    with user_errors():
        run_demo(out, serve=serve)
