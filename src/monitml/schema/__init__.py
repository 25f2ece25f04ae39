"""schema layer."""

__all__: list[str] = []
