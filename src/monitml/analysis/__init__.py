"""analysis layer."""

__all__: list[str] = []
