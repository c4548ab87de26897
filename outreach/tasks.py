"""django-q2 entry points of the outreach app: load by id, call the service."""

from outreach.services.follow_ups import follow_up_compose_queued


def follow_up_compose_task(sequence_id: int, step: int) -> str:
    """One due follow-up, queued by the 10:00 fan-out (outreach.services.follow_ups)."""
    return follow_up_compose_queued(sequence_id=sequence_id, step=step)
