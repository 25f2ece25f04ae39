"""The demo: the seeds' two stories, end to end on the embedded default (``monitml demo``)."""

from monitml.demo.runner import DemoOutcome, run_demo

__all__ = ["DemoOutcome", "run_demo"]
