"""Why a window drifted, and where: features ranked by impact, segments that moved, performance
per segment. Works on frames and drift payloads; the monitor, the check and the reports call it.
"""

__all__: list[str] = []
