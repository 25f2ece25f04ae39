from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pytest

from monitml.errors import DataError
from monitml.report import to_json


def test_format_leads_and_other_keys_are_sorted(payload: dict[str, Any]) -> None:
    text = to_json(payload)
    data = json.loads(text)
    assert next(iter(data)) == "format"
    rest = list(data)[1:]
    assert rest == sorted(rest)
    assert list(data["columns"]) == sorted(data["columns"])
    assert list(data["columns"]["arr_delay"]) == sorted(data["columns"]["arr_delay"])


def test_output_does_not_depend_on_insertion_order(payload: dict[str, Any]) -> None:
    reversed_payload = dict(reversed(list(payload.items())))
    assert to_json(reversed_payload) == to_json(payload)


def test_nan_and_infinities_become_null(payload: dict[str, Any]) -> None:
    data = json.loads(to_json(payload))  # json.loads would accept NaN, so check the text too
    air_time = data["columns"]["air_time"]
    assert air_time["statistic"] is None
    assert air_time["effect_size"] is None
    assert air_time["chart"]["edges"][0] is None
    assert air_time["chart"]["reference"][2] is None
    assert "NaN" not in to_json(payload)
    assert "Infinity" not in to_json(payload)


def test_numpy_scalars_and_arrays_become_plain_json() -> None:
    payload = {
        "format": "monitml.drift/1",
        "drift_detected": np.bool_(True),
        "statistic": np.float32(0.5),
        "count": np.int64(7),
        "shares": np.array([0.25, np.nan, 0.75]),
        "bins": (1, 2),
    }
    data = json.loads(to_json(payload))
    assert data == {
        "format": "monitml.drift/1",
        "bins": [1, 2],
        "count": 7,
        "drift_detected": True,
        "shares": [0.25, None, 0.75],
        "statistic": 0.5,
    }


def test_dates_become_iso_strings() -> None:
    moment = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)
    assert json.loads(to_json({"generated_at": moment})) == {
        "generated_at": "2026-11-24T15:00:00+00:00"
    }


def test_non_string_keys_become_strings() -> None:
    assert json.loads(to_json({"counts": {1: 3, 0: 4}})) == {"counts": {"0": 4, "1": 3}}


def test_an_unserialisable_value_is_named_by_its_path() -> None:
    with pytest.raises(DataError, match=r"\$\.columns\.x\.chart must be JSON-serialisable"):
        to_json({"columns": {"x": {"chart": object()}}})


def test_indent_none_gives_one_line(payload: dict[str, Any]) -> None:
    assert "\n" not in to_json(payload, indent=None)
