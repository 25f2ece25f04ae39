"""Durations written the Prometheus way (``30s``, ``5m``, ``1h30m``), held as float seconds."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["Duration", "format_duration", "parse_duration"]

_UNITS = {"y": 365 * 86400.0, "w": 7 * 86400.0, "d": 86400.0, "h": 3600.0, "m": 60.0, "s": 1.0}
_UNITS["ms"] = 0.001
# Units in Prometheus' order, each at most once: 1h30m is valid, 30m1h is not.
_DURATION = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)
_ORDER = ("y", "w", "d", "h", "m", "s", "ms")


def parse_duration(value: Any) -> float:
    """``"1h30m"`` → 5400.0; a plain number is seconds.

    >>> parse_duration("1m30s"), parse_duration("250ms"), parse_duration(10)
    (90.0, 0.25, 10.0)
    """
    if isinstance(value, bool):
        raise ValueError(f"a duration must be like 30s, 5m or 1h. Got {value!r} instead.")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            match = _DURATION.match(text)
            if not text or match is None:
                raise ValueError(
                    f"a duration must be like 30s, 5m or 1h30m. Got {value!r} instead."
                ) from None
            seconds = sum(
                int(amount) * _UNITS[unit]
                for amount, unit in zip(match.groups(), _ORDER, strict=True)
                if amount is not None
            )
    else:
        raise ValueError(f"a duration must be like 30s, 5m or 1h. Got {value!r} instead.")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be zero or positive. Got {value!r} instead.")
    return seconds


def format_duration(seconds: float) -> str:
    """Seconds as a Prometheus duration, largest units first.

    >>> format_duration(5400), format_duration(0.25), format_duration(0)
    ('1h30m', '250ms', '0s')
    """
    millis = round(seconds * 1000)
    if millis <= 0:
        return "0s"
    parts: list[str] = []
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        amount, millis = divmod(millis, size)
        if amount:
            parts.append(f"{amount}{unit}")
    if millis:
        parts.append(f"{millis}ms")
    return "".join(parts)


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""A duration in seconds that config files may write as ``30s``, ``5m`` or ``1h30m``."""
