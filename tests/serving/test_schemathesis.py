"""schemathesis ``run --checks all`` against a live gateway: every answer is documented.

The schemathesis CLI generates requests from the gateway's own OpenAPI (valid and invalid, with
and without the token) and checks every answer: no 5xx, every status and header documented,
bodies matching their schemas, invalid data refused, valid data accepted, auth not ignored.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import GatewayFactory, live_server

pytestmark = pytest.mark.timeout(300)

TOKEN = "st-token-7f3a"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_schemathesis_with_every_check_finds_nothing(make_gateway: GatewayFactory) -> None:
    gateway = make_gateway(
        admin_token=TOKEN,
        ingest_token=TOKEN,
        predict_token=TOKEN,
        max_batch=20,
        max_concurrency=64,
    )
    with live_server(gateway.app) as url:
        command = [str(SCHEMATHESIS), "run", f"{url}/openapi.json", "--checks", "all"]
        command += ["-H", f"Authorization: Bearer {TOKEN}", "--max-examples", "40"]
        command += ["--seed", "1", "--workers", "1", "--no-color"]
        run = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    report = run.stdout[-6000:]
    assert run.returncode == 0, report
    assert "Tested: 9" in run.stdout, report
