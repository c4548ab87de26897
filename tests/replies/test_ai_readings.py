"""Recorded Grok and Claude readings of replies, for every intent, the hard cases the
offline reader used to get wrong, and malformed answers; replies.policy on each.

Recorded bodies follow https://docs.x.ai/docs/api-reference#chat-completions (the JSON
answer in ``choices[0].message.content``) and https://docs.anthropic.com/en/api/messages
(a ``tool_use`` content block), as in tests/infra/test_ai_gateway.py; the answers are
under tests/fixtures/replies/ai/.
"""

import json
from pathlib import Path

import httpx
import httpx2
import pytest

from outreach.models import Suppression
from outreach.services.suppression import suppression_blocks
from prospects.models import Prospect
from replies.interpretation import PROMPT
from replies.models import Reply
from replies.pipeline import run_reply_processing
from replies.services.ingest import reply_ingest
from tests.infra.test_ai_gateway import claude_with, grok_with
from tests.replies.helpers import contacted, reply_to

pytestmark = pytest.mark.django_db
AI = Path(__file__).resolve().parents[1] / "fixtures" / "replies" / "ai"
AUTO = {"Auto-Submitted": "auto-replied"}


@pytest.fixture(autouse=True)
def no_task_dispatch(monkeypatch):
    monkeypatch.setattr("infra.stages._dispatch", lambda *a, **k: None)


def recorded(provider: str, name: str):
    body = json.loads((AI / f"{provider}_{name}.json").read_text())
    if provider == "grok":
        return grok_with(httpx.Response(200, json=body))
    return claude_with(httpx2.Response(200, json=body))


def process(text, provider, name, *, headers=None, sender=None, subject="Re: Faster check-in", website=None):
    prospect, email = contacted(company_website=website or "https://castle.example")
    kwargs = {"headers": headers or {}, "subject": subject}
    if sender:
        kwargs["sender"] = sender
    reply = reply_ingest(reply_to(email, text, **kwargs), source="imap").reply
    client, calls = recorded(provider, name)
    run_reply_processing(reply.pk, providers=[client])
    reply.refresh_from_db()
    prospect.refresh_from_db()
    return prospect, email, reply, calls


EVERY_INTENT = [
    ("interested", "Yes, we're interested - tell me more.", {}, None, "replied"),
    ("meeting_request", "Happy to have a quick call. Would Wednesday at 3pm work for you?", {}, None, "meeting"),
    ("needs_more_info", "How much does it cost for 60 rooms? And does it work with Mews?", {}, None, "replied"),
    (
        "delegated",
        "Please contact our Operations Director, Helen Marsh, at helen.marsh@castle.example - she runs this.",
        {},
        None,
        "engaged",
    ),
    ("not_interested", "Not for us, thanks.", {}, None, "lost"),
    ("unsubscribe", "Please remove me from your list.", {}, None, "lost"),
    ("out_of_office", "I am out of the office until 16 March with no access to email.", AUTO, None, "contacted"),
    ("wrong_person", "Mr Harris no longer works here.", {}, None, "lost"),
    (
        "bounce",
        "Delivery to the following recipient failed permanently. The account does not exist. 550 5.1.1",
        {},
        "mailer-daemon@googlemail.com",
        "lost",
    ),
]


@pytest.mark.parametrize("provider", ["grok", "claude"])
@pytest.mark.parametrize(
    ("intent", "text", "headers", "sender", "stage"), EVERY_INTENT, ids=[c[0] for c in EVERY_INTENT]
)
def test_every_intent_read_by_each_provider_is_acted_on_when_confident_and_precise(
    provider, intent, text, headers, sender, stage
):
    prospect, _email, reply, _calls = process(text, provider, f"every_{intent}", headers=headers, sender=sender)
    assert reply.interpreted_by == provider and reply.intent == intent
    assert reply.action_status == "automatic", reply.policy_reason
    assert prospect.stage == stage
    if intent == "delegated":
        assert reply.delegated_prospect.email == "helen.marsh@castle.example"
    if intent in ("unsubscribe", "not_interested"):
        assert suppression_blocks(prospect.email)


def test_the_prompt_carries_our_email_the_offer_the_prospect_and_the_thread_as_fenced_data():
    prospect, email = contacted(name="Claire Dunmore", title="General Manager", company_name="Harbourview Hotel")
    email.campaign.product_pitch = "A tablet that checks guests in before they reach the desk."
    email.campaign.save()
    reply = reply_ingest(reply_to(email, "Sounds good, tell me more."), source="imap").reply
    client, calls = recorded("grok", "every_interested")
    run_reply_processing(reply.pk, providers=[client])
    sent = json.loads(calls.requests[0].content)["messages"][-1]["content"]
    instructions, _, data = sent.partition("<data ")
    for name, value in [
        ("our_email_subject", email.subject),
        ("campaign_offer", "checks guests in before they reach the desk"),
        ("prospect_name", "Claire Dunmore"),
        ("prospect_title", "General Manager"),
        ("prospect_hotel", "Harbourview Hotel"),
        ("thread_history", f"we wrote: {email.subject}"),
        ("reply_text", "Sounds good, tell me more."),
    ]:
        block = data.split(f'name="{name}">', 1)[1].split("</data>", 1)[0]
        assert value in block, name
    # one prompt for every campaign: no product named in the instructions
    assert "check-in" not in PROMPT.lower() and "check-in" not in instructions.lower()


