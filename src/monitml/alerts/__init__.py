"""alerts layer."""

__all__: list[str] = []
