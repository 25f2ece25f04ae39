"""The issue's fault test: cut the connection to the real PostgreSQL for 30 s under load, then
count every answered prediction in the store.

The cut is real but local: the writer talks to PostgreSQL through a small TCP proxy on a free
loopback port, and severing the proxy closes every open connection and refuses new ones, exactly
what a network partition or a restarting server looks like to the client. The shared server
itself is never stopped. ``MONITML_TEST_CUT_SECONDS`` shortens the cut for a quick local run.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from monitml.store import LogWriter, PredictionRecord, PredictionStore
from monitml.store.tables import predictions

CUT_SECONDS = float(os.environ.get("MONITML_TEST_CUT_SECONDS", "30"))
LOAD_PER_SECOND = 2_000


class SeverableProxy:
    """Forward a loopback port to ``target``; :meth:`sever` cuts it, :meth:`restore` mends it."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.05)  # so the accept loop notices a sever quickly
        self._listener = listener
        self._accepting = threading.Thread(target=self._accept, args=(listener,), daemon=True)
        self._accepting.start()

    def sever(self) -> None:
        """Close the listening socket (new connections are refused) and every open connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if self._accepting is not None:
            self._accepting.join()
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while self._listener is listener:
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(postgres_url: str) -> Iterator[SeverableProxy]:
    url = sa.make_url(postgres_url)
    running = SeverableProxy((url.host or "127.0.0.1", url.port or 5432))
    running.restore()
    yield running
    running.sever()


def load(writer: LogWriter, seconds: float, start_index: int, latencies: list[float]) -> list[str]:
    """Submit ``LOAD_PER_SECOND`` records a second for ``seconds``, as a busy gateway would."""
    ids: list[str] = []
    started = time.monotonic()
    index = start_index
    while (elapsed := time.monotonic() - started) < seconds:
        due = int(elapsed * LOAD_PER_SECOND) + start_index
        while index < due:
            record = PredictionRecord(
                request_id=f"q{index}",
                record_id=f"r{index}",
                model="churn",
                version="v1",
                timestamp=time.time(),
                features={f"f{j}": index * 0.5 + j for j in range(14)},
                prediction=index % 2,
                latency_seconds=0.002,
            )
            before = time.perf_counter()
            writer.submit(record)
            latencies.append(time.perf_counter() - before)
            ids.append(record.record_id)
            index += 1
        time.sleep(0.005)
    return ids


@pytest.mark.postgres
@pytest.mark.timeout(120)
def test_cutting_postgres_for_30_s_under_load_loses_and_doubles_nothing(
    postgres_url: str, proxy: SeverableProxy, tmp_path: Path
) -> None:
    direct = PredictionStore.from_url(postgres_url)
    through_proxy = PredictionStore.from_url(
        sa.make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False),
        migrate=False,
    )
    writer = LogWriter(through_proxy, spill_path=tmp_path / "spill.jsonl", batch_size=500).start()
    latencies: list[float] = []

    answered = load(writer, 3.0, 0, latencies)
    proxy.sever()
    answered += load(writer, CUT_SECONDS, len(answered), latencies)
    spilled_during_cut = writer.spilled_total
    proxy.restore()
    answered += load(writer, 5.0, len(answered), latencies)
    assert writer.close(timeout=30)

    with direct.engine.connect() as connection:
        stored = connection.execute(sa.select(predictions.c.record_id)).scalars().all()
    through_proxy.dispose()
    direct.dispose()
    assert spilled_during_cut > 0, "the cut did not reach the writer"
    assert writer.dropped_total == 0
    assert len(stored) == len(answered), f"{len(stored)} stored for {len(answered)} answered"
    assert set(stored) == set(answered)
    assert max(latencies) < 0.1, f"submit blocked for {max(latencies):.3f} s"
