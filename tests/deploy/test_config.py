"""deploy/monitml.yaml, the containers' config, checked by the real settings model."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import yaml

from monitml.alerts.export import prometheus_rules
from monitml.config import Settings, load_settings

from .conftest import DEPLOY

CONFIG = DEPLOY / "monitml.yaml"
MODELS_MOUNT = Path("/models")
STATE_MOUNT = Path("/var/lib/monitml")


@pytest.fixture
def settings(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The file alone: no MONITML_ variable of the machine running the tests."""
    for name in [name for name in os.environ if name.startswith("MONITML_")]:
        monkeypatch.delenv(name)
    return load_settings(CONFIG)


def scrape_targets() -> dict[str, str]:
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    return {
        job["job_name"]: job["static_configs"][0]["targets"][0] for job in config["scrape_configs"]
    }


def test_the_deploy_config_passes_the_settings_model(settings: Settings) -> None:
    assert set(settings.models) == {"house-price"}
    assert settings.models["house-price"].routing == {"v1": 75, "v2": 25}


def test_the_gateway_and_the_monitor_listen_where_prometheus_scrapes_them(
    settings: Settings,
) -> None:
    targets = scrape_targets()
    assert settings.server.host == "0.0.0.0"
    assert settings.monitor.host == "0.0.0.0"
    assert targets["monitml-gateway"] == f"gateway:{settings.server.port}"
    assert targets["monitml-monitor"] == f"monitor:{settings.monitor.port}"


def test_the_monitor_reads_the_gateway_metrics_from_the_gateway_service(
    settings: Settings,
) -> None:
    assert settings.monitor.gateway_url is not None
    assert urlsplit(settings.monitor.gateway_url).netloc == scrape_targets()["monitml-gateway"]


def test_model_files_come_from_the_models_volume_and_state_goes_to_the_writable_one(
    settings: Settings,
) -> None:
    model = settings.models["house-price"]
    read = [model.reference, *(version.path for version in model.versions.values())]
    assert all(path is not None and path.is_relative_to(MODELS_MOUNT) for path in read), read
    written = [settings.server.spill_path]
    assert all(path.is_relative_to(STATE_MOUNT) for path in written), written


def test_the_environment_store_url_replaces_the_file_one(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "postgresql+psycopg://monitml:secret@postgres:5432/monitml"
    monkeypatch.setenv("MONITML_STORE__URL", url)
    parsed = sa.make_url(load_settings(CONFIG).store.url)
    assert (parsed.get_backend_name(), parsed.get_driver_name(), parsed.host) == (
        "postgresql",
        "psycopg",
        "postgres",
    )


def test_no_channel_is_set_so_only_alertmanager_notifies(settings: Settings) -> None:
    assert settings.alerts.channels.configured() == []


def test_the_kubernetes_environment_turns_the_monitors_slack_channel_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MONITML_ALERTS__CHANNELS__SLACK__WEBHOOK_URL_ENV", "SLACK_WEBHOOK_URL")
    slack = load_settings(CONFIG).alerts.channels.slack
    assert slack is not None
    assert slack.webhook_url_env == "SLACK_WEBHOOK_URL"


def test_prometheus_loads_exactly_the_rules_of_the_deploy_config(settings: Settings) -> None:
    committed = (DEPLOY / "prometheus" / "rules" / "monitml.yml").read_text(encoding="utf-8")
    assert prometheus_rules(settings.alerts) == committed, (
        "deploy/prometheus/rules/monitml.yml is not the export of deploy/monitml.yaml: run "
        "monitml export prometheus-rules --config deploy/monitml.yaml "
        "-o deploy/prometheus/rules/monitml.yml (or align the alerts section)"
    )
