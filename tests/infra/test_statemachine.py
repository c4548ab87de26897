"""The state machines: every declared transition, illegal ones, guards, the database check."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from infra.errors import AlreadyMoved, StateAssignmentRefused, TransitionNotAllowed
from infra.models import StateTransition
from infra.statemachine import transition
from outreach.models import Email, EmailStatus, Inbox, InboxState
from prospects.models import Prospect, ProspectStage
from tests.factories import EmailFactory, InboxFactory, ProspectFactory

MACHINES = [
    (Prospect, ProspectStage, ProspectFactory),
    (Email, EmailStatus, EmailFactory),
    (Inbox, InboxState, InboxFactory),
]


def _cases():
    for model, states, factory in MACHINES:
        for name, step in model.state_machine.transitions.items():
            for state in states.values:
                yield pytest.param(
                    model, factory, name, state, state in step.sources, id=f"{model.__name__}-{name}-{state}"
                )


def _make_in_state(model, factory, state):
    obj = factory()
    field = model.state_machine.field
    # put the row in the wanted state without a transition: this is test set-up
    model.objects.filter(pk=obj.pk)._allow_state_write().update(**{field: state})
    obj.refresh_from_db()
    return obj


@pytest.mark.django_db
@pytest.mark.parametrize("model, factory, name, state, legal", list(_cases()))
def test_every_transition_from_every_state(model, factory, name, state, legal):
    obj = _make_in_state(model, factory, state)
    step = model.state_machine.transitions[name]
    field = model.state_machine.field
    before = StateTransition.objects.count()
    if legal:
        transition(obj, name, by="test:statemachine", reason="because")
        obj.refresh_from_db()
        assert getattr(obj, field) == step.target
        log = StateTransition.objects.get(object_id=obj.pk, transition=name)
        assert (log.source, log.target, log.actor, log.reason, log.field) == (
            state,
            step.target,
            "test:statemachine",
            "because",
            field,
        )
    else:
        with pytest.raises(TransitionNotAllowed):
            transition(obj, name, by="test:statemachine")
        obj.refresh_from_db()
        assert getattr(obj, field) == state
        assert StateTransition.objects.count() == before


@pytest.mark.django_db
def test_the_happy_path_of_a_prospect_is_on_record_with_its_trace_id():
    prospect = ProspectFactory()
    path = [
        "start_enrichment",
        "finish_enrichment",
        "start_research",
        "finish_research",
        "start_composing",
        "finish_composing",
        "queue",
        "start_sending",
        "finish_sending",
        "mark_contacted",
        "follow_up",
        "mark_engaged",
        "mark_replied",
        "book_meeting",
        "mark_won",
    ]
    for name in path:
        transition(prospect, name, by="task:test")
    rows = list(StateTransition.objects.filter(object_id=prospect.pk).order_by("id"))
    assert [r.transition for r in rows] == path
    assert rows[-1].target == ProspectStage.WON
    assert {r.trace_id for r in rows} == {prospect.trace_id}
    assert Prospect.objects.get(pk=prospect.pk).stage == ProspectStage.WON


@pytest.mark.django_db
def test_unknown_transition_name_is_refused():
    with pytest.raises(TransitionNotAllowed, match="Unknown transition"):
        transition(ProspectFactory(), "teleport", by="test")


@pytest.mark.django_db
def test_a_transition_needs_an_actor():
    with pytest.raises(ValueError):
        transition(ProspectFactory(), "start_enrichment", by="")


@pytest.mark.django_db
def test_direct_assignment_is_refused():
    prospect = ProspectFactory()
    with pytest.raises(StateAssignmentRefused):
        prospect.stage = ProspectStage.WON
    email = EmailFactory()
    with pytest.raises(StateAssignmentRefused):
        email.status = EmailStatus.SENT
    with pytest.raises(StateAssignmentRefused):
        Prospect.objects.filter(pk=prospect.pk).update(stage=ProspectStage.WON)
    assert Prospect.objects.get(pk=prospect.pk).stage == ProspectStage.NEW


@pytest.mark.django_db
def test_saving_a_stale_instance_does_not_undo_a_transition():
    prospect = ProspectFactory()
    stale = Prospect.objects.get(pk=prospect.pk)
    transition(prospect, "start_enrichment", by="task:enrichment")
    stale.name = "Renamed by someone else"
    stale.save()
    fresh = Prospect.objects.get(pk=prospect.pk)
    assert fresh.stage == ProspectStage.ENRICHING
    assert fresh.name == "Renamed by someone else"


@pytest.mark.django_db
def test_stale_transition_gets_already_moved_with_the_current_state():
    prospect = ProspectFactory()
    stale = Prospect.objects.get(pk=prospect.pk)
    transition(prospect, "start_enrichment", by="worker-1")
    with pytest.raises(AlreadyMoved) as caught:
        transition(stale, "start_enrichment", by="worker-2")
    assert caught.value.extra["current"] == ProspectStage.ENRICHING
    assert StateTransition.objects.filter(object_id=prospect.pk).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "table, column",
    [("prospects_prospect", "stage"), ("outreach_email", "status"), ("outreach_inbox", "state")],
)
def test_database_rejects_an_unknown_state_written_with_raw_sql(table, column):
    obj = {"prospects_prospect": ProspectFactory, "outreach_email": EmailFactory, "outreach_inbox": InboxFactory}[
        table
    ]()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = 'teleported' WHERE id = %s", [obj.pk])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(5))
def test_two_threads_racing_the_same_transition_exactly_one_wins(round_):
    from django.db import connections

    prospect = ProspectFactory()
    barrier = threading.Barrier(2)
    outcomes = []

    def worker(name):
        try:
            mine = Prospect.objects.get(pk=prospect.pk)
            barrier.wait()
            transition(mine, "start_enrichment", by=f"task:{name}")
            outcomes.append("won")
        except AlreadyMoved:
            outcomes.append("already moved")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(f"worker-{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already moved", "won"]
    assert StateTransition.objects.filter(object_id=prospect.pk, transition="start_enrichment").count() == 1
    assert Prospect.objects.get(pk=prospect.pk).stage == ProspectStage.ENRICHING
