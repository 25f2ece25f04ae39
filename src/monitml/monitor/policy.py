"""How the monitor windows data and how rarely it may cry wolf."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MonitorPolicy"]


@dataclass(frozen=True, slots=True)
class MonitorPolicy:
    """Window and false-alarm settings of one monitored model.

    ``false_alarm_windows`` is the expected number of undrifted windows between two false
    alarms (an expected run time, as in Alibi Detect's online detectors): each window is
    tested at family level ``1 / false_alarm_windows``, split evenly across the features
    (Bonferroni). The default, 10,000, keeps the chance of any false alarm over 100 windows
    below 1%.

    ``multivariate`` adds PCA reconstruction and domain-classifier drift to every window (the
    classifier costs seconds per window).
    """

    window_rows: int | None = 1_000
    window_seconds: float | None = None
    min_rows: int = 100
    false_alarm_windows: float = 10_000.0
    method: str = "auto"
    share_threshold: float = 0.5
    multivariate: bool = False

    def __post_init__(self) -> None:
        if (self.window_rows is None) == (self.window_seconds is None):
            raise ValueError("a window needs exactly one of 'rows' and 'period'")
        if self.window_rows is not None and self.window_rows < 1:
            raise ValueError(
                f"The 'rows' window must be a positive integer. Got {self.window_rows!r} instead."
            )
        if self.window_seconds is not None and self.window_seconds <= 0:
            raise ValueError(
                f"The 'period' window must be positive. Got {self.window_seconds!r} instead."
            )
        if self.min_rows < 1:
            raise ValueError(
                f"'min_rows' must be a positive integer. Got {self.min_rows!r} instead."
            )
        if self.false_alarm_windows <= 1:
            raise ValueError(
                "'false_alarm_windows' must be greater than 1. "
                f"Got {self.false_alarm_windows!r} instead."
            )

    def feature_alpha(self, features: int) -> float:
        """Per-feature significance level of one window."""
        return 1.0 / self.false_alarm_windows / max(features, 1)
