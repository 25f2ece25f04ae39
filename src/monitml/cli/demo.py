"""``monitml demo``: the main job on shipped real data, with no server and no set-up."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from monitml.cli.drift import drift

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    out: Annotated[Path, typer.Option(help="Folder for the JSON and HTML outputs.")] = Path(
        "demo-output"
    ),
) -> None:
    """Compare NYC flights of Jan–Mar 2013 with Jul–Sep 2013 (10,000 flights each).

    Prints the drift table and writes drift.json and drift.html into OUT.
    """
    out.mkdir(parents=True, exist_ok=True)
    data = resources.files("monitml") / "data"
    with (
        resources.as_file(data / "flights_reference.parquet") as reference,
        resources.as_file(data / "flights_current.parquet") as current,
    ):
        typer.echo("Reference: NYC flights Jan–Mar 2013; current: Jul–Sep 2013 (10,000 each)")
        drift(
            reference=reference,
            current=current,
            json_path=out / "drift.json",
            html_path=out / "drift.html",
            numerical=None,
            categorical=None,
            ignore=None,
            method=None,
            threshold=None,
            share_threshold=0.5,
            target=None,
            prediction=None,
            id_column=None,
            timestamp="time_hour",
            max_categorical_integers=5,
            fail_on_drift=False,
            quiet=False,
        )
    typer.echo(f"Wrote {out / 'drift.json'} and {out / 'drift.html'}")
