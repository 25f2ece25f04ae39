"""Gradient-boosted trees from LightGBM, driven through its C library.

DLE's error models and the domain classifier are LightGBM boosters, trained and applied through
LightGBM's public C API (``include/LightGBM/c_api.h``) on the ``lib_lightgbm`` shared library
that the ``lightgbm`` package ships. Why not ``import lightgbm``: the package's ``compat``
module imports scikit-learn whenever it is installed, and scikit-learn imports SciPy's
statistics; measured here at a load of 4, ``import lightgbm`` took 5.5-7.3 s with scikit-learn
installed and 1.3-2.3 s without (pandas, narwhals, SciPy's sparse matrices), loading the library
0.35 s (numpy alone 0.44 s). An estimate's whole process is about 1 s, so the wrapper would cost
more than the work.

What is used: a Dataset from a float64 matrix (NaN is missing; columns flagged categorical hold
non-negative integer codes), a Booster trained a given number of iterations, its predictions
for a matrix, and its model text (for pickling).

Guaranteed: the same inputs and settings give the same model, bit for bit, whatever the number
of threads (``deterministic``, column-wise histograms, a fixed seed, no row or column sampling).
Not guaranteed: the same trees from another LightGBM version. A missing or unloadable library
raises ``ConfigError`` naming the extra to install; an error inside LightGBM raises
``DataError`` with LightGBM's message.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(2000, 1))
>>> model = BoostedTrees.fit(x, np.abs(x[:, 0]), iterations=20, leaves=8, learning_rate=0.3)
>>> model.predict(np.array([[-2.0], [0.0], [2.0]])).round(1).tolist()
[2.1, 0.0, 2.1]
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable, Sequence
from functools import cache, partial
from pathlib import Path
from typing import Any, Literal, Self, TypeVar

import numpy as np
from numpy.typing import NDArray

from monitml.errors import ConfigError, DataError

__all__ = ["BoostedTrees", "require_lightgbm", "side_by_side"]

T = TypeVar("T")

_FLOAT32, _FLOAT64 = 0, 1  # C_API_DTYPE_*
_PREDICT_NORMAL = 0  # C_API_PREDICT_NORMAL
_ROW_MAJOR = 1
_INSTALL = "performance estimation needs LightGBM: pip install 'monitml[estimation]'"
# What a booster learns: a value (squared error), or a 0/1 label's probability (log loss).
Objective = Literal["regression", "binary"]


def require_lightgbm() -> None:
    """Raise a one-line ``ConfigError`` when LightGBM's library cannot be loaded."""
    _library()


@cache
def _library() -> ctypes.CDLL:
    """``lib_lightgbm`` from the installed ``lightgbm`` package, found without importing it."""
    import importlib.util  # noqa: PLC0415

    spec = importlib.util.find_spec("lightgbm")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(_INSTALL)
    folder = Path(next(iter(spec.submodule_search_locations)))
    name = {"darwin": "lib_lightgbm.dylib", "win32": "lib_lightgbm.dll"}.get(
        sys.platform, "lib_lightgbm.so"
    )
    # Where the package's own loader looks (lightgbm/libpath.py): lib/ in wheels since 4.0.
    for candidate in (folder / "lib" / name, folder / "bin" / name, folder.parent / name):
        if candidate.is_file():
            try:
                library = ctypes.cdll.LoadLibrary(str(candidate))
            except OSError as error:  # e.g. no OpenMP runtime (libgomp) on the system
                raise ConfigError(f"cannot load LightGBM's library {candidate}: {error}") from error
            library.LGBM_GetLastError.restype = ctypes.c_char_p
            return library
    raise ConfigError(f"{_INSTALL} (no {name} in {folder})")


def _call(function: str, *arguments: Any) -> None:
    library = _library()
    if getattr(library, function)(*arguments) != 0:
        message = (library.LGBM_GetLastError() or b"unknown error").decode(errors="replace")
        raise DataError(f"LightGBM: {message.strip()}")


def _parameters(values: dict[str, Any]) -> bytes:
    return " ".join(f"{key}={value}" for key, value in values.items()).encode()


