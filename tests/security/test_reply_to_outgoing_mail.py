"""Issue 16, item 2: a reply must never make Jengu write its text to anyone.

The attack: a reply whose From display name (and body) carries a phishing sentence
("… your guest refund 4471 failed. Please re-enter your card details at
hgi-refunds.online …") and delegates to a third party. ``_delegate`` copied the display
name into the delegate's referral note, the English templates printed the note as the
first sentence of the delegate's first email, the facts gate found the text "in the
context" and the link check did not know ``.online``: a queued email to the third party.

Every test goes the product's way: ``reply_ingest`` → the ``reply_processing`` stage (the
offline reader) → ``_delegate``; then the ``composition`` stage writes the delegate's first
email from the templates (no AI keys, no spamd).
"""

import pytest
from django.utils import timezone

from infra.statemachine import transition
from outreach.composition.context import job_title, person_name
from outreach.models import Email, EmailStatus
from outreach.pipeline import run_composition
from prospects.models import Prospect, ProspectStage
from replies.schema import DelegatedTo, ReplyInterpretation
from replies.services.actions import reply_record_interpretation
from replies.services.ingest import reply_ingest
from tests.factories import ProspectFactory
from tests.outreach.composition_support import campaign
from tests.replies.helpers import contacted, reply_to

pytestmark = pytest.mark.django_db

PHISHING = "Sarah Johnson. Your guest refund 4471 failed. Please re-enter your card details at hgi-refunds.online today"
# what must never reach an outgoing email: each distinctive piece of the inbound text
INBOUND_FRAGMENTS = ("refund", "4471", "card details", "re-enter", "hgi-refunds", ".online", "today")
DELEGATION = (
    "Hi Edd,\n\nThis isn't my area. Please speak with our Operations Director, Mike Peters "
    "(mike.peters@{domain}), who handles vendor evaluations.\n\n"
    "Your guest refund 4471 failed. Please re-enter your card details at hgi-refunds.online\n\nThanks,\nSarah"
)


@pytest.fixture(autouse=True)
def offline(settings):
    settings.JENGU_TASKS_SYNC = True
    settings.GROK_API_KEY = settings.ANTHROPIC_API_KEY = ""
    settings.SPAMD_HOST = ""
    settings.STAGE_RETRY_DELAYS = [0]


@pytest.fixture
def no_stages(monkeypatch):
    """Stages are dispatched by hand: the test runs the ones it means to."""
    monkeypatch.setattr("infra.stages._dispatch", lambda *a, **k: None)


def _receive(email, body, *, name, django_capture_on_commit_callbacks):
    from replies.pipeline import run_reply_processing

    with django_capture_on_commit_callbacks(execute=True):
        reply = reply_ingest(reply_to(email, body, name=name), source="imap").reply
        run_reply_processing(reply.pk)
    reply.refresh_from_db()
    return reply


def _first_email_of(delegate: Prospect) -> Email:
    """Enrichment and research have nothing to add; the composition stage writes the first email."""
    if delegate.stage == ProspectStage.NEW:
        for name in ("start_enrichment", "finish_enrichment", "start_research", "finish_research"):
            transition(delegate, name, by="test")
    run_composition(delegate.pk)
    return Email.objects.get(prospect=delegate, sequence_step=1)


def _assert_no_inbound_text(email: Email, *also: str):
    text = f"{email.subject}\n{email.body}".lower()
    leaked = [fragment for fragment in (*INBOUND_FRAGMENTS, *also) if fragment.lower() in text]
    assert not leaked, f"inbound text reached the outgoing email: {leaked}\n{email.body}"


