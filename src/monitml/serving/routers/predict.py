"""``/models/{model}/predict``, ``/log`` and ``/feedback``, generated for each model.

The prediction path is validate → route → predict (in the thread pool) → observe → enqueue;
it never waits on the database. Shadow versions run after the answer has been sent.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, BackgroundTasks
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from monitml.errors import ModelError, StoreError
from monitml.serving.loaders import Predictions
from monitml.serving.model import ServedModel
from monitml.serving.schemas import (
    FeedbackAnswer,
    LogAnswer,
    ModelSchemas,
    PredictAnswer,
    PredictBatchAnswer,
)
from monitml.serving.state import GatewayState
from monitml.store import LabelRecord, PredictionRecord

__all__ = ["model_router"]

logger = logging.getLogger(__name__)
_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"description": "Body or batch too large"},
    422: {"description": "Invalid input; the detail names the field"},
}


def _record_ids(records: Sequence[Any], request_id: str, single: bool) -> list[str]:
    if single:
        given = records[0].id
        return [request_id if given is None else str(given)]
    return [
        f"{request_id}-{i}" if record.id is None else str(record.id)
        for i, record in enumerate(records)
    ]


class _Predictor:
    """The handlers of one model, closed over its state (no per-request dependency solving)."""

    def __init__(self, model: ServedModel, state: GatewayState) -> None:
        self.model = model
        self.state = state
        self.sticky_id = model.sticky_key == "id"

    def route(self, rows: list[dict[str, Any]], ids: list[str], given_ids: bool) -> list[str]:
        router, key = self.model.router, self.model.sticky_key
        if key is None:
            return [router.choose() for _ in rows]
        if self.sticky_id:
            # Without a caller's id there is nothing to stick to.
            return [router.choose(i if given_ids else None) for i in ids]
        return [router.choose(str(row[key])) for row in rows]

    def run(self, groups: dict[str, list[int]], rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Predict each version's rows; returns ``{version: Predictions | ModelError}``."""
        results: dict[str, Any] = {}
        for version, indices in groups.items():
            chosen = rows if len(groups) == 1 else [rows[i] for i in indices]
            try:
                results[version] = self.model.versions[version].predict(chosen)
            except ModelError as error:
                results[version] = error
                break
        return results

    async def predict(self, body: Any, background: BackgroundTasks) -> Any:
        started = time.perf_counter()
        self.state.sync_routing()
        model, metrics = self.model, self.state.metrics
        single = isinstance(body, BaseModel)
        records: list[Any] = [body] if single else body
        request_id = uuid.uuid4().hex
        rows = [record.model_dump(by_alias=True, exclude={"id"}) for record in records]
        ids = _record_ids(records, request_id, single)
        versions = self.route(rows, ids, any(r.id is not None for r in records))
        groups: dict[str, list[int]] = {}
        for index, version in enumerate(versions):
            groups.setdefault(version, []).append(index)

        results = await run_in_threadpool(self.run, groups, rows)
        elapsed = time.perf_counter() - started
        for version, result in results.items():
            if isinstance(result, ModelError):
                metrics.failed(model.name, version, elapsed)
                logger.error("%s %s failed: %s", model.name, version, result)
                detail = f"Model {model.name!r} version {version!r} failed: {result}"
                return JSONResponse({"detail": detail[:500]}, status_code=500)

        now = time.time()
        values: list[Any] = [None] * len(rows)
        probabilities: list[dict[str, float] | None] = [None] * len(rows)
        for version, indices in groups.items():
            answer: Predictions = results[version]
            metrics.observe(model.name, version, model.task, elapsed, answer.values)
            for position, index in enumerate(indices):
                values[index] = answer.values[position]
                if answer.probabilities is not None:
                    probabilities[index] = answer.probabilities[position]
        submit = self.state.writer.submit
        for index, row in enumerate(rows):
            submit(
                PredictionRecord(
                    request_id, ids[index], model.name, versions[index], now, row,
                    values[index], elapsed, False, probabilities[index],
                )
            )  # fmt: skip
        shadow = model.routing.shadow
        if shadow:
            background.add_task(self.shadow, shadow, rows, ids, request_id)
        if single:
            one: dict[str, Any] = {
                "request_id": request_id,
                "version": versions[0],
                "prediction": values[0],
            }
            if probabilities[0] is not None:
                one["probabilities"] = probabilities[0]
            return JSONResponse(one)
        answers = []
        for index, record_id in enumerate(ids):
            item: dict[str, Any] = {
                "id": record_id,
                "version": versions[index],
                "prediction": values[index],
            }
            if probabilities[index] is not None:
                item["probabilities"] = probabilities[index]
            answers.append(item)
        return JSONResponse({"request_id": request_id, "predictions": answers})

    def shadow(
        self, versions: Sequence[str], rows: list[dict[str, Any]], ids: list[str], request_id: str
    ) -> None:
        """Run the shadow versions on a copy of the request; log, never answer."""
        model, metrics = self.model, self.state.metrics
        for version in versions:
            predictor = model.versions.get(version)
            if predictor is None:
                continue
            started = time.perf_counter()
            try:
                answer = predictor.predict(rows)
            except ModelError as error:
                metrics.failed(model.name, version, time.perf_counter() - started)
                logger.warning("Shadow %s %s failed: %s", model.name, version, error)
                continue
            elapsed = time.perf_counter() - started
            metrics.observe(model.name, version, model.task, elapsed, answer.values)
            now = time.time()
            for index, row in enumerate(rows):
                scores = None if answer.probabilities is None else answer.probabilities[index]
                self.state.writer.submit(
                    PredictionRecord(
                        request_id, ids[index], model.name, version, now, row,
                        answer.values[index], elapsed, True, scores,
                    )
                )  # fmt: skip

    async def log(self, body: Any) -> Any:
        records: list[Any] = [body] if isinstance(body, BaseModel) else body
        request_id = uuid.uuid4().hex
        now = time.time()
        for index, record in enumerate(records):
            record_id = str(record.id) if record.id is not None else f"{request_id}-{index}"
            self.state.writer.submit(
                PredictionRecord(
                    request_id=request_id,
                    record_id=record_id,
                    model=self.model.name,
                    version=record.version,
                    timestamp=now if record.timestamp is None else record.timestamp,
                    features=record.features.model_dump(by_alias=True),
                    prediction=record.prediction,
                    latency_seconds=record.latency_seconds or 0.0,
                    probabilities=record.probabilities,
                )
            )
        return JSONResponse({"request_id": request_id, "logged": len(records)}, status_code=202)

    async def feedback(self, body: Any) -> Any:
        records: list[Any] = [body] if isinstance(body, BaseModel) else body
        now = time.time()
        labels = [LabelRecord(self.model.name, str(r.id), r.label, now) for r in records]
        try:
            unknown = await run_in_threadpool(self.state.store.insert_labels, labels)
        except StoreError as error:
            logger.error("Cannot store labels: %s", error)
            return JSONResponse(
                {"detail": "The store is unreachable; send the labels again later."},
                status_code=503,
            )
        # A prediction still on its way to the store is not unknown.
        pending = self.state.writer.pending_record_ids(unknown) if unknown else set()
        answer = {"received": len(labels), "unknown_ids": [i for i in unknown if i not in pending]}
        return JSONResponse(answer)


