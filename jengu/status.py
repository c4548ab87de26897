"""The pipeline at a glance: used by `manage.py pipeline_status`, the API and the dashboard.

Everything here is an aggregate over indexed columns, no personal data.
"""

from django.conf import settings
from django.db.models import Count
from django_q.models import OrmQ

from infra.models import CircuitState, DeadLetter
from infra.stages import QUEUES
from outreach.selectors import inbox_caps_today, inboxes_with_sent_today
from prospects.models import Prospect, ProspectStage


def queue_depths() -> dict[str, int]:
    """Tasks waiting per named queue (the broker's own count)."""
    if settings.REDIS_URL:
        from django_q.brokers import get_broker

        return {queue: get_broker(queue).queue_size() or 0 for queue in QUEUES}
    rows = dict(OrmQ.objects.filter(key__in=QUEUES).values_list("key").annotate(n=Count("id")))
    return {queue: rows.get(queue, 0) for queue in QUEUES}


def pipeline_status() -> dict:
    per_stage = dict(Prospect.objects.values_list("stage").annotate(n=Count("id")))
    rows = list(inboxes_with_sent_today())
    caps = inbox_caps_today(rows)
    inboxes = [
        {"inbox": inbox.email, "state": inbox.state, "sent_today": inbox.sent_today, "cap_today": caps[inbox.pk]}
        for inbox in rows
    ]
    return {
        "prospects_per_stage": {stage: per_stage.get(stage, 0) for stage in ProspectStage.values},
        "queue_depths": queue_depths(),
        "dead_letters": DeadLetter.objects.filter(status=DeadLetter.Status.OPEN).count(),
        "open_circuits": list(
            CircuitState.objects.exclude(state=CircuitState.State.CLOSED).values_list("key", "state")
        ),
        "sends_today": inboxes,
    }
