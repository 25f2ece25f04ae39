"""The demo folder (models trained once) for the composition-root tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import anyio.from_thread
import pytest
from fastapi import FastAPI

from monitml.demo.models import write_demo


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo(tmp_path_factory.mktemp("demo-app"))


@contextmanager
def running(app: FastAPI) -> Iterator[FastAPI]:
    """Start the app's lifespan and stop it on exit (writer flushed, store and locks released)."""
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        yield app
