"""The reply inbox: its views, one line per reply, the reading pane, previous/next, the actions
with their permissions, the CSV export, and a query count that does not grow with the list."""

import csv
import datetime
import io
import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from infra.models import Event
from jengu.roles import SALES
from outreach.models import EmailStatus
from prospects.models import ProspectStage, Task
from replies.models import ActionStatus, Reply
from tests.factories import EmailFactory, ProspectFactory, ReplyFactory, UserFactory
from tests.replies.helpers import contacted, reply_to

pytestmark = pytest.mark.django_db

LIST = "admin:replies_reply_changelist"


def pane_url(reply, filters: str = "") -> str:
    url = reverse("admin:replies_reply_change", args=[reply.pk])
    return f"{url}?{urlencode({'_changelist_filters': filters})}" if filters else url


@pytest.fixture
def sam(client):
    """A salesperson (the Sales group), logged in."""
    user = UserFactory(username="sam-sales")
    user.groups.add(Group.objects.get(name=SALES))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def reader(client):
    """Staff who may view replies and prospects, and change nothing."""
    user = UserFactory(username="rita-reader")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_reply", "view_prospect"]))
    client.force_login(user)
    client.user = user
    return client


def reply(
    *, intent="interested", needs_human=False, owner=None, hours_ago=1, body="Sounds good.", stage="replied", **fields
):
    prospect = ProspectFactory(owner=owner, stage=stage)
    email = EmailFactory(prospect=prospect, status=EmailStatus.SENT)
    received = timezone.now() - datetime.timedelta(hours=hours_ago)
    fields.setdefault("processed_at", received + datetime.timedelta(minutes=1))
    return ReplyFactory(email=email, intent=intent, needs_human=needs_human, body=body, received_at=received, **fields)


def processed(text, monkeypatch, **prospect_fields) -> Reply:
    """A reply read by the offline reader and acted on as the pipeline does (a draft answer too)."""
    from replies.pipeline import run_reply_processing
    from replies.services.ingest import reply_ingest

    monkeypatch.setattr("infra.stages._dispatch", lambda *a, **k: None)
    _prospect, email = contacted(**prospect_fields)
    found = reply_ingest(reply_to(email, text), source="imap").reply
    run_reply_processing(found.pk, providers=[])
    found.refresh_from_db()
    return found


def listed(client, query: str = "") -> list[Reply]:
    response = client.get(reverse(LIST) + (f"?{query}" if query else ""))
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# --- the views ------------------------------------------------------------------------------


def test_each_view_lists_what_its_tab_says(sam):
    other = UserFactory(username="olly-other")
    mine_waiting = reply(intent="needs_more_info", needs_human=True, owner=sam.user, hours_ago=1)
    mine_calm = reply(intent="out_of_office", owner=sam.user, hours_ago=2)
    theirs_interested = reply(intent="interested", owner=other, hours_ago=3)
    meeting = reply(intent="meeting_request", needs_human=True, hours_ago=4)
    gone = reply(intent="unsubscribe", hours_ago=5)
    unread = reply(intent="", hours_ago=6, processed_at=None)  # the reader has not read it yet

    assert listed(sam, "view=needs_human") == [mine_waiting, meeting]
    assert listed(sam, "view=mine") == [mine_waiting, mine_calm]
    assert listed(sam, "view=interested") == [mine_waiting, theirs_interested]  # interested, or asking for more
    assert listed(sam, "view=meetings") == [meeting]
    everything = listed(sam)
    assert set(everything) == {mine_waiting, mine_calm, theirs_interested, meeting, gone, unread}
    assert everything == [mine_waiting, meeting, mine_calm, theirs_interested, gone, unread]  # needing a human first

    page = sam.get(reverse(LIST) + "?view=mine").text
    assert 'id="view-mine" class="current"' in page
    for key in ("needs_human", "mine", "interested", "meetings", "all"):
        assert f'id="view-{key}"' in page
    # the dashboard's link opens the same tab
    assert 'id="view-needs_human" class="current"' in sam.get(reverse(LIST) + "?needs_human__exact=1").text


def test_the_dashboards_replies_needing_you_opens_exactly_the_ones_it_counts(sam):
    other = UserFactory(username="olly-other")
    mine = reply(intent="needs_more_info", needs_human=True, owner=sam.user, hours_ago=1)
    reply(intent="needs_more_info", needs_human=True, owner=other, hours_ago=2)  # a colleague's
    reply(intent="interested", owner=sam.user, hours_ago=3)  # mine, nothing to do
    page = sam.get(reverse("admin:index")).text
    link = re.search(r'<a href="([^"]+)" id="my-replies"><strong>(\d+)</strong>', page)
    assert link and link.group(2) == "1"
    response = sam.get(unescape(link.group(1)))
    assert list(response.context["cl"].result_list) == [mine]


