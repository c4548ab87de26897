"""Reads for the inbox pool: warmup caps and today's sends."""

import datetime

from constance import config
from django.db.models import OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from outreach.models import Inbox, InboxDay


def warmup_schedule() -> list[int]:
    """The live warmup schedule: daily cap for week 1, 2, … of an inbox's warmup."""
    try:
        caps = [int(part) for part in str(config.WARMUP_SCHEDULE).split(",") if part.strip()]
    except ValueError:
        caps = []
    return caps or [5, 10, 15, 18, 20]


def inbox_warmup_week(inbox: Inbox, day: datetime.date | None = None) -> int:
    day = day or timezone.localdate()
    return max(0, (day - inbox.warmup_started_on).days) // 7 + 1


def inbox_warmup_cap(inbox: Inbox, day: datetime.date | None = None, schedule: list[int] | None = None) -> int:
    """Today's cap: the schedule's figure for the inbox's warmup week, then its ceiling.

    Pass ``schedule`` when computing many inboxes' caps, to read the live setting once.
    """
    schedule = schedule or warmup_schedule()
    week = inbox_warmup_week(inbox, day)
    if week <= len(schedule):
        return min(schedule[week - 1], inbox.daily_ceiling)
    return inbox.daily_ceiling


def inboxes_with_sent_today(queryset: QuerySet[Inbox] | None = None) -> QuerySet[Inbox]:
    """Inboxes annotated with ``sent_today`` in one query (no N+1 in lists)."""
    today_row = InboxDay.objects.filter(inbox=OuterRef("pk"), day=timezone.localdate())
    queryset = Inbox.objects.all() if queryset is None else queryset
    return queryset.annotate(sent_today=Coalesce(Subquery(today_row.values("sent")[:1]), Value(0)))
