"""``monitml monitor``, ``monitml check`` and ``monitml reference set``."""

from __future__ import annotations

import signal
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from monitml.cli.common import ConfigOption, bind_socket, fail, parse_time, user_errors

__all__ = ["register"]

ALERT_EXIT = 1
# ``check --estimate``'s default: monitml.monitor.summarised.ESTIMATE (not imported here, as
# the CLI starts without pandas; a test holds them equal).
ESTIMATE_DEFAULT = False


def register(app: typer.Typer) -> None:
    app.command("monitor")(monitor)
    app.command("check")(check)
    reference = typer.Typer(help="Reference data of a model.", no_args_is_help=True)
    reference.command("set")(reference_set)
    app.add_typer(reference, name="reference")


def monitor(
    config: ConfigOption = Path("monitml.yaml"),
    once: Annotated[bool, typer.Option("--once", help="Run one pass, print it, exit.")] = False,
    port: Annotated[
        int | None, typer.Option(help="Port of /metrics and the /ui dashboard [monitor.port].")
    ] = None,
) -> None:
    """Every monitor.interval: drift, quality, prediction statistics and performance per
    model version over its window; gauges on /metrics, results stored, alert rules evaluated;
    the dashboard on /ui."""
    from monitml.app.monitoring import build_monitor  # noqa: PLC0415
    from monitml.config import load_settings  # noqa: PLC0415

    with user_errors():
        settings = load_settings(config)
        built = build_monitor(settings)
    try:
        if once:
            with user_errors():
                results = built.runner.run_once()
            for result in results:
                _print_result(result)
            return
        bind_port = settings.monitor.port if port is None else port
        key = "--port" if port is not None else "monitor.port"
        server = _start_server(settings, built, bind_socket(settings.monitor.host, bind_port, key))
        url = f"http://{settings.monitor.host}:{bind_port}"
        typer.echo(
            f"monitor: {len(built.runner.monitors)} model(s), every "
            f"{settings.monitor.interval:g}s, metrics on {url}/metrics, dashboard on {url}/ui"
        )
        stop = threading.Event()
        for received in (signal.SIGINT, signal.SIGTERM):
            signal.signal(received, lambda *_: stop.set())
        try:
            built.runner.run_forever(settings.monitor.interval, stop)
        finally:
            server.stop()
    finally:
        built.close()


class _Server:
    """uvicorn serving ``/metrics`` and ``/ui`` from a thread, on a socket already bound."""

    def __init__(self, app: Any, sock: socket.socket) -> None:
        import uvicorn  # noqa: PLC0415

        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.sock = sock
        # uvicorn installs no signal handlers outside the main thread: ours stay in charge.
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, name="monitml-http", daemon=True
        )

    def start(self) -> _Server:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


def _start_server(settings: Any, built: Any, sock: socket.socket) -> _Server:
    from monitml.app.dashboard import monitor_dashboard  # noqa: PLC0415
    from monitml.dashboard import monitor_server_app  # noqa: PLC0415

    app = monitor_server_app(built.registry, monitor_dashboard(settings, built.store))
    return _Server(app, sock).start()


def _print_result(result: Any) -> None:
    stats = result.prediction
    mean = f"{stats['mean']:.4g}" if "mean" in stats else "—"
    if result.report is None:
        drift = f"insufficient data ({result.rows} < {result.min_rows} rows)"
    else:
        report = result.report
        drift = f"{report.drifted_columns}/{report.total_columns} features drifted" + (
            " — DATASET DRIFT" if report.dataset_drift else ""
        )
    typer.echo(
        f"{result.model}/{result.version}: {result.rows} rows, prediction mean {mean}, {drift}"
    )


