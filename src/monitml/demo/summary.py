"""The demo's last screen: what fired and resolved, what drifted and when, the performance,
the retrain's gates and each promotion step's checks."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from monitml.demo.flights import FlightMonth
from monitml.demo.housing import CanaryStory, MonthCheck
from monitml.demo.retraining import MODEL, RETRAIN_RULE, PromotionStep, RetrainingStory

if TYPE_CHECKING:
    from monitml.demo.runner import DemoOutcome

__all__ = ["print_retraining", "print_summary"]

CANARY_COLUMNS = [
    "month", "v1 sales", "v1 mean", "v1 MAE", "v1 drifted", "v2 sales", "v2 mean",
    "v2 prediction drift",
]  # fmt: skip
FLIGHT_COLUMNS = [
    "month", "flights", "predicted late", "accuracy", "F1", "drifted features", "data quality",
]  # fmt: skip


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def _table(title: str, headers: list[str], *, left: set[str]) -> Table:
    table = Table(title=title, title_justify="left")
    for header in headers:
        table.add_column(
            header, justify="left" if header in left else "right", no_wrap=header == "month"
        )
    return table


def _canary_table(months: list[MonthCheck]) -> Table:
    table = _table(
        "monitml check, house-price, one chunk per month of sales, per version",
        CANARY_COLUMNS,
        left={"month", "v1 drifted"},
    )
    by_month: dict[str, dict[str, MonthCheck]] = defaultdict(dict)
    for check in months:
        by_month[check.month][check.version] = check
    for month, versions in by_month.items():
        v1, v2 = versions.get("v1"), versions.get("v2")
        table.add_row(
            month,
            str(v1.rows if v1 else 0),
            _money(v1.prediction_mean if v1 else None),
            _money(v1.mae if v1 else None),
            (", ".join(v1.drifted) or "none") if v1 and v1.status == "ok" else "too few rows",
            str(v2.rows if v2 else 0),
            _money(v2.prediction_mean if v2 else None),
            ("YES" if v2.prediction_drift else "no") if v2 and v2.status == "ok" else "—",
        )
    return table


def _flights_table(months: list[FlightMonth]) -> Table:
    table = _table(
        "monitml check, flight-delay, one chunk per month, labels joined",
        FLIGHT_COLUMNS,
        left={"month", "drifted features", "data quality"},
    )
    for month in months:
        perf = month.performance
        table.add_row(
            month.month,
            str(month.rows),
            f"{month.predicted_share:.0%}",
            f"{perf['accuracy']:.3f}" if "accuracy" in perf else "—",
            f"{perf['f1']:.3f}" if "f1" in perf else "—",
            ", ".join(month.drifted) or "none",
            ", ".join(month.quality) or "ok",
        )
    return table


def _alerts(console: Console, canary: CanaryStory, notifications: list[str]) -> None:
    story: dict[tuple[str, str], list[str]] = defaultdict(list)
    for change in canary.transitions:
        story[(change.rule, change.version)].append(f"{change.state} ({change.month})")
    for (rule, version), steps in story.items():
        console.print(f"Alert {rule} for house-price/{version}: {' → '.join(steps)}")
    if not story:
        console.print("No alert fired.")
    if canary.rerouted_in:
        console.print(f"v2 routed to 0% in {canary.rerouted_in} (PUT /models/house-price/routing)")
    counts: dict[str, int] = defaultdict(int)
    for status in notifications:
        counts[status] += 1
    sent = ", ".join(f"{n} {status}" for status, n in counts.items()) or "none"
    console.print(f"Notifications received: {sent}")


def print_summary(console: Console, outcome: DemoOutcome) -> None:
    canary, labels = outcome.canary, outcome.labels
    console.rule("Summary")
    shares = ", ".join(f"{v}: {n}" for v, n in sorted(canary.answered.items()))
    console.print(
        f"Canary housing: {sum(canary.answered.values())} sales answered ({shares}), "
        f"{canary.labels} prices sent back as labels."
    )
    console.print(_canary_table(canary.months))
    _alerts(console, canary, [str(body.get("status")) for body in outcome.notifications])

    console.print(
        f"\nDelayed labels: {labels.logged} flights logged through /log, {labels.labels} "
        "arrivals sent to /feedback a month later."
    )
    console.print(_flights_table(labels.months))
    drifted_when: dict[str, list[str]] = defaultdict(list)
    for month in labels.months:
        for name in month.drifted:
            drifted_when[name].append(month.month)
    for name, months in sorted(drifted_when.items(), key=lambda item: -len(item[1])):
        console.print(f"  {name} drifted in {len(months)} month(s): {', '.join(months)}")

    print_retraining(console, outcome.retraining)

    console.print(f"\nConfig for further commands: {outcome.config}")
    command = f"  {canary.check_command} --config {outcome.config}"
    console.print(command, soft_wrap=True, markup=False, highlight=False)
    for path in outcome.reports:
        console.print(f"Report: {path}", soft_wrap=True, markup=False, highlight=False)


def _check_figures(check: dict[str, Any]) -> str:
    """A check's figures in a few characters (its message has them all)."""
    name, ours, theirs = check["name"], check.get("challenger"), check.get("champion")
    mark = {True: "ok", False: "FAIL", None: "n/a"}[check.get("passed")]
    if ours is None:
        return mark
    if name == "error_rate":
        return f"{ours:.1%} {mark}"
    if name == "latency":
        base = f" vs {theirs * 1000:.0f}" if theirs is not None else ""
        return f"{ours * 1000:.0f}{base} ms {mark}"
    if name == "prediction_drift":
        return f"effect {ours:.2f} {mark}"
    if theirs:
        return f"{ours:,.0f} vs {theirs:,.0f} ({ours / theirs - 1:+.1%}) {mark}"
    return f"{ours:,.4g} {mark}"


