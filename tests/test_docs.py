"""Every command and every config section a user can reach is documented (datasette's habit)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import typer.main

from monitml.cli.main import app
from monitml.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = "\n".join(
    path.read_text(encoding="utf-8")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
)


def _commands() -> list[str]:
    group = typer.main.get_command(app)
    names = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        names += [f"monitml {name} {child}" for child in sub] if sub else [f"monitml {name}"]
    return names


def test_every_command_is_documented() -> None:
    missing = [name for name in _commands() if name not in DOCS]
    assert not missing, f"undocumented commands: {missing}"


def test_every_config_section_is_documented() -> None:
    sections = [name for name in Settings.model_fields if name != "base_dir"]
    missing = [name for name in sections if f"{name}:" not in DOCS]
    assert not missing, f"undocumented config sections: {missing}"


# -- docs/metrics.md ---------------------------------------------------------------------------

METRICS_DOC = (ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
_SAMPLE_SUFFIXES = ("_bucket", "_sum", "_count", "_created")


def _metric_names_in_code() -> dict[str, str]:
    """Every ``monitml_…`` string in a module that uses prometheus_client, and where it is."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "src" / "monitml").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "prometheus_client" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"monitml_[a-z0-9_]+", node.value)
            ):
                found.setdefault(node.value, str(path.relative_to(ROOT)))
    return found


def _documented(name: str) -> bool:
    if f"`{name}`" in METRICS_DOC:
        return True
    for suffix in _SAMPLE_SUFFIXES:  # a sample series of a documented counter or histogram
        base = name.removesuffix(suffix)
        if base != name and (f"`{base}`" in METRICS_DOC or f"`{base}_total`" in METRICS_DOC):
            return True
    return False


def _table() -> dict[str, tuple[str, list[str]]]:
    rows = {}
    for line in METRICS_DOC.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            labels = re.findall(r"`([a-z_]+)`", cells[2])
            rows[cells[0].strip("`")] = (cells[1], labels)
    return rows


def test_every_metric_name_in_the_code_is_in_the_metrics_reference() -> None:
    missing = {n: where for n, where in _metric_names_in_code().items() if not _documented(n)}
    assert not missing, f"add these metrics to docs/metrics.md: {missing}"


def test_the_metrics_reference_gives_each_registered_metric_its_type_and_labels() -> None:
    from prometheus_client import CollectorRegistry  # noqa: PLC0415
    from prometheus_client.metrics import MetricWrapperBase  # noqa: PLC0415

    from monitml.alerts.dispatcher import Dispatcher  # noqa: PLC0415
    from monitml.monitor.gauges import MonitorGauges  # noqa: PLC0415
    from monitml.serving.metrics import GatewayMetrics  # noqa: PLC0415

    registry = CollectorRegistry()
    owners = [GatewayMetrics(registry), MonitorGauges(registry), Dispatcher({}, registry=registry)]
    metrics: list[MetricWrapperBase] = []
    for owner in owners:
        for value in vars(owner).values():
            items = value.values() if isinstance(value, dict) else [value]
            metrics += [m for m in items if isinstance(m, MetricWrapperBase)]
    table = _table()
    assert len(metrics) >= 20
    wrong = {}
    for metric in metrics:
        kind = metric._type
        name = metric._name + ("_total" if kind == "counter" else "")
        expected = (kind, list(metric._labelnames))
        got = table.get(name)
        if got != expected:
            wrong[name] = f"documented {got}, registered {expected}"
    assert not wrong, f"fix docs/metrics.md: {wrong}"
