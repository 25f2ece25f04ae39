"""Every drift method by key: look-ups that error messages and options are built from.

Importing this module imports the built-in methods, which register themselves; the registry
itself (``monitml.stats.registry``) imports none of them, so nothing imports in a circle.
"""

from __future__ import annotations

# Imported for their side effect: each built-in method registers itself.
import monitml.stats.auto
import monitml.stats.methods  # noqa: F401
from monitml.errors import UnknownMethodError
from monitml.stats.registry import REGISTRY, DriftMethod
from monitml.stats.result import ColumnKind

__all__ = ["get_method", "method_keys", "methods_for"]


def method_keys() -> list[str]:
    """Every registered method key, sorted."""
    return sorted(REGISTRY)


def methods_for(kind: ColumnKind) -> list[str]:
    """Keys of the methods that accept a column of ``kind``."""
    return sorted(key for key, cls in REGISTRY.items() if kind in cls.kinds)


def get_method(key: str, threshold: float | None = None) -> DriftMethod:
    """A new, unfitted method by key; an unknown key lists the valid ones."""
    cls = REGISTRY.get(key)
    if cls is None:
        raise UnknownMethodError(
            f"unknown drift method '{key}'; valid methods: {', '.join(sorted(REGISTRY))}"
        )
    return cls(threshold)
