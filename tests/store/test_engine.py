"""Store URLs in messages never show a password, parseable or not."""

from __future__ import annotations

import pytest

from monitml.errors import StoreError
from monitml.store import PredictionStore
from monitml.store.engine import hide_passwords, safe_url


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("u:s3cret@host", id="no-scheme"),
        pytest.param("postgresql//u:s3cret@h/db", id="no-colon"),
        pytest.param("pg+://u:s3cret@h/db", id="unknown-dialect"),
    ],
)
def test_an_unusable_store_url_is_named_without_its_password(url: str) -> None:
    with pytest.raises(StoreError, match="Cannot use the store URL") as caught:
        PredictionStore.from_url(url)
    assert "s3cret" not in str(caught.value)
    assert "***" in str(caught.value)


def test_a_parseable_url_shows_user_host_and_database_but_not_the_password() -> None:
    shown = safe_url("postgresql+psycopg://monitml:s3cret@db:5432/monitml")
    assert shown == "postgresql+psycopg://monitml:***@db:5432/monitml"


def test_text_without_a_password_is_left_as_it_is() -> None:
    text = "sqlite:////var/lib/monitml/monitml.db and postgresql://monitml@db/monitml"
    assert hide_passwords(text) == text
