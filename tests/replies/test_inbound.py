"""Inbound mail: the IMAP poller against a real Dovecot, and anymail's inbound webhook.

Dovecot (Debian ``dovecot-imapd``, tests/system-packages.txt) runs as a subprocess with
a generated configuration (tests/support/dovecot.py). The SendGrid inbound webhook is
posted the way SendGrid's Inbound Parse does with "POST the raw, full MIME message"
(https://www.twilio.com/docs/sendgrid/for-developers/parsing-email/setting-up-the-inbound-parse-webhook):
a multipart form whose ``email`` field is the raw message.
"""

import base64
import time

import pytest
from imapclient import IMAPClient

from outreach.models import Inbox
from replies.inbound.imap import imap_poll
from replies.models import InboxCursor, Reply
from tests.factories import InboxFactory
from tests.replies.helpers import contacted, inbound, reply_to
from tests.support.dovecot import PASSWORD, DovecotServer, dovecot_available

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not dovecot_available(), reason="needs dovecot-imapd (make test installs it)"),
]
USERS = ["edd@mail.jengu.test", "anna@mail.jengu.test", "tom@mail.jengu.test"]


@pytest.fixture
def dovecot():
    server = DovecotServer(USERS).start()
    yield server
    server.stop()


@pytest.fixture
def inboxes(dovecot):
    return [
        InboxFactory(email=user, imap_host="127.0.0.1", imap_port=dovecot.port, imap_password=PASSWORD)
        for user in USERS
    ]


def flags(server, user):
    client = IMAPClient("127.0.0.1", port=server.port, ssl=False, timeout=5)
    client.login(user, PASSWORD)
    client.select_folder("INBOX", readonly=True)
    found = {uid: data[b"FLAGS"] for uid, data in client.fetch(client.search(["ALL"]), ["FLAGS"]).items()}
    client.logout()
    return found


def test_new_messages_are_read_once_from_every_inbox_without_marking_them_seen(dovecot, inboxes):
    _prospect, email = contacted()
    dovecot.deliver(USERS[0], reply_to(email, "Sounds interesting", message_id="<r1@hotel.example>"))
    dovecot.deliver(USERS[0], inbound("Who are you?", sender="x@unknown.example", message_id="<r2@unknown.example>"))
    dovecot.deliver(USERS[1], inbound("Tell me more", sender="y@unknown.example", message_id="<r3@unknown.example>"))

    summary = imap_poll()
    assert (summary.inboxes, summary.new_replies, summary.errors) == (3, 3, 0)
    assert Reply.objects.get(message_id="<r1@hotel.example>").email == email
    assert Reply.objects.get(message_id="<r3@unknown.example>").inbox.email == USERS[1]
    assert all(b"\\Seen" not in f for f in flags(dovecot, USERS[0]).values())
    cursor = InboxCursor.objects.get(inbox__email=USERS[0])
    assert cursor.last_uid == 2 and cursor.uidvalidity and not cursor.last_error

    again = imap_poll()
    assert (again.messages, again.new_replies) == (0, 0)

    dovecot.deliver(USERS[2], inbound("Unsubscribe", sender="z@unknown.example", message_id="<r4@unknown.example>"))
    third = imap_poll()
    assert (third.messages, third.new_replies) == (1, 1)
    assert Reply.objects.count() == 4


def test_a_failing_inbox_records_its_error_and_the_others_still_poll(dovecot, inboxes):
    Inbox.objects.filter(email=USERS[1]).update(imap_password="wrong")
    broken = InboxFactory(email="gone@mail.jengu.test", imap_host="127.0.0.1", imap_port=1, imap_password="x")
    dovecot.deliver(USERS[0], inbound("Hello", sender="x@unknown.example", message_id="<ok@unknown.example>"))

    summary = imap_poll(timeout=15)
    errors = dict(InboxCursor.objects.exclude(last_error="").values_list("inbox__email", "last_error"))
    assert (summary.new_replies, summary.errors) == (1, 2), (errors, (dovecot.root / "dovecot.log").read_text())
    assert InboxCursor.objects.get(inbox__email=USERS[1]).last_error
    assert "ConnectionRefused" in InboxCursor.objects.get(inbox=broken).last_error
    assert not InboxCursor.objects.get(inbox__email=USERS[0]).last_error


