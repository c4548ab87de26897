"""ESP webhooks accept only what an ESP we use sent and authenticated (issue 16, item 1).

Each attack is posted with Django's test client to the real URLs, with the settings a
blank ``.env`` gives (no webhook secret at all) and with only ``RESEND_SIGNING_SECRET``
set. Payload shapes: SendGrid's Event Webhook
(https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/event, recorded in
tests/fixtures/sendgrid/webhooks/), SendGrid's Inbound Parse "Send Raw"
(https://www.twilio.com/docs/sendgrid/for-developers/parsing-email/setting-up-the-inbound-parse-webhook),
Postmark's bounce and inbound webhooks
(https://postmarkapp.com/developer/webhooks/bounce-webhook,
https://postmarkapp.com/developer/webhooks/inbound-webhook) and Resend's
``email.received`` (https://resend.com/docs/webhooks/emails/received).
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import os
import subprocess
import sys
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest
import responses
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from svix.webhooks import Webhook

from outreach.models import Email, EmailStatus, Suppression
from prospects.models import Prospect
from replies.models import Reply
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.outreach.tracking_support import (
    ADDRESS,
    BASIC_AUTH,
    OUR_MESSAGE_ID,
    RESEND_EMAIL_ID,
    RESEND_SECRET,
    SENDGRID_ANYMAIL_ID,
    resend_post,
    sendgrid_events,
    sendgrid_post,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]

ROOT = Path(__file__).resolve().parents[2]
# what jengu.settings builds from a blank .env (the documented default)
BLANK = {"RESEND_API_KEY": "", "SENDGRID_API_KEY": ""}
RESEND_SIGNING_ONLY = {"RESEND_API_KEY": "re_test_key", "SENDGRID_API_KEY": "", "RESEND_SIGNING_SECRET": RESEND_SECRET}
ATTACKER = "mallory@attacker.example"


@pytest.fixture(autouse=True)
def offline(settings):
    settings.JENGU_TASKS_SYNC = True  # a stored reply is read and acted on at once, as the attack saw
    settings.GROK_API_KEY = settings.ANTHROPIC_API_KEY = ""
    settings.ALERT_WEBHOOK_URL = ""


@pytest.fixture(params=["blank secrets", "only RESEND_SIGNING_SECRET"])
def unsecured(request, settings):
    settings.ANYMAIL = dict(BLANK if request.param == "blank secrets" else RESEND_SIGNING_ONLY)
    return request.param


@pytest.fixture
def sent_email():
    """An email that went out, with the prospect's sequence running."""
    return EmailFactory(
        prospect=ProspectFactory(email=ADDRESS, stage="contacted"), campaign=CampaignFactory(name="Spring"),
        inbox=InboxFactory(), status=EmailStatus.SENT, provider="sendgrid", provider_message_id=SENDGRID_ANYMAIL_ID,
        message_id=OUR_MESSAGE_ID, sent_at=datetime.datetime(2026, 3, 10, 14, 2, 11, tzinfo=datetime.UTC),
    )  # fmt: skip


def forged_delegation(prospect: Prospect) -> bytes:
    """A reply 'from' the prospect that hands us to the attacker."""
    message = EmailMessage()
    message["From"] = f"{prospect.name} <{prospect.email}>"
    message["To"] = "edd@mail.jengu.test"
    message["Subject"] = "Re: Faster check-ins?"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@attacker.example>"
    message.set_content(
        "I'm not the right person for this. Please contact my colleague Mallory Evans, "
        f"Head of Operations, at {ATTACKER} - she handles these decisions."
    )
    return bytes(message)


def assert_nothing_changed(email: Email) -> None:
    email.refresh_from_db()
    assert email.status == EmailStatus.SENT
    assert not Suppression.objects.exists()
    assert not Reply.objects.exists()
    assert Prospect.objects.get(pk=email.prospect_id).stage == "contacted"
    assert not Prospect.objects.filter(email=ATTACKER).exists()


# --- tracking: forged bounces and spam reports -------------------------------------------


