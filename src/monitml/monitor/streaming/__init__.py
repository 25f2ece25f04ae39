"""Streaming drift detectors (river's ADWIN, DDM and Page-Hinkley) on per-event signals."""

from monitml.monitor.streaming.adwin import ADWIN
from monitml.monitor.streaming.base import (
    DEFAULT_RUN_LENGTH,
    STREAMING_REGISTRY,
    StreamingDetector,
    get_detector,
    register_detector,
)
from monitml.monitor.streaming.ddm import DDM
from monitml.monitor.streaming.feeder import (
    DEFAULT_DETECTORS,
    StreamingPolicy,
    StreamMonitor,
    StreamUpdate,
)
from monitml.monitor.streaming.page_hinkley import PageHinkley

__all__ = [
    "ADWIN",
    "DDM",
    "DEFAULT_DETECTORS",
    "DEFAULT_RUN_LENGTH",
    "STREAMING_REGISTRY",
    "PageHinkley",
    "StreamMonitor",
    "StreamUpdate",
    "StreamingDetector",
    "StreamingPolicy",
    "get_detector",
    "register_detector",
]