def test_all_lists_those_needing_a_human_first_page_after_page(sam, monkeypatch):
    # read in two parts down the received_at index (replies.selectors.needs_human_first_page)
    monkeypatch.setattr("replies.admin.ReplyAdmin.list_per_page", 2)
    monkeypatch.setattr("replies.selectors.DEFERRED_JOIN_FROM", 2)  # deep pages as deferred joins too
    waiting = [reply(needs_human=True, hours_ago=h) for h in (5, 6, 7)]
    calm = [reply(needs_human=False, hours_ago=h) for h in (1, 2, 3)]
    pages = [listed(sam, f"p={n}") for n in (1, 2, 3)]
    assert pages == [waiting[:2], [waiting[2], calm[0]], calm[1:]]


def test_a_view_is_newest_first_with_its_flags(sam):
    older_waiting = reply(intent="interested", needs_human=True, hours_ago=5)
    newer_calm = reply(intent="needs_more_info", needs_human=False, hours_ago=1)
    assert listed(sam, "view=interested") == [newer_calm, older_waiting]
    assert listed(sam, "view=interested&o=-5") == [newer_calm, older_waiting]  # the age column, as clicked
    assert listed(sam, "view=interested&o=5") == [older_waiting, newer_calm]


def test_mine_is_the_replies_of_the_prospects_the_user_owns_whoever_looks(client):
    ann, bob = UserFactory(username="ann"), UserFactory(username="bob")
    for user in (ann, bob):
        user.groups.add(Group.objects.get(name=SALES))
    anns = reply(owner=ann)
    bobs = reply(owner=bob)
    reply(owner=None)
    client.force_login(ann)
    assert listed(client, "view=mine") == [anns]
    client.force_login(bob)
    assert listed(client, "view=mine") == [bobs]
    assert listed(client, f"owner={ann.pk}") == [anns]


def test_a_reply_whose_draft_answer_waits_needs_a_human(sam, monkeypatch):
    # a question read with confidence is acted on by itself (replies.policy), but its answer
    # waits for a person: it belongs under "Needs a human" until the draft is approved
    found = processed("Yes. What does it cost per room, and does it work with Opera PMS?", monkeypatch)
    assert found.action_status == ActionStatus.AUTOMATIC and found.answer_draft is not None, found.policy_reason
    assert found.needs_human
    assert listed(sam, "view=needs_human") == [found]
    sam.post(
        reverse("admin:replies_reply_answer_draft", args=[found.pk]),
        {"subject": found.answer_draft.subject, "body": found.answer_draft.body},
    )
    assert listed(sam, "view=needs_human") == []


def test_a_row_is_one_line_with_the_reading_the_prospect_and_hotel_the_first_line_age_and_owner(sam):
    found = reply(
        intent="meeting_request",
        needs_human=True,
        owner=sam.user,
        hours_ago=3,
        body="Could we talk on Thursday afternoon?\nOur peak is Friday check-in.\n\nSarah",
    )
    found.prospect.name = "Sarah Johnson"
    found.prospect.company_name = "Marriott Courtyard Denver"
    found.prospect.save()
    page = sam.get(reverse(LIST)).text
    row = page[page.index(f'value="{found.pk}"') :]
    row = row[: row.index("</tr>")]
    assert 'class="intent intent-meeting_request"' in row and "Meeting request" in row
    assert "Sarah Johnson" in row and "Marriott Courtyard Denver" in row
    assert "Could we talk on Thursday afternoon?" in row and "Our peak" not in row  # the first line only
    assert ">3 h<" in row and "sam-sales" in row and "⚑" in row
    assert pane_url(found).split("?")[0] in row  # the row opens the reading pane
    assert 'href="/static/replies/inbox.js"' in page or "replies/inbox.js" in page


def test_a_reading_that_waits_is_marked_on_its_line(sam, monkeypatch):
    waiting = processed("Hmm. We will see.", monkeypatch)
    assert waiting.action_status == ActionStatus.AWAITING
    row = sam.get(reverse(LIST)).text
    assert 'class="to-confirm"' in row and escape(waiting.policy_reason) in row


# --- the reading pane ---------------------------------------------------------------------------


