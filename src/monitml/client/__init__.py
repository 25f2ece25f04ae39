"""A small typed client of the MonitML gateway (httpx only).

>>> from monitml.client import MonitmlClient
>>> with MonitmlClient("http://127.0.0.1:8000") as gateway:  # doctest: +SKIP
...     answer = gateway.predict("house-price", {"gr_liv_area": 1500, "overall_qual": 6})
...     gateway.feedback("house-price", {answer.request_id: 181_000.0})

It imports nothing of MonitML but its errors, so a service that only sends logs and labels
can use it without the serving or monitoring stack.
"""

from monitml.client.client import MonitmlClient
from monitml.client.errors import GatewayError, UnreachableError
from monitml.client.types import (
    BatchPrediction,
    FeatureInfo,
    FeedbackReceipt,
    LogEntry,
    LogReceipt,
    ModelInfo,
    Prediction,
    RecordPrediction,
    VersionInfo,
)

__all__ = [
    "BatchPrediction",
    "FeatureInfo",
    "FeedbackReceipt",
    "GatewayError",
    "LogEntry",
    "LogReceipt",
    "ModelInfo",
    "MonitmlClient",
    "Prediction",
    "RecordPrediction",
    "UnreachableError",
    "VersionInfo",
]
