"""Reads for the inbox pool: warmup caps and today's sends."""

import datetime
import random

from constance import config
from django.db.models import Count, F, FloatField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from infra.config import positive_ints
from outreach.models import Inbox, InboxDay


def warmup_schedule() -> list[int]:
    """The live warmup schedule: daily cap for week 1, 2, … of an inbox's warmup."""
    return positive_ints(config.WARMUP_SCHEDULE) or [5, 10, 15, 18, 20]


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


def inbox_cap_on(
    inbox: Inbox, day: datetime.date, schedule: list[int] | None = None, jitter: bool | None = None
) -> int:
    """The cap the sender enforces on ``day``: the warmup figure, varied by up to ±10 % per
    inbox and day when WARMUP_JITTER is on (stable for the day), so volume does not look
    machine-made. Lists pass ``schedule`` and ``jitter`` to read the live settings once."""
    cap = inbox_warmup_cap(inbox, day, schedule)
    jitter = bool(config.WARMUP_JITTER) if jitter is None else jitter
    if jitter and cap > 1:
        factor = random.Random(f"{inbox.pk}:{day.isoformat()}").uniform(-0.1, 0.1)
        cap = max(1, round(cap * (1 + factor)))
    return cap


def inbox_cap_today(inbox: Inbox, schedule: list[int] | None = None, jitter: bool | None = None) -> int:
    """Today's cap as the sender sees it: the one stored with today's first send (an inbox
    from ``inboxes_with_sent_today``), else the one that send will store."""
    fixed = getattr(inbox, "cap_fixed_today", None)
    return fixed if fixed is not None else inbox_cap_on(inbox, timezone.localdate(), schedule, jitter)


def inbox_caps_today(inboxes) -> dict[int, int]:
    """Today's cap of each inbox (from ``inboxes_with_sent_today``), reading the live settings once."""
    schedule, jitter = warmup_schedule(), bool(config.WARMUP_JITTER)
    return {inbox.pk: inbox_cap_today(inbox, schedule, jitter) for inbox in inboxes}


def inboxes_with_sent_today(queryset: QuerySet[Inbox] | None = None) -> QuerySet[Inbox]:
    """Inboxes annotated with ``sent_today`` and ``cap_fixed_today`` (once a send stored it) in one query."""
    today_row = InboxDay.objects.filter(inbox=OuterRef("pk"), day=timezone.localdate())
    queryset = Inbox.objects.all() if queryset is None else queryset
    return queryset.annotate(
        sent_today=Coalesce(Subquery(today_row.values("sent")[:1]), Value(0)),
        cap_fixed_today=Subquery(today_row.values("cap")[:1]),
    )


BOUNCE_WINDOW_DAYS = 28
BOUNCE_RATE_MIN_SENDS = 20  # below this many sends in the window, a rate says nothing yet


def inboxes_with_bounces(
    queryset: QuerySet[Inbox] | None = None, *, now: datetime.datetime | None = None
) -> QuerySet[Inbox]:
    """Inboxes annotated with ``sent_28d``, ``bounced_28d`` (hard bounces) and ``bounce_rate_28d``.

    Conditional counts over one join, so a list of inboxes stays one query. The same
    counts as outreach.services.deliverability's auto-pause: emails that went out
    (sent or later) with ``sent_at`` in the window; a hard bounce is an email in
    ``bounced`` (soft bounces are retried and do not change the status).
    """
    from outreach.models import EmailStatus
    from outreach.services.sending import SENT_FAMILY

    since = (now or timezone.now()) - datetime.timedelta(days=BOUNCE_WINDOW_DAYS)
    in_window = Q(emails__sent_at__gte=since, emails__status__in=SENT_FAMILY)
    queryset = Inbox.objects.all() if queryset is None else queryset
    return queryset.annotate(
        sent_28d=Count("emails", filter=in_window),
        bounced_28d=Count("emails", filter=in_window & Q(emails__status=EmailStatus.BOUNCED)),
    ).annotate(bounce_rate_28d=Cast(F("bounced_28d"), FloatField()) / NullIf(F("sent_28d"), 0))


# --- composition and follow-ups -----------------------------------------------------------


def campaign_for_new_prospects():
    """The campaign new ready prospects are composed for: the default one, else the oldest active one."""
    from outreach.models import Campaign

    active = Campaign.objects.filter(active=True)
    return active.filter(is_default=True).first() or active.order_by("created_at", "id").first()


