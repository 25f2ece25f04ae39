"""``monitml estimate REFERENCE ANALYSIS``: performance without labels, chunk by chunk."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from monitml.cli.common import fail, split_list, user_errors
from monitml.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from monitml.analysis import DriftReport
    from monitml.estimation import EstimationResult
    from monitml.estimation.columns import Columns

__all__ = ["multivariate_json", "print_multivariate", "register"]


def register(app: typer.Typer) -> None:
    app.command("estimate")(estimate)


def estimate(
    reference: Annotated[Path, typer.Argument(help="Labelled reference data (.csv or .parquet).")],
    analysis: Annotated[
        Path, typer.Argument(help="Data to estimate on (labels optional): .csv or .parquet.")
    ],
    task: Annotated[str, typer.Option(help="binary, multiclass or regression.")],
    target: Annotated[str, typer.Option(help="Target (label) column.")],
    prediction: Annotated[str, typer.Option(help="Prediction column (class or value).")],
    score: Annotated[str | None, typer.Option(help="Score of the positive class (binary).")] = None,
    scores: Annotated[
        str | None,
        typer.Option(
            help="Score columns, one per class: 'a,b,c' in the sorted order of the classes, "
            "or 'CLASS=COLUMN,...'."
        ),
    ] = None,
    chunk: Annotated[str, typer.Option(help="5000rows, or a period (1h, 1d, 1w).")] = "5000rows",
    timestamp: Annotated[
        str | None, typer.Option(help="Timestamp column (needed for period chunks).")
    ] = None,
    features: Annotated[
        str | None,
        typer.Option(help="Feature columns for DLE, comma-separated (default: all others)."),
    ] = None,
    ignore: Annotated[
        str | None, typer.Option(help="Columns DLE leaves out, comma-separated.")
    ] = None,
    sigmas: Annotated[
        float, typer.Option(help="Band and thresholds: ± this many standard errors.")
    ] = 3.0,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the result as JSON here.")
    ] = None,
    html_path: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML page here.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no table.")] = False,
) -> None:
    """Estimate performance on ANALYSIS from a model fitted on REFERENCE: CBPE for
    classifiers (calibrated scores), DLE for regressors (a model of the error).

    Exit status: 0; 2 on a usage or input error.
    """
    from monitml.estimation import TASKS  # noqa: PLC0415  # keep `--help` fast
    from monitml.estimation import estimate as run_estimate  # noqa: PLC0415

    if task not in TASKS:
        fail(f"--task must be one of {', '.join(TASKS)}, got '{task}'")
    if score and scores:
        fail("give --score or --scores, not both")
    if task != "regression" and not (score or scores):
        fail(f"--task {task}: CBPE needs the classifier's scores: give --score or --scores")
    # A classifier's estimate reads four columns, not every feature (DLE reads its features).
    needed = None
    if task != "regression":
        needed = {target, prediction, *([score] if score else []), *_score_names(scores)}
    elif features:  # DLE with named features reads only those (and what --ignore names)
        needed = {target, prediction, *split_list(features), *split_list(ignore)}
    if needed is not None:
        needed |= {timestamp} if timestamp else set()
    with user_errors():
        from monitml.estimation.chunking import parse_chunking  # noqa: PLC0415

        # Parquet columns without pandas: only for row chunks (period ones need pandas' times);
        # DLE's features may be text, CBPE's columns are numbers.
        arrow = parse_chunking(chunk).rows is not None
        text = task == "regression"
        ref_frame = _read(reference, "REFERENCE", needed, arrow=arrow, text=text)
        cur_frame = _read(analysis, "ANALYSIS", needed, arrow=arrow, text=text)
        for column, option in ((target, "--target"), (prediction, "--prediction")):
            if column not in ref_frame.columns:
                fail(f"{option}: no column '{column}' in the reference")
        if target not in ref_frame.columns or not _has_labels(ref_frame, target):
            fail(f"--target: the reference has no label in '{target}'")
        score_columns = _score_option(score, scores)
        columns = _features(ref_frame, features, ignore, {target, prediction, timestamp})
        for column in _named_columns(score_columns):
            if column not in ref_frame.columns:
                fail(f"--score: no column '{column}' in the reference")
        result = run_estimate(
            ref_frame,
            cur_frame,
            task=task,
            target=target,
            prediction=prediction,
            scores=score_columns,
            features=columns if task == "regression" else None,
            chunk=chunk,
            timestamp=timestamp,
            sigmas=sigmas,
        )
        if json_path is not None:
            _write(json_path, result.save_json)
        if html_path is not None:
            _write(html_path, result.save_html)
    if not quiet:
        _print_table(result)


def _read(
    path: Path,
    argument: str,
    columns: set[str] | None = None,
    *,
    arrow: bool = False,
    text: bool = False,
) -> pd.DataFrame | Columns:
    """The file as a frame; of a Parquet file only ``columns`` (those it has), when given.

    Not ``monitml.analysis.read_table``: importing the analysis package brings SciPy's
    statistics (~0.5 s), which an estimate does not need. Same files, same one-line errors.
    With ``arrow``, the Parquet columns (``columns``, or every column when ``text``) are read
    with pyarrow into numpy arrays (``Columns``) when all are numeric, or numeric and text with
    ``text``: without pandas (~0.35 s of CPU, a quarter of a DLE run).
    """
    if not path.exists():
        raise DataError(f"{argument}: file not found: {path}")
    if path.is_dir():
        raise DataError(f"{argument}: not a file: {path}")
    suffix = path.suffix.lower()
    try:
        if arrow and (columns or text) and suffix in {".parquet", ".pq"}:
            from monitml.estimation.columns import read_parquet_columns  # noqa: PLC0415

            table = read_parquet_columns(path, columns, text=text)
            if table is not None:
                return table
        import pandas as pd  # noqa: PLC0415

        if suffix in {".parquet", ".pq"}:
            if columns:
                import pyarrow.parquet as pq  # noqa: PLC0415

                present = [name for name in pq.read_schema(path).names if name in columns]
                return pd.read_parquet(path, columns=present)
            return pd.read_parquet(path)
        if suffix in {".csv", ".txt", ".gz", ".zip", ".bz2"}:
            return pd.read_csv(path)
    except Exception as exc:  # pandas and pyarrow raise many types for a bad file
        message = str(exc).strip()
        first_line = message.splitlines()[0] if message else type(exc).__name__
        raise DataError(f"{argument}: cannot read {path}: {first_line}") from exc
    raise DataError(
        f"{argument}: unsupported file type '{suffix or path.name}': use .csv or .parquet"
    )


def _has_labels(frame: pd.DataFrame | Columns, target: str) -> bool:
    import numpy as np  # noqa: PLC0415

    from monitml.estimation.columns import Columns  # noqa: PLC0415

    if isinstance(frame, Columns) and (labels := frame.text(target)) is not None:
        return bool((labels.codes >= 0).any())  # text: refused later as not numeric
    values = frame[target]
    if isinstance(values, np.ndarray):
        return bool(values.size) and not (values.dtype.kind == "f" and np.isnan(values).all())
    return bool(values.notna().any())


def _score_option(score: str | None, scores: str | None) -> str | list[str] | dict[str, str] | None:
    if score:
        return score.strip()
    items = split_list(scores)
    if not items:
        return None
    if all("=" in item for item in items):
        pairs = [item.partition("=") for item in items]
        if any(not name.strip() or not column.strip() for name, _, column in pairs):
            fail(f"--scores: expected CLASS=COLUMN[,CLASS=COLUMN], got '{scores}'")
        return {name.strip(): column.strip() for name, _, column in pairs}
    if any("=" in item for item in items):
        fail("--scores: name every class (CLASS=COLUMN) or none")
    return items


def _score_names(scores: str | None) -> list[str]:
    return [item.partition("=")[2] or item for item in split_list(scores)]


def _named_columns(option: str | list[str] | dict[str, str] | None) -> list[str]:
    if option is None:
        return []
    if isinstance(option, str):
        return [option]
    return list(option.values()) if isinstance(option, dict) else option


def _features(
    frame: pd.DataFrame | Columns, features: str | None, ignore: str | None, roles: set[str | None]
) -> list[str]:
    named, left_out = split_list(features), set(split_list(ignore))
    unknown = [c for c in [*named, *left_out] if c not in frame.columns]
    if unknown:
        fail(f"--features/--ignore: no column '{unknown[0]}' in the reference")
    chosen = named or [str(c) for c in frame.columns if str(c) not in roles]
    return [c for c in chosen if c not in left_out]


def _write(path: Path, save: Any) -> None:
    try:
        save(path)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.4g}"


def _print_table(result: EstimationResult) -> None:
    from rich.console import Console  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    names = result.metric_names
    table = Table(
        title=f"Estimated performance ({result.method}, {result.chunking} chunks)",
        title_justify="left",
    )
    table.add_column("chunk", justify="right")
    table.add_column("rows", justify="right", no_wrap=True)
    for name in names:
        table.add_column(name, justify="right", no_wrap=True)
    for chunk in result.chunks:
        cells = []
        for name in names:
            metric = chunk.metrics[name]
            text = _fmt(metric.estimated)
            if metric.realized is not None:
                text += f" ({_fmt(metric.realized)})"
            cells.append(f"[bold red]{text}[/]" if metric.alert else text)
        table.add_row(str(chunk.index), str(chunk.rows), *cells)
    console = Console()
    console.print(table)
    console.print(
        f"estimate (realised); red: outside the reference's ± {result.sigmas:g} standard errors; "
        f"{len(result.alerts)} alert(s)",
        highlight=False,
    )


def multivariate_json(
    reference: pd.DataFrame, current: pd.DataFrame, report: DriftReport
) -> tuple[str, dict[str, Any]]:
    """``monitml drift --multivariate``: the drift JSON with its ``multivariate`` section added.

    Both detectors run on the report's feature columns (roles and ``--ignore`` respected).
    """
    from monitml.estimation.multivariate import multivariate_drift  # noqa: PLC0415
    from monitml.report import to_json  # noqa: PLC0415

    columns = [column.name for column in report.feature_columns]
    results = multivariate_drift(reference, current, columns=columns)
    section = {name: result.to_dict() for name, result in results.items()}
    return to_json({**report.to_dict(), "multivariate": section}), section


def print_multivariate(section: dict[str, Any]) -> None:
    """One line per multivariate method under the drift table."""
    for name, entry in section.items():
        verdict = "DRIFT" if entry["drift_detected"] else "ok"
        typer.echo(
            f"multivariate {name}: {_fmt(entry['statistic'])} "
            f"(threshold {_fmt(entry['threshold'])}) {verdict}"
        )
