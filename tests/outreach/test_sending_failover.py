"""Provider failover through the full send path: Resend → the inbox's SMTP → SendGrid.

Resend and SendGrid are answered by ``responses`` with recorded bodies in the shapes of
their APIs (tests/fixtures/resend, tests/fixtures/sendgrid; see the READMEs there for
the docs each follows): Resend's POST /emails (200 ``{"id"}``; errors as
``{"statusCode", "name", "message"}``) and SendGrid's POST /v3/mail/send (202, empty
body, ``X-Message-Id``). The inbox's SMTP server is a real aiosmtpd sink, or a closed
port when it is down.
"""

import datetime
import json
import random
from pathlib import Path

import pytest
import requests
import responses
import urllib3
from constance import config

from infra.models import CircuitState, Event, StateTransition
from outreach.models import EmailStatus, InboxDay, SendDecision, Sequence
from outreach.providers.base import OutgoingMessage, ProviderError
from outreach.providers.esp import ResendProvider
from outreach.services.sending import Pacing, sender_run
from prospects.models import ProspectStage
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.smtp_sink import RecordingSink, free_port

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RESEND_URL = "https://api.resend.com/emails"
SENDGRID_URL = "https://api.sendgrid.com/v3/mail/send"
RESEND_KEY = "re_TestKey_4f9c2d7e1a8b"
SENDGRID_KEY = "SG.test-key-id.Zk3v8QpL2mN5xR7tY1wE"
NOW = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)
NO_PACING = Pacing(skip_probability=0.0, delay_min=0.0, delay_max=0.0, business_hours=False)


def fixture(service: str, name: str):
    return json.loads((FIXTURES / service / name).read_text())


@pytest.fixture(autouse=True)
def esp_keys(settings):
    settings.RESEND_API_KEY = RESEND_KEY
    settings.SENDGRID_API_KEY = SENDGRID_KEY
    config.WARMUP_JITTER = False
    config.SAME_DOMAIN_GAP_MINUTES = 0


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sink():
    with RecordingSink() as sink:
        yield sink


def resend_accepts(api):
    api.add(responses.POST, RESEND_URL, json=fixture("resend", "send_email.json"), status=200)


def resend_fails(api, name="internal_server_error.json"):
    body = fixture("resend", name)
    api.add(responses.POST, RESEND_URL, json=body, status=body["statusCode"])


def sendgrid_accepts(api):
    recorded = fixture("sendgrid", "mail_send_accepted.json")
    api.add(responses.POST, SENDGRID_URL, body=recorded["body"], status=recorded["status"],
            headers={"X-Message-Id": recorded["headers"]["X-Message-Id"]})  # fmt: skip


def sendgrid_fails(api):
    api.add(responses.POST, SENDGRID_URL, json=fixture("sendgrid", "mail_send_server_error.json"), status=500)


def calls_to(api, url):
    return [call for call in api.calls if call.request.url == url]


def queued_email():
    prospect = ProspectFactory(stage=ProspectStage.QUEUED)
    campaign = CampaignFactory(name="C")
    Sequence.objects.create(prospect=prospect, campaign=campaign)
    return EmailFactory(prospect=prospect, inbox=None, from_email="", status=EmailStatus.QUEUED, campaign=campaign)


def run(at=NOW, **kwargs):
    return sender_run(clock=lambda: at, rng=random.Random(7), pacing=NO_PACING, **kwargs)


def assert_no_api_key_written():
    texts = [
        *SendDecision.objects.values_list("detail", flat=True),
        *(f"{message} {json.dumps(data)}" for message, data in Event.objects.values_list("message", "data")),
        *StateTransition.objects.values_list("reason", flat=True),
        *CircuitState.objects.values_list("last_error", flat=True),
    ]
    assert texts, "nothing was recorded at all"
    for text in texts:
        assert RESEND_KEY not in text and SENDGRID_KEY not in text
        assert "Bearer" not in text and "Authorization" not in text


