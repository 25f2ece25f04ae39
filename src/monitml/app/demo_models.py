"""The seed's two house-price models, trained on the shipped Ames data, and a ready config.

    python -m monitml.app.demo_models demo-gateway
    monitml serve --config demo-gateway/monitml.yaml

v1 is a scikit-learn gradient-boosting pipeline; v2 is the seed's "bad model", which predicts
100 for every house (a real model object, not a metric pretending). The config routes 75% of
requests to v1 and 25% to v2, like the seed's SeldonDeployment. Training needs scikit-learn
(the ``dev`` extra).
"""

from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import yaml

__all__ = [
    "AMES_CATEGORICAL",
    "AMES_NUMERICAL",
    "AMES_TARGET",
    "CENTRAL_AIR_FEATURES",
    "ConstantModel",
    "load_ames",
    "train_central_air_classifier",
    "train_house_price_model",
    "write_demo",
]

AMES_TARGET = "sale_price"
AMES_CATEGORICAL = ["neighborhood", "house_style", "central_air"]
AMES_NUMERICAL = [
    "gr_liv_area", "overall_qual", "year_built", "total_bsmt_sf", "garage_cars", "lot_area",
    "full_bath", "tot_rms_abv_grd", "yr_sold", "mo_sold",
]  # fmt: skip
CENTRAL_AIR_FEATURES = ["gr_liv_area", "overall_qual", "year_built", "total_bsmt_sf"]


class ConstantModel:
    """Predicts ``value`` for every row: the seed's broken v2.

    >>> ConstantModel(100.0).predict(pd.DataFrame({"a": [1, 2]})).tolist()
    [100.0, 100.0]
    """

    def __init__(self, value: float = 100.0) -> None:
        self.value = value

    def fit(self, x: Any, y: Any = None) -> ConstantModel:
        return self

    def predict(self, x: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
        return np.full(len(x), float(self.value))


def load_ames() -> pd.DataFrame:
    """The shipped Ames housing sample (2,930 sales, 13 features and ``sale_price``)."""
    with resources.as_file(resources.files("monitml") / "data" / "ames_housing.parquet") as path:
        frame = pd.read_parquet(path)
    # Two basements and garages are missing; the gateway takes complete records only.
    return frame.dropna().reset_index(drop=True)


def train_house_price_model(frame: pd.DataFrame, *, seed: int = 0) -> Any:
    """A HistGradientBoosting pipeline over the Ames features, predicting ``sale_price``."""
    from sklearn.compose import ColumnTransformer  # noqa: PLC0415 - a dev dependency
    from sklearn.ensemble import HistGradientBoostingRegressor  # noqa: PLC0415
    from sklearn.pipeline import Pipeline  # noqa: PLC0415
    from sklearn.preprocessing import OrdinalEncoder  # noqa: PLC0415

    encode = ColumnTransformer(
        [
            (
                "categories",
                # Unknown categories become -1, which the booster treats as missing.
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
                AMES_CATEGORICAL,
            ),
            ("numbers", "passthrough", AMES_NUMERICAL),
        ]
    )
    categorical = list(range(len(AMES_CATEGORICAL)))
    booster = HistGradientBoostingRegressor(
        categorical_features=categorical, max_iter=200, random_state=seed
    )
    pipeline = Pipeline([("encode", encode), ("model", booster)])
    return pipeline.fit(frame[AMES_CATEGORICAL + AMES_NUMERICAL], frame[AMES_TARGET])


def train_central_air_classifier(frame: pd.DataFrame) -> Any:
    """A small logistic regression telling whether a house has central air (``Y``/``N``)."""
    from sklearn.linear_model import LogisticRegression  # noqa: PLC0415 - a dev dependency
    from sklearn.pipeline import make_pipeline  # noqa: PLC0415
    from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    return model.fit(frame[CENTRAL_AIR_FEATURES], frame["central_air"])


def write_demo(folder: Path, *, store_url: str = "sqlite:///monitml.db") -> Path:
    """Train v1, write v2, the reference data and ``monitml.yaml`` into ``folder``.

    Returns the config path. The first 70% of the sales are the reference (and v1's training
    data); the rest is left for sending as traffic (``traffic.parquet``).
    """
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "models").mkdir(exist_ok=True)
    ames = load_ames()
    cut = int(len(ames) * 0.7)
    reference, traffic = ames.iloc[:cut], ames.iloc[cut:]
    reference.to_parquet(folder / "reference.parquet", index=False)
    traffic.to_parquet(folder / "traffic.parquet", index=False)
    joblib.dump(train_house_price_model(reference), folder / "models" / "gbm.joblib")
    joblib.dump(ConstantModel(100.0), folder / "models" / "const.joblib")
    config = {
        "store": {"url": store_url},
        "models": {
            "house-price": {
                "task": "regression",
                "target": AMES_TARGET,
                "features": {"numerical": AMES_NUMERICAL, "categorical": AMES_CATEGORICAL},
                "reference": "reference.parquet",
                "versions": {
                    "v1": {"path": "models/gbm.joblib"},
                    "v2": {"path": "models/const.joblib"},
                },
                "routing": {"v1": 75, "v2": 25},
            }
        },
        "auth": {"admin_token_env": "MONITML_ADMIN_TOKEN"},
    }
    path = folder / "monitml.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


if __name__ == "__main__":
    # Through the package, so that the pickled ConstantModel is found by its module path
    # rather than as __main__.ConstantModel.
    import importlib

    package_module = importlib.import_module("monitml.app.demo_models")
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "demo-gateway")
    print(f"Wrote {package_module.write_demo(target)}")
