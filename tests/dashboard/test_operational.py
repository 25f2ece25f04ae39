"""Traffic figures from successive reads of the gateway's metrics text."""

from __future__ import annotations

import pytest

from monitml.dashboard.operational import OperationalRates


def metrics(ok: float, errors: float, fast: float, slow: float, created: float = 0.0) -> str:
    labels = 'model="m",version="v1"'
    return f"""\
# TYPE monitml_requests_total counter
monitml_requests_total{{{labels},status="ok"}} {ok}
monitml_requests_total{{{labels},status="error"}} {errors}
monitml_requests_total{{model="m",version="none",status="invalid"}} 50
monitml_requests_created{{{labels},status="ok"}} {created}
# TYPE monitml_request_duration_seconds histogram
monitml_request_duration_seconds_bucket{{{labels},le="0.01"}} {fast}
monitml_request_duration_seconds_bucket{{{labels},le="0.1"}} {fast + slow}
monitml_request_duration_seconds_bucket{{{labels},le="+Inf"}} {fast + slow}
"""


class Feed:
    def __init__(self) -> None:
        self.now = 1_000.0
        self.text = ""

    def clock(self) -> float:
        return self.now

    def read(self) -> str:
        return self.text


def test_rates_are_the_change_between_the_oldest_recent_read_and_now() -> None:
    feed = Feed()
    rates = OperationalRates(feed.read, span=60.0, clock=feed.clock)
    feed.text = metrics(ok=100, errors=0, fast=100, slow=0, created=900.0)
    rates.figures()
    feed.now, feed.text = 1_060.0, metrics(ok=160, errors=60, fast=100, slow=120)

    (figures,) = rates.figures().values()

    assert figures.requests_per_second == pytest.approx(2.0)  # 120 requests in 60 s
    assert figures.error_rate == pytest.approx(0.5)
    assert figures.latency_p50 == pytest.approx(0.055)  # the 60th of 120, all in 10-100 ms
    assert figures.over == "the last 60 s"


def test_the_first_read_gives_the_figures_since_the_counters_were_created() -> None:
    feed = Feed()
    feed.text = metrics(ok=90, errors=10, fast=100, slow=0, created=900.0)
    rates = OperationalRates(feed.read, clock=feed.clock)

    figures = rates.figures()

    assert list(figures) == [("m", "v1")]  # the requests that did not validate have no version
    assert figures[("m", "v1")].requests_per_second == pytest.approx(1.0)
    assert figures[("m", "v1")].over == "since start"


def test_no_metrics_text_gives_no_figures() -> None:
    assert OperationalRates(lambda: "").figures() == {}
