"""The follow-up run (cron, 10:00 Mon–Fri): the next step of every sequence that is due.

``follow_up_run(now=None)``:

1. resumes paused sequences whose pause is over (out of office ended);
2. for each open sequence whose next step's day offset has come (the campaign's
   ``follow_up_days[n-2]`` days after the first send, for step n) composes step n with
   its angle (``follow_up_angles``: reminder, new_value, breakup) as a reply in the
   first email's thread: ``Re: <first subject>``, ``In-Reply-To`` the first email's
   Message-ID. It is queued, or held as a draft when the campaign wants approval or a
   gate failed. The inbox is left blank: the sender sends from the sequence's inbox;
3. closes sequences whose last step went out ``SEQUENCE_CLOSE_AFTER_DAYS`` days after
   its offset with no answer: the sequence is completed and the prospect lost ("no
   response").

A sequence is open while nobody replied, nothing bounced and the address is not
suppressed (``outreach.selectors``). The run is idempotent: a step already composed
(any status but rejected) is never composed again, checked under a row lock.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from infra.errors import AlreadyMoved, ApplicationError, TransitionNotAllowed
from infra.events import event_record
from outreach.models import Email, EmailStatus, Sequence, SequenceState
from outreach.selectors import sequences_due_for_follow_up, sequences_due_to_close
from outreach.services.composition import email_draft, email_release_or_hold, email_save_draft, live_email_for_step
from outreach.services.sequences import sequences_resume_due

logger = logging.getLogger(__name__)
ACTOR = "task:follow_up"


@dataclass
class FollowUpSummary:
    composed: int = 0
    queued: int = 0
    held: int = 0
    closed: int = 0
    resumed: int = 0
    skipped: list[str] = field(default_factory=list)

    def __str__(self):
        return (
            f"{self.composed} follow-up(s) composed ({self.queued} queued, {self.held} held for review), "
            f"{self.closed} sequence(s) closed, {self.resumed} resumed"
        )


def first_email_of(prospect_id: int) -> Email | None:
    """The thread's root: the prospect's sent first email."""
    return (
        Email.objects.filter(prospect_id=prospect_id, sequence_step=1, sent_at__isnull=False)
        .exclude(status__in=[EmailStatus.REJECTED, EmailStatus.CANCELLED])
        .order_by("sent_at", "id")
        .first()
    )


def angle_for_step(campaign, step: int) -> str:
    angles = campaign.follow_up_angles or []
    return angles[step - 2] if 0 <= step - 2 < len(angles) else "reminder"


def follow_up_compose(*, sequence: Sequence, step: int, providers: list | None = None) -> Email | None:
    """Compose and save step ``step`` of ``sequence``; None when it exists already or cannot be threaded."""
    prospect = sequence.prospect
    if live_email_for_step(prospect.pk, step):
        return None
    first = first_email_of(prospect.pk)
    if first is None:
        logger.warning("sequence %s: no sent first email to follow up on", sequence.pk)
        return None
    draft = email_draft(
        prospect=prospect,
        campaign=sequence.campaign,
        step=step,
        angle=angle_for_step(sequence.campaign, step),
        first_email=first,
        providers=providers,
    )
    with transaction.atomic():
        locked = Sequence.objects.select_for_update().get(pk=sequence.pk)
        if locked.state not in (SequenceState.ACTIVE, SequenceState.PAUSED):
            return None  # stopped while we were writing (a reply came in)
        email = email_save_draft(
            prospect=prospect, campaign=sequence.campaign, draft=draft, step=step, first_email=first
        )
        if email is not None:
            email_release_or_hold(email=email, by=ACTOR)
    return email


def sequence_close(*, sequence: Sequence, now: datetime.datetime) -> bool:
    """Every step went out and no answer came: complete the sequence, the prospect is lost."""
    from prospects.services import prospect_mark_lost

    with transaction.atomic():
        closed = Sequence.objects.filter(pk=sequence.pk, state__in=[SequenceState.ACTIVE, SequenceState.PAUSED]).update(
            state=SequenceState.COMPLETED, stop_reason="no response", stopped_at=now, paused_until=None
        )
        if not closed:
            return False
        try:
            prospect_mark_lost(prospect=sequence.prospect, by=ACTOR, reason="no response")
        except (AlreadyMoved, TransitionNotAllowed) as exc:
            logger.info("sequence %s completed; prospect not marked lost: %s", sequence.pk, exc)
        event_record(
            "sequence.completed",
            message=f"{sequence.prospect}: {sequence.last_step_sent} step(s), no response",
            data={"sequence_id": sequence.pk},
            trace_id=sequence.prospect.trace_id,
            by=ACTOR,
        )
    return True


def follow_up_run(*, now: datetime.datetime | None = None, providers: list | None = None) -> FollowUpSummary:
    """Compose every due follow-up and close every finished sequence (see the module docstring)."""
    now = now or timezone.now()
    summary = FollowUpSummary(resumed=sequences_resume_due(now=now))
    for sequence in sequences_due_for_follow_up(now):
        try:
            email = follow_up_compose(sequence=sequence, step=sequence.next_step, providers=providers)
        except ApplicationError as exc:
            summary.skipped.append(f"sequence {sequence.pk}: {exc.message}")
            continue
        if email is None:
            continue
        summary.composed += 1
        if email.status == EmailStatus.QUEUED:
            summary.queued += 1
        else:
            summary.held += 1
    for sequence in sequences_due_to_close(now):
        if sequence_close(sequence=sequence, now=now):
            summary.closed += 1
    event_record("follow_up.run", message=str(summary), data={"composed": summary.composed, "closed": summary.closed})
    return summary
