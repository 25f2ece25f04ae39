"""Operational signals from the gateway's metrics text (error rate, latency, traffic)."""

from __future__ import annotations

import pytest

from monitml.monitor.operational import OperationalSampler


def _text(ok: float, errors: float, buckets: dict[str, float]) -> str:
    lines = [
        f'monitml_requests_total{{model="m",version="v1",status="ok"}} {ok}',
        f'monitml_requests_total{{model="m",version="v1",status="error"}} {errors}',
        'monitml_requests_total{model="m",version="v1",status="invalid"} 3',
    ]
    lines += [
        f'monitml_request_duration_seconds_bucket{{model="m",version="v1",le="{le}"}} {count}'
        for le, count in buckets.items()
    ]
    return "\n".join(lines) + "\n"


def test_rates_come_from_the_change_between_two_reads() -> None:
    texts = iter(
        [
            _text(100, 0, {"0.1": 90, "0.5": 100, "+Inf": 103}),
            _text(190, 10, {"0.1": 90, "0.5": 200, "+Inf": 203}),
        ]
    )
    sampler = OperationalSampler(lambda: next(texts))
    assert sampler.sample(1_000.0) == []  # nothing to compare with yet
    samples = {name: value for name, _, value in sampler.sample(1_010.0)}
    assert samples["requests_per_second"] == pytest.approx(10.0)
    assert samples["error_rate"] == pytest.approx(0.1)
    # All 100 new requests took between 0.1 s and 0.5 s: p95 interpolates in that bucket.
    assert samples["latency_p95"] == pytest.approx(0.1 + 0.4 * 0.95)
