"""The shipped Grafana dashboards and Prometheus config, proven on real servers.

The gateway serves the Ames demo 75/25 with traffic, ``monitml monitor`` judges its windows
every second, and Debian's Prometheus scrapes both with ``deploy/prometheus/prometheus.yml`` as
shipped (only the targets and the two global intervals are replaced) and evaluates the shipped
rules. Every PromQL target of every committed dashboard, with its template variables filled in
from the variables' own ``label_values`` queries, must return at least one series — except the
panels listed in ``EXEMPT`` with the reason, and exactly those (none today).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from monitml.alerts.export import prometheus_rules
from monitml.alerts.grafana import export_files
from monitml.config import load_settings
from monitml.demo.housing import ALERT_RULE

from .conftest import ADMIN_TOKEN, Server, Traffic, binary, free_port, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"

# (dashboard uid, panel title) -> why the panel may be empty today. Nothing else may be.
EXEMPT: dict[tuple[str, str], str] = {}
# Series Prometheus itself writes, not found on any /metrics page.
PROMETHEUS_OWN = {"ALERTS": "Prometheus's series of its rules' pending and firing alerts"}
# What Grafana puts in $__rate_interval for a 1 s scrape: at least four scrapes.
RATE_INTERVAL = "4s"
_VARIABLE = re.compile(r"\$(\w+)")
_LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>\w+)\)$")
_METRIC_NAME = re.compile(r"\b(monitml_\w+|ALERTS)\b|\b([A-Za-z_:][\w:]*)\{")


def demo_export_config(demo_folder: Path, folder: Path) -> Path:
    """The config ``monitml demo`` runs: the Ames demo's models with the seed's alert rule."""
    config = yaml.safe_load((demo_folder / "monitml.yaml").read_text())
    config["alerts"] = {"rules": [ALERT_RULE]}
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


@dataclass(frozen=True)
class Target:
    dashboard: str
    panel: str
    expr: str


def committed_dashboards() -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(DASHBOARDS.glob("*.json"))]


def panel_targets(dashboard: dict[str, Any]) -> list[Target]:
    return [
        Target(dashboard["uid"], panel["title"], target["expr"])
        for panel in dashboard["panels"]
        for target in panel["targets"]
    ]


def variable_queries(dashboard: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(name, label_values query, multi) of each template variable, in order."""
    return [
        (v["name"], v["query"]["query"], bool(v["multi"])) for v in dashboard["templating"]["list"]
    ]


def fill(text: str, values: dict[str, str]) -> str:
    return _VARIABLE.sub(lambda match: values[match.group(1)], text)


def resolve_variables(prometheus: str, dashboard: dict[str, Any]) -> dict[str, str]:
    """Each variable's value as Grafana would set it: the first value, or all for a multi."""
    values = {"__rate_interval": RATE_INTERVAL}
    for name, query, multi in variable_queries(dashboard):
        parsed = _LABEL_VALUES.match(query)
        assert parsed is not None, f"{dashboard['uid']}: ${name} is not a label_values query"
        answer = httpx.get(
            f"{prometheus}/api/v1/label/{parsed['label']}/values",
            params={"match[]": fill(parsed["selector"], values)},
            timeout=5,
        ).json()
        found = sorted(answer["data"])
        if not found:
            return {}
        # Grafana's Prometheus data source writes a multi-value variable as (a|b).
        values[name] = f"({'|'.join(re.escape(v) for v in found)})" if multi else found[0]
    return values


def empty_panels(prometheus: str) -> tuple[set[tuple[str, str]], list[str]]:
    """Panels with a target returning no series, and the queries that failed outright."""
    empty: set[tuple[str, str]] = set()
    errors = []
    for dashboard in committed_dashboards():
        values = resolve_variables(prometheus, dashboard)
        for target in panel_targets(dashboard):
            if not values:
                empty.add((target.dashboard, target.panel))
                continue
            expr = fill(target.expr, values)
            answer = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5)
            body = answer.json()
            if body.get("status") != "success":
                errors.append(f"{target.dashboard} / {target.panel}: {expr}: {body}")
            elif not body["data"]["result"]:
                empty.add((target.dashboard, target.panel))
    return empty, errors


def metric_names(expr: str) -> set[str]:
    return {a or b for a, b in _METRIC_NAME.findall(expr)}


def exposed_names(text: str) -> set[str]:
    return {
        sample.name for family in text_string_to_metric_families(text) for sample in family.samples
    }


@dataclass(frozen=True)
class Stack:
    gateway: str
    monitor_metrics: str
    prometheus: str


def _shipped_config_for(gateway: str, monitor: str) -> dict[str, Any]:
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    targets = {"monitml-gateway": gateway, "monitml-monitor": monitor}
    for job in config["scrape_configs"]:
        (static,) = job["static_configs"]
        static["targets"] = [targets.pop(job["job_name"])]
    assert not targets, f"the shipped config has no job {sorted(targets)}"
    return config


