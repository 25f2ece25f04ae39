"""Keep numpy's sort off its AVX-512 code on AMD Zen 4, where that code is several times slower.

Summaries and drift statistics sort every compared column (``np.sort``). From 2.0 numpy sorts
with x86-simd-sort's AVX-512 kernels wherever the CPU has AVX-512; on Zen 4 their
compress-store instruction is microcoded (about 140 cycles), so a 500,000-value float64 sort
takes about 30 ms there, against about 7 ms on numpy's AVX2 kernels (measured on this
project's 2-core Zen 4 machines; numpy/numpy#32690 and numpy/x86-simd-sort#6 discuss it).
Intel's AVX-512 and Zen 5 do not have the problem, and Zen 3 has no AVX-512.

numpy picks its kernels once, when it is imported, from ``NPY_DISABLE_CPU_FEATURES``. So the
``monitml`` command sets that variable for itself before anything imports numpy, and the
engines set it for the worker processes they start, only on Zen 4 with numpy 2.4 or later
(the feature names this relies on), and never when the variable is already set: setting
``NPY_DISABLE_CPU_FEATURES`` (even to nothing) keeps numpy's own choice. Importing MonitML as
a library changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, MutableMapping
from importlib import metadata
from pathlib import Path

__all__ = ["ZEN4_SORT_FEATURES", "apply", "is_zen4", "sort_environment"]

VARIABLES = ("NPY_DISABLE_CPU_FEATURES", "NPY_ENABLE_CPU_FEATURES")
# numpy 2.4's dispatch targets holding x86-simd-sort's AVX-512 kernels.
ZEN4_SORT_FEATURES = "X86_V4 AVX512_ICL AVX512_SPR"
_ZEN4_FAMILY = 25  # 0x19: Zen 3 and Zen 4; only Zen 4 has AVX-512
_FIRST_NAMED_NUMPY = (2, 4)  # the first numpy whose targets carry these names


def is_zen4(cpuinfo: str) -> bool:
    """Whether ``cpuinfo`` (the text of /proc/cpuinfo) describes an AMD Zen 4 processor."""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break  # the first processor is enough: a machine's are alike
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    try:
        family = int(fields.get("cpu family", ""))
    except ValueError:
        return False
    return (
        fields.get("vendor_id") == "AuthenticAMD"
        and family == _ZEN4_FAMILY
        and "avx512f" in fields.get("flags", "").split()
    )


def _numpy_version() -> tuple[int, int] | None:
    try:
        major, minor, *_ = metadata.version("numpy").split(".")
        return int(major), int(minor)
    except (metadata.PackageNotFoundError, ValueError):
        return None


def _cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def sort_environment(
    environ: Mapping[str, str] | None = None,
    *,
    cpuinfo: str | None = None,
    numpy_version: tuple[int, int] | None = None,
) -> dict[str, str]:
    """The variables a process (not yet importing numpy) needs for fast sorts here: empty
    unless on Zen 4 with numpy 2.4 or later and neither numpy variable set in ``environ``."""
    environ = os.environ if environ is None else environ
    if any(name in environ for name in VARIABLES):
        return {}
    version = _numpy_version() if numpy_version is None else numpy_version
    if version is None or version < _FIRST_NAMED_NUMPY:
        return {}
    if not is_zen4(_cpuinfo() if cpuinfo is None else cpuinfo):
        return {}
    return {"NPY_DISABLE_CPU_FEATURES": ZEN4_SORT_FEATURES}


def apply(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Set :func:`sort_environment`'s variables in ``environ`` (this process's by default:
    numpy imported after this, and every process started after it, sorts fast); returns them."""
    target = os.environ if environ is None else environ
    chosen = sort_environment(target)
    target.update(chosen)
    return chosen
