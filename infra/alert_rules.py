"""Alert rules, evaluated: each rule's metric per scope against its threshold, with stored state.

``alerts_evaluate(now=...)`` runs every minute (jengu.jobs.alerts_evaluate). For each
enabled ``AlertRule`` and each scope of its metric (infra.metrics), the stored
``AlertState`` moves:

* ok/resolved → pending when the condition starts to hold (→ firing at once when the
  rule has no duration);
* pending → firing when it has held for ``duration_minutes``: the alert goes out ("fired");
* firing, still holding: repeated when ``repeat_minutes`` have passed since the last post;
* firing → resolved when it no longer holds: a "resolved" goes out;
* pending → ok when it stops before the duration.

A scope that disappears from the metric (a queue emptied, a circuit deleted) counts as not
holding, so its alert resolves. Each step is claimed with a conditional UPDATE on the state
row, so two evaluations running at once post an alert once. Posting happens after the
claim, outside any transaction. The clock is an argument: tests step it, nothing sleeps.

``rules_check`` does the same comparison without storing or posting (``manage.py doctor``).
"""

from __future__ import annotations

import datetime
import logging
import operator
import re
from dataclasses import dataclass, field

from django.utils import timezone

from infra.alerts import alert_deliver
from infra.metrics import MetricContext, Reading, UnknownMetric, heartbeat_beat
from infra.models import AlertNotice, AlertRule, AlertState

logger = logging.getLogger(__name__)

State = AlertState.State
COMPARE = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def breached(rule: AlertRule, reading: Reading | None) -> bool:
    return reading is not None and reading.value is not None and COMPARE[rule.comparison](reading.value, rule.threshold)


def _number(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


PLACEHOLDERS = {"scope", "value", "threshold", "duration", "detail", "rule"}
_PLACEHOLDER = re.compile(r"\{(" + "|".join(sorted(PLACEHOLDERS)) + r")\}")


def render_message(rule: AlertRule, scope: str, reading: Reading | None) -> str:
    """The rule's message with its placeholders filled in (only these names: no format() of
    operator-written text, whose ``{0.__class__}`` would reach into objects)."""
    values = {
        "scope": scope or "all",
        "value": _number(reading.value if reading else None),
        "threshold": _number(rule.threshold),
        "duration": f"{rule.duration_minutes} min",
        "detail": reading.detail if reading else "",
        "rule": rule.name,
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], rule.message).strip()


@dataclass
class EvaluationReport:
    rules: int = 0
    fired: list[str] = field(default_factory=list)
    repeated: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __str__(self):
        parts = [f"{self.rules} rules"]
        for label, items in (("fired", self.fired), ("repeated", self.repeated), ("resolved", self.resolved)):
            if items:
                parts.append(f"{label}: {', '.join(items)}")
        if self.errors:
            parts.append(f"errors: {'; '.join(self.errors)}")
        return "; ".join(parts)


def _claim(row: AlertState, **changes) -> bool:
    """Move the state row only if nobody moved it since we read it."""
    if row.pk is None:
        return True
    won = AlertState.objects.filter(pk=row.pk, state=row.state, updated_at=row.updated_at).update(**changes)
    if won:
        for name, value in changes.items():
            setattr(row, name, value)
    return bool(won)


def _label(rule: AlertRule, scope: str) -> str:
    return f"{rule.name} [{scope}]" if scope else rule.name


