"""A recipient refused at send time is a hard bounce; an email nobody takes fails after N runs.

The inbox's SMTP server is a real aiosmtpd server that answers like Postfix and Gmail:
``550 5.1.1 … User unknown`` to RCPT TO for one address, ``554 5.1.1 …`` to the DATA of
a message for another, a greylisting ``450 4.2.1`` and a ``554 5.7.1 Relay access
denied`` for others (RFC 5321 §4.2 reply codes, RFC 3463 enhanced status codes).
SendGrid, the provider after the inbox's SMTP server, is answered by ``responses`` in
the shape of POST /v3/mail/send (tests/fixtures/sendgrid), so "no other provider was
tried" is a call that never happened.
"""

import datetime
import json
import random
from pathlib import Path

import pytest
import responses
from aiosmtpd.controller import Controller
from constance import config
from django.urls import reverse

from infra.models import CircuitState, Event
from outreach.models import Email, EmailStatus, InboxDay, SendDecision, Sequence, SequenceState, Suppression
from outreach.providers.base import OutgoingMessage, ProviderError
from outreach.providers.esp import IdempotentResendBackend, ResendProvider
from outreach.providers.smtp import recipient_refusal
from outreach.services.sending import Pacing, sender_run
from prospects.models import Prospect, ProspectStage
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.smtp_sink import free_port

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SENDGRID_URL = "https://api.sendgrid.com/v3/mail/send"
RESEND_URL = "https://api.resend.com/emails"
NOW = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)
NO_PACING = Pacing(skip_probability=0.0, delay_min=0.0, delay_max=0.0, business_hours=False)

UNKNOWN_AT_RCPT = "ghost@hotel-refuses.example"  # and ghost2@, ghost3@, …
UNKNOWN_AT_DATA = "gone@hotel-refuses.example"
GREYLISTED = "later@hotel-refuses.example"
RELAY_DENIED = "elsewhere@hotel-refuses.example"
CONTENT_REFUSED = "strict@hotel-refuses.example"


def rcpt_answer(address: str) -> str | None:
    if address.startswith("ghost"):
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in virtual mailbox table"
    return {
        GREYLISTED: f"450 4.2.1 <{GREYLISTED}>: Recipient address rejected: Greylisted, please try again later",
        RELAY_DENIED: f"554 5.7.1 <{RELAY_DENIED}>: Relay access denied",
    }.get(address)


def data_answer(address: str) -> str | None:
    if address.startswith("gone"):
        return f"554 5.1.1 <{address}>: Recipient address rejected: mailbox unavailable"
    return {CONTENT_REFUSED: "554 5.7.1 Message rejected: content looks like spam"}.get(address)


class RefusingServer:
    """An SMTP server that refuses some recipients at RCPT TO and some messages at DATA."""

    def __init__(self):
        self.accepted: list[list[str]] = []
        self.rcpt_seen: list[str] = []
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen.append(address)
        if refusal := rcpt_answer(address):
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for address in envelope.rcpt_tos:
            if refusal := data_answer(address):
                return refusal
        self.accepted.append(list(envelope.rcpt_tos))
        return "250 OK: queued"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


@pytest.fixture(autouse=True)
def live_settings(settings):
    settings.RESEND_API_KEY = ""  # the inbox's SMTP server is the first provider
    settings.SENDGRID_API_KEY = "SG.test-key-id.Zk3v8QpL2mN5xR7tY1wE"
    settings.ALERT_WEBHOOK_URL = ""
    config.WARMUP_JITTER = False
    config.SAME_DOMAIN_GAP_MINUTES = 0
    config.SEND_MAX_ATTEMPTS = 5


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        recorded = json.loads((FIXTURES / "sendgrid" / "mail_send_accepted.json").read_text())
        mock.add(responses.POST, SENDGRID_URL, body=recorded["body"], status=recorded["status"],
                 headers={"X-Message-Id": recorded["headers"]["X-Message-Id"]})  # fmt: skip
        yield mock


@pytest.fixture
def server():
    with RefusingServer() as server:
        yield server


