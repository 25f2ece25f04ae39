"""Routing and alert state kept in the store, where every replica reads them."""

from __future__ import annotations

import threading

from monitml.store import PredictionStore


def test_a_saved_routing_is_read_back_with_a_revision_above_every_earlier_one(
    store: PredictionStore,
) -> None:
    assert store.routing_revision() == 0
    assert store.load_routing() == {}

    first = store.save_routing("churn", {"v1": 90, "v2": 10})
    second = store.save_routing("price", {"a": 100}, ["b"])
    third = store.save_routing("churn", {"v1": 50, "v2": 50})

    assert (first, second, third) == (1, 2, 3)
    assert store.routing_revision() == 3
    saved = store.load_routing()
    assert saved["churn"].weights == {"v1": 50.0, "v2": 50.0}
    assert saved["churn"].revision == 3
    assert (saved["price"].weights, saved["price"].shadow) == ({"a": 100.0}, ("b",))


def test_changes_made_at_once_from_two_stores_all_get_distinct_revisions(store_url: str) -> None:
    stores = [PredictionStore.from_url(store_url) for _ in range(2)]
    revisions: list[int] = []

    def change(store: PredictionStore, name: str) -> None:
        for i in range(10):
            revisions.append(store.save_routing(f"{name}{i % 3}", {"v1": 100}))

    threads = [
        threading.Thread(target=change, args=(s, n)) for s, n in zip(stores, "ab", strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert sorted(revisions) == list(range(1, 21))
        assert stores[1].routing_revision() == 20
        assert set(stores[0].load_routing()) == {"a0", "a1", "a2", "b0", "b1", "b2"}
    finally:
        for store in stores:
            store.dispose()


def test_the_alert_state_saved_last_is_the_one_read_back(store: PredictionStore) -> None:
    assert store.load_alert_state("monitor") is None

    store.save_alert_state("monitor", {"instances": [1]})
    store.save_alert_state("monitor", {"instances": [2], "groups": {"g": 1.5}})

    assert store.load_alert_state("monitor") == {"instances": [2], "groups": {"g": 1.5}}
