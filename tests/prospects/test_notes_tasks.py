"""Notes and tasks on a prospect: kept through their services, searchable, erased with the
person, counted per person on the dashboard."""

import datetime

import pytest
from django.utils import timezone

from infra.errors import ApplicationError
from infra.models import Event
from jengu.erasure import prospect_erase
from prospects.models import Note, Task
from prospects.services.notes import note_add, task_add, task_complete
from tests.factories import ProspectFactory, ReplyFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_note_is_kept_with_its_author_and_its_event_carries_no_text():
    anna = UserFactory(username="anna")
    prospect = ProspectFactory()
    note = note_add(prospect=prospect, text="  Her husband runs the spa.  ", by=anna)
    assert (note.text, note.author, note.prospect) == ("Her husband runs the spa.", anna, prospect)
    event = Event.objects.get(name="note.added")
    assert "spa" not in event.message and "spa" not in str(event.data) and event.actor == "user:anna"


def test_notes_and_tasks_refuse_what_they_cannot_keep():
    prospect = ProspectFactory()
    with pytest.raises(ApplicationError, match="Write something"):
        note_add(prospect=prospect, text=" \n ", by="test")
    with pytest.raises(ApplicationError, match="at most 10,000"):
        note_add(prospect=prospect, text="x" * 10_001, by="test")
    with pytest.raises(ApplicationError, match="Say what is to be done"):
        task_add(prospect=prospect, title="  ", due_at=timezone.now(), by="test")
    with pytest.raises(ApplicationError, match="time zone"):
        task_add(prospect=prospect, title="Call", due_at=datetime.datetime(2026, 12, 8, 10), by="test")
    gone = UserFactory(username="gone", is_active=False)
    with pytest.raises(ApplicationError, match="not an active user"):
        task_add(prospect=prospect, title="Call", due_at=timezone.now(), assignee=gone, by="test")
    erased = ProspectFactory(erased_at=timezone.now())
    with pytest.raises(ApplicationError, match="erased"):
        note_add(prospect=erased, text="hello", by="test")
    assert not Note.objects.exists() and not Task.objects.exists()


def test_a_task_is_done_once():
    task = task_add(prospect=ProspectFactory(), title="Call the GM", due_at=timezone.now(), by="test")
    task_complete(task=task, by="test")
    with pytest.raises(ApplicationError, match="already done"):
        task_complete(task=Task.objects.get(pk=task.pk), by="test")
    assert Event.objects.filter(name="task.done").count() == 1


def test_notes_are_searchable_in_the_admin(admin_client):
    prospect = ProspectFactory(company_name="Hotel Sacher")
    note_add(prospect=prospect, text="Wants the spa wing live before Easter", by="test")
    note_add(prospect=ProspectFactory(), text="Met at ITB", by="test")
    html = admin_client.get("/admin/prospects/note/?q=easter").content.decode()
    assert "Wants the spa wing live before Easter" in html and "Met at ITB" not in html
    assert "Hotel Sacher" in admin_client.get("/admin/prospects/note/?q=sacher").content.decode()


def test_notes_and_tasks_are_erased_with_the_person():
    anna = UserFactory(username="anna")
    person = ProspectFactory(name="Zoë Lindqvist", email="zoe@grand-harbour.example", owner=anna)
    bystander = ProspectFactory()
    note_add(prospect=person, text="Zoë prefers calls after 4pm", by=anna)
    note_add(prospect=person, text="Her daughter starts university in May", by=anna)  # does not name her
    task_add(prospect=person, title="Call about the spa wing", due_at=timezone.now(), by=anna)
    kept = note_add(prospect=bystander, text="Met at ITB", by=anna)
    result = prospect_erase(prospect=person, by="test")
    assert (result["notes_deleted"], result["tasks_deleted"]) == (2, 1)
    assert list(Note.objects.all()) == [kept] and not Task.objects.exists()
    person.refresh_from_db()
    assert person.owner is None and person.erased_at is not None


def test_the_dashboard_shows_each_persons_open_tasks_and_replies(client, sales_user):
    from prospects.services.assignment import prospect_assign

    ben = UserFactory(username="ben")
    now = timezone.now()
    mine = ProspectFactory()
    task_add(prospect=mine, title="Call", due_at=now - datetime.timedelta(hours=1), by=sales_user)
    task_add(prospect=mine, title="Send the contract", due_at=now + datetime.timedelta(days=1), by=sales_user)
    done = task_add(prospect=mine, title="Old", due_at=now, by=sales_user)
    task_complete(task=done, by=sales_user)
    task_add(prospect=mine, title="Ben's", due_at=now + datetime.timedelta(days=2), assignee=ben, by=sales_user)
    reply = ReplyFactory(needs_human=True, processed_at=now)
    prospect_assign(prospect=reply.prospect, owner=sales_user, by="test", notify=False)
    ReplyFactory(needs_human=True, processed_at=now)  # nobody's

    client.force_login(sales_user)
    response = client.get("/admin/")
    people = {p.username: p for p in response.context["board"].people}
    assert (people["sally-sales"].open_tasks, people["sally-sales"].overdue_tasks) == (2, 1)
    assert people["sally-sales"].replies_needing_a_human == 1
    assert (people["ben"].open_tasks, people["ben"].replies_needing_a_human) == (1, 0)
    html = response.content.decode()
    assert 'id="my-open-tasks"' in html and "(1 overdue)" in html
    my_work = html[html.index('id="my-work"') : html.index('id="pipeline-summary"')]
    assert "<strong>2</strong>" in my_work and "<strong>1</strong>" in my_work