def check(
    model: Annotated[str, typer.Option("--model", "-m", help="The model to check.")],
    start: Annotated[str, typer.Option("--from", help="Start (ISO date/time, UTC).")],
    end: Annotated[str, typer.Option("--to", help="End, exclusive (ISO date/time, UTC).")],
    config: ConfigOption = Path("monitml.yaml"),
    chunk: Annotated[str, typer.Option(help="1d, 1h, 15m or 10000rows.")] = "1d",
    version: Annotated[
        str | None, typer.Option(help="Only this version (default: each one on its own).")
    ] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write the chunks here.")] = None,
    fail_on_alert: Annotated[
        bool, typer.Option("--fail-on-alert", help="Exit 1 when any chunk raises an alert.")
    ] = False,
    source: Annotated[
        str, typer.Option(help="store, or parquet:PATH (a partitioned log, as log export writes).")
    ] = "store",
    engine_name: Annotated[
        str,
        typer.Option(
            "--engine", help="local, dask or spark: where a parquet source's files are summarised."
        ),
    ] = "local",
    workers: Annotated[
        int, typer.Option(help="Worker processes of a dask or spark engine started here.")
    ] = 2,
    master: Annotated[
        str | None,
        typer.Option(help="A running Dask scheduler or Spark master to use instead."),
    ] = None,
    estimate: Annotated[
        bool,
        typer.Option(
            "--estimate/--no-estimate",
            help="With --source parquet (chunks of a period): also estimate each chunk's "
            "performance without labels (CBPE, DLE; not ROC AUC), the workers running the "
            "estimator on every row. Off by default: DLE's models took summarising 1M rows x "
            "20 features from ~2 s to ~5.5 s of a core (docs/scale.md). Checks of the store "
            "or of N-row chunks always estimate.",
        ),
    ] = ESTIMATE_DEFAULT,
) -> None:
    """Batch monitoring: the monitor's signals per chunk of the stored logs, labels joined.

    Each version gets its own chunks (only --version's when given). A chunk raises an alert
    when a configured rule's condition holds on it, or when its dataset drifted. Exit
    status: 0; 1 with --fail-on-alert on any alert; 2 on a user error.
    """
    from monitml.alerts import AlertEngine  # noqa: PLC0415
    from monitml.app.monitoring import build_model_monitor, policy_from  # noqa: PLC0415
    from monitml.app.store import open_store  # noqa: PLC0415
    from monitml.config import load_settings  # noqa: PLC0415
    from monitml.monitor.chunks import parse_chunk  # noqa: PLC0415
    from monitml.report import to_json  # noqa: PLC0415

    begin, finish = parse_time(start, "--from"), parse_time(end, "--to")
    if finish <= begin:
        fail("--to must be after --from")
    with user_errors():
        spec = parse_chunk(chunk)
        settings = load_settings(config)
        if model not in settings.models:
            fail(f"--model: unknown model '{model}'; configured: {', '.join(settings.models)}")
        store = open_store(settings)
        try:
            monitor_ = build_model_monitor(
                model, settings.models[model], store, policy_from(settings)
            )
            rules = [r for r in settings.alerts.rules if r.model in (None, model)]
            engine = AlertEngine(rules) if rules else None
            result = _run_check(
                source,
                (engine_name, workers, master),
                store,
                monitor_,
                start=begin,
                end=finish,
                chunk=spec,
                version=version,
                judge=engine.holds if engine is not None else None,
                estimate=estimate,
            )
        finally:
            store.dispose()
    payload = result.to_dict()
    if json_path is not None:
        try:
            json_path.write_text(to_json(payload), encoding="utf-8")
        except OSError as error:
            fail(f"cannot write {json_path}: {error.strerror or error}")
    for index, window in enumerate(result.results):
        alerts = result.alerts_of(index)
        label = datetime.fromtimestamp(window.window_start or 0, UTC).strftime("%Y-%m-%d %H:%M")
        suffix = f"  ALERT: {', '.join(alerts)}" if alerts else ""
        typer.echo(f"{label}  ", nl=False)
        _print_result(window)
        if suffix:
            typer.echo(suffix)
            if window.explanation is not None:  # why this chunk alerted (monitml.explain)
                typer.echo(f"  why: {window.explanation.summary}")
    versions = ", ".join(result.versions) or "none"
    typer.echo(
        f"{len(result.results)} chunk(s) of version(s) {versions}, {len(result.alerts)} alert(s)"
    )
    if fail_on_alert and result.alerts:
        raise typer.Exit(ALERT_EXIT)


def _run_check(
    source: str,
    engine: tuple[str, int, str | None],
    store: Any,
    monitor_: Any,
    *,
    version: str | None,
    estimate: bool,
    **check: Any,
) -> Any:
    """The check from the store (its rows, in this process), or from a ``parquet:PATH`` log:
    each file summarised on the engine and the summaries merged here (a chunk of N rows needs
    the rows: then they are read and scored here, with the local engine only)."""
    from monitml.monitor.batch import run_check  # noqa: PLC0415

    name, workers, master = engine
    if source == "store":
        if name != "local":
            fail(f"--engine {name} needs a partitioned log: add --source parquet:PATH")
        return run_check(store, monitor_, version=version, **check)
    kind, _, folder = source.partition(":")
    if kind != "parquet" or not folder:
        fail(f"--source: expected store or parquet:PATH, got '{source}'")
    from monitml.store.partitions import log_fragments, read_log  # noqa: PLC0415

    start, end = check["start"], check["end"]
    if check["chunk"].rows is not None and name == "local":
        frame = read_log(Path(folder), monitor_.model, version, start=start, end=end)
        return run_check(store, monitor_, version=version, frame=frame, **check)
    from monitml.engines import get_engine  # noqa: PLC0415
    from monitml.monitor.summarised import run_summary_check  # noqa: PLC0415

    fragments = log_fragments(Path(folder), monitor_.model, version, start=start, end=end)
    summarise = get_engine(name, workers=workers, master=master)
    try:
        return run_summary_check(
            store, monitor_, fragments, summarise, version=version, estimate=estimate, **check
        )
    finally:
        summarise.close()


def reference_set(
    model: Annotated[str, typer.Argument(help="The model.")],
    file: Annotated[Path, typer.Argument(help="Reference data (.parquet or .csv).")],
    config: ConfigOption = Path("monitml.yaml"),
) -> None:
    """Store FILE as MODEL's reference data (used instead of the config's path)."""
    from monitml.app.monitoring import save_reference  # noqa: PLC0415
    from monitml.config import load_settings  # noqa: PLC0415

    with user_errors():
        if not file.exists():
            fail(f"file not found: {file}")
        rows = save_reference(load_settings(config), model, file)
    typer.echo(f"reference of {model}: {rows} rows stored")