@pytest.mark.parametrize("report", ["bounce", "spamreport"])
def test_sendgrid_report_without_credentials_is_refused(client, unsecured, sent_email, report):
    response = client.post(
        "/anymail/sendgrid/tracking/", data=json.dumps(sendgrid_events(report)), content_type="application/json"
    )
    assert response.status_code == 403
    assert_nothing_changed(sent_email)


def test_sendgrid_report_for_an_unknown_message_without_credentials_suppresses_nothing(client, unsecured):
    events = sendgrid_events("bounce", email="victim@hotel.example", anymail_id="not-ours", **{"smtp-id": None})
    response = client.post("/anymail/sendgrid/tracking/", data=json.dumps(events), content_type="application/json")
    assert response.status_code == 403
    assert not Suppression.objects.exists()


def test_resend_report_without_a_signature_is_refused(client, unsecured, sent_email):
    Email.objects.filter(pk=sent_email.pk).update(provider="resend", provider_message_id=RESEND_EMAIL_ID)
    body = (ROOT / "tests/fixtures/resend/webhooks/email.bounced.json").read_text()
    response = client.post("/anymail/resend/tracking/", data=body, content_type="application/json")
    assert response.status_code in (400, 403)  # 403: nothing configured; 400: anymail's svix check failed
    assert_nothing_changed(sent_email)


POSTMARK_BOUNCE = {
    "RecordType": "Bounce", "ID": 4323372036854775807, "Type": "HardBounce", "TypeCode": 1, "Name": "Hard bounce",
    "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483", "MessageStream": "outbound",
    "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
    "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
    "Email": ADDRESS, "From": "edd@mail.jengu.test", "BouncedAt": "2026-03-10T14:05:00Z",
    "Inactive": True, "CanActivate": True, "Subject": "Faster check-ins?",
}  # fmt: skip


