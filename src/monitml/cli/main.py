"""The ``monitml`` command: one Typer app, one module per command group."""

from __future__ import annotations

import typer

from monitml import numpy_dispatch
from monitml.cli import (
    alerts,
    demo,
    drift,
    estimate,
    export,
    log,
    monitor,
    promote,
    report,
    retrain,
    serve,
)

__all__ = ["app", "main"]

app = typer.Typer(
    name="monitml",
    help="Serve, log, monitor and alert on machine-learning models in production.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Each command module exposes ``register(app)``; keep this list sorted.
for _module in (
    alerts,
    demo,
    drift,
    estimate,
    export,
    log,
    monitor,
    promote,
    report,
    retrain,
    serve,
):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    # Before any command imports numpy, and for every worker the command starts.
    numpy_dispatch.apply()
    app()
