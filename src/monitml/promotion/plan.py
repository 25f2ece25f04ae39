"""The promotion's step logic as a pure state machine: state + verdict + now -> state + actions.

Nothing here reads a clock, a store or a network: :func:`begin`, :func:`judge`, :func:`pause`,
:func:`resume` and :func:`abort` each return a :class:`Transition` (the new state and what the
driver must do: set the routing, send a notification). ``monitml.promotion.delivery`` applies
them. A state is a plain JSON document (:meth:`Promotion.to_dict`), saved whole after each
transition, so a driver that restarts goes on from the step it left.

The rules (Flagger's, with model-quality checks):

- The challenger takes ``steps[i]`` percent of the traffic, the champion the rest; a step is
  judged once ``interval`` has passed since it started, on the window since it started.
- A window with too few challenger rows is not judged (``wait``): the step goes on.
- A passing step advances to the next weight; a passing last step (100%) completes: the
  challenger then serves alone.
- A failing step holds (its window starts again) and counts a failed check; the
  ``max_failed_checks``-th failed check of the promotion rolls back: the champion takes 100%.
- ``pause`` freezes the weights and the checks; ``resume`` starts the step's window again;
  ``abort`` rolls back at once.

>>> from monitml.promotion.settings import PromotionConfig
>>> t = begin("house-price", "v1", "v3", PromotionConfig(steps=[50, 100], interval=60), now=0)
>>> t.state.weights
{'v1': 50.0, 'v3': 50.0}
>>> judge(t.state, Verdict("pass", ()), now=61).state.weights
{'v1': 0.0, 'v3': 100.0}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from monitml.promotion.settings import PromotionConfig

__all__ = [
    "ACTIVE",
    "FORMAT",
    "Check",
    "Notify",
    "Promotion",
    "SetRouting",
    "Transition",
    "Verdict",
    "abort",
    "begin",
    "is_due",
    "judge",
    "pause",
    "resume",
]

FORMAT = "monitml.promotion/1"
Status = Literal["running", "paused", "completed", "rolled_back", "aborted"]
ACTIVE: frozenset[str] = frozenset({"running", "paused"})  # a promotion still under way
Event = Literal[
    "started", "advanced", "held", "rolled_back", "completed", "paused", "resumed", "aborted"
]
_HISTORY_LIMIT = 200  # a long hold must not grow the document without bound


@dataclass(frozen=True, slots=True)
class Check:
    """One check's figures on one window: ``passed`` None when it could not be judged."""

    name: str
    passed: bool | None
    message: str
    challenger: float | None = None
    champion: float | None = None
    threshold: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "message": self.message,
            "challenger": self.challenger,
            "champion": self.champion,
            "threshold": self.threshold,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Check:
        return cls(
            name=str(data["name"]),
            passed=data.get("passed"),
            message=str(data.get("message", "")),
            challenger=data.get("challenger"),
            champion=data.get("champion"),
            threshold=data.get("threshold"),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """A step's checks: ``pass``, ``fail`` (a check failed) or ``wait`` (too little data)."""

    outcome: Literal["pass", "fail", "wait"]
    checks: tuple[Check, ...]
    rows: int = 0

    @classmethod
    def of(cls, checks: Sequence[Check], *, rows: int, min_rows: int) -> Verdict:
        """``fail`` when any check failed, else ``wait`` below ``min_rows``, else ``pass``."""
        if any(c.passed is False for c in checks):
            return cls("fail", tuple(checks), rows)
        if rows < min_rows:
            return cls("wait", tuple(checks), rows)
        return cls("pass", tuple(checks), rows)

    @property
    def reason(self) -> str:
        """The failed checks' messages, ``; ``-joined (empty when none failed)."""
        return "; ".join(c.message for c in self.checks if c.passed is False)


@dataclass(frozen=True, slots=True)
class SetRouting:
    """Save this routing for every gateway replica."""

    weights: dict[str, float]
    shadow: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Notify:
    """Send this through the alert channels (``summary`` is the Flagger-like line)."""

    event: Event
    summary: str
    description: str = ""


Action = SetRouting | Notify


@dataclass(frozen=True, slots=True)
class Promotion:
    """One model's promotion; every field is JSON-plain so that it is saved as is."""

    model: str
    champion: str
    challenger: str
    plan: PromotionConfig
    status: Status
    step: int
    step_started_at: float
    started_at: float
    updated_at: float
    failed_checks: int = 0
    shadow: tuple[str, ...] = ()
    baseline: dict[str, Any] = field(default_factory=dict)
    last_checks: tuple[Check, ...] = ()
    history: tuple[dict[str, Any], ...] = ()

    @property
    def weight(self) -> float:
        """The challenger's share now, in percent."""
        if self.status == "completed":
            return 100.0
        if self.status in ("rolled_back", "aborted"):
            return 0.0
        return float(self.plan.steps[self.step])

    @property
    def weights(self) -> dict[str, float]:
        return {self.champion: 100.0 - self.weight, self.challenger: self.weight}

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def routing(self) -> SetRouting:
        shadow = tuple(v for v in self.shadow if v not in (self.champion, self.challenger))
        return SetRouting(self.weights, shadow)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "model": self.model,
            "champion": self.champion,
            "challenger": self.challenger,
            "plan": self.plan.model_dump(mode="json"),
            "status": self.status,
            "step": self.step,
            "weight": self.weight,
            "weights": self.weights,
            "step_started_at": self.step_started_at,
            "started_at": self.started_at,
            "updated_at": self.updated_at,
            "failed_checks": self.failed_checks,
            "shadow": list(self.shadow),
            "baseline": self.baseline,
            "last_checks": [c.to_dict() for c in self.last_checks],
            "history": list(self.history),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Promotion:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document: format {data.get('format')!r}")
        return cls(
            model=str(data["model"]),
            champion=str(data["champion"]),
            challenger=str(data["challenger"]),
            plan=PromotionConfig.model_validate(data["plan"]),
            status=data["status"],
            step=int(data["step"]),
            step_started_at=float(data["step_started_at"]),
            started_at=float(data["started_at"]),
            updated_at=float(data["updated_at"]),
            failed_checks=int(data.get("failed_checks", 0)),
            shadow=tuple(data.get("shadow", ())),
            baseline=dict(data.get("baseline", {})),
            last_checks=tuple(Check.from_dict(c) for c in data.get("last_checks", ())),
            history=tuple(data.get("history", ())),
        )


@dataclass(frozen=True, slots=True)
class Transition:
    state: Promotion
    actions: tuple[Action, ...] = ()

    @property
    def routing(self) -> SetRouting | None:
        return next((a for a in self.actions if isinstance(a, SetRouting)), None)

    @property
    def notifications(self) -> list[Notify]:
        return [a for a in self.actions if isinstance(a, Notify)]


def _name(state: Promotion) -> str:
    return f"{state.model} challenger {state.challenger}"


def _recorded(
    state: Promotion, event: Event, now: float, reason: str = "", checks: Sequence[Check] = ()
) -> tuple[dict[str, Any], ...]:
    entry: dict[str, Any] = {"at": now, "event": event, "step": state.step, "weight": state.weight}
    if reason:
        entry["reason"] = reason
    if checks:
        entry["checks"] = [c.to_dict() for c in checks]
    return (*state.history, entry)[-_HISTORY_LIMIT:]


def _moved(state: Promotion, event: Event, now: float, summary: str, reason: str = "",
           checks: Sequence[Check] = (), route: bool = True) -> Transition:  # fmt: skip
    """``state`` (already changed) with the event recorded, its routing and one notification."""
    state = replace(state, updated_at=now, history=_recorded(state, event, now, reason, checks))
    actions: list[Action] = [state.routing()] if route else []
    actions.append(Notify(event, summary, reason))
    return Transition(state, tuple(actions))


def begin(
    model: str,
    champion: str,
    challenger: str,
    plan: PromotionConfig,
    *,
    now: float,
    shadow: Sequence[str] = (),
) -> Transition:
    """A new promotion at its first step; ValueError when champion and challenger are one."""
    if champion == challenger:
        raise ValueError(f"the challenger {challenger!r} is already the champion")
    state = Promotion(
        model, champion, challenger, plan, "running", 0, now, now, now, shadow=tuple(shadow)
    )
    summary = f"Advance {_name(state)} weight {state.weight:g}"
    return _moved(state, "started", now, summary)


def is_due(state: Promotion, now: float) -> bool:
    """True when the running step's interval has passed: time to judge it."""
    return state.status == "running" and now >= state.step_started_at + state.plan.interval


def judge(state: Promotion, verdict: Verdict, *, now: float) -> Transition:
    """Apply a step's verdict; a promotion not running or a step not due is left as it is."""
    if not is_due(state, now):
        return Transition(state)
    if verdict.outcome == "wait":
        return Transition(replace(state, updated_at=now, last_checks=verdict.checks))
    checked = replace(state, last_checks=verdict.checks)
    if verdict.outcome == "pass":
        if state.step + 1 >= len(state.plan.steps):
            done = replace(checked, status="completed", step_started_at=now, baseline={})
            return _moved(done, "completed", now, f"Promotion completed: {_name(state)} at 100",
                          checks=verdict.checks)  # fmt: skip
        nxt = replace(checked, step=state.step + 1, step_started_at=now, baseline={})
        return _moved(nxt, "advanced", now, f"Advance {_name(state)} weight {nxt.weight:g}",
                      checks=verdict.checks)  # fmt: skip
    failed = state.failed_checks + 1
    reason = verdict.reason
    if failed >= state.plan.max_failed_checks:
        back = replace(checked, status="rolled_back", failed_checks=failed, step_started_at=now)
        summary = f"Rolled back {_name(state)}: {reason}"
        return _moved(back, "rolled_back", now, summary, reason, verdict.checks)
    held = replace(checked, failed_checks=failed, step_started_at=now, baseline={})
    summary = (
        f"Halt {_name(state)} advancement ({failed}/{state.plan.max_failed_checks} failed "
        f"checks): {reason}"
    )
    return _moved(held, "held", now, summary, reason, verdict.checks, route=False)


def pause(state: Promotion, *, now: float) -> Transition:
    """Freeze a running promotion at its weight (ValueError when it is not running)."""
    if state.status != "running":
        raise ValueError(f"the promotion of {state.model} is {state.status}, not running")
    paused = replace(state, status="paused")
    return _moved(paused, "paused", now, f"Paused {_name(state)} at weight {state.weight:g}",
                  route=False)  # fmt: skip


def resume(state: Promotion, *, now: float) -> Transition:
    """Go on from a pause; the step's window starts again (ValueError when not paused)."""
    if state.status != "paused":
        raise ValueError(f"the promotion of {state.model} is {state.status}, not paused")
    running = replace(state, status="running", step_started_at=now, baseline={})
    return _moved(running, "resumed", now, f"Resumed {_name(state)} at weight {state.weight:g}")


def abort(state: Promotion, *, now: float, reason: str = "aborted by hand") -> Transition:
    """Roll back at once: the champion takes 100% (ValueError when already finished)."""
    if not state.active:
        raise ValueError(f"the promotion of {state.model} is already {state.status}")
    stopped = replace(state, status="aborted", step_started_at=now)
    summary = f"Rolled back {_name(state)}: {reason}"
    return _moved(stopped, "aborted", now, summary, reason)
