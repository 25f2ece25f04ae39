"""app layer."""

__all__: list[str] = []
