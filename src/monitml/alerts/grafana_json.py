"""The Grafana side of the export: the JSON model of a dashboard and the provisioning files.

:mod:`monitml.alerts.grafana` says what each dashboard shows as :class:`Dashboard` values; this
module turns them into Grafana's classic dashboard JSON (``schemaVersion`` of Grafana 12) and
writes the data source and dashboard-provider files that load them. The data source has a fixed
uid, ``monitml-prometheus``, that every panel names, so dashboards need no import step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

__all__ = [
    "DASHBOARDS_PATH",
    "DATASOURCE_UID",
    "PROMETHEUS_URL",
    "SCHEMA_VERSION",
    "Dashboard",
    "Panel",
    "Query",
    "provisioning_files",
    "render_dashboard",
]

SCHEMA_VERSION = 41  # the classic JSON model of Grafana 12
DATASOURCE_UID = "monitml-prometheus"
PROMETHEUS_URL = "http://prometheus:9090"
DASHBOARDS_PATH = "/var/lib/grafana/dashboards/monitml"  # where the provider reads the JSON
SCRAPE_INTERVAL = "15s"  # deploy/prometheus/prometheus.yml's; Grafana's $__rate_interval needs it
_DATASOURCE = {"type": "prometheus", "uid": DATASOURCE_UID}


@dataclass(frozen=True, slots=True)
class Query:
    """One PromQL target and its legend."""

    expr: str
    legend: str


@dataclass(frozen=True, slots=True)
class Panel:
    """A panel: ``kind`` is a Grafana panel type (timeseries, state-timeline, table)."""

    title: str
    description: str
    queries: tuple[Query, ...]
    unit: str = "short"
    kind: str = "timeseries"
    minimum: float | None = None
    maximum: float | None = None
    thresholds: tuple[float, ...] = ()
    mappings: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Dashboard:
    uid: str
    title: str
    description: str
    panels: tuple[Panel, ...]
    # The selector whose label values list the models (pinned to one model on a model page).
    models_selector: str = "monitml_model_info"
    tags: tuple[str, ...] = field(default=("monitml",))


def _variables(dashboard: Dashboard) -> list[dict[str, Any]]:
    def variable(name: str, query: str, *, multi: bool) -> dict[str, Any]:
        return {
            "name": name,
            "label": name.capitalize(),
            "type": "query",
            "datasource": _DATASOURCE,
            "definition": query,
            "query": {"query": query, "refId": f"{name}-values"},
            "refresh": 2,  # on every time-range change: versions come and go
            "sort": 1,
            "multi": multi,
            "includeAll": multi,
            "current": {},
            "options": [],
            "hide": 0,
        }

    return [
        variable("model", f"label_values({dashboard.models_selector}, model)", multi=False),
        variable(
            "version", 'label_values(monitml_model_info{model="$model"}, version)', multi=True
        ),
    ]


def _field_config(panel: Panel) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "transparent", "value": None}]
    steps += [
        {"color": "red", "value": int(value) if value.is_integer() else value}
        for value in panel.thresholds
    ]
    defaults: dict[str, Any] = {
        "unit": panel.unit,
        "thresholds": {"mode": "absolute", "steps": steps},
        "mappings": list(panel.mappings),
        "color": {"mode": "palette-classic"},
    }
    if panel.kind == "timeseries":
        defaults["custom"] = {
            "drawStyle": "line",
            "lineWidth": 1,
            "showPoints": "never",
            "thresholdsStyle": {"mode": "line" if panel.thresholds else "off"},
        }
    if panel.minimum is not None:
        defaults["min"] = panel.minimum
    if panel.maximum is not None:
        defaults["max"] = panel.maximum
    return {"defaults": defaults, "overrides": []}


def _panel(panel: Panel, index: int) -> dict[str, Any]:
    table = panel.kind == "table"
    targets = [
        {
            "refId": chr(ord("A") + position),
            "datasource": _DATASOURCE,
            "expr": query.expr,
            "legendFormat": query.legend or "__auto",
            "range": not table,
            "instant": table,
            **({"format": "table"} if table else {}),
        }
        for position, query in enumerate(panel.queries)
    ]
    options: dict[str, Any] = {"legend": {"displayMode": "list", "placement": "bottom",
                                          "showLegend": True}}  # fmt: skip
    if panel.kind == "timeseries":
        options["tooltip"] = {"mode": "multi", "sort": "desc"}
    return {
        "id": index + 1,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": _DATASOURCE,
        "gridPos": {"h": 8, "w": 12, "x": (index % 2) * 12, "y": (index // 2) * 8},
        "fieldConfig": _field_config(panel),
        "options": options if not table else {"showHeader": True},
        "targets": targets,
    }


def render_dashboard(dashboard: Dashboard) -> dict[str, Any]:
    """The Grafana JSON model (classic) of ``dashboard``."""
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": list(dashboard.tags),
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "timezone": "browser",
        "time": {"from": "now-1h", "to": "now"},
        "refresh": "30s",
        "annotations": {"list": []},
        "links": [
            {
                "type": "dashboards",
                "title": "MonitML",
                "tags": ["monitml"],
                "asDropdown": True,
                "includeVars": True,
                "keepTime": True,
            }
        ],
        "templating": {"list": _variables(dashboard)},
        "panels": [_panel(panel, index) for index, panel in enumerate(dashboard.panels)],
    }


_HEADER = "# Generated by `monitml export grafana`; export again rather than editing this file.\n"


def provisioning_files() -> dict[str, str]:
    datasource = {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus (MonitML)",
                "uid": DATASOURCE_UID,
                "type": "prometheus",
                "access": "proxy",
                "url": PROMETHEUS_URL,
                "isDefault": True,
                "editable": False,
                "jsonData": {"timeInterval": SCRAPE_INTERVAL, "httpMethod": "POST"},
            }
        ],
    }
    provider = {
        "apiVersion": 1,
        "providers": [
            {
                "name": "monitml",
                "folder": "MonitML",
                "type": "file",
                "disableDeletion": False,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 30,
                "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }

    def dump(document: dict[str, Any]) -> str:
        return _HEADER + yaml.safe_dump(document, sort_keys=False)

    return {
        "provisioning/datasources/prometheus.yml": dump(datasource),
        "provisioning/dashboards/monitml.yml": dump(provider),
    }