def model_router(model: ServedModel, schemas: ModelSchemas, state: GatewayState) -> APIRouter:
    """The routes of one model, with its own request schemas so ``/docs`` shows its fields."""
    handlers = _Predictor(model, state)
    prefix = f"/models/{model.name}"
    router = APIRouter(prefix=prefix, tags=[f"model: {model.name}"])

    async def predict(body: Any, background: BackgroundTasks) -> Any:
        return await handlers.predict(body, background)

    async def log(body: Any) -> Any:
        return await handlers.log(body)

    async def feedback(body: Any) -> Any:
        return await handlers.feedback(body)

    # The body types are made at run time: give FastAPI the objects, not names to resolve.
    predict.__annotations__["body"] = schemas.predict_body
    log.__annotations__["body"] = schemas.log_body
    feedback.__annotations__["body"] = schemas.feedback_body

    router.add_api_route(
        "/predict",
        predict,
        methods=["POST"],
        summary=f"Predict with {model.name} (one record or a batch)",
        responses={
            200: {"model": PredictAnswer | PredictBatchAnswer},
            500: {"description": "The model failed"},
            **_ERRORS,
        },
        operation_id=f"predict_{model.name}",
    )
    router.add_api_route(
        "/log",
        log,
        methods=["POST"],
        status_code=202,
        summary=f"Log predictions of {model.name} made elsewhere",
        responses={202: {"model": LogAnswer}, **_ERRORS},
        operation_id=f"log_{model.name}",
    )
    router.add_api_route(
        "/feedback",
        feedback,
        methods=["POST"],
        summary=f"Send ground-truth labels of {model.name} by record id",
        responses={
            200: {"model": FeedbackAnswer},
            503: {"description": "The store is unreachable"},
            **_ERRORS,
        },
        operation_id=f"feedback_{model.name}",
    )
    return router
