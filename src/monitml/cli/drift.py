"""``monitml drift REFERENCE CURRENT``: compare two data files."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from monitml.cli.common import fail, split_list, user_errors
from monitml.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from monitml.analysis import DriftReport
    from monitml.analysis.tables import ColumnTable

__all__ = ["register"]

DRIFT_EXIT = 1


def register(app: typer.Typer) -> None:
    app.command("drift")(drift)


def drift(
    reference: Annotated[Path, typer.Argument(help="Reference data (.csv or .parquet).")],
    current: Annotated[Path, typer.Argument(help="Current data (.csv or .parquet).")],
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the result as JSON here.")
    ] = None,
    html_path: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    numerical: Annotated[
        str | None, typer.Option(help="Columns to treat as numerical, comma-separated.")
    ] = None,
    categorical: Annotated[
        str | None, typer.Option(help="Columns to treat as categorical, comma-separated.")
    ] = None,
    ignore: Annotated[
        str | None, typer.Option(help="Columns to leave out, comma-separated.")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="Drift method for every column it fits (e.g. 'psi'), or per column "
            "('arr_delay=wasserstein,carrier=chisquare'). Default: 'auto'."
        ),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Threshold of the chosen method (α for tests).")
    ] = None,
    share_threshold: Annotated[
        float, typer.Option(help="Dataset drift when this share of features drifts.")
    ] = 0.5,
    target: Annotated[str | None, typer.Option(help="Target (label) column.")] = None,
    prediction: Annotated[str | None, typer.Option(help="Prediction column.")] = None,
    id_column: Annotated[
        str | None, typer.Option("--id", help="Id column (never compared).")
    ] = None,
    timestamp: Annotated[
        str | None, typer.Option(help="Timestamp column (never compared).")
    ] = None,
    max_categorical_integers: Annotated[
        int, typer.Option(help="Integer columns with at most this many values are categorical.")
    ] = 5,
    fail_on_drift: Annotated[
        bool, typer.Option("--fail-on-drift", help="Exit 1 when the dataset drifted.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print no table.")] = False,
    multivariate: Annotated[
        bool, typer.Option("--multivariate", help="Add PCA and domain-classifier drift.")
    ] = False,
) -> None:
    """Compare CURRENT with REFERENCE: drift per column, data quality, performance.

    Exit status: 0, or 1 with --fail-on-drift when the dataset drifted; 2 on a usage or
    input error.
    """
    _lighten_process(multivariate)
    from monitml.analysis import compare_tables  # noqa: PLC0415  # keep `--help` fast
    from monitml.analysis.tables import FrameTable  # noqa: PLC0415
    from monitml.schema import ColumnMapping  # noqa: PLC0415

    global_method, column_methods = _parse_methods(method)
    with user_errors():
        # The multivariate methods need both frames whole; otherwise Parquet is read a column
        # at a time without pandas (monitml.analysis.parquet).
        ref_table = (
            FrameTable(_read(reference, "REFERENCE"))
            if multivariate
            else _open(reference, "REFERENCE")
        )
        cur_table = (
            FrameTable(_read(current, "CURRENT")) if multivariate else _open(current, "CURRENT")
        )
        mapping = ColumnMapping(
            numerical=split_list(numerical),
            categorical=split_list(categorical),
            ignore=split_list(ignore),
            target=target,
            prediction=prediction,
            id=id_column,
            timestamp=timestamp,
            max_categorical_integers=max_categorical_integers,
        )
        report = compare_tables(
            ref_table,
            cur_table,
            mapping=mapping,
            method=global_method,
            column_methods=column_methods,
            threshold=threshold,
            share_threshold=share_threshold,
            sources={"reference": {"source": str(reference)}, "current": {"source": str(current)}},
        )
        document, section = report.to_json(), None
        if isinstance(ref_table, FrameTable) and isinstance(cur_table, FrameTable) and multivariate:
            from monitml.cli.estimate import multivariate_json  # noqa: PLC0415

            document, section = multivariate_json(ref_table.frame_, cur_table.frame_, report)
        if json_path is not None:
            _write(json_path, document)
        if html_path is not None:
            _write(html_path, None, report=report)
    if not quiet:
        _print_table(report)
        if section is not None:
            from monitml.cli.estimate import print_multivariate  # noqa: PLC0415

            print_multivariate(section)
    if fail_on_drift and report.dataset_drift:
        raise typer.Exit(DRIFT_EXIT)


def _lighten_process(multivariate: bool) -> None:
    """Settings that numpy and pyarrow read when first imported, so set before that.

    A user's own setting wins. Columns are read, compared and dropped one by one: the C
    allocator hands a dropped column back at once, where Arrow's default (mimalloc) keeps its
    arenas (10-15 MB more at the peak on NYC flights). The drift methods do no linear algebra
    (element-wise sums, not ``np.dot``): OpenBLAS starting a thread per core costs 40-50 ms of a
    0.5 s run; the multivariate methods (scikit-learn) keep it.
    """
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    if not multivariate:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _open(path: Path, argument: str) -> ColumnTable:
    """A Parquet file's columns, read when compared; any other file read whole by pandas."""
    from monitml.analysis.parquet import ParquetTable  # noqa: PLC0415
    from monitml.analysis.tables import FrameTable  # noqa: PLC0415

    table = ParquetTable.open(path)
    return table if table is not None else FrameTable(_read(path, argument))


