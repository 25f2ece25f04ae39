"""Helpers every command shares: one-line errors, list options, listening sockets."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from monitml.errors import MonitmlError

__all__ = [
    "USAGE_ERROR",
    "ConfigOption",
    "bind_socket",
    "fail",
    "parse_time",
    "split_list",
    "user_errors",
]

USAGE_ERROR = 2
ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="The YAML config.")]


def fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    """Print a one-line error on stderr and exit (2: usage or input error)."""
    first_line = message.strip().splitlines()[0] if message.strip() else "error"
    sys.stderr.write(f"error: {first_line}\n")
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn MonitML's user errors (and bad parameter values) into ``fail``."""
    try:
        yield
    except MonitmlError as exc:
        fail(str(exc))
    except ValueError as exc:  # parameter validation in the style of scikit-learn
        fail(str(exc))


def bind_socket(host: str, port: int, key: str) -> socket.socket:
    """A TCP socket bound to ``host:port``, for the server to listen on; ``fail`` if it cannot be.

    Binding here, before any server starts, turns "address already in use" (or a host that
    does not resolve) into one line naming ``key``, the option or setting that chose the port.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio turns Nagle off (TCP_NODELAY) only on sockets whose proto
    # says TCP, and with Nagle on every answer waited ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        fail(f"{key}: cannot listen on {host}:{port}: {error.strerror or error}")
    return sock


def parse_time(text: str, option: str) -> float:
    """``--from 2026-11-01`` → epoch seconds (UTC unless the text names a zone); else ``fail``."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{option}: expected an ISO date or time like 2026-11-01T12:00, got '{text}'")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def split_list(value: str | None) -> list[str]:
    """``"a, b,c"`` → ``["a", "b", "c"]``; ``None`` → ``[]``."""
    if not value:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


Registrar = Callable[[typer.Typer], None]
