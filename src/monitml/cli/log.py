"""``monitml log export``: the prediction log, labels joined, as partitioned Parquet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitml.cli.common import ConfigOption, fail, user_errors

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    log = typer.Typer(help="The prediction log.", no_args_is_help=True)
    log.command("export")(export)
    app.add_typer(log, name="log")


def export(
    to: Annotated[Path, typer.Option("--to", help="The folder of the partitioned log.")],
    config: ConfigOption = Path("monitml.yaml"),
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Only this model (repeatable).")
    ] = None,
) -> None:
    """Write the log as Parquet, model=M/version=V/date=YYYY-MM-DD/*.parquet (columns ts,
    record_id, the features, prediction, label), appending what is new since the last run and
    rewriting the days whose labels arrived since. Running it twice writes nothing new."""
    from monitml.app.store import open_store  # noqa: PLC0415
    from monitml.config import load_settings  # noqa: PLC0415
    from monitml.store.export import export_log  # noqa: PLC0415

    with user_errors():
        settings = load_settings(config)
        unknown = [name for name in model or [] if name not in settings.models]
        if unknown:
            fail(f"--model: unknown model '{unknown[0]}'; configured: {', '.join(settings.models)}")
        if to.exists() and not to.is_dir():
            fail(f"--to: {to} is a file, not a folder")
        store = open_store(settings)
        try:
            done = export_log(store, to, models=model or None)
        finally:
            store.dispose()
    typer.echo(
        f"exported {done.rows} new row(s) of {len(done.models)} model(s) to {to}; "
        f"{done.rewritten} day partition(s) rewritten for late labels, {done.files} file(s) written"
    )
