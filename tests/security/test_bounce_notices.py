"""A bounce notice acts only when it names a message we sent (issue 16, item 1).

Anyone can send a mail that looks like a MAILER-DAEMON notice, to an inbox or through an
ESP's inbound webhook. Before, three such notices naming three prospects' addresses lost
the three prospects, suppressed them and paused the inbox that wrote to them ("hard-bounce
rate 5.4%"). A notice now marks an email bounced (suppression, prospect lost, inbox
bounce rate) only when it references the Message-ID of an email we sent: In-Reply-To,
References, or the returned message's headers (message/rfc822, text/rfc822-headers, or
quoted in the text as Exim and qmail do). Otherwise a person reads it.
Notice shapes follow RFC 3464 (multipart/report; report-type=delivery-status).
"""

from __future__ import annotations

import datetime
import uuid

import pytest
from constance import config
from django.utils import timezone

from infra.models import Alert, Event
from outreach.models import Email, EmailStatus, InboxState, Suppression
from prospects.models import Prospect
from replies.models import Reply
from replies.services.actions import reply_attach
from replies.services.ingest import reply_ingest
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory, UserFactory
from tests.outreach.tracking_support import BASIC_AUTH, basic

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]


@pytest.fixture(autouse=True)
def offline(settings):
    settings.JENGU_TASKS_SYNC = True
    settings.GROK_API_KEY = settings.ANTHROPIC_API_KEY = ""
    settings.ALERT_WEBHOOK_URL = ""
    config.BOUNCE_RATE_PAUSE_THRESHOLD = 0.05


@pytest.fixture
def inbox_with_sends():
    """One inbox, 55 emails sent in the last days; the first three went to the targets."""
    inbox = InboxFactory()
    campaign = CampaignFactory(name="Spring")
    sent_at = timezone.now() - datetime.timedelta(days=2)
    emails = []
    for _ in range(55):
        prospect = ProspectFactory(stage="contacted")
        emails.append(
            EmailFactory(
                prospect=prospect, campaign=campaign, inbox=inbox, status=EmailStatus.SENT, sent_at=sent_at,
                message_id=f"<{uuid.uuid4().hex}@mail.jengu.test>",
            )
        )  # fmt: skip
    return inbox, emails[:3]


def notice(
    recipient: str, *, returned_message_id: str = "", in_reply_to: str = "", sender="MAILER-DAEMON@mx.example.net"
) -> bytes:
    """An RFC 3464 delivery report for ``recipient``, with the returned message's headers."""
    returned = f"Message-ID: {returned_message_id}\r\n" if returned_message_id else ""
    threading = f"In-Reply-To: {in_reply_to}\r\n" if in_reply_to else ""
    return (
        f"From: Mail Delivery System <{sender}>\r\nTo: edd@mail.jengu.test\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <{uuid.uuid4().hex}@mx.example.net>\r\n"
        f"{threading}X-Failed-Recipients: {recipient}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        f"--B\r\nContent-Type: text/plain\r\n\r\nYour message to {recipient} could not be delivered.\r\n"
        "550 5.1.1 User unknown\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n{returned}From: edd@mail.jengu.test\r\nTo: {recipient}\r\n"
        "Subject: Faster check-ins?\r\n\r\n--B--\r\n"
    ).encode()


def receive(raw: bytes, django_capture_on_commit_callbacks) -> Reply:
    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_ingest(raw, source="imap").reply
    reply.refresh_from_db()
    return reply


def assert_untouched(emails: list[Email]) -> None:
    for email in emails:
        email.refresh_from_db()
        assert email.status == EmailStatus.SENT
        assert Prospect.objects.get(pk=email.prospect_id).stage == "contacted"
    assert not Suppression.objects.exists()
    assert not Event.objects.filter(name="email.bounced").exists()


@pytest.mark.parametrize(
    "forgery",
    [
        "no returned headers",
        "a foreign Message-ID",
        "a foreign In-Reply-To",
        "a delivery system's name on the prospect's own address",
    ],
)
def test_three_forged_notices_lose_no_prospect_and_pause_no_inbox(
    inbox_with_sends, django_capture_on_commit_callbacks, forgery
):
    inbox, targets = inbox_with_sends
    for email in targets:
        kwargs = {
            "no returned headers": {},
            "a foreign Message-ID": {"returned_message_id": "<guess-123@mail.jengu.test>"},
            "a foreign In-Reply-To": {"in_reply_to": "<guess-456@mail.jengu.test>"},
            "a delivery system's name on the prospect's own address": {"sender": email.to_email},
        }[forgery]
        reply = receive(notice(email.to_email, **kwargs), django_capture_on_commit_callbacks)
        assert reply.intent == "bounce"
        assert reply.needs_human and Alert.objects.filter(key=f"reply:{reply.pk}").exists()
        assert Event.objects.filter(name="reply.bounce_unverified", data__reply_id=reply.pk).exists()
    assert_untouched(targets)
    inbox.refresh_from_db()
    assert inbox.state == InboxState.ACTIVE


