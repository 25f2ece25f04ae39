"""``monitml retrain``: fit a challenger on recent labelled data, gate it, register it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from monitml.cli.common import ConfigOption, fail, user_errors

if TYPE_CHECKING:
    from monitml.promotion.retrain import RetrainOutcome

__all__ = ["REFUSED", "register"]

REFUSED = 1  # the gates refused the challenger


def register(app: typer.Typer) -> None:
    app.command("retrain")(retrain)


def retrain(
    model: Annotated[str, typer.Option("--model", "-m", help="The model to retrain.")],
    config: ConfigOption = Path("monitml.yaml"),
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the record (JSON) here.")
    ] = None,
    version: Annotated[
        str | None,
        typer.Option(help="Name of the new version (default: the next free v<n>)."),
    ] = None,
) -> None:
    """Fit a challenger with the model's training.entrypoint on the most recent labelled
    rows, compare it with the champion on the held-out newest share, apply the gates
    (improvement, degradation, rows, schema) and register it: local registry folder, MLflow
    when registry.mlflow is set, and the store the gateway polls. Starts its promotion when
    the model has a promotion plan. Every step is recorded in the store (kind retrain).

    Exit status: 0 registered; 1 refused by the gates; 2 on a user error.
    """
    from monitml.app.models import build_served_model  # noqa: PLC0415
    from monitml.app.retraining import retrain_model  # noqa: PLC0415
    from monitml.app.store import open_store  # noqa: PLC0415
    from monitml.config import load_settings  # noqa: PLC0415

    with user_errors():
        settings = load_settings(config)
        if model not in settings.models:
            fail(f"--model: unknown model '{model}'; configured: {', '.join(settings.models)}")
        if json_path is not None and json_path.is_dir():
            fail(f"--json: {json_path} is a folder")
        build_served_model(
            model, settings.models[model]
        )  # a model that cannot load: before the store
        store = open_store(settings)
        try:
            outcome = retrain_model(settings, model, store, version=version)
        finally:
            store.dispose()
        if json_path is not None:
            _write_json(json_path, outcome.record)
    _print(outcome)
    if outcome.registered is None:
        raise typer.Exit(REFUSED)


def _write_json(path: Path, record: dict[str, Any]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record, indent=2, allow_nan=False), encoding="utf-8")
    except (OSError, ValueError) as error:
        fail(f"--json: cannot write {path}: {getattr(error, 'strerror', None) or error}")


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _print(outcome: RetrainOutcome) -> None:
    from rich.console import Console  # noqa: PLC0415
    from rich.markup import escape  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    record = outcome.record
    data = record["data"]
    table = Table(
        title=f"Gates of {escape(record['model'])} {escape(record['challenger'])} "
        f"against {escape(record['champion'])}",
        title_justify="left",
    )
    table.add_column("gate", no_wrap=True)
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("threshold", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("detail")
    for gate in outcome.gates:
        verdict = "[green]passed[/]" if gate["passed"] else "[bold red]refused[/]"
        table.add_row(
            gate["name"],
            _fmt(gate["value"]),
            _fmt(gate["threshold"]),
            verdict,
            escape(gate["detail"]),
        )
    console = Console()
    console.print(
        f"{data['rows']} labelled rows: {data['training_rows']} to train, "
        f"{data['holdout_rows']} held out",
        highlight=False,
    )
    console.print(table)
    if outcome.registered is None:
        console.print(f"[bold red]refused[/]: {escape(record['challenger'])} was not registered")
        return
    source = record["registered"]["source"]
    console.print(
        f"[green]registered[/] {escape(outcome.registered)}: {escape(source['path'])}"
        + (f" and {escape(source['mlflow'])}" if "mlflow" in source else ""),
        highlight=False,
    )
    promotion = record.get("promotion")
    if promotion is not None:
        started = "started" if promotion["started"] else f"not started: {promotion['reason']}"
        console.print(f"promotion {escape(started)}", highlight=False)
