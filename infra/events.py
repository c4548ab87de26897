"""Writing to the Event log (the observability record every stage leaves behind)."""

from infra.models import Event
from infra.statemachine import actor_label
from infra.tracing import current_trace_id


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
