"""Owners: the round-robin of positive replies, the hotel's owner first, notifications, the replies hook."""

import threading
from collections import Counter

import pytest
from constance import config
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection

from infra.errors import ApplicationError
from infra.models import AlertNotice, Event
from jengu.roles import SALES
from prospects.models import AssignmentCursor, Prospect
from prospects.selectors import ASSIGNEE_GROUP
from prospects.services.assignment import (
    owner_for_new_positive_reply,
    prospect_assign,
    prospect_assign_for_positive_reply,
    prospects_assign,
    round_robin_next,
)
from tests.factories import ProspectFactory, UserFactory

pytestmark = pytest.mark.django_db


def salespeople(*names, active=True):
    group = Group.objects.get(name=SALES)
    users = []
    for name in names:
        user = UserFactory(username=name, is_active=active)
        user.groups.add(group)
        users.append(user)
    return users


def test_the_assignee_group_is_the_sales_role():
    assert ASSIGNEE_GROUP == SALES


def test_round_robin_among_three_is_even_over_30_replies_and_an_inactive_user_gets_none(
    django_capture_on_commit_callbacks,
):
    anna, ben, carla = salespeople("anna", "ben", "carla")
    (dora,) = salespeople("dora", active=False)
    UserFactory(username="oscar")  # staff, but not in the Sales group: not in the turns
    prospects = ProspectFactory.create_batch(30)
    config.REPLY_ASSIGNMENT = "round_robin"
    with django_capture_on_commit_callbacks(execute=True):
        for number, prospect in enumerate(prospects, start=1):
            prospect_assign_for_positive_reply(prospect=prospect, reply_id=number)
    owners = Counter(Prospect.objects.values_list("owner__username", flat=True))
    assert owners == {"anna": 10, "ben": 10, "carla": 10}
    assert "dora" not in owners and "oscar" not in owners
    # in turn, not in blocks: the first three replies went to three people
    first_three = [Prospect.objects.get(pk=p.pk).owner for p in prospects[:3]]
    assert first_three == [anna, ben, carla]
    assert AssignmentCursor.objects.get(name="positive_replies").turns == 30
    assert Event.objects.filter(name="prospect.assigned").count() == 30


def test_the_turns_go_on_where_they_stopped_and_skip_someone_who_left(django_capture_on_commit_callbacks):
    anna, ben, carla = salespeople("anna", "ben", "carla")
    assert [round_robin_next() for _ in range(2)] == [anna, ben]
    carla.is_active = False
    carla.save()
    assert [round_robin_next() for _ in range(3)] == [anna, ben, anna]


def test_nobody_in_the_group_leaves_the_prospect_unassigned():
    prospect = ProspectFactory()
    config.REPLY_ASSIGNMENT = "round_robin"
    assignment = prospect_assign_for_positive_reply(prospect=prospect, reply_id=1)
    assert assignment.owner is None and assignment.how == "nobody"
    assert Prospect.objects.get(pk=prospect.pk).owner is None


def test_the_owner_of_the_hotels_other_prospect_gets_the_reply_first():
    anna, ben = salespeople("anna", "ben")
    first = ProspectFactory(company_name="Hotel Sacher", city="Wien", company_website="https://sacher.example")
    prospect_assign(prospect=first, owner=ben, by="test")
    colleague = ProspectFactory(  # a second contact at the hotel (prospects.dedup keys them by address)
        company_name="Hotel Sacher",
        city="Wien",
        company_website="https://sacher.example",
        email="fo@sacher.example",
        contact_key="fo@sacher.example",
    )
    config.REPLY_ASSIGNMENT = "hotel_owner"
    assert owner_for_new_positive_reply(prospect=colleague).owner == ben
    assert not AssignmentCursor.objects.exists()  # the round-robin was not consulted
    config.REPLY_ASSIGNMENT = "round_robin"
    assert owner_for_new_positive_reply(prospect=colleague).owner == anna


def test_a_prospect_with_an_active_owner_keeps_it_and_the_rule_off_assigns_nobody():
    (anna,) = salespeople("anna")
    owned = ProspectFactory(owner=anna)
    assert owner_for_new_positive_reply(prospect=owned, rule="round_robin").how == "owner"
    config.REPLY_ASSIGNMENT = "off"
    assert owner_for_new_positive_reply(prospect=ProspectFactory()).owner is None
    anna.is_active = False
    anna.save()
    owned.refresh_from_db()
    assert owner_for_new_positive_reply(prospect=owned, rule="off").owner is None  # a departed owner is not kept


