"""Choosing an engine by name; an engine that is not installed says which extra brings it."""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from monitml.errors import ConfigError
from monitml.monitor.chunk_summary import Part, SummaryPlan
from monitml.store.partitions import LogFragment

__all__ = ["ENGINES", "Engine", "get_engine"]

# name → (module, the packages it needs, the extra that installs them)
_MODULES: dict[str, tuple[str, tuple[str, ...], str | None]] = {
    "local": ("monitml.engines.local", (), None),
    "dask": ("monitml.engines.dask_engine", ("distributed",), "dask"),
    "spark": ("monitml.engines.spark_engine", ("pyspark",), "spark"),
}
ENGINES = tuple(_MODULES)


class Engine(Protocol):
    """Summarise every file of a plan wherever the engine runs, and hand back each file's
    parts in the order of ``fragments`` (as they are done: the driver scores a chunk once
    its files are in); close what it started."""

    def __call__(
        self, plan: SummaryPlan, fragments: Sequence[LogFragment]
    ) -> Iterable[list[Part]]: ...

    def close(self) -> None: ...


def get_engine(name: str, *, workers: int = 2, master: str | None = None) -> Engine:
    """The engine ``name`` (one of ``ENGINES``) with ``workers`` processes, or on ``master``
    (a Dask scheduler address, a Spark master URL) when given."""
    if name not in _MODULES:
        raise ConfigError(f"--engine: unknown engine '{name}'; choose one of {', '.join(ENGINES)}")
    if workers < 1:
        raise ConfigError(f"--workers: an engine needs at least one worker, got {workers}")
    module, needs, extra = _MODULES[name]
    for package in needs:
        try:
            importlib.import_module(package)
        except ImportError as error:
            raise ConfigError(
                f"--engine {name}: {package.split('.')[0]} is not installed "
                f"({error}); install the extra: pip install 'monitml[{extra}]'"
            ) from error
    engine: Engine = importlib.import_module(module).open_engine(workers=workers, master=master)
    return engine
