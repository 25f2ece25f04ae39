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
    drift_only: Annotated[
        bool, typer.Option("--drift-only", help="Only the drift comparison (no models).")
    ] = False,
) -> None:
    """The main job on shipped real data, no servers to install.

    1. Drift: NYC flights of Jan–Mar 2013 against Jul–Sep 2013 (10,000 flights each); prints
       the table, writes drift.json and drift.html into OUT.
    2. The loop: the seed's Ames house-price models served 75/25 (v2 always predicts 100),
       every prediction logged to SQLite, real prices sent back as labels, one monitor pass
       and the seed's alert rule; writes a window report per version into OUT/house-price.
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
    if not drift_only:
        _loop(out / "house-price")


def _loop(folder: Path) -> None:
    from monitml.app.demo_loop import run_house_price_loop  # noqa: PLC0415  # trains a model

    typer.echo("")
    typer.echo("The loop: serve 75/25, log, label, monitor, alert (SQLite, in this process)")
    summary = run_house_price_loop(folder, echo=typer.echo)
    typer.echo(
        f"Store: {summary.logged} predictions logged; {summary.labels} labels received, "
        f"{summary.unknown_label_ids} for unknown ids"
    )
    for result in summary.results:
        stats = result.prediction
        mae = result.performance().get("mae")
        line = (
            f"  {result.model}/{result.version}: {result.rows} rows, "
            f"mean prediction {stats.get('mean', float('nan')):,.0f}"
        )
        if mae is not None:
            line += f", MAE {mae:,.0f} on {result.labelled_rows} labelled rows"
        if result.report is not None:
            prediction = result.report.columns.get("prediction")
            drifted = prediction is not None and prediction.result.drift_detected
            line += (
                f", {result.report.drifted_columns}/{result.report.total_columns} features "
                f"drifted, prediction drift {'YES' if drifted else 'no'}"
            )
        typer.echo(line)
    firing = [a for a in summary.alerts if a["state"] == "firing"]
    for alert in firing:
        typer.echo(f"  ALERT {alert['rule']} firing for {alert['model']}/{alert['version']}")
    if not firing:
        typer.echo("  no alert fired")
    for path in summary.reports:
        typer.echo(f"Wrote {path}")
