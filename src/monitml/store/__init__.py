"""store layer."""

__all__: list[str] = []
