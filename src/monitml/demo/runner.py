"""``monitml demo``: the three stories on one embedded gateway, then a summary.

Everything runs in this process on the embedded default: SQLite, the gateway on a loopback
port, the monitor inside the gateway, no server to install. The folder ``out`` receives a
ready config (``monitml.yaml``, every path relative to it), the store (``monitml.db``), the
models and data of each story, and the reports; commands like ``monitml check --config
OUT/monitml.yaml`` work on it afterwards. Each run starts from an empty store.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.markup import escape

from monitml.config import Settings, load_settings
from monitml.demo import flights, housing, retraining
from monitml.demo.harness import NotificationReceiver, free_port, running_gateway
from monitml.demo.models import flight_delay_config, house_price_config
from monitml.demo.summary import print_summary
from monitml.errors import ConfigError

__all__ = ["DemoOutcome", "run_demo"]

ADMIN_TOKEN_ENV = "MONITML_ADMIN_TOKEN"
SLACK_ENV = "SLACK_WEBHOOK_URL"


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    config: Path
    canary: housing.CanaryStory
    labels: flights.LabelsStory
    retraining: retraining.RetrainingStory
    notifications: list[dict[str, Any]]
    reports: list[Path]


def monitor_and_alerts(rules: list[dict[str, Any]], channels: dict[str, Any]) -> dict[str, Any]:
    """The ``monitor`` and ``alerts`` sections of the demo: everything on the replay clock."""
    return {
        "monitor": {
            "interval": f"{housing.MONTH_SECONDS:g}s",
            "window": {"period": f"{housing.WINDOW_MONTHS * housing.MONTH_SECONDS:g}s"},
            "min_rows": 20,
            "embedded": True,
        },
        "alerts": {
            "rules": rules,
            "group_wait": "1s",
            "group_interval": "2s",
            "repeat_interval": "1h",
            "channels": channels,
        },
    }


def write_config(out: Path, environ: dict[str, str]) -> Path:
    """Train the stories' models into ``out`` and write its ``monitml.yaml``."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]  # noqa: PLC0415

    # One thread per fit: on a busy machine OpenMP's thread teams make these fits several
    # times slower (a v1 fit: 3 s with one thread, 18 s with the default at load 10).
    with threadpool_limits(1):
        house_price = house_price_config(out / housing.MODEL, out)
        models = {
            housing.MODEL: house_price,
            flights.MODEL: flight_delay_config(out / flights.MODEL, out),
            retraining.MODEL: retraining.retraining_config(house_price),
        }
    channels = {"slack": {"webhook_url_env": SLACK_ENV}} if SLACK_ENV in environ else {}
    config: dict[str, Any] = {
        "store": {"url": "sqlite:///monitml.db"},
        "models": models,
        "registry": {"path": "registry"},
        "auth": {"admin_token_env": ADMIN_TOKEN_ENV},
        **monitor_and_alerts([housing.ALERT_RULE, retraining.RETRAIN_RULE], channels),
    }
    path = out / "monitml.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _fresh(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"--out: cannot create {out}: {error.strerror or error}") from error
    for stale in (*out.glob("monitml.db*"), *out.glob("monitml-*.json*")):
        stale.unlink()
    shutil.rmtree(out / "registry", ignore_errors=True)  # story 3's challengers of a past run


@contextmanager
def _overrides(values: dict[str, str]) -> Iterator[None]:
    """This run's loopback ports and receiver, as ``MONITML_`` variables over the file."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_demo(out: Path, *, serve: bool = False, console: Console | None = None) -> DemoOutcome:
    """Run both stories into ``out``; with ``serve``, keep the gateway up until interrupted."""
    # A pipe or a CI log gets Rich's 80 columns, which fold the monthly tables: give it room.
    console = console or Console(width=None if sys.stdout.isatty() else 140)
    _fresh(out)
    with console.status("Training v1 and v2 on Ames 2006–2007, the delay classifier on Q1 2013"):
        config_path = write_config(out, dict(os.environ))
    console.print(f"Config: {config_path}")
    token = os.environ.get(ADMIN_TOKEN_ENV) or secrets.token_urlsafe(16)
    with NotificationReceiver(show=lambda body: _show(console, body)) as receiver:
        port = 8000 if serve and _port_is_free(8000) else free_port()
        overrides = {
            ADMIN_TOKEN_ENV: token,
            "MONITML_SERVER__PORT": str(port),
            "MONITML_ALERTS__CHANNELS__WEBHOOK__URL": receiver.url,
        }
        with _overrides(overrides):
            settings = load_settings(config_path)
            with running_gateway(settings) as base_url:
                console.rule("Story 1 — canary housing")
                canary = housing.replay_canary(
                    settings, base_url, token, out / housing.MODEL / "traffic.parquet", console
                )
                console.rule("Story 2 — delayed labels")
                labels = flights.replay_delayed_labels(
                    settings, base_url, out / flights.MODEL, console
                )
                console.rule("Story 3 — retraining and progressive delivery")
                retrained = retraining.replay_retraining(
                    settings, base_url, out / housing.MODEL / "traffic.parquet",
                    receiver.received, console,
                )  # fmt: skip
                reports = _write_reports(settings, out, canary, labels)
                outcome = DemoOutcome(
                    config_path, canary, labels, retrained, list(receiver.received), reports
                )
                print_summary(console, outcome)
                if serve:
                    _serve(console, base_url, token)
    return outcome


def _write_reports(
    settings: Settings, out: Path, canary: housing.CanaryStory, labels: flights.LabelsStory
) -> list[Path]:
    from monitml.demo.reports import write_reports  # noqa: PLC0415

    return write_reports(settings, out / "reports", canary, labels)


def _show(console: Console, body: dict[str, Any]) -> None:
    for alert in body.get("alerts", []):
        labels = alert.get("labels", {})
        summary = alert.get("annotations", {}).get("summary", "")
        event = f" ({labels['event']})" if "event" in labels else ""  # promotions, retrains
        console.print(
            f"  [bold magenta]notification[/] {body.get('status', '?').upper()} "
            f"{labels.get('alertname')}{event} {labels.get('model')}/{labels.get('version')}: "
            f"{escape(summary)}"
        )


def _port_is_free(port: int) -> bool:
    import socket  # noqa: PLC0415

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _serve(console: Console, base_url: str, token: str) -> None:
    console.rule("The gateway stays up (Ctrl-C to stop)")
    console.print(f"Swagger:  {base_url}/docs")
    console.print(f"Metrics:  {base_url}/metrics")
    console.print(f"Dashboard: {base_url}/ui/")
    console.print(f"Admin token for PUT …/routing: {token}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("stopping")
