"""The state machines: every declared transition, illegal ones, guards, the database check."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError

from infra.errors import AlreadyMoved, StateAssignmentRefused, TransitionNotAllowed
from infra.models import StateTransition
from infra.statemachine import GuardRefused, TransitionLog, transition, transition_path
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


# --- several transitions in one statement (the send path's bookkeeping) ---------------------------

SEND_PATH = ["start_sending", "finish_sending", "mark_contacted"]


def _statements(captured):
    return [q["sql"].split()[0].upper() for q in captured.captured_queries]


def _in_stage(stage):
    prospect = ProspectFactory()
    Prospect.objects.filter(pk=prospect.pk)._allow_state_write().update(stage=stage)
    prospect.refresh_from_db()
    return prospect


@pytest.mark.django_db
def test_a_path_of_transitions_is_one_update_and_one_insert_with_a_row_per_step():
    from django.db.models.signals import post_save
    from django.test.utils import CaptureQueriesContext

    prospect = _in_stage(ProspectStage.QUEUED)
    heard = []

    def receiver(sender, instance, created, **kwargs):
        heard.append((instance.transition, created, instance.pk is not None))

    post_save.connect(receiver, sender=StateTransition, dispatch_uid="test-path")
    try:
        with CaptureQueriesContext(connection) as captured:
            transition_path(prospect, SEND_PATH, by="task:sending", reason="email 7 sent")
    finally:
        post_save.disconnect(dispatch_uid="test-path", sender=StateTransition)
    assert [s for s in _statements(captured) if s not in ("BEGIN", "SAVEPOINT", "RELEASE")] == ["UPDATE", "INSERT"]
    assert prospect.stage == ProspectStage.CONTACTED
    assert Prospect.objects.get(pk=prospect.pk).stage == ProspectStage.CONTACTED
    rows = list(StateTransition.objects.filter(object_id=prospect.pk, field="stage").order_by("id"))
    assert [(r.transition, r.source, r.target) for r in rows] == [
        ("start_sending", "queued", "sending"),
        ("finish_sending", "sending", "sent"),
        ("mark_contacted", "sent", "contacted"),
    ]
    assert {(r.actor, r.reason, r.trace_id) for r in rows} == {("task:sending", "email 7 sent", prospect.trace_id)}
    # the outbound webhooks (and any receiver of the log) hear each step, as from single transitions
    assert heard == [(name, True, True) for name in SEND_PATH]


@pytest.mark.django_db
def test_a_path_with_an_undeclared_step_is_refused_before_anything_is_written():
    prospect = _in_stage(ProspectStage.QUEUED)
    with pytest.raises(TransitionNotAllowed, match="mark contacted"):
        transition_path(prospect, ["start_sending", "mark_contacted"], by="test")  # sending → contacted: no
    with pytest.raises(TransitionNotAllowed):
        transition_path(prospect, ["finish_sending"], by="test")  # does not start from queued
    assert Prospect.objects.get(pk=prospect.pk).stage == ProspectStage.QUEUED
    assert not StateTransition.objects.filter(object_id=prospect.pk, field="stage").exists()


@pytest.mark.django_db
def test_a_path_that_lost_a_race_is_already_moved_and_applies_nothing():
    prospect = _in_stage(ProspectStage.QUEUED)
    stale = Prospect.objects.get(pk=prospect.pk)
    transition(prospect, "start_sending", by="worker-1")
    with pytest.raises(AlreadyMoved) as caught:
        transition_path(stale, SEND_PATH, by="worker-2")
    assert caught.value.extra["current"] == ProspectStage.SENDING
    assert Prospect.objects.get(pk=prospect.pk).stage == ProspectStage.SENDING
    assert StateTransition.objects.filter(object_id=prospect.pk, field="stage").count() == 1


@pytest.mark.django_db
def test_other_columns_go_in_the_same_update_but_a_state_field_never_does():
    from django.db.models import F
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    email = _make_in_state(Email, EmailFactory, EmailStatus.SENDING)
    sent_at = timezone.now()
    with CaptureQueriesContext(connection) as captured:
        transition(email, "mark_sent", by="task:sending", also={"sent_at": sent_at, "provider": "smtp"})
    assert _statements(captured).count("UPDATE") == 1
    row = Email.objects.get(pk=email.pk)
    assert (row.status, row.sent_at, row.provider) == (EmailStatus.SENT, sent_at, "smtp")
    assert email.sent_at == sent_at and email.provider == "smtp"

    prospect = _in_stage(ProspectStage.QUEUED)
    with pytest.raises(StateAssignmentRefused):
        transition_path(prospect, SEND_PATH, by="test", also={"stage": ProspectStage.WON})
    transition_path(prospect, SEND_PATH, by="test", also={"email_sent_count": F("email_sent_count") + 1})
    assert Prospect.objects.get(pk=prospect.pk).email_sent_count == 1


@pytest.mark.django_db
def test_a_guard_refuses_in_the_same_update_and_says_so():
    from django.db.models import Q

    email = _make_in_state(Email, EmailFactory, EmailStatus.QUEUED)
    with pytest.raises(GuardRefused) as caught:
        transition(email, "claim", by="task:sending", guard=Q(to_email="someone-else@example.com"))
    assert isinstance(caught.value, TransitionNotAllowed) and caught.value.extra["current"] == EmailStatus.QUEUED
    assert Email.objects.get(pk=email.pk).status == EmailStatus.QUEUED
    assert not StateTransition.objects.filter(object_id=email.pk, field="status").exists()
    transition(email, "claim", by="task:sending", guard=Q(to_email=email.to_email))
    assert Email.objects.get(pk=email.pk).status == EmailStatus.SENDING

    stale = _make_in_state(Email, EmailFactory, EmailStatus.QUEUED)
    transition(Email.objects.get(pk=stale.pk), "claim", by="worker-1")
    with pytest.raises(AlreadyMoved) as moved:  # moved on: a race lost, whatever the guard says
        transition(stale, "claim", by="worker-2", guard=Q(to_email="nobody@example.com"))
    assert not isinstance(moved.value, GuardRefused)


@pytest.mark.django_db
def test_a_transition_log_writes_the_rows_of_several_objects_in_one_insert_in_the_same_transaction():
    from django.test.utils import CaptureQueriesContext

    email = _make_in_state(Email, EmailFactory, EmailStatus.SENDING)
    prospect = _in_stage(ProspectStage.QUEUED)
    with CaptureQueriesContext(connection) as captured, transaction.atomic(), TransitionLog() as log:
        transition(email, "mark_sent", by="task:sending", log=log)
        transition_path(prospect, SEND_PATH, by="task:sending", log=log)
        assert not StateTransition.objects.filter(object_id__in=[email.pk, prospect.pk]).exists()  # not yet
    assert _statements(captured).count("INSERT") == 1
    assert StateTransition.objects.filter(object_id=email.pk, field="status").count() == 1
    assert StateTransition.objects.filter(object_id=prospect.pk, field="stage").count() == 3

    other = _in_stage(ProspectStage.QUEUED)
    with pytest.raises(RuntimeError), transaction.atomic(), TransitionLog() as log:
        transition_path(other, SEND_PATH, by="test", log=log)
        raise RuntimeError("the caller fails after the transition")
    assert Prospect.objects.get(pk=other.pk).stage == ProspectStage.QUEUED  # rolled back with its rows
    assert not StateTransition.objects.filter(object_id=other.pk, field="stage").exists()


@pytest.mark.django_db(transaction=True)
def test_a_transition_log_outside_a_transaction_is_refused():
    with pytest.raises(TransactionManagementError), TransitionLog():  # its rows could be left unwritten
        pass


@pytest.mark.django_db
def test_inside_a_callers_transaction_a_transition_opens_no_savepoint_and_a_lost_race_leaves_it_usable():
    from django.test.utils import CaptureQueriesContext

    prospect = ProspectFactory()
    stale = Prospect.objects.get(pk=prospect.pk)
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        transition(prospect, "start_enrichment", by="worker-1")
        with pytest.raises(AlreadyMoved):
            transition(stale, "start_enrichment", by="worker-2")
        transition(prospect, "finish_enrichment", by="worker-1")  # the transaction goes on
    # the one savepoint is this test's own atomic block (the test runs inside a transaction)
    assert [s for s in _statements(captured) if s in ("SAVEPOINT", "RELEASE")] == ["SAVEPOINT", "RELEASE"]
    assert Prospect.objects.get(pk=prospect.pk).stage == ProspectStage.ENRICHED
    assert StateTransition.objects.filter(object_id=prospect.pk, field="stage").count() == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_two_threads_racing_the_same_path_exactly_one_walks_it(round_):
    from django.db import connections

    prospect = _in_stage(ProspectStage.QUEUED)
    barrier = threading.Barrier(2)
    outcomes = []

    def worker(name):
        try:
            mine = Prospect.objects.get(pk=prospect.pk)
            barrier.wait()
            transition_path(mine, SEND_PATH, by=f"task:{name}")
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
    assert StateTransition.objects.filter(object_id=prospect.pk, field="stage").count() == 3
    assert Prospect.objects.get(pk=prospect.pk).stage == ProspectStage.CONTACTED


@pytest.mark.django_db
def test_transition_if_allowed_says_whether_the_move_happened():
    from infra.statemachine import transition_if_allowed

    prospect = ProspectFactory(stage="new")
    assert transition_if_allowed(prospect, "start_enrichment", by="test") is True
    assert prospect.stage == "enriching"
    assert transition_if_allowed(prospect, "start_enrichment", by="test") is False  # not a source state any more
    stale = type(prospect).objects.get(pk=prospect.pk)
    transition(prospect, "release_enrichment", by="test", reason="x")
    assert transition_if_allowed(stale, "finish_enrichment", by="test") is False  # another worker moved it
    assert type(prospect).objects.get(pk=prospect.pk).stage == "new"
