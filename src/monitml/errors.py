"""The error hierarchy: one root, and the few subclasses callers really catch.

User errors carry a one-line message meant to be shown as is (CLI exit 2, HTTP 4xx).
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DataError",
    "ModelError",
    "MonitmlError",
    "NotFittedError",
    "StoreError",
    "UnknownMethodError",
]


class MonitmlError(Exception):
    """Root of every error MonitML raises on purpose."""


class ConfigError(MonitmlError):
    """A configuration value is missing or invalid; the message names the key."""


class DataError(MonitmlError):
    """Input data cannot be used: unreadable file, missing column, wrong type."""


class UnknownMethodError(MonitmlError, KeyError):
    """A drift method key is not registered; the message lists the valid keys."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ModelError(MonitmlError):
    """A model could not be loaded or raised while predicting."""


class StoreError(MonitmlError):
    """The prediction store could not be reached or written."""


class NotFittedError(MonitmlError):
    """A detector was used before ``fit`` was called."""
