"""Three house-price versions, and traffic served through the routing the store holds (as a
gateway replica would), counted and logged as the gateway counts and logs it."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from prometheus_client import generate_latest
from sklearn.linear_model import LinearRegression

from monitml.errors import ModelError
from monitml.promotion.driver import ModelSetup
from monitml.serving.features import Feature, FeatureSchema
from monitml.serving.loaders import Predictions, Predictor, Rows, make_predictor
from monitml.serving.metrics import GatewayMetrics
from monitml.serving.routing import Router, Routing
from monitml.store import LabelRecord, PredictionRecord, PredictionStore

MODEL = "house-price"
FEATURES = FeatureSchema(
    (Feature("gr_liv_area", "numerical", "number"), Feature("overall_qual", "numerical", "number"))
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


def open_store(request: pytest.FixtureRequest, tmp_path: Any) -> PredictionStore:
    """A migrated store on the backend ``request.param`` names."""
    if request.param == "sqlite":
        return PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    return PredictionStore.from_url(request.getfixturevalue("postgres_url"))


def houses(rng: np.random.Generator, n: int) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    area = rng.normal(1500, 400, n)
    quality = rng.integers(1, 11, n).astype(float)
    price = 20_000 + 80 * area + 12_000 * quality + rng.normal(0, 15_000, n)
    return np.column_stack([area, quality]), price


def expensive(price: float) -> str:
    return "expensive" if price > 200_000 else "cheap"


def classifiers() -> dict[str, Predictor]:
    """v1 and v3 classify expensive houses (fitted on other sales); v9 says "cheap" always."""
    import pandas as pd  # noqa: PLC0415
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415
    from sklearn.pipeline import make_pipeline  # noqa: PLC0415
    from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

    found: dict[str, Predictor] = {"v9": make_predictor(AlwaysCheap(), FEATURES, "classification")}
    for version, seed in (("v1", 1), ("v3", 3)):
        x, y = houses(np.random.default_rng(seed), 2000)
        model = make_pipeline(StandardScaler(), LogisticRegression())
        model.fit(pd.DataFrame(x, columns=list(FEATURES.names)), [expensive(p) for p in y])
        found[version] = make_predictor(model, FEATURES, "classification")
    return found


class AlwaysCheap:
    """The broken classifier: every house is cheap, with certainty."""

    classes_ = np.array(["cheap", "expensive"])

    def predict(self, frame: Any) -> np.ndarray[Any, Any]:
        return np.full(len(frame), "cheap")

    def predict_proba(self, frame: Any) -> np.ndarray[Any, Any]:
        return np.tile([1.0, 0.0], (len(frame), 1))


class Constant:
    """The deliberately broken challenger: always 100."""

    def predict(self, frame: Any) -> np.ndarray[Any, Any]:
        return np.full(len(frame), 100.0)


class Flaky:
    """A good model that fails on the houses whose whole square feet are a multiple of ``every``
    (a 500 at the gateway): one request in ``every``, decided by the request itself."""

    kind = "sklearn"

    def __init__(self, inner: Predictor, every: int) -> None:
        self.inner, self.every = inner, every

    def predict(self, rows: Rows) -> Predictions:
        if any(int(row["gr_liv_area"]) % self.every == 0 for row in rows):
            raise ModelError("the model raised ValueError: out of memory")
        return self.inner.predict(rows)


def fitted(seed: int) -> LinearRegression:
    import pandas as pd  # noqa: PLC0415

    x, y = houses(np.random.default_rng(seed), 2000)
    return LinearRegression().fit(pd.DataFrame(x, columns=list(FEATURES.names)), y)


@functools.cache
def versions() -> dict[str, Predictor]:
    """v1 the champion, v3 a good challenger (fitted on other sales), v9 the broken one."""
    return {
        "v1": make_predictor(fitted(1), FEATURES, "regression"),
        "v3": make_predictor(fitted(3), FEATURES, "regression"),
        "v9": make_predictor(Constant(), FEATURES, "regression"),
    }


def setup_of(versions: Mapping[str, Predictor], task: str = "regression") -> ModelSetup:
    def predictor(version: str) -> Predictor:
        if version not in versions:
            raise ModelError(f"unknown version {version!r}")
        return versions[version]

    return ModelSetup(task, list(FEATURES.names), predictor)


@dataclass
class Traffic:
    """Requests routed with the store's saved routing, counted and logged like the gateway's."""

    store: PredictionStore
    versions: Mapping[str, Predictor]
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(7))
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)
    served: list[str] = field(default_factory=list)
    task: str = "regression"  # or "classification": is the house expensive (> 200,000)?

    def read_metrics(self) -> str:
        return generate_latest(self.metrics.registry).decode()

    def send(self, start: float, n: int, *, labelled: bool = True, gap: float = 1.0) -> None:
        """``n`` requests from ``start``, ``gap`` seconds apart; labels at once if ``labelled``."""
        routing = self.store.load_routing()[MODEL]
        router = Router(Routing(routing.weights, routing.shadow), seed=int(start))
        x, y = houses(self.rng, n)
        rows = [{"gr_liv_area": float(a), "overall_qual": float(q)} for a, q in x]
        chosen = [router.choose() for _ in rows]
        answers: dict[int, Any] = {}
        for version in set(chosen):
            mine = [i for i, v in enumerate(chosen) if v == version]
            answers.update(self._answer(version, mine, rows))
        records: list[PredictionRecord] = []
        labels: list[LabelRecord] = []
        for i, version in enumerate(chosen):
            if answers[i] is None:  # the gateway answered 500: counted, not logged
                self.metrics.failed(MODEL, version, 0.002)
                continue
            value, scores = answers[i]
            self.metrics.observe(MODEL, version, self.task, 0.002, [value])
            self.served.append(version)
            record_id = uuid.uuid4().hex
            at = start + i * gap
            records.append(
                PredictionRecord(
                    request_id=record_id, record_id=record_id, model=MODEL, version=version,
                    timestamp=at, features=rows[i], prediction=value,
                    latency_seconds=0.002, probabilities=scores,
                )
            )  # fmt: skip
            if labelled:
                truth = float(y[i]) if self.task == "regression" else expensive(y[i])
                labels.append(LabelRecord(MODEL, record_id, truth, at))
        self.store.insert_predictions(records)
        if labels:
            self.store.insert_labels(labels)

    def _answer(
        self, version: str, mine: list[int], rows: list[dict[str, float]]
    ) -> dict[int, Any]:
        """Each request's answer (None: the model failed on it); one call when none fails."""
        predictor = self.versions[version]
        try:
            answer = predictor.predict([rows[i] for i in mine])
            none: list[Any] = [None] * len(mine)
            scores = answer.probabilities if answer.probabilities is not None else none
            return dict(zip(mine, zip(answer.values, scores, strict=True), strict=True))
        except ModelError:
            found: dict[int, Any] = {}
            for i in mine:
                try:
                    one = predictor.predict([rows[i]])
                    found[i] = (one.values[0], one.probabilities[0] if one.probabilities else None)
                except ModelError:
                    found[i] = None
            return found

    def share(self, last: int) -> dict[str, float]:
        counted = self.served[-last:]
        return {v: counted.count(v) / len(counted) for v in sorted(set(counted))}


def weights_of(store: PredictionStore) -> dict[str, float]:
    return dict(store.load_routing()[MODEL].weights)


def events(history: Sequence[Mapping[str, Any]]) -> list[str]:
    return [str(h["event"]) for h in history]
