"""deploy/k8s: every overlay rendered by `kubectl kustomize` and checked offline — built-in
kinds against the Kubernetes JSON schemas shipped by kubernetes-validate (strict: an unknown
field fails), the prometheus-operator kinds for the fields that matter, the PrometheusRule's
groups by promtool."""

from __future__ import annotations

import re
import shlex
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .conftest import DEPLOY, ROOT, checked, tool

K8S = DEPLOY / "k8s"
OVERLAYS = ["dev", "production", "prometheus-operator"]
# The oldest Kubernetes the manifests are for (CronJob timeZone is GA from 1.27).
KUBERNETES_VERSION = "1.27"
OPERATOR_KINDS = {"ServiceMonitor", "PrometheusRule"}
# The Secrets the manifests reference and docs/deploy.md tells how to create: (name, key).
SECRETS = {("monitml-db", "url"), ("monitml-admin", "token"), ("monitml-slack", "url")}
CONFIG_PATH = "/etc/monitml/monitml.yaml"


def render(overlay: str) -> list[dict[str, Any]]:
    output = checked(tool("kubectl"), "kustomize", str(K8S / "overlays" / overlay))
    return [document for document in yaml.safe_load_all(output) if document]


@pytest.fixture(scope="module", params=OVERLAYS)
def rendered(request: pytest.FixtureRequest) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render(request.param)


def by_kind(documents: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == kind}


