"""A salesperson's morning in a real browser at 1366×768: log in as Sales, open a prospect,
read its timeline, add a note and a task, mark a meeting — without opening the edit form or
scrolling sideways. (The reply inbox part of the morning joins this file with issue 21's item 2.)"""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from infra.statemachine import transition
from jengu.roles import SALES
from outreach.models import EmailStatus, SendDecision
from prospects.models import Note, Prospect, ProspectStage, Task
from tests.browser.conftest import PASSWORD
from tests.factories import EmailFactory, InboxFactory, ProspectFactory, ReplyFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 1366, 768


@pytest.fixture
def sales_page(browser, live_server):
    """Logged in through the real form as a member of the Sales group, at a laptop's size."""
    user = UserFactory(username="sam-sales", is_staff=True)
    user.set_password(PASSWORD)
    user.save()
    user.groups.add(Group.objects.get(name=SALES))
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#my-work")
    page.base_url = live_server.url
    page.user = user
    yield page
    context.close()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def a_prospect_with_a_history(user) -> Prospect:
    now = timezone.now()
    prospect = ProspectFactory(
        name="Sarah Johnson", title="General Manager", company_name="Marriott Courtyard Denver",
        email="sarah.johnson@cy-denver.example", email_verified=True, stage=ProspectStage.SENT, owner=user,
        tier="hot",
    )  # fmt: skip
    inbox = InboxFactory(email="edd@mail.jengu.test")
    first = EmailFactory(
        prospect=prospect, inbox=inbox, subject="Faster check-ins at the Courtyard?", status=EmailStatus.OPENED,
        body="Hi Sarah,\nGuests mention slow check-in at peak times — we cut that by 40% at the Austin Courtyard.",
        sent_at=now - datetime.timedelta(days=6), opened_at=now - datetime.timedelta(days=5),
    )  # fmt: skip
    transition(
        prospect, "mark_contacted", by="task:sending", reason="first email sent", at=now - datetime.timedelta(days=6)
    )
    follow_up = EmailFactory(
        prospect=prospect, inbox=inbox, subject="Re: Faster check-ins at the Courtyard?", type="follow_up",
        sequence_step=2, status=EmailStatus.CANCELLED, body="Hi Sarah, a quick follow-up.",
        created_at=now - datetime.timedelta(days=3),
    )  # fmt: skip
    SendDecision.objects.create(
        email=follow_up, outcome="cancelled", reason="reply", detail="she answered",
        created_at=now - datetime.timedelta(hours=3, seconds=-2),
    )  # fmt: skip
    ReplyFactory(
        email=first, from_name="Sarah Johnson", intent="meeting_request", confidence=0.93, needs_human=True,
        processed_at=now - datetime.timedelta(hours=2), received_at=now - datetime.timedelta(hours=3),
        body="Sounds interesting — could we talk on Thursday afternoon? Our peak is Friday check-in.",
    )  # fmt: skip
    transition(
        prospect, "mark_replied", by="task:reply_processing", reason="reply: meeting request",
        at=now - datetime.timedelta(hours=3, seconds=-1),
    )  # fmt: skip
    return prospect


def test_a_salesperson_opens_a_prospect_reads_its_story_and_works_it(sales_page, screenshot):
    page = sales_page
    prospect = a_prospect_with_a_history(page.user)

    # the dashboard starts with their own work
    assert page.locator("#my-work").is_visible()
    page.goto(f"{page.base_url}/admin/prospects/prospect/?owner=mine")
    page.get_by_role("link", name="Marriott Courtyard Denver").click()
    page.wait_for_selector("#prospect-story")

    # the story, above the fold: who, where, their time, and what happens next
    assert page.locator("#story-name").inner_text() == "Sarah Johnson"
    assert "their time" in page.locator("#story-clock").inner_text()
    next_step = page.locator("#story-next")
    assert "needs a human: reply #" in next_step.inner_text()
    assert next_step.bounding_box()["y"] + next_step.bounding_box()["height"] < HEIGHT  # no scrolling needed
    assert not page.locator("#raw-form").evaluate("el => el.open")  # the edit form is folded away

    # the timeline reads newest first: the follow-up her reply cancelled, the stage it moved, her reply
    timeline = page.locator("#story-timeline li.tl")
    assert "she answered" in timeline.nth(0).inner_text() and "contacted → replied" in timeline.nth(1).inner_text()
    reply = timeline.nth(2)
    assert "Sounds interesting" in reply.inner_text()
    assert "Faster check-ins at the Courtyard?" in page.locator("#story-timeline").inner_text()
    reply.locator("summary").click()  # each item opens in place
    assert "Our peak is Friday check-in." in reply.locator(".tl-text").inner_text()
    assert no_sideways_scroll(page)
    screenshot(page, "prospect-story")

    # a note: posted and swapped in by htmx, the page stays where it is
    page.click("#action-note")
    page.fill("#form-note textarea[name=text]", "Peak is Friday check-in; she decides with the owner.")
    page.get_by_role("button", name="Keep note").click()
    page.wait_for_selector("#story-timeline li.tl-note")
    assert "Note kept." in page.locator("#prospect-story .messagelist").inner_text()
    assert Note.objects.get(prospect=prospect).author == page.user

    # a task for Tuesday
    page.click("#action-task")
    page.fill("#form-task input[name=title]", "Call the GM about Friday check-in")
    page.get_by_role("button", name="Add task").click()
    page.wait_for_selector("#story-tasks")
    assert "Call the GM about Friday check-in" in page.locator("#story-tasks").inner_text()
    task = Task.objects.get(prospect=prospect)
    assert task.assignee == page.user and task.due_at > timezone.now()

    # she asked for Thursday: mark the meeting
    page.click("#action-meeting")
    page.fill(
        "#form-meeting input[name=starts_at]", (timezone.now() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT15:00")
    )
    page.get_by_role("button", name="Meeting booked").click()
    page.wait_for_selector("#story-stage:has-text('Meeting')")
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.MEETING
    assert Task.objects.filter(prospect=prospect, kind="meeting").exists()
    assert no_sideways_scroll(page)

    # and the day's work is on My tasks
    page.goto(f"{page.base_url}/admin/prospects/task/mine/")
    assert "Call the GM about Friday check-in" in page.locator("#content-main").inner_text()
    assert no_sideways_scroll(page)
    screenshot(page, "my-tasks")
