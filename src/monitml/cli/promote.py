"""``monitml promote status|start|pause|resume|abort --model M``: a model's progressive delivery.

The monitor holding the lease drives a promotion (``monitml.promotion.driver``); these commands
read or change its state in the store, and ``start``, ``pause``, ``resume`` and ``abort`` notify
through the configured alert channels as the driver does. Exit 0, or 2 on a user error.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitml.cli.common import ConfigOption, fail, user_errors

if TYPE_CHECKING:
    from monitml.config import Settings
    from monitml.promotion.delivery import Notifier
    from monitml.promotion.plan import Promotion
    from monitml.store import PredictionStore

__all__ = ["register"]

promote_app = typer.Typer(
    name="promote",
    help="Progressive delivery: the challenger's weight step by step, gated by model checks.",
    no_args_is_help=True,
)
_VERDICTS = {True: "[green]passed[/]", False: "[bold red]failed[/]", None: "not judged"}
ModelOption = Annotated[str, typer.Option("--model", "-m", help="The model being promoted.")]


def register(app: typer.Typer) -> None:
    app.add_typer(promote_app)


@contextmanager
def _opened(config: Path, model: str) -> Iterator[tuple[Settings, PredictionStore]]:
    from monitml.app.store import open_store  # noqa: PLC0415  # keep `--help` fast
    from monitml.config import load_settings  # noqa: PLC0415

    settings = load_settings(config)
    if model not in settings.models:
        fail(f"--model: unknown model '{model}'; configured: {', '.join(settings.models)}")
    store = open_store(settings)
    try:
        yield settings, store
    finally:
        store.dispose()


@contextmanager
def _notifier(settings: Settings) -> Iterator[Notifier]:
    """Send through the configured channels; delivered (or given up) before the command ends."""
    import os  # noqa: PLC0415

    from prometheus_client import CollectorRegistry  # noqa: PLC0415

    from monitml.alerts import Dispatcher, build_channels  # noqa: PLC0415

    channels = build_channels(settings.alerts.channels, dict(os.environ))
    dispatcher = Dispatcher(channels, registry=CollectorRegistry(), max_attempts=3).start()
    try:
        yield dispatcher.submit
    finally:
        dispatcher.close()


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _line(state: Promotion) -> str:
    steps = state.plan.steps
    where = f"step {state.step + 1}/{len(steps)}"
    text = (
        f"{state.model}: {state.challenger} against {state.champion}, {state.status} at {where} "
        f"(weight {state.weight:g}), {state.failed_checks}/{state.plan.max_failed_checks} "
        f"failed checks"
    )
    if state.active:
        text += f", step since {_when(state.step_started_at)}"
    return text


def _print(state: Promotion) -> None:
    from rich.console import Console  # noqa: PLC0415
    from rich.markup import escape  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    console = Console()
    console.print(escape(_line(state)), highlight=False)
    if state.last_checks:
        table = Table(title="Last checks", title_justify="left")
        table.add_column("check", no_wrap=True)
        table.add_column("verdict", no_wrap=True)
        table.add_column("detail")
        for check in state.last_checks:
            verdict = _VERDICTS[check.passed]
            table.add_row(check.name, verdict, escape(check.message))
        console.print(table)
    for entry in state.history[-10:]:
        reason = f": {entry['reason']}" if entry.get("reason") else ""
        console.print(
            escape(f"{_when(entry['at'])}  {entry['event']} at weight {entry['weight']:g}{reason}"),
            highlight=False,
        )


@promote_app.command("status")
def status(
    model: ModelOption,
    config: ConfigOption = Path("monitml.yaml"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the state document.")] = False,
) -> None:
    """Show the promotion of MODEL: step, weights, failed checks, the last checks, history."""
    from monitml.promotion.delivery import load  # noqa: PLC0415

    with user_errors(), _opened(config, model) as (_, store):
        state = load(store, model)
    if state is None:
        typer.echo(f"{model}: no promotion")
        return
    if as_json:
        typer.echo(json.dumps(state.to_dict(), indent=2))
        return
    _print(state)


@promote_app.command("start")
def start(
    model: ModelOption,
    challenger: Annotated[str, typer.Option(help="The version to promote.")],
    config: ConfigOption = Path("monitml.yaml"),
    champion: Annotated[
        str | None,
        typer.Option(help="The version it replaces (default: the highest routing weight)."),
    ] = None,
) -> None:
    """Start promoting CHALLENGER with the model's promotion plan (or the default plan)."""
    from monitml.app.promotion import plan_for  # noqa: PLC0415
    from monitml.promotion.delivery import start_promotion  # noqa: PLC0415

    with user_errors(), _opened(config, model) as (settings, store):
        configured = settings.models[model]
        known = set(configured.versions) | {v["version"] for v in store.list_versions(model)}
        if challenger not in known:
            fail(f"--challenger: unknown version '{challenger}'; known: {', '.join(sorted(known))}")
        saved = store.load_routing().get(model)
        weights = dict(saved.weights) if saved is not None else dict(configured.routing)
        chosen = champion or max(weights, key=lambda name: weights[name])
        if chosen not in known:
            fail(f"--champion: unknown version '{chosen}'; known: {', '.join(sorted(known))}")
        plan = plan_for(settings, model)
        with _notifier(settings) as notify:
            state = start_promotion(store, model, chosen, challenger, plan, notify=notify)
    typer.echo(_line(state))


def _change(
    config: Path, model: str, change: Callable[[PredictionStore, Notifier], Promotion]
) -> None:
    with user_errors(), _opened(config, model) as (settings, store), _notifier(settings) as notify:
        state = change(store, notify)
    typer.echo(_line(state))


@promote_app.command("pause")
def pause(model: ModelOption, config: ConfigOption = Path("monitml.yaml")) -> None:
    """Freeze the promotion of MODEL at its weight; its checks stop until resume."""
    from monitml.promotion.delivery import pause_promotion  # noqa: PLC0415

    _change(config, model, lambda store, notify: pause_promotion(store, model, notify=notify))


@promote_app.command("resume")
def resume(model: ModelOption, config: ConfigOption = Path("monitml.yaml")) -> None:
    """Go on with a paused promotion; the step's window starts again now."""
    from monitml.promotion.delivery import resume_promotion  # noqa: PLC0415

    _change(config, model, lambda store, notify: resume_promotion(store, model, notify=notify))


@promote_app.command("abort")
def abort(
    model: ModelOption,
    config: ConfigOption = Path("monitml.yaml"),
    reason: Annotated[str, typer.Option(help="Said in the notification.")] = "aborted by hand",
) -> None:
    """Roll back at once: the champion takes 100% of the traffic."""
    from monitml.promotion.delivery import abort_promotion  # noqa: PLC0415

    at = time.time()
    _change(
        config,
        model,
        lambda store, notify: abort_promotion(store, model, at, reason=reason, notify=notify),
    )