def test_resend_takes_it_with_our_idempotency_key_and_headers(api, sink):
    resend_accepts(api)
    InboxFactory(smtp_port=sink.port, smtp_password="")
    email = queued_email()
    assert run().sent == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.provider == "resend"
    assert email.provider_message_id == fixture("resend", "send_email.json")["id"]
    [call] = api.calls
    assert call.request.headers["Idempotency-Key"] == str(email.idempotency_key)
    assert call.request.headers["Authorization"] == f"Bearer {RESEND_KEY}"
    sent = json.loads(call.request.body)
    assert sent["to"] == [email.to_email] and sent["subject"] == email.subject
    assert sent["headers"]["Message-ID"] == email.message_id
    assert sent["headers"]["List-Unsubscribe"].startswith("<http")
    assert sent["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email.campaign.postal_address in sent["text"]
    assert sink.messages == []  # the inbox's SMTP server was never needed
    decision = email.send_decisions.get()
    assert (decision.outcome, decision.provider) == ("sent", "resend")
    assert_no_api_key_written()


def test_a_resend_failure_falls_back_to_the_inboxs_smtp_server(api, sink):
    resend_fails(api)
    InboxFactory(smtp_port=sink.port, smtp_password="")
    email = queued_email()
    assert run().sent == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.provider == "smtp"
    assert len(calls_to(api, RESEND_URL)) == 1 and not calls_to(api, SENDGRID_URL)
    [message] = sink.messages
    assert message["Message-ID"] == email.message_id  # the same id Resend was offered
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    decision = email.send_decisions.get()
    assert decision.provider == "smtp"
    assert "earlier providers failed: resend: Resend API response 500" in decision.detail
    assert_no_api_key_written()


def test_resend_and_smtp_down_sendgrid_takes_it(api):
    resend_fails(api, "rate_limit_exceeded.json")
    sendgrid_accepts(api)
    inbox = InboxFactory(smtp_port=free_port(), smtp_password="")  # nothing listens there
    email = queued_email()
    assert run().sent == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.provider == "sendgrid" and email.inbox == inbox
    [call] = calls_to(api, SENDGRID_URL)
    assert call.request.headers["Authorization"] == f"Bearer {SENDGRID_KEY}"
    sent = json.loads(call.request.body)
    assert sent["headers"]["Message-ID"] == email.message_id
    assert sent["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert sent["personalizations"][0]["to"] == [{"email": email.to_email}]
    detail = email.send_decisions.get().detail
    assert "resend: Resend API response 429" in detail and f"SMTP 127.0.0.1:{inbox.smtp_port}" in detail
    assert_no_api_key_written()


def test_when_all_three_fail_the_email_waits_and_its_slot_is_given_back(api):
    resend_fails(api)
    sendgrid_fails(api)
    inbox = InboxFactory(smtp_port=free_port(), smtp_password="")
    email = queued_email()
    report = run()
    assert [o.outcome for o in report.outcomes] == ["provider_failed"]
    email.refresh_from_db()
    assert email.status == EmailStatus.QUEUED and email.sent_at is None and email.provider == ""
    assert InboxDay.objects.get(inbox=inbox, day=NOW.date()).sent == 0
    decision = email.send_decisions.get()
    assert (decision.outcome, decision.reason) == ("provider_failed", "providers")
    assert "resend: Resend API response 500" in decision.detail
    assert "SMTP 127.0.0.1" in decision.detail and "sendgrid: SendGrid API response 500" in decision.detail
    assert len(calls_to(api, RESEND_URL)) == 1 and len(calls_to(api, SENDGRID_URL)) == 1
    attempts = Event.objects.filter(name="email.provider_attempt", data__email_id=email.pk)
    assert [e.data["provider"] for e in attempts.order_by("id")] == ["resend", "smtp", "sendgrid"]
    assert_no_api_key_written()

    # a run after the providers' rest retries with the same Message-ID and the same Idempotency-Key
    first_message_id = email.message_id
    api.replace(responses.POST, RESEND_URL, json=fixture("resend", "send_email.json"), status=200)
    assert run().sent == 0  # not at once: the providers get PROVIDER_RETRY_AFTER
    assert run(NOW + datetime.timedelta(minutes=5)).sent == 1
    email.refresh_from_db()
    assert email.provider == "resend" and email.message_id == first_message_id
    retry = calls_to(api, RESEND_URL)[-1].request
    assert retry.headers["Idempotency-Key"] == str(email.idempotency_key)
    assert json.loads(retry.body)["headers"]["Message-ID"] == first_message_id


def test_resends_circuit_opens_after_three_failures_and_it_is_then_skipped_without_a_call(api, sink):
    resend_fails(api)
    InboxFactory(smtp_port=sink.port, smtp_password="")
    emails = [queued_email() for _ in range(4)]
    assert run(limit=4).sent == 4
    assert len(calls_to(api, RESEND_URL)) == 3  # the fourth email never reached Resend
    circuit = CircuitState.objects.get(key="send:resend")
    assert circuit.state == "open" and "Resend API response 500" in circuit.last_error
    assert len(sink.messages) == 4
    last = emails[-1].send_decisions.get()
    assert last.provider == "smtp" and "resend: circuit open" in last.detail
    # still open for the next run: no call at all
    queued_email()
    run()
    assert len(calls_to(api, RESEND_URL)) == 3 and len(sink.messages) == 5
    assert_no_api_key_written()


# --- the provider's answer is lost: never a second provider -------------------------------


def resend_times_out(api):
    api.add(responses.POST, RESEND_URL, body=requests.exceptions.ReadTimeout("Read timed out. (read timeout=30)"))


def test_a_resend_timeout_is_asked_again_with_the_same_idempotency_key(api, sink):
    resend_times_out(api)
    resend_accepts(api)
    InboxFactory(smtp_port=sink.port, smtp_password="")
    email = queued_email()
    assert run().sent == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.provider == "resend"
    first, second = calls_to(api, RESEND_URL)
    assert first.request.headers["Idempotency-Key"] == second.request.headers["Idempotency-Key"]
    assert sink.messages == [] and calls_to(api, SENDGRID_URL) == []


def test_when_resend_times_out_twice_the_email_is_held_for_review_not_sent_elsewhere(api, sink):
    resend_times_out(api)
    resend_times_out(api)
    sendgrid_accepts(api)
    inbox = InboxFactory(smtp_port=sink.port, smtp_password="")
    email = queued_email()
    report = run()
    email.refresh_from_db()
    assert [o.outcome for o in report.outcomes] == ["review"]
    assert email.status == EmailStatus.NEEDS_REVIEW
    assert sink.messages == [] and calls_to(api, SENDGRID_URL) == []  # neither SMTP nor SendGrid tried
    decision = email.send_decisions.get()
    assert decision.reason == "outcome_unknown" and email.message_id in decision.detail
    assert InboxDay.objects.get(inbox=inbox).sent == 1  # the slot stays taken: it may be out
    run()
    assert len(calls_to(api, RESEND_URL)) == 2 and sink.messages == []  # never again by itself
    assert_no_api_key_written()


def test_a_resend_connection_that_never_opened_still_fails_over(api, sink):
    refused = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111]")
    api.add(
        responses.POST,
        RESEND_URL,
        body=requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/emails", refused)),
    )
    InboxFactory(smtp_port=sink.port, smtp_password="")
    email = queued_email()
    assert run().sent == 1
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT and email.provider == "smtp" and len(sink.messages) == 1


def test_an_smtp_server_that_goes_quiet_after_the_data_holds_the_email_for_review(api, monkeypatch):
    monkeypatch.setattr("outreach.providers.smtp.TIMEOUT_SECONDS", 0.5)
    resend_fails(api)
    sendgrid_accepts(api)
    with RecordingSink(answer_delay=2.0) as quiet:
        InboxFactory(smtp_port=quiet.port, smtp_password="")
        email = queued_email()
        report = run()
        email.refresh_from_db()
        assert [o.outcome for o in report.outcomes] == ["review"]
        assert email.status == EmailStatus.NEEDS_REVIEW
        assert quiet.message_ids() == {email.message_id: 1}  # the server had it all along
        assert calls_to(api, SENDGRID_URL) == []  # so SendGrid must not send it again
        assert "may have been delivered" in email.send_decisions.get().detail


def test_when_the_second_ask_fails_outright_the_first_may_still_have_gone_out(api, sink):
    # a 500 to the repeat says nothing about the first call, whose answer was lost
    resend_times_out(api)
    resend_fails(api)
    sendgrid_accepts(api)
    InboxFactory(smtp_port=sink.port, smtp_password="")
    email = queued_email()
    assert [o.outcome for o in run().outcomes] == ["review"]
    email.refresh_from_db()
    assert email.status == EmailStatus.NEEDS_REVIEW
    assert sink.messages == [] and calls_to(api, SENDGRID_URL) == []


def _refused_connection():
    refused = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111]")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/emails", refused))


