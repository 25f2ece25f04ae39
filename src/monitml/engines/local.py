"""The local engine: every file summarised in this process, one after the other.

Memory holds a few of one file's columns at a time (``monitor.chunk_summary``) and the
summaries of the chunks still open, never the range's rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from monitml.monitor.chunk_summary import Part, SummaryPlan, summarise_fragment
from monitml.store.partitions import LogFragment

__all__ = ["LocalEngine", "open_engine"]


class LocalEngine:
    def __call__(self, plan: SummaryPlan, fragments: Sequence[LogFragment]) -> Iterator[list[Part]]:
        for fragment in fragments:
            yield summarise_fragment(plan, fragment)

    def close(self) -> None:
        """Nothing to stop."""


def open_engine(*, workers: int = 1, master: str | None = None) -> LocalEngine:
    """One process; ``workers`` and ``master`` do not apply."""
    return LocalEngine()
