"""The demo's offline replies: answers to what the local SMTP sink received."""

import datetime

import pytest
from django.utils import timezone

from outreach.models import SinkMessage
from prospects.models import Prospect
from replies.inbound.imap import PollSummary
from replies.models import Reply
from replies.pipeline import run_reply_processing
from replies.sandbox import SANDBOX_REPLIES, sandbox_replies_run, sandbox_reply_for
from replies.services.ingest import reply_ingest
from tests.replies.helpers import contacted

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def offline(settings, monkeypatch):
    settings.GROK_API_KEY = settings.ANTHROPIC_API_KEY = ""
    monkeypatch.setattr("infra.stages._dispatch", lambda *a, **k: None)


def test_every_second_sink_message_gets_one_reply():
    earlier = timezone.now() - datetime.timedelta(minutes=10)
    for _ in range(10):
        _prospect, email = contacted()
        SinkMessage.objects.create(
            message_id=email.message_id,
            mail_from=email.from_email,
            rcpt_to=email.to_email,
            raw="…",
            received_at=earlier,
        )
    created = sandbox_replies_run()
    assert 2 <= created <= 8  # a hash picks them: about half
    assert Reply.objects.filter(source="sandbox", match_rule="in_reply_to").count() == created
    assert sandbox_replies_run() == 0


@pytest.mark.parametrize("choice", range(len(SANDBOX_REPLIES)), ids=[r[0] for r in SANDBOX_REPLIES])
def test_each_bundled_reply_is_read_as_what_it_is(choice):
    key = SANDBOX_REPLIES[choice][0]
    _prospect, email = contacted(company_website="https://sandbox-hotel.example")
    reply = reply_ingest(sandbox_reply_for(email, choice=choice), source="sandbox").reply
    run_reply_processing(reply.pk)
    reply.refresh_from_db()
    expected = {"company_not_interested": "not_interested"}.get(
        key, key.split("_de")[0].split("_fr")[0].split("_es")[0]
    )
    assert reply.intent == expected
    if key == "delegated":
        assert Prospect.objects.get(email="mike.peters@sandbox-hotel.example").referred_by == email.prospect


def test_a_meeting_request_in_the_demo_is_booked_by_the_sandbox_and_lands_on_the_timeline():
    from replies.models import Meeting
    from replies.sandbox import sandbox_bookings_run

    choice = [key for key, *_ in SANDBOX_REPLIES].index("meeting_request")
    prospect, email = contacted()
    now = timezone.now()
    reply = reply_ingest(
        sandbox_reply_for(email, choice=choice), source="sandbox", received_at=now - datetime.timedelta(minutes=5)
    ).reply
    run_reply_processing(reply.pk)
    prospect.refresh_from_db()
    assert prospect.stage == "meeting"  # the reply itself asked for one
    assert sandbox_bookings_run(now=now) == 1
    meeting = Meeting.objects.get(prospect=prospect)
    assert meeting.provider == "sandbox" and meeting.starts_at > now
    assert sandbox_bookings_run(now=now) == 0  # booked once


def test_an_interested_demo_reply_gets_a_draft_with_the_booking_link_and_its_sent_answer_books(settings):
    from replies.models import Meeting
    from replies.sandbox import sandbox_bookings_run
    from replies.services.answers import reply_answer_approve
    from tests.factories import UserFactory

    _prospect, email = contacted()
    email.campaign.booking_url = "https://cal.com/jengu-demo/15min"
    email.campaign.save()
    now = timezone.now()
    reply = reply_ingest(
        sandbox_reply_for(email, choice=0), source="sandbox", received_at=now - datetime.timedelta(minutes=5)
    ).reply
    run_reply_processing(reply.pk)
    reply.refresh_from_db()
    assert reply.intent == "interested" and "https://cal.com/jengu-demo/15min?" in reply.answer_draft.body
    assert sandbox_bookings_run(now=now) == 0  # nothing sent yet
    reply_answer_approve(reply=reply, by=UserFactory())
    assert sandbox_bookings_run(now=now) == 1
    reply.prospect.refresh_from_db()
    assert reply.prospect.stage == "meeting" and Meeting.objects.filter(prospect=reply.prospect).exists()


def test_the_sandbox_twin_reads_until_an_inbox_has_an_imap_host(monkeypatch):
    from replies.inbound.readers import inbound_read
    from tests.factories import InboxFactory

    assert inbound_read() == "0 sandbox replies"
    InboxFactory(imap_host="imap.hotel-mail.example")
    monkeypatch.setattr("replies.inbound.imap.imap_poll", lambda: PollSummary(inboxes=1, new_replies=2))
    assert inbound_read() == "2 new replies from 1 inboxes, 0 errors"
