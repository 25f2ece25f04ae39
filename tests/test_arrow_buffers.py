"""Arrow arrays read from their buffers: slices at any offset, nulls, both string widths."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from monitml import arrow_buffers


@pytest.mark.parametrize("offset", [0, 1, 7, 8, 13])
def test_a_slice_at_any_offset_reads_its_own_values_and_nulls(offset: int) -> None:
    values = [None if i % 5 == 0 else float(i) for i in range(40)]
    array = pa.array(values, pa.float64()).slice(offset, 20)
    expected = values[offset : offset + 20]

    valid = arrow_buffers.validity(array)
    numbers = arrow_buffers.numbers(array)

    assert valid is not None
    assert valid.tolist() == [v is not None for v in expected]
    assert numbers[valid].tolist() == [v for v in expected if v is not None]


def test_an_array_without_nulls_has_no_validity_and_keeps_its_integer_type() -> None:
    array = pa.array(np.arange(10, dtype=np.int16)).slice(3, 4)

    assert arrow_buffers.validity(array) is None
    numbers = arrow_buffers.numbers(array)
    assert numbers.dtype == np.int16
    assert numbers.tolist() == [3, 4, 5, 6]
    assert arrow_buffers.numbers(pa.array([], pa.uint32())).dtype == np.uint32


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_strings_of_either_offset_width_are_decoded_from_a_slice(kind: pa.DataType) -> None:
    words = ["a", "", "Zürich", "日本", "long word"]
    array = pa.array(words, kind).slice(1, 3)

    assert arrow_buffers.strings(array) == ["", "Zürich", "日本"]


def test_bits_start_at_a_bit_inside_a_byte() -> None:
    booleans = pa.array([True, False, True, True, False, False, True, False, True, True])
    sliced = booleans.slice(3, 6)

    found = arrow_buffers.bits(sliced.buffers()[1], sliced.offset, len(sliced))

    assert found.tolist() == [True, False, False, True, False, True]
