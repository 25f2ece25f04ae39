"""One router per resource: predictions (per model), models, health and metrics."""

__all__: list[str] = []
