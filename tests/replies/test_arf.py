"""Abuse feedback reports (ARF, RFC 5965) arriving in an inbox: a complaint about an email we
sent suppresses its recipient; anything less precise waits for a person.

The fixtures in tests/fixtures/replies/arf/ (see its README) have the shapes Yahoo's
Complaint Feedback Loop and Microsoft's JMRP (both its ARF form and its older
attachment form) send, plus a report about a message we never sent and a DMARC failure
report. One is delivered through a real Dovecot and the IMAP poller, one through
SendGrid's inbound webhook; the rest through ``reply_ingest`` as both of those call it.
"""

import base64
import datetime
from pathlib import Path

import pytest
import time_machine
from constance import config

from infra.models import Alert, Event
from outreach.models import Email, EmailStatus, Sequence, SequenceState, Suppression
from outreach.selectors import inboxes_with_rates
from prospects.models import Prospect
from replies.inbound.imap import imap_poll
from replies.models import MatchRule, Reply
from replies.services.ingest import reply_ingest
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.dovecot import PASSWORD, DovecotServer, dovecot_available

pytestmark = pytest.mark.django_db

ARF = Path(__file__).resolve().parents[1] / "fixtures" / "replies" / "arf"
SENT_AT = datetime.datetime(2026, 12, 2, 9, 12, 2, tzinfo=datetime.UTC)
REPORTED_AT = datetime.datetime(2026, 12, 2, 17, 45, tzinfo=datetime.UTC)  # the reports' day
# the emails the fixtures report: (fixture, our inbox, Message-ID, recipient)
YAHOO = ("yahoo_cfl.eml", "edd@mail.jengu.test", "<5f0c8e7a2d4b4e1f9a3c6b8d0e2f4a61@mail.jengu.test>",
         "harbourview.gm@yahoo.com")  # fmt: skip
JMRP = ("microsoft_jmrp.eml", "anna@mail.jengu.test", "<b81d2e94c3a64f0b8e57d19a60c2f3e8@mail.jengu.test>",
        "frontdesk.seehotel@outlook.com")  # fmt: skip
JMRP_LEGACY = ("microsoft_jmrp_legacy.eml", "tom@mail.jengu.test",
               "<2e9a7c51f04b4d8bb63e15a07d9c2f18@mail.jengu.test>", "gm.seaview@hotmail.com")  # fmt: skip


@pytest.fixture(autouse=True)
def on_the_reports_day():
    """The fixtures are dated 2 December 2026: the 28-day window is read from that day."""
    with time_machine.travel(REPORTED_AT):
        yield


@pytest.fixture(autouse=True)
def tasks_inline(settings):
    """The reply_processing stage runs inline, so a report it would read is read in the test."""
    settings.JENGU_TASKS_SYNC = True
    settings.GROK_API_KEY = settings.ANTHROPIC_API_KEY = ""
    settings.ALERT_WEBHOOK_URL = ""
    config.COMPLAINT_RATE_MIN_SENDS = 500


def raw(name: str) -> bytes:
    return (ARF / name).read_bytes()


def our_email(inbox_address: str, message_id: str, to: str, *, sent_at=SENT_AT, **inbox_fields) -> Email:
    """A prospect in contacted with the email the report is about, and its active sequence."""
    prospect = ProspectFactory(stage="contacted", email=to)
    inbox = InboxFactory(email=inbox_address, **inbox_fields)
    email = EmailFactory(prospect=prospect, inbox=inbox, status=EmailStatus.DELIVERED, sent_at=sent_at,
                         message_id=message_id, campaign=CampaignFactory(name="Check-in"))  # fmt: skip
    Sequence.objects.create(prospect=prospect, campaign=email.campaign, inbox=inbox, first_sent_at=sent_at,
                            last_step_sent=1)  # fmt: skip
    return email


def receive(message: bytes, capture, **kwargs) -> Reply:
    with capture(execute=True):
        result = reply_ingest(message, source=kwargs.pop("source", Reply.Source.IMAP), **kwargs)
    assert result.created
    result.reply.refresh_from_db()
    return result.reply


def assert_complaint_applied(email: Email, reply: Reply):
    email.refresh_from_db()
    assert email.status == EmailStatus.SPAM
    entry = Suppression.objects.get(value=email.to_email)
    assert (entry.kind, entry.reason) == (Suppression.Kind.ADDRESS, Suppression.Reason.COMPLAINT)
    assert entry.source == f"feedback loop {reply.from_email} (reply {reply.pk})"
    assert Sequence.objects.get(prospect=email.prospect).state == SequenceState.STOPPED
    complained = Event.objects.get(name="email.complained")
    assert complained.data["email_id"] == email.pk and complained.actor == "system:feedback_loop"
    # the reply: matched through the reported Message-ID, read by the ARF reader, not the AI
    assert (reply.email, reply.prospect, reply.match_rule) == (email, email.prospect, MatchRule.REFERENCES)
    assert reply.interpreted_by == "arf" and reply.intent == "" and reply.processed_at is not None
    assert not reply.needs_human and reply.suggested_action == "spam_complaint"
    assert not Event.objects.filter(name="reply.classified").exists()  # no reader was asked
    assert Prospect.objects.get(pk=email.prospect_id).reply_pending_since is None  # holds nothing
    # the complaint counts toward its inbox (and so its domain)
    rates = inboxes_with_rates().get(pk=email.inbox_id)
    assert (rates.complained_28d, rates.sent_28d) == (1, 1)


