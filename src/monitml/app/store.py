"""Opening the configured store: shared by the gateway's and the monitor's composition roots."""

from __future__ import annotations

from monitml.config import Settings
from monitml.errors import ConfigError, StoreError
from monitml.store import PredictionStore

__all__ = ["open_store"]


def open_store(settings: Settings) -> PredictionStore:
    """The store at ``store.url``, its schema created or migrated."""
    try:
        return PredictionStore.from_url(settings.store.url)
    except StoreError as error:
        raise ConfigError(f"store.url: {error}") from error
