"""Meetings booked through a campaign's booking link: into the pipeline, on the timeline.

``meeting_booked``, ``meeting_rescheduled`` and ``meeting_cancelled`` are what the
booking webhooks (replies.webhooks: Cal.com, Calendly) and the demo's sandbox call once
a call is authenticated. The prospect is found by the token our booking link carries
(``booking_link``: a signed prospect id, so an invitee who edits the link cannot name
another prospect), else by the invitee's address (one live prospect with it). Booked:
the prospect moves to ``meeting``, its sequence stops, a Meeting row records the time
(the prospect's timeline reads ``prospect.meetings`` and the ``meeting.*`` events) and
the team is alerted. Rescheduled: the time moves. Cancelled: the prospect goes back to
``replied`` and the team is alerted. Every call is idempotent on the provider's booking
id: a delivery retried changes nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core import signing
from django.db import transaction

from infra.alerts import alert_send
from infra.events import event_record
from infra.statemachine import transition_if_allowed
from outreach.services.sequences import sequence_stop
from prospects.models import Prospect, ProspectStage
from replies import events
from replies.models import Meeting

logger = logging.getLogger(__name__)
TOKEN_SALT = "jengu.booking-link"
# where each service carries our token back: Cal.com's booking metadata (a
# ``metadata[jengu]`` query parameter), Calendly's UTM tracking (``utm_content``)
TOKEN_PARAMETER = {"calcom": "metadata[jengu]", "calendly": "utm_content"}


@dataclass
class Booking:
    provider: str
    external_id: str
    invitee_email: str = ""
    invitee_name: str = ""
    starts_at: object = None
    ends_at: object = None
    title: str = ""
    token: str = ""
    cancel_reason: str = ""
    previous_id: str = ""  # a reschedule's original booking


def booking_provider(url: str) -> str:
    host = (urlsplit(url or "").hostname or "").lower()
    if host == "cal.com" or host.endswith(".cal.com"):
        return "calcom"
    if host == "calendly.com" or host.endswith(".calendly.com"):
        return "calendly"
    return ""


def booking_token(prospect: Prospect) -> str:
    return signing.Signer(salt=TOKEN_SALT).sign(str(prospect.pk))


def prospect_from_token(token: str) -> Prospect | None:
    try:
        pk = signing.Signer(salt=TOKEN_SALT).unsign(token or "")
    except signing.BadSignature:
        return None
    return Prospect.objects.filter(pk=int(pk)).first() if pk.isdigit() else None


def booking_link(url: str, prospect: Prospect) -> str:
    """The campaign's booking link with this prospect's token, for the service to send back."""
    parameter = TOKEN_PARAMETER.get(booking_provider(url))
    if not url or not parameter:
        return url
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query), (parameter, booking_token(prospect))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _prospect_for(booking: Booking) -> Prospect | None:
    if booking.token and (found := prospect_from_token(booking.token)):
        return found
    if not booking.invitee_email:
        return None
    live = Prospect.objects.filter(email__iexact=booking.invitee_email, merged_into__isnull=True).exclude(
        stage__in=[ProspectStage.LOST, ProspectStage.WON]
    )
    matches = list(live[:2])
    return matches[0] if len(matches) == 1 else None


def _alert(prospect: Prospect, text: str, key: str) -> None:
    transaction.on_commit(lambda: alert_send(key=key, text=f"{prospect}: {text}"))


def meeting_booked(*, booking: Booking, by) -> Meeting | None:
    """A booking was made (or made anew after a reschedule): see the module docstring."""
    prospect = _prospect_for(booking)
    if prospect is None:
        event_record(
            events.MEETING_UNMATCHED,
            level="warning",
            message=f"{booking.provider} booking {booking.external_id[:60]}: no prospect found",
            data={"provider": booking.provider, "external_id": booking.external_id[:200]},
            by=by,
        )
        return None
    with transaction.atomic():
        meeting, created = Meeting.objects.get_or_create(
            provider=booking.provider,
            external_id=booking.external_id[:200],
            defaults={
                "prospect": prospect,
                "starts_at": booking.starts_at,
                "ends_at": booking.ends_at,
                "title": booking.title[:200],
                "invitee_email": booking.invitee_email[:254],
                "invitee_name": booking.invitee_name[:200],
                "status": Meeting.Status.BOOKED,  # the live booking; a rescheduled one's old row is marked below
            },
        )
        if not created:
            return meeting  # a delivery retried
        if booking.previous_id:
            Meeting.objects.filter(provider=booking.provider, external_id=booking.previous_id[:200]).update(
                status=Meeting.Status.RESCHEDULED
            )
        moved = ""
        if transition_if_allowed(prospect, "book_meeting", by=by, reason=f"{booking.provider} booking {meeting.pk}"):
            moved = " → meeting"
        else:
            logger.info("booking %s: %s stays at %s", meeting.pk, prospect.pk, prospect.stage)
        sequence_stop(prospect=prospect, reason=f"meeting booked ({booking.provider})", by=by)
        when = f"{booking.starts_at:%Y-%m-%d %H:%M} UTC" if booking.starts_at else "a time not given"
        name = events.MEETING_RESCHEDULED if booking.previous_id else events.MEETING_BOOKED
        event_record(
            name,
            message=f"{prospect}: meeting {when} ({booking.provider}){moved}",
            data={
                "prospect_id": prospect.pk,
                "meeting_id": meeting.pk,
                "starts_at": booking.starts_at.isoformat() if booking.starts_at else None,
            },
            trace_id=prospect.trace_id,
            by=by,
        )
        _alert(prospect, f"meeting booked for {when} ({meeting.get_provider_display()})", f"meeting:{meeting.pk}")
    return meeting


def meeting_rescheduled(*, booking: Booking, by) -> Meeting | None:
    """The same booking moved to another time (Cal.com sends the new booking with the old id)."""
    existing = Meeting.objects.filter(provider=booking.provider, external_id=booking.previous_id[:200]).first()
    if existing is None or booking.external_id != booking.previous_id:
        return meeting_booked(booking=booking, by=by)
    Meeting.objects.filter(pk=existing.pk).update(starts_at=booking.starts_at, ends_at=booking.ends_at)
    existing.refresh_from_db()
    return existing


def meeting_cancelled(*, booking: Booking, by, rescheduled: bool = False) -> Meeting | None:
    """A booking was cancelled. One cancelled because it was rescheduled (Calendly sends the
    cancellation and the new booking) only changes the old row's status."""
    meeting = Meeting.objects.filter(provider=booking.provider, external_id=booking.external_id[:200]).first()
    if meeting is None or meeting.status == Meeting.Status.CANCELLED:
        return meeting
    prospect = meeting.prospect
    with transaction.atomic():
        if rescheduled:
            Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.RESCHEDULED)
            return meeting
        Meeting.objects.filter(pk=meeting.pk).update(
            status=Meeting.Status.CANCELLED, cancel_reason=booking.cancel_reason[:300]
        )
        still_booked = Meeting.objects.filter(prospect=prospect, status=Meeting.Status.BOOKED).exclude(pk=meeting.pk)
        if not still_booked.exists():
            reason = f"{booking.provider} booking cancelled"
            if not transition_if_allowed(prospect, "cancel_meeting", by=by, reason=reason):
                logger.info("cancelled booking %s: %s stays at %s", meeting.pk, prospect.pk, prospect.stage)
        event_record(
            events.MEETING_CANCELLED,
            level="warning",
            message=f"{prospect}: meeting cancelled ({booking.provider}) {booking.cancel_reason[:100]}".strip(),
            data={"prospect_id": prospect.pk, "meeting_id": meeting.pk},
            trace_id=prospect.trace_id,
            by=by,
        )
        _alert(prospect, "meeting cancelled; back to replied", f"meeting:{meeting.pk}:cancelled")
    meeting.refresh_from_db()
    return meeting
