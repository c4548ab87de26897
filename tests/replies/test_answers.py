"""Draft answers to replies: the campaign's facts only, the gates, a person approves."""

import datetime

import pytest

from infra.errors import ApplicationError
from outreach.models import Email, EmailStatus
from replies.pipeline import run_reply_processing
from replies.services.answers import reply_answer_approve, reply_answer_discard, reply_draft_answer, reply_language
from replies.services.ingest import reply_ingest
from tests.factories import UserFactory
from tests.replies.helpers import contacted, reply_to

pytestmark = pytest.mark.django_db
FAQ = """Q: Does it work with Mews or Opera?
A: Yes: Jengu connects to OPERA, Mews, Protel and Cloudbeds in a day.

Q: Do guests need to download an app?
A: No, guests check in from a link in their confirmation email."""


@pytest.fixture(autouse=True)
def no_task_dispatch(monkeypatch):
    monkeypatch.setattr("infra.stages._dispatch", lambda *a, **k: None)


def answered(text, *, booking_url="https://cal.com/edd/15min", **prospect_fields):
    prospect, email = contacted(name="Claire Dunmore", timezone="Europe/Berlin", **prospect_fields)
    campaign = email.campaign
    campaign.faq = FAQ
    campaign.pricing_notes = "From EUR 2 per room and month, no setup fee."
    campaign.booking_url = booking_url
    campaign.signature = "Edd Chen\nJengu"
    campaign.save()
    reply = reply_ingest(reply_to(email, text), source="imap").reply
    run_reply_processing(reply.pk, providers=[])
    reply.refresh_from_db()
    return prospect, email, reply


def test_an_interested_reply_gets_a_checked_draft_with_the_booking_link_that_waits_for_a_person():
    prospect, email, reply = answered("Yes, we're interested - tell me more.")
    draft = reply.answer_draft
    assert draft is not None and draft.status == EmailStatus.DRAFT and draft.type == Email.Type.REPLY
    assert draft.to_email == reply.from_email and draft.inbox == email.inbox
    assert "https://cal.com/edd/15min?metadata%5Bjengu%5D=" in draft.body
    assert draft.body.startswith("Hi Claire,")
    assert draft.gate_results["passed"] and draft.gate_results["needs_review"]
    assert set(draft.gate_results) >= {"spam", "facts"}


def test_questions_are_answered_from_the_faq_and_the_pricing_notes_and_the_reply_is_not_quoted():
    _, _, reply = answered("How much is it for our 60 rooms? Does it work with Mews? Our GM Bob Stone asks.")
    body = reply.answer_draft.body
    assert "connects to OPERA, Mews" in body and "From EUR 2 per room" in body
    assert "Bob Stone" not in body and "60" not in body
    assert "download an app" not in body  # an FAQ entry nobody asked about


def test_without_a_booking_link_two_times_in_the_prospects_time_zone_are_proposed():
    _, _, reply = answered("Happy to have a quick call, what times work?", booking_url="")
    body = reply.answer_draft.body
    assert "(Europe/Berlin)" in body and "10:00" in body and "15:00" in body
    assert reply.answer_draft.gate_results["passed"]


def test_a_reply_in_italian_gets_an_italian_draft():
    _, _, reply = answered("Sì, siamo interessati. Mi dica di più.")
    assert reply.answer_draft.language == "it"
    assert reply.answer_draft.body.startswith("Buongiorno Claire,")


def test_approving_sends_it_in_the_thread_from_the_threads_inbox():
    _, email, reply = answered("Yes, we're interested.")
    sent = reply_answer_approve(reply=reply, by=UserFactory())
    assert sent.pk == reply.answer_draft_id and sent.status == EmailStatus.QUEUED
    assert sent.inbox == email.inbox and sent.in_reply_to == reply.message_id
    assert sent.thread_root == email


def test_an_edit_that_names_a_foreign_website_is_refused_by_the_facts_gate():
    _, _, reply = answered("Yes, we're interested.")
    with pytest.raises(ApplicationError, match="domain"):
        reply_answer_approve(
            reply=reply, by=UserFactory(), body=reply.answer_draft.body + "\nSee also www.cheap-pills.example"
        )
    reply.answer_draft.refresh_from_db()
    assert reply.answer_draft.status == EmailStatus.DRAFT


def test_an_edited_answer_is_sent_as_the_person_wrote_it():
    _, _, reply = answered("Yes, we're interested.")
    body = "Hi Claire,\n\nThank you! I will call you.\n\nEdd Chen\nJengu"
    sent = reply_answer_approve(reply=reply, by=UserFactory(), body=body)
    assert sent.body == body and sent.written_by == "human"


def test_discarding_rejects_the_draft():
    _, _, reply = answered("Yes, we're interested.")
    email = reply_answer_discard(reply=reply, by=UserFactory())
    email.refresh_from_db()
    assert email.status == EmailStatus.REJECTED
    with pytest.raises(ApplicationError):
        reply_answer_approve(reply=reply, by=UserFactory())


def test_no_draft_for_a_refusal_or_a_reading_that_waits():
    _, _, refusal = answered("Not for us, thanks.")
    assert refusal.answer_draft is None
    assert reply_draft_answer(reply=refusal, by="test") is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Yes, we are interested, please send more.", "en"),
        ("Ja, wir sind interessiert, bitte mehr Informationen.", "de"),
        ("Oui, nous sommes intéressés, merci pour votre message.", "fr"),
        ("Sí, nos interesa, gracias por escribir.", "es"),
        ("Sì, ci interessa, grazie per la email.", "it"),
        ("Ja, we hebben interesse, stuur graag meer informatie.", "nl"),
        ("Sim, temos interesse, obrigado pelo contacto.", "pt"),
    ],
)
def test_the_reply_language(text, language):
    assert reply_language(text) == language


def test_times_skip_the_weekend():
    from replies.services.answers import proposed_times

    class Prospect:
        timezone = "America/Denver"

    friday = datetime.datetime(2026, 3, 6, 15, 0, tzinfo=datetime.UTC)
    slots, zone = proposed_times(Prospect(), now=friday)
    assert zone == "America/Denver" and slots[0].startswith("Monday 09.03.")
