"""Act on what the monitor found: retrain a challenger, register it, promote it through the canary.

The layer sits above the gateway and the monitor (it loads models the way the gateway does and
compares windows the way the monitor does) and below the composition root, which wires the
promotion driver into the monitor's loop and the ``retrain`` alert action into the alert engine.
"""

__all__: list[str] = []
