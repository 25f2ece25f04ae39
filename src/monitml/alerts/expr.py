"""Alert conditions: ``metric{label="value", ...} OP number``.

The grammar is the PromQL subset that makes sense for one signal against a threshold::

    prediction_mean < 100000
    feature_drift_score{feature="gr_liv_area"} > 0.2
    missing_values_ratio{feature!="id"} >= 0.1

Operators: ``<  <=  >  >=  ==  !=``. Matchers: ``=`` and ``!=`` on the labels the metric has
beyond ``model`` and ``version`` (those two come from the rule's own fields).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from monitml.alerts.metrics import Matcher, metric, render_selector
from monitml.errors import ConfigError

__all__ = ["OPERATORS", "Condition", "ExprError", "format_number", "parse_expr"]

OPERATORS = ("<=", ">=", "==", "!=", "<", ">")  # two-character operators first

_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
_STRING = r'"(?:[^"\\]|\\.)*"'
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_EXPR = re.compile(
    rf"^\s*(?P<metric>{_NAME})\s*(?:\{{(?P<matchers>[^}}]*)\}})?\s*"
    rf"(?P<op><=|>=|==|!=|<|>)\s*(?P<number>{_NUMBER})\s*$"
)
_MATCHER = re.compile(rf"\s*(?P<label>{_NAME})\s*(?P<op>!=|=)\s*(?P<value>{_STRING})\s*")


class ExprError(ConfigError, ValueError):
    """An alert ``expr`` does not parse or names an unknown metric or label."""


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed ``expr``: which series it selects and the threshold they are held to."""

    metric: str
    matchers: tuple[Matcher, ...]
    op: str
    threshold: float

    def selects(self, name: str, labels: Mapping[str, str]) -> bool:
        """Whether a sample of ``name`` with ``labels`` is one this condition watches."""
        return name == self.metric and all(m.matches(labels.get(m.label)) for m in self.matchers)

    def holds(self, value: float) -> bool:
        """``value OP threshold``; NaN never holds, as in Prometheus."""
        if math.isnan(value):
            return False
        t = self.threshold
        return {
            "<": value < t,
            "<=": value <= t,
            ">": value > t,
            ">=": value >= t,
            "==": value == t,
            "!=": value != t,
        }[self.op]

    def __str__(self) -> str:
        selector = render_selector(self.metric, self.matchers)
        return f"{selector} {self.op} {format_number(self.threshold)}"


def format_number(value: float) -> str:
    """Shortest text that reads back as ``value``: 100000.0 → ``100000``, 0.05 → ``0.05``."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def parse_expr(text: str) -> Condition:
    """Parse ``text``; errors name what is wrong and, for a metric, the valid names.

    >>> str(parse_expr('feature_drift_score{feature="gr_liv_area"}>0.2'))
    'feature_drift_score{feature="gr_liv_area"} > 0.2'
    """
    match = _EXPR.match(text)
    if match is None:
        raise ExprError(
            f"cannot parse alert expr {text!r}: expected 'metric OP number' or "
            f"'metric{{label=\"value\"}} OP number' with OP one of {' '.join(OPERATORS)}"
        )
    name = match["metric"]
    try:
        definition = metric(name)
    except KeyError as exc:
        raise ExprError(str(exc.args[0])) from None
    matchers = _parse_matchers(text, match["matchers"] or "")
    for m in matchers:
        if m.label in ("model", "version"):
            raise ExprError(
                f"alert expr {text!r} matches on {m.label!r}: set the rule's "
                f"{m.label!r} field instead"
            )
        if m.label not in definition.labels:
            allowed = ", ".join(definition.labels) or "none"
            raise ExprError(f"metric {name!r} has no label {m.label!r} (labels it has: {allowed})")
    threshold = float(match["number"])
    if not math.isfinite(threshold):
        raise ExprError(f"alert expr {text!r} needs a finite threshold")
    return Condition(name, tuple(matchers), match["op"], threshold)


def _parse_matchers(text: str, inner: str) -> list[Matcher]:
    if not inner.strip():
        return []
    matchers: list[Matcher] = []
    for part in _split_commas(inner):
        found = _MATCHER.fullmatch(part)
        if found is None:
            raise ExprError(f"cannot parse label matcher {part.strip()!r} in alert expr {text!r}")
        raw = found["value"][1:-1]
        value = re.sub(r"\\(.)", r"\1", raw)
        matchers.append(Matcher(found["label"], found["op"], value))
    labels = [m.label for m in matchers]
    if len(set(labels)) != len(labels):
        raise ExprError(f"alert expr {text!r} matches the same label twice")
    return matchers


def _split_commas(inner: str) -> list[str]:
    """Split on commas outside quoted strings; a trailing comma is allowed, as in PromQL."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in inner:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    if parts and not parts[-1].strip():
        parts.pop()
    return parts
