"""``monitml demo`` exactly as a newcomer types it: from an empty folder, ``--out`` relative.

One run (with ``--serve``, so the gateway it leaves up is checked too) backs every claim here:
the canary's alert goes pending → firing → resolved for v2 alone after v2 is routed out, the
delayed labels are all joined a month late, the retrain rule's challenger is registered and
promoted to 100% while an always-100 one is rolled back (tests/promotion/test_ames_end_to_end.py
asserts that story's figures), and each report the demo names exists.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from conftest import Webhook, receiving_webhook
from monitml.demo.data import load_flights
from monitml.demo.models import load_ames, split_ames
from monitml.store import PredictionStore

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(400)]

MONITML = str(Path(sys.executable).with_name("monitml"))


@dataclass
class DemoRun:
    folder: Path
    process: subprocess.Popen[str]
    slack: Webhook
    lines: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, pattern: str, timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                match = re.search(pattern, line)
                if match is not None:
                    return match
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise AssertionError(f"no line matching {pattern!r}; the demo printed:\n{self.text}")


@pytest.fixture(scope="module")
def slack() -> Iterator[Webhook]:
    """Stands in for Slack's incoming webhook (it receives Slack's JSON, not Alertmanager's)."""
    with receiving_webhook() as receiver:
        yield receiver


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, slack: Webhook) -> Iterator[DemoRun]:
    folder = tmp_path_factory.mktemp("newcomer")
    environ = {"PATH": "/usr/bin:/bin", "HOME": str(folder), "COLUMNS": "120"}
    process = subprocess.Popen(
        [MONITML, "demo", "--out", "demo-rel", "--serve"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**environ, "SLACK_WEBHOOK_URL": slack.url},
    )
    run = DemoRun(folder, process, slack)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            run.lines.append(line.rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    run.wait_for(r"^Swagger:", timeout=300)
    try:
        yield run
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        reader.join(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _store(run: DemoRun) -> PredictionStore:
    return PredictionStore.from_url(f"sqlite:///{run.folder / 'demo-rel' / 'monitml.db'}")


def test_the_demo_prints_no_traceback_and_every_report_it_names_exists(demo: DemoRun) -> None:
    reports = [m.group(1) for line in demo.lines if (m := re.match(r"^Report: (.+)$", line))]
    assert reports, demo.text
    for report in reports:
        path = demo.folder / report  # relative to where the command ran
        assert path.is_file(), report
        assert path.stat().st_size > 1000, report
        assert report.startswith("demo-rel/"), report
    assert "Traceback" not in demo.text


def test_the_canary_alert_fires_for_v2_only_and_resolves_after_v2_is_routed_out(
    demo: DemoRun,
) -> None:
    store = _store(demo)
    try:
        events = list(reversed(store.list_alert_events(model="house-price")))
    finally:
        store.dispose()
    states = [(e["version"], e["state"]) for e in events if e["state"] != "inactive"]
    assert [s for v, s in states if v == "v2"] == ["pending", "firing", "resolved"]
    assert all(v == "v2" for v, _ in states)
    assert re.search(r"PUT /models/house-price/routing .* → 200", demo.text)
    assert "notification FIRING LowAveragePrediction house-price/v2" in demo.text
    assert "notification RESOLVED LowAveragePrediction house-price/v2" in demo.text


def test_v2_stops_getting_sales_once_routed_out_and_v1_gets_about_three_quarters_before(
    demo: DemoRun,
) -> None:
    store = _store(demo)
    try:
        frame = store.read_window("house-price", with_labels=True)
    finally:
        store.dispose()
    _, sales = split_ames(load_ames())
    assert len(frame) == len(sales)  # every Ames sale of 2008–2010 with a complete record
    assert frame["label"].notna().all()  # each price came back
    v2 = frame[frame["version"] == "v2"]
    assert 0 < len(v2) < 0.25 * len(frame)
    last_v2 = v2["timestamp"].max()
    assert (frame[frame["timestamp"] > last_v2 + 1]["version"] == "v1").all()
    early = frame[frame["timestamp"] <= last_v2]
    assert 0.6 < (early["version"] == "v1").mean() < 0.9


def test_every_flight_is_logged_and_its_label_arrives_a_month_later(demo: DemoRun) -> None:
    store = _store(demo)
    try:
        flights = store.read_window("flight-delay", "v1")
        chunks = store.list_monitor_results("flight-delay", kind="chunk")
    finally:
        store.dispose()
    replayed = load_flights()["scheduled"].dt.month > 3
    assert len(flights) == int(replayed.sum())
    assert flights["label"].notna().all()
    months = {c["window_start"] for c in chunks}
    assert len(months) == 9  # April to December, each checked as it arrived and at the end
    final = [c for c in chunks if c["payload"]["labelled_rows"]]
    assert len(final) == 9
    assert all(0.8 < c["payload"]["performance"]["accuracy"] < 1.0 for c in final)


def test_the_check_the_demo_suggests_runs_on_its_config_from_the_same_folder(
    demo: DemoRun, tmp_path: Path
) -> None:
    out = tmp_path / "check.json"
    command = [
        MONITML, "check", "--config", "demo-rel/monitml.yaml", "--model", "flight-delay",
        "--from", "2013-04-01", "--to", "2014-01-01", "--chunk", "1mo", "--json", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=demo.folder, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    chunks = json.loads(out.read_text())["chunks"]
    assert len(chunks) == 9
    assert {c["version"] for c in chunks} == {"v1"}


def test_the_gateway_left_up_by_serve_answers_on_the_urls_it_printed(demo: DemoRun) -> None:
    swagger = demo.wait_for(r"^Swagger:\s+(\S+)", timeout=5).group(1)
    metrics = demo.wait_for(r"^Metrics:\s+(\S+)", timeout=5).group(1)
    dashboard = demo.wait_for(r"^Dashboard:\s+(\S+)", timeout=5).group(1)
    assert httpx.get(swagger, timeout=10).status_code == 200
    page = httpx.get(dashboard, timeout=10)
    assert page.status_code == 200
    assert "house-price" in page.text
    assert "flight-delay" in page.text
    text = httpx.get(metrics, timeout=10).text
    assert 'monitml_requests_total{model="house-price"' in text


def test_with_slack_webhook_url_set_the_notifications_also_go_to_slack(demo: DemoRun) -> None:
    firing = demo.slack.wait_for(
        lambda body: "LowAveragePrediction" in json.dumps(body) and "FIRING" in json.dumps(body),
        timeout=5,
        what="a Slack message about the firing alert",
    )
    assert "house-price" in json.dumps(firing)


def test_the_retrained_challenger_reaches_100_and_the_broken_one_is_rolled_back_at_10(
    demo: DemoRun,
) -> None:
    model = "house-price-retrain"
    store = _store(demo)
    try:
        registered = {v["version"]: v for v in store.list_versions(model)}
        steps = list(reversed(store.list_monitor_results(model, kind="promotion")))
        routing = store.load_routing()[model]
        retrains = store.list_monitor_results(model, kind="retrain")
    finally:
        store.dispose()
    assert [r["payload"]["status"] for r in retrains] == ["registered"], demo.text
    assert set(registered) == {"v2", "v3"}
    assert Path(registered["v2"]["source"]["path"]).is_file()
    judged = [(s["version"], s["payload"]["weight"], s["payload"]["outcome"]) for s in steps
              if s["payload"]["outcome"] != "wait"]  # fmt: skip
    assert [(w, o) for v, w, o in judged if v == "v2"] == [
        (10, "pass"), (25, "pass"), (50, "pass"), (100, "pass"),
    ]  # fmt: skip
    assert [(w, o) for v, w, o in judged if v == "v3"] == [(10, "fail"), (10, "fail")]
    assert dict(routing.weights) == {"v2": 100.0, "v3": 0.0}
    assert "notification FIRING MonitmlPromotion (rolled_back) house-price-retrain/v3" in demo.text
    assert re.search(r"^Rollback reason \(webhook\): prediction mean 100 ", demo.text, re.M)
