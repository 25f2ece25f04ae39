"""Helpers every command shares: one-line errors and list options."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from monitml.errors import MonitmlError

__all__ = ["USAGE_ERROR", "fail", "split_list", "user_errors"]

USAGE_ERROR = 2


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


def split_list(value: str | None) -> list[str]:
    """``"a, b,c"`` → ``["a", "b", "c"]``; ``None`` → ``[]``."""
    if not value:
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


Registrar = Callable[[typer.Typer], None]