def _read(path: Path, argument: str) -> pd.DataFrame:
    from monitml.analysis import read_table  # noqa: PLC0415

    try:
        return read_table(path)
    except DataError as error:
        raise DataError(f"{argument}: {error}") from error


def _parse_methods(option: str | None) -> tuple[str | None, dict[str, str]]:
    if not option:
        return None, {}
    items = split_list(option)
    if all("=" not in item for item in items) and len(items) == 1:
        return items[0], {}
    per_column: dict[str, str] = {}
    for item in items:
        column, sep, key = item.partition("=")
        if not sep or not column.strip() or not key.strip():
            fail(f"--method: expected NAME or COLUMN=NAME[,COLUMN=NAME], got '{item}'")
        per_column[column.strip()] = key.strip()
    return None, per_column


def _write(path: Path, text: str | None, *, report: DriftReport | None = None) -> None:
    try:
        if report is not None:
            report.save_html(path)
        elif text is not None:
            path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, float) and value != 0 and abs(value) < 10 ** (-digits):
        return f"{value:.1e}"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _print_table(report: DriftReport) -> None:
    from rich.console import Console  # noqa: PLC0415
    from rich.markup import escape  # noqa: PLC0415
    from rich.table import Table  # noqa: PLC0415

    table = Table(title="Drift by column", title_justify="left")
    table.add_column("column", no_wrap=True)
    table.add_column("kind", no_wrap=True)
    table.add_column("method", no_wrap=True)
    for header in ("statistic", "p-value", "effect"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("drift")
    for row in report.rows():
        name = escape(str(row["column"]))
        if row["role"] != "feature":
            name += f" [dim]({row['role']})[/]"
        verdict = "[bold red]DRIFT[/]" if row["drift_detected"] else "[green]ok[/]"
        if row.get("reason"):
            verdict += f" ({escape(str(row['reason']))})"
        table.add_row(
            name,
            "num" if row["kind"] == "numerical" else "cat",
            str(row["method"]),
            _fmt(row["statistic"]),
            _fmt(row["p_value"]),
            _fmt(row["effect_size"]),
            verdict,
        )
    console = Console()
    console.print(table)
    verdict = "[bold red]DATASET DRIFT[/]" if report.dataset_drift else "[green]no dataset drift[/]"
    console.print(
        f"{verdict}: {report.drifted_columns} of {report.total_columns} features drifted "
        f"(share {report.drift_share:.3f}, threshold {report.share_threshold})"
    )
    issues = report.quality.get("issues", [])
    for issue in issues[:10]:
        console.print(f"[yellow]quality[/]: {escape(issue)}", highlight=False)
    if len(issues) > 10:
        console.print(f"[yellow]quality[/]: … and {len(issues) - 10} more in the JSON/HTML report")
