"""The examples in the streaming modules' docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["calibration", "adwin", "ddm", "page_hinkley", "signals"]


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_of_each_streaming_module_pass(name: str) -> None:
    module = importlib.import_module(f"monitml.monitor.streaming.{name}")
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert attempted > 0
    assert failed == 0
