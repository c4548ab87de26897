"""The composition stage end to end, and the approval services (approve, edit, reject)."""

import pytest

from infra.errors import ApplicationError
from infra.models import StateTransition
from infra.stages import stage_enqueue, stage_execute
from outreach.models import Email, EmailStatus, Sequence
from outreach.pipeline import run_composition
from outreach.services.composition import campaign_preview, email_approve, email_reject
from prospects.models import ProspectStage
from tests.factories import ProspectFactory, UserFactory
from tests.outreach.composition_support import campaign, grok, researched_prospect

pytestmark = pytest.mark.django_db


def _path(prospect):
    return list(
        StateTransition.objects.filter(object_id=prospect.pk, content_type__model="prospect")
        .order_by("id")
        .values_list("target", flat=True)
    )


def test_research_hands_over_to_composition_and_the_email_is_queued(django_capture_on_commit_callbacks):
    campaign(subject_variants=["Quick question about {hotel}", "Check-in at your hotel"])
    prospect = ProspectFactory(
        name="Anna Weber",
        company_name="Pension Alpenblick",
        city="Innsbruck",
        country="AT",
        email="anna@alpenblick.example",
        company_website="",
        stage=ProspectStage.ENRICHED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        stage_enqueue("research", subject_id=prospect.pk, trace_id=prospect.trace_id)
    prospect.refresh_from_db()
    assert _path(prospect)[-4:] == ["ready", "composing", "composed", "queued"]
    assert prospect.stage == ProspectStage.QUEUED
    email = Email.objects.get(prospect=prospect)
    assert email.status == EmailStatus.QUEUED and email.type == Email.Type.OUTREACH and email.sequence_step == 1
    assert email.to_email == "anna@alpenblick.example" and email.campaign.is_default
    assert email.written_by == "template" and email.language == "en"
    assert email.subject == "Quick question about Pension Alpenblick" and email.subject_variant == 0
    assert email.gate_results["passed"] and email.spam_score < 0.4 and email.readability_score >= 60
    assert email.trace_id == prospect.trace_id and email.generation_attempts == 1
    assert Sequence.objects.get(prospect=prospect).campaign == email.campaign


def test_local_language_campaign_writes_in_the_prospects_language_and_variants_rotate():
    camp = campaign(language="local", subject_variants=["A", "B"])
    german = researched_prospect(country="DE", city="Berlin")
    run_composition(german.pk)
    email = Email.objects.get(prospect=german)
    assert email.language == "de" and email.body.startswith("Hallo Anna,")
    other = researched_prospect(email="b@b.example", company_name="Hotel Sol", company_website="", country="ES")
    run_composition(other.pk)
    assert Email.objects.get(prospect=other).subject_variant == 1
    assert camp.emails.count() == 2


def test_approval_campaign_holds_the_draft_and_it_is_never_queued_unapproved():
    campaign(requires_approval=True)
    prospect = researched_prospect(stage=ProspectStage.READY)
    run_composition(prospect.pk)
    prospect.refresh_from_db()
    email = Email.objects.get(prospect=prospect)
    assert email.status == EmailStatus.DRAFT and prospect.stage == ProspectStage.COMPOSED
    assert email.gate_results["passed"]
    # a second run (a duplicated task) changes nothing
    assert stage_execute("composition", "outreach.pipeline.run_composition", prospect.pk, "") == "skipped"
    assert Email.objects.filter(prospect=prospect).count() == 1
    assert not Email.objects.filter(status=EmailStatus.QUEUED).exists()


def test_no_campaign_or_no_address_leaves_the_prospect_ready():
    prospect = researched_prospect(stage=ProspectStage.READY)
    assert run_composition(prospect.pk) == "skipped: no active campaign"
    campaign()
    nobody = researched_prospect(email="", company_name="Hotel Ohne", company_website="", stage=ProspectStage.READY)
    assert run_composition(nobody.pk) == "skipped: the prospect has no email address"
    nobody.refresh_from_db()
    assert nobody.stage == ProspectStage.READY and not Email.objects.exists()


@pytest.fixture
def held_draft():
    campaign(requires_approval=True)
    prospect = researched_prospect(stage=ProspectStage.READY)
    run_composition(prospect.pk)
    return Email.objects.get(prospect=prospect)


def test_approve_queues_the_draft_and_the_prospect(held_draft, sales_user):
    email_approve(email=held_draft, by=sales_user)
    held_draft.refresh_from_db()
    assert held_draft.status == EmailStatus.QUEUED
    assert held_draft.approved_by == sales_user and held_draft.approved_at is not None
    assert held_draft.prospect.stage == ProspectStage.QUEUED
    with pytest.raises(ApplicationError, match="only drafts can be approved"):
        email_approve(email=held_draft, by=sales_user)


def test_edit_then_approve_rechecks_form_and_facts(held_draft, sales_user):
    with pytest.raises(ApplicationError) as refused:
        email_approve(email=held_draft, by=sales_user, body=held_draft.body.replace("Hi Anna,", "Hi [NAME],"))
    assert "placeholder" in refused.value.message
    with pytest.raises(ApplicationError, match='the number "93"'):
        email_approve(email=held_draft, by=sales_user, body=held_draft.body + "\n\nP.S. 93 hotels use it.")
    held_draft.refresh_from_db()
    assert held_draft.status == EmailStatus.DRAFT
    edited = held_draft.body.replace("Best,", "Thanks,")
    email_approve(email=held_draft, by=sales_user, subject="Check-in at Harbour View Hotel", body=edited)
    held_draft.refresh_from_db()
    assert held_draft.status == EmailStatus.QUEUED and held_draft.body == edited
    assert held_draft.written_by == Email.Author.HUMAN
    assert held_draft.gate_results["edited"]["original_written_by"] == "template"


def test_reject_stores_the_reason_and_it_becomes_a_constraint_of_the_next_draft(held_draft):
    reviewer = UserFactory(username="reviewer")
    with pytest.raises(ApplicationError, match="Say why"):
        email_reject(email=held_draft, by=reviewer, reason=" ")
    grok_client, script = grok("grok_first_email.json")
    new = email_reject(
        email=held_draft, by=reviewer, reason="Too long; mention the hiring first", providers=[grok_client]
    )
    held_draft.refresh_from_db()
    assert held_draft.status == EmailStatus.REJECTED
    assert held_draft.rejection_reason == "Too long; mention the hiring first"
    assert "A reviewer rejected an earlier draft: Too long; mention the hiring first" in script.prompts()[0]
    assert new.pk != held_draft.pk and new.status == EmailStatus.DRAFT and new.written_by == "grok"
    assert new.sequence_step == 1 and new.gate_results["needs_review"]


def test_campaign_preview_composes_without_saving():
    camp = campaign()
    prospect = researched_prospect(stage=ProspectStage.READY)
    draft = campaign_preview(campaign=camp, prospect=prospect)
    assert draft.body.startswith("Hi Anna,") and draft.passed
    assert not Email.objects.exists() and not Sequence.objects.exists()
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.READY


@pytest.mark.parametrize(
    "address, website, queued",
    [
        ("mike@harbourview.example", "https://www.harbourview.example", True),  # the hotel's own domain
        ("mike@mail.harbourview.example", "https://harbourview.example", True),  # a subdomain of it
        ("mike@gmail.com", "https://harbourview.example", False),  # anyone's mailbox
        ("mike@harbourview-refunds.example", "https://harbourview.example", False),  # a look-alike
        ("mike@harbourview.example", "", False),  # no known website: nothing to compare with
    ],
)
def test_a_delegated_contacts_first_email_waits_for_a_person_unless_at_the_hotels_own_domain(address, website, queued):
    campaign()  # asks for no approval
    referrer = ProspectFactory(
        name="Sarah Johnson", email="sarah@harbourview.example", company_website=website, stage="engaged"
    )
    delegate = researched_prospect(
        name="Mike Peters",
        email=address,
        company_website=website,
        referred_by=referrer,
        source="delegation",
        contact_key=address,
    )
    run_composition(delegate.pk)
    email = Email.objects.get(prospect=delegate)
    assert email.gate_results["passed"]  # only the delegation rule can hold it
    assert (email.status == EmailStatus.QUEUED) is queued
    if not queued:
        assert email.status == EmailStatus.DRAFT and email.gate_results["needs_review"]
        assert f"a reply named {address}" in email.gate_results["review_reason"]
        # the review queue lists it, and approving it queues it as any held draft
        from outreach.selectors import emails_awaiting_approval

        assert email in emails_awaiting_approval()
        email_approve(email=email, by=UserFactory())
        email.refresh_from_db()
        assert email.status == EmailStatus.QUEUED


def test_a_contact_from_a_delegation_whose_referrer_is_gone_still_waits():
    campaign()
    delegate = researched_prospect(
        name="Mike Peters", email="mike@elsewhere.example", source="delegation", contact_key="mike@elsewhere.example"
    )
    run_composition(delegate.pk)
    email = Email.objects.get(prospect=delegate)
    assert email.status == EmailStatus.DRAFT and "delegated contact" in email.gate_results["review_reason"]
