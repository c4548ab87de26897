"""The pipeline at a glance: used by `manage.py pipeline_status`, the API's stats and the dashboard.

Everything here is an aggregate over indexed columns, no personal data. The pieces are
separate functions so each face takes what it shows without a third copy of the queries.
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


def prospects_per_stage() -> dict[str, int]:
    per_stage = dict(Prospect.objects.values_list("stage").annotate(n=Count("id")).order_by())
    return {stage: per_stage.get(stage, 0) for stage in ProspectStage.values}


def sends_today() -> list[dict]:
    """Per inbox: its id, address, state, sends today and today's cap (one query and the live settings)."""
    rows = list(inboxes_with_sent_today())
    caps = inbox_caps_today(rows)
    return [
        {"inbox_id": inbox.pk, "inbox": inbox.email, "state": inbox.state, "sent_today": inbox.sent_today,
         "cap_today": caps[inbox.pk]}
        for inbox in rows
    ]  # fmt: skip


def open_dead_letters() -> int:
    return DeadLetter.objects.filter(status=DeadLetter.Status.OPEN).count()


def open_circuits() -> list[tuple[str, str]]:
    return list(CircuitState.objects.exclude(state=CircuitState.State.CLOSED).values_list("key", "state"))


def pipeline_status(*, inbox_by: str = "inbox") -> dict:
    """The pipeline at a glance, as `manage.py pipeline_status` prints it and the API's stats start from.

    ``inbox_by`` names each inbox of ``sends_today``: by its address ("inbox", for the
    operator), or by its id ("inbox_id": the API's stats carry no personal data).
    """
    return {
        "prospects_per_stage": prospects_per_stage(),
        "queue_depths": queue_depths(),
        "dead_letters": open_dead_letters(),
        "open_circuits": open_circuits(),
        "sends_today": [
            {key: row[key] for key in (inbox_by, "state", "sent_today", "cap_today")} for row in sends_today()
        ],
    }
