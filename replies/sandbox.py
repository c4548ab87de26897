"""The offline twin of a real mailbox's replies, for the demo.

The demo's emails go to a local SMTP sink (outreach.models.SinkMessage, written by the
sending side). ``sandbox_replies_run()`` answers some of them as their recipients
might: deterministically (a hash of the Message-ID) every second email gets a reply
picked from a bundled set of varied texts — interested, a delegation to a named
colleague with an address, an out-of-office with a return date, an unsubscribe, a
meeting request, a hostile refusal, questions, a wrong person, a hotel-wide refusal, and
German, French and Spanish ones — written as a real reply (threading headers, quoted
original, a mobile footer here and there, auto-reply headers for the absence notice)
and stored through ``reply_ingest(source="sandbox")``, so it is cleaned, matched,
interpreted and acted on exactly like mail from IMAP. The reply's Message-ID is derived
from the original's, so a sink message is answered once however often this runs.

``sandbox_bookings_run()`` is the demo's twin of a booking service: a prospect whose
meeting request was acted on, or whose draft answer (with the campaign's booking link)
a person sent, "books" the first proposed slot — the next working day at 10:00 in the
prospect's time zone — through ``meeting_booked`` as the Cal.com and Calendly webhooks
do, so the prospect moves to ``meeting`` with the meeting on its timeline.
"""

from __future__ import annotations

import datetime
import hashlib
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from django.utils import timezone

from outreach.models import Email, SinkMessage
from replies.models import Reply
from replies.services.ingest import reply_ingest

REPLY_EVERY = 2  # answer one sink message in REPLY_EVERY
DELAY = datetime.timedelta(seconds=60)  # replies "arrive" a minute after the email at the earliest
LOOKBACK = datetime.timedelta(days=7)

# (key, extra headers, subject prefix, body); placeholders: {first}, {hotel}, {colleague},
# {colleague_email}, {return_date}, {sender_first}
AUTO = {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}
SANDBOX_REPLIES = [
    ("interested", {}, "Re: ",
     "Hi {sender_first},\n\nThis is relevant for us - check-in queues on Fridays are a real problem at "
     "{hotel}. I'd like to hear more.\n\nBest,\n{first}"),
    ("delegated", {}, "Re: ",
     "Hi {sender_first},\n\nNot really my area. I'm forwarding this to our Operations Director, "
     "{colleague} ({colleague_email}), who handles vendor evaluations.\n\nThanks,\n{first}"),
    ("out_of_office", AUTO, "Automatic reply: ",
     "Thank you for your email. I am out of the office until {return_date} with limited access to email."),
    ("unsubscribe", {}, "Re: ", "Please remove me from your mailing list."),
    ("meeting_request", {}, "Re: ",
     "Sure, happy to do 15 minutes. How about Thursday at 2pm?\n\n{first}\n\nSent from my iPhone"),
    ("not_interested", {}, "Re: ",
     "This is the third email like this this week. Not interested, and I don't appreciate the follow-ups."),
    ("needs_more_info", {}, "Re: ", "What does this cost per room per month? And does it integrate with Opera?"),
    ("interested_de", {}, "AW: ",
     "Hallo {sender_first},\n\ndas klingt spannend, wir haben gerade Personalmangel an der Rezeption. "
     "Ich bin interessiert.\n\nViele Grüße\n{first}"),
    ("meeting_request_fr", {}, "RE: ",
     "Bonjour,\n\nAvec plaisir, on peut s'appeler jeudi à 15h ?\n\nCordialement,\n{first}"),
    ("not_interested_es", {}, "RE: ", "Gracias, pero no estamos interesados.\n\nUn saludo,\n{first}"),
    ("wrong_person", {}, "Re: ", "I'm not the right contact for this, sorry - I only handle group bookings."),
    ("company_not_interested", {}, "Re: ",
     "Thanks, but we are not interested as a hotel. Please don't contact any of our managers about it."),
]  # fmt: skip


def _digest(message_id: str) -> int:
    return int(hashlib.sha256(message_id.encode()).hexdigest()[:12], 16)


def sandbox_reply_message_id(original_message_id: str) -> str:
    return f"<sandbox-{_digest(original_message_id):x}@replies.sandbox.jengu>"


def _first_name(name: str, fallback: str) -> str:
    return (name or "").split()[0] if (name or "").split() else fallback