@pytest.fixture(scope="module")
def stack(
    demo_folder: Path,
    ames_requests: list[dict[str, Any]],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Stack]:
    """Gateway, monitor and Prometheus (shipped config and rules), with traffic flowing."""
    folder = tmp_path_factory.mktemp("grafana-stack")
    config = yaml.safe_load((demo_folder / "monitml.yaml").read_text())
    config["store"] = {"url": f"sqlite:///{folder / 'monitml.db'}"}
    model = config["models"]["house-price"]
    model["reference"] = str(demo_folder / model["reference"])
    for version in model["versions"].values():
        version["path"] = str(demo_folder / version["path"])
    monitor_port, gateway_port, prometheus_port = free_port(), free_port(), free_port()
    config["monitor"] = {
        "interval": "1s",
        "window": {"period": "30s"},
        "min_rows": 20,
        "port": monitor_port,
    }
    config_path = folder / "monitml.yaml"
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))

    prometheus_folder = folder / "prometheus"
    shutil.copytree(PROMETHEUS_CONFIG.parent, prometheus_folder)
    gateway_address = f"127.0.0.1:{gateway_port}"
    monitor_address = f"127.0.0.1:{monitor_port}"
    (prometheus_folder / "prometheus.yml").write_text(
        yaml.safe_dump(_shipped_config_for(gateway_address, monitor_address), sort_keys=False)
    )

    env = {**os.environ, "MONITML_ADMIN_TOKEN": ADMIN_TOKEN}
    cli = [sys.executable, "-m", "monitml.cli"]
    started: list[Server] = []

    def start(name: str, command: list[str], ready: str) -> None:
        server = Server(name, command, folder / f"{name}.log", env)
        started.append(server)
        wait_until(
            lambda: httpx.get(ready, timeout=1).status_code == 200,
            timeout=60,
            what=name,
            process=server,
        )

    try:
        start(
            "gateway",
            [*cli, "serve", "--config", str(config_path), "--host", "127.0.0.1",
             "--port", str(gateway_port)],
            f"http://{gateway_address}/health/ready",
        )  # fmt: skip
        start(
            "monitor",
            [*cli, "monitor", "--config", str(config_path)],
            f"http://{monitor_address}/metrics",
        )
        prometheus = f"http://127.0.0.1:{prometheus_port}"
        start(
            "prometheus",
            [
                binary("prometheus"),
                f"--config.file={prometheus_folder / 'prometheus.yml'}",
                f"--storage.tsdb.path={folder / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{prometheus_port}",
            ],
            f"{prometheus}/-/ready",
        )
        with Traffic(f"http://{gateway_address}", ames_requests, rate=60.0):
            yield Stack(
                f"http://{gateway_address}", f"http://{monitor_address}/metrics", prometheus
            )
    finally:
        for server in reversed(started):
            server.stop()


def test_the_test_scrapes_with_the_shipped_config_changing_only_targets_and_intervals() -> None:
    shipped = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
    used = _shipped_config_for("127.0.0.1:1", "127.0.0.1:2")
    for config in (shipped, used):
        config.pop("global")
        for job in config["scrape_configs"]:
            job["static_configs"][0].pop("targets")
    assert used == shipped


def test_every_dashboard_panel_returns_series_from_the_real_prometheus(stack: Stack) -> None:
    started = time.monotonic()
    deadline = started + 50
    empty, errors = empty_panels(stack.prometheus)
    while set(empty) != set(EXEMPT) and not errors and time.monotonic() < deadline:
        time.sleep(1)
        empty, errors = empty_panels(stack.prometheus)
    assert not errors, "\n".join(errors)
    assert empty == set(EXEMPT), f"empty panels {sorted(empty)}, exempt {sorted(EXEMPT)}"
    every_panel = {(t.dashboard, t.panel) for d in committed_dashboards() for t in panel_targets(d)}
    assert set(EXEMPT) <= every_panel  # the exemptions name real panels
    assert len(every_panel) >= 15


def test_every_metric_a_dashboard_uses_is_on_the_gateways_or_the_monitors_metrics(
    stack: Stack,
) -> None:
    exposed: set[str] = set()
    wait_until(
        lambda: "monitml_dataset_drift{" in httpx.get(stack.monitor_metrics, timeout=5).text,
        timeout=50,
        what="the monitor's first drift result",
    )
    for url in (f"{stack.gateway}/metrics", stack.monitor_metrics):
        exposed |= exposed_names(httpx.get(url, timeout=5).text)
    used: dict[str, set[tuple[str, str]]] = {}
    for dashboard in committed_dashboards():
        queries = [(dashboard["uid"], "$" + name, q) for name, q, _ in variable_queries(dashboard)]
        queries += [(t.dashboard, t.panel, t.expr) for t in panel_targets(dashboard)]
        for uid, panel, expr in queries:
            for name in metric_names(expr):
                used.setdefault(name, set()).add((uid, panel))
    missing = {name for name in used if name not in exposed and name not in PROMETHEUS_OWN}
    only_in_exempt_panels = {name for name, panels in used.items() if panels <= set(EXEMPT)}
    assert missing == only_in_exempt_panels, f"not exposed: {sorted(missing)}"
    assert "monitml_request_duration_seconds_bucket" in used  # the names were found at all


def test_promtool_accepts_the_shipped_config_and_rules() -> None:
    done = subprocess.run(
        [binary("promtool"), "check", "config", str(PROMETHEUS_CONFIG)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout + done.stderr


def test_the_committed_grafana_files_are_what_the_export_writes_for_the_demo_config(
    demo_folder: Path, tmp_path: Path
) -> None:
    settings = load_settings(demo_export_config(demo_folder, tmp_path))
    models = {name: model.task for name, model in settings.models.items()}
    expected = export_files(models, settings.alerts.rules)
    committed = {
        path.relative_to(DEPLOY / "grafana").as_posix(): path.read_text()
        for path in (DEPLOY / "grafana").rglob("*")
        if path.is_file()
    }
    assert committed == expected


def test_the_committed_rules_are_what_the_export_writes_for_the_demo_config(
    demo_folder: Path, tmp_path: Path
) -> None:
    settings = load_settings(demo_export_config(demo_folder, tmp_path))
    rules = DEPLOY / "prometheus" / "rules"
    assert [path.name for path in rules.iterdir()] == ["monitml.yml"]
    assert (rules / "monitml.yml").read_text() == prometheus_rules(settings.alerts)
