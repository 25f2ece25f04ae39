"""``/models/{model}/predict``, ``/log`` and ``/feedback``, generated for each model.

The prediction path is validate → route → guard → predict (in the thread pool) → observe →
enqueue; it never waits on the database. The guard hands a record whose inputs the reference
never saw to the model's fallback version (``monitml.serving.fallback``). Shadow versions run
after the answer has been sent. An answered record is never dropped silently: when the writer
can neither queue nor spill it, the answer becomes a 503
(``monitml_requests_rejected_total{reason="log_unavailable"}``).

``/log`` takes only the configured versions unless ``log.allow_external_versions``. Labels sent
to ``/feedback`` for ids with no logged prediction are kept for ``log.label_window`` after their
first label, then refused (see ``monitml.serving.labels``).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from monitml.errors import ModelError, StoreError
from monitml.serving.deps import require_ingest, require_predict
from monitml.serving.fallback import REASONS, Replacement, apply_fallback
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
_AUTH: dict[int | str, dict[str, Any]] = {
    401: {"description": "No bearer token (the answer has WWW-Authenticate: Bearer)"},
    403: {"description": "Wrong token"},
}
_UNAVAILABLE = {
    "description": "Overloaded, or the prediction log can take nothing now; retry after "
    "Retry-After seconds",
    "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
}
RETRY_AFTER_SECONDS = 1


def log_unavailable(state: GatewayState) -> JSONResponse:
    """The 503 of a request whose records the writer could neither queue nor spill."""
    state.metrics.rejected("log_unavailable")
    return JSONResponse(
        {"detail": "The prediction log can take nothing now (queue full, spill file unwritable)."},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _record_ids(records: Sequence[Any], request_id: str, single: bool) -> list[str]:
    if single:
        given = records[0].id
        return [request_id if given is None else str(given)]
    return [
        f"{request_id}-{i}" if record.id is None else str(record.id)
        for i, record in enumerate(records)
    ]


def _fallback_fields(moved: Replacement | None) -> tuple[str | None, str | None]:
    """A record's ``fallback`` and ``replaced_version``: None for the routed version's own."""
    return (None, None) if moved is None else (moved.reason, moved.replaced)


class _Predictor:
    """The handlers of one model, closed over its state (no per-request dependency solving)."""

    def __init__(self, model: ServedModel, state: GatewayState) -> None:
        self.model = model
        self.state = state
        self.sticky_id = model.sticky_key == "id"
        if model.fallback is not None:  # a zero per version and reason: the rate exists from now
            replaceable = [v for v in model.versions if v != model.fallback.version]
            state.metrics.expect_fallbacks(model.name, replaceable, REASONS)

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

    async def predict(self, body: Any) -> Any:
        started = time.perf_counter()
        model, metrics = self.model, self.state.metrics
        single = isinstance(body, BaseModel)
        records: list[Any] = [body] if single else body
        request_id = uuid.uuid4().hex
        rows = [record.model_dump(by_alias=True, exclude={"id"}) for record in records]
        ids = _record_ids(records, request_id, single)
        versions = self.route(rows, ids, any(r.id is not None for r in records))
        guard = model.fallback
        fallbacks = apply_fallback(guard, rows, versions) if guard is not None else {}
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

        for moved in fallbacks.values():
            metrics.fell_back(model.name, moved.replaced, moved.reason)
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
        logged = await self.state.log_answered(
            PredictionRecord(
                request_id, ids[index], model.name, versions[index], now, row,
                values[index], elapsed, False, probabilities[index],
                *_fallback_fields(fallbacks.get(index)),
            )
            for index, row in enumerate(rows)
        )  # fmt: skip
        if not logged:
            return log_unavailable(self.state)
        shadow = model.routing.shadow
        # Run after the answer is sent; a response's own task costs no dependency solving.
        later = BackgroundTask(self.shadow, shadow, rows, ids, request_id) if shadow else None
        if single:
            one: dict[str, Any] = {
                "request_id": request_id,
                "version": versions[0],
                "prediction": values[0],
            }
            if probabilities[0] is not None:
                one["probabilities"] = probabilities[0]
            if fallbacks:
                one["fallback"] = fallbacks[0].to_json()
            return JSONResponse(one, background=later)
        answers = []
        for index, record_id in enumerate(ids):
            item: dict[str, Any] = {
                "id": record_id,
                "version": versions[index],
                "prediction": values[index],
            }
            if probabilities[index] is not None:
                item["probabilities"] = probabilities[index]
            if index in fallbacks:
                item["fallback"] = fallbacks[index].to_json()
            answers.append(item)
        return JSONResponse({"request_id": request_id, "predictions": answers}, background=later)

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
        logged = await self.state.log_answered(
            PredictionRecord(
                request_id=request_id,
                record_id=str(record.id) if record.id is not None else f"{request_id}-{index}",
                model=self.model.name,
                version=record.version,
                timestamp=now if record.timestamp is None else record.timestamp,
                features=record.features.model_dump(by_alias=True),
                prediction=record.prediction,
                latency_seconds=record.latency_seconds or 0.0,
                probabilities=record.probabilities,
            )
            for index, record in enumerate(records)
        )
        if not logged:
            return log_unavailable(self.state)
        return JSONResponse({"request_id": request_id, "logged": len(records)}, status_code=202)

    async def feedback(self, body: Any) -> Any:
        single = isinstance(body, BaseModel)
        records: list[Any] = [body] if single else body
        name, state, window = self.model.name, self.state, self.state.label_window
        now = time.time()
        labels = [LabelRecord(name, str(r.id), r.label, now) for r in records]
        try:
            stale = window.expired(name, (label.record_id for label in labels), now=now)
            if stale:  # the window has passed: refused unless the prediction has come since
                known = await run_in_threadpool(state.store.known_record_ids, name, stale)
                known |= state.pending_ids(stale)
                window.matched(name, known)
                refused = [i for i in stale if i not in known]
                if refused:
                    return _refused_labels(labels, set(refused), single, window.window)
            unknown = await run_in_threadpool(state.store.insert_labels, labels)
        except StoreError as error:
            logger.error("Cannot store labels: %s", error)
            return JSONResponse(
                {"detail": "The store is unreachable; send the labels again later."},
                status_code=503,
                headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        # A prediction still on its way to the store is not unknown.
        pending = state.pending_ids(unknown) if unknown else set()
        waiting = [i for i in unknown if i not in pending]
        if waiting:
            window.received(name, waiting, now=now)
        if len(window):
            window.matched(name, {label.record_id for label in labels} - set(waiting))
        return JSONResponse({"received": len(labels), "unknown_ids": waiting})


def _refused_labels(
    labels: Sequence[LabelRecord], refused: set[str], single: bool, window: float
) -> JSONResponse:
    """422 naming each label whose id had no prediction for longer than the label window."""
    message = (
        f"No prediction was logged with this id within log.label_window ({window:g} s) "
        "of its first label; the labels of this request were not stored."
    )
    detail = [
        {
            "loc": ["body", "record", "id"] if single else ["body", "batch", index, "id"],
            "msg": message,
            "type": "label_window",
        }
        for index, label in enumerate(labels)
        if label.record_id in refused
    ]
    return JSONResponse({"detail": detail}, status_code=422)


def model_router(
    model: ServedModel,
    schemas: ModelSchemas,
    state: GatewayState,
    versions: Sequence[str] | None = None,
) -> APIRouter:
    """The routes of one model, with its own request schemas so ``/docs`` shows its fields.

    ``versions``: what ``/log`` accepts (as in ``schemas``); None for any name.
    """
    handlers = _Predictor(model, state)
    prefix = f"/models/{model.name}"
    router = APIRouter(prefix=prefix, tags=[f"model: {model.name}"])

    async def predict(body: Any) -> Any:
        return await handlers.predict(body)

    async def log(body: Any) -> Any:
        return await handlers.log(body)

    async def feedback(body: Any) -> Any:
        return await handlers.feedback(body)

    # The body types are made at run time: give FastAPI the objects, not names to resolve.
    predict.__annotations__["body"] = schemas.predict_body
    log.__annotations__["body"] = schemas.log_body
    feedback.__annotations__["body"] = schemas.feedback_body

    predict_auth = state.predict_token is not None
    ingest_auth = state.ingest_token is not None
    router.add_api_route(
        "/predict",
        predict,
        methods=["POST"],
        summary=f"Predict with {model.name} (one record or a batch)",
        description="Needs the predict token when auth.predict_token_env is set.",
        dependencies=[Depends(require_predict)] if predict_auth else None,
        responses={
            200: {"model": PredictAnswer | PredictBatchAnswer},
            **(_AUTH if predict_auth else {}),
            500: {"description": "The model failed"},
            503: _UNAVAILABLE,
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
        description=(
            "Needs the ingest token when auth.ingest_token_env is set. "
            + (
                "Any version name is taken (log.allow_external_versions)."
                if versions is None
                else f"The version must be one of {list(versions)} (else a 422 naming it)."
            )
        ),
        dependencies=[Depends(require_ingest)] if ingest_auth else None,
        responses={
            202: {"model": LogAnswer},
            **(_AUTH if ingest_auth else {}),
            503: _UNAVAILABLE,
            **_ERRORS,
        },
        operation_id=f"log_{model.name}",
    )
    router.add_api_route(
        "/feedback",
        feedback,
        methods=["POST"],
        summary=f"Send ground-truth labels of {model.name} by record id",
        description=(
            "Needs the ingest token when auth.ingest_token_env is set. A label for an id this "
            "model has logged is stored. A label for an unknown id is stored too and listed in "
            "unknown_ids (it may come before its prediction), until log.label_window "
            f"({state.label_window.window:g} s) after that id's first label; later, while the "
            "id is still unknown, the request gets a 422 naming the id and nothing of it is "
            "stored. First labels are remembered per worker, in memory."
        ),
        dependencies=[Depends(require_ingest)] if ingest_auth else None,
        responses={
            200: {"model": FeedbackAnswer},
            **(_AUTH if ingest_auth else {}),
            503: {**_UNAVAILABLE, "description": "Overloaded, or the store is unreachable"},
            **_ERRORS,
        },
        operation_id=f"feedback_{model.name}",
    )
    return router