@pytest.mark.parametrize("path", ["/anymail/postmark/tracking/", "/anymail/postmark/inbound/"])
def test_postmark_urls_do_not_exist(client, unsecured, sent_email, path):
    payload = (
        POSTMARK_BOUNCE
        if path.endswith("tracking/")
        else {"RecordType": "Inbound", "RawEmail": forged_delegation(sent_email.prospect).decode()}
    )
    response = client.post(path, data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 404
    assert_nothing_changed(sent_email)


@pytest.mark.parametrize(
    "path",
    [
        "/anymail/mailgun/tracking/", "/anymail/mailgun/inbound/", "/anymail/mailgun/inbound_mime/",
        "/anymail/mailjet/inbound/", "/anymail/amazon_ses/inbound/", "/anymail/brevo/tracking/",
        "/anymail/sparkpost/inbound/", "/anymail/mandrill/", "/anymail/postal/inbound/",
        "/anymail/unisender_go/tracking/", "/anymail/sendinblue/inbound/", "/anymail/mailtrap/inbound/",
    ],
)  # fmt: skip
def test_only_the_esps_jengu_uses_have_webhook_urls(client, path):
    assert client.post(path, data="{}", content_type="application/json").status_code == 404


def test_the_four_webhook_urls_keep_anymails_paths_and_names():
    assert [
        reverse(f"anymail:{name}")
        for name in (
            "resend_tracking_webhook", "resend_inbound_webhook", "sendgrid_tracking_webhook", "sendgrid_inbound_webhook"
        )
    ] == ["/anymail/resend/tracking/", "/anymail/resend/inbound/", "/anymail/sendgrid/tracking/",
          "/anymail/sendgrid/inbound/"]  # fmt: skip


# --- inbound: forged replies -----------------------------------------------------------


def test_forged_reply_to_sendgrid_inbound_without_credentials_is_not_stored(client, unsecured, sent_email):
    raw = forged_delegation(sent_email.prospect)
    response = client.post(
        "/anymail/sendgrid/inbound/",
        {"email": raw.decode(), "to": "edd@mail.jengu.test", "from": ADDRESS, "charsets": '{"email": "utf-8"}'},
    )
    assert response.status_code == 403
    assert_nothing_changed(sent_email)


@responses.activate(assert_all_requests_are_fired=False)
def test_forged_reply_to_resend_inbound_without_its_inbound_secret_is_not_stored(client, settings, sent_email):
    # RESEND_SIGNING_SECRET signs the tracking webhook; the inbound one has its own secret
    settings.ANYMAIL = dict(RESEND_SIGNING_ONLY)
    prospect = sent_email.prospect
    # what Resend's API would answer anymail (recorded shape: GET /emails/receiving/{id}); a
    # mock, so no request ever leaves the machine
    responses.get(
        "https://api.resend.com/emails/receiving/inb_1",
        json={
            "object": "email", "id": "inb_1", "to": ["edd@mail.jengu.test"], "from": prospect.email,
            "subject": "Re: Faster check-ins?", "headers": {"Message-ID": "<forged-1@attacker.example>"},
            "text": f"Please contact my colleague Mallory Evans, Head of Operations, at {ATTACKER}.",
            "html": None, "attachments": [], "raw": None,
        },
    )  # fmt: skip
    body = json.dumps({"type": "email.received", "created_at": "2026-03-10T14:10:00Z", "data": {"email_id": "inb_1"}})
    response = client.post("/anymail/resend/inbound/", data=body, content_type="application/json")
    assert response.status_code == 403
    assert_nothing_changed(sent_email)


# --- what stays open: the ESPs' own authentication ---------------------------------------


def test_resend_tracking_with_only_its_signing_secret_is_accepted(client, settings, sent_email):
    settings.ANYMAIL = dict(RESEND_SIGNING_ONLY)
    Email.objects.filter(pk=sent_email.pk).update(provider="resend", provider_message_id=RESEND_EMAIL_ID)
    payload = (ROOT / "tests/fixtures/resend/webhooks/email.bounced.json").read_text()
    svix_id, now = "msg_signed_1", datetime.datetime.now(datetime.UTC)
    response = client.post(
        "/anymail/resend/tracking/", data=payload, content_type="application/json",
        headers={"svix-id": svix_id, "svix-timestamp": str(int(now.timestamp())),
                 "svix-signature": Webhook(RESEND_SECRET).sign(svix_id, now, payload)},
    )  # fmt: skip
    assert response.status_code == 200
    sent_email.refresh_from_db()
    assert sent_email.status == EmailStatus.BOUNCED


def test_sendgrid_signed_event_webhook_alone_authenticates_its_tracking_url(client, settings, sent_email):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    settings.ANYMAIL = {**BLANK, "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": base64.b64encode(public).decode()}
    body, timestamp = json.dumps(sendgrid_events("bounce")), "1773151335"
    signature = base64.b64encode(key.sign((timestamp + body).encode(), ec.ECDSA(hashes.SHA256()))).decode()
    response = client.post(
        "/anymail/sendgrid/tracking/", data=body, content_type="application/json",
        headers={"X-Twilio-Email-Event-Webhook-Signature": signature,
                 "X-Twilio-Email-Event-Webhook-Timestamp": timestamp},
    )  # fmt: skip
    assert response.status_code == 200
    sent_email.refresh_from_db()
    assert sent_email.status == EmailStatus.BOUNCED
    # the verification key signs tracking only: the inbound URL still needs the basic auth
    raw = forged_delegation(sent_email.prospect)
    inbound = client.post("/anymail/sendgrid/inbound/", {"email": raw.decode(), "to": "edd@mail.jengu.test"})
    assert inbound.status_code == 403 and not Reply.objects.exists()


def test_with_the_basic_auth_secret_a_wrong_password_is_still_refused(client, settings, sent_email):
    settings.ANYMAIL = {**BLANK, "WEBHOOK_SECRET": BASIC_AUTH}
    assert sendgrid_post(client, sendgrid_events("bounce"), auth="jengu-hooks:guess").status_code == 400
    assert_nothing_changed(sent_email)
    assert sendgrid_post(client, sendgrid_events("bounce")).status_code == 200
    sent_email.refresh_from_db()
    assert sent_email.status == EmailStatus.BOUNCED


def test_a_refused_request_is_logged_with_what_to_set_and_no_secret(client, settings, caplog, sent_email):
    settings.ANYMAIL = dict(RESEND_SIGNING_ONLY)
    with caplog.at_level("WARNING"):
        response = sendgrid_post(client, sendgrid_events("bounce"), auth="")  # no credentials: none are configured
    assert response.status_code == 403
    logged = caplog.text
    assert "/anymail/sendgrid/tracking/" in logged and "ANYMAIL_WEBHOOK_SECRET" in logged
    assert RESEND_SECRET not in logged


def test_resend_signing_secret_with_wrong_signature_is_refused(client, settings, sent_email):
    settings.ANYMAIL = dict(RESEND_SIGNING_ONLY)
    Email.objects.filter(pk=sent_email.pk).update(provider="resend", provider_message_id=RESEND_EMAIL_ID)
    other = "whsec_" + base64.b64encode(b"not-the-resend-secret-at-all!!").decode()
    assert resend_post(client, "email.bounced", secret=other).status_code == 400
    assert_nothing_changed(sent_email)


# --- deployment checks -----------------------------------------------------------------

ESP_VARIABLES = (
    "RESEND_API_KEY", "SENDGRID_API_KEY", "RESEND_SIGNING_SECRET", "RESEND_INBOUND_SECRET", "ANYMAIL_WEBHOOK_SECRET",
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY", "DEBUG",
)  # fmt: skip


def manage_check(tmp_path, *args: str, **env: str) -> str:
    environment = {k: v for k, v in os.environ.items() if k not in ESP_VARIABLES and not k.startswith("SMTP_INBOX_")}
    environment.update(JENGU_VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path}/check.sqlite3", **env)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", *args], cwd=ROOT, env=environment, capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert "System check identified" in output and "Traceback" not in output, output[-2000:]  # the checks ran
    return output


