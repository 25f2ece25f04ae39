"""Engines that summarise the files of a partitioned log where they run, for the driver to merge.

Each engine is a thin adapter over ``monitml.monitor.chunk_summary.summarise_fragment``: it
hands back the parts of every file (version, chunk start, encoded summary), file by file in
order, and ``run_summary_check`` merges them and draws the verdicts as they arrive.
``local`` runs in this process; ``dask`` and ``spark`` are optional extras, imported only
when chosen.

>>> summarise = get_engine("local")                       # doctest: +SKIP
>>> check = run_summary_check(store, monitor, fragments, summarise, ...)  # doctest: +SKIP
"""

from __future__ import annotations

from monitml.engines.base import ENGINES, Engine, get_engine

__all__ = ["ENGINES", "Engine", "get_engine"]