def _matrix(inputs: NDArray[np.float64]) -> NDArray[np.float64]:
    matrix = np.ascontiguousarray(inputs, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"expected a 2-D matrix of inputs, got {matrix.ndim} dimension(s)")
    return matrix


class _Handle:
    """Owns one C handle and frees it with the given function when collected."""

    def __init__(self, free: str) -> None:
        self.value = ctypes.c_void_p()
        self._free = free

    def __del__(self) -> None:
        if self.value.value is not None:  # nothing to report to from a finaliser
            getattr(_library(), self._free)(self.value)
            self.value = ctypes.c_void_p()


def side_by_side(calls: Sequence[Callable[[], T]]) -> list[T]:
    """Each call's result, the calls run in threads of their own (the first error re-raised)."""
    if len(calls) < 2:
        return [call() for call in calls]
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            results[index] = calls[index]()
        except BaseException as error:  # re-raised in the caller's thread below
            errors.append(error)

    workers = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise errors[0]
    return results


def _train(
    matrix: NDArray[np.float64], label: NDArray[np.float32], parameters: bytes, iterations: int
) -> _Handle:
    rows, columns = matrix.shape
    dataset = _Handle("LGBM_DatasetFree")
    _call(
        "LGBM_DatasetCreateFromMat",
        matrix.ctypes.data_as(ctypes.c_void_p),
        ctypes.c_int(_FLOAT64),
        ctypes.c_int32(rows),
        ctypes.c_int32(columns),
        ctypes.c_int(_ROW_MAJOR),
        ctypes.c_char_p(parameters),
        None,
        ctypes.byref(dataset.value),
    )
    _call(
        "LGBM_DatasetSetField",
        dataset.value,
        ctypes.c_char_p(b"label"),
        label.ctypes.data_as(ctypes.c_void_p),
        ctypes.c_int(rows),
        ctypes.c_int(_FLOAT32),
    )
    booster = _Handle("LGBM_BoosterFree")
    _call(
        "LGBM_BoosterCreate",
        dataset.value,
        ctypes.c_char_p(parameters),
        ctypes.byref(booster.value),
    )
    finished = ctypes.c_int(0)
    for _ in range(iterations):
        _call("LGBM_BoosterUpdateOneIter", booster.value, ctypes.byref(finished))
    return booster


