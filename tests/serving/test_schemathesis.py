"""Property-based requests from the OpenAPI schema: no input may cause a 5xx."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from .conftest import GatewayFactory

pytestmark = pytest.mark.timeout(120)


def test_no_generated_request_gets_a_server_error(make_gateway: GatewayFactory) -> None:
    # schemathesis runs the app's lifespan itself (the writer starts with it).
    app = make_gateway(max_batch=20).app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    count = 0
    for operation in schema.get_all_operations():
        op = operation.ok()

        @settings(
            max_examples=25,
            deadline=timedelta(seconds=5),
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        @given(case=op.as_strategy())
        def check(case: Any) -> None:
            nonlocal count
            count += 1
            response = case.call()
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")
            case.validate_response(response, checks=[not_a_server_error])

        check()
    assert not failures
    assert count > 50
