"""monitor layer."""

__all__: list[str] = []
