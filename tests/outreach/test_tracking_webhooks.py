"""Delivery reports through anymail's tracking webhooks, over HTTP, as the ESPs send them.

Resend: payloads shaped like https://resend.com/docs/webhooks/introduction (recorded in
tests/fixtures/resend/webhooks/), signed here with the ``svix`` library exactly as
Resend signs them (svix-id, svix-timestamp, svix-signature headers). SendGrid: Event
Webhook arrays shaped like
https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event
(tests/fixtures/sendgrid/webhooks/), behind anymail's basic auth (``WEBHOOK_SECRET``).
"""

import base64
import datetime
import json

import pytest

from infra.models import Event
from outreach.models import Email, EmailStatus, Sequence, SequenceState, Suppression
from outreach.services.suppression import suppression_blocks
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.outreach.tracking_support import (
    ADDRESS,
    BASIC_AUTH,
    FIXTURES,
    OUR_MESSAGE_ID,
    RESEND_EMAIL_ID,
    RESEND_SECRET,
    SENDGRID_ANYMAIL_ID,
    basic,
    resend_post,
    sendgrid_events,
    sendgrid_post,
)

pytestmark = [
    pytest.mark.django_db,
    # anymail still ships SendGrid's webhook and says it no longer tests it; we do, here
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

UTC = datetime.UTC


@pytest.fixture(autouse=True)
def anymail_secrets(settings):
    settings.ANYMAIL = {"RESEND_SIGNING_SECRET": RESEND_SECRET, "WEBHOOK_SECRET": BASIC_AUTH}
    settings.ALERT_WEBHOOK_URL = ""


@pytest.fixture
def sent_email():
    """A first email that went out through Resend, with the prospect's follow-up already queued."""
    prospect = ProspectFactory(email=ADDRESS)
    campaign = CampaignFactory(name="Spring")
    inbox = InboxFactory()
    Sequence.objects.create(prospect=prospect, campaign=campaign, inbox=inbox, last_step_sent=1)
    EmailFactory(
        prospect=prospect, campaign=campaign, inbox=inbox, status=EmailStatus.QUEUED,
        type=Email.Type.FOLLOW_UP, sequence_step=2,
    )  # fmt: skip
    return EmailFactory(
        prospect=prospect, campaign=campaign, inbox=inbox, status=EmailStatus.SENT, provider="resend",
        provider_message_id=RESEND_EMAIL_ID, message_id=OUR_MESSAGE_ID,
        sent_at=datetime.datetime(2026, 3, 10, 14, 2, 11, tzinfo=UTC),
    )  # fmt: skip


def fresh(email) -> Email:
    return Email.objects.get(pk=email.pk)


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- Resend ------------------------------------------------------------------------------


def test_resend_delivered_opened_clicked_move_the_email_and_keep_each_time(client, sent_email):
    assert resend_post(client, "email.delivered").status_code == 200
    email = fresh(sent_email)
    assert email.status == EmailStatus.DELIVERED
    assert email.delivered_at == at("2026-03-10T14:02:13.126Z")

    assert resend_post(client, "email.opened").status_code == 200
    assert resend_post(client, "email.clicked").status_code == 200
    email = fresh(sent_email)
    assert email.status == EmailStatus.CLICKED
    assert email.opened_at == at("2026-03-10T15:20:41.502Z")
    assert email.clicked_at == at("2026-03-10T15:21:07.310Z")


def test_resend_open_before_delivery_report_keeps_opened_and_still_records_delivery(client, sent_email):
    resend_post(client, "email.opened")
    assert fresh(sent_email).status == EmailStatus.OPENED

    assert resend_post(client, "email.delivered").status_code == 200  # late, and not an error
    email = fresh(sent_email)
    assert email.status == EmailStatus.OPENED
    assert email.delivered_at == at("2026-03-10T14:02:13.126Z")
    assert email.opened_at == at("2026-03-10T15:20:41.502Z")


def test_resend_hard_bounce_suppresses_stops_the_sequence_and_records_it(client, sent_email):
    assert resend_post(client, "email.bounced").status_code == 200

    email = fresh(sent_email)
    assert email.status == EmailStatus.BOUNCED
    assert email.bounced_at == at("2026-03-10T14:02:14.402Z")
    entry = suppression_blocks(ADDRESS)
    assert entry is not None
    assert (entry.kind, entry.reason, entry.source) == ("address", "hard_bounce", "resend webhook")
    sequence = Sequence.objects.get(prospect=email.prospect)
    assert sequence.state == SequenceState.STOPPED
    assert "hard bounce" in sequence.stop_reason
    follow_up = Email.objects.get(prospect=email.prospect, type=Email.Type.FOLLOW_UP)
    assert follow_up.status == EmailStatus.CANCELLED
    event = Event.objects.get(name="email.bounced")
    assert event.data == {"email_id": email.pk, "prospect_id": email.prospect_id}
    assert event.actor == "webhook:resend"


def test_resend_repeats_a_bounce_it_is_applied_once(client, sent_email):
    resend_post(client, "email.bounced")
    assert resend_post(client, "email.bounced").status_code == 200
    assert Event.objects.filter(name="email.bounced").count() == 1
    assert Suppression.objects.count() == 1


def test_delivery_report_after_the_bounce_leaves_the_email_bounced(client, sent_email):
    resend_post(client, "email.bounced")
    assert resend_post(client, "email.delivered").status_code == 200
    email = fresh(sent_email)
    assert email.status == EmailStatus.BOUNCED
    assert email.delivered_at is None  # a bounced email was not delivered, whatever came late


def test_resend_complaint_marks_spam_suppresses_and_stops(client, sent_email):
    resend_post(client, "email.delivered")
    assert resend_post(client, "email.complained").status_code == 200

    email = fresh(sent_email)
    assert email.status == EmailStatus.SPAM
    entry = suppression_blocks(ADDRESS)
    assert (entry.reason, entry.source) == ("complaint", "resend webhook")
    assert Sequence.objects.get(prospect=email.prospect).state == SequenceState.STOPPED
    assert Email.objects.get(prospect=email.prospect, type=Email.Type.FOLLOW_UP).status == EmailStatus.CANCELLED
    assert Event.objects.filter(name="email.complained", data__email_id=email.pk).exists()


def test_resend_delivery_delayed_and_transient_bounce_are_soft_an_event_only(client, sent_email):
    transient = {"message": "The recipient's mailbox is full.", "subType": "MailboxFull", "type": "Transient"}
    assert resend_post(client, "email.delivery_delayed").status_code == 200
    assert resend_post(client, "email.bounced", bounce=transient).status_code == 200

    email = fresh(sent_email)
    assert email.status == EmailStatus.SENT and email.bounced_at is None  # Resend keeps trying
    assert not Suppression.objects.exists()
    assert Sequence.objects.get(prospect=email.prospect).state == SequenceState.ACTIVE
    assert Event.objects.filter(name="email.deferred", data__email_id=email.pk).count() == 2
    assert not Event.objects.filter(name="email.bounced").exists()


def test_resend_with_an_invalid_signature_is_refused_and_changes_nothing(client, sent_email):
    wrong = "whsec_" + base64.b64encode(b"someone-else-entirely-0123456789").decode()
    response = resend_post(client, "email.bounced", secret=wrong)
    assert response.status_code == 400
    assert fresh(sent_email).status == EmailStatus.SENT
    assert not Suppression.objects.exists()
    assert not Event.objects.filter(name="email.bounced").exists()


def test_resend_without_signature_headers_is_refused(client, sent_email):
    body = (FIXTURES / "resend" / "webhooks" / "email.bounced.json").read_text()
    response = client.post(
        "/anymail/resend/tracking/", data=body, content_type="application/json",
        headers={"authorization": basic(BASIC_AUTH)},
    )  # fmt: skip
    assert response.status_code == 400
    assert fresh(sent_email).status == EmailStatus.SENT


def test_a_report_for_an_unknown_message_is_an_event_not_an_error(client, sent_email):
    response = resend_post(client, "email.delivered", email_id="0000-not-ours", headers=[])
    assert response.status_code == 200  # an error would make Resend retry forever
    assert fresh(sent_email).status == EmailStatus.SENT
    event = Event.objects.get(name="email.tracking_unmatched")
    assert event.data["message_id"] == "0000-not-ours"


@pytest.mark.parametrize("report", ["email.bounced", "email.complained"])
def test_a_bounce_or_complaint_for_a_message_we_never_sent_suppresses_nothing(client, db, report):
    # authenticated, but about a message that is not ours (another sender on the same ESP
    # account): it says nothing about our prospects, so a person decides
    response = resend_post(client, report, email_id="0000-not-ours", headers=[], to=["old@gone.example"])
    assert response.status_code == 200  # an error would make Resend retry forever
    assert not suppression_blocks("old@gone.example") and not Suppression.objects.exists()
    event = Event.objects.get(name="email.tracking_unmatched")
    assert event.level == "warning" and event.data["recipient"] == "old@gone.example"


def test_resend_report_found_by_our_message_id_when_the_provider_id_is_unknown(client, sent_email):
    # sent through the inbox's own SMTP server: the provider id is our Message-ID, and
    # Resend echoes the Message-ID header of a message relayed through it
    Email.objects.filter(pk=sent_email.pk).update(provider_message_id="", provider="smtp")
    assert resend_post(client, "email.delivered", email_id="a-resend-id-we-never-stored").status_code == 200
    assert fresh(sent_email).status == EmailStatus.DELIVERED


# --- SendGrid ----------------------------------------------------------------------------


@pytest.fixture
def sendgrid_email(sent_email):
    Email.objects.filter(pk=sent_email.pk).update(provider="sendgrid", provider_message_id=SENDGRID_ANYMAIL_ID)
    return fresh(sent_email)


def test_sendgrid_batch_delivered_open_click_with_basic_auth(client, sendgrid_email):
    response = sendgrid_post(client, sendgrid_events("delivered", "open", "click"))
    assert response.status_code == 200
    email = fresh(sendgrid_email)
    assert email.status == EmailStatus.CLICKED
    assert email.delivered_at == datetime.datetime.fromtimestamp(1773151333, UTC)
    assert email.opened_at == datetime.datetime.fromtimestamp(1773156041, UTC)
    assert email.clicked_at == datetime.datetime.fromtimestamp(1773156067, UTC)


def test_sendgrid_with_wrong_basic_auth_is_refused_and_changes_nothing(client, sendgrid_email):
    response = sendgrid_post(client, sendgrid_events("bounce"), auth="jengu-hooks:guess")
    assert response.status_code == 400
    assert fresh(sendgrid_email).status == EmailStatus.SENT
    assert not Suppression.objects.exists()


def test_sendgrid_without_basic_auth_is_refused(client, sendgrid_email):
    response = client.post(
        "/anymail/sendgrid/tracking/", data=json.dumps(sendgrid_events("delivered")), content_type="application/json"
    )
    assert response.status_code == 400
    assert fresh(sendgrid_email).status == EmailStatus.SENT


def test_sendgrid_hard_bounce_suppresses_and_stops(client, sendgrid_email):
    assert sendgrid_post(client, sendgrid_events("bounce")).status_code == 200
    email = fresh(sendgrid_email)
    assert email.status == EmailStatus.BOUNCED
    assert email.bounced_at == datetime.datetime.fromtimestamp(1773151334, UTC)
    entry = suppression_blocks(ADDRESS)
    assert (entry.reason, entry.source) == ("hard_bounce", "sendgrid webhook")
    assert Sequence.objects.get(prospect=email.prospect).state == SequenceState.STOPPED
    assert Event.objects.get(name="email.bounced").data == {"email_id": email.pk, "prospect_id": email.prospect_id}


def test_sendgrid_deferred_and_blocked_are_soft_an_event_only(client, sendgrid_email):
    events = sendgrid_events("deferred") + sendgrid_events("bounce", type="blocked", reason="421 try later")
    assert sendgrid_post(client, events).status_code == 200
    email = fresh(sendgrid_email)
    assert email.status == EmailStatus.SENT  # SendGrid retries these itself
    assert email.bounced_at is None
    assert not Suppression.objects.exists()
    assert Sequence.objects.get(prospect=email.prospect).state == SequenceState.ACTIVE
    deferred = Event.objects.filter(name="email.deferred", data__email_id=email.pk)
    assert deferred.count() == 2
    assert "421 4.7.0 Try again later" in deferred.order_by("id").first().message


def test_sendgrid_spamreport_is_a_complaint(client, sendgrid_email):
    assert sendgrid_post(client, sendgrid_events("delivered", "spamreport")).status_code == 200
    assert fresh(sendgrid_email).status == EmailStatus.SPAM
    assert suppression_blocks(ADDRESS).reason == "complaint"


def test_sendgrid_unsubscribe_suppresses_and_stops_without_changing_the_email(client, sendgrid_email):
    assert sendgrid_post(client, sendgrid_events("delivered", "unsubscribe")).status_code == 200
    email = fresh(sendgrid_email)
    assert email.status == EmailStatus.DELIVERED
    entry = suppression_blocks(ADDRESS)
    assert (entry.reason, entry.source) == ("unsubscribe", "sendgrid webhook")
    assert Sequence.objects.get(prospect=email.prospect).state == SequenceState.STOPPED
    assert Email.objects.get(prospect=email.prospect, type=Email.Type.FOLLOW_UP).status == EmailStatus.CANCELLED
    assert Event.objects.filter(name="email.unsubscribed", data__email_id=email.pk).exists()


def test_sendgrid_event_without_anymail_id_is_found_by_smtp_id(client, sent_email):
    # anymail_id removed: anymail falls back to SendGrid's smtp-id, which is our Message-ID
    Email.objects.filter(pk=sent_email.pk).update(provider_message_id="", provider="sendgrid")
    assert sendgrid_post(client, sendgrid_events("delivered", anymail_id=None)).status_code == 200
    assert fresh(sent_email).status == EmailStatus.DELIVERED


def test_sendgrid_signed_event_webhook_is_checked_when_its_key_is_set(client, settings, sendgrid_email):
    """SendGrid's Signed Event Webhook: ECDSA (P-256, SHA-256) over timestamp + body
    (https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": base64.b64encode(public).decode(),
    }
    body = json.dumps(sendgrid_events("bounce"))
    timestamp = "1773151335"

    def post(signature: bytes):
        return client.post(
            "/anymail/sendgrid/tracking/", data=body, content_type="application/json",
            headers={
                "authorization": basic(BASIC_AUTH),
                "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
                "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
            },
        )  # fmt: skip

    forged = ec.generate_private_key(ec.SECP256R1()).sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))
    assert post(forged).status_code == 400
    assert fresh(sendgrid_email).status == EmailStatus.SENT

    assert post(key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))).status_code == 200
    assert fresh(sendgrid_email).status == EmailStatus.BOUNCED
