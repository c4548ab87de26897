"""A salesperson's morning in a real browser at 1366×768: log in as Sales, open a prospect,
read its timeline, add a note and a task, mark a meeting — without opening the edit form or
scrolling sideways; and the replies of the morning, worked through the inbox with the
keyboard: *Needs a human*, read a reply, approve its draft, the next one, its prospect and
timeline, a task, a meeting."""

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


# --- the replies of the morning, through the inbox ---------------------------------------------


def an_inbox_of_replies(user, monkeypatch):
    """Sarah's meeting request (above), a question about price read and drafted by the pipeline,
    and the rest of a morning's replies: some needing a human, some not, some someone else's."""
    from replies.pipeline import run_reply_processing
    from replies.services.answers import reply_draft_answer
    from replies.services.ingest import reply_ingest
    from tests.factories import CampaignFactory
    from tests.replies.helpers import reply_to

    monkeypatch.setattr("infra.stages._dispatch", lambda *a, **k: None)
    now = timezone.now()
    sarah = a_prospect_with_a_history(user)
    meeting_request = sarah.replies.get()
    reply_draft_answer(reply=meeting_request, by="test")

    colleague = UserFactory(username="olivia-sales")
    others = [
        ("Hans Weber", "Hotel Adlon Kempinski Berlin", "out_of_office", False, None, 40,
         "Ich bin bis zum 14. Januar nicht im Büro. In dringenden Fällen wenden Sie sich an die Rezeption."),
        ("Aisha Khan", "Jumeirah Beach Hotel", "interested", True, colleague, 95,
         "This could help our front desk in the summer peak — who else in Dubai uses it?"),
        ("Marco Rossi", "Hotel Danieli Venice", "unsubscribe", False, None, 150,
         "Please remove me from your mailing list."),
        ("Léa Dubois", "Hôtel Plaza Athénée", "not_interested", False, user, 300,
         "Merci, mais nous venons de signer avec un autre prestataire."),
        ("James Smith", "The Savoy London", "delegated", True, None, 600,
         "I'm not the right person — please write to our rooms division manager, Emma Clark."),
    ]  # fmt: skip
    for name, hotel, intent, needs_human, owner, minutes, body in others:
        prospect = ProspectFactory(name=name, company_name=hotel, owner=owner, stage=ProspectStage.REPLIED)
        email = EmailFactory(prospect=prospect, status=EmailStatus.SENT, subject="Faster check-ins?")
        received = now - datetime.timedelta(minutes=minutes)
        ReplyFactory(
            email=email, from_name=name, intent=intent, needs_human=needs_human, body=body, confidence=0.91,
            received_at=received, processed_at=received + datetime.timedelta(minutes=1),
        )  # fmt: skip

    # the newest: a question about price, read by the offline reader and answered in a draft
    campaign = CampaignFactory(
        name="Check-in", pricing_notes="From €2 per room per month, no set-up fee.",
        faq="Q: Does it work with Opera PMS?\nA: Yes, it reads and writes Opera Cloud and Opera 5 reservations.",
    )  # fmt: skip
    carlos = ProspectFactory(
        name="Carlos Martinez", title="Revenue Manager", company_name="Hotel Arts Barcelona", city="Barcelona",
        country="ES", timezone="Europe/Madrid", email="carlos.martinez@hotelarts.example", stage="contacted",
        owner=user,
    )  # fmt: skip
    ours = EmailFactory(
        prospect=carlos, campaign=campaign, inbox=InboxFactory(email="lucia@mail.jengu.test"), status="sent",
        subject="Check-in queues at Hotel Arts?", sent_at=now - datetime.timedelta(days=2),
        message_id=f"<out-{carlos.pk}@mail.jengu.test>",
        body="Hi Carlos,\nReviews of Hotel Arts mention queues at check-in on Friday evenings. We cut check-in "
        "time by 40% at the Courtyard Austin.\nWorth a look?\n\nLucía",
    )  # fmt: skip
    question = reply_ingest(
        reply_to(ours, "Yes, we're interested. What does it cost per room, and does it work with Opera PMS?",
                 sender=carlos.email, name="Carlos Martinez"),
        source="imap",
    ).reply  # fmt: skip
    run_reply_processing(question.pk, providers=[])
    question.refresh_from_db()
    assert question.needs_human and question.answer_draft is not None, question.policy_reason
    return question, meeting_request


