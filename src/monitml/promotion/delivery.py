"""Start, pause, resume and abort promotions: apply the state machine's transitions to a store.

What is guaranteed, and what is not:

- Every transition is applied in one order: the routing first (``store.save_routing``; gateway
  replicas take it within about a second), then the state, saved whole
  (``store.save_promotion``), then the notification. A process killed between the routing and
  the state leaves the routing one step ahead of the saved state; the driver's next tick saves
  the routing of the state again (it is idempotent), so nothing is served that the state does
  not name for longer than one tick.
- A notification is handed to the alert dispatcher after the state is saved: a crash in
  between loses it (the state's ``history`` keeps the event and its reason).
- The state document is last-writer-wins. The driver (only the monitor holding the lease runs
  it) re-reads the state before each tick, so a ``pause`` or ``abort`` saved by the CLI in
  between is seen; one saved while a tick is judging the same step may be overwritten by it
  (``monitml promote status`` shows which won).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from monitml.alerts.notification import Alert, Notification, group_key
from monitml.errors import MonitmlError
from monitml.promotion import plan as machine
from monitml.promotion.plan import Notify, Promotion, Transition
from monitml.promotion.settings import PromotionConfig
from monitml.store import PredictionStore

__all__ = [
    "Notifier",
    "PromotionError",
    "abort_promotion",
    "apply",
    "load",
    "notification",
    "pause_promotion",
    "resume_promotion",
    "start_promotion",
]

ALERT_NAME = "MonitmlPromotion"
Notifier = Callable[[list[Notification]], None]


class PromotionError(MonitmlError):
    """A promotion cannot be started or changed as asked; the message says why."""


def notification(state: Promotion, note: Notify, now: float) -> Notification:
    """One alert-channel notification for a promotion event (Flagger-like ``summary``)."""
    labels = {
        "alertname": ALERT_NAME,
        "model": state.model,
        "version": state.challenger,
        "event": note.event,
        "severity": "warning" if note.event in ("held", "rolled_back", "aborted") else "info",
    }
    annotations = {"summary": note.summary}
    if note.description:
        annotations["description"] = note.description
    alert = Alert("firing", labels, annotations, starts_at=now, ends_at=None, value=state.weight)
    groups = {"alertname": ALERT_NAME, "model": state.model, "event": note.event}
    return Notification(group_key(groups), groups, (alert,))


def apply(
    store: PredictionStore, transition: Transition, *, notify: Notifier | None = None
) -> Promotion:
    """Routing, then state, then notifications (the order the module docstring promises)."""
    state = transition.state
    routing = transition.routing
    if routing is not None:
        store.save_routing(state.model, routing.weights, list(routing.shadow))
    store.save_promotion(state.model, state.to_dict())
    if notify is not None and transition.notifications:
        notify([notification(state, n, state.updated_at) for n in transition.notifications])
    return state


def load(store: PredictionStore, model: str) -> Promotion | None:
    """The promotion of ``model`` as saved, or None when it never had one."""
    saved = store.load_promotion(model)
    if saved is None:
        return None
    try:
        return Promotion.from_dict(saved)
    except (KeyError, TypeError, ValueError) as error:
        raise PromotionError(f"the saved promotion of {model} cannot be read: {error}") from error


def start_promotion(
    store: PredictionStore,
    model: str,
    champion: str,
    challenger: str,
    plan: PromotionConfig,
    now: float | None = None,
    *,
    shadow: Sequence[str] | None = None,
    notify: Notifier | None = None,
) -> Promotion:
    """Put ``challenger`` at the plan's first weight and record the promotion in the store.

    ``shadow`` defaults to the model's saved shadow versions. A promotion already under way for
    ``model`` is a :class:`PromotionError` (abort it first).
    """
    now = time.time() if now is None else now
    current = load(store, model)
    if current is not None and current.active:
        raise PromotionError(
            f"{model}: a promotion of {current.challenger} is already {current.status}; "
            f"abort it first (monitml promote abort --model {model})"
        )
    if shadow is None:
        saved = store.load_routing().get(model)
        shadow = saved.shadow if saved is not None else ()
    try:
        transition = machine.begin(model, champion, challenger, plan, now=now, shadow=shadow)
    except ValueError as error:
        raise PromotionError(f"{model}: {error}") from error
    return apply(store, transition, notify=notify)


def _change(
    store: PredictionStore,
    model: str,
    step: Callable[[Promotion], Transition],
    notify: Notifier | None,
) -> Promotion:
    state = load(store, model)
    if state is None:
        raise PromotionError(f"{model}: no promotion was ever started")
    try:
        transition = step(state)
    except ValueError as error:
        raise PromotionError(str(error)) from error
    return apply(store, transition, notify=notify)


def pause_promotion(
    store: PredictionStore, model: str, now: float | None = None, *, notify: Notifier | None = None
) -> Promotion:
    at = time.time() if now is None else now
    return _change(store, model, lambda s: machine.pause(s, now=at), notify)


def resume_promotion(
    store: PredictionStore, model: str, now: float | None = None, *, notify: Notifier | None = None
) -> Promotion:
    at = time.time() if now is None else now
    return _change(store, model, lambda s: machine.resume(s, now=at), notify)


def abort_promotion(
    store: PredictionStore,
    model: str,
    now: float | None = None,
    *,
    reason: str = "aborted by hand",
    notify: Notifier | None = None,
) -> Promotion:
    at = time.time() if now is None else now
    return _change(store, model, lambda s: machine.abort(s, now=at, reason=reason), notify)
