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

The cron runs ``follow_up_fan_out``: steps 1 and 3 as above, but step 2 only queues one
``follow_up_compose_queued`` task per due follow-up on the ``composition`` queue, so the
job's own work does not grow with the number of follow-ups (composing one is AI calls and
gates; a day with thousands of them would outlive the task timeout). Each task checks
again that the sequence still waits for that step before composing it.
``follow_up_run`` composes inline (tests, one-off runs).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from infra.errors import AlreadyMoved, ApplicationError, TransitionNotAllowed
from infra.events import event_record
from infra.stages import task_enqueue
from outreach import events
from outreach.models import Email, EmailStatus, Sequence, SequenceState
from outreach.selectors import sequences_due_for_follow_up, sequences_due_to_close
from outreach.services.composition import email_draft, email_release_or_hold, email_save_draft, live_email_for_step
from outreach.services.sequences import sequences_resume_due

logger = logging.getLogger(__name__)
ACTOR = "task:follow_up"
QUEUE = "composition"


@dataclass
class FollowUpSummary:
    composed: int = 0
    queued: int = 0
    held: int = 0
    closed: int = 0
    resumed: int = 0
    enqueued: int = 0  # composition tasks queued by the fan-out
    skipped: list[str] = field(default_factory=list)

    def __str__(self):
        composing = (
            f"{self.enqueued} follow-up(s) sent to the composition queue"
            if self.enqueued
            else f"{self.composed} follow-up(s) composed ({self.queued} queued, {self.held} held for review)"
        )
        return f"{composing}, {self.closed} sequence(s) closed, {self.resumed} resumed"


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
            events.SEQUENCE_COMPLETED,
            message=f"{sequence.prospect}: {sequence.last_step_sent} step(s), no response",
            data={"sequence_id": sequence.pk},
            trace_id=sequence.prospect.trace_id,
            by=ACTOR,
        )
    return True


def follow_up_fan_out(*, now: datetime.datetime | None = None) -> FollowUpSummary:
    """The cron's run: resume, queue one composition task per due follow-up, close finished sequences.

    Closing stays here: it is a few row updates per sequence, no network.
    """
    now = now or timezone.now()
    summary = FollowUpSummary(resumed=sequences_resume_due(now=now))
    for sequence in sequences_due_for_follow_up(now):
        task_enqueue(
            "outreach.tasks.follow_up_compose_task",
            sequence.pk,
            sequence.next_step,
            queue=QUEUE,
            name=f"follow_up:{sequence.pk}:step-{sequence.next_step}",
        )
        summary.enqueued += 1
    for sequence in sequences_due_to_close(now):
        if sequence_close(sequence=sequence, now=now):
            summary.closed += 1
    event_record(
        events.FOLLOW_UP_RUN,
        message=str(summary),
        data={"enqueued": summary.enqueued, "closed": summary.closed, "resumed": summary.resumed},
    )
    return summary


def follow_up_compose_queued(*, sequence_id: int, step: int, providers: list | None = None) -> str:
    """The composition task the fan-out queued: step ``step``, if the sequence still waits for it."""
    sequence = Sequence.objects.select_related("prospect", "campaign").filter(pk=sequence_id).first()
    if sequence is None or sequence.state != SequenceState.ACTIVE or sequence.last_step_sent + 1 != step:
        # a reply, a pause or an earlier task got there first: nothing to write
        return f"sequence {sequence_id} step {step}: no longer due"
    try:
        email = follow_up_compose(sequence=sequence, step=step, providers=providers)
    except ApplicationError as exc:
        logger.warning("sequence %s step %s not composed: %s", sequence_id, step, exc.message)
        return f"sequence {sequence_id} step {step}: skipped, {exc.message}"
    if email is None:
        return f"sequence {sequence_id} step {step}: already composed"
    return f"sequence {sequence_id} step {step}: email {email.pk} {email.status}"


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
    event_record(
        events.FOLLOW_UP_RUN, message=str(summary), data={"composed": summary.composed, "closed": summary.closed}
    )
    return summary