def test_a_salesperson_works_the_morning_replies_through_the_inbox_with_the_keyboard(
    sales_page, screenshot, monkeypatch
):
    from replies.models import Reply

    page = sales_page
    question, meeting_request = an_inbox_of_replies(page.user, monkeypatch)
    sarah = meeting_request.prospect

    # the inbox: the views as tabs, one line per reply, readable at 1366 px without scrolling sideways
    page.goto(f"{page.base_url}/admin/replies/reply/")
    page.click("#view-needs_human")
    page.wait_for_selector("#view-needs_human.current")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 4  # Carlos, Aisha, Sarah and the referral wait for a person; the rest do not
    first = rows.first.inner_text()
    assert "Carlos Martinez" in first and "Hotel Arts Barcelona" in first and "What does it cost" in first
    heights = {round(rows.nth(i).bounding_box()["height"]) for i in range(rows.count())}
    assert max(heights) < 40, heights  # one line each
    assert no_sideways_scroll(page)
    page.click("#view-all")
    page.wait_for_selector("#view-all.current")
    assert page.locator("#result_list tbody tr").count() == 7 and no_sideways_scroll(page)
    screenshot(page, "replies-inbox")
    page.click("#view-needs_human")
    page.wait_for_selector("#view-needs_human.current")

    # read the first reply: j picks it, o opens the reading pane
    page.keyboard.press("j")
    assert "inbox-current" in (page.locator("#result_list tbody tr").first.get_attribute("class") or "")
    page.keyboard.press("o")
    page.wait_for_selector("#reading-pane")
    assert "does it work with Opera PMS?" in page.locator("#reply-text").inner_text()
    assert "Check-in queues at Hotel Arts?" in page.locator("#our-email").inner_text()
    assert "Needs more info" in page.locator("#reading").inner_text()
    draft = page.locator("#draft-text").inner_text()
    assert "From €2 per room per month" in draft  # the campaign's pricing note answers the question
    assert not page.locator("#raw-form").evaluate("el => el.open")  # the raw record is folded away
    assert no_sideways_scroll(page)
    screenshot(page, "replies-reading")

    # approve its draft: a
    page.keyboard.press("a")
    page.wait_for_selector(".messagelist")
    assert "Answer queued from lucia@mail.jengu.test" in page.locator(".messagelist").inner_text()
    question.refresh_from_db()
    assert question.answer_draft.status == EmailStatus.QUEUED and not question.needs_human
    assert question.answer_draft.approved_by == page.user

    # the next one, without going back to the list: j (Aisha's is someone else's; it comes next in the view)
    page.keyboard.press("j")
    page.wait_for_selector("#reading-pane")
    assert "Aisha Khan" in page.locator("#pane-from").inner_text()
    page.keyboard.press("j")
    page.wait_for_selector(f"#reading-pane:has-text('{sarah.company_name}')")
    assert "could we talk on Thursday afternoon?" in page.locator("#reply-text").inner_text()
    assert page.locator("#draft-text").is_visible()  # a draft answer waits beside it

    # her prospect: the story and its timeline, and a task for the call
    page.click("#open-prospect")
    page.wait_for_selector("#prospect-story")
    assert "Sounds interesting" in page.locator("#story-timeline").inner_text()
    page.click("#action-task")
    page.fill("#form-task input[name=title]", "Call Sarah to confirm Thursday")
    page.get_by_role("button", name="Add task").click()
    page.wait_for_selector("#story-tasks")
    assert Task.objects.filter(prospect=sarah, title="Call Sarah to confirm Thursday").exists()

    # back to her reply, and the meeting she asked for: m
    page.go_back()
    page.wait_for_selector("#reading-pane")
    page.keyboard.press("m")
    assert page.locator("#meeting-form").is_visible()
    when = (timezone.now() + datetime.timedelta(days=3)).strftime("%Y-%m-%dT15:00")
    page.fill("#meeting-form input[name=starts_at]", when)
    page.get_by_role("button", name="Meeting booked").click()
    page.wait_for_selector(".messagelist")
    assert "Meeting booked" in page.locator(".messagelist").inner_text()
    sarah.refresh_from_db()
    assert sarah.stage == ProspectStage.MEETING
    assert Task.objects.filter(prospect=sarah, kind="meeting").exists()
    assert not Reply.objects.get(pk=meeting_request.pk).needs_human

    # u: back to the list, which now holds only what still needs a person
    page.keyboard.press("u")
    page.wait_for_selector("#view-needs_human.current")
    names = page.locator("#result_list tbody").inner_text()
    assert "Carlos Martinez" not in names and "Sarah Johnson" not in names and "Aisha Khan" in names