class BoostedTrees:
    """A fitted LightGBM booster: a regression (squared error) or a binary classifier."""

    def __init__(self, booster: _Handle, features: int) -> None:
        self._booster = booster
        self.features = features

    @classmethod
    def fit(
        cls,
        inputs: NDArray[np.float64],
        target: NDArray[np.float64],
        *,
        categorical: Sequence[bool] | NDArray[np.bool_] = (),
        iterations: int = 100,
        leaves: int = 31,
        learning_rate: float = 0.1,
        objective: Objective = "regression",
        threads: int = 1,
        seed: int = 0,
    ) -> Self:
        """Train ``iterations`` trees of at most ``leaves`` leaves on ``inputs`` → ``target``.

        ``categorical[j]`` flags column ``j`` as category codes. At least 20 rows per leaf
        (LightGBM's and scikit-learn's default), 255 bins per column. A ``binary`` target is
        0/1 and the model predicts the chance of a 1.
        """
        return cls.fit_many(
            inputs,
            [target],
            categorical=categorical,
            iterations=iterations,
            leaves=leaves,
            learning_rate=learning_rate,
            objective=objective,
            threads=threads,
            seed=seed,
        )[0]

    @classmethod
    def fit_many(
        cls,
        inputs: NDArray[np.float64],
        targets: Sequence[NDArray[np.float64]],
        *,
        categorical: Sequence[bool] | NDArray[np.bool_] = (),
        iterations: int = 100,
        leaves: int = 31,
        learning_rate: float = 0.1,
        objective: Objective = "regression",
        threads: int = 1,
        seed: int = 0,
    ) -> list[Self]:
        """One model per target on the same inputs (as ``fit`` each), fitted side by side.

        Each model is trained in a thread of its own, on a Dataset of its own: LightGBM's C calls
        release the GIL, so two models take the time of one on two cores, with no OpenMP thread
        spinning for a busy core (two OpenMP threads made DLE's fits 25-45 times slower at load
        3). Each model is the one ``fit`` gives, bit for bit.
        """
        matrix = _matrix(inputs)
        rows, columns = matrix.shape
        labels = [np.ascontiguousarray(target, dtype=np.float32) for target in targets]
        for label in labels:  # float32: LightGBM's label type
            if label.shape != (rows,):
                raise ValueError(f"expected {rows} target values, got shape {label.shape}")
        flagged = [str(j) for j, flag in enumerate(categorical) if flag]
        settings: dict[str, Any] = {
            "objective": objective,
            "num_leaves": leaves,
            "learning_rate": learning_rate,
            "min_data_in_leaf": 20,
            "max_bin": 255,
            "num_threads": threads,
            "seed": seed,
            "deterministic": "true",
            "force_col_wise": "true",
            "verbosity": -1,
            **({"categorical_feature": ",".join(flagged)} if flagged else {}),
        }
        parameters = _parameters(settings)
        boosters = side_by_side(
            [partial(_train, matrix, label, parameters, iterations) for label in labels]
        )
        return [cls(booster, columns) for booster in boosters]

    def predict(self, inputs: NDArray[np.float64], *, threads: int = 1) -> NDArray[np.float64]:
        """The model's value for each row of ``inputs``."""
        matrix = _matrix(inputs)
        rows, columns = matrix.shape
        if columns != self.features:
            raise ValueError(f"expected {self.features} input columns, got {columns}")
        out = np.empty(rows, dtype=np.float64)
        written = ctypes.c_int64(0)
        _call(
            "LGBM_BoosterPredictForMat",
            self._booster.value,
            matrix.ctypes.data_as(ctypes.c_void_p),
            ctypes.c_int(_FLOAT64),
            ctypes.c_int32(rows),
            ctypes.c_int32(columns),
            ctypes.c_int(_ROW_MAJOR),
            ctypes.c_int(_PREDICT_NORMAL),
            ctypes.c_int(0),  # from the first iteration
            ctypes.c_int(-1),  # to the last
            ctypes.c_char_p(_parameters({"num_threads": threads})),
            ctypes.byref(written),
            out.ctypes.data_as(ctypes.POINTER(ctypes.c_double)),
        )
        if written.value != rows:
            raise DataError(f"LightGBM returned {written.value} predictions for {rows} rows")
        return out

    def model_text(self) -> str:
        """The booster in LightGBM's text format (what ``lightgbm.Booster`` would load)."""
        size = ctypes.c_int64(0)
        buffer = ctypes.create_string_buffer(1 << 20)
        for _ in range(2):  # a second call when the first buffer was too small
            _call(
                "LGBM_BoosterSaveModelToString",
                self._booster.value,
                ctypes.c_int(0),
                ctypes.c_int(-1),
                ctypes.c_int(0),  # feature importance by split count
                ctypes.c_int64(len(buffer)),
                ctypes.byref(size),
                buffer,
            )
            if size.value <= len(buffer):
                break
            buffer = ctypes.create_string_buffer(size.value)
        return buffer.value.decode()

    @classmethod
    def from_text(cls, text: str) -> Self:
        """A booster from ``model_text``."""
        booster = _Handle("LGBM_BoosterFree")
        iterations = ctypes.c_int(0)
        _call(
            "LGBM_BoosterLoadModelFromString",
            ctypes.c_char_p(text.encode()),
            ctypes.byref(iterations),
            ctypes.byref(booster.value),
        )
        features = ctypes.c_int(0)
        _call("LGBM_BoosterGetNumFeature", booster.value, ctypes.byref(features))
        return cls(booster, features.value)

    def __getstate__(self) -> dict[str, Any]:
        return {"text": self.model_text()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        loaded = self.from_text(state["text"])
        self._booster, self.features = loaded._booster, loaded.features
