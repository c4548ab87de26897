"""Admin: the campaign preview, the review queue (approve, edit, reject; Sales may decide), gate results."""

import pytest
from django.urls import reverse

from outreach.models import Email, EmailStatus, Sequence
from outreach.pipeline import run_composition
from outreach.services.composition import campaign_preview_sample
from prospects.models import Prospect, ProspectStage
from tests.factories import JobPostingFactory, ProspectFactory, UserFactory
from tests.outreach.composition_support import campaign, researched_prospect

pytestmark = pytest.mark.django_db


def test_campaign_preview_renders_the_composed_email_and_saves_nothing(admin_client):
    camp = campaign()
    prospect = researched_prospect()
    change = admin_client.get(reverse("admin:outreach_campaign_change", args=[camp.pk]))
    assert change.status_code == 200 and reverse("admin:outreach_campaign_preview", args=[camp.pk]) in change.text
    page = admin_client.get(reverse("admin:outreach_campaign_preview", args=[camp.pk]), {"prospect": prospect.pk})
    assert page.status_code == 200
    assert "Front Desk Manager at Harbour View Hotel" in page.text and "Hi Anna," in page.text
    assert "Guests mention slow check-in at peak times" in page.text  # the context beside it
    assert not Email.objects.exists() and not Sequence.objects.exists()
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.READY
    missing = admin_client.get(reverse("admin:outreach_campaign_preview", args=[camp.pk]), {"prospect": 99999})
    assert "No prospect with this id." in missing.text


def test_campaign_preview_composes_a_sample_of_twenty_side_by_side_and_saves_nothing(admin_client):
    """Issue 23: a person judges the campaign on twenty emails, their gates and how alike they are."""
    camp = campaign(language="local", subject_variants=["A quieter front desk at {hotel}"])
    countries = ["US", "DE", "FR", "ES"]
    for n in range(22):
        prospect = ProspectFactory(
            name="Anna Weber",
            company_name=f"Hotel Sample {n}",
            city="Denver",
            country=countries[n % 4],
            stage="ready",
            company_website="",
        )
        if n % 2:
            JobPostingFactory(prospect=prospect, title=["Réceptionniste (H/F)", "Capo Ricevimento"][n % 4 // 2])
    url = reverse("admin:outreach_campaign_preview", args=[camp.pk])
    assert "Compose a sample of 20 prospects" in admin_client.get(url).text
    page = admin_client.get(url, {"sample": "1"})
    assert page.status_code == 200
    assert page.text.count('class="preview-sample-email"') == 20
    assert "20 emails · 20 pass every gate" in page.text
    assert "similarity between pairs (5-word shingles): median" in page.text
    assert page.text.count('class="preview-similarity"') == 20
    assert page.text.count("<td>Form</td><td>✔</td>") == 20 and "Spam" in page.text
    assert "A quieter front desk at Hotel Sample" in page.text
    assert "(H/F" not in page.text and "Ricevimento" not in page.text
    assert not Email.objects.exists() and not Sequence.objects.exists()
    assert set(Prospect.objects.values_list("stage", flat=True)) == {ProspectStage.READY}


def test_campaign_preview_sample_measures_how_alike_the_emails_are():
    camp = campaign(language="local")
    for n in range(6):
        ProspectFactory(company_name=f"Hotel Sample {n}", stage="ready", company_website="", country="DE")
    sample = campaign_preview_sample(campaign=camp, providers=[])
    bodies = [email.draft.body for email in sample.emails]
    assert len(bodies) == 6 and len(set(bodies)) == 6
    assert sample.similarity["pairs"] == 15 and 0 <= sample.similarity["median"] <= sample.similarity["max"] < 1
    assert all(0 < email.most_similar <= sample.similarity["max"] for email in sample.emails)


@pytest.fixture
def drafts():
    campaign(requires_approval=True)
    first = researched_prospect()
    second = researched_prospect(email="b@seaside.example", company_name="Seaside Inn", company_website="")
    for prospect in (first, second):
        run_composition(prospect.pk)
    return list(Email.objects.order_by("id"))


def test_the_review_queue_lists_drafts_with_their_gates_and_bulk_approves(client, sales_user, drafts):
    client.force_login(sales_user)
    page = client.get(reverse("admin:outreach_review_queue"))
    assert page.status_code == 200
    for email in drafts:
        assert email.subject in page.text
    assert "Spam ✔" in page.text
    response = client.post(reverse("admin:outreach_review_queue"), {"email": [drafts[0].pk]})
    assert response.status_code == 302
    drafts[0].refresh_from_db()
    drafts[1].refresh_from_db()
    assert drafts[0].status == EmailStatus.QUEUED and drafts[0].approved_by == sales_user
    assert drafts[1].status == EmailStatus.DRAFT


def test_sales_edits_then_approves_and_rejects_with_feedback_from_the_review_page(client, sales_user, drafts):
    client.force_login(sales_user)
    url = reverse("admin:outreach_review_email", args=[drafts[0].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Guests mention slow check-in at peak times" in page.text and "Front Desk Manager" in page.text
    # an edit that breaks the form gate is refused with the reason
    bad = client.post(url, {"subject": drafts[0].subject, "body": "Hi [NAME],\n\nShort."}, follow=True)
    assert "cannot be approved" in bad.text and "placeholder" in bad.text
    drafts[0].refresh_from_db()
    assert drafts[0].status == EmailStatus.DRAFT
    edited = drafts[0].body.replace("Best,", "Thanks,")
    ok = client.post(url, {"subject": "Check-in at Harbour View Hotel", "body": edited})
    assert ok.status_code == 302
    drafts[0].refresh_from_db()
    assert drafts[0].status == EmailStatus.QUEUED and drafts[0].subject == "Check-in at Harbour View Hotel"
    assert drafts[0].written_by == Email.Author.HUMAN
    # reject the other one: it is rejected and a new draft (with the feedback) takes its place
    url = reverse("admin:outreach_review_email", args=[drafts[1].pk])
    response = client.post(url, {"reject": "1", "reason": "Mention the sea view"})
    drafts[1].refresh_from_db()
    assert drafts[1].status == EmailStatus.REJECTED and drafts[1].rejection_reason == "Mention the sea view"
    new = Email.objects.get(prospect=drafts[1].prospect, status=EmailStatus.DRAFT)
    assert response.url == reverse("admin:outreach_review_email", args=[new.pk])
    assert new.gate_results["constraints"] == ["A reviewer rejected an earlier draft: Mention the sea view"]


def test_a_user_who_may_only_view_cannot_decide(client, drafts):
    from django.contrib.auth.models import Permission

    viewer = UserFactory(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(codename="view_email"))
    client.force_login(viewer)
    assert client.get(reverse("admin:outreach_review_queue")).status_code == 200
    response = client.post(reverse("admin:outreach_review_queue"), {"email": [drafts[0].pk]})
    assert response.status_code == 403
    drafts[0].refresh_from_db()
    assert drafts[0].status == EmailStatus.DRAFT


def test_the_email_page_shows_the_gate_results_and_who_wrote_it(admin_client, drafts):
    page = admin_client.get(reverse("admin:outreach_email_change", args=[drafts[0].pk]))
    assert page.status_code == 200
    assert "Written by:</strong> Template" in page.text and "passed every gate" in page.text
    assert "SpamAssassin not configured" in page.text and "Readability" in page.text