def test_the_pane_shows_the_whole_reply_our_email_the_reading_its_draft_and_the_actions(sam, monkeypatch):
    found = processed("Yes, we're interested - tell me more.\n\nWhat does it cost per room?", monkeypatch)
    draft = found.answer_draft
    assert draft is not None and draft.status == EmailStatus.DRAFT
    page = sam.get(pane_url(found, "view=needs_human")).text
    assert "tell me more." in page and "What does it cost per room?" in page  # the whole reply
    assert escape(found.email.body.splitlines()[0]) in page and "Our email it answers" in page
    assert "The suggested reading" in page and escape(found.policy_reason) in page
    assert escape(draft.body.splitlines()[0]) in page and 'id="approve-form"' in page
    assert 'id="action-meeting"' in page and 'id="action-correct"' in page and 'id="action-handled"' in page
    assert 'id="confirm-form"' not in page  # acted on already: nothing to confirm
    assert "← Needs a human" in page and 'id="raw-form"' in page  # the raw record, folded last
    assert page.index('id="reading-pane"') < page.index('id="raw-form"')


def test_a_reading_that_waits_offers_confirm_and_no_meeting_until_it_is_confirmed(sam, monkeypatch):
    waiting = processed("Hmm. We will see.", monkeypatch)
    page = sam.get(pane_url(waiting)).text
    assert 'id="confirm-form"' in page and 'id="action-meeting"' not in page and 'id="action-handled"' not in page


def test_an_unmatched_reply_offers_to_attach_it_and_nothing_that_needs_a_prospect(sam):
    stray = ReplyFactory(
        email=None, prospect=None, from_email="gm@new.example", subject="Hello", needs_human=True, body="Hello?"
    )
    page = sam.get(pane_url(stray)).text
    assert "Unmatched" in page and 'id="action-attach"' in page and "Hello?" in page
    for absent in ("action-meeting", "action-handled", "action-answer", "open-prospect"):
        assert f'id="{absent}"' not in page
    row = sam.get(reverse(LIST)).text
    assert "gm@new.example" in row and "unmatched" in row


def test_a_view_only_user_reads_the_pane_without_any_action(reader, monkeypatch):
    found = processed("Yes, we're interested - tell me more.", monkeypatch)
    page = reader.get(pane_url(found)).text
    assert "tell me more." in page and escape(found.answer_draft.body.splitlines()[0]) in page
    for form in ("approve-form", "confirm-form", "meeting-form", "handled-form", "action-correct"):
        assert f'id="{form}"' not in page


# --- previous / next ----------------------------------------------------------------------------


def neighbours(client, found, filters=""):
    response = client.get(pane_url(found, filters))
    pane = response.context["pane"]
    return pane["previous_url"], pane["next_url"]


def test_previous_and_next_follow_the_list_the_person_came_from(sam):
    newest = reply(needs_human=True, hours_ago=1)
    calm = reply(needs_human=False, hours_ago=2)
    middle = reply(needs_human=True, hours_ago=3)
    oldest = reply(needs_human=True, hours_ago=4)
    view = "view=needs_human"
    keep = "?" + urlencode({"_changelist_filters": view})
    assert neighbours(sam, newest, view) == ("", pane_url(middle).split("?")[0] + keep)
    assert neighbours(sam, middle, view) == (
        pane_url(newest).split("?")[0] + keep,
        pane_url(oldest).split("?")[0] + keep,
    )
    assert neighbours(sam, oldest, view) == (pane_url(middle).split("?")[0] + keep, "")
    # the whole inbox: needing a human first, then the rest
    previous, following = neighbours(sam, oldest)
    assert previous.startswith(pane_url(middle)) and following.startswith(pane_url(calm))
    # sorted oldest first by the age column: the order turns round
    ordered = "o=5"  # list_display[4] is the age (received_at)
    previous, following = neighbours(sam, middle, ordered)
    assert f"/{calm.pk}/" in following and f"/{oldest.pk}/" in previous
    # a search keeps to what it found
    middle.body = "We use Opera PMS, does it work with it?"
    middle.save()
    previous, following = neighbours(sam, middle, "q=Opera")
    assert (previous, following) == ("", "")