def queued_email(to: str):
    prospect = ProspectFactory(stage=ProspectStage.QUEUED, email=to)
    campaign = CampaignFactory(name="C")
    Sequence.objects.create(prospect=prospect, campaign=campaign)
    return EmailFactory(prospect=prospect, inbox=None, from_email="", status=EmailStatus.QUEUED, campaign=campaign)


RETRY = datetime.timedelta(minutes=6)  # past PROVIDER_RETRY_AFTER: the next run may try again


def run(at=NOW, **kwargs):
    return sender_run(clock=lambda: at, rng=random.Random(7), pacing=NO_PACING, **kwargs)


def sendgrid_calls(api):
    return [call for call in api.calls if call.request.url == SENDGRID_URL]


def assert_hard_bounce_at_send(email, inbox, api, *, code: str):
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED and email.sent_at is None
    entry = Suppression.objects.get(value=email.to_email)
    assert (entry.kind, entry.reason) == (Suppression.Kind.ADDRESS, Suppression.Reason.HARD_BOUNCE)
    assert Prospect.objects.get(pk=email.prospect_id).stage == ProspectStage.LOST
    assert Sequence.objects.get(prospect=email.prospect).state == SequenceState.STOPPED
    decision = email.send_decisions.get()
    assert (decision.outcome, decision.reason) == (SendDecision.Outcome.FAILED, "recipient_refused")
    assert code in decision.detail and email.to_email in decision.detail
    assert Event.objects.filter(name="email.bounced", data__email_id=email.pk).exists()
    # the server answered for the address: its circuit counts no failure
    circuit = CircuitState.objects.filter(key=f"smtp:{inbox.pk}").first()
    assert circuit is None or (circuit.consecutive_failures, circuit.state) == (0, "closed")
    assert sendgrid_calls(api) == []  # no other provider was tried
    attempts = Event.objects.filter(name="email.provider_attempt", data__email_id=email.pk)
    assert [e.data["provider"] for e in attempts] == ["smtp"]
    assert InboxDay.objects.get(inbox=inbox, day=NOW.date()).sent == 0  # nothing went out


def test_a_550_at_rcpt_fails_the_email_and_suppresses_the_address(server, api):
    inbox = InboxFactory(smtp_port=server.port, smtp_password="")
    email = queued_email(UNKNOWN_AT_RCPT)
    report = run()
    assert [(o.outcome, o.reason) for o in report.outcomes] == [("failed", "recipient_refused")]
    assert server.rcpt_seen == [UNKNOWN_AT_RCPT] and server.accepted == []
    assert_hard_bounce_at_send(email, inbox, api, code="550 5.1.1")
    run()  # it never goes back to the queue
    email.refresh_from_db()
    assert email.status == EmailStatus.FAILED and server.rcpt_seen == [UNKNOWN_AT_RCPT]


def test_a_554_at_data_naming_the_recipient_is_a_hard_bounce_too(server, api):
    inbox = InboxFactory(smtp_port=server.port, smtp_password="")
    email = queued_email(UNKNOWN_AT_DATA)
    assert [o.outcome for o in run().outcomes] == ["failed"]
    assert_hard_bounce_at_send(email, inbox, api, code="554 5.1.1")


def test_refusals_do_not_stop_the_run_nor_open_the_circuit(server, api):
    """Three refused recipients in a row are three hard bounces, not a provider outage."""
    inbox = InboxFactory(smtp_port=server.port, smtp_password="")
    refused = [
        queued_email(UNKNOWN_AT_RCPT),
        queued_email(UNKNOWN_AT_DATA),
        queued_email("ghost2@hotel-refuses.example"),
    ]
    good = queued_email("gm@hotel-accepts.example")
    report = run(limit=4)
    assert [o.outcome for o in report.outcomes] == ["failed", "failed", "failed", "sent"]
    assert not report.skipped_run
    assert server.accepted == [["gm@hotel-accepts.example"]]
    assert CircuitState.objects.get(key=f"smtp:{inbox.pk}").state == "closed"
    good.refresh_from_db()
    assert good.status == EmailStatus.SENT and good.provider == "smtp"
    assert {e.status for e in Email.objects.filter(pk__in=[e.pk for e in refused])} == {"failed"}


