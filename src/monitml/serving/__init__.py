"""serving layer."""

__all__: list[str] = []
