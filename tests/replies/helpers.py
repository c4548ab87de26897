"""Building inbound messages and a contacted prospect the way the pipeline leaves them."""

import datetime
from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from outreach.models import Sequence
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory


def contacted(*, sent_at=None, **prospect_fields):
    """A prospect in `contacted` with one sent email (a Message-ID) and an active sequence."""
    prospect = ProspectFactory(**{"stage": "contacted", **prospect_fields})
    sent_at = sent_at or timezone.now() - datetime.timedelta(hours=3)
    email = EmailFactory(
        prospect=prospect,
        status="sent",
        sent_at=sent_at,
        inbox=InboxFactory(),
        campaign=CampaignFactory(name="Check-in"),
        message_id=f"<out-{prospect.pk}@mail.jengu.test>",
    )
    Sequence.objects.create(
        prospect=prospect, campaign=email.campaign, inbox=email.inbox, first_sent_at=sent_at, last_step_sent=1
    )
    return prospect, email


def inbound(
    body,
    *,
    sender="gm@hotel.example",
    name="Sarah Johnson",
    subject="Re: Faster check-ins?",
    in_reply_to="",
    references="",
    message_id=None,
    headers=None,
    date=None,
    to="edd@mail.jengu.test",
) -> bytes:
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(date or timezone.now())
    message["Message-ID"] = message_id or f"<{abs(hash((body, sender, subject)))}@{sender.split('@')[1]}>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    if references:
        message["References"] = references
    for key, value in (headers or {}).items():
        message[key] = value
    message.set_content(body)
    return bytes(message)


def reply_to(email, body, **kwargs) -> bytes:
    kwargs.setdefault("sender", email.to_email)
    kwargs.setdefault("in_reply_to", email.message_id)
    kwargs.setdefault("references", email.message_id)
    return inbound(body, **kwargs)