def test_forged_notices_through_an_authenticated_inbound_webhook_act_no_more(
    client, settings, inbox_with_sends, django_capture_on_commit_callbacks
):
    # the ESP's inbound webhook is authenticated, but it relays whatever mail anyone sent
    settings.ANYMAIL = {"WEBHOOK_SECRET": BASIC_AUTH}
    inbox, targets = inbox_with_sends
    for email in targets:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/anymail/sendgrid/inbound/",
                {"email": notice(email.to_email).decode(), "to": inbox.email},
                HTTP_AUTHORIZATION=basic(BASIC_AUTH),
            )
        assert response.status_code == 200
    assert Reply.objects.filter(intent="bounce", needs_human=True).count() == 3
    assert_untouched(targets)
    inbox.refresh_from_db()
    assert inbox.state == InboxState.ACTIVE


@pytest.mark.parametrize("reference", ["text/rfc822-headers", "In-Reply-To"])
def test_a_genuine_notice_naming_our_message_still_bounces(
    inbox_with_sends, django_capture_on_commit_callbacks, reference
):
    _inbox, (email, *_) = inbox_with_sends
    kwargs = (
        {"in_reply_to": email.message_id} if reference == "In-Reply-To" else {"returned_message_id": email.message_id}
    )
    reply = receive(notice(email.to_email, **kwargs), django_capture_on_commit_callbacks)
    email.refresh_from_db()
    assert reply.email == email and email.status == EmailStatus.BOUNCED
    assert Suppression.objects.get(value=email.to_email).reason == Suppression.Reason.HARD_BOUNCE
    assert Prospect.objects.get(pk=email.prospect_id).stage == "lost"
    assert Event.objects.filter(name="email.bounced", data__email_id=email.pk).exists()


def test_an_exim_notice_quoting_our_headers_in_its_text_still_bounces(
    inbox_with_sends, django_capture_on_commit_callbacks
):
    """Exim (and qmail) return the message inline in a text/plain notice."""
    _inbox, (email, *_) = inbox_with_sends
    raw = (
        "From: Mail Delivery System <Mailer-Daemon@server1.hotelhost.example>\r\nTo: edd@mail.jengu.test\r\n"
        "Subject: Mail delivery failed: returning message to sender\r\n"
        f"Message-ID: <E1q-exim-{uuid.uuid4().hex[:8]}@server1.hotelhost.example>\r\n"
        f"X-Failed-Recipients: {email.to_email}\r\nAuto-Submitted: auto-replied\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This message was created automatically by mail delivery software.\r\n\r\n"
        "A message that you sent could not be delivered to one or more of its\r\n"
        "recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
        f"  {email.to_email}\r\n    No Such User Here\r\n\r\n"
        "------ This is a copy of the message, including all the headers. ------\r\n\r\n"
        f"Message-ID: {email.message_id}\r\nFrom: Edd Chen <edd@mail.jengu.test>\r\nTo: {email.to_email}\r\n"
        "Subject: Faster check-ins?\r\n\r\nHi, a short note about check-in times.\r\n"
    ).encode()
    reply = receive(raw, django_capture_on_commit_callbacks)
    email.refresh_from_db()
    assert reply.email == email and email.status == EmailStatus.BOUNCED
    assert Prospect.objects.get(pk=email.prospect_id).stage == "lost"


def test_a_person_may_still_act_on_a_notice_that_names_no_message(inbox_with_sends, django_capture_on_commit_callbacks):
    _inbox, (email, *_) = inbox_with_sends
    reply = receive(notice(email.to_email), django_capture_on_commit_callbacks)
    assert reply.prospect is None  # a failed recipient alone matches nobody
    reply_attach(reply=reply, prospect=email.prospect, by=UserFactory(username="olga-ops"))
    email.refresh_from_db()
    assert email.status == EmailStatus.BOUNCED
    assert Prospect.objects.get(pk=email.prospect_id).stage == "lost"
