"""The review queue driven the way a reviewer uses it: reached by its URL name, drafts opened
by clicking their subject, approved one by one or several at once, and the prospect left in
the stage the approval service moves it to.

The single-draft approve, edit-then-approve, intent correction and emergency stop flows
(and the review-queue and replies screenshots) live in test_review_reply_and_stop_flows.py;
this file covers what those leave out.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from infra.models import StateTransition
from outreach.models import Email, EmailStatus
from outreach.pipeline import run_composition
from prospects.models import Prospect, ProspectStage
from tests.outreach.composition_support import campaign, researched_prospect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def drafts_awaiting_review(count: int) -> list[Email]:
    campaign(requires_approval=True)
    hotels = ["Harbour View Hotel", "Seaside Inn", "Alpine Lodge"]
    for n in range(count):
        prospect = researched_prospect(
            email=f"gm@hotel{n}.example", company_name=hotels[n], company_website=f"https://hotel{n}.example"
        )
        run_composition(prospect.pk)
    drafts = list(Email.objects.select_related("prospect").order_by("id"))
    assert [(d.status, d.prospect.stage) for d in drafts] == [(EmailStatus.DRAFT, ProspectStage.COMPOSED)] * count
    return drafts


def test_open_a_draft_from_the_queue_and_approve_it_queues_the_prospect(page):
    first, second = drafts_awaiting_review(2)
    page.goto(page.base_url + reverse("admin:outreach_review_queue"))
    page.locator("#review-queue").get_by_role("link", name=first.subject).click()
    page.wait_for_url(f"**{reverse('admin:outreach_review_email', args=[first.pk])}")
    assert page.locator("input[name=subject]").input_value() == first.subject
    page.click("input[name=approve]")
    page.wait_for_url(f"**{reverse('admin:outreach_review_queue')}")
    assert f"Email #{first.pk} approved and queued." in page.locator(".messagelist").inner_text()

    first.refresh_from_db()
    assert first.status == EmailStatus.QUEUED and first.approved_by is not None
    assert first.written_by != Email.Author.HUMAN  # approved as written, not edited
    assert Prospect.objects.get(pk=first.prospect_id).stage == ProspectStage.QUEUED
    moved = StateTransition.objects.get(
        content_type=ContentType.objects.get_for_model(Prospect), object_id=first.prospect_id, transition="queue"
    )
    assert (moved.source, moved.target, moved.actor) == ("composed", "queued", "user:browser-admin")
    # the approved draft left the queue, the other still waits
    queue = page.locator("#review-queue tbody").inner_text()
    assert first.subject not in queue and second.subject in queue
    assert Prospect.objects.get(pk=second.prospect_id).stage == ProspectStage.COMPOSED


def test_approve_several_selected_drafts_at_once(page):
    drafts = drafts_awaiting_review(3)
    page.goto(page.base_url + reverse("admin:outreach_review_queue"))
    for draft in drafts[:2]:
        page.check(f"#review-queue input[name=email][value='{draft.pk}']")
    page.click("input[value='Approve the selected drafts']")
    page.wait_for_selector(".messagelist")
    assert "2 draft(s) approved and queued." in page.locator(".messagelist").inner_text()

    statuses = {e.pk: (e.status, e.prospect.stage) for e in Email.objects.select_related("prospect")}
    assert statuses[drafts[0].pk] == statuses[drafts[1].pk] == (EmailStatus.QUEUED, ProspectStage.QUEUED)
    assert statuses[drafts[2].pk] == (EmailStatus.DRAFT, ProspectStage.COMPOSED)
    assert page.locator("#review-queue tbody tr").count() == 1

    page.check(f"#review-queue input[name=email][value='{drafts[2].pk}']")
    page.click("input[value='Approve the selected drafts']")
    page.wait_for_selector("text=Nothing waits for approval.")
    assert not Email.objects.filter(status=EmailStatus.DRAFT).exists()
