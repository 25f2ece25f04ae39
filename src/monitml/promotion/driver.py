"""The promotion driver: each monitor pass, judge every due step and apply what the plan says.

One :meth:`PromotionDriver.tick` per monitor pass (``monitml monitor``, or the monitor embedded
in ``monitml serve``; only the process holding the monitor lease runs passes). For each
promotion under way in the store it:

1. re-saves the state's routing when the store's differs (a crash between routing and state,
   or a ``PUT …/routing`` made during the promotion: the promotion owns the routing of its
   model while it runs);
2. records the gateway's request counters when the step has none yet (the error-rate baseline:
   taken when this driver starts a step, else at most one pass after it began);
3. once the step's ``interval`` has passed, reads the window since the step started, pairs the
   two versions' predictions on the same requests (each version's logged answers, and the
   other version replayed on them here, off the gateway's request path), runs the checks
   (``monitml.promotion.checks``), and applies the verdict (``monitml.promotion.delivery``);
4. records the step's figures as a monitor result of kind ``promotion``.

What is guaranteed, and what is not: the state is re-read from the store before it is
written, so a ``pause`` or ``abort`` saved by the CLI while the checks ran is kept and the
verdict dropped; a step is judged on at most ``REPLAY_ROWS`` of its newest requests.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from prometheus_client.parser import text_string_to_metric_families

from monitml.errors import ModelError, MonitmlError
from monitml.promotion import checks
from monitml.promotion import plan as machine
from monitml.promotion.delivery import Notifier, apply, load
from monitml.promotion.estimated import LABEL, PREDICTION, LabelFreeEstimates, frame_of, records
from monitml.promotion.plan import Check, Promotion, Verdict
from monitml.serving.loaders import Predictor
from monitml.store import PredictionStore

__all__ = ["REPLAY_ROWS", "ModelSetup", "PromotionDriver", "gateway_counters"]

logger = logging.getLogger(__name__)

REPLAY_ROWS = 5_000  # a step is judged on at most this many of its newest requests


def gateway_counters(text: str, model: str) -> dict[str, dict[str, float]]:
    """``{"requests": {version: n}, "errors": {version: n}}`` of ``model`` from /metrics text."""
    requests: dict[str, float] = defaultdict(float)
    errors: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name != "monitml_requests_total" or sample.labels.get("model") != model:
                continue
            version = sample.labels.get("version", "")
            requests[version] += sample.value
            if sample.labels.get("status") == "error":
                errors[version] += sample.value
    return {"requests": dict(requests), "errors": dict(errors)}


@dataclass
class ModelSetup:
    """What the driver needs of one model: its task, features and loaded versions."""

    task: str
    features: list[str]
    predictor: Callable[[str], Predictor]  # ModelError when the version cannot be loaded
    estimates: LabelFreeEstimates | None = None


@dataclass(frozen=True)
class _Paired:
    """One step's requests with both versions' answers (``None`` columns when unavailable)."""

    features: pd.DataFrame
    challenger: pd.DataFrame  # prediction (+ proba_*) of the challenger on every request
    champion: pd.DataFrame
    labels: pd.Series
    latency: dict[str, np.ndarray[Any, Any]]
    challenger_rows: int
    note: str = ""


class PromotionDriver:
    """Drives the promotions saved in ``store`` for the models ``setup`` knows."""

    def __init__(
        self,
        store: PredictionStore,
        setup: Callable[[str], ModelSetup | None],
        *,
        notify: Notifier | None = None,
        read_gateway_metrics: Callable[[], str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self._setup = setup
        self._setups: dict[str, ModelSetup | None] = {}
        self.notify = notify
        self.read_gateway_metrics = read_gateway_metrics
        self.clock = clock

    def setup(self, model: str) -> ModelSetup | None:
        if model not in self._setups:
            self._setups[model] = self._setup(model)
        return self._setups[model]

    def tick(self, now: float | None = None) -> list[Promotion]:
        """Drive every promotion under way once; return their states after this tick."""
        now = self.clock() if now is None else now
        driven: list[Promotion] = []
        for model, saved in self.store.list_promotions().items():
            if saved.get("status") not in machine.ACTIVE or self.setup(model) is None:
                continue
            try:
                driven.append(self._drive(model, now))
            except MonitmlError as error:  # one model's trouble must not stop the others
                logger.warning("promotion of %s: %s", model, error)
        return driven

    def _drive(self, model: str, now: float) -> Promotion:
        state = load(self.store, model)
        if state is None or not state.active:
            raise MonitmlError("the promotion was removed or finished meanwhile")
        self._heal_routing(state)
        if state.status == "paused":
            return state
        state = self._with_baseline(state)
        if not machine.is_due(state, now):
            return state
        verdict = self.evaluate(state, now)
        latest = load(self.store, model)
        if latest is None or latest.updated_at != state.updated_at or latest.status != "running":
            return latest if latest is not None else state  # changed by hand while we judged
        transition = machine.judge(state, verdict, now=now)
        after = apply(self.store, transition, notify=self.notify)
        self._record(state, after, verdict, now)
        return self._with_baseline(after)

    def _with_baseline(self, state: Promotion) -> Promotion:
        """The running step with the gateway's counters at its start recorded (saved)."""
        if state.status != "running" or state.baseline or self.read_gateway_metrics is None:
            return state
        counters = gateway_counters(self.read_gateway_metrics(), state.model)
        state = replace(state, baseline=counters)
        self.store.save_promotion(state.model, state.to_dict())
        return state

    def _heal_routing(self, state: Promotion) -> None:
        wanted = state.routing()
        saved = self.store.load_routing().get(state.model)
        if saved is None or saved.weights != wanted.weights or saved.shadow != wanted.shadow:
            self.store.save_routing(state.model, wanted.weights, list(wanted.shadow))

    def _record(self, before: Promotion, after: Promotion, verdict: Verdict, now: float) -> None:
        self.store.save_monitor_result(
            {
                "model": before.model,
                "version": before.challenger,
                "kind": "promotion",
                "run_at": now,
                "window_start": before.step_started_at,
                "window_end": now,
                "payload": {
                    "outcome": verdict.outcome,
                    "rows": verdict.rows,
                    "step": before.step,
                    "weight": before.weight,
                    "status": after.status,
                    "checks": [c.to_dict() for c in verdict.checks],
                },
            }
        )

    # -- the checks --------------------------------------------------------------------------

    def evaluate(self, state: Promotion, now: float) -> Verdict:
        """The step's checks on the window from the step's start to ``now``."""
        setup = self.setup(state.model)
        if setup is None:
            raise MonitmlError(f"{state.model} is not configured")
        plan = state.plan
        after = None
        if self.read_gateway_metrics is not None:
            after = gateway_counters(self.read_gateway_metrics(), state.model)
        found: list[Check] = [
            checks.error_rate_check(
                state.baseline or None,
                after,
                champion=state.champion,
                challenger=state.challenger,
                max_error_rate=plan.max_error_rate,
            )
        ]
        paired = self._paired(state, setup, now)
        found.append(
            checks.latency_check(
                paired.latency.get(state.challenger, np.array([])),
                paired.latency.get(state.champion, np.array([])),
                max_ratio=plan.max_latency_ratio,
            )
        )
        if paired.note:
            found.append(Check("prediction_drift", None, f"prediction drift: {paired.note}"))
        else:
            found.extend(self._quality(state, setup, paired))
        return Verdict.of(found, rows=paired.challenger_rows, min_rows=plan.min_rows)

    def _quality(self, state: Promotion, setup: ModelSetup, paired: _Paired) -> list[Check]:
        plan = state.plan
        ours, theirs = paired.challenger[PREDICTION], paired.champion[PREDICTION]
        found = [
            checks.prediction_drift_check(
                ours.to_numpy(), theirs.to_numpy(), task=setup.task,
                max_effect=plan.max_prediction_drift,
            )
        ]  # fmt: skip
        labelled = paired.labels.notna().to_numpy()
        if int(labelled.sum()) >= plan.min_rows:
            found.append(
                checks.performance_check(
                    paired.labels[labelled].to_numpy(),
                    ours[labelled].to_numpy(),
                    theirs[labelled].to_numpy(),
                    task=setup.task,
                    max_drop=plan.max_metric_drop,
                )
            )
        elif setup.estimates is not None:
            estimates: list[float | None] = []
            for version, answers in ((state.challenger, paired.challenger),
                                     (state.champion, paired.champion)):  # fmt: skip
                frame = pd.concat([paired.features, answers], axis=1).assign(**{LABEL: np.nan})
                try:
                    predictor = setup.predictor(version)
                except ModelError:
                    estimates.append(None)
                    continue
                estimates.append(setup.estimates.estimate(version, predictor, frame))
            found.append(
                checks.estimated_check(
                    setup.estimates.metric, estimates[0], estimates[1],
                    max_drop=plan.max_metric_drop,
                )
            )  # fmt: skip
        else:
            found.append(Check("performance", None, "performance: too few labels to judge"))
        return found

    def _paired(self, state: Promotion, setup: ModelSetup, now: float) -> _Paired:
        window = self.store.read_window(state.model, start=state.step_started_at, end=now)
        window = window[window["version"].isin([state.champion, state.challenger])]
        window = window.tail(REPLAY_ROWS).reset_index(drop=True)
        served = window["version"].to_numpy()
        latency = {
            version: window.loc[served == version, "latency_seconds"].to_numpy(dtype=float)
            for version in (state.champion, state.challenger)
        }
        features = window[[f for f in setup.features if f in window.columns]]
        challenger_rows = int((served == state.challenger).sum())
        empty = pd.DataFrame({PREDICTION: []})
        base = _Paired(features, empty, empty, window["label"], latency, challenger_rows)
        if window.empty:
            return replace(base, note="no request in this step yet")
        answers: dict[str, pd.DataFrame] = {}
        for version in (state.champion, state.challenger):
            try:
                answers[version] = self._answers(window, features, version, setup)
            except ModelError as error:
                return replace(base, note=f"cannot replay {version}: {error}")
        return replace(base, challenger=answers[state.challenger], champion=answers[state.champion])

    def _answers(
        self, window: pd.DataFrame, features: pd.DataFrame, version: str, setup: ModelSetup
    ) -> pd.DataFrame:
        """``version``'s answer to every request: logged where it served, replayed elsewhere."""
        own = (window["version"] == version).to_numpy()
        scores = [c for c in window.columns if str(c).startswith("proba_")]
        logged = window[[PREDICTION, *scores]]
        if own.all():
            return logged.reset_index(drop=True)
        replayed = frame_of(
            features[~own], setup.predictor(version).predict(records(features[~own]))
        ).reindex(columns=logged.columns)
        replayed.index = np.flatnonzero(~own)
        combined = pd.concat([logged[own], replayed]).sort_index()
        if setup.task == "regression":
            combined[PREDICTION] = combined[PREDICTION].astype(float)
        return combined.reset_index(drop=True)
