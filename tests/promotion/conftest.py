"""Fixtures for retraining: user training functions, the Ames models, a store with a labelled log.

The training functions live in a module written to a temporary folder put on ``sys.path``
(and on ``PYTHONPATH`` for the CLI's subprocesses), the way a user's package would be found.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from monitml.demo.models import AMES_CATEGORICAL, AMES_NUMERICAL, AMES_TARGET, house_price_config
from monitml.store import LabelRecord, PredictionRecord, PredictionStore

TRAINERS_MODULE = "monitml_test_trainers"
TRAINERS = '''
"""Training functions a user might write (and a few broken ones)."""
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from monitml.demo.models import ConstantModel, train_house_price_model


def house_prices(frame):
    return train_house_price_model(frame)


def always_100(frame):
    return ConstantModel(100.0)


def linear(frame):
    """y from x and c (the synthetic model of the unit tests)."""
    encode = ColumnTransformer(
        [("c", OneHotEncoder(handle_unknown="ignore"), ["c"])], remainder="passthrough"
    )
    return make_pipeline(encode, LinearRegression()).fit(frame[["x", "c"]], frame["y"])


def logistic(frame):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(frame[["x"]], frame["y"])


def only_x(frame):
    return LinearRegression().fit(frame[["x"]], frame["y"])


def raises(frame):
    raise RuntimeError("no data for you")


def returns_none(frame):
    return None
'''


@pytest.fixture(scope="session")
def trainers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The folder holding ``monitml_test_trainers``, on ``sys.path`` for the session."""
    folder = tmp_path_factory.mktemp("user-code")
    (folder / f"{TRAINERS_MODULE}.py").write_text(TRAINERS, encoding="utf-8")
    sys.path.insert(0, str(folder))
    yield folder
    sys.path.remove(str(folder))


def sale_times(frame: pd.DataFrame) -> list[float]:
    """One timestamp per sale: the 15th of its month (UTC), a second apart within the month."""
    base = [
        datetime(int(y), int(m), 15, tzinfo=UTC).timestamp()
        for y, m in zip(frame["yr_sold"], frame["mo_sold"], strict=True)
    ]
    return [t + i for i, t in enumerate(base)]


def log_labelled(
    store: PredictionStore,
    model: str,
    frame: pd.DataFrame,
    features: Sequence[str],
    target: str,
    times: Sequence[float],
    *,
    version: str = "v1",
    prefix: str = "r",
    labelled: bool = True,
) -> None:
    """Log ``frame``'s rows as predictions of ``version`` and, when ``labelled``, their labels."""
    records = [
        PredictionRecord(
            request_id=f"q{prefix}{i}",
            record_id=f"{prefix}{i}",
            model=model,
            version=version,
            timestamp=float(times[i]),
            features={f: _plain(row[f]) for f in features},
            prediction=0.0,
            latency_seconds=0.001,
        )
        for i, row in enumerate(frame.to_dict(orient="records"))
    ]
    store.insert_predictions(records)
    if labelled:
        store.insert_labels(
            [
                LabelRecord(model, f"{prefix}{i}", _plain(value), float(times[i]) + 60)
                for i, value in enumerate(frame[target])
            ]
        )


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


@pytest.fixture(scope="session")
def ames_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """v1 trained on the 2006–2007 sales, v2 the constant 100, routed 75/25 (the demo's)."""
    folder = tmp_path_factory.mktemp("ames-retrain")
    config = house_price_config(folder)
    (folder / "model.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    return folder


def ames_config(ames_folder: Path, tmp_path: Path, **training: Any) -> Path:
    """A config in ``tmp_path`` serving the Ames models, with a training section."""
    folder = tmp_path / "ames"
    shutil.copytree(ames_folder, folder)
    model = yaml.safe_load((folder / "model.yaml").read_text(encoding="utf-8"))
    model["training"] = {"entrypoint": f"{TRAINERS_MODULE}:house_prices", **training}
    config = {
        "store": {"url": f"sqlite:///{folder / 'store.db'}"},
        "models": {"house-price": model},
        "registry": {"path": "registry"},
    }
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def log_ames_traffic(store: PredictionStore, folder: Path) -> int:
    """The 2008–2010 sales logged as v1's predictions, every one labelled; returns the rows."""
    traffic = pd.read_parquet(folder / "traffic.parquet")
    features = [*AMES_NUMERICAL, *AMES_CATEGORICAL]
    log_labelled(store, "house-price", traffic, features, AMES_TARGET, sale_times(traffic))
    return len(traffic)
