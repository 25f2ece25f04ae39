"""Monitors sharing a store: only the lease holder runs passes; a standby takes over."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from monitml.monitor.runner import MonitorRunner
from monitml.store import PredictionStore
from monitml.store.lease import RowLease


def _runner(
    store: PredictionStore, passes: list[str], name: str, takeovers: list[str]
) -> MonitorRunner:
    return MonitorRunner(
        store,
        {},
        versions={},
        sink=lambda _samples, _now: passes.append(name),
        lease=RowLease(store.engine, "monitor", ttl=0.3, holder=name),
        on_takeover=lambda: takeovers.append(name),
    )


def _wait(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def test_the_standby_runs_no_pass_until_the_active_monitor_stops_then_takes_over(
    tmp_path: Path,
) -> None:
    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    passes: list[str] = []
    takeovers: list[str] = []
    first, second = (_runner(store, passes, n, takeovers) for n in ("first", "second"))
    stop_first, stop_second = threading.Event(), threading.Event()
    threads = [
        threading.Thread(target=first.run_forever, args=(0.05, stop_first)),
        threading.Thread(target=second.run_forever, args=(0.05, stop_second)),
    ]
    threads[0].start()
    _wait(lambda: "first" in passes, "the first monitor never ran")
    threads[1].start()
    time.sleep(0.5)
    assert "second" not in passes
    assert (first.active, second.active) == (True, False)

    stop_first.set()
    threads[0].join(5)
    _wait(lambda: "second" in passes, "the standby never took over")
    stop_second.set()
    threads[1].join(5)
    store.dispose()

    assert takeovers == ["first", "second"]
    last_of_first = max(i for i, name in enumerate(passes) if name == "first")
    assert passes.index("second") > last_of_first  # never both at once
