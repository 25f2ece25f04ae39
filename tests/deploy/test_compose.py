"""deploy/docker-compose.yml, the Dockerfile and the Alertmanager config, checked offline by
Debian's docker-compose and amtool: every config mounted from deploy/, every service where
the others look for it, no secret in a file."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
import yaml

from .conftest import DEPLOY, ROOT, checked, run, tool

COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
ALERTMANAGER = DEPLOY / "alertmanager" / "alertmanager.yml"
REQUIRED = {"POSTGRES_PASSWORD": "db-password", "GRAFANA_ADMIN_PASSWORD": "grafana-password"}
SERVICES = {
    "demo-models",
    "gateway",
    "monitor",
    "postgres",
    "prometheus",
    "alertmanager",
    "grafana",
}


def compose_env(**values: str) -> dict[str, str]:
    """The machine's environment without any variable the compose file reads, then ``values``."""
    text = COMPOSE.read_text(encoding="utf-8")
    read = set(re.findall(r"\$\{(\w+)", text))
    env = {key: value for key, value in os.environ.items() if key not in read}
    return {**env, **values}


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(tool("docker-compose"), "-f", str(COMPOSE), "config", cwd=DEPLOY, env=env)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    """The file as docker-compose resolves it: variables filled in, paths made absolute."""
    done = compose_config(compose_env(**REQUIRED))
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = yaml.safe_load(done.stdout)
    return config


def mounts(service: dict[str, Any]) -> dict[str, str]:
    """Target → source of a service's volumes (a bind mount's source is an absolute path)."""
    pairs = (volume.split(":")[:2] for volume in service.get("volumes", []))
    return {target: source for source, target in pairs}


def bind_mounts(config: dict[str, Any]) -> list[tuple[str, str, Path]]:
    return [
        (name, target, Path(source))
        for name, service in config["services"].items()
        for target, source in mounts(service).items()
        if source.startswith("/")
    ]


def test_docker_compose_accepts_the_file_with_the_six_services_and_the_model_loader(
    compose: dict[str, Any],
) -> None:
    assert set(compose["services"]) == SERVICES


@pytest.mark.parametrize("variable", sorted(REQUIRED))
def test_a_missing_password_stops_docker_compose_naming_it(variable: str) -> None:
    env = compose_env(**{key: value for key, value in REQUIRED.items() if key != variable})
    done = compose_config(env)
    assert done.returncode != 0
    assert variable in done.stderr


def test_every_bind_mount_is_a_file_or_folder_of_deploy(compose: dict[str, Any]) -> None:
    binds = bind_mounts(compose)
    assert binds
    for name, target, source in binds:
        assert source.is_relative_to(DEPLOY), (name, target, source)
        assert source.exists(), (name, target, source)


def test_gateway_and_monitor_run_the_deploy_config_against_the_postgres_service(
    compose: dict[str, Any],
) -> None:
    for name, command in (("gateway", "serve"), ("monitor", "monitor")):
        service = compose["services"][name]
        assert service["command"] == [command, "--config", "/etc/monitml/monitml.yaml"]
        assert mounts(service)["/etc/monitml/monitml.yaml"] == str(DEPLOY / "monitml.yaml")
        url = sa.make_url(service["environment"]["MONITML_STORE__URL"])
        assert (url.drivername, url.host, url.password) == (
            "postgresql+psycopg",
            "postgres",
            REQUIRED["POSTGRES_PASSWORD"],
        )
        assert url.username == compose["services"]["postgres"]["environment"]["POSTGRES_USER"]
        assert url.database == compose["services"]["postgres"]["environment"]["POSTGRES_DB"]


def test_the_models_volume_is_read_only_where_the_config_reads_it(
    compose: dict[str, Any],
) -> None:
    for name in ("gateway", "monitor"):
        assert "models:/models:ro" in compose["services"][name]["volumes"]
    assert "models:/models:rw" in compose["services"]["demo-models"]["volumes"]
    gateway = compose["services"]["gateway"]["depends_on"]
    assert gateway["demo-models"]["condition"] == "service_completed_successfully"
    assert gateway["postgres"]["condition"] == "service_healthy"


def test_prometheus_gets_its_config_and_rules_and_finds_every_target_as_a_service(
    compose: dict[str, Any],
) -> None:
    prometheus = mounts(compose["services"]["prometheus"])
    config_path = DEPLOY / "prometheus" / "prometheus.yml"
    assert prometheus["/etc/prometheus/prometheus.yml"] == str(config_path)
    config = yaml.safe_load(config_path.read_text())
    for pattern in config["rule_files"]:
        folder = Path(pattern).parent
        assert prometheus[str(Path("/etc/prometheus") / folder)] == str(config_path.parent / folder)
    targets = [
        target
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    ]
    targets += config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    # The ports are those of deploy/monitml.yaml (tests/deploy/test_config.py) and
    # Alertmanager's own 9093.
    hosts = {target.partition(":")[0] for target in targets}
    assert hosts == {"gateway", "monitor", "alertmanager"}
    assert hosts <= set(compose["services"])


