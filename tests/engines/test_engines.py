"""Every engine gives the local engine's verdicts on the same partitioned log."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner, Result

from monitml import numpy_dispatch
from monitml.cli.main import app
from monitml.engines import Engine, get_engine
from monitml.errors import ConfigError
from monitml.monitor.batch import BatchCheck, run_check
from monitml.monitor.chunks import parse_chunk
from monitml.monitor.summarised import ESTIMATE, run_summary_check
from monitml.store import PredictionStore
from monitml.store.export import export_log
from monitml.store.partitions import log_fragments

from .conftest import DAY, DAYS, PER_DAY, START, PartitionedLog

if TYPE_CHECKING:
    from conftest import PeriodConfig


def _check(
    log: PartitionedLog, engine: Engine, chunk: str = "1d", *, estimate: bool = ESTIMATE
) -> BatchCheck:
    end = START + DAYS * DAY
    fragments = log_fragments(log.root, "m", start=START, end=end)
    return run_summary_check(
        log.store, log.monitor, fragments, engine,
        start=START, end=end, chunk=parse_chunk(chunk), save=False, estimate=estimate,
    )  # fmt: skip


def _verdicts(check: BatchCheck) -> list[tuple[Any, ...]]:
    """Per chunk: version, start, rows, labelled rows, dataset drift, each column's verdict."""
    found = []
    for result in check.results:
        report = result.report
        columns = {} if report is None else {
            name: (column.result.method, column.result.drift_detected)
            for name, column in report.columns.items()
        }  # fmt: skip
        drift = None if report is None else report.dataset_drift
        found.append(
            (result.version, result.window_start, result.rows, result.labelled_rows, drift, columns)
        )
    return found


def _statistics(check: BatchCheck) -> list[float]:
    return [
        column.result.statistic
        for result in check.results
        if result.report is not None
        for column in result.report.columns.values()
        if column.result.statistic is not None
    ]


@pytest.fixture(scope="module")
def local_check(partitioned_log: PartitionedLog) -> BatchCheck:
    return _check(partitioned_log, get_engine("local"))


def test_the_local_engine_finds_the_drifted_chunks_and_only_those(local_check: BatchCheck) -> None:
    drifted = [
        (r.version, r.window_start)
        for r in local_check.results
        if r.report and r.report.dataset_drift
    ]
    assert drifted == [("v1", START + 2 * DAY), ("v2", START + DAY)]
    assert [r.rows for r in local_check.results] == [PER_DAY["v1"]] * DAYS + [PER_DAY["v2"]] * DAYS


def test_the_local_engine_gives_the_verdicts_of_the_rows_themselves(
    partitioned_log: PartitionedLog, local_check: BatchCheck
) -> None:
    exact = run_check(
        partitioned_log.store, partitioned_log.monitor, start=START, end=START + DAYS * DAY,
        chunk=parse_chunk("1d"), save=False,
    )  # fmt: skip
    assert _verdicts(local_check) == _verdicts(exact)
    assert _statistics(local_check) == pytest.approx(_statistics(exact), rel=0.02, abs=0.002)


@pytest.mark.parametrize("name", ["dask", "spark"])
def test_a_distributed_engine_gives_the_local_engines_verdicts(
    name: str,
    request: pytest.FixtureRequest,
    partitioned_log: PartitionedLog,
    local_check: BatchCheck,
) -> None:
    engine: Engine = request.getfixturevalue(f"{name}_engine")
    check = _check(partitioned_log, engine)
    assert _verdicts(check) == _verdicts(local_check)
    assert _statistics(check) == pytest.approx(_statistics(local_check), rel=0.02, abs=0.002)


def _numpy_choice_batches(batches: Any) -> Any:
    """What a Spark worker's numpy was told of its kernels (monitml.numpy_dispatch)."""
    import os  # noqa: PLC0415 (in the worker)

    import pyarrow as pa  # noqa: PLC0415

    choice = os.environ.get("NPY_DISABLE_CPU_FEATURES", "")
    for batch in batches:
        yield pa.RecordBatch.from_pydict({"choice": [choice] * batch.num_rows})


# PySpark 4 warns on pandas 3 for its pandas APIs; mapInArrow does not use pandas.
@pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning")
@pytest.mark.parametrize("name", ["dask", "spark"])
def test_the_workers_numpy_gets_the_sort_friendly_kernels_of_this_machine(
    name: str, request: pytest.FixtureRequest
) -> None:
    """On Zen 4 every worker the engine started sorts on AVX2 (elsewhere nothing is set)."""
    assert "NPY_DISABLE_CPU_FEATURES" not in os.environ  # the workers' own, not inherited
    expected = numpy_dispatch.sort_environment().get("NPY_DISABLE_CPU_FEATURES")
    engine: Any = request.getfixturevalue(f"{name}_engine")
    if name == "dask":
        seen = set(engine.client.run(os.getenv, "NPY_DISABLE_CPU_FEATURES").values())
    else:
        from pyspark import cloudpickle  # noqa: PLC0415

        # This test module is not importable in Spark's workers: its functions travel whole.
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
        frame = engine.session.range(0, engine.cores, numPartitions=engine.cores)
        rows = frame.mapInArrow(_numpy_choice_batches, "choice string").collect()
        seen = {row["choice"] or None for row in rows}
    assert seen == {expected}


