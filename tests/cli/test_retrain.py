"""``monitml retrain`` through the console script: exit 0 registered, 1 refused, 2 user error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import yaml

from monitml.store import LabelRecord, PredictionRecord, PredictionStore

SCRIPT = Path(sys.executable).with_name("monitml")
NOW = 1_800_000_000.0
TRAINERS = """
from sklearn.linear_model import LinearRegression


def linear(frame):
    return LinearRegression().fit(frame[["x"]], frame["y"])


def constant(frame):
    class Constant:
        def predict(self, rows):
            return [0.0] * len(rows)

    return Constant()


def broken(frame):
    raise KeyError("price")
"""


def world(n: int, slope: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, n)
    return pd.DataFrame({"x": x, "y": slope * x + rng.normal(0, 0.5, n)})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A model fitted on y = 2x; 300 labelled rows of y = 3x logged; the user's trainers."""
    from sklearn.linear_model import LinearRegression  # noqa: PLC0415

    old = world(300, 2.0, seed=1)
    joblib.dump(LinearRegression().fit(old[["x"]], old["y"]), tmp_path / "v1.joblib")
    (tmp_path / "user_code").mkdir()
    (tmp_path / "user_code" / "trainers.py").write_text(TRAINERS, encoding="utf-8")
    store = PredictionStore.from_url(f"sqlite:///{tmp_path / 'store.db'}")
    new = world(300, 3.0, seed=2)
    store.insert_predictions(
        [
            PredictionRecord(f"q{i}", f"r{i}", "m", "v1", NOW + i, {"x": float(x)}, 0.0, 0.001)
            for i, x in enumerate(new["x"])
        ]
    )
    store.insert_labels([LabelRecord("m", f"r{i}", float(y), NOW) for i, y in enumerate(new["y"])])
    store.dispose()
    return tmp_path


def write_config(folder: Path, entrypoint: str) -> Path:
    config = {
        "store": {"url": "sqlite:///store.db"},
        "registry": {"path": "registry"},
        "models": {
            "m": {
                "task": "regression",
                "target": "y",
                "features": {"numerical": ["x"]},
                "versions": {"v1": {"path": "v1.joblib"}},
                "training": {"entrypoint": entrypoint},
            }
        },
    }
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def run(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "monitml.cli"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MONITML_")}
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(folder / "user_code"), env.get("PYTHONPATH")])
    )
    env["COLUMNS"] = "160"
    return subprocess.run(
        [*command, "retrain", *args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_better_challenger_is_registered_with_exit_0_a_table_and_the_json_record(
    folder: Path,
) -> None:
    config = write_config(folder, "trainers:linear")
    result = run(folder, "--config", str(config), "--model", "m", "--json", "out/retrain.json")

    assert result.returncode == 0, result.stderr
    assert "300 labelled rows: 225 to train, 75 held out" in result.stdout
    for gate in ("min_rows", "schema", "improvement", "degradation.rmse"):
        assert gate in result.stdout
    assert f"registered v2: {folder / 'registry' / 'm' / 'v2.joblib'}" in result.stdout
    record = json.loads((folder / "out" / "retrain.json").read_text())
    assert record["status"] == "registered"
    assert record["registered"]["version"] == "v2"
    assert record["registered"]["revision"] == 1
    assert record["metrics"]["challenger"]["mae"] < record["metrics"]["champion"]["mae"]
    store = PredictionStore.from_url(f"sqlite:///{folder / 'store.db'}")
    try:
        assert [v["version"] for v in store.list_versions("m")] == ["v2"]
    finally:
        store.dispose()


def test_a_challenger_the_gates_refuse_exits_1_and_names_the_failed_gate(folder: Path) -> None:
    result = run(folder, "--config", str(write_config(folder, "trainers:constant")), "-m", "m")

    assert result.returncode == 1, result.stderr
    assert "refused" in result.stdout
    assert "v2 was not registered" in result.stdout
    assert not (folder / "registry").exists()


def test_a_given_version_name_is_the_one_registered(folder: Path) -> None:
    config = write_config(folder, "trainers:linear")
    result = run(folder, "--config", str(config), "-m", "m", "--version", "spring")
    assert result.returncode == 0, result.stderr
    assert (folder / "registry" / "m" / "spring.joblib").is_file()


def test_a_training_function_that_raises_is_one_line_and_exit_2(folder: Path) -> None:
    result = run(folder, "--config", str(write_config(folder, "trainers:broken")), "-m", "m")

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "models.m.training.entrypoint: 'trainers:broken' raised KeyError" in line
