"""Load model versions and give them one shape: rows of feature values in, predictions out.

Three sources, chosen by the config: a joblib or pickle file holding an object with ``predict``
(and ``predict_proba`` for classifiers), an ONNX file run by onnxruntime (imported only when
an ``.onnx`` file is configured), or an entrypoint ``"package.module:callable"`` that returns
such an object. Objects with ``predict`` receive a pandas DataFrame whose columns are the
model's features (in the order the model was fitted with, when it records one).

Loading raises :class:`~monitml.errors.ModelError`; so does a model that fails or answers
nonsense while predicting, which the gateway turns into a 500.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from monitml.errors import ModelError
from monitml.serving.features import FeatureSchema

__all__ = [
    "OnnxPredictor",
    "Prediction",
    "Predictions",
    "Predictor",
    "SklearnPredictor",
    "load_entrypoint",
    "load_file",
    "make_predictor",
]

Prediction = float | int | str | bool
Rows = Sequence[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Predictions:
    """One value per row; for classifiers with scores, one ``{class: probability}`` per row."""

    values: list[Prediction]
    probabilities: list[dict[str, float]] | None = None


class Predictor(Protocol):
    """A loaded model version, ready to be called from any thread."""

    kind: str

    def predict(self, rows: Rows) -> Predictions: ...


def load_file(path: Path) -> Any:
    """The object in a joblib/pickle file, or an onnxruntime session for an ``.onnx`` file."""
    if not path.is_file():
        raise ModelError(f"cannot read {path}: no such file")
    try:
        if path.suffix.lower() == ".onnx":
            import onnxruntime  # noqa: PLC0415 - an optional extra, only for ONNX models

            return onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        import joblib  # noqa: PLC0415 - loads plain pickles too

        return joblib.load(path)
    except ImportError as error:
        raise ModelError(f"cannot load {path}: {error} (install monitml[onnx])") from error
    except Exception as error:  # unpickling runs arbitrary code: any failure is "unreadable"
        raise ModelError(f"cannot load {path}: {type(error).__name__}: {error}") from error


def load_entrypoint(spec: str) -> Any:
    """Import ``package.module:callable`` and return what calling it (without arguments) gives."""
    module_name, _, attribute = spec.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as error:
        raise ModelError(f"cannot import {spec!r}: {error}") from error
    if not callable(target):
        raise ModelError(f"{spec!r} is not callable")
    try:
        return target()
    except Exception as error:  # the user's loader: report any failure as a load failure
        raise ModelError(f"{spec!r} raised {type(error).__name__}: {error}") from error


def make_predictor(model: Any, features: FeatureSchema, task: str) -> Predictor:
    """Wrap a loaded object; fail now if it cannot take these features."""
    if type(model).__name__ == "InferenceSession" and hasattr(model, "get_inputs"):
        return OnnxPredictor(model, features, task)
    if callable(getattr(model, "predict", None)):
        return SklearnPredictor(model, features, task)
    raise ModelError(f"a {type(model).__name__} object has no predict method")


def _python_values(array: Any, expected: int) -> list[Any]:
    values = np.asarray(array)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values[:, 0]
    if values.ndim != 1 or len(values) != expected:
        raise ModelError(f"the model returned shape {values.shape} for {expected} rows")
    return list(values.tolist())


def _checked(values: list[Any], task: str) -> list[Prediction]:
    for value in values:
        if task == "regression" and not (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        ):
            raise ModelError(f"the model returned {value!r}, not a finite number")
        if not isinstance(value, int | float | str | bool):
            raise ModelError(f"the model returned a {type(value).__name__}, not a scalar")
    return values


class SklearnPredictor:
    """An object with ``predict`` (scikit-learn, XGBoost, LightGBM, a user's class)."""

    kind = "python"

    def __init__(self, model: Any, features: FeatureSchema, task: str) -> None:
        fitted = getattr(model, "feature_names_in_", None)
        columns = [str(name) for name in fitted] if fitted is not None else list(features.names)
        missing = sorted(set(columns) - set(features.names))
        if missing:
            raise ModelError(
                f"the model was fitted with features that are not configured: {missing}"
            )
        self.model = model
        self.task = task
        self.columns = columns
        has_scores = task == "classification" and callable(getattr(model, "predict_proba", None))
        self.classes: list[str] | None = None
        if has_scores:
            classes = getattr(model, "classes_", None)
            if classes is None:
                raise ModelError("a classifier with predict_proba must have classes_")
            self.classes = [str(c) for c in np.asarray(classes).tolist()]

    def predict(self, rows: Rows) -> Predictions:
        frame = pd.DataFrame({column: [row[column] for row in rows] for column in self.columns})
        try:
            raw = self.model.predict(frame)
            scores = None if self.classes is None else self.model.predict_proba(frame)
        except Exception as error:  # the model's own failure, whatever it is
            raise ModelError(f"{type(error).__name__}: {error}") from error
        values = _checked(_python_values(raw, len(rows)), self.task)
        if scores is None or self.classes is None:
            return Predictions(values)
        classes = self.classes
        table = np.asarray(scores, dtype=float).tolist()
        return Predictions(values, [dict(zip(classes, row, strict=True)) for row in table])


_ONNX_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(string)": np.object_,
    "tensor(bool)": np.bool_,
}


