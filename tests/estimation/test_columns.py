"""Parquet columns read with pyarrow into numpy, without pandas (the CLI's CBPE and DLE paths)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from monitml.estimation import CBPE, DLE
from monitml.estimation.columns import Columns, read_numeric_parquet, read_parquet_columns
from monitml.estimation.features import FeatureEncoder

DATA = Path(__file__).resolve().parent / "data"


def test_numeric_columns_match_what_pandas_reads_across_row_groups_and_nulls(
    tmp_path: Path,
) -> None:
    rng = np.random.default_rng(3)
    floats = rng.normal(size=1000)
    floats[rng.random(1000) < 0.2] = np.nan
    frame = pd.DataFrame(
        {
            "f": floats,
            "flag": rng.random(1000) < 0.5,
            "i": rng.integers(-5, 5, size=1000).astype(np.int32),
            "u": rng.integers(0, 200, size=1000).astype(np.uint8),
        }
    )
    path = tmp_path / "numbers.parquet"
    frame.to_parquet(path, row_group_size=137)
    table = read_numeric_parquet(path, ["f", "flag", "i", "u", "absent"])
    assert table is not None
    assert table.columns == ["f", "flag", "i", "u"]
    assert len(table) == 1000
    for name in table.columns:
        np.testing.assert_array_equal(table[name], frame[name].to_numpy())
        assert table[name].dtype == frame[name].dtype


def test_a_sliced_arrow_array_keeps_its_offset(tmp_path: Path) -> None:
    values = pa.array([0.5, None, 2.5, 3.5, None, 5.5, 6.5, 7.5, 8.5, None])
    flags = pa.array([True, False, True, True, False, False, True, False, True, True])
    path = tmp_path / "sliced.parquet"
    pq.write_table(pa.table({"v": values, "b": flags}).slice(3, 6), path)
    table = read_numeric_parquet(path, ["v", "b"])
    assert table is not None
    np.testing.assert_array_equal(table["v"], [3.5, np.nan, 5.5, 6.5, 7.5, 8.5])
    assert table["b"].tolist() == [True, False, False, True, False, True]


@pytest.mark.parametrize(
    "column",
    [pa.array(["a", "b", "a"]), pa.array([1, None, 3]), pa.array([True, None, False])],
    ids=["text", "integers with a null", "bools with a null"],
)
def test_text_or_a_null_in_integers_or_bools_leaves_the_file_to_pandas(
    tmp_path: Path, column: pa.Array
) -> None:
    path = tmp_path / "other.parquet"
    pq.write_table(pa.table({"x": column, "y": pa.array([1.0, 2.0, 3.0])}), path)
    assert read_numeric_parquet(path, ["x", "y"]) is None


def test_cbpe_on_numeric_columns_equals_cbpe_on_the_data_frame() -> None:
    columns = ["employed", "prediction", "predicted_probability"]
    reference = DATA / "employment_reference.parquet"
    analysis = DATA / "employment_analysis.parquet"
    numeric = [read_numeric_parquet(path, columns) for path in (reference, analysis)]
    frames = [pd.read_parquet(path, columns=columns) for path in (reference, analysis)]

    def run(ref: pd.DataFrame | Columns, cur: pd.DataFrame | Columns) -> dict[str, object]:
        estimator = CBPE(target="employed", prediction="prediction", scores="predicted_probability")
        return estimator.fit(ref).estimate(cur, chunk="2000rows").to_dict()

    assert isinstance(numeric[0], Columns)
    assert isinstance(numeric[1], Columns)
    assert run(numeric[0], numeric[1]) == run(frames[0], frames[1])


def test_a_classifier_estimate_from_numeric_parquet_never_imports_pandas(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from monitml.cli.main import app\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print('pandas' in sys.modules)\n"
    )
    output = tmp_path / "estimate.json"
    arguments = [
        "estimate",
        str(DATA / "employment_reference.parquet"),
        str(DATA / "employment_analysis.parquet"),
        *("--task", "binary", "--target", "employed", "--prediction", "prediction"),
        *("--score", "predicted_probability", "--chunk", "2000rows", "--json", str(output), "-q"),
    ]
    done = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
    assert output.exists()


@pytest.mark.parametrize(
    "labels",
    [np.array([False, True]), np.array([3, 7]), np.array([-2, 5_000_000])],
    ids=["bools", "small integers", "integers far apart"],
)
def test_cbpe_reads_the_same_classes_from_numeric_columns_as_from_a_frame(
    labels: np.ndarray,
) -> None:
    rng = np.random.default_rng(11)
    score = rng.random(6000)
    truth = labels[(rng.random(6000) < score).astype(int)]
    predicted = labels[(score > 0.5).astype(int)]
    arrays = {"y": truth, "pred": predicted, "p": score}
    frame = pd.DataFrame(arrays)

    def run(data: pd.DataFrame | Columns) -> dict[str, object]:
        estimator = CBPE(target="y", prediction="pred", scores="p")
        return estimator.fit(data).estimate(data, chunk="2000rows").to_dict()

    assert run(Columns(arrays)) == run(frame)


def _decoded(table: Columns, name: str) -> list[str | None]:
    labels = table.text(name)
    assert labels is not None
    return [None if code < 0 else labels.values[code] for code in labels.codes.tolist()]


def test_text_columns_are_read_as_labels_that_decode_to_what_pandas_reads(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    words = np.array(["gas", "diesel", "electric", None], dtype=object)
    frame = pd.DataFrame(
        {
            "fuel": words[rng.integers(0, 4, size=1000)],
            "x": rng.normal(size=1000),
            "plain": pd.Series(words[rng.integers(0, 3, size=1000)], dtype="category"),
        }
    )
    path = tmp_path / "text.parquet"
    frame.to_parquet(path, row_group_size=97)  # each row group has a dictionary of its own
    table = read_parquet_columns(path, text=True)
    assert table is not None
    assert table.columns == ["fuel", "x", "plain"]
    assert table.text("x") is None
    back = pd.read_parquet(path)
    for name in ("fuel", "plain"):
        expected = [None if pd.isna(v) else str(v) for v in back[name].tolist()]
        assert _decoded(table, name) == expected
    with pytest.raises(TypeError, match="holds text"):
        table["fuel"]


def test_without_text_a_text_column_still_leaves_the_file_to_pandas(tmp_path: Path) -> None:
    path = tmp_path / "text.parquet"
    pq.write_table(pa.table({"x": pa.array(["a", "b"]), "y": pa.array([1.0, 2.0])}), path)
    assert read_parquet_columns(path, ["x", "y"]) is None
    assert read_parquet_columns(path, ["x", "y"], text=True) is not None


def test_times_leave_the_file_to_pandas_even_with_text(tmp_path: Path) -> None:
    path = tmp_path / "times.parquet"
    pd.DataFrame({"t": pd.date_range("2024-01-01", periods=3), "y": [1.0, 2.0, 3.0]}).to_parquet(
        path
    )
    assert read_parquet_columns(path, text=True) is None


CAR = [DATA / "car_price_reference.parquet", DATA / "car_price_analysis.parquet"]


def _with_text(path: Path) -> Columns:
    table = read_parquet_columns(path, text=True)
    assert table is not None
    return table


def test_a_feature_matrix_from_columns_equals_the_one_from_the_data_frame() -> None:
    frames = [pd.read_parquet(path) for path in CAR]
    tables = [_with_text(path) for path in CAR]
    names = ["car_age", "fuel", "transmission", "timestamp", "y_pred"]
    encoders = [FeatureEncoder.fit(source, names) for source in (frames[0], tables[0])]
    assert encoders[0] == encoders[1]
    for frame, table in zip(frames, tables, strict=True):
        np.testing.assert_array_equal(encoders[0].matrix(frame), encoders[1].matrix(table))


def test_dle_on_columns_equals_dle_on_the_data_frame() -> None:
    tables = [_with_text(path) for path in CAR]
    frames = [pd.read_parquet(path) for path in CAR]
    features = ["car_age", "km_driven", "price_new", "accident_count", "door_count", "fuel"]

    def run(ref: pd.DataFrame | Columns, cur: pd.DataFrame | Columns) -> dict[str, object]:
        estimator = DLE(target="y_true", prediction="y_pred", features=[*features, "transmission"])
        return estimator.fit(ref).estimate(cur, chunk="1000rows").to_dict()

    assert run(tables[0], tables[1]) == run(frames[0], frames[1])


def test_a_regression_estimate_from_parquet_never_imports_pandas_or_scikit_learn(
    tmp_path: Path,
) -> None:
    script = (
        "import sys\n"
        "from monitml.cli.main import app\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit as done:\n"
        "    assert not done.code, done.code\n"
        "print(sorted({'pandas', 'sklearn', 'scipy'} & set(sys.modules)))\n"
    )
    output = tmp_path / "estimate.json"
    arguments = [
        "estimate",
        str(DATA / "car_price_reference.parquet"),
        str(DATA / "car_price_analysis.parquet"),
        *("--task", "regression", "--target", "y_true", "--prediction", "y_pred"),
        *("--ignore", "id,timestamp", "--chunk", "1000rows", "--json", str(output), "-q"),
    ]
    done = subprocess.run(
        [sys.executable, "-c", script, *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert output.exists()
