"""What reaches the wire: the raw bytes a real SMTP server received and the exact ESP request bodies.

Gmail and Yahoo (and Outlook.com since May 2025) need a working one-click unsubscribe:
``List-Unsubscribe: <https://…>`` plus ``List-Unsubscribe-Post: List-Unsubscribe=One-Click``
(RFC 8058). Mail clients do not decode RFC 2047 encoded-words in that header, so it must
arrive as plain ASCII, folded (if at all) only after a comma. Reading the message back
through Python's ``email`` package would decode an encoded header and hide the defect;
these tests look at the bytes.
"""

import datetime
import json
import random
import re

import pytest
import responses
from constance import config
from django.test import Client

from outreach.models import Email, EmailStatus, Sequence, Suppression
from outreach.services.sending import Pacing, sender_run
from prospects.models import ProspectStage
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory
from tests.support.smtp_sink import RecordingSink

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 12, 1, 17, 0, tzinfo=datetime.UTC)
NO_PACING = Pacing(skip_probability=0.0, delay_min=0.0, delay_max=0.0, business_hours=False)
BASE = "https://outreach.jengu-hotels.example"
RESEND_URL = "https://api.resend.com/emails"
SENDGRID_URL = "https://api.sendgrid.com/v3/mail/send"
# the header exactly as RFC 8058 wants it: angle brackets, our base URL, a short token
HEADER = re.compile(rb"\r\nList-Unsubscribe: <(https://outreach\.jengu-hotels\.example/u/[A-Za-z0-9_-]{22}/)>\r\n")


@pytest.fixture(autouse=True)
def wire_settings(settings):
    settings.PUBLIC_BASE_URL = BASE
    settings.RESEND_API_KEY = settings.SENDGRID_API_KEY = ""
    config.WARMUP_JITTER = False
    config.SAME_DOMAIN_GAP_MINUTES = 0


@pytest.fixture
def sink():
    with RecordingSink() as sink:
        yield sink


def queued_email(*, step: int = 1, address: str = "gm@harbourview.example", inbox=None, **kwargs) -> Email:
    prospect = ProspectFactory(stage=ProspectStage.QUEUED, email=address)
    campaign = CampaignFactory(postal_address="Jengu Ltd, 1 Quay Street, Galway, Ireland")
    Sequence.objects.create(prospect=prospect, campaign=campaign, inbox=inbox)
    return EmailFactory(
        prospect=prospect, campaign=campaign, inbox=inbox, from_email="", status=EmailStatus.QUEUED,
        to_email=address, sequence_step=step, body="Hi Anna,\n\nA short note.\n\nBest,\nMaya", **kwargs,
    )  # fmt: skip


def run():
    return sender_run(clock=lambda: NOW, rng=random.Random(7), pacing=NO_PACING)


def header_block(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0] + b"\r\n"


def test_smtp_list_unsubscribe_reaches_the_wire_unencoded_and_one_click_works(sink):
    InboxFactory(smtp_port=sink.port, smtp_password="")
    email = queued_email()
    assert run().sent == 1

    [raw] = sink.raw
    headers = header_block(raw)
    match = HEADER.search(headers)
    assert match, headers.decode("ascii", "replace")
    assert b"=?" not in headers.split(b"List-Unsubscribe:", 1)[1].split(b"\r\n", 1)[0]
    assert b"\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in headers
    assert headers.isascii()

    # the footer carries the same link, once, and the body holds no other unsubscribe link
    body = raw.split(b"\r\n\r\n", 1)[1]
    url = match[1]
    # the URL whole in the raw body: a quoted-printable soft break (=\r\n) inside it would not match
    assert body.count(url) == 1 and body.count(b"/u/") == 1

    # what Gmail does with it: POST List-Unsubscribe=One-Click to the URL, no cookie, no page
    path = url.decode().removeprefix(BASE)
    response = Client(enforce_csrf_checks=True).post(
        path, data="List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert Suppression.objects.get().value == email.to_email


def test_a_follow_up_carries_the_same_link_and_its_thread_headers(sink):
    inbox = InboxFactory(smtp_port=sink.port, smtp_password="")
    queued_email(step=2, in_reply_to="<first@jengu-hotels.example>", type=Email.Type.FOLLOW_UP, inbox=inbox)
    assert run().sent == 1

    headers = header_block(sink.raw[0])
    assert HEADER.search(headers)
    assert b"\r\nIn-Reply-To: <first@jengu-hotels.example>\r\n" in headers
    assert b"\r\nReferences: <first@jengu-hotels.example>\r\n" in headers


def test_a_long_public_base_url_stays_whole_and_unencoded(settings, sink):
    settings.PUBLIC_BASE_URL = "https://" + "a" * 40 + ".crm.jengu-hotels.example/outreach/public/links"
    InboxFactory(smtp_port=sink.port, smtp_password="")
    queued_email()
    assert run().sent == 1

    line = re.search(rb"\r\nList-Unsubscribe: (.*?)\r\n", header_block(sink.raw[0]))[1]
    assert line.startswith(b"<" + settings.PUBLIC_BASE_URL.encode() + b"/u/") and line.endswith(b"/>")
    assert len(line) > 78  # longer than a line: written whole (RFC 5322 allows 998), never encoded


@pytest.fixture
def api():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def test_resend_gets_the_header_verbatim_in_its_request_body(settings, api):
    settings.RESEND_API_KEY = "re_TestKey_4f9c2d7e1a8b"
    api.add(responses.POST, RESEND_URL, json={"id": "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}, status=200)
    InboxFactory(smtp_password="")
    queued_email()
    assert run().sent == 1

    [call] = api.calls
    raw_body = call.request.body if isinstance(call.request.body, bytes) else call.request.body.encode()
    assert re.search(rb'"List-Unsubscribe": "<https://outreach\.jengu-hotels\.example/u/[A-Za-z0-9_-]{22}/>"', raw_body)
    assert b'"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"' in raw_body
    assert b"=?utf-8?" not in raw_body


def test_sendgrid_gets_the_header_verbatim_in_its_request_body(settings, api):
    settings.SENDGRID_API_KEY = "SG.test-key-id.Zk3v8QpL2mN5xR7tY1wE"
    api.add(responses.POST, SENDGRID_URL, body="", status=202, headers={"X-Message-Id": "W2u6sdFfQ0ahMVTNpX2wKA"})
    InboxFactory(smtp_port=1, smtp_password="")  # the inbox's own server is down: SendGrid takes it
    queued_email()
    assert run().sent == 1

    [call] = [c for c in api.calls if c.request.url == SENDGRID_URL]
    raw_body = call.request.body if isinstance(call.request.body, bytes) else call.request.body.encode()
    assert re.search(rb'"List-Unsubscribe": "<https://outreach\.jengu-hotels\.example/u/[A-Za-z0-9_-]{22}/>"', raw_body)
    assert b'"List-Unsubscribe-Post": "List-Unsubscribe=One-Click"' in raw_body
    assert b"=?utf-8?" not in raw_body
    headers = json.loads(raw_body)["headers"]
    assert set(headers) >= {"List-Unsubscribe", "List-Unsubscribe-Post"}