class OnnxPredictor:
    """An onnxruntime session: either one 2-D float input holding the features in order, or one
    input per feature named like it (what skl2onnx makes of a pipeline over a DataFrame).

    The first output is the prediction; a classifier's second output holds the probabilities
    (a ZipMap list of dicts, or a matrix whose columns are then named ``"0"``, ``"1"``, …).
    """

    kind = "onnx"

    def __init__(self, session: Any, features: FeatureSchema, task: str) -> None:
        self.session = session
        self.task = task
        self.names = list(features.names)
        inputs = session.get_inputs()
        by_name = {i.name: i for i in inputs}
        self.per_feature = len(inputs) > 1 or (len(inputs) == 1 and inputs[0].name in self.names)
        if self.per_feature:
            unknown = sorted(set(by_name) - set(self.names))
            if unknown:
                raise ModelError(f"the ONNX inputs {unknown} are not configured features")
            self.inputs = [
                (name, _ONNX_DTYPES.get(i.type, np.object_)) for name, i in by_name.items()
            ]
        else:
            width = inputs[0].shape[-1] if inputs[0].shape else None
            if isinstance(width, int) and width != len(self.names):
                raise ModelError(
                    f"the ONNX input {inputs[0].name!r} takes {width} columns, "
                    f"but {len(self.names)} features are configured"
                )
            self.inputs = [(inputs[0].name, _ONNX_DTYPES.get(inputs[0].type, np.float32))]
        self.scores = task == "classification" and len(session.get_outputs()) > 1

    def _feeds(self, rows: Rows) -> dict[str, Any]:
        if not self.per_feature:
            name, dtype = self.inputs[0]
            matrix = [[row[feature] for feature in self.names] for row in rows]
            return {name: np.asarray(matrix, dtype=dtype)}
        return {
            name: np.asarray([[row[name]] for row in rows], dtype=dtype)
            for name, dtype in self.inputs
        }

    def predict(self, rows: Rows) -> Predictions:
        try:
            outputs = self.session.run(None, self._feeds(rows))
        except Exception as error:  # onnxruntime raises its own exception types
            raise ModelError(f"{type(error).__name__}: {error}") from error
        values = _checked(_python_values(outputs[0], len(rows)), self.task)
        if not self.scores:
            return Predictions(values)
        scores = outputs[1]
        if isinstance(scores, list):  # ZipMap: one {class: probability} per row
            table = [{str(k): float(v) for k, v in row.items()} for row in scores]
        else:
            table = [
                {str(i): float(p) for i, p in enumerate(row)}
                for row in np.asarray(scores, dtype=float).tolist()
            ]
        return Predictions(values, table)