def campaign_next_subject_variant(campaign) -> tuple[int, str] | None:
    """The A/B subject variant the next first email gets: the one used least so far (evenly assigned)."""
    from django.db.models import Count

    from outreach.models import Email

    variants = [str(v) for v in campaign.subject_variants or [] if str(v).strip()]
    if not variants:
        return None
    used = dict(
        Email.objects.filter(campaign=campaign, sequence_step=1, subject_variant__isnull=False)
        .values_list("subject_variant")
        .annotate(n=Count("id"))
        .values_list("subject_variant", "n")
    )
    index = min(range(len(variants)), key=lambda i: (used.get(i, 0), i))
    return index, variants[index]


def emails_awaiting_approval():
    """Drafts a human must look at: their campaign wants approval, or a gate failed."""
    from django.db.models import Q

    from outreach.models import Email, EmailStatus

    return (
        Email.objects.filter(status=EmailStatus.DRAFT, type__in=[Email.Type.OUTREACH, Email.Type.FOLLOW_UP])
        .filter(
            Q(campaign__requires_approval=True) | Q(gate_results__passed=False) | Q(gate_results__needs_review=True)
        )
        .select_related("prospect", "campaign")
        .order_by("created_at", "id")
    )


def sequence_step_count(campaign) -> int:
    """Steps in a campaign's sequence: the first email plus one per follow-up day."""
    return 1 + len(campaign.follow_up_days or [])


def sequence_step_due_at(sequence, step: int) -> datetime.datetime | None:
    """When follow-up ``step`` (2, 3, …) of ``sequence`` is due: its day offset after the first
    send, and never sooner after the last email than the campaign spaces its steps. A step
    that went out late (an out-of-office pause, a sender outage) pushes the later ones back
    instead of letting them follow on consecutive days."""
    days = [int(d) for d in sequence.campaign.follow_up_days or []]
    if sequence.first_sent_at is None or not 2 <= step <= len(days) + 1:
        return None
    due = sequence.first_sent_at + datetime.timedelta(days=days[step - 2])
    last_sent = sequence.prospect.last_email_sent_at
    if last_sent:
        spacing = days[step - 2] - (days[step - 3] if step > 2 else 0)
        due = max(due, last_sent + datetime.timedelta(days=spacing))
    return due


SEQUENCE_CLOSE_AFTER_DAYS = 7  # after the last step, how long we wait for an answer


def _open_sequences(now):
    """Active sequences (and paused ones whose pause is over) of prospects still waiting on us."""
    from django.db.models import Exists, OuterRef, Q

    from outreach.models import Email, EmailStatus, Sequence, SequenceState
    from prospects.models import ProspectStage

    bounced = Email.objects.filter(prospect=OuterRef("prospect"), status=EmailStatus.BOUNCED)
    return (
        Sequence.objects.filter(
            Q(state=SequenceState.ACTIVE) | Q(state=SequenceState.PAUSED, paused_until__lte=now),
            first_sent_at__isnull=False,
            last_step_sent__gte=1,
            prospect__last_reply_at__isnull=True,
            prospect__stage__in=[ProspectStage.SENT, ProspectStage.CONTACTED],
        )
        .exclude(Exists(bounced))
        .select_related("prospect", "campaign")
        .order_by("first_sent_at", "id")
    )


def _suppressed(prospect) -> bool:
    from outreach.services.suppression import suppression_blocks

    return bool(prospect.email) and suppression_blocks(prospect.email) is not None


def sequences_due_for_follow_up(now: datetime.datetime) -> list:
    """Open sequences whose next follow-up step is due at ``now``; each carries ``next_step``."""
    due = []
    for sequence in _open_sequences(now):
        step = sequence.last_step_sent + 1
        at = sequence_step_due_at(sequence, step)
        if at is None or at > now or _suppressed(sequence.prospect):
            continue
        sequence.next_step = step
        due.append(sequence)
    return due


def sequences_due_to_close(now: datetime.datetime) -> list:
    """Open sequences whose every step went out and whose last wait passed with no answer."""
    due = []
    for sequence in _open_sequences(now):
        steps = sequence_step_count(sequence.campaign)
        if sequence.last_step_sent < steps:
            continue
        days = sequence.campaign.follow_up_days or [0]
        close_at = sequence.first_sent_at + datetime.timedelta(days=int(days[-1]) + SEQUENCE_CLOSE_AFTER_DAYS)
        last_sent = sequence.prospect.last_email_sent_at  # a late last step gets its full week too
        if last_sent:
            close_at = max(close_at, last_sent + datetime.timedelta(days=SEQUENCE_CLOSE_AFTER_DAYS))
        if close_at <= now:
            due.append(sequence)
    return due