def test_an_article_21_objection_ends_outreach_even_when_the_model_reads_a_question():
    text = "I did not consent to this. Under Article 21 GDPR I object to the processing of my data for marketing."
    prospect, _email, reply, _ = process(text, "grok", "article21_read_as_question")
    assert reply.intent == "unsubscribe" and reply.action_status == "automatic"
    assert "removal request" in reply.policy_reason
    assert suppression_blocks(prospect.email).reason == Suppression.Reason.UNSUBSCRIBE
    assert prospect.stage == "lost"


def test_a_german_article_21_objection_read_by_claude():
    text = "Ich widerspreche hiermit gemäß Art. 21 DSGVO der Verarbeitung meiner Daten zu Werbezwecken."
    prospect, _email, reply, _ = process(text, "claude", "article21_de")
    assert reply.intent == "unsubscribe" and suppression_blocks(prospect.email)


def test_no_longer_works_here_is_a_wrong_person_not_an_unsubscribe():
    prospect, _email, reply, _ = process("Mr Harris no longer works here.", "grok", "left_company")
    assert reply.intent == "wrong_person" and reply.action_status == "automatic"
    assert prospect.stage == "lost" and not Suppression.objects.exists()


@pytest.mark.parametrize(
    ("provider", "name", "text"),
    [
        ("grok", "yes_interested_de", "Ja, wir sind interessiert. Schicken Sie mir gerne Details."),
        ("claude", "yes_interested_it", "Sì, interessato. Mi dica di più."),
        ("grok", "yes_interested_pt", "Sim, temos interesse!"),
    ],
)
def test_a_plain_yes_in_any_language_is_interest_and_creates_no_prospect(provider, name, text):
    prospect, _email, reply, _ = process(text, provider, name)
    assert reply.intent == "interested" and prospect.stage == "replied"
    assert Prospect.objects.count() == 1


def test_a_yes_the_model_misreads_as_a_delegation_waits_for_a_person_and_creates_nobody():
    text = "Ja, wir sind interessiert. Schicken Sie mir gerne Details."
    prospect, _email, reply, _ = process(text, "grok", "yes_interested_read_as_delegation")
    assert reply.intent == "delegated" and reply.action_status == "awaiting" and reply.needs_human
    assert Prospect.objects.count() == 1 and prospect.stage == "contacted"
    assert prospect.reply_pending_since is not None  # the sender holds their emails meanwhile


def test_nee_bedankt_is_a_refusal():
    prospect, _email, reply, _ = process("Nee bedankt.", "claude", "nee_bedankt")
    assert reply.intent == "not_interested" and prospect.stage == "lost"


def test_nee_bedankt_misread_as_a_delegation_waits_for_a_person():
    prospect, _email, reply, _ = process("Nee bedankt.", "grok", "nee_bedankt_read_as_delegation")
    assert reply.action_status == "awaiting" and Prospect.objects.count() == 1
    assert prospect.stage == "contacted"


@pytest.mark.parametrize(
    ("provider", "name"),
    [
        ("grok", "malformed_not_json"),
        ("grok", "malformed_missing_intent"),
        ("grok", "malformed_truncated"),
        ("claude", "malformed_confidence_out_of_range"),
        ("claude", "malformed_text_instead_of_tool"),
        ("claude", "malformed_unknown_intent"),
    ],
)
def test_a_malformed_answer_falls_back_to_the_offline_reader(provider, name):
    prospect, _email, reply, calls = process("Please remove me from your list.", provider, name)
    assert len(calls.requests) >= 1
    assert reply.interpreted_by == "fallback" and reply.intent == "unsubscribe"
    assert suppression_blocks(prospect.email)


def test_a_malformed_grok_answer_and_claude_reads_it():
    prospect, email = contacted()
    reply = reply_ingest(reply_to(email, "Nee bedankt."), source="imap").reply
    grok, _ = recorded("grok", "malformed_not_json")
    claude, _ = recorded("claude", "nee_bedankt")
    run_reply_processing(reply.pk, providers=[grok, claude])
    reply = Reply.objects.get(pk=reply.pk)
    assert reply.interpreted_by == "claude" and reply.intent == "not_interested"
