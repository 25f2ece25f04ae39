"""``monitml alerts test CHANNEL``: send a test notification through a configured channel."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitml.cli.common import ConfigOption, user_errors

if TYPE_CHECKING:
    from monitml.alerts import AlertsSettings

__all__ = ["load_alerts_settings", "register"]

DELIVERY_FAILED = 1

alerts_app = typer.Typer(
    name="alerts", help="Alert rules and notification channels.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.add_typer(alerts_app)


def load_alerts_settings(config: Path) -> AlertsSettings:
    """The ``alerts`` section of ``config`` (MONITML_ env vars applied); ConfigError if bad."""
    from monitml.config import load_settings  # noqa: PLC0415  # keep `--help` fast

    return load_settings(config).alerts


@alerts_app.command("test")
def send_test(
    channel: Annotated[str, typer.Argument(help="slack, webhook or email.")],
    config: ConfigOption = Path("monitml.yaml"),
) -> None:
    """Send a test notification through CHANNEL; exit 0 when it was delivered, else 1."""
    from prometheus_client import CollectorRegistry  # noqa: PLC0415

    from monitml.alerts import Dispatcher, channel_named, make_test_notification  # noqa: PLC0415

    with user_errors():
        settings = load_alerts_settings(config)
        target = channel_named(settings.channels, channel)
    # The one-line result below says it all; keep the dispatcher's log off the terminal.
    logging.getLogger("monitml.alerts").addHandler(logging.NullHandler())
    dispatcher = Dispatcher({channel: target}, registry=CollectorRegistry(), max_attempts=1)
    notification = make_test_notification(time.time(), external_url=settings.external_url)
    if dispatcher.deliver(channel, notification):
        typer.echo(f"ok: test notification delivered through {channel}")
        return
    sys.stderr.write(f"failed: {dispatcher.last_error}\n")
    raise typer.Exit(DELIVERY_FAILED)