def test_a_phishing_display_name_never_reaches_the_third_partys_first_email_and_it_waits_for_a_person(
    no_stages, django_capture_on_commit_callbacks
):
    campaign()  # no approval asked: only the delegation rule can hold the email
    original, email = contacted(
        name="Sarah Johnson", email="sarah@courtyard-denver.example", company_website="https://courtyard-denver.example"
    )
    reply = _receive(
        email,
        DELEGATION.format(domain="partner-payments.example"),
        name=PHISHING,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    assert reply.intent == "delegated" and PHISHING in reply.from_name  # the attack arrived intact
    delegate = reply.delegated_prospect
    assert delegate.email == "mike.peters@partner-payments.example"
    for fragment in INBOUND_FRAGMENTS:  # nothing of the inbound text is kept for the first email either
        assert fragment not in delegate.referral_note.lower()

    first = _first_email_of(delegate)
    _assert_no_inbound_text(first)
    assert first.to_email == "mike.peters@partner-payments.example"
    # a stranger's address, named by a reply: a person decides, and sees why
    assert first.status == EmailStatus.DRAFT
    assert first.gate_results["needs_review"] is True
    reason = first.gate_results["review_reason"]
    assert "delegat" in reason and "partner-payments.example" in reason and "courtyard-denver.example" in reason
    delegate.refresh_from_db()
    assert delegate.stage == ProspectStage.COMPOSED  # composed, not queued


def test_a_delegate_at_the_hotels_own_domain_is_introduced_by_the_referrers_stored_name_and_queued(
    no_stages, django_capture_on_commit_callbacks
):
    campaign()
    original, email = contacted(
        name="Sarah Johnson", email="sarah@courtyard-denver.example", company_website="https://courtyard-denver.example"
    )
    reply = _receive(
        email,
        DELEGATION.format(domain="courtyard-denver.example"),
        name=PHISHING,
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    delegate = reply.delegated_prospect
    assert delegate.referral_note == "Sarah Johnson suggested we speak with you"  # the prospect's name, not the header

    first = _first_email_of(delegate)
    _assert_no_inbound_text(first)
    assert first.body.startswith("Hi Mike,\n\nSarah Johnson suggested we speak with you.")
    assert first.status == EmailStatus.QUEUED and not first.gate_results.get("needs_review")


@pytest.mark.parametrize(
    "stored_name",
    [
        "Refunds: re-enter your card at hgi-refunds.online",  # free text where a name should be
        "Reservations Team",  # a mailbox, not a person
        "gm@courtyard-denver.example",
        "",  # erased (GDPR): no referrer to name
    ],
)
def test_a_referrer_whose_stored_name_is_not_a_persons_name_is_left_out(
    stored_name, no_stages, django_capture_on_commit_callbacks
):
    campaign()
    original, email = contacted(
        name=stored_name, email="gm@courtyard-denver.example", company_website="https://courtyard-denver.example"
    )
    reply = _receive(
        email,
        DELEGATION.format(domain="courtyard-denver.example"),
        name="Sarah Johnson",
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    delegate = reply.delegated_prospect
    assert delegate.referral_note == ""
    first = _first_email_of(delegate)
    _assert_no_inbound_text(first, "suggested", "Sarah", "Reservations")
    assert first.body.startswith("Hi Mike,\n\nI ")


def test_a_note_stored_before_the_fix_is_never_printed(no_stages):
    """Rows written by the old ``_delegate`` still hold the display name: the email builds its own note."""
    campaign()
    referrer = ProspectFactory(
        name="Sarah Johnson", email="sarah@courtyard-denver.example", company_website="https://courtyard-denver.example"
    )
    delegate = ProspectFactory(
        name="Mike Peters",
        email="mike.peters@partner-payments.example",
        company_name=referrer.company_name,
        company_website=referrer.company_website,
        referred_by=referrer,
        source="delegation",
        referral_note=f"{PHISHING} suggested we speak with you",
        contact_key="mike.peters@partner-payments.example",
    )
    first = _first_email_of(delegate)
    _assert_no_inbound_text(first)
    assert "Sarah Johnson suggested we speak with you." in first.body
    assert first.status == EmailStatus.DRAFT and "delegat" in first.gate_results["review_reason"]


def test_a_readers_delegate_name_and_title_are_kept_only_when_they_are_a_name_and_a_title(no_stages):
    """A model's reading of the reply is the reply's text: a name or title that is a sentence is dropped."""
    original, email = contacted(
        name="Sarah Johnson", email="sarah@courtyard-denver.example", company_website="https://courtyard-denver.example"
    )
    from replies.models import Reply

    body = "Please write to billing@courtyard-denver.example about this."
    reply = Reply.objects.create(
        prospect=original,
        email=email,
        from_email="sarah@courtyard-denver.example",
        from_name="Sarah Johnson",
        subject="Re: Faster check-ins?",
        body=body,
        raw_body=body,
        received_at=timezone.now(),
        message_id="<r1@courtyard-denver.example>",
    )
    reading = ReplyInterpretation(
        intent="delegated",
        sentiment="neutral",
        confidence=0.9,
        suggested_action="contact_delegate",
        delegated_to=DelegatedTo(
            name="Your refund failed. Visit hgi-refunds.online",
            title="re-enter your card details at hgi-refunds.online within 24 hours",
            email="billing@courtyard-denver.example",
        ),
    )
    reply_record_interpretation(reply=reply, interpretation=reading, provider="grok", by="test")
    reply.refresh_from_db()
    delegate = reply.delegated_prospect
    assert delegate.email == "billing@courtyard-denver.example"
    assert (delegate.name, delegate.title) == ("", "")
    assert delegate.referral_note == "Sarah Johnson suggested we speak with you"


@pytest.mark.parametrize(
    "name",
    ["Sarah Johnson", "Dr. Zoë Müller", "O'Brien", "María José García", "Ludwig van Beethoven", "J. R. Tolkien",
     "Anna-Lena Weber-Schmidt", "Aiko Tanaka", "李小龍", "Σωκράτης Παππάς", "Mark"],
)  # fmt: skip
def test_a_persons_name_is_kept(name):
    assert person_name(name) == name


@pytest.mark.parametrize(
    "text",
    [PHISHING, "Your refund failed. Visit hgi-refunds.online", "hgi-refunds.online", "gm@courtyard-denver.example",
     "Reservations Team", "Front Desk", "Ms", "[NAME]", "None", "anna weber", "Room 4471", "Sarah: call us",
     "Anna Maria Luisa Carla Sofia Rossi"],
)  # fmt: skip
def test_anything_else_is_no_name(text):
    assert person_name(text) == ""


@pytest.mark.parametrize(
    "title, kept",
    [
        ("Operations Director", True),
        ("Director of Sales & Marketing", True),
        ("Réceptionniste (H/F)", True),
        ("Asst. Manager", True),
        ("re-enter your card details at hgi-refunds.online within 24 hours", False),
        ("Refunds. Call now", False),
        ("GM, call +44 20 7946 0321", False),
    ],
)
def test_a_job_title_is_kept_and_a_sentence_is_not(title, kept):
    assert (job_title(title) == title) is kept
