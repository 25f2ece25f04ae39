"""Versions registered after start-up and promotion states, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from monitml.store import PredictionStore


def test_a_registered_version_is_listed_with_its_source_and_a_rising_revision(
    store: PredictionStore,
) -> None:
    assert store.versions_revision() == 0
    assert store.list_versions() == []

    first = store.register_version("price", "v3", {"path": "/r/price/v3.joblib"}, {"mae": 1.5})
    second = store.register_version("churn", "c2", {"mlflow": "models:/churn/2"}, {})

    assert (first, second) == (1, 2)
    assert store.versions_revision() == 2
    listed = store.list_versions("price")
    assert [(v["version"], v["source"], v["payload"]) for v in listed] == [
        ("v3", {"path": "/r/price/v3.joblib"}, {"mae": 1.5})
    ]
    assert [v["model"] for v in store.list_versions()] == ["price", "churn"]


def test_registering_a_version_again_replaces_it_and_moves_the_revision(
    store: PredictionStore,
) -> None:
    store.register_version("price", "v3", {"path": "/old"}, {})
    again = store.register_version("price", "v3", {"path": "/new"}, {"note": 1})

    assert again == 2
    (only,) = store.list_versions("price")
    assert (only["source"], only["payload"], only["revision"]) == ({"path": "/new"}, {"note": 1}, 2)


def test_registrations_from_two_stores_at_once_get_distinct_revisions(store_url: str) -> None:
    stores = [PredictionStore.from_url(store_url) for _ in range(2)]
    revisions: list[int] = []

    def register(store: PredictionStore, name: str) -> None:
        for i in range(8):
            revisions.append(store.register_version("m", f"{name}{i}", {"path": "/p"}, {}))

    threads = [
        threading.Thread(target=register, args=(s, n)) for s, n in zip(stores, "ab", strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.dispose()

    assert sorted(revisions) == list(range(1, 17))


def test_a_promotion_state_is_saved_whole_read_back_and_deleted(store: PredictionStore) -> None:
    assert store.load_promotion("price") is None
    store.save_promotion("price", {"challenger": "v3", "step": 0, "history": []})
    store.save_promotion("price", {"challenger": "v3", "step": 1, "history": [{"ok": True}]})
    store.save_promotion("churn", {"challenger": "c2", "step": 0})

    assert store.load_promotion("price") == {
        "challenger": "v3",
        "step": 1,
        "history": [{"ok": True}],
    }
    assert sorted(store.list_promotions()) == ["churn", "price"]
    assert store.delete_promotion("price") is True
    assert store.delete_promotion("price") is False
    assert store.load_promotion("price") is None
