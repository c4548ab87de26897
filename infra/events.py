"""Writing to the Event log (the observability record every stage leaves behind), and the
names of the events infra itself records.

One constant per name, so a reader can list what infra emits; each app keeps its own in
``<app>/events.py``. The strings are stored in ``Event.name`` and read by the dashboard,
the alert rules and the tests: change one only with a data migration.
"""

from infra.models import Event
from infra.statemachine import actor_label
from infra.tracing import current_trace_id

# The stage runtime (infra.stages)
STAGE_FAILED = "stage.failed"  # one failed attempt (retried, or dead-lettered next)
STAGE_DEAD_LETTER = "stage.dead_letter"  # the last attempt failed: the work waits for a person
STAGE_DEAD_LETTER_RETRIED = "stage.dead_letter_retried"
STAGE_SWEEP = "stage.sweep"  # stale claims returned and re-enqueued

# Providers and alerts
AI_CALL = "ai.call"  # infra.ai: one AI gateway call, with its tokens and cost
CIRCUIT_OPENED = "circuit.opened"  # infra.circuit: a provider's breaker opened
ALERT_SENT = "alert.sent"  # infra.alerts: an alert went to the team's channel

# The admin
EXPORT_CSV = "export.csv"  # infra.exports: who exported how many rows of what, with which filters


def event_record(
    name: str, *, message: str = "", level: str = Event.Level.INFO, data=None, trace_id=None, by=None
) -> Event:
    return Event.objects.create(
        name=name,
        level=level,
        message=message,
        data=data or {},
        trace_id=trace_id or current_trace_id() or None,
        actor=actor_label(by) if by else "",
    )
