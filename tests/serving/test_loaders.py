"""Model loading: joblib files, ONNX sessions, entrypoints, and what fails."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import GradientBoostingRegressor

from monitml.demo.models import ConstantModel
from monitml.errors import ModelError
from monitml.serving import Feature, FeatureSchema, Router, Routing, ServedModel
from monitml.serving.loaders import load_entrypoint, load_file, make_predictor

from .conftest import HOUSE, GatewayFactory, serve

NUMERIC = ["gr_liv_area", "overall_qual", "year_built", "total_bsmt_sf", "garage_cars"]


def _numeric_schema() -> FeatureSchema:
    return FeatureSchema(tuple(Feature(n, "numerical", "number") for n in NUMERIC))


@pytest.fixture(scope="module")
def onnx_file(ames: pd.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gradient-boosting regressor converted to ONNX with skl2onnx."""
    model = GradientBoostingRegressor(n_estimators=30, random_state=0)
    model.fit(ames[NUMERIC].to_numpy(dtype=np.float32), ames["sale_price"])
    onnx = convert_sklearn(model, initial_types=[("input", FloatTensorType([None, len(NUMERIC)]))])
    path = tmp_path_factory.mktemp("onnx") / "gbm.onnx"
    path.write_bytes(onnx.SerializeToString())
    return path


def test_an_onnx_version_loads_and_serves(
    onnx_file: Path, make_gateway: GatewayFactory, house_rows: list[dict[str, Any]]
) -> None:
    schema = _numeric_schema()
    predictor = make_predictor(load_file(onnx_file), schema, "regression")
    assert predictor.kind == "onnx"
    model = ServedModel(
        HOUSE, "regression", schema, {"onnx": predictor}, Router(Routing({"onnx": 100}))
    )
    rows = [{n: row[n] for n in NUMERIC} for row in house_rows[:5]]
    gateway = make_gateway([model])
    with serve(gateway.app) as client:
        one = client.post(f"/models/{HOUSE}/predict", json=rows[0]).json()
        batch = client.post(f"/models/{HOUSE}/predict", json=rows).json()
    assert one["version"] == "onnx"
    assert 30_000 < one["prediction"] < 800_000
    assert batch["predictions"][0]["prediction"] == pytest.approx(one["prediction"])
    assert len(gateway.store.read_window(HOUSE)) == 6


def test_an_onnx_model_with_the_wrong_width_fails_at_load(onnx_file: Path) -> None:
    narrow = FeatureSchema((Feature("gr_liv_area", "numerical", "number"),))
    with pytest.raises(ModelError, match="takes 5 columns, but 1 features are configured"):
        make_predictor(load_file(onnx_file), narrow, "regression")


def make_constant() -> Any:
    """An entrypoint for the tests below."""
    return ConstantModel(42.0)


def test_an_entrypoint_returns_a_model() -> None:
    model = load_entrypoint(f"{__name__}:make_constant")
    predictor = make_predictor(model, _numeric_schema(), "regression")
    assert predictor.predict([dict.fromkeys(NUMERIC, 1.0)]).values == [42.0]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param("no_such_module_xyz:load", "cannot import", id="missing-module"),
        pytest.param(f"{__name__}:nothing_here", "cannot import", id="missing-attribute"),
        pytest.param(f"{__name__}:NUMERIC", "is not callable", id="not-callable"),
    ],
)
def test_a_bad_entrypoint_says_why(spec: str, message: str) -> None:
    with pytest.raises(ModelError, match=message):
        load_entrypoint(spec)


def test_a_missing_or_corrupt_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no such file"):
        load_file(tmp_path / "absent.joblib")
    corrupt = tmp_path / "corrupt.joblib"
    corrupt.write_bytes(b"not a pickle")
    with pytest.raises(ModelError, match="cannot load"):
        load_file(corrupt)


def test_an_object_without_predict_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dict.joblib"
    joblib.dump({"weights": [1, 2]}, path)
    with pytest.raises(ModelError, match="has no predict method"):
        make_predictor(load_file(path), _numeric_schema(), "regression")


def test_a_model_fitted_on_features_that_are_not_configured_is_refused(
    demo_folder: Path,
) -> None:
    with pytest.raises(ModelError, match="not configured"):
        make_predictor(
            joblib.load(demo_folder / "models" / "gbm.joblib"), _numeric_schema(), "regression"
        )


def test_a_regression_model_answering_nan_is_a_model_error() -> None:
    class Nan:
        def predict(self, x: Any) -> Any:
            return np.full(len(x), np.nan)

    predictor = make_predictor(Nan(), _numeric_schema(), "regression")
    with pytest.raises(ModelError, match="not a finite number"):
        predictor.predict([dict.fromkeys(NUMERIC, 1.0)])
