"""Which version answers a request: a weighted random split, sticky by key, plus shadows.

>>> router = Router(Routing({"v1": 75, "v2": 25}), seed=0)
>>> router.choose() in {"v1", "v2"}
True
>>> router.choose("customer-42") == router.choose("customer-42")
True

A sticky key is hashed onto the same 0–100 line the weights are laid out on, so a key keeps
its version while the weights stay, and when they change only the keys in the moved share
move. Routers are shared by every request: a change replaces the whole table at once.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import threading
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from itertools import accumulate

__all__ = ["ROUTING_TOTAL", "Router", "Routing", "check_routing"]

_HASH_SPAN = float(1 << 64)
ROUTING_TOTAL = 100


@dataclass(frozen=True, slots=True)
class Routing:
    """Weights in percent (summing to 100) and the shadow versions that get a copy."""

    weights: Mapping[str, float]
    shadow: tuple[str, ...] = ()
    _versions: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _bounds: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        served = [(name, float(w)) for name, w in self.weights.items() if w > 0]
        if not served:
            raise ValueError("At least one version needs a weight above 0.")
        object.__setattr__(self, "weights", dict(self.weights))
        object.__setattr__(self, "shadow", tuple(self.shadow))
        object.__setattr__(self, "_versions", tuple(name for name, _ in served))
        object.__setattr__(self, "_bounds", tuple(accumulate(w for _, w in served)))

    def at(self, point: float) -> str:
        """The version at ``point`` in [0, 1) of the weight line."""
        index = bisect.bisect_right(self._bounds, point * self._bounds[-1])
        return self._versions[min(index, len(self._versions) - 1)]

    def to_json(self) -> dict[str, object]:
        return {"routing": dict(self.weights), "shadow": list(self.shadow)}


class Router:
    """Choose a version per request; :meth:`update` swaps the routing for every thread at once."""

    def __init__(self, routing: Routing, *, seed: int | None = None) -> None:
        self._routing = routing
        self._random = random.Random(seed)
        self._lock = threading.Lock()  # random.Random is not safe to share between threads

    @property
    def routing(self) -> Routing:
        return self._routing

    def update(self, routing: Routing) -> None:
        self._routing = routing

    def choose(self, key: str | None = None) -> str:
        """A version for one request: from ``key`` when given (sticky), else at random."""
        routing = self._routing
        if key is not None:
            digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
            return routing.at(int.from_bytes(digest, "big") / _HASH_SPAN)
        with self._lock:
            point = self._random.random()
        return routing.at(point)


def check_routing(
    routing: Mapping[str, float], shadow: Collection[str], versions: Collection[str]
) -> None:
    """Raise ValueError unless ``routing`` and ``shadow`` name known versions, weights sum to 100.

    Shared by the config and by ``PUT /models/{model}/routing``. Messages start with the key
    they are about (``.routing: …``), relative to the model.
    """
    known = sorted(versions)
    for key, names in (("routing", list(routing)), ("shadow", shadow)):
        for name in names:
            if name not in versions:
                raise ValueError(f".{key}: unknown version {name!r}; the versions are {known}")
    for name, weight in routing.items():
        if not (math.isfinite(weight) and weight >= 0):
            raise ValueError(f".routing.{name}: must be a number >= 0. Got {weight!r} instead.")
    total = sum(routing.values())
    if not math.isclose(total, ROUTING_TOTAL, abs_tol=1e-9):
        raise ValueError(f".routing: weights must sum to {ROUTING_TOTAL}. Got {total:g} instead.")
    served = sorted(name for name in shadow if routing.get(name, 0) > 0)
    if served:
        raise ValueError(f".shadow: versions cannot also take routed traffic: {served}")
    if len(set(shadow)) != len(shadow):
        raise ValueError(".shadow: a version is listed twice")