def test_a_uidvalidity_change_resets_the_cursor_and_rereads_without_duplicates(dovecot, inboxes):
    dovecot.deliver(USERS[0], inbound("First", sender="x@unknown.example", message_id="<v1@unknown.example>"))
    imap_poll()
    before = InboxCursor.objects.get(inbox__email=USERS[0])

    time.sleep(1.1)  # Dovecot derives a new UIDVALIDITY from the clock
    dovecot.reset_uidvalidity(USERS[0])
    dovecot.deliver(USERS[0], inbound("Second", sender="x@unknown.example", message_id="<v2@unknown.example>"))
    summary = imap_poll()

    after = InboxCursor.objects.get(inbox__email=USERS[0])
    assert after.uidvalidity != before.uidvalidity
    assert (summary.resets, summary.new_replies, summary.duplicates) == (1, 1, 1)
    assert set(Reply.objects.values_list("message_id", flat=True)) == {"<v1@unknown.example>", "<v2@unknown.example>"}
    assert imap_poll().messages == 0


def test_the_same_reply_by_webhook_and_by_imap_is_stored_once(client, settings, dovecot, inboxes):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:secret"}
    _prospect, email = contacted()
    raw = reply_to(email, "Yes, let's talk Thursday at 2pm.", message_id="<both-ways@hotel.example>")
    auth = "Basic " + base64.b64encode(b"hook:secret").decode()
    response = client.post(
        "/anymail/sendgrid/inbound/",
        {"email": raw.decode(), "to": USERS[0], "from": email.to_email, "charsets": '{"email": "utf-8"}'},
        HTTP_AUTHORIZATION=auth,
    )
    assert response.status_code == 200
    reply = Reply.objects.get(message_id="<both-ways@hotel.example>")
    assert reply.source == "sendgrid" and reply.email == email

    dovecot.deliver(USERS[0], raw)
    summary = imap_poll()
    assert (summary.messages, summary.new_replies, summary.duplicates) == (1, 0, 1)
    assert Reply.objects.count() == 1


def test_a_message_that_breaks_the_parser_is_passed_and_the_rest_are_stored(dovecot, inboxes):
    from infra.models import Event

    _prospect, email = contacted()
    broken = (
        b"From: Anna <anna@hotel.example>\r\nTo: <a@[b>\r\nSubject: hi\r\nMessage-ID: <bad@hotel.example>\r\n\r\nHi\r\n"
    )
    dovecot.deliver(USERS[0], broken)  # Python's header parser raises AttributeError on that To
    with_nul = reply_to(email, "Sounds good,\x00 call me", message_id="<nul@hotel.example>")
    dovecot.deliver(USERS[0], with_nul)  # PostgreSQL refuses a NUL in text
    dovecot.deliver(USERS[0], inbound("Tell me more", sender="y@unknown.example", message_id="<ok@unknown.example>"))
    imap_poll(inboxes=inboxes[:1])
    stored = dict(Reply.objects.values_list("message_id", "body"))
    assert set(stored) == {"<nul@hotel.example>", "<ok@unknown.example>"}
    assert "\x00" not in stored["<nul@hotel.example>"] and "call me" in stored["<nul@hotel.example>"]
    failure = Event.objects.get(name="reply.ingest_failed")
    assert "AttributeError" in failure.message and failure.data["uid"] == 1
    cursor = InboxCursor.objects.get(inbox=inboxes[0])
    assert cursor.last_uid == 3 and cursor.last_error == ""  # past the broken one: never fetched again
    imap_poll(inboxes=inboxes[:1])
    assert Reply.objects.count() == 2 and Event.objects.filter(name="reply.ingest_failed").count() == 1