def test_after_an_action_next_is_the_reply_that_was_next_before_it(sam, monkeypatch):
    first = processed("Yes, we're interested - tell me more.", monkeypatch)
    second = processed("Yes, we're interested - tell me more about it.", monkeypatch)
    Reply.objects.filter(pk=second.pk).update(received_at=first.received_at - datetime.timedelta(hours=1))
    assert listed(sam, "view=needs_human") == [first, second]
    page = sam.get(pane_url(first, "view=needs_human"))
    here = page.context["pane"]["here"]
    approve = sam.post(
        reverse("admin:replies_reply_answer_draft", args=[first.pk]),
        {"subject": first.answer_draft.subject, "body": first.answer_draft.body, "next": here},
    )
    assert approve.status_code == 302 and approve["Location"] == here
    first.refresh_from_db()
    assert not first.needs_human and first.answer_draft.status == EmailStatus.QUEUED
    after = sam.get(approve["Location"])
    assert "Answer queued from" in after.text
    assert f"/{second.pk}/change/" in after.context["pane"]["next_url"]  # j still goes on down the list
    assert 'id="draft-done"' in after.text


# --- the actions --------------------------------------------------------------------------------


def test_sales_confirms_a_reading_from_the_pane_and_comes_back_to_it(sam, monkeypatch):
    waiting = processed("Hmm. We will see.", monkeypatch)
    here = sam.get(pane_url(waiting, "view=needs_human")).context["pane"]["here"]
    response = sam.post(reverse("admin:replies_reply_confirm", args=[waiting.pk]), {"next": here})
    assert response.status_code == 302 and response["Location"] == here
    waiting.refresh_from_db()
    assert waiting.action_status == ActionStatus.CONFIRMED and not waiting.needs_human


def test_sales_marks_a_meeting_from_the_pane(sam, monkeypatch):
    found = processed("Yes, we're interested - tell me more.", monkeypatch)
    prospect = found.prospect
    assert prospect.stage == ProspectStage.REPLIED
    response = sam.post(
        reverse("admin:replies_reply_meeting", args=[found.pk]),
        {"starts_at": "2030-03-14T15:00", "title": "Demo call", "next": pane_url(found)},
    )
    assert response.status_code == 302
    prospect.refresh_from_db()
    found.refresh_from_db()
    assert prospect.stage == ProspectStage.MEETING and not found.needs_human
    task = Task.objects.get(prospect=prospect, kind="meeting")
    # their time: 15:00 in Denver is 21:00 UTC in March (after the clocks change)
    assert task.title == "Demo call" and task.due_at == datetime.datetime(2030, 3, 14, 21, 0, tzinfo=datetime.UTC)
    assert Event.objects.filter(name="reply.meeting_marked").exists()


def test_a_meeting_request_already_at_the_meeting_stage_gets_its_time_on_the_calendar(sam, monkeypatch):
    from replies.services.inbox import reply_meeting_mark

    found = reply(
        intent="meeting_request", needs_human=True, action_status=ActionStatus.AUTOMATIC, stage=ProspectStage.MEETING
    )
    with pytest.raises(Exception, match="give the meeting's time"):
        reply_meeting_mark(reply=found, by=sam.user)
    reply_meeting_mark(reply=found, by=sam.user, starts_at=timezone.now() + datetime.timedelta(days=2))
    assert Task.objects.filter(prospect=found.prospect, kind="meeting", assignee=sam.user).count() == 1
    assert not Reply.objects.get(pk=found.pk).needs_human


def test_a_waiting_reading_cannot_be_taken_off_the_queue_before_it_is_confirmed(sam, monkeypatch):
    waiting = processed("Hmm. We will see.", monkeypatch)
    for name, data in (("meeting", {"starts_at": ""}), ("handled", {})):
        response = sam.post(reverse(f"admin:replies_reply_{name}", args=[waiting.pk]), data, follow=True)
        assert "confirm or correct it first" in response.text
    waiting.refresh_from_db()
    assert waiting.needs_human and waiting.action_status == ActionStatus.AWAITING
    assert waiting.prospect.stage == ProspectStage.CONTACTED


def test_done_takes_a_reply_off_needs_a_human_and_nothing_else(sam):
    found = reply(intent="interested", needs_human=True, action_status=ActionStatus.AUTOMATIC)
    stage = found.prospect.stage
    response = sam.post(reverse("admin:replies_reply_handled", args=[found.pk]))
    assert response.status_code == 302
    found.refresh_from_db()
    assert not found.needs_human and found.prospect.stage == stage
    assert Event.objects.filter(name="reply.handled", data__reply_id=found.pk).exists()
    again = sam.post(reverse("admin:replies_reply_handled", args=[found.pk]), follow=True)
    assert "does not wait for anyone" in again.text


def test_a_view_only_user_cannot_approve_a_draft_or_mark_a_meeting(reader, monkeypatch):
    found = processed("Yes, we're interested - tell me more.", monkeypatch)
    draft = found.answer_draft
    response = reader.post(
        reverse("admin:replies_reply_answer_draft", args=[found.pk]), {"subject": draft.subject, "body": draft.body}
    )
    assert response.status_code == 403
    assert reader.post(reverse("admin:replies_reply_meeting", args=[found.pk]), {}).status_code == 403
    draft.refresh_from_db()
    found.prospect.refresh_from_db()
    assert draft.status == EmailStatus.DRAFT and found.prospect.stage == ProspectStage.REPLIED