def test_grafana_mounts_provisioning_and_dashboards_where_the_provider_reads_them(
    compose: dict[str, Any],
) -> None:
    grafana = mounts(compose["services"]["grafana"])
    provisioning = DEPLOY / "grafana" / "provisioning"
    assert grafana["/etc/grafana/provisioning"] == str(provisioning)
    provider = yaml.safe_load((provisioning / "dashboards" / "monitml.yml").read_text())
    assert grafana[provider["providers"][0]["options"]["path"]] == str(
        DEPLOY / "grafana" / "dashboards"
    )
    source = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())
    assert urlsplit(source["datasources"][0]["url"]).hostname in compose["services"]


def test_amtool_accepts_the_alertmanager_config() -> None:
    output = checked(tool("amtool"), "check-config", str(ALERTMANAGER))
    assert "SUCCESS" in output


def test_alertmanager_reads_the_slack_url_from_the_compose_secret(
    compose: dict[str, Any],
) -> None:
    config = yaml.safe_load(ALERTMANAGER.read_text())
    service = compose["services"]["alertmanager"]
    assert mounts(service)["/etc/alertmanager/alertmanager.yml"] == str(ALERTMANAGER)
    secret = service["secrets"][0]["source"]
    assert config["global"]["slack_api_url_file"] == f"/run/secrets/{secret}"
    assert Path(compose["secrets"][secret]["file"]).is_relative_to(
        DEPLOY / "alertmanager" / "secrets"
    )
    receivers = {receiver["name"]: receiver for receiver in config["receivers"]}
    assert receivers[config["route"]["receiver"]]["slack_configs"]
    inline = re.compile(r"^\s*(slack_)?api_url\s*:", re.MULTILINE)
    assert not inline.search(ALERTMANAGER.read_text()), "a Slack URL is written in the file"


def test_the_secrets_folder_keeps_every_secret_out_of_git() -> None:
    folder = DEPLOY / "alertmanager" / "secrets"
    probe = folder / "slack_webhook_url"
    done = run("git", "check-ignore", "-q", str(probe.relative_to(ROOT)), cwd=ROOT)
    assert done.returncode == 0, f"{probe} would be committed"


class _Ready(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        code = self.status if self.path == "/health/ready" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def ready_server() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ready)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def healthcheck_command() -> list[str]:
    match = re.search(r"^\s*CMD (\[.*\])\s*$", DOCKERFILE.read_text(), re.MULTILINE)
    assert match is not None, "no HEALTHCHECK CMD in the Dockerfile"
    command: list[str] = json.loads(match.group(1))
    return command


@pytest.mark.parametrize(
    ("status", "healthy"), [(200, True), (503, False)], ids=["ready", "starting"]
)
def test_the_image_healthcheck_passes_only_when_the_gateway_is_ready(
    ready_server: ThreadingHTTPServer, status: int, healthy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_Ready, "status", status)
    command = healthcheck_command()
    assert command[0] == "python"
    port = ready_server.server_address[1]
    code = command[2].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    assert code != command[2], "the healthcheck does not ask 127.0.0.1:8000"
    done = run(sys.executable, "-c", code)
    assert (done.returncode == 0) is healthy, done.stderr


def test_the_image_installs_the_postgres_extra_and_exposes_both_ports() -> None:
    text = DOCKERFILE.read_text()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r"^postgres = \[", pyproject, re.MULTILINE)
    assert "pip install '.[postgres]'" in text
    assert re.search(r"^FROM python:3\.11-slim$", text, re.MULTILINE)
    assert re.search(r"^EXPOSE 8000 9108$", text, re.MULTILINE)
    user = re.search(r"^USER (\d+):(\d+)$", text, re.MULTILINE)
    assert user is not None, "no numeric USER uid:gid"
    assert user.group(1) != "0"


def test_dockerignore_lets_in_exactly_what_the_dockerfile_copies() -> None:
    copied = {
        part.rstrip("/")
        for line in DOCKERFILE.read_text().splitlines()
        if line.startswith("COPY ")
        for part in line.split()[1:-1]
    }
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignore, "the .dockerignore must exclude everything, then let files in"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert allowed == copied
    assert all((ROOT / path).exists() for path in copied)