def test_dask_workers_keep_glibcs_adaptive_malloc_and_dasks_config_is_untouched(
    dask_engine: Engine,
) -> None:
    """Dask's MALLOC_TRIM_THRESHOLD_=65536 had every buffer of a file mapped and unmapped
    again (engines.dask_engine): the engine's own workers do without it."""
    import dask.config  # noqa: PLC0415

    client: Any = getattr(dask_engine, "client")  # noqa: B009 (the Dask engine's own)
    assert set(client.run(os.getenv, "MALLOC_TRIM_THRESHOLD_").values()) == {None}
    assert set(client.run(os.getenv, "OPENBLAS_NUM_THREADS").values()) == {"1"}  # Dask's rest
    assert dask.config.get("distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_") == 65536


def test_a_malloc_trim_threshold_the_user_exports_reaches_the_dask_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "1048576")
    engine: Any = get_engine("dask", workers=1)
    try:
        assert set(engine.client.run(os.getenv, "MALLOC_TRIM_THRESHOLD_").values()) == {"1048576"}
    finally:
        engine.close()


def test_dask_workers_estimate_each_chunks_performance_as_the_rows_themselves_do(
    partitioned_log: PartitionedLog, dask_engine: Engine
) -> None:
    check = _check(partitioned_log, dask_engine, estimate=True)  # DLE's models on the workers
    exact = run_check(
        partitioned_log.store, partitioned_log.monitor, start=START, end=START + DAYS * DAY,
        chunk=parse_chunk("1d"), save=False,
    )  # fmt: skip
    assert len(check.results) == len(exact.results) == 2 * DAYS
    for mine, theirs in zip(check.results, exact.results, strict=True):
        assert set(mine.estimated) == {"mae", "rmse"}
        assert mine.estimated == pytest.approx(theirs.estimated, rel=1e-9)
        assert set(mine.estimated_bands) == set(theirs.estimated_bands) == {"mae", "rmse"}
        for name, band in theirs.estimated_bands.items():
            assert mine.estimated_bands[name] == pytest.approx(band, rel=1e-9), name


def test_six_hour_chunks_split_a_days_file_alike_on_every_engine(
    partitioned_log: PartitionedLog, dask_engine: Engine
) -> None:
    local = _check(partitioned_log, get_engine("local"), chunk="6h")
    distributed = _check(partitioned_log, dask_engine, chunk="6h")
    assert len(local.results) == 2 * DAYS * 4
    assert _verdicts(distributed) == _verdicts(local)


@pytest.mark.parametrize(
    ("name", "package", "extra"), [("dask", "distributed", "dask"), ("spark", "pyspark", "spark")]
)
def test_an_engine_that_is_not_installed_names_the_extra_to_install(
    name: str, package: str, extra: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, package, None)  # import now raises ImportError
    with pytest.raises(ConfigError, match=rf"pip install 'monitml\[{extra}\]'"):
        get_engine(name)


def _cli_check(config: Path, log: Path, *extra: str) -> Result:
    return CliRunner().invoke(app, [
        "check", "--config", str(config), "--model", "m", "--from", "2026-03-01",
        "--to", "2026-03-05", "--source", f"parquet:{log}", *extra,
    ])  # fmt: skip


@pytest.fixture(scope="module")
def period_log(period_config: PeriodConfig, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("period-log")
    store = PredictionStore.from_url(f"sqlite:///{period_config.path.parent / 'store.db'}")
    try:
        export_log(store, root)
    finally:
        store.dispose()
    return root


def test_check_engine_dask_prints_the_local_engines_chunks(
    period_config: PeriodConfig, period_log: Path
) -> None:
    local = _cli_check(period_config.path, period_log, "--engine", "local")
    distributed = _cli_check(period_config.path, period_log, "--engine", "dask", "--workers", "2")
    assert distributed.exit_code == 0, distributed.output
    assert distributed.stdout == local.stdout
    assert distributed.stdout.strip().endswith("8 chunk(s) of version(s) v1, v2, 1 alert(s)")


def test_a_missing_engine_is_one_line_and_exit_2_on_the_command_line(
    monkeypatch: pytest.MonkeyPatch, period_config: PeriodConfig, period_log: Path
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    result = _cli_check(period_config.path, period_log, "--engine", "spark")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: --engine spark: pyspark is not installed")
    assert result.stderr.rstrip().endswith("install the extra: pip install 'monitml[spark]'")


def test_an_engine_other_than_local_needs_a_partitioned_log(period_config: PeriodConfig) -> None:
    result = CliRunner().invoke(app, [
        "check", "--config", str(period_config.path), "--model", "m", "--from", "2026-03-01",
        "--to", "2026-03-05", "--engine", "dask",
    ])  # fmt: skip
    assert result.exit_code == 2
    assert (
        result.stderr == "error: --engine dask needs a partitioned log: add --source parquet:PATH\n"
    )
