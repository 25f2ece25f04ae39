"""Number formatting for reports: a few significant digits, never ``nan`` on the page.

Every formatter accepts anything (``None``, NaN, infinities, numpy scalars, strings) and returns
display text, because a payload is data from elsewhere and a report must render whatever it holds.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MISSING", "as_float", "fmt_count", "fmt_number", "fmt_pvalue", "fmt_share"]

MISSING = "—"
"""What a missing or non-finite value shows as."""


def as_float(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` when it is missing, not a number or not finite.

    >>> as_float(3), as_float(float("nan")), as_float(None), as_float(True)
    (3.0, None, None, None)
    """
    if value is None or isinstance(value, bool | str | bytes):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _scientific(value: float, digits: int) -> str:
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def fmt_number(value: Any, digits: int = 3) -> str:
    """``value`` with ``digits`` significant digits; thousands separated, tiny values scientific.

    >>> [fmt_number(v) for v in (0, 0.12, 12.3456, 123456.7, 0.000123, -2.5, None)]
    ['0', '0.12', '12.3', '123,457', '1.23e-4', '-2.5', '—']
    """
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    number = as_float(value)
    if number is None:
        return MISSING
    if number == 0:
        return "0"
    magnitude = abs(number)
    if magnitude >= 10 ** (digits - 1):
        return f"{number:,.0f}"
    if magnitude < 1e-3:
        return _scientific(number, digits)
    decimals = max(0, digits - 1 - math.floor(math.log10(magnitude)))
    text = f"{number:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_pvalue(value: Any) -> str:
    """A p-value: scientific below 0.001, and a bound rather than ``0`` when it underflowed.

    >>> [fmt_pvalue(v) for v in (0.2346, 0.0123, 1e-9, 0.0, None)]
    ['0.235', '0.0123', '1.0e-9', '< 1e-300', '—']
    """
    number = as_float(value)
    if number is None:
        return MISSING
    if number <= 0:
        return "< 1e-300"
    if number < 1e-3:
        return _scientific(number, 2)
    return fmt_number(number, 3)


def fmt_share(value: Any, digits: int = 1) -> str:
    """A share in [0, 1] as a percentage; a tiny non-zero share is not shown as ``0.0%``.

    >>> [fmt_share(v) for v in (0.25, 0.0004, 0, 1, None)]
    ['25.0%', '<0.1%', '0.0%', '100.0%', '—']
    """
    number = as_float(value)
    if number is None:
        return MISSING
    floor = 10.0**-digits
    if 0 < number * 100 < floor:
        return f"<{floor:.{digits}f}%"
    return f"{number * 100:.{digits}f}%"


def fmt_count(value: Any) -> str:
    """A count with thousands separators.

    >>> fmt_count(9700), fmt_count(None)
    ('9,700', '—')
    """
    number = as_float(value)
    if number is None:
        return MISSING
    return f"{round(number):,}"
