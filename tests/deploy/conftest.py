"""Helpers for the deployment tests: the deploy/ folder and the real tools that check it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# Which Debian or PyPI package gives each tool, for the message when it is missing.
PACKAGES = {
    "docker-compose": "Debian's docker-compose (make test installs it)",
    "kubectl": "kubectl (with its built-in kustomize)",
    "promtool": "Debian's prometheus (make test installs it)",
    "amtool": "Debian's prometheus-alertmanager (make test installs it)",
}


def tool(name: str) -> str:
    """The path of ``name``; the test fails naming it and its package when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: install {PACKAGES[name]}")
    return path


def run(
    *command: str, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False, cwd=cwd, env=env
    )


def checked(*command: str, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> str:
    done = run(*command, cwd=cwd, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
