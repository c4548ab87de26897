"""Emails whose send was cut off: held for a person, never sent again by themselves.

An email found in ``sending`` longer than ``SEND_STUCK_AFTER_SECONDS`` (its sender
died mid-send) may be in the recipient's inbox already: ``emails_stuck_sweep`` holds it
for review with what is known (its Message-ID, the providers it was handed to). A person
then says what happened (``email_review_resolve``): sent — it is booked as the sender
would have booked it; not sent — it goes back to the queue with the same Message-ID and
its inbox slot is given back.

An email that failed for good (no provider accepted it in ``SEND_MAX_ATTEMPTS`` runs)
waits for a person too: ``email_requeue_failed`` puts it back in the queue with its
attempts counted from zero, once the cause is fixed, unless its prospect has since
answered or been closed.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from infra.errors import ApplicationError
from infra.models import StateTransition
from infra.statemachine import transition, transition_if_allowed
from outreach import events
from outreach.models import Email, EmailStatus, SendDecision
from outreach.services.pacing import inbox_slot_release
from outreach.services.sending import decision_record, email_book_sent


def emails_stuck_sweep(*, now: datetime.datetime | None = None) -> int:
    """Hold for review every email in `sending` longer than SEND_STUCK_AFTER_SECONDS (a sender died)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.SEND_STUCK_AFTER_SECONDS)
    held = 0
    for email in Email.objects.filter(status=EmailStatus.SENDING, status_changed_at__lt=cutoff):
        attempts = list(email_provider_attempts(email.pk).values_list("data__provider", flat=True))
        detail = (
            f"claimed at {email.status_changed_at:%Y-%m-%d %H:%M:%S} UTC and never finished; Message-ID "
            f"{email.message_id or '(none yet)'}; provider attempts: {', '.join(attempts) or 'none recorded'}. "
            "Check the provider or the recipient's thread, then mark it sent or failed."
        )
        with transaction.atomic():
            if not transition_if_allowed(email, "hold_for_review", by="system:sweeper", reason="stuck in sending"):
                continue
            decision_record(email, SendDecision.Outcome.REVIEW, "stuck", detail, inbox=email.inbox, now=now)
        held += 1
    return held


def email_provider_attempts(email_id: int):
    from infra.models import Event

    return Event.objects.filter(name=events.EMAIL_PROVIDER_ATTEMPT, data__email_id=email_id).order_by("created_at")


def email_review_resolve(*, email: Email, sent: bool, by, note: str = "") -> Email:
    """A human decided what happened to a held email.

    It went out: it is sent, as if the sender had finished (the sequence starts, the
    prospect moves on, follow-ups will be written). It did not: it goes back to the queue
    with the same Message-ID, and the next sender run sends it after every check.
    """
    # this claim's attempts only: a requeued email may have been claimed (and held) before
    claimed = (
        StateTransition.objects.filter(
            content_type=StateTransition.content_type_for(Email), object_id=email.pk, transition="claim"
        )
        .values_list("created_at", flat=True)
        .first()
    )
    attempts = email_provider_attempts(email.pk)
    last_attempt = (attempts.filter(created_at__gte=claimed) if claimed else attempts).last()
    with transaction.atomic():
        if sent:
            transition(email, "review_as_sent", by=by, reason=note or "a person confirmed it was sent")
            sent_at = email.sent_at or (last_attempt.created_at if last_attempt else timezone.now())
            provider = email.provider or (last_attempt.data.get("provider", "") if last_attempt else "")
            Email.objects.filter(pk=email.pk).update(sent_at=sent_at, provider=provider)
            email.refresh_from_db()
            email_book_sent(email, email.inbox, provider or "unknown provider", sent_at, by=by)
        else:
            transition(email, "review_as_failed", by=by, reason=note or "a person confirmed it was not sent")
            transition(email, "requeue", by=by, reason="not sent: back in the queue")
            if email.inbox_id and claimed:  # the slot the claim took goes back to that day
                inbox_slot_release(email.inbox, claimed.date())
        outcome = SendDecision.Outcome.SENT if sent else SendDecision.Outcome.SKIPPED
        detail = note or ("confirmed sent" if sent else "confirmed not sent; queued again")
        decision_record(email, outcome, "reviewed", detail)
    return email


def email_requeue_failed(*, email: Email, by) -> Email:
    """A person sends a failed email again: back to the queue, its provider attempts counted anew."""
    from prospects.models import ProspectStage

    if email.status != EmailStatus.FAILED:
        raise ApplicationError(f"Email {email.pk} is '{email.status}': only a failed email can be queued again.")
    prospect = email.prospect
    if prospect.stage in ProspectStage.ANSWERED:
        raise ApplicationError(
            f"Email {email.pk}: its prospect is '{prospect.stage}' (answered or closed); it is not sent again."
        )
    with transaction.atomic():
        transition(email, "requeue", by=by, reason="queued again by a person",
                   also={"send_attempts": 0, "not_before": None})  # fmt: skip
        decision_record(email, SendDecision.Outcome.SKIPPED, "requeued", "failed, then queued again by a person")
    return email