@pytest.mark.parametrize(
    "address, outcome",
    [
        (GREYLISTED, "450 4.2.1"),  # temporary: try later
        (RELAY_DENIED, "554 5.7.1"),  # about our session, not the address
        (CONTENT_REFUSED, "554 5.7.1"),  # about the message
    ],
)
def test_a_temporary_or_non_recipient_refusal_suppresses_nothing_and_fails_over(server, api, address, outcome):
    inbox = InboxFactory(smtp_port=server.port, smtp_password="")
    email = queued_email(address)
    assert run().sent == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.provider == "sendgrid"
    assert not Suppression.objects.exists()
    assert Prospect.objects.get(pk=email.prospect_id).stage != ProspectStage.LOST
    assert len(sendgrid_calls(api)) == 1
    assert outcome in email.send_decisions.get().detail  # "earlier providers failed: …"
    assert CircuitState.objects.get(key=f"smtp:{inbox.pk}").consecutive_failures == 1


@pytest.mark.parametrize(
    "code, text, refused",
    [
        (550, "5.1.1 The email account that you tried to reach does not exist. https://support.google.com/mail/", True),
        (550, "5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", True),
        (550, "5.2.1 The email account that you tried to reach is disabled.", True),
        (550, "Requested action not taken: mailbox unavailable", True),
        (550, "No such user here", True),
        (552, "5.2.2 The email account that you tried to reach is over quota.", False),
        (550, "5.1.8 Bad sender's system address", False),
        (554, "5.7.1 Service unavailable; Client host [192.0.2.7] blocked using zen.spamhaus.org", False),
        (550, "5.7.1 Relaying denied", False),
        (530, "5.7.0 Authentication required", False),
        (451, "4.1.1 Recipient address verification temporarily unavailable", False),
        (550, "Message rejected", False),
    ],
)  # fmt: skip
def test_which_smtp_answers_refuse_the_recipient_for_good(code, text, refused):
    assert recipient_refusal(code, text) is refused


def test_an_esp_that_rejects_the_recipient_is_a_recipient_refusal_not_an_unknown_outcome():
    """anymail raises AnymailRecipientsRefused when the ESP says every recipient is rejected
    or invalid (its answer was a 2xx): a permanent refusal, never "it may have gone out"."""

    class RejectingBackend(IdempotentResendBackend):
        def parse_recipient_status(self, response, payload, message):
            from anymail.message import AnymailRecipientStatus

            return {"gm@hotel.example": AnymailRecipientStatus(message_id=None, status="rejected")}

    class RejectingResend(ResendProvider):
        backend = RejectingBackend

    message = OutgoingMessage(
        from_email="edd@mail.jengu.test", from_name="Edd", to="gm@hotel.example", subject="Hi", text="Hello",
        message_id="<m1@mail.jengu.test>", idempotency_key="k-1",
    )  # fmt: skip
    with responses.RequestsMock() as mock:
        mock.add(responses.POST, RESEND_URL, json={"id": "4ef9a417-02e9-4d39-ad75-9611e0fcc33c"}, status=200)
        with pytest.raises(ProviderError) as failure:
            RejectingResend(api_key="re_TestKey_4f9c2d7e1a8b").send(message)
    assert failure.value.recipient_refused is True and failure.value.outcome_unknown is False


# --- an email no provider accepts: bounded runs, then failed --------------------------------


