"""The dashboard: server-rendered pages under ``/ui``, read-only on the store."""

from monitml.dashboard.app import create_dashboard
from monitml.dashboard.operational import OperationalFigures, OperationalRates
from monitml.dashboard.pages import ModelView
from monitml.dashboard.server import monitor_server_app

__all__ = [
    "ModelView",
    "OperationalFigures",
    "OperationalRates",
    "create_dashboard",
    "monitor_server_app",
]
