"""The composition root: reads settings and wires store, models, gateway and monitor together."""

__all__: list[str] = []