def test_after_send_max_attempts_runs_the_email_fails_with_its_reasons(admin_client, api):
    config.SEND_MAX_ATTEMPTS = 3
    api.replace(responses.POST, SENDGRID_URL, json={"errors": [{"message": "Internal error"}]}, status=500)
    inbox = InboxFactory(smtp_port=free_port(), smtp_password="")  # nothing listens there
    email = queued_email("gm@hotel-down.example")
    for expected in (1, 2):
        assert [o.outcome for o in run(NOW + expected * RETRY).outcomes] == ["provider_failed"]
        email.refresh_from_db()
        assert (email.status, email.send_attempts) == (EmailStatus.QUEUED, expected)
        assert email.not_before == NOW + (expected + 1) * RETRY - datetime.timedelta(minutes=1)  # providers rest
        assert run(NOW + expected * RETRY).outcomes == []  # so the same run does not hammer them
        CircuitState.objects.update(consecutive_failures=0)  # each run finds the providers closed again
    assert [(o.outcome, o.reason) for o in run(NOW + 3 * RETRY).outcomes] == [("provider_failed", "attempts")]
    email.refresh_from_db()
    assert (email.status, email.send_attempts) == (EmailStatus.FAILED, 3)
    final = email.send_decisions.order_by("id").last()
    assert (final.outcome, final.reason) == (SendDecision.Outcome.FAILED, "attempts")
    assert "3 sender runs" in final.detail
    assert f"SMTP 127.0.0.1:{inbox.smtp_port}" in final.detail and "sendgrid" in final.detail
    failed = Event.objects.get(name="email.send_failed")
    assert failed.level == "error" and failed.data["attempts"] == 3 and failed.data["email_id"] == email.pk
    assert not Suppression.objects.exists()  # the address did nothing wrong
    assert InboxDay.objects.get(inbox=inbox, day=NOW.date()).sent == 0
    assert run().outcomes == []  # never back in the queue by itself
    # visible to a person: the failed list of the Emails admin, with its reasons on its page
    listed = admin_client.get(reverse("admin:outreach_email_changelist") + "?status__exact=failed")
    assert email.subject in listed.content.decode() and "gm@hotel-down.example" in listed.content.decode()
    page = admin_client.get(reverse("admin:outreach_email_change", args=[email.pk])).content.decode()
    assert "3 sender runs" in page


def test_a_run_in_which_every_circuit_was_open_does_not_count(api):
    from django.utils import timezone

    config.SEND_MAX_ATTEMPTS = 1
    inbox = InboxFactory(smtp_port=free_port(), smtp_password="")
    for key in (f"smtp:{inbox.pk}", "send:sendgrid"):
        CircuitState.objects.create(key=key, state="open", opened_at=timezone.now(), consecutive_failures=3)
    email = queued_email("gm@hotel-waits.example")
    assert [o.outcome for o in run().outcomes] == ["provider_failed"]
    email.refresh_from_db()
    assert (email.status, email.send_attempts) == (EmailStatus.QUEUED, 0)
    assert sendgrid_calls(api) == []
    assert "circuit open" in email.send_decisions.get().detail


def test_a_failed_email_shows_on_its_prospect_and_a_person_queues_it_again(admin_client):
    from jengu.prospect_story import prospect_story

    email = queued_email("gm@hotel-down.example")
    Email.objects.filter(pk=email.pk)._allow_state_write().update(status=EmailStatus.FAILED, send_attempts=3)
    SendDecision.objects.create(email=email, outcome=SendDecision.Outcome.FAILED, reason="attempts",
                                detail="no provider accepted it in 3 sender runs")  # fmt: skip
    # the prospect does not sit in 'queued' with nothing saying why
    step = prospect_story(email.prospect, now=NOW).next_step
    assert step.kind == "failed" and step.tone == "bad"
    assert "could not be sent" in step.text and "3 sender runs" in step.text
    assert step.url.endswith(f"/outreach/email/{email.pk}/change/")

    changelist = reverse("admin:outreach_email_changelist")
    response = admin_client.post(changelist, {"action": "requeue_failed", "_selected_action": [email.pk]}, follow=True)
    assert "1 email(s) queued again." in response.content.decode()
    email.refresh_from_db()
    assert (email.status, email.send_attempts, email.not_before) == (EmailStatus.QUEUED, 0, None)
    last = email.send_decisions.order_by("id").last()
    assert (last.outcome, last.reason) == (SendDecision.Outcome.SKIPPED, "requeued")
    assert prospect_story(email.prospect, now=NOW).next_step.kind == "queued"

    # a prospect who has since answered or been lost is not written to again
    other = queued_email("gm@hotel-gone.example")
    Email.objects.filter(pk=other.pk)._allow_state_write().update(status=EmailStatus.FAILED, send_attempts=3)
    Prospect.objects.filter(pk=other.prospect_id)._allow_state_write().update(stage=ProspectStage.LOST)
    response = admin_client.post(changelist, {"action": "requeue_failed", "_selected_action": [other.pk]}, follow=True)
    assert "is &#x27;lost&#x27;" in response.content.decode() or "is 'lost'" in response.content.decode()
    other.refresh_from_db()
    assert other.status == EmailStatus.FAILED