def test_a_meeting_needs_the_right_to_change_the_prospect_too(client, monkeypatch):
    found = processed("Yes, we're interested - tell me more.", monkeypatch)
    user = UserFactory(username="rory-replies")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_reply", "change_reply"]))
    client.force_login(user)
    assert 'id="action-meeting"' not in client.get(pane_url(found)).text
    assert client.post(reverse("admin:replies_reply_meeting", args=[found.pk]), {}).status_code == 403


# --- the export ---------------------------------------------------------------------------------


def rows_of(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_is_the_list_as_filtered_with_formulas_escaped(sam):
    mine = reply(owner=sam.user, body='=HYPERLINK("http://evil.example","click")', intent="interested")
    reply(owner=None, body="Not mine")
    response = sam.get(reverse("admin:replies_reply_export") + "?view=mine")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert [int(row["id"]) for row in rows] == [mine.pk]
    assert rows[0]["text"].startswith("'=HYPERLINK")  # a spreadsheet reads it as text
    assert rows[0]["owner"] == "sam-sales" and rows[0]["company"] == mine.prospect.company_name
    assert Event.objects.filter(name="export.csv", data__export="export.replies").exists()
    assert 'id="export-csv"' in sam.get(reverse(LIST) + "?view=mine").text


def test_the_export_needs_the_right_to_see_replies(client):
    reply()
    user = UserFactory(username="pat-prospects")
    user.user_permissions.add(*Permission.objects.filter(codename="view_prospect"))
    client.force_login(user)
    assert client.get(reverse("admin:replies_reply_export")).status_code == 403


def test_exporting_the_selected_replies_with_the_list_action(sam):
    chosen, _other = reply(body="+1 call me"), reply()
    response = sam.post(reverse(LIST), {"action": "export_csv", "_selected_action": [chosen.pk], "index": 0})
    rows = rows_of(response)
    assert [int(row["id"]) for row in rows] == [chosen.pk] and rows[0]["text"] == "'+1 call me"


def test_a_large_reply_export_runs_in_the_background(
    sam, settings, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    from infra.models import BulkOperation

    settings.JENGU_TASKS_SYNC = True
    settings.EXPORT_ROOT = tmp_path / "exports"
    monkeypatch.setattr("infra.exports.EXPORT_INLINE_LIMIT", 3)
    for i in range(5):
        reply(needs_human=True, body=f"@reply {i}")
    reply(needs_human=False)  # not in the view
    with django_capture_on_commit_callbacks(execute=True):
        response = sam.get(reverse("admin:replies_reply_export") + "?view=needs_human")
    operation = BulkOperation.objects.get()
    assert response.status_code == 302 and (operation.action, operation.status, operation.total) == (
        "export.replies",
        "finished",
        5,
    )
    download = sam.get(reverse("admin:infra_bulkoperation_download", args=[operation.pk]))
    assert sorted(row["text"] for row in rows_of(download)) == [f"'@reply {i}" for i in range(5)]


# --- speed: the queries do not grow with the list ------------------------------------------------


def queries_for(client, url) -> int:
    client.get(url)  # the session, the user's permissions, the live settings: read once, then cached
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.parametrize("view", ["", "view=needs_human", "view=mine", "view=interested", "view=meetings"])
def test_the_list_costs_the_same_queries_for_3_replies_or_30(sam, view):
    def add(n):
        for i in range(n):
            intent = ["interested", "meeting_request", "needs_more_info"][i % 3]
            reply(intent=intent, needs_human=i % 2 == 0, owner=sam.user if i % 2 else UserFactory())

    url = reverse(LIST) + (f"?{view}" if view else "")
    add(3)
    few = queries_for(sam, url)
    add(27)
    assert queries_for(sam, url) == few


def test_the_pane_costs_the_same_queries_in_a_long_list(sam, monkeypatch):
    found = processed("Yes, we're interested - tell me more.", monkeypatch)
    for i in range(3):
        reply(needs_human=True, owner=sam.user, hours_ago=i + 5)
    few = queries_for(sam, pane_url(found, "view=needs_human"))
    for i in range(30):
        reply(needs_human=True, owner=sam.user, hours_ago=i + 10)
    assert queries_for(sam, pane_url(found, "view=needs_human")) == few
