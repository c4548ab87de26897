"""A prospect's sequence: stop it, pause it (out of office), resume it.

The follow-up run only composes steps for ``active`` sequences, and the sender cancels
a queued email whose sequence is no longer active, so stopping a sequence here is what
guarantees no further email goes to that person. Stopping also cancels emails that were
already composed or queued and not yet claimed by a sender.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from infra.events import event_record
from infra.statemachine import transition_if_allowed
from outreach import events
from outreach.models import Email, EmailStatus, Sequence, SequenceState
from prospects.models import Prospect

UNSENT = [EmailStatus.DRAFT, EmailStatus.QUEUED, EmailStatus.HELD]  # held: waiting for a consent (outreach.compliance)


def _cancel_unsent(prospect_ids, *, by, reason: str) -> int:
    cancelled = 0
    for email in Email.objects.filter(prospect_id__in=prospect_ids, status__in=UNSENT):
        # not moved: a sender claimed it first; its send-time re-check sees the stopped sequence
        cancelled += transition_if_allowed(email, "cancel", by=by, reason=reason)
    return cancelled


def sequence_stop(*, prospect: Prospect, reason: str, by, now=None) -> int:
    """Stop ``prospect``'s sequence and cancel its unsent emails; returns how many were cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        Sequence.objects.filter(prospect=prospect).exclude(state=SequenceState.STOPPED).update(
            state=SequenceState.STOPPED, stop_reason=reason[:200], stopped_at=now, paused_until=None
        )
        cancelled = _cancel_unsent([prospect.pk], by=by, reason=reason)
        event_record(
            events.SEQUENCE_STOPPED,
            message=f"{prospect}: {reason} ({cancelled} unsent cancelled)",
            data={"prospect_id": prospect.pk, "cancelled": cancelled},
            trace_id=prospect.trace_id,
            by=by,
        )
    return cancelled


def prospects_at_same_company(prospect: Prospect):
    """Every other live prospect at the same hotel (same dedup company key and city, or website)."""
    same = Prospect.objects.exclude(pk=prospect.pk).filter(merged_into__isnull=True)
    if prospect.website_domain:
        return same.filter(website_domain=prospect.website_domain)
    if prospect.company_key:
        return same.filter(company_key=prospect.company_key, city_key=prospect.city_key)
    return same.none()


def sequence_stop_company(*, prospect: Prospect, reason: str, by, now=None) -> int:
    """Account-level stop: the prospect and everyone else at that hotel; returns prospects stopped."""
    stopped = 0
    with transaction.atomic():
        for other in [prospect, *prospects_at_same_company(prospect)]:
            sequence_stop(prospect=other, reason=reason, by=by, now=now)
            stopped += 1
    return stopped


def sequence_pause(*, prospect: Prospect, until: datetime.datetime, reason: str, by) -> None:
    """Hold the sequence (out of office) until ``until``; queued emails wait for it too."""
    with transaction.atomic():
        Sequence.objects.filter(prospect=prospect, state=SequenceState.ACTIVE).update(
            state=SequenceState.PAUSED, paused_until=until, stop_reason=reason[:200]
        )
        Email.objects.filter(prospect=prospect, status=EmailStatus.QUEUED).update(not_before=until)
        event_record(
            events.SEQUENCE_PAUSED,
            message=f"{prospect}: {reason} until {until:%Y-%m-%d}",
            data={"prospect_id": prospect.pk, "until": until.isoformat()},
            trace_id=prospect.trace_id,
            by=by,
        )


def sequences_resume_due(*, now=None) -> int:
    """Resume paused sequences whose pause is over; returns how many resumed."""
    now = now or timezone.now()
    return Sequence.objects.filter(state=SequenceState.PAUSED, paused_until__lte=now).update(
        state=SequenceState.ACTIVE, paused_until=None, stop_reason=""
    )


def sequence_is_open(prospect_id: int) -> bool:
    """False once the prospect's sequence was stopped or completed (no sequence yet: open)."""
    state = Sequence.objects.filter(prospect_id=prospect_id).values_list("state", flat=True).first()
    return state in (None, SequenceState.ACTIVE, SequenceState.PAUSED)
