"""The demo's offline replies: answers to what the local SMTP sink received."""

import datetime

import pytest
from django.utils import timezone

from outreach.models import SinkMessage
from prospects.models import Prospect
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
