"""numpy's AVX2 sort on Zen 4 only, never over a user's own choice of numpy's kernels."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitml import numpy_dispatch

ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC 9554 64-Core Processor
flags\t\t: fpu sse2 avx avx2 avx512f avx512dq avx512bw avx512vl

processor\t: 1
vendor_id\t: AuthenticAMD
"""
ZEN3 = ZEN4.replace(" avx512f avx512dq avx512bw avx512vl", "")
ZEN5 = ZEN4.replace("cpu family\t: 25", "cpu family\t: 26")
XEON = ZEN4.replace("AuthenticAMD", "GenuineIntel").replace("cpu family\t: 25", "cpu family\t: 6")


@pytest.mark.parametrize(
    ("cpuinfo", "expected"),
    [
        pytest.param(ZEN4, True, id="zen4"),
        pytest.param(ZEN3, False, id="zen3-no-avx512"),
        pytest.param(ZEN5, False, id="zen5"),
        pytest.param(XEON, False, id="intel-avx512"),
        pytest.param("", False, id="no-cpuinfo"),
        pytest.param("vendor_id: AuthenticAMD\ncpu family: ?\n", False, id="garbled"),
    ],
)
def test_only_zen4_is_recognised(cpuinfo: str, expected: bool) -> None:
    assert numpy_dispatch.is_zen4(cpuinfo) is expected


def test_on_zen4_with_numpy_2_4_the_avx512_sort_targets_are_disabled() -> None:
    chosen = numpy_dispatch.sort_environment({}, cpuinfo=ZEN4, numpy_version=(2, 4))
    assert chosen == {"NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"}


@pytest.mark.parametrize(
    ("environ", "cpuinfo", "version"),
    [
        pytest.param({"NPY_DISABLE_CPU_FEATURES": ""}, ZEN4, (2, 4), id="user-set-empty"),
        pytest.param({"NPY_ENABLE_CPU_FEATURES": "X86_V3"}, ZEN4, (2, 4), id="user-enabled"),
        pytest.param({}, ZEN4, (2, 3), id="older-numpy-other-names"),
        pytest.param({}, XEON, (2, 4), id="intel"),
    ],
)
def test_nothing_is_set_elsewhere_or_over_the_users_choice(
    environ: dict[str, str], cpuinfo: str, version: tuple[int, int]
) -> None:
    assert numpy_dispatch.sort_environment(environ, cpuinfo=cpuinfo, numpy_version=version) == {}


def test_apply_sets_the_variables_in_the_environment_it_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(numpy_dispatch, "_cpuinfo", lambda: ZEN4)
    monkeypatch.setattr(numpy_dispatch, "_numpy_version", lambda: (2, 4))
    environ = {"PATH": "/usr/bin"}
    assert numpy_dispatch.apply(environ) == {
        "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR"
    }
    assert environ["NPY_DISABLE_CPU_FEATURES"] == "X86_V4 AVX512_ICL AVX512_SPR"
    assert numpy_dispatch.apply(environ) == {}  # set once: now it is the environment's own


def test_the_names_it_disables_are_numpy_dispatch_targets_so_numpy_imports_without_a_warning() -> (
    None
):
    """numpy warns on a name it does not dispatch on; this numpy must know all three."""
    environ = {**os.environ, "NPY_DISABLE_CPU_FEATURES": numpy_dispatch.ZEN4_SORT_FEATURES}
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import numpy"],
        env=environ,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_monitml_command_sets_it_for_itself_before_numpy_loads() -> None:
    """The command's own numpy sees the same choice as sort_environment makes on this machine."""
    environ = {k: v for k, v in os.environ.items() if k not in numpy_dispatch.VARIABLES}
    expected = numpy_dispatch.sort_environment(environ).get("NPY_DISABLE_CPU_FEATURES", "")
    probe = (
        "import os, sys; from monitml.cli import main as m; sys.argv = ['monitml', '--help'];\n"
        "try:\n    m.main()\nexcept SystemExit:\n    pass\n"
        "import numpy; print(repr(os.environ.get('NPY_DISABLE_CPU_FEATURES', '')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent,
    )
    assert done.stdout.strip().splitlines()[-1] == repr(expected)
