"""The admin's key flows in a real browser: what sales and operations staff do daily."""

import io

import pytest
from django.core.cache import cache
from django.core.management import call_command

from infra.models import StateTransition
from outreach.models import Inbox, InboxState
from prospects.models import Prospect, ProspectStage
from tests.factories import EmailFactory, InboxFactory, ProspectFactory, ReplyFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_login_and_dashboard_charts(page, screenshot):
    # the demo's data set: every stage, three inboxes, two campaigns, a month of emails and replies
    call_command("seed_demo", stdout=io.StringIO())
    cache.clear()  # the funnel is cached for 30 s; the login already rendered an empty one
    page.reload()
    assert page.locator("#funnel-chart svg").count() == 7
    assert page.locator("#sends-chart svg").count() == Inbox.objects.count() == 3
    assert page.locator("#intents-chart svg").count() >= 9
    assert page.locator("#bounce-chart .jengu-bar-limit").count() == 3  # the pause threshold, per inbox
    acquired = page.locator("#funnel-chart tr", has_text="Acquired").locator(".jengu-value a")
    assert acquired.inner_text() == str(Prospect.objects.exclude(stage=ProspectStage.LOST).count())
    screenshot(page, "dashboard")
    acquired.click()  # every number leads to the rows behind it
    page.wait_for_url("**/admin/prospects/prospect/**")
    assert page.locator("#result_list").count() == 1


def test_filter_prospects_by_stage(page):
    ProspectFactory.create_batch(3, stage=ProspectStage.NEW)
    ProspectFactory(stage=ProspectStage.CONTACTED, company_name="Hotel Contacted Only")
    page.goto(f"{page.base_url}/admin/prospects/prospect/")
    page.locator("#changelist-filter").get_by_role("link", name="Contacted", exact=True).click()
    page.wait_for_url("**stage__exact=contacted**")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Hotel Contacted Only" in rows.first.inner_text()


def test_open_a_prospect_and_see_its_emails_replies_and_history(page, screenshot):
    email = EmailFactory(subject="Faster check-ins at the Seaside?", status="sent")
    ReplyFactory(email=email, body="Sounds interesting, call me Tuesday.")
    prospect = email.prospect
    from infra.statemachine import transition

    transition(prospect, "mark_lost", by="user:browser", reason="testing the history")
    page.goto(f"{page.base_url}/admin/prospects/prospect/{prospect.pk}/change/")
    content = page.content()
    assert "Faster check-ins at the Seaside?" in content
    assert "Sounds interesting" in content
    assert "testing the history" in content
    screenshot(page, "prospect")


def test_pause_and_resume_an_inbox(page):
    inbox = InboxFactory(email="edd@mail.jengu.test")
    page.goto(f"{page.base_url}/admin/outreach/inbox/")
    page.check(f"input[name=_selected_action][value='{inbox.pk}']")
    page.select_option("select[name=action]", "pause")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    assert Inbox.objects.get(pk=inbox.pk).state == InboxState.PAUSED
    page.check(f"input[name=_selected_action][value='{inbox.pk}']")
    page.select_option("select[name=action]", "resume")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist")
    assert Inbox.objects.get(pk=inbox.pk).state == InboxState.ACTIVE
    assert StateTransition.objects.filter(object_id=inbox.pk, transition__in=["pause", "resume"]).count() == 2
