"""A person who may only read replies cannot act on them from the inbox.

The list's "Confirm the suggested reading" action used to be offered to anyone who could
see the list: a POST of it by a view-only user confirmed a reading that waited for a
person, which acts on it (suppression, closing the prospect, …). It now needs
``change_reply``, as the reading pane's own buttons do.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from replies.models import ActionStatus, CalibrationHistory, Reply
from tests.factories import UserFactory
from tests.replies.helpers import contacted, reply_to

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(monkeypatch):
    """A reply whose reading waits for a person (nothing clear to read: replies.policy)."""
    from replies.pipeline import run_reply_processing
    from replies.services.ingest import reply_ingest

    monkeypatch.setattr("infra.stages._dispatch", lambda *a, **k: None)
    _prospect, email = contacted()
    reply = reply_ingest(reply_to(email, "Hmm. We will see."), source="imap").reply
    run_reply_processing(reply.pk, providers=[])
    reply.refresh_from_db()
    assert reply.action_status == ActionStatus.AWAITING, reply.policy_reason
    return reply


@pytest.fixture
def reader(client):
    """Staff who may view replies and prospects, and change nothing."""
    user = UserFactory(username="rita-reader")
    user.user_permissions.add(*Permission.objects.filter(codename__in=["view_reply", "view_prospect", "view_email"]))
    client.force_login(user)
    return client


def test_a_view_only_user_cannot_confirm_readings_through_the_list_action(reader, waiting):
    url = reverse("admin:replies_reply_changelist")
    response = reader.post(url, {"action": "confirm_readings", "_selected_action": [waiting.pk], "index": 0})
    assert response.status_code in (200, 302, 403)
    waiting.refresh_from_db()
    assert waiting.action_status == ActionStatus.AWAITING and waiting.needs_human
    assert not CalibrationHistory.objects.filter(reply=waiting).exists()


def test_a_view_only_user_gets_403_from_every_action_of_the_reading_pane(reader, waiting):
    for name in ("confirm", "meeting", "handled", "answer_draft", "correct", "respond", "attach"):
        response = reader.post(reverse(f"admin:replies_reply_{name}", args=[waiting.pk]), {"intent": "unsubscribe"})
        assert response.status_code == 403, name
    waiting.refresh_from_db()
    assert waiting.action_status == ActionStatus.AWAITING
    assert Reply.objects.get(pk=waiting.pk).intent == waiting.intent


def test_an_action_sends_the_person_back_only_to_a_page_of_this_site(client, sales_user, waiting):
    client.force_login(sales_user)
    url = reverse("admin:replies_reply_confirm", args=[waiting.pk])
    response = client.post(url, {"next": "https://evil.example/phish"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:replies_reply_change", args=[waiting.pk])
    response = client.post(reverse("admin:replies_reply_handled", args=[waiting.pk]), {"next": "//evil.example/x"})
    assert response["Location"] == reverse("admin:replies_reply_change", args=[waiting.pk])
