"""``monitml export prometheus-rules|alertmanager|grafana``: configs for Prometheus and Grafana."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitml.cli.alerts import load_alerts_settings
from monitml.cli.common import ConfigOption, fail, user_errors

__all__ = ["export_app", "register"]

export_app = typer.Typer(
    name="export", help="Export MonitML's config for other tools.", no_args_is_help=True
)

OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write here instead of standard output.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(export_app)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}")


@export_app.command("prometheus-rules")
def prometheus_rules(
    config: ConfigOption = Path("monitml.yaml"), output: OutputOption = None
) -> None:
    """Prometheus alerting rules equivalent to the configured alert rules."""
    from monitml.alerts import export  # noqa: PLC0415  # keep `--help` fast

    with user_errors():
        text = export.prometheus_rules(load_alerts_settings(config))
    _emit(text, output)


@export_app.command("alertmanager")
def alertmanager(
    config: ConfigOption = Path("monitml.yaml"),
    output: OutputOption = None,
    secrets_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder where Alertmanager will find the secret files "
            "(default /etc/alertmanager/secrets)."
        ),
    ] = None,
) -> None:
    """An Alertmanager config with the configured channels; secrets are read from files."""
    from monitml.alerts import export  # noqa: PLC0415

    with user_errors():
        text = export.alertmanager_config(load_alerts_settings(config), secrets_dir=secrets_dir)
    _emit(text, output)


@export_app.command("grafana")
def grafana(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the files into.")],
    config: ConfigOption = Path("monitml.yaml"),
) -> None:
    """Grafana dashboards for the configured models (threshold lines from the alert rules),
    with the data source and dashboard provisioning files."""
    from monitml.alerts import grafana  # noqa: PLC0415
    from monitml.config import load_settings  # noqa: PLC0415

    with user_errors():
        settings = load_settings(config)
    models = {name: model.task for name, model in settings.models.items()}
    try:
        written = grafana.write_export(out, models, settings.alerts.rules)
    except OSError as exc:
        fail(f"cannot write to {out}: {exc.strerror or exc}")
    typer.echo(f"wrote {len(written)} files to {out}")
