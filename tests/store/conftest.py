"""Store fixtures: every store test runs on SQLite and on a real PostgreSQL.

PostgreSQL is ``postgres_url`` from tests/conftest.py: a private schema, dropped afterwards, on
the session's throwaway cluster or on the server ``MONITML_TEST_POSTGRES_URL`` names. Without a
server the postgres cases fail, naming what is missing: they are never skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from monitml.store import PredictionRecord, PredictionStore

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[PredictionStore]:
    opened = PredictionStore.from_url(store_url)
    yield opened
    opened.dispose()


RecordFactory = Callable[..., list[PredictionRecord]]


@pytest.fixture
def make_records() -> RecordFactory:
    """``make_records(n, model=..., version=..., start=..., step=..., prefix=...)``: n records
    one ``step`` second apart, with numeric and categorical features and probabilities."""

    def make(
        n: int,
        *,
        model: str = "churn",
        version: str = "v1",
        start: float = 1_700_000_000.0,
        step: float = 1.0,
        prefix: str = "r",
        shadow: bool = False,
        **overrides: Any,
    ) -> list[PredictionRecord]:
        return [
            PredictionRecord(
                request_id=f"req-{prefix}{i}",
                record_id=f"{prefix}{i}",
                model=model,
                version=version,
                timestamp=start + i * step,
                features={"tenure": i % 72, "charges": 20.0 + i / 10, "plan": "abc"[i % 3]},
                prediction=i % 2,
                latency_seconds=0.001 * (1 + i % 5),
                shadow=shadow,
                probabilities={"0": 0.25, "1": 0.75},
                **overrides,
            )
            for i in range(n)
        ]

    return make
