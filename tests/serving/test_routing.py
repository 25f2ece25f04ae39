"""Weighted, sticky and shadow routing."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from monitml.serving.routing import Router, Routing, check_routing


def test_the_observed_share_is_within_three_points_of_the_weights_over_10000_requests() -> None:
    router = Router(Routing({"v1": 75, "v2": 25}), seed=42)
    counts = Counter(router.choose() for _ in range(10_000))
    assert abs(counts["v1"] / 100 - 75) <= 3
    assert abs(counts["v2"] / 100 - 25) <= 3


def test_a_version_with_zero_weight_gets_no_traffic() -> None:
    router = Router(Routing({"v1": 100, "v2": 0}), seed=0)
    assert {router.choose() for _ in range(1_000)} == {"v1"}


def test_a_sticky_key_always_gets_the_same_version_and_keys_split_by_weight() -> None:
    router = Router(Routing({"v1": 75, "v2": 25}), seed=0)
    assert len({router.choose("customer-7") for _ in range(100)}) == 1
    counts = Counter(router.choose(f"customer-{i}") for i in range(10_000))
    assert abs(counts["v1"] / 100 - 75) <= 3


def test_an_update_moves_only_the_keys_in_the_moved_share() -> None:
    router = Router(Routing({"v1": 75, "v2": 25}))
    before = {key: router.choose(key) for key in map(str, range(5_000))}
    router.update(Routing({"v1": 50, "v2": 50}))
    after = {key: router.choose(key) for key in before}
    assert all(after[k] == "v2" for k, v in before.items() if v == "v2")


@pytest.mark.parametrize(
    ("routing", "shadow", "message"),
    [
        pytest.param(
            {"v1": 75, "v9": 25}, [], ".routing: unknown version 'v9'", id="unknown-version"
        ),
        pytest.param({"v1": 75, "v2": 20}, [], "must sum to 100. Got 95", id="sum-not-100"),
        pytest.param(
            {"v1": 110, "v2": -10}, [], ".routing.v2: must be a number >= 0", id="negative"
        ),
        pytest.param({"v1": 100}, ["v3"], ".shadow: unknown version 'v3'", id="unknown-shadow"),
        pytest.param(
            {"v1": 50, "v2": 50}, ["v2"], "cannot also take routed traffic", id="shadow-routed"
        ),
    ],
)
def test_check_routing_names_the_problem(
    routing: dict[str, float], shadow: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_routing(routing, shadow, {"v1", "v2"})
