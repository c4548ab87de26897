"""The prospect page's actions call their services and respect the roles (Sales, Operations, view-only)."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from infra.models import StateTransition
from outreach.models import Sequence, SequenceState
from prospects.models import Note, Prospect, ProspectStage, Task
from tests.factories import CampaignFactory, ProspectFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(prospect, action):
    return f"/admin/prospects/prospect/{prospect.pk}/story/{action}/"


def page(prospect):
    return f"/admin/prospects/prospect/{prospect.pk}/change/"


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def viewer(db):
    user = UserFactory(username="vera-viewer")
    user.user_permissions.add(Permission.objects.get(codename="view_prospect"))
    return user


def test_sales_keeps_a_note_and_adds_a_task_in_the_prospects_time(client, sales_user):
    prospect = ProspectFactory(timezone="America/Denver")
    client.force_login(sales_user)
    response = client.post(url(prospect, "note"), {"text": "  Prefers calls after 4pm.  "}, follow=True)
    assert messages_of(response) == ["Note kept."]
    note = Note.objects.get()
    assert (note.prospect, note.author, note.text) == (prospect, sales_user, "Prefers calls after 4pm.")

    response = client.post(
        url(prospect, "task"), {"title": "Call the GM", "kind": "call", "due_at": "2026-12-08T10:00"}, follow=True
    )
    assert messages_of(response) == ["Task added."]
    task = Task.objects.get()
    # 10:00 in Denver is 17:00 UTC; nobody chosen: the task is the person's who added it
    assert task.due_at == datetime.datetime(2026, 12, 8, 17, 0, tzinfo=datetime.UTC)
    assert (task.assignee, task.kind, task.created_by) == (sales_user, "call", sales_user)
    html = response.content.decode()
    assert "Call the GM" in html and "Prefers calls after 4pm." in html  # both on the timeline now

    client.post(f"/admin/prospects/prospect/{prospect.pk}/story/task/{task.pk}/done/")
    task.refresh_from_db()
    assert task.done_at is not None


def test_the_page_after_an_action_carries_its_message_inside_the_story(client, sales_user):
    prospect = ProspectFactory()
    client.force_login(sales_user)
    response = client.post(url(prospect, "note"), {"text": "x"}, follow=True, headers={"HX-Request": "true"})
    html = response.content.decode()
    story = html[html.index('id="prospect-story"') :]
    assert "Note kept." in story[: story.index('id="story-timeline"')]  # what htmx swaps in shows it


def test_refusals_are_messages_not_errors(client, sales_user):
    prospect = ProspectFactory(stage=ProspectStage.NEW)
    client.force_login(sales_user)
    assert messages_of(client.post(url(prospect, "note"), {"text": "   "}, follow=True)) == [
        "Write something to keep as a note."
    ]
    refused = messages_of(client.post(url(prospect, "won"), follow=True))
    assert len(refused) == 1 and "Cannot mark won" in refused[0] and "'new'" in refused[0]
    refused = messages_of(client.post(url(prospect, "task"), {"title": "Call", "kind": "call"}, follow=True))
    assert refused == ["Due: This field is required."]
    assert not Note.objects.exists() and not Task.objects.exists()
    assert Prospect.objects.get(pk=prospect.pk).stage == ProspectStage.NEW


def test_sales_books_a_meeting_with_a_time_then_marks_it_won(client, sales_user):
    prospect = ProspectFactory(stage=ProspectStage.REPLIED, timezone="Europe/Berlin", country="DE")
    client.force_login(sales_user)
    response = client.post(url(prospect, "meeting"), {"starts_at": "2026-12-10T15:00", "title": ""}, follow=True)
    assert messages_of(response) == ["Meeting booked."]
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.MEETING
    meeting = Task.objects.get(kind="meeting")
    assert meeting.due_at == datetime.datetime(2026, 12, 10, 14, 0, tzinfo=datetime.UTC)
    assert meeting.title == f"Meeting with {prospect.name}"
    client.post(url(prospect, "won"))
    prospect.refresh_from_db()
    assert prospect.stage == ProspectStage.WON
    log = StateTransition.objects.get(object_id=prospect.pk, transition="mark_won")
    assert log.actor == f"user:{sales_user.username}"


def test_operations_marks_lost_with_a_reason_and_assigns(client, ops_user, sales_user):
    prospect = ProspectFactory(stage=ProspectStage.CONTACTED)
    client.force_login(ops_user)
    assert messages_of(client.post(url(prospect, "assign"), {"owner": sales_user.pk}, follow=True)) == [
        "Assigned to sally-sales."
    ]
    prospect.refresh_from_db()
    assert prospect.owner == sales_user
    response = client.post(url(prospect, "lost"), {"reason": "chose a competitor"}, follow=True)
    assert messages_of(response) == ["Marked lost."]
    prospect.refresh_from_db()
    assert (prospect.stage, prospect.lost_reason) == (ProspectStage.LOST, "chose a competitor")


def test_pausing_the_follow_ups_and_the_refusal_when_nothing_runs(client, sales_user):
    prospect = ProspectFactory(stage=ProspectStage.CONTACTED, timezone="America/Denver")
    client.force_login(sales_user)
    refused = messages_of(client.post(url(prospect, "pause"), {"until": "2030-01-01"}, follow=True))
    assert refused == ["Nothing to pause: it has no sequence."]
    Sequence.objects.create(prospect=prospect, campaign=CampaignFactory(), first_sent_at=timezone.now())
    until = (timezone.now() + datetime.timedelta(days=10)).date()
    response = client.post(url(prospect, "pause"), {"until": until.isoformat(), "reason": "on the phone"}, follow=True)
    assert messages_of(response) == ["Follow-ups paused."]
    sequence = Sequence.objects.get()
    assert sequence.state == SequenceState.PAUSED and sequence.stop_reason == "on the phone"
    assert sequence.paused_until.date() == until or sequence.paused_until.date() == until + datetime.timedelta(1)


def test_a_view_only_user_reads_the_story_but_cannot_act(client, viewer):
    prospect = ProspectFactory(stage=ProspectStage.REPLIED)
    client.force_login(viewer)
    html = client.get(page(prospect)).content.decode()
    assert 'id="story-next"' in html and 'id="story-timeline"' in html
    for action in ("action-note", "action-task", "action-assign", "action-meeting", "action-won", "action-lost"):
        assert f'id="{action}"' not in html
    for action, data in [
        ("note", {"text": "hello"}),
        ("task", {"title": "x", "kind": "call", "due_at": "2026-12-08T10:00"}),
        ("assign", {"owner": viewer.pk}),
        ("meeting", {}),
        ("won", {}),
        ("lost", {"reason": "x"}),
        ("pause", {"until": "2030-01-01"}),
    ]:
        assert client.post(url(prospect, action), data).status_code == 403, action
    assert not Note.objects.exists() and not Task.objects.exists()
    prospect.refresh_from_db()
    assert (prospect.stage, prospect.owner) == (ProspectStage.REPLIED, None)


def test_actions_need_a_post(client, sales_user):
    prospect = ProspectFactory()
    client.force_login(sales_user)
    assert client.get(url(prospect, "won")).status_code == 405


def test_my_tasks_lists_mine_overdue_first_and_done_returns_there(client, sales_user, ops_user):
    from prospects.services.notes import task_add

    prospect = ProspectFactory(company_name="Hotel Sacher")
    now = timezone.now()
    later = task_add(
        prospect=prospect, title="Send the contract", due_at=now + datetime.timedelta(days=3), by=sales_user
    )
    overdue = task_add(prospect=prospect, title="Call the GM", due_at=now - datetime.timedelta(days=1), by=sales_user)
    task_add(prospect=prospect, title="Not mine", due_at=now, by=ops_user)
    client.force_login(sales_user)
    html = client.get("/admin/prospects/task/mine/").content.decode()
    assert html.index("Call the GM") < html.index("Send the contract")
    assert 'id="tasks-overdue"' in html and "Not mine" not in html
    response = client.post(
        f"/admin/prospects/prospect/{prospect.pk}/story/task/{overdue.pk}/done/",
        {"next": "/admin/prospects/task/mine/"},
    )
    assert response.status_code == 302 and response["Location"] == "/admin/prospects/task/mine/"
    evil = client.post(
        f"/admin/prospects/prospect/{prospect.pk}/story/task/{later.pk}/done/", {"next": "https://evil.example/"}
    )
    assert evil["Location"].startswith(f"/admin/prospects/prospect/{prospect.pk}/change/")
    assert list(Task.objects.filter(done_at__isnull=True).values_list("title", flat=True)) == ["Not mine"]


def test_reassigning_a_filtered_selection_from_the_list(client, sales_user, ops_user):
    mine = ProspectFactory.create_batch(3, owner=sales_user)
    other = ProspectFactory()
    client.force_login(ops_user)
    changelist = "/admin/prospects/prospect/"
    html = client.get(f"{changelist}?owner={sales_user.pk}").content.decode()
    assert all(p.company_name in html for p in mine) and other.company_name not in html
    asked = client.post(
        f"{changelist}?owner={sales_user.pk}",
        {"action": "reassign", "_selected_action": [p.pk for p in mine], "select_across": "0"},
    )
    assert asked.status_code == 200 and "Give <strong>3 prospects</strong>" in asked.content.decode()
    done = client.post(
        f"{changelist}?owner={sales_user.pk}",
        {"action": "reassign", "_selected_action": [p.pk for p in mine], "owner": ops_user.pk},
        follow=True,
    )
    assert "3 prospect(s) assigned to oscar-ops." in messages_of(done)
    assert set(Prospect.objects.filter(pk__in=[p.pk for p in mine]).values_list("owner", flat=True)) == {ops_user.pk}
    client.force_login(sales_user)
    mine_page = client.get(f"{changelist}?owner=mine").content.decode()
    assert "0 prospects" in mine_page or all(p.company_name not in mine_page for p in mine)
