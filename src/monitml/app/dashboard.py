"""The dashboard's two hosts: the gateway (``monitml serve``) and the monitor on its own.

In the gateway the models and routing are the live ones and the traffic figures come from the
gateway's own metrics registry; the routing form is shown, its ``PUT`` checked by the API. The
monitor on its own shows the configured routing (with the changes saved in the store through
``PUT /models/{m}/routing``) and reads traffic from ``monitor.gateway_url`` when it is set.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import httpx
from starlette.applications import Starlette

from monitml.config import Settings
from monitml.dashboard import ModelView, OperationalRates, create_dashboard
from monitml.serving import GatewayMetrics
from monitml.serving.state import GatewayState
from monitml.store import PredictionStore

__all__ = ["gateway_dashboard", "monitor_dashboard"]

logger = logging.getLogger(__name__)
_GATEWAY_TIMEOUT_S = 1.0


def gateway_dashboard(
    settings: Settings, state: GatewayState, metrics: GatewayMetrics
) -> Starlette:
    """The dashboard of a running gateway, to mount at ``/ui``."""

    def models() -> Sequence[ModelView]:
        return [
            ModelView(
                name=model.name,
                task=model.task,
                versions=tuple(model.versions),
                weights=dict(model.routing.weights),
                shadow=tuple(model.routing.shadow),
            )
            for model in state.models.values()
        ]

    return create_dashboard(
        state.store,
        models,
        operational=OperationalRates(lambda: metrics.render().decode()),
        reports_dir=settings.dashboard.reports_dir,
        routing_api=True,
        refresh_seconds=settings.dashboard.refresh,
    )


def monitor_dashboard(settings: Settings, store: PredictionStore) -> Starlette:
    """The dashboard of ``monitml monitor`` running on its own."""

    def models() -> Sequence[ModelView]:
        changed = store.load_routing()
        views = []
        for name, config in settings.models.items():
            routing = changed.get(name)
            weights = dict(routing.weights) if routing else dict(config.routing)
            shadow = tuple(routing.shadow) if routing else tuple(config.shadow)
            views.append(ModelView(name, config.task, tuple(config.versions), weights, shadow))
        return views

    operational = None
    if settings.monitor.gateway_url:
        url = settings.monitor.gateway_url.rstrip("/") + "/metrics"

        def read() -> str:
            try:
                return httpx.get(url, timeout=_GATEWAY_TIMEOUT_S).text
            except httpx.HTTPError as error:
                logger.warning("dashboard: cannot read the gateway's metrics at %s: %s", url, error)
                return ""

        operational = OperationalRates(read)
    return create_dashboard(
        store,
        models,
        operational=operational,
        reports_dir=settings.dashboard.reports_dir,
        refresh_seconds=settings.dashboard.refresh,
    )
