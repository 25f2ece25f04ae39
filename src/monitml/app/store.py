"""Opening the configured store: shared by the gateway's and the monitor's composition roots."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from monitml.config import Settings
from monitml.errors import ConfigError, StoreError
from monitml.store import PredictionStore
from monitml.store.engine import safe_url

__all__ = ["open_store"]


def open_store(settings: Settings) -> PredictionStore:
    """The store at ``store.url``, its schema created or migrated.

    Raises a one-line error naming the key, the URL (password hidden) and the reason: a
    :class:`StoreError` when the database cannot be reached or opened, a :class:`ConfigError`
    when the URL cannot be used at all (unknown dialect, driver not installed).
    """
    url = settings.store.url
    try:
        return PredictionStore.from_url(url)
    except StoreError as error:
        cause = error.__cause__
        if isinstance(cause, sa.exc.ArgumentError):  # no such dialect: the URL is wrong
            raise ConfigError(f"store.url: cannot use {safe_url(url)}: {cause}") from error
        raise StoreError(
            f"store.url: cannot open {safe_url(url)}: {_reason(url, error)}"
        ) from error
    except sa.exc.DatabaseError as error:
        # A file that is not a database. Bad SQL of ours raises a subclass (ProgrammingError,
        # IntegrityError…): that is a bug, not a user error, and goes on as it is.
        if type(error) is not sa.exc.DatabaseError:
            raise
        raise StoreError(
            f"store.url: cannot open {safe_url(url)}: {_first_line(error.orig or error)}"
        ) from error
    except ImportError as error:
        if (error.name or "").startswith("monitml"):  # our own code is broken, not the URL
            raise
        # SQLAlchemy imports the dialect's driver when the engine is made.
        raise ConfigError(
            f"store.url: the driver for {safe_url(url)} is not installed ({error})"
        ) from error


def _reason(url: str, error: StoreError) -> str:
    """The driver's own first line (``unable to open database file``, ``Connection refused``)."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database.removeprefix("file:").split("?")[0]).parent
        if not folder.is_dir():
            return f"the folder {folder} does not exist"
    cause = error.__cause__
    return _first_line(getattr(cause, "orig", None) or cause or error)


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
