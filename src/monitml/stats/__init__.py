"""stats layer."""

__all__: list[str] = []
