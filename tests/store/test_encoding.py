"""JSON encoding of records for the database and the spill file."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from monitml.store.encoding import ROW_COLUMNS, dumps, record_from_json, record_to_json, row_values
from monitml.store.records import PredictionRecord


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param({"a": 1, "b": "x"}, '{"a":1,"b":"x"}', id="plain"),
        pytest.param(
            {"a": math.nan, "b": [math.inf, 1.0]}, '{"a":null,"b":[null,1.0]}', id="non-finite"
        ),
        pytest.param(
            {"a": np.int64(3), "b": np.float32(0.5)}, '{"a":3,"b":0.5}', id="numpy-scalars"
        ),
        pytest.param(np.array([1.0, np.nan]), "[1.0,null]", id="numpy-array-with-nan"),
        pytest.param({"when": object}, '{"when":"<class \'object\'>"}', id="unknown-as-str"),
    ],
)
def test_dumps_writes_strict_json(value: object, text: str) -> None:
    assert dumps(value) == text
    json.loads(text)  # strict: no NaN tokens


def test_a_record_survives_the_spill_round_trip() -> None:
    record = PredictionRecord(
        request_id="q",
        record_id="x",
        model="m",
        version="v1",
        timestamp=1.5,
        features={"a": 1, "b": None},
        prediction="yes",
        latency_seconds=0.01,
        shadow=True,
        probabilities={"yes": 0.9, "no": 0.1},
    )

    assert record_from_json(json.loads(dumps(record_to_json(record)))) == record


def test_a_database_row_holds_encoded_json() -> None:
    record = PredictionRecord("q", "x", "m", "v1", 1.0, {"a": 1}, 0, 0.1)

    row = dict(zip(ROW_COLUMNS, row_values(record), strict=True))

    assert (row["features"], row["prediction"], row["probabilities"]) == ('{"a":1}', "0", None)
