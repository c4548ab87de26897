"""The daily decisions in a real browser: approve a draft, correct how a reply was read,
and press the emergency stop and see sending halt (then resume it)."""

import random

import pytest
from constance import config

from outreach.models import Email, EmailStatus, Sequence
from outreach.pipeline import run_composition
from outreach.services.sending import Pacing, sender_run
from prospects.models import ProspectStage
from replies.models import CalibrationHistory, Reply
from tests.factories import CampaignFactory, EmailFactory, InboxFactory, ProspectFactory, ReplyFactory
from tests.outreach.composition_support import campaign, researched_prospect
from tests.support.smtp_sink import RecordingSink

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NO_PACING = Pacing(skip_probability=0.0, delay_min=0.0, delay_max=0.0, business_hours=False)


def test_approve_a_draft_and_edit_then_approve_another(page, screenshot):
    campaign(requires_approval=True)
    first = researched_prospect()
    second = researched_prospect(email="b@seaside.example", company_name="Seaside Inn", company_website="")
    for prospect in (first, second):
        run_composition(prospect.pk)
    drafts = list(Email.objects.order_by("id"))
    assert [d.status for d in drafts] == [EmailStatus.DRAFT, EmailStatus.DRAFT]

    page.goto(f"{page.base_url}/admin/outreach/campaign/review/")
    assert drafts[0].subject in page.content() and drafts[1].subject in page.content()
    screenshot(page, "review-queue")

    page.goto(f"{page.base_url}/admin/outreach/campaign/review/{drafts[0].pk}/")
    assert "Guests mention slow check-in at peak times" in page.content()  # the context beside the email
    page.click("input[name=approve]")
    page.wait_for_selector(".messagelist")
    drafts[0].refresh_from_db()
    assert drafts[0].status == EmailStatus.QUEUED and drafts[0].approved_by is not None

    page.goto(f"{page.base_url}/admin/outreach/campaign/review/{drafts[1].pk}/")
    page.fill("input[name=subject]", "Check-in at Seaside Inn")
    page.click("input[name=approve]")
    page.wait_for_selector(".messagelist")
    drafts[1].refresh_from_db()
    assert drafts[1].status == EmailStatus.QUEUED and drafts[1].subject == "Check-in at Seaside Inn"
    assert drafts[1].written_by == Email.Author.HUMAN


def test_correct_a_replys_intent_from_the_unified_inbox(page, screenshot):
    email = EmailFactory(status=EmailStatus.SENT, prospect=ProspectFactory(stage=ProspectStage.REPLIED))
    reply = ReplyFactory(email=email, body="We already use a competitor, thanks.", intent="interested",
                         confidence=0.55, needs_human=True)  # fmt: skip
    for intent, body in [("meeting_request", "Thursday 3pm works."), ("out_of_office", "Back on Monday.")]:
        other = EmailFactory(status=EmailStatus.SENT)
        ReplyFactory(email=other, body=body, intent=intent, confidence=0.92)
    page.set_viewport_size({"width": 1700, "height": 900})
    page.goto(f"{page.base_url}/admin/replies/reply/")
    page.click("#toggle-nav-sidebar")  # the unified inbox gets the whole width
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    assert "competitor" in rows.first.inner_text()  # needs a human: listed first, with what they said
    screenshot(page, "replies")

    page.goto(f"{page.base_url}/admin/replies/reply/{reply.pk}/change/")
    page.get_by_role("link", name="Correct intent").click()
    page.select_option("select[name=intent]", "not_interested")
    page.get_by_role("button", name="Correct").or_(page.locator("input[value=Correct]")).first.click()
    page.wait_for_selector(".messagelist")
    reply.refresh_from_db()
    assert reply.intent == "not_interested" and not reply.needs_human
    correction = CalibrationHistory.objects.get(reply=reply)
    assert (correction.predicted_intent, correction.corrected_intent) == ("interested", "not_interested")
    assert Reply.objects.count() == 3


def test_emergency_stop_halts_sending_and_resume_lets_it_go(page):
    with RecordingSink() as sink:
        InboxFactory(smtp_port=sink.port, smtp_password="")
        prospect = ProspectFactory(stage=ProspectStage.QUEUED)
        camp = CampaignFactory(name="Stop test")
        Sequence.objects.create(prospect=prospect, campaign=camp)
        email = EmailFactory(prospect=prospect, campaign=camp, inbox=None, from_email="", status=EmailStatus.QUEUED)

        page.goto(f"{page.base_url}/admin/")
        page.fill("#sending-control input[name=reason]", "bounce spike, checking")
        with page.expect_navigation():
            page.click("#emergency-stop")
        assert "EMERGENCY STOP" in page.locator("#sending-control").inner_text()
        assert not config.SENDING_ENABLED

        report = sender_run(pacing=NO_PACING, rng=random.Random(1))
        assert "emergency stop" in report.skipped_run
        assert Email.objects.get(pk=email.pk).status == EmailStatus.QUEUED and sink.messages == []

        with page.expect_navigation():  # the stop page already shows a message: wait for the new page
            page.click("#resume-sending")
        assert config.SENDING_ENABLED
        assert sender_run(pacing=NO_PACING, rng=random.Random(1)).sent == 1
        assert len(sink.messages) == 1
