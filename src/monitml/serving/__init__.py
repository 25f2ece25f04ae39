"""The prediction gateway: loading, routing, request schemas, metrics and the FastAPI app.

Modules: ``loaders`` (joblib/pickle, ONNX, entrypoints), ``routing`` (weights, sticky keys,
shadows), ``routing_state`` (routing changes kept in the store), ``schemas`` (per-model request
classes), ``metrics`` (Prometheus), ``app`` (``create_app``) and ``routers`` (one per resource).
The gateway never computes statistics: that is the monitor's job.
"""

from monitml.serving.app import create_app
from monitml.serving.features import Feature, FeatureSchema
from monitml.serving.metrics import GatewayMetrics
from monitml.serving.model import ServedModel
from monitml.serving.routing import Router, Routing
from monitml.serving.routing_state import RoutingState

__all__ = [
    "Feature",
    "FeatureSchema",
    "GatewayMetrics",
    "Router",
    "Routing",
    "RoutingState",
    "ServedModel",
    "create_app",
]