def _steps_table(title: str, steps: list[PromotionStep]) -> Table:
    names = ["error_rate", "latency", "prediction_drift", "performance"]
    table = _table(title, ["weight", "verdict", "requests", *names], left=set())
    for judged in steps:
        checks = {c["name"]: c for c in judged.checks}
        table.add_row(
            f"{judged.weight:g}%",
            f"{judged.outcome} → {judged.status}",
            str(judged.rows),
            *(_check_figures(checks[n]) if n in checks else "—" for n in names),
        )
    return table


def print_retraining(console: Console, story: RetrainingStory) -> None:
    """Story 3's figures: the gates, each promotion step's checks, the rollback's reason."""
    fired = story.fired_in or "never"
    console.print(f"\nRetraining: {RETRAIN_RULE['name']} fired for {MODEL}/v1 in {fired}.")
    record = story.retrain
    if record is None:
        console.print("No retrain finished.")
        return
    data = record["data"]
    console.print(
        f"Retrain {record['challenger']} against {record['champion']} ({record['status']}): "
        f"{data['rows']} labelled rows logged, {data['training_rows']} to train (with the "
        f"2006–2007 history), {data['holdout_rows']} newest held out."
    )
    gates = _table("Gates on the held-out newest sales", ["gate", "value", "threshold",
                   "passed", "detail"], left={"gate", "detail"})  # fmt: skip
    for gate in record["gates"]:
        value, threshold = gate["value"], gate["threshold"]
        gates.add_row(
            gate["name"],
            "—" if value is None else f"{value:,.4g}",
            "—" if threshold is None else f"{threshold:,.4g}",
            "yes" if gate["passed"] else "NO",
            gate["detail"],
        )
    console.print(gates)
    if story.challenger is not None:
        title = f"Promotion of {story.challenger} ({story.promoted}), step by step"
        console.print(_steps_table(title, story.promotion_steps))
    if story.broken is not None:
        title = f"Promotion of {story.broken}, always 100 ({story.broken_status})"
        console.print(_steps_table(title, story.broken_steps))
        reason = story.rollback_reason or "no rollback notification received"
        console.print(f"Rollback reason (webhook): {reason}", markup=False, highlight=False)