def test_assigning_tells_the_new_owner_by_alert_with_a_mention(django_capture_on_commit_callbacks):
    (anna,) = salespeople("anna")
    boss = UserFactory(username="boss")
    prospect = ProspectFactory(company_name="Grand Harbour Hotel")
    with django_capture_on_commit_callbacks(execute=True):
        prospect_assign(prospect=prospect, owner=anna, by=boss)
    notice = AlertNotice.objects.get()
    assert notice.text.startswith("@anna Grand Harbour Hotel is yours (assigned by boss)")
    assert f"/admin/prospects/prospect/{prospect.pk}/change/" in notice.text
    assert mail.outbox == []


def test_assigning_by_email_and_not_telling_someone_who_took_it_themselves(django_capture_on_commit_callbacks):
    (anna,) = salespeople("anna")
    config.ASSIGNMENT_NOTIFY = "email"
    first, second = ProspectFactory.create_batch(2)
    with django_capture_on_commit_callbacks(execute=True):
        prospect_assign(prospect=first, owner=anna, by="system:test")
        prospect_assign(prospect=second, owner=anna, by=anna)  # took it herself
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [anna.email] and first.company_name in mail.outbox[0].subject
    assert not AlertNotice.objects.exists()


def test_an_inactive_user_cannot_be_given_a_prospect():
    (gone,) = salespeople("gone", active=False)
    with pytest.raises(ApplicationError, match="not an active user"):
        prospect_assign(prospect=ProspectFactory(), owner=gone, by="test")


def test_reassigning_a_selection_is_one_update_and_one_notification(django_capture_on_commit_callbacks):
    anna, ben = salespeople("anna", "ben")
    prospects = ProspectFactory.create_batch(4)
    prospect_assign(prospect=prospects[0], owner=ben, by="test", notify=False)
    with django_capture_on_commit_callbacks(execute=True):
        changed = prospects_assign(prospects=Prospect.objects.all(), owner=ben, by=anna)
    assert changed == 3
    assert set(Prospect.objects.values_list("owner", flat=True)) == {ben.pk}
    assert AlertNotice.objects.get().text.startswith("@ben 3 prospects are yours (assigned by anna)")


def test_a_positive_reading_of_a_reply_assigns_its_prospect_through_the_event_hook(
    django_capture_on_commit_callbacks,
):
    from replies.schema import ReplyInterpretation
    from replies.services.actions import reply_record_interpretation
    from replies.services.corrections import reply_correct_intent
    from tests.factories import ReplyFactory

    anna, ben = salespeople("anna", "ben")
    config.REPLY_ASSIGNMENT = "round_robin"
    interested = ReplyFactory(intent="", confidence=None, body="Sounds interesting, call me Tuesday.")
    out_of_office = ReplyFactory(intent="", confidence=None, body="I am away until Monday.")
    with django_capture_on_commit_callbacks(execute=True):
        reply_record_interpretation(
            reply=interested,
            interpretation=ReplyInterpretation(intent="interested", sentiment="positive", confidence=0.95),
            provider="sandbox",
            by="task:reply",
        )
        reply_record_interpretation(
            reply=out_of_office,
            interpretation=ReplyInterpretation(intent="out_of_office", sentiment="neutral", confidence=0.95),
            provider="sandbox",
            by="task:reply",
        )
    assert Prospect.objects.get(pk=interested.prospect_id).owner == anna
    assert Prospect.objects.get(pk=out_of_office.prospect_id).owner is None  # not a positive reply
    # a person corrects the out-of-office to a meeting request: now it is the next one's
    with django_capture_on_commit_callbacks(execute=True):
        reply_correct_intent(reply=out_of_office, intent="meeting_request", by=anna)
    assert Prospect.objects.get(pk=out_of_office.prospect_id).owner == ben


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_replies_handled_at_the_same_moment_get_consecutive_people():
    users = salespeople("anna", "ben", "carla", "dan")
    AssignmentCursor.objects.create(name="positive_replies")
    chosen, errors = [], []
    barrier = threading.Barrier(8)

    def worker():
        try:
            barrier.wait()
            chosen.append(round_robin_next().username)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert Counter(chosen) == {user.username: 2 for user in users}
