"""stats/methods layer."""

__all__: list[str] = []