@pytest.mark.parametrize(
    "answer, outcome_unknown",
    [
        ({"status": 500, "json": {"statusCode": 500, "name": "internal_server_error", "message": "x"}}, False),
        ({"status": 503, "json": {"statusCode": 503, "name": "service_unavailable", "message": "x"}}, False),
        ({"status": 422, "json": {"statusCode": 422, "name": "validation_error", "message": "x"}}, False),
        ({"status": 429, "json": {"statusCode": 429, "name": "rate_limit_exceeded", "message": "x"}}, False),
        ({"status": 502, "body": "<html>502 Bad Gateway</html>"}, True),
        ({"status": 504, "body": "<html>504 Gateway Time-out</html>"}, True),
        ({"status": 409, "json": {"statusCode": 409, "name": "concurrent_idempotent_requests", "message": "x"}}, True),
        ({"body": requests.exceptions.ConnectTimeout("connect timeout")}, False),
        ({"body": requests.exceptions.SSLError("handshake failure")}, False),
        ({"body": _refused_connection()}, False),
        ({"body": requests.exceptions.ReadTimeout("read timeout")}, True),
        ({"body": requests.exceptions.ConnectionError(ConnectionResetError("reset by peer"))}, True),
        ({"body": requests.exceptions.ChunkedEncodingError("broken answer")}, True),
    ],
)
def test_which_esp_failures_leave_the_outcome_unknown(api, answer, outcome_unknown):
    api.add(responses.POST, RESEND_URL, **answer)
    message = OutgoingMessage(
        from_email="edd@mail.jengu.test", from_name="Edd", to="gm@hotel.example", subject="Hi", text="Hello",
        message_id="<m1@mail.jengu.test>", idempotency_key="k-1",
    )  # fmt: skip
    with pytest.raises(ProviderError) as failure:
        ResendProvider(api_key=RESEND_KEY).send(message)
    assert failure.value.outcome_unknown is outcome_unknown
    assert RESEND_KEY not in str(failure.value)


def test_a_mail_providers_failure_is_one_of_the_provider_error_family():
    """issue 22: one ProviderError family in infra that the apps' errors subclass."""
    from infra.errors import ProviderError as InfraProviderError

    assert issubclass(ProviderError, InfraProviderError)
