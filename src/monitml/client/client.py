"""``MonitmlClient``: predict, log predictions made elsewhere, send labels, read models.

One ``httpx.Client`` per instance, reused across calls (keep-alive); close it, or use the
client as a context manager. Every call either returns a typed answer or raises
:class:`GatewayError` carrying the gateway's message (a 422 names the field), or
:class:`UnreachableError`. The client never retries: ``/log`` and ``/feedback`` are not
idempotent without ids, so a retry is the caller's decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self, overload
from urllib.parse import quote

import httpx

from monitml.client.errors import GatewayError, UnreachableError
from monitml.client.types import (
    BatchPrediction,
    FeedbackReceipt,
    Label,
    LogEntry,
    LogReceipt,
    ModelInfo,
    Prediction,
    RecordId,
    Scalar,
)

__all__ = ["MonitmlClient"]


class MonitmlClient:
    """A blocking client of one gateway.

    ``token`` is sent as ``Authorization: Bearer …`` with every request (the admin token for
    :meth:`set_routing`). ``transport`` replaces the network, for tests.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        timeout: float = 10.0,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError(
                f"The 'timeout' parameter of MonitmlClient must be > 0. Got {timeout!r} instead."
            )
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )
        self._models: dict[str, ModelInfo] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- predictions -----------------------------------------------------------------------

    @overload
    def predict(
        self, model: str, records: Mapping[str, Any], *, id: RecordId | None = None
    ) -> Prediction: ...

    @overload
    def predict(
        self, model: str, records: Sequence[Mapping[str, Any]], *, id: None = None
    ) -> BatchPrediction: ...

    def predict(
        self,
        model: str,
        records: Mapping[str, Any] | Sequence[Mapping[str, Any]],
        *,
        id: RecordId | None = None,
    ) -> Prediction | BatchPrediction:
        """One record (a mapping of feature values) or a batch (a list of them).

        ``id`` names a single record so that its label can be sent later; in a batch give
        each record an ``"id"`` key.
        """
        if isinstance(records, Mapping):
            body: Any = dict(records) if id is None else {**records, "id": id}
            return Prediction.from_json(self._call("POST", _path(model, "predict"), body))
        if id is not None:
            raise ValueError("id= names one record; in a batch give each record an 'id' key")
        answer = self._call("POST", _path(model, "predict"), [dict(r) for r in records])
        return BatchPrediction.from_json(answer)

    def log(
        self,
        model: str,
        features: Mapping[str, Any],
        prediction: Scalar,
        *,
        id: RecordId | None = None,
        version: str | None = None,
        probabilities: Mapping[str, float] | None = None,
        timestamp: float | None = None,
        latency_seconds: float | None = None,
    ) -> LogReceipt:
        """Record one prediction your service made itself (``POST /models/{model}/log``)."""
        entry = LogEntry(
            features, prediction, id, version, probabilities, timestamp, latency_seconds
        )
        return self.log_many(model, [entry])

    def log_many(self, model: str, entries: Sequence[LogEntry]) -> LogReceipt:
        """Record a batch of predictions made elsewhere in one request."""
        if not entries:
            raise ValueError("log_many needs at least one entry")
        body = [entry.to_json() for entry in entries]
        answer = self._call("POST", _path(model, "log"), body)
        return LogReceipt(answer["request_id"], int(answer["logged"]))

    def feedback(
        self, model: str, labels: Mapping[RecordId, Label], *, label_field: str | None = None
    ) -> FeedbackReceipt:
        """Send ground truth by record id: ``{"sale-1": 181000.0, "sale-2": 99500.0}``.

        The label's key is the model's ``target`` (read once from ``GET /models/{model}``)
        unless ``label_field`` is given.
        """
        if not labels:
            raise ValueError("feedback needs at least one label")
        key = label_field or self.model(model).label_field
        body = [{"id": record_id, key: label} for record_id, label in labels.items()]
        answer = self._call("POST", _path(model, "feedback"), body)
        return FeedbackReceipt(int(answer["received"]), list(answer["unknown_ids"]))

    # -- models ----------------------------------------------------------------------------

    def models(self) -> list[ModelInfo]:
        """Every served model (``GET /models``)."""
        found = [ModelInfo.from_json(m) for m in self._call("GET", "/models")["models"]]
        self._models.update({info.name: info for info in found})
        return found

    def model(self, model: str) -> ModelInfo:
        """One model (``GET /models/{model}``); remembered for :meth:`feedback`."""
        known = self._models.get(model)
        if known is None:
            known = ModelInfo.from_json(self._call("GET", _path(model)))
            self._models[model] = known
        return known

    def set_routing(
        self, model: str, routing: Mapping[str, float], *, shadow: Sequence[str] | None = None
    ) -> ModelInfo:
        """Change the weights (percent, summing to 100); needs the admin token."""
        body: dict[str, Any] = {"routing": dict(routing)}
        if shadow is not None:
            body["shadow"] = list(shadow)
        info = ModelInfo.from_json(self._call("PUT", _path(model, "routing"), body))
        self._models[model] = info
        return info

    def ready(self) -> bool:
        """Whether ``/health/ready`` says the gateway takes traffic (never raises on 503)."""
        try:
            return self._http.get("/health/ready").status_code == httpx.codes.OK
        except httpx.TransportError:
            return False

    # -- plumbing --------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.TimeoutException as error:
            raise UnreachableError(
                f"{method} {self.base_url}{path}: no answer within the timeout ({error})"
            ) from error
        except httpx.TransportError as error:
            raise UnreachableError(
                f"{method} {self.base_url}{path}: cannot reach the gateway ({error})"
            ) from error
        if response.is_error:
            raise GatewayError(method, path, response.status_code, _detail(response))
        return response.json()


def _path(model: str, action: str | None = None) -> str:
    path = f"/models/{quote(model, safe='')}"
    return path if action is None else f"{path}/{action}"


def _detail(response: httpx.Response) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(body, dict) and "detail" in body:
        return body["detail"]
    return body
