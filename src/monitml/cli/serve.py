"""``monitml serve``: run the prediction gateway with uvicorn."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitml.cli.common import bind_socket, user_errors

if TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["register"]

_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_STARTUP_FAILURE = 3  # uvicorn's exit status when the app cannot start


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    config: Annotated[
        Path, typer.Option("--config", "-c", help="The gateway's YAML config.")
    ] = Path("monitml.yaml"),
    host: Annotated[str | None, typer.Option(help="Address to bind [server.host].")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind [server.port].")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    access_log: Annotated[
        bool, typer.Option(help="Log one line per request (uvicorn's access log).")
    ] = True,
) -> None:
    """Serve the configured models: predict, log, feedback, routing, /metrics and /docs."""
    import uvicorn  # noqa: PLC0415 - keeps the other commands' start-up light

    from monitml.app.gateway import CONFIG_ENV, build_gateway_app, check_gateway  # noqa: PLC0415
    from monitml.config import load_settings  # noqa: PLC0415

    with user_errors():
        settings = load_settings(config)
    bind_host = host or settings.server.host
    bind_port = settings.server.port if port is None else port
    # Bound before the models load: a port in use (or a host that does not resolve) is one line,
    # found at once, and no other process can take the port while the models load.
    sock = bind_socket(bind_host, bind_port, "--port" if port is not None else "server.port")
    with sock:
        # A bad config fails here with one line, not in every worker.
        with user_errors():
            app = build_gateway_app(settings) if workers == 1 else None
            if app is None:
                check_gateway(settings)
        typer.echo(f"monitml: serving on http://{_url_host(bind_host)}:{sock.getsockname()[1]}")
        if app is not None:
            _serve_one(app, sock, access_log=access_log)
            return
    # Several workers: uvicorn binds the address again at once, in this process, before any
    # worker starts (handing it our socket would need its supervisor's internals).
    folder = _multiprocess_dir()
    os.environ[CONFIG_ENV] = str(config.resolve())
    try:
        uvicorn.run(
            "monitml.app.gateway:app_from_env",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers,
            log_level="info",
            access_log=access_log,
        )
    finally:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _serve_one(app: FastAPI, sock: socket.socket, *, access_log: bool) -> None:
    """Run uvicorn in this process on the socket bound already."""
    import uvicorn  # noqa: PLC0415

    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="info", access_log=access_log)
    )
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: uvicorn has shut down already
        server.run(sockets=[sock])
    if not server.started:  # the app's start-up failed; uvicorn has logged why
        raise typer.Exit(_STARTUP_FAILURE)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _multiprocess_dir() -> Path | None:
    """Set up prometheus_client's multiprocess folder for the workers; return it if it is ours.

    A folder the user chose is emptied (stale files would add old counts); otherwise a fresh
    temporary one is made and removed at exit.
    """
    given = os.environ.get(_MULTIPROC_ENV)
    if given:
        folder = Path(given)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.db"):
            stale.unlink()
        return None
    folder = Path(tempfile.mkdtemp(prefix="monitml-metrics-"))
    os.environ[_MULTIPROC_ENV] = str(folder)
    return folder