@pytest.mark.parametrize("case", [YAHOO, JMRP, JMRP_LEGACY], ids=["yahoo-cfl", "jmrp-arf", "jmrp-legacy"])
def test_a_complaint_about_our_email_suppresses_its_recipient(django_capture_on_commit_callbacks, case):
    name, inbox, message_id, to = case
    email = our_email(inbox, message_id, to)
    reply = receive(raw(name), django_capture_on_commit_callbacks)
    assert_complaint_applied(email, reply)
    assert "Feedback-Type: abuse" in reply.body and message_id in reply.body


def test_a_redacted_report_still_finds_the_recipient_through_our_message_id(django_capture_on_commit_callbacks):
    """Microsoft removes the complainer's address: our email's Message-ID says who it was."""
    email = our_email(*JMRP[1:])
    reply = receive(raw(JMRP[0]), django_capture_on_commit_callbacks)
    assert_complaint_applied(email, reply)
    assert "names no recipient (redacted)" in reply.reasoning


def test_a_report_naming_no_message_id_of_ours_waits_for_a_person(django_capture_on_commit_callbacks):
    """Anyone can write a report naming a prospect's address: without our Message-ID it
    suppresses nothing, stops nothing, and a person is alerted."""
    email = our_email(*YAHOO[1:])  # the prospect the forged report names, with an email of ours
    reply = receive(raw("yahoo_cfl_not_ours.eml"), django_capture_on_commit_callbacks)
    email.refresh_from_db()
    assert email.status == EmailStatus.DELIVERED
    assert not Suppression.objects.exists()
    assert Sequence.objects.get(prospect=email.prospect).state == SequenceState.ACTIVE
    assert (reply.email, reply.prospect, reply.match_rule) == (None, None, MatchRule.UNMATCHED)
    assert reply.needs_human and reply.processed_at is not None
    unverified = Event.objects.get(name="reply.complaint_unverified")
    assert unverified.data["reported_message_ids"] == ["<invoice-88213@relay.example>"]
    assert unverified.data["original_rcpt_to"] == [YAHOO[3]]
    assert Alert.objects.filter(key=f"reply:{reply.pk}").exists()
    assert not Event.objects.filter(name__in=["email.complained", "reply.classified"]).exists()


def test_a_report_whose_arrival_date_is_before_our_send_waits_for_a_person(django_capture_on_commit_callbacks):
    """The report returns our Message-ID but says the message arrived a week before we sent it."""
    email = our_email(*YAHOO[1:], sent_at=SENT_AT + datetime.timedelta(days=7))
    reply = receive(raw(YAHOO[0]), django_capture_on_commit_callbacks)
    email.refresh_from_db()
    assert email.status == EmailStatus.DELIVERED and not Suppression.objects.exists()
    assert reply.needs_human and "before we sent" in reply.reasoning
    assert Event.objects.filter(name="reply.complaint_unverified").exists()


def test_a_dmarc_failure_report_about_our_email_is_no_complaint(django_capture_on_commit_callbacks):
    email = our_email(*YAHOO[1:])
    reply = receive(raw("dmarc_auth_failure.eml"), django_capture_on_commit_callbacks)
    email.refresh_from_db()
    assert email.status == EmailStatus.DELIVERED and not Suppression.objects.exists()
    assert Sequence.objects.get(prospect=email.prospect).state == SequenceState.ACTIVE
    assert reply.email == email and not reply.needs_human and reply.interpreted_by == "arf"
    assert "auth-failure report, not a complaint" in reply.reasoning


def test_the_same_report_by_imap_and_by_webhook_is_acted_on_once(django_capture_on_commit_callbacks):
    email = our_email(*YAHOO[1:])
    first = receive(raw(YAHOO[0]), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        again = reply_ingest(raw(YAHOO[0]), source=Reply.Source.SENDGRID)
    assert again.reply == first and not again.created
    assert Event.objects.filter(name="email.complained").count() == 1
    assert Suppression.objects.filter(value=email.to_email).count() == 1


def test_a_report_through_sendgrids_inbound_webhook(client, settings, django_capture_on_commit_callbacks):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:secret"}
    email = our_email(*JMRP_LEGACY[1:])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/anymail/sendgrid/inbound/",
            {"email": raw(JMRP_LEGACY[0]).decode(), "to": JMRP_LEGACY[1], "from": "staff@hotmail.com",
             "charsets": '{"email": "utf-8"}'},
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(b"hook:secret").decode(),
        )  # fmt: skip
    assert response.status_code == 200
    reply = Reply.objects.get(source=Reply.Source.SENDGRID)
    assert_complaint_applied(email, reply)


@pytest.mark.skipif(not dovecot_available(), reason="needs dovecot-imapd (make test installs it)")
def test_a_yahoo_report_read_from_a_real_mailbox_suppresses_the_address(django_capture_on_commit_callbacks):
    """Done means: an ARF report in an inbox suppresses the address."""
    server = DovecotServer([YAHOO[1]]).start()
    try:
        email = our_email(*YAHOO[1:], imap_host="127.0.0.1", imap_port=server.port, imap_password=PASSWORD)
        server.deliver(YAHOO[1], raw(YAHOO[0]))
        with django_capture_on_commit_callbacks(execute=True):
            summary = imap_poll()
        assert (summary.new_replies, summary.errors) == (1, 0)
        reply = Reply.objects.get(message_id="<1764684449.2204.5119.cfl@arf.mail.yahoo.com>")
        assert reply.source == Reply.Source.IMAP and reply.inbox == email.inbox
        assert_complaint_applied(email, reply)
    finally:
        server.stop()
