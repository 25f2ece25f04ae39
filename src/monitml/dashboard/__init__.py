"""dashboard layer."""

__all__: list[str] = []
