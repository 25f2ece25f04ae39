"""The demo's reports, written from what the stories stored."""

from __future__ import annotations

from pathlib import Path

from monitml.app.monitoring import build_model_monitor, policy_from
from monitml.app.reporting import write_period_report
from monitml.app.store import open_store
from monitml.config import Settings
from monitml.demo import flights, housing
from monitml.monitor.batch import run_check
from monitml.monitor.chunks import ChunkSpec

__all__ = ["write_reports"]


def write_reports(
    settings: Settings,
    folder: Path,
    canary: housing.CanaryStory,
    labels: flights.LabelsStory,
) -> list[Path]:
    """A drift report per house-price version over the whole replay; the flights' year."""
    folder.mkdir(parents=True, exist_ok=True)
    store = open_store(settings)
    written: list[Path] = []
    try:
        monitor = build_model_monitor(
            housing.MODEL, settings.models[housing.MODEL], store, policy_from(settings)
        )
        whole_period = ChunkSpec(rows=10**12)  # one chunk: every sale of the replay
        for version in settings.models[housing.MODEL].versions:
            whole = run_check(
                store, monitor, start=canary.start, end=canary.end,
                chunk=whole_period, version=version, save=False,
            )  # fmt: skip
            (result,) = whole.results
            if result.report is not None:
                path = folder / f"{housing.MODEL}-{version}.html"
                result.report.save_html(
                    path, title=f"{housing.MODEL} {version}: sales of 2008–2010 vs 2006–2007"
                )
                written.append(path)
    finally:
        store.dispose()
    # The delayed-labels year in one report over time: a chunk per month, labels joined.
    written.append(
        write_period_report(
            settings,
            flights.MODEL,
            start=labels.start,
            end=labels.end,
            chunk=flights.MONTH.describe(),
            out=folder / f"{flights.MODEL}-2013.html",
        )
    )
    return written