def test_deploy_check_requires_the_webhook_secret_with_debug_off(tmp_path):
    output = manage_check(tmp_path, "--deploy")
    assert "jengu.E010" in output and "ANYMAIL_WEBHOOK_SECRET" in output


def test_deploy_check_names_each_esp_key_without_its_signing_secret_and_never_a_value(tmp_path):
    output = manage_check(
        tmp_path, "--deploy", RESEND_API_KEY="re_live_key_123", SENDGRID_API_KEY="SG.live-key-456",
        ANYMAIL_WEBHOOK_SECRET="hooks-no-colon-789",
    )  # fmt: skip
    assert "jengu.E011" in output and "jengu.E012" in output and "RESEND_SIGNING_SECRET" in output
    assert "jengu.E013" in output and "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY" in output
    assert "re_live_key_123" not in output and "SG.live-key-456" not in output and "hooks-no-colon-789" not in output


def test_deploy_check_passes_a_configured_install_and_a_debug_one(tmp_path):
    configured = manage_check(
        tmp_path, "--deploy", RESEND_API_KEY="re_live_key_123", RESEND_SIGNING_SECRET=RESEND_SECRET,
        SENDGRID_API_KEY="SG.live-key-456", ANYMAIL_WEBHOOK_SECRET="jengu-hooks:a-long-random-password",
    )  # fmt: skip
    assert "jengu.E01" not in configured
    assert "jengu.E01" not in manage_check(tmp_path, "--deploy", DEBUG="1")  # the offline demo needs no secret
    assert "jengu.E01" not in manage_check(tmp_path)  # `make test`'s plain check: not a deployment


def test_setup_stops_on_a_missing_webhook_secret(settings):
    settings.ANYMAIL = dict(BLANK)
    with pytest.raises(SystemCheckError, match="jengu.E010"):
        call_command("setup", stdout=io.StringIO(), stderr=io.StringIO(), verbosity=0)