def _step(rule: AlertRule, state: AlertState, reading: Reading | None, now, report: EvaluationReport, notify) -> None:
    holding = breached(rule, reading)
    value = reading.value if reading else None
    detail = (reading.detail if reading else "")[:300]
    common = {"last_value": value, "last_detail": detail, "updated_at": now}
    if state.pk is None:
        if not holding:
            return  # nothing to remember about a scope that has always been fine
        state.last_value, state.last_detail, state.updated_at = value, detail, now
        state.state, state.since = State.PENDING, now
        state.save()
    label = _label(rule, state.scope)
    text = render_message(rule, state.scope, reading)

    def post(kind):
        return notify(key=label, text=text, kind=kind, severity=rule.severity, rule=rule, scope=state.scope,
                      value=value, now=now)  # fmt: skip

    if state.state in (State.OK, State.RESOLVED):
        if holding and _claim(state, state=State.PENDING, since=now, **common):
            pass  # falls through to the pending check below (a rule without duration fires now)
        elif not holding:
            _claim(state, **common)
            return
    if state.state == State.PENDING:
        if not holding:
            _claim(state, state=State.OK, since=now, **common)
            return
        if now - state.since >= datetime.timedelta(minutes=rule.duration_minutes):
            if _claim(state, state=State.FIRING, since=now, last_notified_at=now, **common):
                notice = post(AlertNotice.Kind.FIRED)
                report.fired.append(label)
                if not notice.delivered and notice.error:
                    # not taken by the channel: the next evaluation posts it again
                    AlertState.objects.filter(pk=state.pk).update(last_notified_at=None)
        else:
            _claim(state, **common)
        return
    if state.state == State.FIRING:
        if not holding:
            if _claim(state, state=State.RESOLVED, since=now, **common):
                post(AlertNotice.Kind.RESOLVED)
                report.resolved.append(label)
            return
        never_posted = state.last_notified_at is None
        due = bool(rule.repeat_minutes) and not never_posted and now - state.last_notified_at >= datetime.timedelta(
            minutes=rule.repeat_minutes
        )
        if (never_posted or due) and _claim(state, last_notified_at=now, **common):
            notice = post(AlertNotice.Kind.FIRED if never_posted else AlertNotice.Kind.REPEATED)
            (report.fired if never_posted else report.repeated).append(label)
            if not notice.delivered and notice.error:
                AlertState.objects.filter(pk=state.pk).update(last_notified_at=None)
        elif not (never_posted or due):
            _claim(state, **common)


def alerts_evaluate(*, now: datetime.datetime | None = None, notify=alert_deliver, rules=None) -> EvaluationReport:
    """Evaluate every enabled rule once (see the module docstring)."""
    now = now or timezone.now()
    ctx = MetricContext(now=now)
    report = EvaluationReport()
    rules = list(AlertRule.objects.filter(enabled=True) if rules is None else rules)
    states: dict[tuple[int, str], AlertState] = {
        (state.rule_id, state.scope): state for state in AlertState.objects.filter(rule__in=rules)
    }
    for rule in rules:
        report.rules += 1
        try:
            readings = ctx.readings(rule.metric)
        except UnknownMetric:
            report.errors.append(f"{rule.name}: no metric named {rule.metric!r}")
            continue
        except Exception as exc:  # one broken metric must not stop the other rules; it is reported
            logger.exception("alert rule %s: metric %s failed", rule.name, rule.metric)
            report.errors.append(f"{rule.name}: {type(exc).__name__}: {exc}"[:300])
            continue
        if rule.scope:
            scopes = {rule.scope}
        else:
            scopes = set(readings) | {scope for (rule_id, scope) in states if rule_id == rule.pk}
        for scope in sorted(scopes):
            state = states.get((rule.pk, scope)) or AlertState(rule=rule, scope=scope, state=State.OK, since=now)
            _step(rule, state, readings.get(scope), now, report, notify)
    heartbeat_beat("alerts_evaluate", detail=str(report)[:300], now=now)
    return report


@dataclass
class RuleFinding:
    rule: AlertRule
    scope: str
    reading: Reading | None
    text: str
    state: str  # the stored state, for the doctor's "firing since"


def rules_check(*, now: datetime.datetime | None = None) -> tuple[list[RuleFinding], list[str]]:
    """Which enabled rules hold right now (per scope), without storing or posting anything."""
    now = now or timezone.now()
    ctx = MetricContext(now=now)
    findings, errors = [], []
    stored = {(s.rule_id, s.scope): s.state for s in AlertState.objects.all()}
    for rule in AlertRule.objects.filter(enabled=True):
        try:
            readings = ctx.readings(rule.metric)
        except UnknownMetric:
            errors.append(f"{rule.name}: no metric named {rule.metric!r}")
            continue
        except Exception as exc:  # reported, like in alerts_evaluate
            errors.append(f"{rule.name}: {type(exc).__name__}: {exc}"[:300])
            continue
        scopes = [rule.scope] if rule.scope else sorted(readings)
        for scope in scopes:
            reading = readings.get(scope)
            if breached(rule, reading):
                findings.append(
                    RuleFinding(
                        rule,
                        scope,
                        reading,
                        render_message(rule, scope, reading),
                        stored.get((rule.pk, scope), State.OK),
                    )  # fmt: skip
                )
    return findings, errors