def pod_specs(documents: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    specs = {
        name: doc["spec"]["template"]["spec"]
        for name, doc in by_kind(documents, "Deployment").items()
    }
    for name, doc in by_kind(documents, "CronJob").items():
        specs[name] = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return specs


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [*spec.get("initContainers", []), *spec["containers"]]


def test_every_builtin_resource_matches_the_kubernetes_schema(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, documents = rendered
    builtin = [doc for doc in documents if doc["kind"] not in OPERATOR_KINDS]
    assert {"Deployment", "Service", "CronJob", "ConfigMap"} <= {doc["kind"] for doc in builtin}
    for doc in builtin:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_rejects_a_misspelt_field() -> None:
    deployment = by_kind(render("dev"), "Deployment")["monitml-gateway"]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_no_overlay_commits_a_secret_and_every_reference_is_a_documented_one(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, documents = rendered
    assert not by_kind(documents, "Secret")
    references = {
        (ref["name"], ref["key"])
        for spec in pod_specs(documents).values()
        for container in containers(spec)
        for variable in container.get("env", [])
        if (ref := variable.get("valueFrom", {}).get("secretKeyRef"))
    }
    assert references <= SECRETS
    assert ("monitml-db", "url") in references
    docs = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for name, key in references:
        assert re.search(rf"{name}\b.*--from-literal={key}=", docs), f"{name}/{key} undocumented"


def test_the_config_map_is_deploy_monitml_yaml_mounted_where_every_command_reads_it(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, documents = rendered
    (config_map,) = by_kind(documents, "ConfigMap").values()
    assert config_map["data"]["monitml.yaml"] == (DEPLOY / "monitml.yaml").read_text(
        encoding="utf-8"
    )
    for name, spec in pod_specs(documents).items():
        volumes = {
            volume["configMap"]["name"]: volume["name"]
            for volume in spec["volumes"]
            if "configMap" in volume
        }
        volume = volumes[config_map["metadata"]["name"]]
        main = spec["containers"][0]
        mount = next(m for m in main["volumeMounts"] if m["name"] == volume)
        assert Path(mount["mountPath"]) / "monitml.yaml" == Path(CONFIG_PATH), name
        words = [*main.get("args", [])]
        if main.get("command") == ["/bin/sh", "-c"]:
            words = shlex.split(words[0])
        assert words[words.index("--config") + 1] == CONFIG_PATH, name


def test_the_base_copy_of_the_config_is_deploy_monitml_yaml() -> None:
    copy = K8S / "base" / "monitml.yaml"
    assert copy.read_bytes() == (DEPLOY / "monitml.yaml").read_bytes(), (
        "run: cp deploy/monitml.yaml deploy/k8s/base/monitml.yaml"
    )


def test_every_pod_runs_as_the_images_non_root_user_with_limits(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, documents = rendered
    user = re.search(r"^USER (\d+):(\d+)$", (DEPLOY / "Dockerfile").read_text(), re.MULTILINE)
    assert user is not None
    for name, spec in pod_specs(documents).items():
        context = spec["securityContext"]
        assert context["runAsNonRoot"] is True, name
        assert (context["runAsUser"], context["runAsGroup"]) == (
            int(user.group(1)),
            int(user.group(2)),
        ), name
        for container in containers(spec):
            assert container["securityContext"]["allowPrivilegeEscalation"] is False, name
            assert container["securityContext"]["capabilities"]["drop"] == ["ALL"], name
            resources = container["resources"]
            assert set(resources["requests"]) == set(resources["limits"]) == {"cpu", "memory"}


def test_the_gateway_probes_its_health_and_is_scraped_on_its_port(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, documents = rendered
    deployment = by_kind(documents, "Deployment")["monitml-gateway"]
    (gateway,) = deployment["spec"]["template"]["spec"]["containers"]
    (port,) = gateway["ports"]
    assert gateway["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": port["name"]}
    assert gateway["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": port["name"]}
    service = by_kind(documents, "Service")["gateway"]
    for scrape in (
        deployment["spec"]["template"]["metadata"]["annotations"],
        service["metadata"]["annotations"],
    ):
        assert scrape["prometheus.io/scrape"] == "true"
        assert scrape["prometheus.io/port"] == str(port["containerPort"])
        assert scrape["prometheus.io/path"] == "/metrics"
    assert service["spec"]["ports"][0]["port"] == port["containerPort"]


def test_each_service_selects_the_pods_of_its_deployment(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    _, documents = rendered
    deployments = by_kind(documents, "Deployment")
    for service, deployment in (("gateway", "monitml-gateway"), ("monitor", "monitml-monitor")):
        selector = by_kind(documents, "Service")[service]["spec"]["selector"]
        labels = deployments[deployment]["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= labels.items(), service
        (container,) = deployments[deployment]["spec"]["template"]["spec"]["containers"]
        names = {port["name"] for port in container["ports"]}
        assert {
            port["targetPort"] for port in by_kind(documents, "Service")[service]["spec"]["ports"]
        } <= names


def test_the_cron_job_checks_yesterday_and_fails_on_an_alert(
    rendered: tuple[str, list[dict[str, Any]]], tmp_path: Path
) -> None:
    _, documents = rendered
    cron = by_kind(documents, "CronJob")["monitml-check"]
    assert cron["spec"]["jobTemplate"]["spec"]["backoffLimit"] == 0
    (container,) = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    # The container's shell line, run with a monitml that prints the arguments it was given.
    fake = tmp_path / "monitml"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    fake.chmod(0o755)
    script = container["args"][0]
    words = checked(*container["command"], script, env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    argv = words.splitlines()
    assert argv[0] == "check"
    assert "--fail-on-alert" in argv
    start, end = argv[argv.index("--from") + 1], argv[argv.index("--to") + 1]
    assert date.fromisoformat(end) - date.fromisoformat(start) == timedelta(days=1)
    config = yaml.safe_load((DEPLOY / "monitml.yaml").read_text())
    assert argv[argv.index("--model") + 1] in config["models"]


def test_every_claimed_volume_is_rendered(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    _, documents = rendered
    claims = by_kind(documents, "PersistentVolumeClaim")
    for name, spec in pod_specs(documents).items():
        for volume in spec["volumes"]:
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, name


def test_only_the_prometheus_operator_overlay_has_operator_resources(
    rendered: tuple[str, list[dict[str, Any]]],
) -> None:
    overlay, documents = rendered
    kinds = {doc["kind"] for doc in documents} & OPERATOR_KINDS
    assert kinds == (OPERATOR_KINDS if overlay == "prometheus-operator" else set())


def slack_env(documents: list[dict[str, Any]]) -> set[str]:
    (monitor,) = by_kind(documents, "Deployment")["monitml-monitor"]["spec"]["template"]["spec"][
        "containers"
    ]
    return {variable["name"] for variable in monitor["env"]} & {
        "MONITML_ALERTS__CHANNELS__SLACK__WEBHOOK_URL_ENV",
        "SLACK_WEBHOOK_URL",
    }


def test_exactly_one_evaluator_notifies_slack(rendered: tuple[str, list[dict[str, Any]]]) -> None:
    overlay, documents = rendered
    assert len(by_kind(documents, "PrometheusRule")) == (
        1 if overlay == "prometheus-operator" else 0
    )
    assert bool(slack_env(documents)) is (overlay != "prometheus-operator")
    assert by_kind(documents, "Deployment")["monitml-monitor"]["spec"]["replicas"] == 1


@pytest.fixture(scope="module")
def operator() -> list[dict[str, Any]]:
    return render("prometheus-operator")


def rule_file_groups() -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "prometheus" / "rules").glob("*.yml")):
        groups.extend(yaml.safe_load(path.read_text(encoding="utf-8"))["groups"])
    return groups


def test_the_prometheus_rule_holds_the_groups_of_the_prometheus_rule_files(
    operator: list[dict[str, Any]],
) -> None:
    (rule,) = by_kind(operator, "PrometheusRule").values()
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["spec"]["groups"] == rule_file_groups(), (
        "the PrometheusRule is stale: run python scripts/prometheus_rule_crd.py"
    )


def test_promtool_accepts_the_prometheus_rules_groups(
    operator: list[dict[str, Any]], tmp_path: Path
) -> None:
    (rule,) = by_kind(operator, "PrometheusRule").values()
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
    output = checked(tool("promtool"), "check", "rules", str(path))
    count = sum(len(group["rules"]) for group in rule["spec"]["groups"])
    assert count > 0
    assert f"SUCCESS: {count} rules found" in output


def test_each_service_monitor_scrapes_a_named_port_of_the_service_it_selects(
    operator: list[dict[str, Any]],
) -> None:
    services = by_kind(operator, "Service")
    monitors = by_kind(operator, "ServiceMonitor")
    assert len(monitors) == 2
    scraped = set()
    for name, monitor in monitors.items():
        assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
        labels = monitor["spec"]["selector"]["matchLabels"]
        (service,) = [
            svc for svc in services.values() if labels.items() <= svc["metadata"]["labels"].items()
        ]
        ports = {port["name"] for port in service["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            assert endpoint["port"] in ports, name
            assert endpoint["path"] == "/metrics", name
        scraped.add(service["metadata"]["name"])
    assert scraped == {"gateway", "monitor"}