def sandbox_reply_for(email: Email, *, now=None, choice: int | None = None) -> EmailMessage:
    """A realistic reply to ``email`` from its recipient (deterministic for a Message-ID)."""
    now = now or timezone.now()
    prospect = email.prospect
    key, headers, prefix, template = SANDBOX_REPLIES[
        choice if choice is not None else _digest(email.message_id) // REPLY_EVERY % len(SANDBOX_REPLIES)
    ]
    domain = prospect.website_domain or prospect.email_domain or "hotel.example"
    return_date = timezone.localdate(now) + datetime.timedelta(days=5)
    body = template.format(
        first=_first_name(prospect.name, "Alex"),
        hotel=prospect.company_name,
        colleague="Mike Peters",
        colleague_email=f"mike.peters@{domain}",
        return_date=f"{return_date:%A %d %B %Y}",
        sender_first=_first_name((email.campaign.sender_name if email.campaign else "") or "", "there"),
    )
    quoted = "\n".join(f"> {line}" if line else ">" for line in email.body.splitlines())
    sent = email.sent_at or now
    message = EmailMessage()
    message["From"] = formataddr((prospect.name, email.to_email))
    message["To"] = email.from_email or (email.inbox.email if email.inbox else "")
    message["Subject"] = f"{prefix}{email.subject}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = sandbox_reply_message_id(email.message_id)
    message["In-Reply-To"] = email.message_id
    message["References"] = email.message_id
    for name, value in headers.items():
        message[name] = value
    attribution = f"On {format_datetime(sent)}, {email.from_email} wrote:"
    message.set_content(body if headers else f"{body}\n\n{attribution}\n{quoted}\n")
    message["X-Sandbox-Reply"] = key
    return message


def sandbox_replies_run(*, now=None, limit: int = 200) -> int:
    """Answer every second email the sink received (once each); returns replies stored."""
    now = now or timezone.now()
    sink = (
        SinkMessage.objects.filter(received_at__lte=now - DELAY, received_at__gte=now - LOOKBACK)
        .exclude(message_id="")
        .order_by("received_at")
        .values_list("message_id", flat=True)[:5000]
    )
    chosen = [mid for mid in sink if _digest(mid) % REPLY_EVERY == 0]
    answered = set(
        Reply.objects.filter(message_id__in=[sandbox_reply_message_id(m) for m in chosen]).values_list(
            "message_id", flat=True
        )
    )
    pending = [m for m in chosen if sandbox_reply_message_id(m) not in answered][:limit]
    emails = (
        Email.objects.filter(message_id__in=pending)
        .exclude(type=Email.Type.REPLY)
        .select_related("prospect", "campaign", "inbox")
    )
    created = 0
    for email in emails:
        result = reply_ingest(sandbox_reply_for(email, now=now), source=Reply.Source.SANDBOX, received_at=now)
        created += int(result.created)
    sandbox_bookings_run(now=now)
    return created


def _first_slot(prospect, now) -> datetime.datetime:
    import zoneinfo

    try:
        zone = zoneinfo.ZoneInfo(prospect.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    day = timezone.localtime(now, zone).date()
    while True:
        day += datetime.timedelta(days=1)
        if day.weekday() < 5:
            return datetime.datetime.combine(day, datetime.time(10, 0), tzinfo=zone)


def sandbox_bookings_run(*, now=None, limit: int = 50) -> int:
    """Book a meeting for each prospect ready to book in the demo (see the module docstring)."""
    from django.db.models import Q

    from replies.models import ActionStatus, Intent, Meeting
    from replies.services.meetings import Booking, booking_token, meeting_booked

    now = now or timezone.now()
    acted = [ActionStatus.AUTOMATIC, ActionStatus.CONFIRMED, ActionStatus.CORRECTED]
    ready = (
        Reply.objects.filter(source=Reply.Source.SANDBOX, prospect__isnull=False, received_at__lte=now - DELAY)
        .filter(
            Q(intent=Intent.MEETING_REQUEST, action_status__in=acted)
            | Q(answer_draft__status__in=["queued", "sending", "sent", "delivered", "opened", "clicked"])
        )
        .exclude(prospect__meetings__isnull=False)
        .select_related("prospect")
        .order_by("received_at")[:limit]
    )
    booked = 0
    for reply in ready:
        starts = _first_slot(reply.prospect, now)
        booking = Booking(
            provider=Meeting.Provider.SANDBOX,
            external_id=f"sandbox-reply-{reply.pk}",
            invitee_email=reply.from_email,
            invitee_name=reply.from_name,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(minutes=15),
            title="15-minute call (sandbox booking)",
            token=booking_token(reply.prospect),
        )
        booked += bool(meeting_booked(booking=booking, by="sandbox:booking"))
    return booked
